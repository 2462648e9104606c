#!/usr/bin/env bash
# Linux boot cost under uhv vs natively, in the same Bochs configuration
# (scripts/emu.sh bochs: corei7_skylake_x, ips=200M, clock sync=none, so runs
# repeat tick for tick), and the VM exits during the boot by reason.
#
# Both runs boot the same bzImage + initramfs with the same kernel command
# line (scripts/linux/cmdline.sh bochs uhvexit=userspace: init powers off
# right after printing LINUX-USERSPACE):
#   native: GRUB linux/initrd (scripts/linux/native-boot.sh --to-userspace);
#           Bochs stops at the power-off write: end tick = bochs.log's last tick
#   uhv:    GRUB multiboot2 uhv + modules; uhv traps the power-off write and
#           prints the TSC there ("guest powered off (TSC n)"; Bochs' TSC is
#           its tick count), then its exit statistics
# Ticks to userspace = tick at the power-off - (uptime at "reboot: Power down"
# - uptime at LINUX-USERSPACE) * 200 M: the init's own power-off path is taken
# out. Target: uhv / native <= 1.05.
# LINUX_BENCH_NATIVE_TICKS=n skips the native run and uses n (docs/linux-guest.md
# has the measured value).
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
make -s build/uhv-test.elf >/dev/null || exit 1
scripts/linux/fetch.sh >/dev/null || { echo "linux-boot: cannot fetch the kernel"; exit 1; }
scripts/linux/mkinitramfs.sh >/dev/null || exit 1
ips=200000000

# ticks_to_userspace LOG END_TICK
ticks_to_userspace() {
	awk -v end="$2" -v ips=$ips '
		{ sub(/\r$/, "") }
		/LINUX-USERSPACE: uptime/ { u = $3 }
		/reboot: Power down/ { s = $0; sub(/^[^0-9]*/, "", s); sub(/\].*/, "", s); p = s }
		END { if (u == "" || p == "") exit 1; printf "%.0f\n", end - (p - u) * ips }' "$1"
}

native=${LINUX_BENCH_NATIVE_TICKS:-}
if [ -z "$native" ]; then
	scripts/linux/native-boot.sh --to-userspace --log "$out/linux-native.log" >/dev/null
	end=$(grep -aoE '^[0-9]{11,}' "$out/linux-native.bochs.log" | tail -n1)
	native=$(ticks_to_userspace "$out/linux-native.log" "$((10#$end))") ||
		{ echo "linux-boot: the native run did not reach userspace ($out/linux-native.log)"; exit 1; }
fi

kcmd=$(scripts/linux/cmdline.sh bochs uhvexit=userspace)
scripts/mkiso.sh --test "$out/linux-uhv.iso" "iommu=off" build/linux/vmlinuz "$kcmd" \
	build/linux/initramfs.cpio ""
t0=$(date +%s)
scripts/emu.sh bochs "$out/linux-uhv.iso" "$out/linux-uhv.log" 900
rc=$?
wall=$(( $(date +%s) - t0 ))
tsc=$(sed -n 's/.*guest powered off (TSC \([0-9]*\)).*/\1/p' "$out/linux-uhv.log" | tail -1)
if [ -z "$tsc" ] || ! uhv=$(ticks_to_userspace "$out/linux-uhv.log" "$tsc"); then
	echo "linux-boot: the run under uhv did not end with the guest's power-off (rc $rc);" \
		"see $out/linux-uhv.log"
	tail -20 "$out/linux-uhv.log"
	exit 1
fi

echo
echo "Linux boot to userspace in Bochs (ticks = instructions; ips 200 M)"
grep -a "LINUX-USERSPACE" "$out/linux-uhv.log" | sed 's/^/  under uhv: /'
printf '  %-28s %15s\n' "native (GRUB linux/initrd)" "$native" "under uhv" "$uhv"
awk -v u="$uhv" -v n="$native" 'BEGIN {
	r = u / n
	printf "  ratio %.4f (%+.1f M ticks)  target <= 1.05: %s\n", r, (u - n) / 1e6,
		r <= 1.05 ? "met" : "NOT met" }'
echo "  wall time of the uhv run: ${wall}s"
echo
echo "VM exits during the boot (uhv's exit statistics at the guest's power-off):"
sed -n '/exit statistics:/,/run ended/p' "$out/linux-uhv.log" | grep -v "run ended" |
	sed 's/^uhv vmx: */  /'
echo "logs: $out/linux-uhv.log $out/linux-native.log"
awk -v u="$uhv" -v n="$native" 'BEGIN { exit !(u / n <= 1.05) }'
