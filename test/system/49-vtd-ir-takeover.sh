#!/usr/bin/env bash
# Issue 16 items 1 and 4: interrupt remapping that firmware (or a previous kernel) left on is
# taken over. The test variant's vtd-test-ir-preenable first turns IR on in QEMU's unit with a
# throwaway table (entries 1-2 deliver vector 0x5a from any source) and compatibility format
# allowed (CFIS set; QEMU 7.2 implements no CFI, so there it stays clear), as firmware might. uhv must then clear CFI, install its own table with IRE
# kept on and invalidate the interrupt-entry cache, and say how long firmware's cached entries
# were usable. The self-test's remapped MSI through uhv's IRTE 1 must then arrive at uhv's
# vector 0xa5, not firmware's 0x5a (uhv at fb20f5f left firmware's IR alone: its table would
# deliver 0x5a, or, without the fix, the option does not even exist), and GSTS must show CFIS
# clear. A second run adds vtd-test-fw-te (translation and firmware's queue on too).
source "$(dirname "$0")/lib.sh"

takeover_checks() {
	expect_rc qemu pass
	expect "test hook: firmware-like interrupt remapping: unit @0xfed90000 remapping \(GSTS 0x[0-9a-f]+\) with a throwaway table at 0x[0-9a-f]+: entries 1-2 deliver vector 0x5a, compatibility format allowed" \
		"firmware-like state set up before uhv's VT-d setup"
	local g
	g=$(sed -n 's/.*firmware-like interrupt remapping: .*(GSTS \(0x[0-9a-f]*\)).*/\1/p' "$LOG" | head -1)
	# IRES (and CFIS where the unit implements CFI: QEMU 7.2 does not)
	if [ -n "$g" ] && [ $(( g & 0x02000000 )) -ne 0 ]; then
		echo "  ok: firmware-like GSTS $g has IRES set (CFIS $(( (g >> 23) & 1 )))"
	else
		echo "  WRONG: firmware-like GSTS '${g}' lacks IRES"; fails=$((fails + 1))
	fi
	expect "unit 0 @0xfed90000: firmware left interrupt remapping enabled \(table 0x[0-9a-f]+(, compatibility format allowed)?\); taking over without turning it off" \
		"takeover announced"
	expect "took over interrupt remapping: remapping stayed on, new table and global interrupt-entry-cache invalidation" \
		"IR never off during the takeover"
	local w
	w=$(sed -n "s/.*firmware's cached entries usable for at most \([0-9]*\) TSC ticks (\([0-9]*\) us), the whole takeover \([0-9]*\) ticks.*/\1 \2 \3/p" "$LOG" | head -1)
	if [ -n "$w" ]; then
		set -- $w
		echo "  ok: stale-entry window $1 TSC ticks ($2 us), whole takeover $3 ticks"
	else
		echo "  MISSING: window measurement"; fails=$((fails + 1))
	fi
	expect "unit 0 @0xfed90000: interrupt remapping enabled \(1024-entry table at 0x[0-9a-f]+ in uhv's memory" \
		"uhv's table in"
	expect "unit GSTS 0x[0-9a-f]+ \(IRES 1 CFIS 0\)" "CFIS cleared by uhv"
	expect "ok: remapped MSI: NIC 01:00\.0's MSI through IRTE 1 .* arrived at vector 0xa5 on CPU 0" \
		"MSI uses uhv's IRTE (0xa5), not firmware's (0x5a)"
	expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test PASS after the takeover"
	reject "vtd-selftest: ERROR|FAIL" "self-test errors"
	reject "taking over interrupt remapping failed|interrupt remapping NOT|timed out" \
		"takeover problems"
	reject "unexpected interrupt vector|PANIC" "stray interrupts in uhv"
}

img=$(iso vtd-ir-takeover "vtd-selftest vtd-test-ir-preenable")
boot vtd-ir-takeover qemu-iommu-e1000e "$img" 60
takeover_checks
img=$(iso vtd-ir-takeover-te "vtd-selftest vtd-test-ir-preenable vtd-test-fw-te")
boot vtd-ir-takeover-te qemu-iommu-e1000e "$img" 60
takeover_checks
expect "took over from firmware: translation stayed on, firmware's invalidation queue stopped" \
	"translation taken over as well"
finish
