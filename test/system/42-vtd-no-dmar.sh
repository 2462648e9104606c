#!/usr/bin/env bash
# Issue #4 (VT-d): QEMU without intel-iommu has no DMAR table. uhv says so in
# one clean line (no errors) and goes on; the vtd-selftest then fails with a
# message that says why.
source "$(dirname "$0")/lib.sh"

img=$(iso vtd-no-dmar "probe")
boot vtd-no-dmar qemu "$img" 60
expect_rc qemu pass
expect "^uhv vtd: no DMAR ACPI table: this machine has no VT-d DMA remapping; devices given to the guest can DMA anywhere" \
	"clean no-DMAR message"
reject "ERROR" "error lines"
reject "VT-d setup failed|DMA remapping enabled|DMA translated" "VT-d activity without DMAR"

img=$(iso vtd-no-dmar-selftest "vtd-selftest")
boot vtd-no-dmar-selftest qemu "$img" 60
expect_rc qemu fail
expect "no DMAR ACPI table" "no-DMAR message"
expect "vtd-selftest: ERROR: FAIL: DMA remapping is not active \(no DMAR table" "self-test says why it fails"
expect "vtd-selftest: ERROR: FAIL \(ENODEV\)" "self-test verdict FAIL"
finish
