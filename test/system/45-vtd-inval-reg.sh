#!/usr/bin/env bash
# Issue 17 item 4 (VT-d on hardware): vtd-inval=reg forces register-based invalidation (CCMD
# and IOTLB registers) although QEMU's unit has an invalidation queue (ECAP.QI), and the
# vtd-selftest passes on it: DMA through a non-identity test domain, faults for an unmapped
# IOVA, for an IOVA unmapped after use (only right if the IOTLB register invalidation worked)
# and for uhv's own memory. Without the option (test 40) the queue is used.
source "$(dirname "$0")/lib.sh"

img=$(iso vtd-inval-reg "vtd-selftest vtd-inval=reg")
boot vtd-inval-reg qemu-iommu "$img" 60
expect_rc qemu pass
expect "vtd-inval=reg: VT-d caches are invalidated through the CCMD/IOTLB registers" \
	"option accepted and reported"
expect "queued invalidation yes" "the unit does have a queue (ECAP.QI)"
expect "unit 0 @0xfed90000: DMA remapping enabled \(register-based invalidation, 3-level tables\)" \
	"register-based invalidation chosen despite ECAP.QI"
expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test verdict PASS"
expect "ok: DMA through the test domain: .* behind IOVA 0x4000003000 \([0-9]+ ms\), no fault" \
	"DMA through the domain"
expect "fault #3: DMA read of 0x4000002000 by 00:02\.0 blocked: reason 0x06" \
	"IOVA unmapped after use faults (IOTLB invalidated through the IOTLB register)"
expect "ok: uhv memory at 0x[0-9a-f]+ unchanged" "uhv page unchanged"
# issue 16: interrupt remapping needs the queue (the interrupt-entry cache has no register
# interface), so without it uhv refuses IR and says so
expect "unit 0 @0xfed90000: interrupt remapping NOT used: it needs queued invalidation .*vtd-inval=reg turned the queue off" \
	"interrupt remapping refused without the queue"
reject "interrupt remapping enabled" "interrupt remapping without the queue"
reject "bad value|unknown option" "option refused"
reject "timed out|invalidation refused|invalidation queue error" "invalidation problems"
reject "vtd-selftest: ERROR" "self-test errors"
finish
