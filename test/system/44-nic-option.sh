#!/usr/bin/env bash
# Issue 20 item 6: probe and vtd-selftest read nic= as guest mode does (passthrough/nic.c
# nic_choose: same rules, same messages). QEMU q35 + intel-iommu with a second e1000 at
# 00:05.0 (its own user netdev, whose gateway answers ARP) and an rtl8139 at 00:06.0:
#  - vtd-selftest nic=00:05.0 tests that NIC, not the first e1000 at 00:02.0;
#  - vtd-selftest with nic= naming a non-network function (00:1f.2, SATA), a missing
#    function (00:09.0) or a network controller it cannot drive (the rtl8139) fails and says why;
#  - probe with nic= says which NIC a guest would get, and fails for a missing or a
#    non-network function (before, it ended "probe complete" whatever nic= said).
source "$(dirname "$0")/lib.sh"

more=(-netdev user,id=n1 -device e1000,netdev=n1,addr=05.0,romfile=
	-netdev user,id=n2 -device rtl8139,netdev=n2,addr=06.0,romfile=)

boot nic-opt-selftest-second qemu-iommu "$(iso selftest-second "vtd-selftest nic=00:05.0")" 60 -- "${more[@]}"
expect_rc qemu pass
expect "options: .*nic=0000:00:05\.0" "option in effect"
expect "vtd: 0000:00:05\.0: DMA translated by domain 1" "the named NIC is attached to the test domain"
expect "test domain 1 for NIC 00:05\.0 8086:100e" "the named NIC is the one tested"
expect "fault #1: DMA read of 0x4000100000 by 00:05\.0 blocked" "its faults carry its BDF"
expect "^uhv vtd-selftest: PASS \([0-9]+ ms\)" "self-test verdict PASS"
reject "by 00:02\.0|NIC 00:02\.0" "the first e1000 tested instead"

boot nic-opt-selftest-notnic qemu-iommu "$(iso selftest-notnic "vtd-selftest nic=00:1f.2")" 60 -- "${more[@]}"
expect "uhv nic: ERROR: nic=0000:00:1f\.2 is 8086:2922, class 0106 \(SATA\), not a network controller" \
	"non-network function refused with guest mode's message"
expect "vtd-selftest: ERROR: FAIL \(EINVAL\)" "self-test verdict FAIL"
reject "test domain|DMA translated" "a NIC tested anyway"
expect_end qemu fail "vtd-selftest failed"

boot nic-opt-selftest-missing qemu-iommu "$(iso selftest-missing "vtd-selftest nic=00:09.0")" 60 -- "${more[@]}"
expect "uhv nic: ERROR: nic=0000:00:09\.0: there is no such PCI function" \
	"missing function refused with guest mode's message"
expect "vtd-selftest: ERROR: FAIL \(ENODEV\)" "self-test verdict FAIL"
reject "test domain|DMA translated" "a NIC tested anyway"
expect_end qemu fail "vtd-selftest failed"

boot nic-opt-selftest-rtl qemu-iommu "$(iso selftest-rtl "vtd-selftest nic=00:06.0")" 60 -- "${more[@]}"
expect "vtd-selftest: ERROR: FAIL: nic=0000:00:06\.0 is 10ec:8139 \(Ethernet\); the self-test drives only an e1000" \
	"a NIC the self-test cannot drive is said"
expect "vtd-selftest: ERROR: FAIL \(EINVAL\)" "self-test verdict FAIL"
reject "test domain|DMA translated" "a NIC tested anyway"
expect_end qemu fail "vtd-selftest failed"

boot nic-opt-probe-second qemu-iommu "$(iso probe-second "probe nic=00:05.0")" 60 -- "${more[@]}"
expect "^uhv: a guest would get the NIC 00:05\.0 8086:100e \(nic=\)" "probe says which NIC"
expect_end qemu pass "probe complete"

boot nic-opt-probe-default qemu-iommu "$(iso probe-default "probe")" 60
expect "^uhv: a guest would get the NIC 00:02\.0 8086:100e \(the first Ethernet controller\)" \
	"probe without nic= says the first one"
expect_end qemu pass "probe complete"

boot nic-opt-probe-notnic qemu-iommu "$(iso probe-notnic "probe nic=00:1f.2")" 60
expect "uhv nic: ERROR: nic=0000:00:1f\.2 is 8086:2922, class 0106 \(SATA\), not a network controller" \
	"non-network function refused with guest mode's message"
expect_end qemu fail "nic= names no network controller"
reject "probe complete" "probe complete despite a bad nic="

boot nic-opt-probe-missing qemu-iommu "$(iso probe-missing "probe nic=00:09.0")" 60
expect "uhv nic: ERROR: nic=0000:00:09\.0: there is no such PCI function" \
	"missing function refused with guest mode's message"
expect_end qemu fail "nic= names no network controller"
reject "probe complete" "probe complete despite a bad nic="
finish
