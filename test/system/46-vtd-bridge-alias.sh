#!/usr/bin/env bash
# Issue 17 item 4 (VT-d on hardware): requester-id aliasing. An e1000 at 02:01.0 behind a bridge
# to conventional PCI (below a PCIe root port at 00:1c.0): its DMA reaches the unit with the
# id the bridge gives it, 02:00.0 behind a PCIe-to-PCI bridge (pcie-pci-bridge, PCIe-to-PCI
# bridge spec 2.3), 01:00.0 (the bridge itself) behind a conventional pci-bridge. uhv routes
# that id to the device's domain too, so the vtd-selftest's DMA through its test domain is
# translated, not faulted (reason 0x02, context not present, before), and its faults name the
# id the unit saw.
source "$(dirname "$0")/lib.sh"

# alias_checks ALIAS: the NIC at 02:01.0 is seen as ALIAS
alias_checks() {
	local alias=$1 re=${1//./\\.}
	expect_rc qemu pass
	expect "pci: 02:01\.0 8086:100e class 0200 \(Ethernet\)" "NIC at 02:01.0, behind the bridge"
	expect "vtd: 0000:02:01\.0: DMA translated by domain 1" "NIC attached to the test domain"
	expect "vtd: 0000:02:01\.0: its DMA may arrive as $re .*translated by domain 1 too" \
		"alias $alias routed to the same domain"
	expect "NIC 02:01\.0's DMA reaches the unit as $re" "self-test knows the id the unit sees"
	expect "ok: DMA through the test domain: .* behind IOVA 0x4000003000 \([0-9]+ ms\), no fault" \
		"DMA from behind the bridge translated, not faulted"
	expect "fault #1: DMA read of 0x4000100000 by $re blocked: reason 0x06" \
		"unmapped IOVA faults with the alias as source (translated, page not mapped)"
	expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test verdict PASS"
	reject "reason 0x02|context entry not present" "context-not-present faults"
	reject "vtd-selftest: ERROR" "self-test errors"
	reject "timed out" "hardware wait timeouts"
}

img=$(iso vtd-alias "vtd-selftest")
boot vtd-alias-pcie-pci-bridge qemu-iommu-pcie-pci-bridge "$img" 60
expect "pci: 01:00\.0 1b36:000e class 0604 \(PCI bridge\).* caps PCIe" "PCIe-to-PCI bridge at 01:00.0"
alias_checks 02:00.0
boot vtd-alias-pci-bridge qemu-iommu-pci-bridge "$img" 60
expect "pci: 01:00\.0 1b36:0001 class 0604 \(PCI bridge\)" "conventional PCI bridge at 01:00.0"
alias_checks 01:00.0
finish
