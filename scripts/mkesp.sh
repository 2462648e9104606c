#!/usr/bin/env bash
# Build what goes on an EFI system partition to boot uhv with uhv.efi (no GRUB):
#   scripts/mkesp.sh [--test] [--img FAT.img] [--iso OUT.iso] DIR "UHV CMDLINE" [MODULE "ARGS"]...
# DIR gets EFI/BOOT/BOOTX64.EFI (build/uhv.efi, the removable-media path every
# UEFI firmware tries), and next to it uhv.elf, the modules and uhv.cfg naming
# them (docs/uefi.md): the first module is the guest kernel (ARGS its command
# line), the next ones its modules (initrd), as with scripts/mkiso.sh. Copy DIR's
# contents onto a real ESP (README "Booting on real hardware"), or boot it in
# QEMU with -drive format=raw,file=fat:rw:DIR. With mtools, --img also makes a
# FAT image of DIR; --iso an El Torito UEFI CD whose boot image is that FAT image
# (xorriso), for setups that take only a CD (the nested tier's -cdrom).
# --test puts the test variant build/uhv-test.elf in; UHV_ELF names another image.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
elf=${UHV_ELF:-$top/build/uhv.elf}
efi=${UHV_EFI:-$top/build/uhv.efi}
img= iso=
while [ $# -gt 0 ]; do
	case $1 in
	--test) elf=${UHV_ELF:-$top/build/uhv-test.elf}; shift ;;
	--img) img=$2; shift 2 ;;
	--iso) iso=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { sed -n '2,3p' "$0" >&2; exit 2; }
[ -f "$elf" ] || { echo "mkesp.sh: no $elf (make all builds it)" >&2; exit 1; }
[ -f "$efi" ] || { echo "mkesp.sh: no $efi (make efi builds it)" >&2; exit 1; }
dir=$1; shift
cmdline=${1:-}; shift || true
boot=$dir/EFI/BOOT
rm -rf "$dir"
mkdir -p "$boot"
cp "$efi" "$boot/BOOTX64.EFI"
cp "$elf" "$boot/uhv.elf"
{
	echo "# uhv.efi reads this from its own folder (docs/uefi.md)"
	echo "uhv uhv.elf $cmdline"
	i=0
	while [ $# -ge 1 ]; do
		f=$1; args=${2:-}; shift; shift || true
		name=m$i-$(basename "$f")
		cp "$f" "$boot/$name"
		echo "module $name $args"
		i=$((i + 1))
	done
} > "$boot/uhv.cfg"

# a FAT image of DIR: its size is the files' plus room for FAT and directories
fat_image() {
	local out=$1 kib
	kib=$(du -sk "$dir" | cut -f1)
	kib=$(( (kib + kib / 8 + 2048) / 1024 * 1024 + 1024 ))
	rm -f "$out"
	command -v mformat >/dev/null || { echo "mkesp.sh: no mtools (mformat), no image" >&2; exit 1; }
	dd if=/dev/zero of="$out" bs=1024 count="$kib" status=none
	mformat -i "$out" -v UHVESP ::
	mmd -i "$out" ::/EFI ::/EFI/BOOT
	mcopy -i "$out" -s "$boot"/* ::/EFI/BOOT/
}
if [ -n "$img" ]; then
	mkdir -p "$(dirname "$img")"
	fat_image "$img"
fi
if [ -n "$iso" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	fat_image "$stage/esp.img"
	mkdir -p "$(dirname "$iso")"
	xorriso -as mkisofs -quiet -V UHVEFI -e esp.img -no-emul-boot -o "$iso" "$stage" \
		>"$stage/xorriso.log" 2>&1 || { cat "$stage/xorriso.log" >&2; exit 1; }
fi
