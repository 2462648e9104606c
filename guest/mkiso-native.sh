#!/usr/bin/env bash
# Build an ISO on which GRUB boots a test guest directly, without uhv, to
# check the guest itself (it then reports uhv-only checks as skipped):
#   guest/mkiso-native.sh OUT.iso KERNEL.elf "KERNEL ARGS" [MODULE "ARGS"]...
# Boot it with scripts/emu.sh, e.g.
#   scripts/emu.sh qemu OUT.iso build/test-logs/native-selftest.log 60
set -euo pipefail
out=$1 kernel=$2 args=${3:-}
shift 3 || shift $#
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/kernel.elf"
mods=""
i=0
while [ $# -ge 1 ]; do
	f=$1; margs=${2:-}; shift; shift || true
	cp "$f" "$stage/boot/m$i-$(basename "$f")"
	mods+="	module2 /boot/m$i-$(basename "$f") $margs"$'\n'
	i=$((i + 1))
done
cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "guest" {
	multiboot2 /boot/kernel.elf $args
$mods	boot
}
CFG
mkdir -p "$(dirname "$out")"
grub-mkrescue -o "$out" "$stage" >/dev/null 2>"$stage/log" || { cat "$stage/log" >&2; exit 1; }
