#!/usr/bin/env bash
# The selftest guest with uhv as L2 under nested KVM (Bochs -> Linux L1 with
# kvm_intel nested=1 -> QEMU -accel kvm -cpu host -M q35 -device intel-iommu,
# scripts/nested/run.sh): other VMX capability values than Bochs (revision,
# EPTP memory type WB only, CR4_FIXED1, no shutdown activity state) and a
# DMAR whose VT-d register page must stay out of the guest's EPT. The deny-by-default checks
# (issue 14) meet the hardware only this tier has: q35's PM1a_CNT at 0x604 with S3 enabled
# (-global ICH9-LPC.disable_s3=0: an overlapping write with SLP_TYP 1 would suspend the machine),
# ICH9's RCBA at 0xfed1c000, and the ECAM window the APIC base may not move onto.
# About 2.5 minutes (one nested Bochs at a time).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deny-checks.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
img=$(iso selftest '' build/guest/selftest.elf 'selftest memwalk=4096')
boot_nested vmx-nested-kvm "$img" -global ICH9-LPC.disable_s3=0
expect "uhv vmx: VMCS revision 0x11e57ed0" "KVM's nested VMX"
expect "uhv vmx: EPT: walk 4, EPTP types WB," "EPTP type WB only"
expect "uhv vmx:   hidden from the guest: \[0x0000fed90000-0x0000fed91000\) VT-d registers" "VT-d registers kept out of the EPT"
expect "uhv vmx: launching the guest" "launch"
expect "^guest: test memwalk: ok" "guest RAM"
expect "^guest: test hostile-paged: ok" "hostile accesses"
expect "^guest: test apic-base-over-ecam: ok" "the APIC base cannot move onto the ECAM window"
expect "uhv vmx: warning: guest tried to move the local APIC onto a range uhv keeps" "APIC move refused, said"
expect_deny_msr
expect_deny_io 0x604
expect_deny_mmio
expect "^guest: RESULT: PASS" "guest verdict"
reject "^guest: test [a-z0-9-]+: FAIL" "failed checks"
expect_end qemu pass "guest shut down, status 0" "PASS"
finish
