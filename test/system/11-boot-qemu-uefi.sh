#!/usr/bin/env bash
# Foundation boot under QEMU q35 + OVMF (UEFI GRUB): fragmented EFI memory
# map, XSDT, same ISO as BIOS.
. "$(dirname "$0")/lib.sh"
boot boot-qemu-uefi qemu-ovmf "$(iso probe "probe")" 90
expect "^uhv microhypervisor" "banner"
expect "uhv mb2: boot info: .*EFI map \([0-9]+ descriptors of 48 bytes\)" "EFI memory map seen (48-byte descriptors)"
expect "uhv mb2: EFI: system table 0x[0-9a-f]+, boot services terminated" "EFI system table"
expect "uhv mm: usable [0-9]+ MiB, reserved for uhv" "memory map summary"
expect "W\^X check: 0 writable\+executable" "W^X check"
expect "uhv acpi: RSDP rev 2 .*XSDT" "ACPI root is the XSDT under UEFI"
expect "uhv acpi: MADT: 1 CPU" "MADT decoded"
expect "uhv pci: 00:02.0 8086:100e class 0200" "e1000 listed"
expect_end qemu pass "probe complete" "clean exit"
finish
