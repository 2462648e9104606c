#!/usr/bin/env bash
# Non-identity placement with a NIC where VT-d exists (issue #9 item 3): uhv as L2 under nested
# KVM (q35, intel-iommu, e1000 at 00:01.0; scripts/nested/run.sh) with placement=offset. Guest
# RAM above 1 MiB is at other host addresses, so the nictest guest's descriptor rings and
# buffers (guest-physical addresses) are not where the NIC would reach them untranslated:
# ARP and pings work only because the guest's VT-d domain maps GPA -> HPA as the EPT does.
# About 2.5 minutes (one nested Bochs at a time).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
img=$(iso placement 'placement=offset' build/guest/nictest.elf 'net=qemu pings=20')
boot_nested nic-nested-placement "$img"
expect "uhv: placement=offset: [1-9][0-9]* of [0-9]+ guest regions at other host addresses" "placement printed"
expect "uhv vmx: guest memory: [0-9]+ MiB of RAM in [0-9]+ regions \(GPA -> HPA\)" "EPT not identity"
expect "uhv vtd: guest DMA domain [0-9]+: [0-9]+ MiB of guest RAM mapped" "guest DMA domain built from the placement"
expect "uhv nic: 00:01.0: DMA confined to guest RAM by VT-d" "NIC in the guest's domain"
reject "refusing to pass" "NIC refused"
expect "^guest: test nic-found: ok" "guest finds the NIC"
expect "^guest: test arp-reply: ok" "ARP answered (DMA translated)"
expect "^guest: test icmp-echo: ok" "pings answered (DMA translated)"
expect "^guest: test ping-loop: ok" "ping loop"
reject "^guest: test [a-z0-9-]+: FAIL" "failed checks"
reject "uhv vtd: .*DMA (read|write) of .* blocked" "VT-d faults"
expect_end qemu pass "guest shut down, status 0" "PASS"
finish
