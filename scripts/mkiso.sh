#!/usr/bin/env bash
# Build a bootable hybrid (BIOS + UEFI) ISO with GRUB:
#   scripts/mkiso.sh [--test] OUT.iso "UHV CMDLINE" [MODULE_FILE "MODULE ARGS"]...
# The first module is the guest kernel (its string is the guest command line),
# the next ones its modules (initrd), as with Xen. The ISO holds the production
# image build/uhv.elf; with --test the test variant build/uhv-test.elf, which
# has the test hooks the test guests use (include/uhv/test_hooks.h). UHV_ELF
# names another image (guest/mkiso-native.sh boots a guest kernel that way).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
elf=${UHV_ELF:-$top/build/uhv.elf}
if [ "${1:-}" = --test ]; then
	shift
	elf=${UHV_ELF:-$top/build/uhv-test.elf}
fi
[ -f "$elf" ] || { echo "mkiso.sh: no $elf (make all builds it)" >&2; exit 1; }
out=$1; shift
cmdline=${1:-}; shift || true
stage=$(mktemp -d)
errlog=$(mktemp)
trap 'rm -rf "$stage" "$errlog"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/uhv.elf"
mods=""
i=0
while [ $# -ge 1 ]; do
	f=$1; args=${2:-}; shift; shift || true
	name=$(basename "$f")
	cp "$f" "$stage/boot/m$i-$name"
	mods+="	module2 /boot/m$i-$name $args"$'\n'
	i=$((i + 1))
done
# gfxpayload=text (after multiboot2, which sets it from uhv's framebuffer tag): under BIOS uhv's screen console uses VGA text mode (a graphics mode from VBE
# works too); under UEFI there is no text mode and GRUB passes the GOP framebuffer (efi_gop,
# from all_video: without a video module GRUB EFI says "no suitable video mode found").
cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
insmod all_video
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "uhv" {
	multiboot2 /boot/uhv.elf $cmdline
$mods	if [ "\$grub_platform" = pc ]; then set gfxpayload=text; fi
	boot
}
CFG
mkdir -p "$(dirname "$out")"
grub-mkrescue -o "$out" "$stage" >/dev/null 2>"$errlog" || { cat "$errlog" >&2; exit 1; }
