#!/usr/bin/env bash
# Non-identity guest placement (issue #9 item 3), in Bochs:
#  - the selftest guest with placement=offset: guest RAM above 1 MiB lives at other host
#    addresses (the EPT translates), the modules are copied in by the loader, and the
#    guest's RAM walk and hostile tests pass as with identity placement;
#  - the nictest guest with placement=offset iommu=off: without DMA remapping the NIC would
#    DMA to the wrong host memory, so uhv refuses it, says why, and the guest finds no NIC.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }

boot placement-selftest bochs "$(iso selftest 'placement=offset' build/guest/selftest.elf 'selftest')" 300
expect "uhv options: .* placement=offset" "option in effect"
expect "uhv: placement=offset: [1-9][0-9]* of [0-9]+ guest regions at other host addresses" "placement printed"
expect "uhv:   GPA \[0x0000001[0-9a-f]{5}-0x[0-9a-f]+\) -> HPA 0x0*([2-9a-f]|1[0-9a-f])[0-9a-f]{6} RAM" "RAM at 1 MiB backed elsewhere"
expect "uhv vmx: guest memory: [0-9]+ MiB of RAM in [0-9]+ regions \(GPA -> HPA\)" "EPT layout not identity"
expect "uhv vmx:   hidden from the guest: \[0x[0-9a-f]+-0x[0-9a-f]+\) uhv" "uhv's memory kept out of the EPT"
expect "uhv vmx: launching the guest \(multiboot2 ELF\)" "launch"
expect "^guest: started under uhv" "guest runs"
expect "^guest: test memwalk: ok" "all guest RAM reachable and distinct"
expect "^guest: test hostile-write: ok" "hostile write failed in the guest"
expect "^guest: test hostile-paged: ok" "hostile access through guest paging failed"
expect "^guest: test hostile-alive: ok" "uhv survives hostile accesses"
expect "^guest: RESULT: PASS" "guest verdict"
reject "FAIL " "failed checks"
reject "test hook's target in uhv's image was changed" "uhv memory changed by the guest"
expect_end bochs pass "guest shut down, status 0" "run ends with the guest's verdict"

boot placement-nic-refused bochs "$(iso nic 'placement=offset iommu=off' build/guest/nictest.elf 'net=bochs')" 300
expect "uhv nic: warning: refusing to pass 00:02.0 through: placement=offset puts guest RAM at other host addresses, and without DMA remapping \(iommu=off\)" "NIC refused: offset placement without VT-d"
reject "WITHOUT DMA isolation" "NIC passed through without isolation"
reject "guest sees 00:02.0" "NIC visible"
expect "^guest: test nic-found: FAIL" "guest sees no NIC"
expect_rc bochs fail
finish
