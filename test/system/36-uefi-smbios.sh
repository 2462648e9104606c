#!/usr/bin/env bash
# UEFI machines (issue 17 item 8): OVMF names the SMBIOS entry point only in the EFI
# configuration tables (its F segment has none), so uhv finds it there and gives the guest a copy
# where a BIOS guest and Linux without EFI scan, 0xf0000-0xfffff, in a page of guest RAM mapped
# there; the entry point and the structure table it names are readable by the guest (MMIO
# policy). QEMU has no VMX, so the run ends at vmx_init, after the guest's memory is built; what
# uhv gave is in the log. The RSDP comes from the multiboot2 tags, as on BIOS machines.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }

boot uefi-smbios-probe qemu-ovmf "$(iso probe 'probe')" 120
expect "uhv mb2: EFI: system table 0x[0-9a-f]+, boot services terminated" "EFI system table passed"
expect "uhv: SMBIOS: [23]\.x entry point at 0x[0-9a-f]+ \(EFI configuration table\), structure table at 0x[0-9a-f]+, [1-9][0-9]* bytes" "entry point found in the EFI configuration table"
expect "uhv acpi: RSDP rev 2 .*XSDT" "RSDP from the boot loader"
expect_end qemu pass "probe complete" "probe completes"

boot uefi-smbios-guest qemu-ovmf "$(iso guest '' build/guest/selftest.elf 'selftest')" 120
ep=$(sed -n 's/^uhv: SMBIOS: .* entry point at \(0x[0-9a-f]*\) (EFI configuration table), structure table at \(0x[0-9a-f]*\).*/\1 \2/p' "$LOG" | head -1)
expect "uhv platform: guest SMBIOS: _SM3?_ entry point at 0xf[0-9a-f]{3}0 \(a copy of the firmware's at ${ep% *}, named by the EFI configuration table\), backed by guest RAM 0x[0-9a-f]+; structure table at ${ep#* }" "entry point copied into the guest's F segment"
expect "uhv platform: guest ACPI: RSDP at 0x[0-9a-f]+" "the guest's RSDP"
expect_end qemu fail "no usable VMX" "run ends at vmx_init (QEMU has no VMX)"
finish
