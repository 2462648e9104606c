#!/usr/bin/env bash
# mem=shadow (issue #6): the selftest guest on shadow page tables instead of
# EPT, under Bochs skylake_x and tigerlake. Its paging checks (32-bit tables,
# 4 MiB and 4 KiB pages, CR3 switches, INVLPG, true page faults with their
# error codes and CR2) now go through uhv's CR3/INVLPG/#PF exits, the memory
# walk through the identity shadow of paging-off mode, and the hostile
# accesses to uhv's memory must fail exactly as with EPT (counted and skipped
# through the same test hooks).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deny-mmio.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
img=$(iso selftest 'mem=shadow' build/guest/selftest.elf 'selftest')
for plat in bochs bochs-tigerlake; do
	boot shadow-selftest-$plat $plat "$img" 300
	expect "uhv options: .* mem=shadow" "mem=shadow parsed"
	expect "uhv shadow: memory virtualization: shadow page tables \(mem=shadow\)" "shadow mode chosen"
	# the chosen controls (after "controls chosen:"), not the capability list before
	chosen2=$(sed -n '/uhv vmx: controls chosen:/,/uhv vmx:   entry:/p' "$LOG" | grep -a "secondary:")
	if [ -n "$chosen2" ] && ! grep -q "enable EPT\|unrestricted guest\|enable VPID" <<<"$chosen2"; then
		echo "  ok: EPT, unrestricted guest and VPID off ($chosen2)"
	else
		echo "  WRONG secondary controls: '$chosen2'"; fails=$((fails + 1))
	fi
	expect "uhv vmx:   primary: .*INVLPG exiting.*CR3-load exiting, CR3-store exiting" "INVLPG and CR3 exiting on"
	expect "uhv shadow: shadow paging: guest CR0 0x11 CR3 0x0 CR4 0x0 EFER 0x0; real CR0 0x8001[0-9a-f]{4} CR4 0x[0-9a-f]*2[0-9a-f] EFER 0x800" "paging-off guest on an identity shadow (real PG, WP, PAE, NXE)"
	expect "uhv vmx: launching the guest \(multiboot2 ELF\)" "launch"
	expect "uhv vmx: MSR policy: [0-9]+ MSRs reach the hardware as the table in vmx/msr_policy.c says; every other MSR: #GP" "MSR policy built from its table"
	expect "^guest: test msr-deny-tsc-write: ok" "IA32_TSC write denied (uhv's time base)"
	expect "^guest: test msr-deny-tsc-adjust: ok" "TSC_ADJUST hidden and denied"
	expect "^guest: test msr-machine-check-view: ok" "an MCA without banks: MCG_CAP 0, MCG_STATUS 0"
	expect "^guest: test msr-deny-machine-check: ok" "machine-check banks and MCG_CTL denied"
	expect "^guest: test msr-deny-platform: ok" "microcode trigger, SMRR, DS area, RAPL, debug interface, unknown MSR: #GP"
	expect "^guest: test msr-misc-enable-xd: ok" "XD disable cannot be set through IA32_MISC_ENABLE"
	expect "^guest: test msr-deny-processor-trace: ok" "Processor Trace hidden and denied"
	expect "^guest: test msr-allowed-native: ok" "kernel MSRs (PAT, STAR) still native"
	expect "uhv vmx: denied by policy: MSR reads [1-9][0-9]*, writes [1-9][0-9]* \(#GP\), writes ignored [1-9]" "MSR denials counted in the statistics"
	expect "uhv vmx:   denied MSR 0x79 \\(IA32_BIOS_UPDT_TRIG\\): 1 reads, 1 writes" "the microcode trigger named in the statistics"
	expect "^guest: test paging-cr3-switch: ok" "CR3 switch"
	expect "^guest: test paging-4m-map: ok" "4 MiB page (two 2 MiB shadow leaves)"
	expect "^guest: test paging-pf-not-present: ok" "true #PF (not present) injected with error code and CR2"
	expect "^guest: test paging-pf-write-protect: ok" "true #PF (write protect)"
	expect "^guest: test paging-invlpg: ok" "INVLPG drops the shadow entry"
	expect "^guest: test paging-cr3-reload: ok" "CR3 reload resynchronizes"
	expect "^guest: test paging-off: ok" "paging off again"
	expect "^guest: test memwalk: ok" "all guest RAM reachable and distinct"
	expect "uhv shadow: warning: guest write of guest-physical 0x[0-9a-f]+ .*uhv's own memory" "hostile write reported"
	expect "^guest: test hostile-read: ok" "hostile read failed in the guest"
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
	reject "FAIL " "failed checks"
	expect "uhv vmx: +0 exception or NMI +[1-9][0-9]* exits" "#PF exits counted"
	expect "uhv shadow: shadow statistics: CR3 loads [1-9]" "shadow statistics"
	expect "uhv shadow: shadow root cache: [0-9]+ hits" "root cache statistics"
	expect_end bochs pass "guest shut down, status 0" "run ends with the guest's verdict"
	reject "test hook's target in uhv's image was changed" "uhv memory changed by the guest"
	expect_deny_mmio
done
# The other VMX-issue guest, bench, in shadow mode too (its exit-count checks must hold).
boot shadow-bench bochs "$(iso bench 'mem=shadow' build/guest/bench.elf 'iters=2000')" 300
expect "^guest: test bench-cpuid-exits: ok" "bench: CPUID exit count exact"
expect "^guest: RESULT: PASS" "bench guest passes in shadow mode"
expect_end bochs pass "guest shut down, status 0" "clean end"
finish
