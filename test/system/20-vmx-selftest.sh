#!/usr/bin/env bash
# The selftest guest under uhv in Bochs (corei7_skylake_x): VMX bring-up with
# the controls computed from the capability MSRs, EPT without uhv's memory,
# the exit handlers (CPUID, MSRs, CR4.VMXE, I/O test port, VMX instructions,
# hypercalls), the hostile accesses to uhv's memory (EPT violations skipped
# through test hook 2), and the shutdown hypercall ending the run with PASS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deny-checks.sh"
. "$(dirname "$0")/cr-rules-checks.sh"
. "$(dirname "$0")/ioapic-checks.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot vmx-selftest bochs "$(iso selftest '' build/guest/selftest.elf 'selftest realmode=1')" 300
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
expect "^guest: test inject-gp-rf: ok" "#GP uhv injects pushes RF=1, as the CPU's own"
expect "^guest: test inject-ud-rf: ok" "#UD for VMXON pushes RF=1"
expect "^guest: test inject-step-cpuid: ok" "TF over an emulated CPUID: #DB right after it, DR6.BS"
expect "^guest: test inject-step-movss: ok" "MOV SS, TF, CPUID: one #DB after CPUID"
expect "^guest: test inject-rf-cleared: ok" "an emulated instruction clears RF"
expect "^guest: test inject-nmi-watchdog: ok" "watchdog NMIs during exits all reach the guest"
expect "^guest: test hc-console-not-ram: ok" "console hypercall validates guest RAM"
expect "^guest: test shadow-invlpg-large: ok" "INVLPG of a 2 MiB page over the BIOS ROM, repointed at RAM"
expect "^guest: test memwalk: ok" "all guest RAM reachable and distinct"
expect "uhv vmx: warning: EPT violation: guest write of guest-physical 0x[0-9a-f]+ .*uhv's own memory" "hostile write reported"
expect "^guest: test hostile-write: ok" "hostile write failed in the guest"
expect "^guest: test hostile-paged: ok" "hostile access through guest paging failed"
expect "^guest: test hostile-alive: ok" "uhv survives hostile accesses"
expect "^guest: RESULT: PASS" "guest verdict"
reject "^guest: guest: " "double console prefix"
reject "FAIL " "failed checks"
expect "uhv vmx: guest requested shutdown with status 0" "shutdown hypercall"
expect "uhv vmx: exit statistics: [0-9]+ exits" "exit statistics"
expect "uhv vmx: +10 CPUID +[0-9]+ exits" "CPUID exits counted"
expect_end bochs pass "guest shut down, status 0" "run ends with the guest's verdict"
reject "test hook's target in uhv's image was changed" "uhv memory changed by the guest"
expect_deny_msr
expect_deny_io 0xb004
expect_deny_mmio
expect_ioapic
expect_cr_rules pcid
expect "^guest: test cr-real-mode-round-trip: ok" "real mode and back (unrestricted guest)"
expect "uhv vm: MMIO policy: [0-9]+ ranges" "MMIO policy printed"

# Fast reset through port 0x92 bit 0 (issue 20, item 5): a guest reset request, said like the
# 8042's and the reset register's; before the port policy the write reset the emulated machine.
boot vmx-fast-reset bochs "$(iso fast-reset '' build/guest/selftest.elf 'selftest attack=fast-reset')" 180
expect "^guest: fast-reset: writing 0x[0-9a-f]+ to port 0x92" "the guest wrote the fast reset bit"
expect "uhv platform: the guest reset the machine \(fast reset through port 0x92\); uhv does not restart guests" "reset request said"
reject "^guest: test fast-reset-ends-run: FAIL" "the write returned"
expect_end bochs pass "guest reset the machine" "run ends: guest reset the machine"
finish
