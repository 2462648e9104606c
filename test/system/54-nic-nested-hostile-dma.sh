#!/usr/bin/env bash
# Hostile DMA in the nested tier (issue #9 item 4): uhv as L2 under nested KVM (q35 with
# intel-iommu; scripts/nested/run.sh), placement=offset, the nictest guest with dma-attack=1.
# The guest owns the NIC and aims its DMA at uhv's own memory (a patterned 8 KiB area in uhv's
# image that test hook 4 names, guest/nic/dma.c):
#  (a) an RX descriptor whose buffer is uhv's address, filled by the gateway's ARP reply (write),
#  (b) a TX descriptor whose buffer is uhv's address (read),
#  (c) the TX descriptor ring at uhv's next page (read of the descriptor),
# then resets the NIC and runs ARP, pings and the ping loop on it. VT-d must block each access:
# uhv prints exactly one fault line per access, with the NIC's BDF 00:01.0 and the address uhv
# gave out, the area keeps its checksum, uhv keeps answering and the run ends with PASS.
# One L1 boot, two cases:
#  - hostile: the default e1000 (82540EM) at 00:01.0;
#  - e1000e:  the same guest on an e1000e (82574L), also at 00:01.0 (QEMU-OPTS naming -netdev
#    replace the default NIC).
# About 1.5-2 minutes (one nested Bochs at a time).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
img=$(iso hostile 'placement=offset' build/guest/nictest.elf 'net=qemu pings=20 dma-attack=1')
LOG=$LOGS/nic-nested-hostile-dma.log
rm -f "$LOG" "${LOG%.log}".*.log
t0=$(date +%s)
scripts/nested/run.sh --multi "$LOG" hostile "$img" "" \
	e1000e "$img" "-netdev user,id=n0 -device e1000e,netdev=n0,romfile="
RC=$?
echo "[nic-nested-hostile-dma] run.sh exit status $RC, wall time $(( $(date +%s) - t0 ))s, serial log $LOG"

expect "^NESTED-L1: all cases done" "L1 ran every case"
reject "NESTED-L1: ERROR|Kernel panic" "L1 errors"

# check_case NAME DEVICE-ID: the attack and the recovery in one case's part of the log
check_case() {
	local name=$1 devid=$2
	LOG=$LOGS/nic-nested-hostile-dma.$name.log
	echo "case $name ($LOG):"
	expect "uhv pci: 00:01\.0 8086:$devid class 0200 \(Ethernet\)" "NIC 8086:$devid at 00:01.0"
	expect "uhv: placement=offset: [1-9][0-9]* of [0-9]+ guest regions at other host addresses" "placement=offset"
	expect "uhv nic: 00:01.0: DMA confined to guest RAM by VT-d" "NIC in the guest's VT-d domain"

	# the target: uhv names it, it lies in uhv's image, and the guest aims at it
	local tgt img_lo img_hi
	tgt=$(grep -aoE "test hook: DMA target for the guest: \[0x[0-9a-f]+-" "$LOG" | head -1 |
		grep -oE "0x[0-9a-f]+")
	read -r img_lo img_hi < <(grep -aE "^ +0x[0-9a-f]+ +0x[0-9a-f]+ .* uhv image$" "$LOG" |
		head -1 | awk '{print $1, $2}')
	if [ -z "$tgt" ] || [ -z "$img_lo" ]; then
		echo "  MISSING: uhv's DMA target line or uhv's image in the memory map"
		fails=$((fails + 1)); return
	fi
	if (( tgt >= img_lo && tgt + 8192 <= img_hi )); then
		echo "  ok: DMA target $tgt inside uhv's image [$img_lo, $img_hi)"
	else
		echo "  WRONG: DMA target $tgt not inside uhv's image [$img_lo, $img_hi)"
		fails=$((fails + 1))
	fi
	local next; next=$(printf '%#x' $((tgt + 0x1000)))
	expect "^guest: dma: uhv's memory at host-physical $tgt \(8192 bytes" "guest aims at uhv's $tgt"

	# uhv reports each hostile access, with the NIC's BDF and uhv's address, and nothing else
	local f="uhv vtd: ERROR: unit 0 @0xfed90000: fault #[0-9]+:"
	expect "$f DMA write of $tgt by 00:01\.0 blocked: reason 0x05" "fault: RX buffer write of $tgt by 00:01.0"
	expect "$f DMA read of $tgt by 00:01\.0 blocked: reason 0x06" "fault: TX buffer read of $tgt by 00:01.0"
	expect "$f DMA read of $next by 00:01\.0 blocked: reason 0x06" "fault: TX ring read of $next by 00:01.0"
	local n; n=$(grep -acE "uhv vtd: .*DMA (read|write) of .* blocked" "$LOG")
	if [ "$n" = 3 ]; then echo "  ok: exactly 3 fault lines"
	else echo "  WRONG: $n fault lines, want 3"; fails=$((fails + 1)); fi
	expect "^uhv vmx: 3 VT-d fault\(s\) during the run" "3 faults counted in the run"
	expect "qemu-system-x86_64: vtd_iova_to_slpte: detected slpte permission error \(iova=$tgt, .*write=1" "QEMU's IOMMU saw the write"
	reject "uhv vtd: .*fault records overflowed" "lost faults"

	# uhv's memory unchanged, the guest and uhv keep going
	expect "^guest: test dma-write-blocked: ok" "DMA write blocked, target unchanged"
	expect "^guest: test dma-read-blocked: ok" "DMA read blocked, target unchanged"
	expect "^guest: test dma-ring-blocked: ok" "TX ring read blocked, target unchanged"
	expect "^guest: dma: 3 VT-d fault\(s\) recorded during the attack" "guest saw 3 faults"
	expect "^guest: test dma-uhv-alive: ok" "uhv answers hypercalls after the attack"
	expect "^guest: test dma-nic-reset: ok" "NIC reset after the attack"
	expect "^guest: test arp-reply: ok" "ARP after the attack"
	expect "^guest: test icmp-echo: ok" "pings after the attack"
	expect "^guest: test ping-loop: ok" "ping loop after the attack"
	expect "^guest: test datapath-exits: ok" "no data-path exits"
	reject "^guest: test [a-z0-9-]+: (FAIL|skipped)" "failed or skipped checks"
	reject "DMA target in uhv's image at .* changed|test hook's target in uhv's image was changed" "uhv memory changed"
	expect_end nested pass "guest shut down, status 0" "PASS"
}
check_case hostile 100e
check_case e1000e 10d3
finish
