# Test guests (included by the top-level Makefile).
#
# Each guest is a 32-bit freestanding multiboot2 kernel linked at 1 MiB:
# guest/<name>/*.c|asm plus the runtime in guest/lib -> build/guest/<name>.elf.
# The bad-* images are deliberately broken kernels for the loader's negative
# tests (docs/guests.md says what each one is and which message it must give).
# There is no 32-bit libgcc here: no 64-bit division in guest C code (udiv64).

GUEST_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -fno-pic -fno-pie -fno-stack-protector \
	-mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fcf-protection=none -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude -Iguest/lib -MMD -MP
GUEST_LDFLAGS := -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments
GUEST_NAMES := selftest bench
GUEST_NAMES += console	# COM1 echo, for the console escape tests (80-, 82-)
GUEST_BAD := text aout-entry0 elf64-entry notram mb2-arch trunc bzimage overlap

guest_objs = $(patsubst guest/%.c,$(BUILD)/guest/%.o,$(wildcard $(1)/*.c)) \
	     $(patsubst guest/%.asm,$(BUILD)/guest/%.asm.o,$(wildcard $(1)/*.asm))
GUEST_LIB_OBJ := $(call guest_objs,guest/lib)
GUEST_ELFS := $(foreach g,$(GUEST_NAMES),$(BUILD)/guest/$(g).elf)
GUEST_BAD_ELFS := $(foreach b,$(GUEST_BAD),$(BUILD)/guest/bad-$(b).elf)

guests: $(GUEST_ELFS) $(GUEST_BAD_ELFS)

$(BUILD)/guest/%.o: guest/%.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/%.asm.o: guest/%.asm
	@mkdir -p $(dir $@)
	@echo "  NASM32  $<"
	@$(NASM) -f elf32 -g -MD $@.d -MP $< -o $@

define guest_rule
$(BUILD)/guest/$(1).elf: $(GUEST_LIB_OBJ) $(call guest_objs,guest/$(1)) guest/lib/link.ld
	@echo "  LD32    $$@"
	@$(LD) $(GUEST_LDFLAGS) -T guest/lib/link.ld -o $$@ $(GUEST_LIB_OBJ) $(call guest_objs,guest/$(1))
	@grub-file --is-x86-multiboot2 $$@ || { echo "error: $$@ is not multiboot2"; rm -f $$@; exit 1; }
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call guest_rule,$(g))))

# --- broken kernels -------------------------------------------------------------------
$(BUILD)/guest/bad-text.elf:
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@printf 'This is a text file, not a kernel: uhv must refuse it.\n' > $@

$(BUILD)/guest/bad-aout-entry0.elf: guest/bad/aout-entry0.asm
	@mkdir -p $(dir $@)
	@echo "  NASMBIN $@"
	@$(NASM) -f bin $< -o $@

$(BUILD)/guest/bad/elf64-entry.o: guest/bad/elf64-entry.asm
	@mkdir -p $(dir $@)
	@$(NASM) -f elf64 $< -o $@

$(BUILD)/guest/bad-elf64-entry.elf: $(BUILD)/guest/bad/elf64-entry.o
	@echo "  LD64    $@"
	@$(LD) -m elf_x86_64 -nostdlib -z noexecstack -Ttext=0x100000 -e 0x123456789 -o $@ $<

$(BUILD)/guest/bad/mb2-min.o: guest/bad/mb2-min.asm
	@mkdir -p $(dir $@)
	@$(NASM) -f elf32 $< -o $@

$(BUILD)/guest/bad/mb2-arch4.o: guest/bad/mb2-min.asm
	@mkdir -p $(dir $@)
	@$(NASM) -f elf32 -DARCH=4 $< -o $@

# linked at the local APIC page, which is never RAM
$(BUILD)/guest/bad-notram.elf: $(BUILD)/guest/bad/mb2-min.o
	@echo "  LD32    $@"
	@$(LD) $(GUEST_LDFLAGS) -Ttext=0xfee00000 -e _start -o $@ $<

$(BUILD)/guest/bad-mb2-arch.elf: $(BUILD)/guest/bad/mb2-arch4.o
	@echo "  LD32    $@"
	@$(LD) $(GUEST_LDFLAGS) -Ttext=0x100000 -e _start -o $@ $<

$(BUILD)/guest/bad-overlap.elf: $(BUILD)/guest/bad/mb2-min.o guest/bad/overlap.ld
	@echo "  LD32    $@"
	@$(LD) $(GUEST_LDFLAGS) --no-check-sections -T guest/bad/overlap.ld -o $@ $<

# the selftest cut off after its program headers
$(BUILD)/guest/bad-trunc.elf: $(BUILD)/guest/selftest.elf
	@echo "  GEN     $@"
	@head -c 512 $< > $@

# a file with the Linux boot header of protocol 2.03 at 0x1f1 (the jump at 0x200 over it to
# 0x230, "HdrS" at 0x202, the version at 0x206) and a version string at 0x600 (kernel_version
# 0x400 at 0x20e): an image of before 2.12, which uhv refuses and says what it is
$(BUILD)/guest/bad-bzimage.elf: guest/guests.mk
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@{ head -c 512 /dev/zero; printf '\353\056HdrS\003\002'; head -c 6 /dev/zero; \
	   printf '\000\004'; head -c 1008 /dev/zero; printf 'uhv-bad-bzimage 2.4.0\000'; \
	   head -c 2538 /dev/zero; } > $@

# --- nictest (issue #5; guest/nic/, owner: NIC passthrough) --------------------------------
# The e1000 test guest is built from guest/nic/ but named nictest.elf.
NICTEST_OBJ := $(call guest_objs,guest/nic)
$(BUILD)/guest/nictest.elf: $(GUEST_LIB_OBJ) $(NICTEST_OBJ) guest/lib/link.ld
	@echo "  LD32    $@"
	@$(LD) $(GUEST_LDFLAGS) -T guest/lib/link.ld -o $@ $(GUEST_LIB_OBJ) $(NICTEST_OBJ)
	@grub-file --is-x86-multiboot2 $@ || { echo "error: $@ is not multiboot2"; rm -f $@; exit 1; }
guests: $(BUILD)/guest/nictest.elf

# --- mmu (issue #6; guest/mmu/, owner: shadow paging) ---------------------------------------
# Address spaces, copy on write, ring-3 faults, A/D bits: compared natively / EPT / shadow.
GUEST_NAMES += mmu
$(eval $(call guest_rule,mmu))
guests: $(BUILD)/guest/mmu.elf

# --- smptest (issue #10; guest/smp/, SMP) ---------------------------------------------------
# The MADT the guest is given, INIT/SIPI to CPUs it was not given (must stay
# parked), starting its own APs, fixed IPIs. Built from guest/smp/ as smptest.elf.
SMPTEST_OBJ := $(call guest_objs,guest/smp)
$(BUILD)/guest/smptest.elf: $(GUEST_LIB_OBJ) $(SMPTEST_OBJ) guest/lib/link.ld
	@echo "  LD32    $@"
	@$(LD) $(GUEST_LDFLAGS) -T guest/lib/link.ld -o $@ $(GUEST_LIB_OBJ) $(SMPTEST_OBJ)
	@grub-file --is-x86-multiboot2 $@ || { echo "error: $@ is not multiboot2"; rm -f $@; exit 1; }
guests: $(BUILD)/guest/smptest.elf
