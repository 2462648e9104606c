#!/usr/bin/env bash
# A machine check while uhv runs (issue 17, item 3): every CPU runs with CR4.MCE, so #MC reaches
# uhv's handler, which prints the machine-check registers and stops every CPU cleanly. Without
# CR4.MCE the CPU shuts down (QEMU: "Triple fault", a reset; -no-reboot exits 0) and nothing is
# reported: old code.
# QEMU q35 TCG -smp 4 stopped by its GDB stub at vmx_init (the APs wait in uhv for the guest's
# launch, the boot CPU has no vCPU yet), then QEMU's "mce" monitor command injects a machine
# check with known bank contents:
#  - boot:      an uncorrected memory error in bank 1 of CPU 0 (with ADDR and MISC);
#  - broadcast: "mce -b" on CPU 2, as firmware broadcasts machine checks: every CPU takes #MC;
#               one reports, the others say they also took it and stop.
. "$(dirname "$0")/lib.sh"
make -s "$UHV_IMAGE" guests >/dev/null || { echo "cannot build uhv and the test guests"; exit 1; }
command -v gdb >/dev/null || { echo "skip: no gdb"; exit 77; }
isof=$(iso mce '' build/guest/selftest.elf 'selftest')
# VAL UC EN MISCV ADDRV PCC, memory controller error 0x009f; MCG_STATUS EIPV|MCIP
STATUS=0xbe0000000001009f
run() {	# NAME MCE-ARGS
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	LOG=$LOGS/mce-$1.log
	local glog=$LOGS/mce-$1.gdb.log
	rm -f "$LOG" "$glog"
	UHV_CPUS=4 scripts/emu.sh qemu "$isof" "$LOG" 120 -- -S -gdb "tcp:127.0.0.1:$port" &
	local emu=$!
	gdb_attach 110 "$UHV_IMAGE" "$port" -ex 'hbreak vmx_init' -ex 'continue' \
		-ex "monitor mce $2" -ex 'delete' -ex 'detach' >"$glog" 2>&1
	wait $emu
	RC=$?
	echo "[mce-$1] qemu exit status $RC, serial log $LOG, gdb log $glog"
	if grep -q "hit Breakpoint 1, vmx_init" "$glog"; then
		echo "  ok: stopped at vmx_init, machine check injected"
	else
		echo "  FAILED: the GDB session (see $glog)"; fails=$((fails + 1))
	fi
	expect "^uhv smp: all 4 CPUs run uhv" "every AP waits in uhv"
	reject "PANIC|while reporting an exception|did not confirm it stopped" "a panic or an unclean stop"
}

run boot "0 1 $STATUS 0x6 0x12345000 0x86"
expect "^uhv: MACHINE CHECK \(#MC, vector 18\) on CPU 0 \(APIC ID 0\) at RIP 0x" "the report names the boot CPU"
expect "^  IA32_MCG_CAP 0x[0-9a-f]+ \(([1-9][0-9]*) banks\), IA32_MCG_STATUS 0x6 \(EIPV MCIP\): the interrupted code cannot be resumed" \
	"IA32_MCG_CAP and IA32_MCG_STATUS"
expect "^  bank 1: IA32_MC1_STATUS $STATUS: VAL UC EN MISCV ADDRV PCC, memory controller error \(code 0x009f, model 0x0001\)" \
	"bank 1's status, decoded"
expect "^    IA32_MC1_ADDR 0x12345000" "bank 1's address"
expect "^    IA32_MC1_MISC 0x86" "bank 1's misc"
expect "^  1 of [0-9]+ banks hold an error" "only bank 1 holds an error"
for c in 1 2 3; do expect "^uhv: CPU $c \(APIC ID $c\) stopped" "CPU $c stopped"; done
expect_end qemu fail "machine check" "the run ends: FAIL - machine check"

run broadcast "-b 2 1 $STATUS 0x6 0x2000 0x86"
expect "^uhv: MACHINE CHECK \(#MC, vector 18\) on CPU [0-3] \(APIC ID [0-3]\) at RIP 0x" "one CPU reports"
expect "^  bank 1: IA32_MC1_STATUS 0x[0-9a-f]+: VAL UC" "its bank 1 holds the error"
n=$(grep -cE "^uhv: CPU [0-3] \(APIC ID [0-3]\) (also took exception 18 \(#MC machine check\)|stopped)" "$LOG")
[ "$n" -ge 3 ] && echo "  ok: the 3 other CPUs took the broadcast #MC or were stopped ($n lines)" ||
	{ echo "  WRONG: only $n of the other CPUs said they stopped"; fails=$((fails + 1)); }
expect_end qemu fail "machine check" "the run ends: FAIL - machine check"
finish
