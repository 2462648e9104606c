#!/usr/bin/env bash
# A guest that tries to drive uhv's console (issue 14, item 7): the console guest with
# hostile=1 (guest/console/hostile.c) in Bochs, COM1 in a file.
#  - MCR.LOOP, Ctrl-] m transmitted, loopback off before reading: uhv's monitor must not
#    open (on the real UART's loopback the keys reached the escape filter as if typed) and
#    the guest reads its own bytes back, as from a 16550;
#  - the divisor latch is the guest's: a line uhv prints while the guest has DLAB set
#    reaches the console (with the real LCR's DLAB it went into the divisor latch);
#  - ESC, CSI, OSC and 8-bit CSI written to THR reach the console as '.', and no 0x1b
#    byte from the guest is in the log (GRUB's own sequences come before uhv).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot console-hostile bochs "$(iso hostile '' build/guest/console.elf 'console hostile=1')" 180
expect "^guest: started under uhv" "guest runs under uhv"
expect "^guest: test console-loopback-escape: ok" "loopback: Ctrl-] m read back by the guest"
reject "guest stopped|uhv> " "uhv's monitor opened by the guest's own output"
expect "^guest: test console-loopback: ok" "loopback read back, MSR follows MCR"
expect "^guest: console: this line was printed while the guest's LCR had DLAB set" \
	"uhv's output while the guest has DLAB set"
expect "^guest: test console-dlab: ok" "divisor latch emulated"
expect "^guest: console: raw output: \.\[2J \.\]0;owned\. \.31m end"$'\r'"?$" \
	"terminal controls from THR shown as '.', \\r\\n kept"
if awk '/launching the guest/ {l=1} l' "$LOG" | grep -q $'\x1b'; then
	echo "  UNEXPECTED: an ESC byte from the guest in the console log"; fails=$((fails + 1))
else
	echo "  ok: no ESC byte after the guest's launch"
fi
expect "^guest: console: hostile checks done" "the guest went on"
expect "^guest: RESULT: PASS" "guest verdict"
reject "FAIL " "failed checks"
expect_end bochs pass "guest shut down, status 0" "run PASS"
finish
