#!/usr/bin/env bash
# Drive a real GDB against the stub engine (debug/gdbstub*.c): build test/unit/gdbstub_host.c (the
# stub over TCP with a fake guest), run `gdb -batch` against it and check
# what GDB printed. Exit 0 when every check passed, 77 when gdb is missing.
#   test/unit/gdbstub_host.sh [BUILD_DIR]
# GDB_DEBUG=1 adds GDB's packet trace to the log (the checks may then fail,
# because the trace lands in the middle of GDB's output lines).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build}/unit-host
mkdir -p "$out"
command -v gdb >/dev/null || { echo "SKIP  gdbstub_host: no gdb"; exit 77; }

gcc -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Itest/unit \
	-DUHV_HOST_TEST -fsanitize=address,undefined -fno-omit-frame-pointer \
	-o "$out/gdbstub_host" test/unit/gdbstub_host.c debug/gdbstub.c debug/gdbstub_wire.c \
	debug/gdbstub_regs.c debug/gdbstub_bp.c lib/format.c lib/errno.c test/unit/log_capture.c ||
	exit 1

rm -f "$out/port"
"$out/gdbstub_host" "$out/port" 2>"$out/stub.log" &
pid=$!
for _ in $(seq 50); do [ -s "$out/port" ] && break; sleep 0.1; done
port=$(cat "$out/port" 2>/dev/null) || { echo "FAIL  gdbstub_host did not start"; exit 1; }

gdb -nx -batch \
	-ex 'set remotetimeout 5' \
	-ex "set debug remote ${GDB_DEBUG:-0}" \
	-ex "target remote 127.0.0.1:$port" \
	-ex 'show architecture' \
	-ex 'info registers rip' \
	-ex 'info registers rax eflags cs' \
	-ex 'p/x $cr0' \
	-ex 'p/x $mxcsr' \
	-ex 'x/4xw 0x1000' \
	-ex 'set {int}0x1100 = 0x55aa1234' \
	-ex 'x/1xw 0x1100' \
	-ex 'set $rbx = 0xabcdef' \
	-ex 'p/x $rbx' \
	-ex 'break *0x1010' \
	-ex 'continue' \
	-ex 'info registers rip' \
	-ex 'x/1xb 0x1010' \
	-ex 'stepi' \
	-ex 'info registers rip' \
	-ex 'delete' \
	-ex 'hbreak *0x1020' \
	-ex 'continue' \
	-ex 'info registers rip' \
	-ex 'delete' \
	-ex 'watch *(int *)0x2000' \
	-ex 'continue' \
	-ex 'delete' \
	-ex 'x/3i $pc' \
	-ex 'continue' \
	-ex 'info registers rip' \
	-ex 'detach' \
	>"$out/gdb.log" 2>&1 &
gpid=$!
# a watchdog instead of timeout(1), which would pass our SIGINT on twice
( for _ in $(seq 600); do sleep 0.1; done; kill $gpid $pid 2>/dev/null ) &
dog=$!
# the last continue has nothing to stop at: interrupt it like Ctrl-C in GDB would
( for _ in $(seq 100); do
	grep -q 'running until Ctrl-C' "$out/stub.log" 2>/dev/null && { kill -INT $gpid; exit; }
	sleep 0.1
  done ) &
wait $gpid
grc=$?
wait $pid
src=$?
kill $dog 2>/dev/null

fail=0
check() {
	if grep -aqF -- "$1" "$out/gdb.log"; then
		echo "ok    gdb: $1"
	else
		echo "FAIL  gdb: $1"
		fail=1
	fi
}
check 'The target architecture is set to "auto" (currently "i386:x86-64")'
check 'rip            0x1000'
check 'rax            0x1234'
check 'eflags         0x202'
check '[ IF ]'
check 'cs             0x10'
check '$1 = 0x80050033'
check '$2 = 0x1f80'
check '0x1000:	0xdeadbeef	0x12345678	0x90909090	0x90909090'
check '0x1100:	0x55aa1234'
check '$3 = 0xabcdef'
check 'Breakpoint 1 at 0x1010'
check 'Breakpoint 1, 0x0000000000001010 in ?? ()'
check 'rip            0x1010'
check '0x1010:	0x90'
check 'rip            0x1011'
check 'Hardware assisted breakpoint 2 at 0x1020'
check 'Breakpoint 2, 0x0000000000001020 in ?? ()'
check 'rip            0x1020'
check 'Hardware watchpoint 3: *(int *)0x2000'
check 'Old value = 0'
check 'New value = 1'
check 'nop'
check 'received signal SIGINT'
check '[Inferior 1 (Remote target) detached]'
[ $grc -eq 0 ] || { echo "FAIL  gdb exited with $grc"; fail=1; }
[ $src -eq 0 ] || { echo "FAIL  gdbstub_host exited with $src (see $out/stub.log)"; fail=1; }
if [ $fail -ne 0 ]; then
	echo "--- $out/gdb.log"; cat "$out/gdb.log"
	echo "--- $out/stub.log"; cat "$out/stub.log"
	exit 1
fi
echo "PASS  gdbstub_host: real gdb talked to the stub"
