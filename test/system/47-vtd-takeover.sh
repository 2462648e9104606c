#!/usr/bin/env bash
# Issue 17 item 4 (VT-d on hardware): a unit that firmware left translating is taken over
# without a window of untranslated DMA. The test variant's vtd-test-fw-te first puts QEMU's
# unit in a firmware-like state (translation on, an empty root table, its invalidation queue
# used once); uhv then installs its own root table with SRTP while TE stays on and invalidates
# globally through the registers (after stopping firmware's queue), and says how long
# firmware's cached translations could still be used. Between that takeover and the normal
# enable, the test hook makes the e1000 fetch a TX descriptor from uhv's memory by its
# host-physical address: it must be blocked (fault, reason 0x01) and the descriptor stay
# untouched. Turning TE off instead (what uhv did) lets that DMA read and write uhv's memory.
# The self-test then runs as usual on the taken-over unit.
source "$(dirname "$0")/lib.sh"

img=$(iso vtd-takeover "vtd-selftest vtd-test-fw-te")
boot vtd-takeover qemu-iommu "$img" 60
expect_rc qemu pass
expect "test hook: firmware-like VT-d state: unit @0xfed90000 translating \(GSTS 0xc4000000\)" \
	"firmware-like state: TE and QIE on before uhv's VT-d setup"
expect "unit 0 @0xfed90000: firmware left translation enabled \(root table 0x[0-9a-f]+\); taking over without turning it off" \
	"takeover announced"
expect "took over from firmware: translation stayed on, firmware's invalidation queue stopped, new root table and global invalidation; DMA was never untranslated" \
	"translation never off"
ticks=$(sed -n "s/.*cached translations usable for at most \([0-9]*\) TSC ticks (\([0-9]*\) us).*/\1 \2/p" "$LOG" | head -1)
if [ -n "$ticks" ]; then echo "  ok: stale-translation window ${ticks% *} TSC ticks (${ticks#* } us)"
else echo "  MISSING: window measurement"; fails=$((fails + 1)); fi
ring=$(sed -n 's/.*DMA during the VT-d takeover (TX descriptor at \(0x[0-9a-f]*\) in uhv.*/\1/p' "$LOG" | head -1)
expect "test hook: NIC 00:02\.0 DMA during the VT-d takeover \(TX descriptor at ${ring:-NONE} in uhv's memory\): blocked \(descriptor untouched\)" \
	"NIC DMA into uhv memory during the takeover blocked"
expect "fault #1: DMA read of ${ring:-NONE} by 00:02\.0 blocked: reason 0x01, root entry not present" \
	"that DMA faulted on uhv's empty root table"
expect "unit 0 @0xfed90000: DMA remapping enabled \(queued invalidation, 3-level tables\)" \
	"unit enabled afterwards with uhv's own queue"
expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test PASS on the taken-over unit"
reject "REACHED uhv's memory" "DMA reaching uhv memory during the takeover"
reject "enabled; turning it off|timed out|taking over from firmware failed" "takeover problems"
reject "vtd-selftest: ERROR" "self-test errors"
finish
