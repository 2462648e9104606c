#!/usr/bin/env bash
# uhv's own memory (docs/architecture.md "Footprint"): the footprint line uhv prints at the end
# of probe and of boot, from QEMU q35 + intel-iommu (probe: VT-d tables) and Bochs with 2 CPUs
# and the selftest guest under EPT (per-CPU state, the EPT). Figures in KiB.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
make -s all guests >/dev/null || exit 1
scripts/mkiso.sh --test "$out/footprint-probe.iso" "probe" >/dev/null
scripts/mkiso.sh --test "$out/footprint-guest.iso" "" build/guest/selftest.elf "selftest" >/dev/null
scripts/emu.sh qemu-iommu "$out/footprint-probe.iso" "$out/footprint-probe.log" 120
UHV_CPUS=2 scripts/emu.sh bochs "$out/footprint-guest.iso" "$out/footprint-guest.log" 600
printf '\nuhv footprint (KiB)\n%-34s %6s %6s %6s %8s %5s %5s %6s %6s\n' run image pool used \
	per-CPU EPT VT-d shadow other
status=0
for run in "QEMU+intel-iommu probe:probe" "Bochs 2 CPUs selftest (EPT):guest"; do
	name=${run%%:*} log=$out/footprint-${run##*:}.log
	line=$(grep -a "^uhv mm: footprint " "$log" | tail -1)
	re='image ([0-9]+) KiB; pool ([0-9]+) KiB, used ([0-9]+) KiB \(per-CPU ([0-9]+), EPT ([0-9]+), VT-d ([0-9]+), shadow ([0-9]+), other ([0-9]+) KiB\)'
	if [[ $line =~ $re ]]; then
		printf '%-34s %6s %6s %6s %8s %5s %5s %6s %6s\n' "$name" "${BASH_REMATCH[@]:1:8}"
	else
		printf '%-34s MISSING (see %s)\n' "$name" "$log"; status=1
	fi
done
exit $status
