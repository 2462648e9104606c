#!/usr/bin/env bash
# NIC passthrough in Bochs (issue #5): the e1000 (00:02.0) given to the nictest guest under uhv
# with iommu=off (Bochs has no IOMMU). The guest finds it through the trapped and filtered
# config ports, drives it through its BAR (mapped uncached in the EPT), gets ARP and ping
# replies from vnet, and the 200-ping loop causes no VM exit (UHV_HC_EXIT_COUNT around it; uhv's
# own VMX-preemption timer, its console poll, is time-driven and counted apart).
# Second run: without iommu=off the NIC is refused (no DMA remapping), said with the override,
# and the guest runs without a NIC.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }

boot nic-passthrough bochs "$(iso pass 'iommu=off' build/guest/nictest.elf 'net=bochs')" 300
expect "uhv nic: warning: \*+ iommu=off: 00:02.0 is passed through WITHOUT DMA isolation" "loud warning: no DMA isolation"
expect "uhv nic: EPT: NIC BAR0 \[0xc0000000-0xc0020000\) mapped uncached" "NIC BAR0 in the EPT, UC"
expect "uhv nic: guest sees 00:02.0 \(passed through\)" "NIC visible to the guest"
expect "uhv nic: guest sees 00:01\.0 \(read-only but for config bytes 0x60-0x63\): the ISA bridge's PIRQ routing" \
	"ISA bridge: its writable PIRQ registers said"
reject "guest sees 00:01\.0 \(read-only\)$" "ISA bridge called read-only"
expect "uhv vmx: trapped ports 0x0cf8-0x0cff: PCI config ports" "config ports trapped"
expect "uhv vmx:   pin-based: \(none\)" "no external-interrupt exiting: interrupts reach the guest directly"
expect "^guest: test nic-found: ok" "guest finds the NIC through virtual config space"
expect "^guest: test nic-init: ok" "NIC reset and set up through its BAR"
expect "^guest: test arp-reply: ok" "ARP answered"
expect "^guest: test icmp-echo: ok" "pings answered"
expect "^guest: bench nic-ping: 200 round trips \(0 lost\)" "200-ping loop"
expect "^guest: test ping-loop: ok" "ping loop"
expect "^guest: nic: VM exits during the loop: [0-9]+ \(data path 0," "no exits on the data path (guest's count)"
expect "^guest: test datapath-exits: ok" "datapath-exits check"
expect "uhv vmx: exit statistics: [0-9]+ exits" "exit statistics printed"
reject "uhv vmx: +48 EPT violation" "EPT violations"
reject "FAIL " "failed checks"
expect_end bochs pass "guest shut down, status 0" "guest verdict"

# With the console poll timer off (console-poll=0) nothing at all exits
# during the packet loop: not the data path, not uhv's own timer.
boot nic-no-poll bochs "$(iso nopoll 'iommu=off console-poll=0' build/guest/nictest.elf 'net=bochs')" 300
expect "console-poll=0: no periodic exits" "poll timer off"
expect "^guest: nic: VM exits during the loop: 0 \(data path 0," "zero VM exits during the packet loop"
expect "^guest: test ping-loop: ok" "ping loop"
expect_end bochs pass "guest shut down, status 0" "guest verdict"

# No IOMMU: the NIC uhv picked on its own is refused by design, a warning; one the user
# named with nic= is what they asked and did not get, an error.
boot nic-refused bochs "$(iso refused '' build/guest/nictest.elf 'net=bochs')" 300
expect "uhv nic: warning: refusing to pass 00:02.0 through: DMA remapping is not active.*Add iommu=off" "refused without an IOMMU, override named, a warning"
reject "ERROR" "error lines for a refusal by design"
reject "guest sees 00:02.0" "NIC visible"
expect "^guest: test nic-found: FAIL" "guest sees no NIC"
expect_rc bochs fail
boot nic-refused-named bochs "$(iso refused-named 'nic=00:02.0' build/guest/nictest.elf 'net=bochs')" 300
expect "uhv nic: ERROR: refusing to pass 00:02.0 through: DMA remapping is not active.*Add iommu=off" "the NIC nic= named refused: an error"
reject "guest sees 00:02.0" "NIC visible"
expect_rc bochs fail
finish
