#!/usr/bin/env bash
# Issue #4 (VT-d): the vtd-selftest under intel-iommu,caching-mode=on (CAP.CM=1:
# the unit may cache not-present entries, so uhv invalidates after making
# entries present, too). Same self-test as 40-vtd-selftest.sh: DMA through a
# non-identity test domain, faults for an unmapped IOVA, for an IOVA unmapped
# after use and for an IOVA equal to uhv memory, which stays unchanged.
source "$(dirname "$0")/lib.sh"

img=$(iso vtd-cm "vtd-selftest")
t0=$(date +%s)
boot vtd-caching-mode qemu-iommu-cm "$img" 60
secs=$(( $(date +%s) - t0 ))
expect_rc qemu pass
expect "CAP 0xd2008c22260286 " "CAP with CM set"
expect "unit 0 @0xfed90000: caching mode ON" "caching mode reported"
expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test verdict PASS"
expect "ok: DMA through the test domain: .* to host frame 0x[0-9a-f]+ behind IOVA 0x4000003000 \([0-9]+ ms\), no fault" \
	"ARP reply DMA'd through the domain into the host frame"
expect "vtd: ERROR: unit 0 @0xfed90000: fault #1: DMA read of 0x4000100000 by 00:02\.0 blocked: reason 0x06, read from a page without read permission \(not mapped\) \(printed once; repeats are counted\)" \
	"unmapped IOVA: read fault decoded"
expect "vtd: fault summary: read of 0x4000100000 by 00:02\.0 reason 0x06 seen 2 time\(s\)" \
	"repeat counted"
n=$(grep -c "DMA read of 0x4000100000 by 00:02.0 blocked" "$LOG")
if [ "$n" = 1 ]; then echo "  ok: repeated fault printed once"
else echo "  WRONG: repeated fault printed $n times"; fails=$((fails + 1)); fi
expect "fault #3: DMA read of 0x4000002000 by 00:02\.0 blocked: reason 0x06" \
	"IOVA unmapped after use faults (IOTLB invalidated)"
page=$(sed -n 's/.*uhv image page \(0x[0-9a-f]*\) (checksum.*/\1/p' "$LOG" | head -1)
expect "fault #5: DMA write of ${page:-NONE} by 00:02\.0 blocked: reason 0x05, write to a page without write permission" \
	"write at IOVA = uhv memory: fault decoded"
expect "ok: uhv memory at ${page:-NONE} unchanged \(checksum 0x[0-9a-f]+ before and after\)" \
	"uhv page checksum unchanged"
reject "vtd-selftest: ERROR" "self-test errors"
reject "timed out|invalidation queue error|refused" "invalidation problems"
if [ $secs -lt 20 ]; then echo "  ok: run took ${secs}s"
else echo "  TOO SLOW: run took ${secs}s"; fails=$((fails + 1)); fi
finish
