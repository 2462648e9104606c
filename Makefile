# uhv build. `make` builds build/uhv.elf, `make iso` the hybrid BIOS/UEFI ISO,
# `make test` runs host unit tests and emulator system tests, `make run` boots
# uhv in the best emulator present. Packages are installed by scripts/deps.sh.
# build/uhv.elf is the production image. The test suite boots the test variant
# build/uhv-test.elf (`make` builds it too): the same sources compiled with
# -DUHV_TEST_BUILD (objects in build/k-test/) plus the test-only files in
# KSRC_TEST_ONLY, which hold the test hooks (include/uhv/test_hooks.h).

BUILD     ?= build
CC        := gcc
LD        := ld
NASM      := nasm
HOSTCC    ?= gcc

# --- the hypervisor -----------------------------------------------------------
EFI_CFLAGS := -I/usr/include/efi -I/usr/include/efi/x86_64
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -fcf-protection=none -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude $(EFI_CFLAGS) -MMD -MP
KLDFLAGS := -n -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld
NASMFLAGS := -f elf64 -g -Iinclude/

KDIRS := boot arch acpi mm vmx vm vplatform vdev passthrough debug loader drivers lib
KSRC_C   := $(sort $(foreach d,$(KDIRS),$(wildcard $(d)/*.c)))
KSRC_ASM := $(sort $(foreach d,$(KDIRS),$(wildcard $(d)/*.asm)))
# test hooks: only in build/uhv-test.elf, never in the production image
KSRC_TEST_ONLY := vmx/test_hooks.c arch/panic_test.c drivers/vtd_test_hooks.c arch/x2apic_test.c
KSRC_C   := $(filter-out $(KSRC_TEST_ONLY),$(KSRC_C))
KOBJ := $(patsubst %.c,$(BUILD)/k/%.o,$(KSRC_C)) $(patsubst %.asm,$(BUILD)/k/%.asm.o,$(KSRC_ASM))
KOBJ_TEST := $(patsubst %.c,$(BUILD)/k-test/%.o,$(KSRC_C) $(KSRC_TEST_ONLY)) \
	     $(patsubst %.asm,$(BUILD)/k-test/%.asm.o,$(KSRC_ASM))

.PHONY: all iso test unit systest test-nested run bench clean deps guests test-variant efi
all: $(BUILD)/uhv.elf guests test-variant
test-variant: $(BUILD)/uhv-test.elf

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k-test/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-TEST $<"
	@$(CC) $(KCFLAGS) -DUHV_TEST_BUILD -c $< -o $@

$(BUILD)/k/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) -MD $@.d -MP $< -o $@

$(BUILD)/k-test/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@$(NASM) $(NASMFLAGS) -DUHV_TEST_BUILD -MD $@.d -MP $< -o $@

$(BUILD)/uhv.elf $(BUILD)/uhv-test.elf: linker.ld
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(filter %.o,$^)
	@grub-file --is-x86-multiboot2 $@ || { echo "error: $@ is not a valid multiboot2 image"; rm -f $@; exit 1; }
$(BUILD)/uhv.elf: $(KOBJ)
$(BUILD)/uhv-test.elf: $(KOBJ_TEST)

# --- test guests (guest/<name>/*.c|asm -> build/guest/<name>.elf) -----------------
guests:
-include guest/guests.mk

# --- uhv.efi: the UEFI loader (efi/, docs/uefi.md) -----------------------------------
# A GNU-EFI application: Debian gnu-efi's crt0, linker script and libraries, then
# objcopy to a PE32+ EFI application. The same uhv.elf boots from it and from GRUB.
GNUEFI_LIB := /usr/lib
EFI_APP_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-fpic -fshort-wchar -mno-red-zone -ffreestanding -fno-stack-protector \
	-fno-strict-aliasing -fcf-protection=none -DGNU_EFI_USE_MS_ABI \
	-Iinclude $(EFI_CFLAGS) -MMD -MP
EFI_APP_SRC := $(sort $(wildcard efi/*.c)) lib/format.c
EFI_APP_OBJ := $(patsubst %.c,$(BUILD)/efi/%.o,$(EFI_APP_SRC)) $(BUILD)/efi/efi/trampoline.asm.o
efi: $(BUILD)/uhv.efi

$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-EFI  $<"
	@$(CC) $(EFI_APP_CFLAGS) -c $< -o $@

$(BUILD)/efi/efi/trampoline.asm.o: efi/trampoline.asm
	@mkdir -p $(dir $@)
	@$(NASM) -f elf64 $< -o $@

$(BUILD)/uhv.efi.so: $(EFI_APP_OBJ)
	@echo "  LD      $@"
	@$(LD) -nostdlib -znocombreloc -shared -Bsymbolic -T $(GNUEFI_LIB)/elf_x86_64_efi.lds \
		$(GNUEFI_LIB)/crt0-efi-x86_64.o $^ -L$(GNUEFI_LIB) -lefi -lgnuefi -o $@

$(BUILD)/uhv.efi: $(BUILD)/uhv.efi.so
	@echo "  OBJCOPY $@"
	@objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .reloc \
		--target=efi-app-x86_64 --subsystem=10 $< $@

# --- ISO -------------------------------------------------------------------------
# scripts/mkiso.sh [--test] OUT CMDLINE [MODULE "ARGS"]... builds any variant; this is the
# default one, with the production image.
UHV_CMDLINE ?=
iso: $(BUILD)/uhv.iso
$(BUILD)/uhv.iso: $(BUILD)/uhv.elf scripts/mkiso.sh
	scripts/mkiso.sh $@ "$(UHV_CMDLINE)"

# --- host unit tests ---------------------------------------------------------------
# Each test/unit/test_X.c names the sources it tests on a line
#   // UNIT-SOURCES: path/a.c path/b.c
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -Iinclude $(EFI_CFLAGS) -Itest/unit -DUHV_HOST_TEST -fsanitize=address,undefined -fno-omit-frame-pointer -MMD -MP
UNIT_SRC   := $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS  := $(patsubst test/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_COMMON := test/unit/log_capture.c test/unit/files.c test/unit/arena.c lib/format.c lib/errno.c
unit_sources = $(shell sed -n 's#^// UNIT-SOURCES:##p' $(1))
# `// UNIT-CFLAGS: -DUHV_TEST_BUILD` tests the sources as the test variant compiles them
unit_cflags = $(shell sed -n 's#^// UNIT-CFLAGS:##p' $(1))

.SECONDEXPANSION:
$(BUILD)/unit/%: test/unit/%.c $$(call unit_sources,test/unit/$$*.c) $(UNIT_COMMON)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOST_CFLAGS) $(call unit_cflags,$<) -o $@ $< $(call unit_sources,$<) $(UNIT_COMMON) -lcmocka

unit-build: $(UNIT_BINS)
unit: unit-build
	scripts/run-tests.sh --unit-only

# --- everything -----------------------------------------------------------------------
test: deps
	$(MAKE) all unit-build efi $(BUILD)/uhv.iso
	scripts/run-tests.sh

systest: all efi $(BUILD)/uhv.iso
	scripts/run-tests.sh --system-only

# The nested tier alone (Bochs -> Linux/KVM -> QEMU -> uhv); also part of `make test`.
test-nested: deps
	$(MAKE) all $(BUILD)/uhv.iso
	scripts/run-tests.sh --system-only nested

run: deps
	$(MAKE) all
	scripts/run.sh

bench: deps
	$(MAKE) all
	scripts/bench.sh

deps:
	@scripts/deps.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/k $(BUILD)/k-test $(BUILD)/unit $(BUILD)/efi -type f -name '*.d' 2>/dev/null)
