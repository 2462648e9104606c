#!/usr/bin/env bash
# Issue #9, nested tier: Bochs (VMX) -> Linux L1 with kvm_intel nested=1 ->
# QEMU -accel kvm -cpu host -M q35 -device intel-iommu -device e1000 -> uhv as
# L2 (scripts/nested/run.sh, docs/nested.md). One L1 boot runs three cases:
#  - probe: uhv boots under KVM's nested VMX, finds q35's DMAR with the VT-d
#    unit at 0xfed90000, enables DMA remapping and sees the e1000 at 00:01.0
#    (-nodefaults -vga none), then ends with isa-debug-exit PASS (rc 33);
#  - vtd-selftest: the VT-d DMA self-test (translation, faults) under KVM's
#    intel-iommu with that e1000;
#  - probe-ir: probe with the users' interrupt-remapping recipe
#    (-M q35,kernel-irqchip=split -device intel-iommu,intremap=on,eim=on).
# uhv with its selftest guest as L3 in this stack: 20-vmx-nested-kvm.sh.
# Takes about 1.5 minutes of one core.
source "$(dirname "$0")/lib.sh"

probe=$(iso probe "probe")
vtd=$(iso vtd "vtd-selftest")
LOG=$LOGS/nested.log
t0=$(date +%s)
scripts/nested/run.sh --multi "$LOG" probe "$probe" "" vtd "$vtd" "" \
	probe-ir "$probe" "-M q35,kernel-irqchip=split -device intel-iommu,intremap=on,eim=on"
RC=$?
secs=$(( $(date +%s) - t0 ))
echo "[nested] run.sh exit status $RC after ${secs}s, serial log $LOG"

# L1 and KVM
expect "^NESTED-L1: up: Linux [0-9]" "L1 Linux booted"
expect "^NESTED-L1: CPU has vmx" "L1 sees Bochs' VMX"
expect "^NESTED-L1: kvm_intel loaded: nested=Y ept=Y" "kvm_intel loaded with nested=1 and EPT"
expect "^NESTED-L1: all cases done" "L1 ran every case"
reject "NESTED-L1: ERROR|Kernel panic" "L1 errors"

# case 1: probe
LOG=$LOGS/nested.probe.log
echo "case probe ($LOG):"
expect "^uhv microhypervisor" "uhv banner"
expect "uhv: loaded at 0x[0-9a-f]+, .*platform qemu" "platform qemu"
expect "uhv timer: TSC (19[89]|20[0-2])\.[0-9]+ MHz" "TSC 200 MHz within 1 % (Bochs' instruction count, through two levels)"
expect "uhv pci: 00:01\.0 8086:100e class 0200 \(Ethernet\)" "e1000 at 00:01.0"
expect "uhv dmar:   unit 0: registers 0xfed90000 segment 0" "DMAR unit at 0xfed90000"
expect "uhv vtd: unit 0 @0xfed90000: VT-d 1\.0 CAP 0x[0-9a-f]+ ECAP 0x[0-9a-f]+" "VT-d capabilities read"
expect "uhv vtd: unit 0 @0xfed90000: DMA remapping enabled" "VT-d enabled"
expect_end nested pass "probe complete" "probe complete"
reject "uhv.*(ERROR|exception)" "uhv errors"

# case 2: VT-d self-test
LOG=$LOGS/nested.vtd.log
echo "case vtd ($LOG):"
expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test verdict PASS"
expect "DMA remapping enabled \(queued invalidation, 3-level tables\)" "translation enabled"
expect "vtd: 0000:00:01\.0: DMA translated by domain 1" "e1000 attached to the test domain"
expect "ok: DMA through the test domain: .* behind IOVA 0x4000003000 \([0-9]+ ms\), no fault" \
	"ARP reply DMA'd through the domain"
expect "fault #1: DMA read of 0x4000100000 by 00:01\.0 blocked: reason 0x06" "unmapped read blocked and decoded"
expect "fault #5: DMA write of 0x[0-9a-f]+ by 00:01\.0 blocked: reason 0x05" "write to uhv memory blocked"
expect "^NESTED-QEMU-EXIT: 33$" "inner QEMU exit status 33 (PASS)"
reject "vtd-selftest: ERROR" "self-test errors"

# case 3: interrupt remapping on (split irqchip)
LOG=$LOGS/nested.probe-ir.log
echo "case probe-ir ($LOG):"
expect "uhv dmar: DMAR: 39-bit DMA addresses, 1 unit\(s\), .*interrupt remapping" "DMAR flags interrupt remapping"
expect "uhv vtd: unit 0 @0xfed90000: .*queued invalidation yes, interrupt remapping yes" "VT-d unit reports interrupt remapping"
expect "uhv vtd: unit 0 @0xfed90000: DMA remapping enabled" "VT-d enabled"
expect_end nested pass "probe complete" "probe complete"

LOG=$LOGS/nested.log
if [ "$RC" = 0 ]; then echo "  ok: run.sh exit status 0 (every case PASS)"
else echo "  WRONG run.sh exit status $RC"; fails=$((fails + 1)); fi
echo "  nested tier wall time: ${secs}s"
finish
