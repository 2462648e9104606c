# The selftest guest's deny-by-default checks (issue 14, docs/security.md), shared by the tests
# that run it: 20-vmx-selftest.sh (Bochs, EPT), 60-shadow-selftest.sh (mem=shadow) and
# 20-vmx-nested-kvm.sh (nested KVM, q35). Each hostile access gets the documented answer, uhv
# says it once and counts it. Sourced after lib.sh; the functions check $LOG.

# MSRs (guest/selftest/deny_msr.c, vmx/msr_policy.c)
expect_deny_msr() {
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
}

# Ports (guest/selftest/deny_io.c, vmx/io_policy.c). $1: the machine's PM1a_CNT port.
expect_deny_io() {
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
	expect "uhv platform: warning: the guest asked for sleep state SLP_TYP 1 through PM1a_CNT \\($1\\): dropped" "sleep state through an overlapping access dropped"
	expect "uhv vmx: denied by policy: .*ports unassigned [1-9][0-9]*, filtered [1-9]" "port refusals counted"
}

# Guest-physical space (guest/selftest/deny_mmio.c, vm/mmio_policy.c): the same answer in EPT
# and shadow mode.
expect_deny_mmio() {
	expect "^guest: test deny-mmio-rcba-read: ok" "unassigned chipset space (ICH9 RCBA) reads all-ones through uhv"
	expect "^guest: test deny-mmio-txt-read: ok" "unassigned TXT public space reads all-ones"
	expect "^guest: test deny-mmio-write-dropped: ok" "write to unassigned space dropped"
	expect "^guest: test deny-mmio-read8: ok" "byte load from unassigned space: 0xff merged"
	expect "^guest: test deny-mmio-read16: ok" "word load from unassigned space: 0xffff merged"
	expect "^guest: test deny-mmio-reserved-read: ok" "reserved range above 1 MiB unassigned"
	expect "^guest: test deny-mmio-allowed-native: ok" "LAPIC and VGA window reached without exits"
	expect "^guest: test deny-mmio-alive: ok" "uhv survives unassigned accesses"
	expect "uhv vmx: warning: MMIO: guest read of unassigned guest-physical 0xfed1c000 .*reported once per range" "unassigned access reported"
	expect "uhv vmx: denied by policy: .*MMIO unassigned [1-9][0-9]*" "unassigned accesses counted"
	rmcount=$(grep -ac "unassigned guest-physical 0xfed" "$LOG")
	if [ "$rmcount" = 1 ]; then echo "  ok: RCBA and TXT accesses reported once (one range)"; else echo "  WRONG: $rmcount reports for the range of RCBA and TXT (want 1)"; fails=$((fails + 1)); fi
}
