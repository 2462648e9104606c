# The selftest guest's control-register checks (guest/selftest/cr_rules.c, issue 20), shared by
# 20-vmx-selftest.sh (EPT: the processor checks most writes) and 60-shadow-selftest.sh
# (mem=shadow: uhv checks them, vmx/cr_checks.c): the same answers both ways and natively.
# Sourced after lib.sh; the function checks $LOG. $1: "pcid" when the CPU model has PCID.
expect_cr_rules() {
	expect "^guest: test cr-pcide-not-long: ok" "CR4.PCIDE outside IA-32e mode: #GP"
	expect "^guest: test cr-pg-without-pe: ok" "CR0.PG without PE: #GP"
	expect "^guest: test cr-nw-without-cd: ok" "CR0.NW without CD: #GP"
	expect "^guest: test cr-pg-lme-without-pae: ok" "CR0.PG with EFER.LME and no PAE: #GP"
	expect "^guest: test cr-lm-active: ok" "IA-32e mode entered (EFER.LMA=1)"
	expect "^guest: test cr-lm-clear-pae: ok" "clearing CR4.PAE in IA-32e mode: #GP"
	expect "^guest: test cr-lm-efer-lme-paging: ok" "clearing EFER.LME with paging on: #GP"
	expect "^guest: test cr-lm-clear-pg-64bit: ok" "clearing CR0.PG in 64-bit mode: #GP"
	if [ "${1:-}" = pcid ]; then
		expect "^guest: test cr-lm-pcide-cr3: ok" "setting CR4.PCIDE with CR3[11:0] != 0: #GP"
		expect "^guest: test cr-lm-clear-pg-pcide: ok" "clearing CR0.PG with CR4.PCIDE=1: #GP"
		expect "^guest: test cr-lm-clear-pg-pcide-64bit: ok" "the same in 64-bit mode: #GP"
	fi
	expect "^guest: test cr-lm-leave: ok" "leaving IA-32e mode from compatibility mode"
	expect "^guest: test cr-rules-alive: ok" "the guest goes on after the refused writes"
}
