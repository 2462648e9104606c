#!/usr/bin/env bash
# Foundation boot with -device intel-iommu: the DMAR table is found and its
# DRHD unit and device scopes printed.
. "$(dirname "$0")/lib.sh"
boot boot-qemu-iommu qemu-iommu "$(iso probe "probe")" 60
expect "^uhv microhypervisor" "banner"
expect "uhv mm: usable [0-9]+ MiB" "memory map summary"
expect "uhv acpi:   DMAR 0x[0-9a-f]+ .*checksum ok" "DMAR table listed"
expect "uhv dmar: DMAR: 39-bit DMA addresses, 1 unit" "DMAR decoded"
expect "uhv dmar:   unit 0: registers 0xfed90000 segment 0" "DRHD unit printed"
expect "uhv dmar:     endpoint 00:02.0" "the NIC's device scope"
expect "uhv pci: 00:02.0 8086:100e" "e1000 listed"
expect_end qemu pass "probe complete" "clean exit"
finish
