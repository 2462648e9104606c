#!/usr/bin/env bash
# A real GDB against uhv's GDB stub: the selftest guest boots with gdb=ttyS1
# (Bochs COM2 on a TCP socket, COM1 stays the console log); gdb -batch loads
# the guest's symbols, attaches (the guest stops), sets a breakpoint on a
# guest function, continues to it, reads registers and memory, single-steps,
# deletes the breakpoint and lets the guest run to its normal end (GDB hears
# "exited normally"). Bochs tigerlake and skylake_x (single step by RFLAGS.TF
# with #DB intercepted on both, see docs/debugging.md).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
command -v gdb >/dev/null || { echo "SKIP: no gdb"; exit 0; }
isof=$(iso selftest-gdb 'gdb=ttyS1' build/guest/selftest.elf 'selftest')
elf=build/guest/selftest.elf
bp=$(nm "$elf" | sed -n 's/^0*\([0-9a-f]*\) T test_finish$/\1/p')

for plat in ${UHV_GDB_PLATFORMS:-bochs-tigerlake bochs}; do
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	LOG=$LOGS/gdb-$plat.log
	GLOG=$LOGS/gdb-$plat.gdb.log
	rm -f "$LOG" "$GLOG"
	scripts/emu.sh "$plat" "$isof" "$LOG" 300 -- \
		"com2: enabled=1, mode=socket-server, dev=127.0.0.1:$port" &
	emu=$!
	gdb_attach 280 "$elf" "$port" \
		-ex 'info registers rip' \
		-ex 'break *test_finish' \
		-ex 'continue' \
		-ex 'info registers rip' \
		-ex 'p under_uhv' \
		-ex 'x/4xb 0x100000' \
		-ex 'p/x $cr0' \
		-ex 'stepi' \
		-ex 'info registers rip' \
		-ex 'delete' \
		-ex 'continue' \
		>"$GLOG" 2>&1
	grc=$?
	wait $emu
	RC=$?
	echo "[gdb-$plat] $plat exit status $RC, gdb status $grc, serial log $LOG, gdb log $GLOG"
	gcheck() {
		if grep -aEq -- "$1" "$GLOG"; then echo "  ok: gdb: ${2:-$1}"
		else echo "  MISSING in gdb output: ${2:-$1}   (pattern: $1)"; fails=$((fails + 1)); fi
	}
	gcheck '^0x[0-9a-f]+ in [a-z_]+ \(' "attached: the guest stopped where it ran"
	gcheck "Breakpoint 1 at 0x0*$bp" "breakpoint set on test_finish"
	gcheck "Breakpoint 1, (0x0*$bp in )?test_finish \\(\\)" "stopped at the breakpoint"
	gcheck "rip +0x0*$bp +0x0*$bp <test_finish>" "rip at test_finish"
	gcheck '^\$1 = (true|1)' "guest variable under_uhv read through the stub"
	gcheck "0x100000.*0xd6	0x50	0x52	0xe8" "guest memory (multiboot2 header) read"
	gcheck '^\$2 = 0x[0-9a-f]*[13579bdf]$' "CR0 (PE set) from the system registers"
	gcheck "rip +0x0*[0-9a-f]+ +0x0*[0-9a-f]+ <test_finish\+[1-9][0-9]*>" "stepi moved rip inside test_finish"
	gcheck "exited normally" "guest ran to its end after the breakpoint was deleted"
	expect "uhv debug: GDB stub listening on port 0x2f8" "stub on COM2"
	expect "uhv vmx: trapped ports 0x02f8-0x02ff: GDB stub UART" "COM2 hidden from the guest"
	expect "^guest: RESULT: PASS" "guest verdict"
	expect_end bochs pass "" "PASS"
	[ $fails -eq 0 ] || { echo "--- gdb output:"; tail -30 "$GLOG"; }
done
finish
