#!/usr/bin/env bash
# Boot the Linux guest kernel + initramfs natively (no uhv) with GRUB's
# linux/initrd commands: the baseline that uhv's Linux guest is measured
# against (docs/linux-guest.md).
#   scripts/linux/native-boot.sh [--gzip] [--to-userspace] [--platform P] [--log FILE]
#     --gzip          boot build/linux/initramfs.cpio.gz instead of the plain cpio
#     --to-userspace  init powers off right after its first line (uhvexit=userspace):
#                     the end tick is then the boot cost to userspace
#     --platform P    scripts/emu.sh platform: bochs (default) or qemu (uhvnet=qemu)
# Needs scripts/linux/fetch.sh and scripts/linux/mkinitramfs.sh to have run
# (both are run here when their output is missing).
# Prints the serial console's LINUX-* lines and, for Bochs, the tick count at
# the end of the run (read from Bochs' log, where every line starts with the
# tick count) and the wall time to the LINUX-USERSPACE line and to the end.
# Exit status 0 when the run ended with LINUX-PING: PASS (or, with
# --to-userspace, reached userspace).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/linux
gzip=0 early=0 plat=bochs log=
while [ $# -gt 0 ]; do
	case $1 in
	--gzip) gzip=1 ;;
	--to-userspace) early=1 ;;
	--platform) plat=$2; shift ;;
	--log) log=$2; shift ;;
	*) echo "native-boot.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

[ -f "$out/vmlinuz" ] || "$top/scripts/linux/fetch.sh" || exit 1
initrd=$out/initramfs.cpio
[ $gzip = 1 ] && initrd=$initrd.gz
if [ ! -f "$initrd" ] || [ "$top/scripts/linux/mkinitramfs.sh" -nt "$initrd" ]; then
	args=(); [ $gzip = 1 ] && args=(--gzip)
	"$top/scripts/linux/mkinitramfs.sh" "${args[@]}" || exit 1
fi

# the same command line as under uhv (scripts/linux/cmdline.sh)
cmdline=$("$top/scripts/linux/cmdline.sh" "$plat" $([ $early = 1 ] && echo uhvexit=userspace))

name=native-$plat$([ $gzip = 1 ] && echo -gz)$([ $early = 1 ] && echo -userspace)
iso=$out/$name.iso
[ -n "$log" ] || log=$out/runs/$name.log
stage=$(mktemp -d)
errlog=$(mktemp)
trap 'rm -rf "$stage" "$errlog"' EXIT
mkdir -p "$stage/boot/grub" "$(dirname "$log")"
cp "$out/vmlinuz" "$stage/boot/vmlinuz"
cp "$initrd" "$stage/boot/$(basename "$initrd")"
cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "linux (native)" {
	linux /boot/vmlinuz $cmdline
	initrd /boot/$(basename "$initrd")
	boot
}
CFG
grub-mkrescue -o "$iso" "$stage" >/dev/null 2>"$errlog" || { cat "$errlog" >&2; exit 1; }

rm -f "$log"
t0=$(date +%s.%N)
"$top/scripts/emu.sh" "$plat" "$iso" "$log" 900 &
emu=$!
t_user=
while kill -0 $emu 2>/dev/null; do
	if [ -z "$t_user" ] && grep -q LINUX-USERSPACE "$log" 2>/dev/null; then
		t_user=$(date +%s.%N)
	fi
	sleep 0.2
done
wait $emu
rc=$?
t1=$(date +%s.%N)
[ -z "$t_user" ] && grep -q LINUX-USERSPACE "$log" 2>/dev/null && t_user=$t1

echo "== $name: emulator exit status $rc"
grep -a 'LINUX-' "$log" | tr -d '\r'
awk -v a="$t0" -v b="$t1" -v u="${t_user:-}" 'BEGIN {
	printf "wall: %.1f s to the end", b - a
	if (u != "") printf ", %.1f s to LINUX-USERSPACE", u - a
	printf "\n" }'
blog=${log%.log}.bochs.log
if [ -f "$blog" ]; then
	end=$(grep -aoE '^[0-9]{11,}' "$blog" | tail -n1)
	echo "bochs: $(grep -aE 'soft power off|quit_sim' "$blog" | head -n2 | tr '\n' ' ')"
	echo "bochs ticks at the end: $((10#$end))"
fi
if [ $early = 1 ]; then
	grep -q LINUX-USERSPACE "$log"
else
	grep -q 'LINUX-PING: PASS' "$log"
fi
