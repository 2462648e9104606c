#!/usr/bin/env bash
# The console poll without the VMX-preemption timer (debug/idle_poll.c): preempt-timer=off, as
# uhv does by itself on CPUs with a timer erratum. The console guest halts 300 times with
# interrupts enabled and none that can come (natively those HLTs never end); uhv takes the HLT
# exits, waits in the guest's place and polls the console. Checks: the fallback is announced,
# Ctrl-] m typed while the guest idles stops it and opens the monitor, the exit counts show HLT
# exits and no preemption-timer exits, the guest's halts end (one poll period each) and the run
# ends normally with the idle-poll summary. Bochs tigerlake, console on a TCP socket as in
# 80-monitor.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
plat=bochs-tigerlake
isof=$(iso idle 'preempt-timer=off' build/guest/console.elf 'console idle=300')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$LOGS/idle-poll-$plat.log
rm -f "$LOG"
scripts/emu.sh "$plat" "$isof" "$LOGS/idle-poll-$plat.com1-unused.log" 240 -- \
	"com1: enabled=1, mode=socket-server, dev=127.0.0.1:$port" &
emu=$!
scripts/serial-session.py "127.0.0.1:$port" "$LOG" 150 <<'SCRIPT'
expect uhv debug: console poll: not using the VMX-preemption timer \(preempt-timer=off\); polling from the guest's HLT
expect guest: console: idling in HLT 300 times
# the guest sits in HLT: only uhv's idle poll sees this (then it runs 300 MONITOR/MWAITs with
# interrupts off, which natively never end)
send \x1dm
expect uhv: guest stopped \(escape\) at rip=
expect uhv> $
line exits
expect 12 .*HLT
line c
expect uhv: guest continues
expect guest: console: idle done \(300 halts
expect guest: console: 300 MWAITs returned
expect guest: console: ready
line quit
expect guest: RESULT: PASS
expect uhv: run ended: PASS
eof
SCRIPT
src=$?
wait $emu; RC=$?
echo "[idle-poll] $plat exit status $RC, console session status $src, log $LOG"
if [ $src -ne 0 ]; then
	echo "  FAILED: the scripted console session (above)"; fails=$((fails + 1))
fi
expect "uhv options: preempt-timer=off" "the option is shown"
reject "^ *52 .*preemption" "preemption-timer exits"
expect "uhv debug: console poll from idle exits: 30[0-9] HLT, 300 MWAIT exits, [0-9]+ polls" \
	"idle-poll summary"
reject "unhandled VM exit" "unhandled exits"
expect_rc bochs pass
finish
