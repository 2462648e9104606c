#!/usr/bin/env bash
# NIC passthrough where Bochs cannot go (issue #5): uhv as L2 under nested KVM (Bochs -> Linux
# L1 -> QEMU -accel kvm -cpu host -M q35 -device intel-iommu -device e1000, scripts/nested/run.sh).
# q35 has an MCFG (ECAM at 0xb0000000) and a VT-d unit, so here
#  - the e1000 (00:01.0) is put in the guest's VT-d domain (no iommu=off) and its DMA goes
#    through it: ARP and pings over slirp work with translation on;
#  - the ECAM window is out of the EPT and emulated (instruction decoding at the guest's RIP):
#    nictest hostile=1 ecam=0xb0000000 reads every function of bus 0 through ECAM and through
#    the ports (they must agree; hidden functions read all-ones), with 8-, 16- and 32-bit loads
#    and a byte store.
# About 2.5 minutes (one nested Bochs at a time).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
img=$(iso ecam '' build/guest/nictest.elf 'net=qemu hostile=1 ecam=0xb0000000 pings=20')
boot_nested nic-nested-ecam "$img"
expect "uhv vtd: 0000:00:01.0: DMA translated by domain [0-9]+" "NIC attached to a VT-d domain"
expect "uhv nic: 00:01.0: DMA confined to guest RAM by VT-d" "NIC in the guest's domain"
expect "uhv vmx: trapped MMIO 0xb0000000-0xbfffffff: PCI ECAM" "ECAM window trapped"
expect "uhv nic: EPT: [0-9]+ memory BARs of hidden devices and 1 ECAM window\(s\) unmapped" "ECAM and hidden BARs out of the EPT"
expect "^guest: test iso-hidden-cfg: ok" "only host bridge, LPC bridge and NIC visible"
expect "^guest: test iso-bar-over-uhv: ok" "BAR onto uhv refused"
expect "^guest: test iso-ecam-consistent: ok" "ECAM agrees with the ports, hidden functions all-ones"
expect "^guest: test iso-ecam-sizes: ok" "8/16/32-bit ECAM loads"
expect "^guest: test iso-ecam-write: ok" "ECAM byte store"
expect "^guest: test icmp-echo: ok" "pings answered with DMA translated"
expect "^guest: test ping-loop: ok" "ping loop"
expect "^guest: test datapath-exits: ok" "no data-path exits"
reject "^guest: test [a-z0-9-]+: FAIL" "failed checks"
reject "uhv vtd: .*DMA (read|write) of .* blocked" "VT-d faults"
expect_end qemu pass "guest shut down, status 0" "PASS"
finish
