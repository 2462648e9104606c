#!/usr/bin/env bash
# Issue #4 (VT-d): iommu=off on a machine that has VT-d (QEMU intel-iommu): uhv
# leaves DMA remapping off and says so loudly; the vtd-selftest then fails
# with a message that says why.
source "$(dirname "$0")/lib.sh"

img=$(iso vtd-iommu-off "probe iommu=off")
boot vtd-iommu-off qemu-iommu "$img" 60
expect_rc qemu pass
expect "options: .*iommu=off" "option in effect"
expect "^uhv vtd: warning: \*\*\*\*\* iommu=off: DMA remapping DISABLED\. Devices can read and write all memory, including uhv's own\. \*\*\*\*\*" \
	"loud warning"
reject "DMA remapping enabled|DMA translated|vtd: unit 0" "VT-d touched despite iommu=off"
reject "ERROR" "error lines"

img=$(iso vtd-iommu-off-selftest "vtd-selftest iommu=off")
boot vtd-iommu-off-selftest qemu-iommu "$img" 60
expect_rc qemu fail
expect "\*\*\*\*\* iommu=off: DMA remapping DISABLED" "loud warning"
expect "vtd-selftest: ERROR: FAIL: DMA remapping is not active" "self-test says why it fails"
finish
