#!/usr/bin/env bash
# TSC frequency sources (arch/timer.c). Under QEMU TCG the guest's TSC is the host's TSC
# (QEMU reads the host's with cpu_get_host_ticks), so the true figure is the host's rate,
# measured here against CLOCK_MONOTONIC (scripts/host-tsc-khz.c). Checks, each within 1 %:
#  - q35 with pit=off: the PIT is gated off, uhv measures against the ACPI PM timer (it used
#    to spin on the silent PIT and print ~5 MHz "calibrated against the PIT");
#  - with the PIT present: still the PM timer (first in order), and the figure agrees;
#  - q35, pit=off, with the test variant's tsc-skip-pm: the HPET (from the ACPI HPET table);
#  - pc with acpi=off: no PM timer nor HPET table, PIT channel 2 (seen counting first);
#  - pc with acpi=off and pit=off: nothing counts; uhv says so as an error, does not hang
#    (the old code spun 10^8 reads) and still ends the run.
# QEMU TCG reports no CPUID leaf 0x15 (not even with -cpu max,tsc-frequency=,level=0x16), so
# the CPUID path and the choice between CPUID and a measurement are unit-tested
# (test_tsc_calib); Bochs (13-boot-bochs) shows the instruction-counting TSC.
. "$(dirname "$0")/lib.sh"
host=build/host-tsc-khz
cc -O2 -o "$host" scripts/host-tsc-khz.c || { echo "cannot build the host TSC probe"; exit 1; }
true_khz=$("$host")
echo "[tsc] host TSC (QEMU TCG's guest TSC): $true_khz kHz"
isof=$(iso probe "probe")

# within1 WHAT: the last "TSC N.NNN MHz" of $LOG within 1 % of $true_khz
within1() {
	local mhz khz
	mhz=$(grep -aoE "uhv timer: TSC [0-9]+\.[0-9]+ MHz" "$LOG" | tail -1 | grep -oE "[0-9]+\.[0-9]+")
	if [ -z "$mhz" ]; then
		echo "  MISSING: a TSC line ($1)"; fails=$((fails + 1)); return
	fi
	khz=$(awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }')
	if awk -v a="$khz" -v b="$true_khz" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= b) }'; then
		echo "  ok: $1: $mhz MHz, true $true_khz kHz"
	else
		echo "  WRONG: $1: $mhz MHz, true $true_khz kHz (more than 1 % off)"; fails=$((fails + 1))
	fi
}

boot tsc-pit-off qemu "$isof" 90 -- -M q35,pit=off
expect "uhv timer: TSC [0-9.]+ MHz \(ACPI PM timer over [0-9]+ ms\)" "PIT off: calibrated against the ACPI PM timer"
reject "calibrated against the PIT" "claim of a PIT calibration without a PIT"
within1 "PIT off"
expect_end qemu pass "probe complete"

boot tsc-pit-on qemu "$isof" 90
expect "uhv timer: TSC [0-9.]+ MHz \(ACPI PM timer over [0-9]+ ms\)" "PIT present: the PM timer still comes first"
within1 "PIT present"
expect_end qemu pass "probe complete"

boot tsc-hpet qemu "$(iso hpet "probe tsc-skip-pm")" 90 -- -M q35,pit=off
expect "uhv timer: TSC [0-9.]+ MHz \(HPET over [0-9]+ ms\)" "PM timer skipped, PIT off: the HPET"
within1 "HPET"
expect_end qemu pass "probe complete"

boot tsc-pit qemu "$isof" 90 -- -M pc,acpi=off
expect "uhv timer: TSC [0-9.]+ MHz \(PIT over [0-9]+ ms\)" "no ACPI: PIT channel 2"
within1 "PIT"
expect_end qemu pass "probe complete"

boot tsc-none qemu "$isof" 90 -- -M pc,acpi=off,pit=off
expect "uhv timer: PIT: does not count" "the silent PIT is noticed"
expect "uhv timer: ERROR: no way to learn the TSC frequency.*Assuming 1 GHz" "said loudly"
reject "uhv timer: TSC [0-9.]+ MHz" "a frequency claimed without a source"
expect_end qemu pass "probe complete"
finish
