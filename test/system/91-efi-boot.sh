#!/usr/bin/env bash
# Issue 19: uhv.efi (efi/, docs/uefi.md) boots uhv under OVMF from a FAT folder
# (scripts/mkesp.sh, QEMU's vvfat) without GRUB:
#  - probe with two modules: uhv.efi's own lines, then uhv's closing line; the
#    multiboot2 information it built (loader name, modules with their strings,
#    both memory maps, RSDP v1/v2, EFI system table, load base) as uhv reads it;
#  - vtd-selftest under intel-iommu: the VT-d self-test reaches its PASS;
#  - a missing uhv.cfg, a garbled one and a missing module: a clear message on
#    the firmware console (OVMF copies ConOut to the serial port) and uhv.efi
#    returns to the boot manager, which goes on to its next entry (OVMF's UEFI
#    shell): no hang, no uhv.
. "$(dirname "$0")/lib.sh"
make -s efi >/dev/null || { echo "cannot build build/uhv.efi"; exit 1; }
guest=build/guest/selftest.elf

dir=$(esp probe "probe loglevel=info" "$guest" "guest args x=1" "$guest" "")
boot efi-probe qemu-ovmf-esp "$dir" 90
expect "^uhv.efi: uhv.cfg: uhv.elf probe loglevel=info, 2 module\(s\)" "uhv.efi read uhv.cfg"
expect "^uhv.efi: uhv.elf at 0x[0-9A-F]+ \([0-9]+ KiB\), entry 0x[0-9A-F]+" "uhv.elf placed"
expect "^uhv.efi: leaving boot services, entering uhv" "boot services left"
expect "^uhv microhypervisor" "uhv's banner"
expect "uhv mb2: boot loader 'uhv.efi', command line 'probe loglevel=info'" "loader name and command line"
expect "uhv mb2: module 0: 0x[0-9a-f]+-0x[0-9a-f]+ \([0-9]+ KiB\) 'guest args x=1'" "module 0 with its string"
expect "uhv mb2: module 1: 0x[0-9a-f]+-0x[0-9a-f]+ \([0-9]+ KiB\) ''" "module 1, empty string"
expect "uhv mb2: boot info: BIOS map \([0-9]+ entries\), EFI map \([0-9]+ descriptors of 48 bytes\), meminfo 640/[0-9]+ KiB, RSDP v1, RSDP v2, loaded at 0x[0-9a-f]+" \
	"both memory maps, meminfo, both RSDPs, load base"
expect "uhv mb2: EFI: system table 0x[0-9a-f]+, boot services terminated" "EFI system table"
expect "uhv acpi: RSDP rev 2 .*XSDT" "ACPI through the RSDP it was given"
expect "W\^X check: 0 writable\+executable" "uhv's own page tables"
reject "multiboot2 info \+0x" "complaints about the boot information"
expect_end qemu pass "probe complete" "closing line"

dir=$(esp vtd "vtd-selftest")
boot efi-vtd qemu-ovmf-esp-iommu "$dir" 120
expect "uhv mb2: boot loader 'uhv.efi', command line 'vtd-selftest'" "booted by uhv.efi"
expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "VT-d self-test PASS"
expect_end qemu pass "" "closing line"

# the failures: OVMF's boot manager goes on to its UEFI shell, where the run is stopped
shell='UEFI Interactive Shell|Shell> '
export UHV_STOP_AT=$shell
bad_case() {
	local name=$1 dir=$2 msg=$3 what=$4
	boot "efi-$name" qemu-ovmf-esp "$dir" 90
	expect "^uhv.efi: $msg" "$what"
	expect "^uhv.efi: not booting uhv \(.*\); back to the firmware's boot manager" "uhv.efi gives up"
	expect "$shell" "the firmware goes on (its UEFI shell)"
	reject "^uhv microhypervisor" "uhv started"
	if [ "$RC" = 100 ]; then echo "  ok: stopped at the shell (no hang)"
	else echo "  WRONG: exit status $RC, expected 100 (stopped at the shell)"; fails=$((fails + 1)); fi
}

dir=$(esp nocfg "probe")
rm "$dir/EFI/BOOT/uhv.cfg"
bad_case nocfg "$dir" 'cannot open the configuration \\EFI\\BOOT\\uhv\.cfg \(Not Found\)' \
	"missing uhv.cfg named"
expect "^uhv.efi: uhv.efi needs uhv.cfg in its folder" "what to do"

dir=$(esp garbled "probe")
printf 'uhv uhv.elf probe\nkernel vmlinuz quiet\n' > "$dir/EFI/BOOT/uhv.cfg"
bad_case garbled "$dir" "uhv.cfg: line 2: unknown directive 'kernel'" "garbled line named"

dir=$(esp nomodule "probe")
echo "module no-such-kernel console=ttyS0" >> "$dir/EFI/BOOT/uhv.cfg"
bad_case nomodule "$dir" 'cannot open the guest kernel \\EFI\\BOOT\\no-such-kernel \(Not Found\)' \
	"missing guest kernel named"
finish
