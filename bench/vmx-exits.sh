#!/usr/bin/env bash
# VM-exit round trips, measured in Bochs where the TSC counts executed
# instructions (clock: sync=none, fixed time0: runs repeat exactly), so the
# figures are uhv's exit-path lengths in instructions, VM exit and VM entry
# counting about one each.
#
# Method: guest/bench times N iterations of CPUID (leaf 0), VMCALL
# (UHV_HC_VERSION) and IN from port 0x510 (intercepted by uhv) with RDTSC,
# subtracts an empty loop, and divides by N. The same guest booted natively
# by GRUB (no uhv) gives the native figures (CPUID and IN from port 0x80 do
# not exit there; VMCALL is not available natively).
set -uo pipefail
cd "$(dirname "$0")/.."
iters=${BENCH_ITERS:-10000}
model=${BENCH_MODEL:-bochs}
out=build/bench
mkdir -p "$out"
make -s all >/dev/null || exit 1
guest/mkiso-native.sh "$out/bench-native.iso" build/guest/bench.elf "iters=$iters" >/dev/null
scripts/mkiso.sh --test "$out/bench-uhv.iso" "" build/guest/bench.elf "iters=$iters"
scripts/emu.sh "$model" "$out/bench-native.iso" "$out/native.log" 600
scripts/emu.sh "$model" "$out/bench-uhv.iso" "$out/uhv.log" 600
get() { sed -n "s/.*guest: bench $2[-0-9a-fx]*: \([0-9]*\) ticks.*/\1/p" "$1" | tail -1; }
printf '\nVM-exit round trips in Bochs %s (TSC = instructions), %s iterations each\n' "$model" "$iters"
printf '%-10s %14s %14s\n' "operation" "native" "under uhv"
status=0
for op in cpuid vmcall io; do
	n=$(get "$out/native.log" "$op"); u=$(get "$out/uhv.log" "$op")
	printf '%-10s %14s %14s\n' "$op" "${n:-n/a}" "${u:-MISSING}"
	[ -n "$u" ] || status=1
done
grep -a "guest: bench" "$out/uhv.log" | sed 's/^/  /'
cpuid=$(get "$out/uhv.log" cpuid)
if [ -n "$cpuid" ]; then
	if [ "$cpuid" -le 120 ]; then echo "CPUID round trip $cpuid <= 120 instructions: target met"
	else echo "CPUID round trip $cpuid > 120 instructions: target NOT met"; status=1; fi
fi
echo "logs: $out/native.log $out/uhv.log"
exit $status
