#!/usr/bin/env bash
# CPUs the guest does not get (issue 17, item 3): parked in VMX root in a HLT loop with
# CR4.MCE set, not in wait-for-SIPI (where SMIs are blocked and a machine check, with the INIT
# state's CR4.MCE = 0, shuts the CPU down). Bochs with 3 CPUs, cpus=1, the selftest guest in
# attack=park mode:
#  - each parked CPU reports where it is (VMX root, HLT loop, CR4.MCE=1);
#  - test hook 32 sends each parked CPU two NMIs: each counts both, wakes once per NMI and
#    halts again (old code: Bochs keeps NMIs masked in wait-for-SIPI, nothing is counted);
#  - test hook 33 makes a parked CPU raise #MC (int $18) in VMX root: uhv prints the
#    machine-check report (IA32_MCG_CAP/STATUS, the banks) and stops every CPU cleanly
#    (old code: a generic "CPU exception 18" panic, no bank report);
#  - the guest's hostile INIT/SIPI to parked CPUs are tested by 26-smp-hostile.sh.
. "$(dirname "$0")/lib.sh"
make -s "$UHV_IMAGE" guests >/dev/null || { echo "cannot build uhv and the test guests"; exit 1; }
isof=$(iso park 'cpus=1' build/guest/selftest.elf 'attack=park parked=2')
UHV_CPUS=3 boot park-hlt bochs "$isof" 300
expect "^uhv smp: the guest gets 1 of 3 CPUs \(cpus=1\); 2 parked" "two CPUs parked"
for c in 1 2; do
	expect "uhv smp: CPU $c \(APIC ID $c\): in VMX root, HLT loop \(CR4 0x[0-9a-f]+, CR4.MCE=1\): parked \(hidden from the guest\)" \
		"CPU $c parked in VMX root, HLT loop, CR4.MCE=1"
	expect "test hook: parked CPU $c \(APIC ID $c\): 2 NMIs sent, 2 counted, 2 HLT wake-up\(s\), CR4 0x[0-9a-f]+: halted again after each" \
		"CPU $c counted two NMIs and halted again after each"
done
expect "^guest: test park-nmi: ok" "the guest's check of hook 32"
expect "test hook: raising #MC \(int \\\$18\) in VMX root on parked CPU 1 \(APIC ID 1\)" "#MC raised on parked CPU 1"
expect "^uhv: MACHINE CHECK \(#MC, vector 18\) on CPU 1 \(APIC ID 1\) at RIP 0x" "the machine-check report names the CPU"
expect "^  (IA32_MCG_CAP 0x[0-9a-f]+ \([0-9]+ banks\), IA32_MCG_STATUS|no machine-check architecture)" \
	"the machine-check registers read (or their absence said)"
expect "^uhv: the hardware reported an error it could not correct" "what to do"
expect "^uhv: CPU 0 \(APIC ID 0\) stopped" "the boot CPU stopped"
expect "^uhv: CPU 2 \(APIC ID 2\) stopped" "the other parked CPU stopped"
reject "PANIC|did not confirm it stopped|while reporting an exception" "a panic or an unclean stop"
reject "guest: test park-mc-ends-run: FAIL" "the run going on after the machine check"
expect "uhv: 5 NMI\(s\) ignored on CPUs that ran no guest: CPU 1 \(APIC ID 1\) 3, CPU 2 \(APIC ID 2\) 2" \
	"the NMIs counted per CPU at the end"
expect_end bochs fail "machine check" "the run ends: FAIL - machine check"
finish
