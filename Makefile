# uhv build. `make` builds build/uhv.elf, `make iso` the hybrid BIOS/UEFI ISO,
# `make test` runs host unit tests and emulator system tests, `make run` boots
# uhv in the best emulator present. Packages are installed by scripts/deps.sh.

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
KOBJ := $(patsubst %.c,$(BUILD)/k/%.o,$(KSRC_C)) $(patsubst %.asm,$(BUILD)/k/%.asm.o,$(KSRC_ASM))

.PHONY: all iso test unit systest test-nested run bench clean deps guests
all: $(BUILD)/uhv.elf guests

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) -MD $@.d -MP $< -o $@

$(BUILD)/uhv.elf: $(KOBJ) linker.ld
	@echo "  LD      $@"
	@$(LD) $(KLDFLAGS) -o $@ $(KOBJ)
	@grub-file --is-x86-multiboot2 $@ || { echo "error: $@ is not a valid multiboot2 image"; rm -f $@; exit 1; }

# --- test guests (guest/<name>/*.c|asm -> build/guest/<name>.elf) -----------------
guests:
-include guest/guests.mk

# --- ISO -------------------------------------------------------------------------
# scripts/mkiso.sh OUT CMDLINE [MODULE "ARGS"]... builds any variant; this is the default one.
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

.SECONDEXPANSION:
$(BUILD)/unit/%: test/unit/%.c $$(call unit_sources,test/unit/$$*.c) $(UNIT_COMMON)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(call unit_sources,$<) $(UNIT_COMMON) -lcmocka

unit-build: $(UNIT_BINS)
unit: unit-build
	scripts/run-tests.sh --unit-only

# --- everything -----------------------------------------------------------------------
test: deps
	$(MAKE) all unit-build $(BUILD)/uhv.iso
	scripts/run-tests.sh

systest: all $(BUILD)/uhv.iso
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

-include $(shell find $(BUILD)/k $(BUILD)/unit -type f -name '*.d' 2>/dev/null)
