#!/usr/bin/env bash
# The selftest guest under uhv in Bochs (corei7_skylake_x): VMX bring-up with
# the controls computed from the capability MSRs, EPT without uhv's memory,
# the exit handlers (CPUID, MSRs, CR4.VMXE, I/O test port, VMX instructions,
# hypercalls), the hostile accesses to uhv's memory (EPT violations skipped
# through test hook 2), and the shutdown hypercall ending the run with PASS.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot vmx-selftest bochs "$(iso selftest '' build/guest/selftest.elf 'selftest')" 300
expect "uhv vmx: controls chosen:" "controls computed and printed"
expect "uhv vmx:   secondary: enable EPT.*unrestricted guest" "EPT and unrestricted guest on"
expect "uhv vmx: VMX root operation: CR0 0x[0-9a-f]+ CR4 0x[0-9a-f]*[2367abef][0-9a-f]{3}," "VMXON with CR4.VMXE"
expect "uhv vmx:   hidden from the guest: \[0x[0-9a-f]+-0x[0-9a-f]+\) uhv" "uhv's memory kept out of the EPT"
expect "uhv vmx: EPT: [0-9]+ table pages, largest leaf 1 GiB, memory types from the host MTRRs" "EPT built"
expect "uhv vmx: launching the guest \(multiboot2 ELF\)" "launch"
expect "^guest: started under uhv" "guest runs and detects uhv"
expect "^guest: test cpuid-hypervisor-bit: ok" "CPUID: hypervisor bit"
expect "^guest: test cpuid-vmx-hidden: ok" "CPUID: VMX hidden"
expect "^guest: test cpuid-uhv-leaf: ok" "CPUID: uhv leaf"
expect "^guest: test msr-vmx-caps-gp: ok" "VMX capability MSRs #GP"
expect "^guest: test msr-feature-control: ok" "FEATURE_CONTROL reads locked, VMX off"
expect "^guest: test vmx-cr4-vmxe: ok" "CR4.VMXE cannot be set"
expect "^guest: test vmx-ud-vmlaunch: ok" "VMX instructions #UD"
expect "^guest: test io-test-port: ok" "test port 0x510"
expect "^guest: test hc-console-not-ram: ok" "console hypercall validates guest RAM"
expect "^guest: test memwalk: ok" "all guest RAM reachable and distinct"
expect "uhv vmx: warning: EPT violation: guest write of guest-physical 0x[0-9a-f]+ .*uhv's own memory" "hostile write reported"
expect "^guest: test hostile-write: ok" "hostile write failed in the guest"
expect "^guest: test hostile-paged: ok" "hostile access through guest paging failed"
expect "^guest: test hostile-alive: ok" "uhv survives hostile accesses"
expect "^guest: RESULT: PASS" "guest verdict"
# deny by default for ports (issue 14, guest/selftest/deny_io.c): each hostile access gets the
# documented answer, uhv says it once and counts it
expect "uhv vmx: port table: [0-9]+ rules, [0-9]+ ports native" "port table applied"
expect "^guest: test io-deny-com1-overlap: ok" "word at 0x3f7: unassigned byte all-ones, COM1 byte emulated"
expect "uhv vmx: warning: guest read of port 0x3f7 \(2 bytes\): unassigned" "partial overlap of COM1 emulated per byte"
expect "^guest: test io-deny-unassigned: ok" "unassigned ports read all-ones"
expect "uhv vmx: warning: guest read of port 0x1f7 \(1 byte\): unassigned" "unassigned port said once"
expect "^guest: test io-deny-rtc-nmi-mask: ok" "RTC index with the NMI-mask bit"
expect "uhv platform: warning: guest wrote 0x8a to the RTC index port 0x70: the NMI-mask bit is not passed on" "NMI mask kept from the chipset"
expect "^guest: test io-deny-cmos-copy: ok" "CMOS from 0x0e a private copy"
expect "uhv platform: warning: guest wrote 0x[0-9a-f]+ to CMOS byte 0x3f: kept in the guest's copy" "firmware CMOS unchanged"
expect "uhv platform: warning: guest wrote 0x5a to SMI_CMD 0xb2: dropped" "SMI command dropped"
expect "^guest: test io-deny-a20: ok" "A20 cannot be cleared through port 0x92"
expect "uhv platform: warning: guest cleared A20 through port 0x92" "A20 kept on, said"
expect "^guest: test io-deny-kbc-output-port: ok" "8042 write-output-port (reset line) dropped"
expect "uhv platform: warning: guest sent the keyboard controller command 0xd1" "8042 0xd1 dropped, said"
expect "^guest: test io-deny-pm1-overlap: ok" "outl at PM1a_CNT-2 did not sleep the machine"
expect "uhv platform: warning: the guest asked for sleep state SLP_TYP 1 through PM1a_CNT \(0xb004\): dropped" "sleep state through an overlapping access dropped"
expect "uhv vmx: denied by policy: .*ports unassigned [1-9][0-9]*, filtered [1-9]" "port refusals counted"
reject "^guest: guest: " "double console prefix"
reject "FAIL " "failed checks"
expect "uhv vmx: guest requested shutdown with status 0" "shutdown hypercall"
expect "uhv vmx: exit statistics: [0-9]+ exits" "exit statistics"
expect "uhv vmx: +10 CPUID +[0-9]+ exits" "CPUID exits counted"
expect_end bochs pass "guest shut down, status 0" "run ends with the guest's verdict"
reject "test hook's target in uhv's image was changed" "uhv memory changed by the guest"
finish
