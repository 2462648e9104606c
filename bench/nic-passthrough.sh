#!/usr/bin/env bash
# NIC passthrough throughput (issue #5): nictest's timed ping loop (N sequential ICMP echo round
# trips to Bochs' vnet gateway, polling, no console output inside the loop), once booted natively
# by GRUB and once under uhv with the e1000 passed through (iommu=off: Bochs has no IOMMU).
#
# Bochs' TSC counts executed instructions (clock: sync=none, fixed time0), so "ticks per round
# trip" is a deterministic cost: the guest's instructions plus whatever uhv adds. Round trips per
# second are at Bochs' ips (200 M ticks = 1 virtual second). The exits are the guest's
# UHV_HC_EXIT_COUNT difference around the loop (the counting VMCALL excluded), split into data
# path and uhv's own VMX-preemption timer (its console poll). Target: uhv >= 98 % of native,
# zero data-path exits.
set -uo pipefail
cd "$(dirname "$0")/.."
pings=${BENCH_PINGS:-200}
out=build/bench
mkdir -p "$out"
make -s all >/dev/null || exit 1
guest/mkiso-native.sh "$out/nic-native.iso" build/guest/nictest.elf "net=bochs pings=$pings" >/dev/null
scripts/mkiso.sh --test "$out/nic-uhv.iso" "iommu=off" build/guest/nictest.elf "net=bochs pings=$pings" >/dev/null
scripts/emu.sh bochs "$out/nic-native.iso" "$out/nic-native.log" 600 &
scripts/emu.sh bochs "$out/nic-uhv.iso" "$out/nic-uhv.log" 600
wait
per() { sed -n 's/.*guest: bench nic-ping: .* \([0-9]*\) ticks\/round trip.*/\1/p' "$1" | tail -1; }
rate() { sed -n 's/.*ticks\/round trip, \([0-9]*\) round trips\/s.*/\1/p' "$1" | tail -1; }
n=$(per "$out/nic-native.log"); u=$(per "$out/nic-uhv.log")
nr=$(rate "$out/nic-native.log"); ur=$(rate "$out/nic-uhv.log")
ex=$(sed -n 's/.*guest: nic: VM exits during the loop: \(.*\)/\1/p' "$out/nic-uhv.log" | tail -1)
printf '\nnictest ping loop in Bochs corei7_skylake_x, ips=200M, vnet, %s round trips\n' "$pings"
printf '%-10s %22s %18s\n' "" "ticks per round trip" "round trips/s"
printf '%-10s %22s %18s\n' native "${n:-MISSING}" "${nr:-?}" uhv "${u:-MISSING}" "${ur:-?}"
echo "VM exits during the loop under uhv: ${ex:-MISSING}"
grep -a "guest: bench nic-ping" "$out/nic-native.log" "$out/nic-uhv.log" | sed 's/^/  /'
status=0
if [ -n "$n" ] && [ -n "$u" ]; then
	pct=$(( n * 10000 / u ))
	printf 'uhv reaches %d.%02d %% of native throughput (native ticks / uhv ticks)\n' $((pct / 100)) $((pct % 100))
	if [ "$pct" -ge 9800 ]; then echo "target >= 98 %: met"; else echo "target >= 98 %: NOT met"; status=1; fi
else
	status=1
fi
case "$ex" in *"data path 0,"*) echo "zero data-path exits: met" ;; *) echo "zero data-path exits: NOT met"; status=1 ;; esac
echo "logs: $out/nic-native.log $out/nic-uhv.log"
exit $status
