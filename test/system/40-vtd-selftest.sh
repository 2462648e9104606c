#!/usr/bin/env bash
# Issue #4 (VT-d): the vtd-selftest boot option under QEMU's intel-iommu, with
# an e1000 at 00:02.0 and with an e1000e behind a PCIe root port (01:00.0,
# named in DMAR by a bridge scope).
#  - positive half: the NIC reads its TX ring and an ARP request and writes the
#    reply through a test domain whose IOVAs (0x40000xxxxx) map to other host
#    frames; the reply is found in the host frame behind the RX IOVA;
#  - negative half: reads of an unmapped IOVA (twice: printed once, counted
#    twice), a read of an IOVA unmapped after use (IOTLB invalidation), and a
#    read and a write at an IOVA equal to a page of uhv's image: each fault is
#    decoded on the console with the NIC's BDF, the address, the reason text
#    and read/write; QEMU's own log confirms the first of them; the uhv page
#    keeps its checksum and lies inside uhv's image in the memory map.
source "$(dirname "$0")/lib.sh"

# vtd_checks BDF: the checks shared by both NICs
vtd_checks() {
	local bdf=$1 bdfre=${1//./\\.} n page lo hi
	expect_rc qemu pass
	expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test verdict PASS"
	expect "DMA remapping enabled \(queued invalidation, 3-level tables\)" "translation enabled"
	expect "vtd: 0000:$bdfre: DMA translated by domain 1" "NIC attached to the test domain"
	expect "test domain 1 for NIC $bdfre .*RX buffer 0x4000003000 -> 0x[0-9a-f]+" \
		"IOVA -> host frame pairs printed"
	expect "ok: DMA through the test domain: .* to host frame 0x[0-9a-f]+ behind IOVA 0x4000003000 \([0-9]+ ms\), no fault" \
		"ARP reply DMA'd through the domain into the host frame"
	# the host frame behind the RX IOVA is not the IOVA (not an identity map)
	local rx_hpa
	rx_hpa=$(sed -n 's/.*RX buffer 0x4000003000 -> \(0x[0-9a-f]*\).*/\1/p' "$LOG" | head -1)
	if [ -n "$rx_hpa" ] && [ $((rx_hpa)) -ne $((0x4000003000)) ]; then
		echo "  ok: RX IOVA 0x4000003000 is backed by host frame $rx_hpa"
	else
		echo "  WRONG: RX IOVA backed by '$rx_hpa'"; fails=$((fails + 1))
	fi

	expect "vtd: ERROR: unit 0 @0xfed90000: fault #1: DMA read of 0x4000100000 by $bdfre blocked: reason 0x06, read from a page without read permission \(not mapped\) \(printed once; repeats are counted\)" \
		"unmapped IOVA: read fault decoded (BDF, address, reason, read)"
	n=$(grep -c "DMA read of 0x4000100000 by $bdfre blocked" "$LOG")
	if [ "$n" = 1 ]; then echo "  ok: repeated fault printed once"
	else echo "  WRONG: repeated fault printed $n times"; fails=$((fails + 1)); fi
	expect "ok: same read again \(counted, not printed again\): fault recorded: read of 0x4000100000 by $bdfre, reason 0x06 .*, 2 time\(s\)" \
		"repeat recorded (so the first record was cleared) and counted"
	expect "vtd: fault summary: read of 0x4000100000 by $bdfre reason 0x06 seen 2 time\(s\)" \
		"fault summary counts the repeat"
	expect "fault #3: DMA read of 0x4000002000 by $bdfre blocked: reason 0x06" \
		"IOVA unmapped after use faults (IOTLB invalidated)"

	page=$(sed -n 's/.*uhv image page \(0x[0-9a-f]*\) (checksum.*/\1/p' "$LOG" | head -1)
	if [ -z "$page" ]; then
		echo "  MISSING: uhv image page line"; fails=$((fails + 1)); page=0xNONE
	fi
	expect "fault #4: DMA read of $page by $bdfre blocked: reason 0x06, read from a page without read permission" \
		"read at IOVA = uhv memory: fault decoded"
	expect "fault #5: DMA write of $page by $bdfre blocked: reason 0x05, write to a page without write permission" \
		"write at IOVA = uhv memory: fault decoded"
	expect "ok: uhv memory at $page unchanged \(checksum (0x[0-9a-f]+) before and after\)" \
		"uhv page checksum unchanged"
	# the page really is uhv's: inside the 'uhv image' range of the memory map
	read -r lo hi < <(tr -d '\r' < "$LOG" | awk '$1 ~ /^0x/ && / uhv image$/ { print $1, $2; exit }')
	if [ -n "${lo:-}" ] && [ "$page" != 0xNONE ] && [ $((page)) -ge $((lo)) ] && [ $((page)) -lt $((hi)) ]; then
		echo "  ok: $page lies in uhv's image [$lo, $hi)"
	else
		echo "  WRONG: $page not inside uhv's image [${lo:-?}, ${hi:-?})"; fails=$((fails + 1))
	fi
	reject "vtd-selftest: ERROR" "self-test errors"
	reject "timed out" "hardware wait timeouts"
	reject "left over from before uhv|overflowed" "stray faults"

	# QEMU's own account (it prints only the first blocked access): the
	# first DMA it refused was the unmapped read, none on the mapped pages
	local serial=$LOG
	LOG=${serial%.log}.qemu.log
	expect "detected slpte permission error \(iova=0x4000100000, .*write=0" "QEMU: unmapped read blocked"
	reject "slpte permission error \(iova=0x400000[013]000" "QEMU: fault on the mapped pages"
	LOG=$serial
}

img=$(iso vtd-selftest "vtd-selftest")
t0=$(date +%s)
boot vtd-selftest qemu-iommu "$img" 60
vtd_checks 00:02.0
boot vtd-selftest-e1000e qemu-iommu-e1000e "$img" 60
vtd_checks 01:00.0
expect "dmar:     bridge   00:1c.0" "DMAR bridge scope for the root port"
secs=$(( $(date +%s) - t0 ))
if [ $secs -lt 30 ]; then echo "  ok: both runs took ${secs}s"
else echo "  TOO SLOW: both runs took ${secs}s"; fails=$((fails + 1)); fi
finish
