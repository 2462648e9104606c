#!/usr/bin/env bash
# The uhv> monitor, driven through the emulated console (Bochs COM1 on a TCP
# socket, scripts/serial-session.py): the console guest spins without touching
# its UART (the escape must still be seen: preemption-timer polling), then
# echoes lines through uhv's virtual 16550. Checks: typed text reaches the
# guest, Ctrl-] Ctrl-] sends one Ctrl-], Ctrl-] m stops the guest and opens
# the prompt, every command answers (bad arguments get usage), step, continue,
# and the guest ends normally. Bochs tigerlake (whose MTF uhv does not use,
# docs/debugging.md).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
plat=${UHV_MONITOR_PLATFORM:-bochs-tigerlake}
isof=$(iso console '' build/guest/console.elf 'console spin=300')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$LOGS/monitor-$plat.log
rm -f "$LOG"
scripts/emu.sh "$plat" "$isof" "$LOGS/monitor-$plat.com1-unused.log" 240 -- \
	"com1: enabled=1, mode=socket-server, dev=127.0.0.1:$port" &
emu=$!
scripts/serial-session.py "127.0.0.1:$port" "$LOG" 120 <<'SCRIPT'
expect uhv debug: console escape: Ctrl-\] m monitor
expect guest: console: spinning
# the guest never reads its UART now: only the preemption timer sees this
send \x1dm
expect uhv: guest stopped \(escape\) at rip=
expect uhv> $
line help
expect   vmem +GVA LEN
expect   reset
expect uhv> $
line info
expect guest: multiboot2 ELF, 32-bit protected mode, paging off
expect single step: RFLAGS.TF
line exits
expect 52 .*preemption
line regs
expect rip=0000000000
expect cr0=
line mem 0x100000 16
expect 0000000000100000: d6 50 52 e8
line vmem 0x100000 16
expect 0000000000100000: d6 50 52 e8
line ept 0x100000
expect GPA 0x100000 -> HPA 0x100000, RWX
line iommu
expect VT-d:
line pci
expect PCI devices
line log debug
expect uhv: log level debug
line log info
expect uhv: log level info
line log loud
expect usage: log error\|warn\|info\|debug
line mem
expect usage: mem GPA LEN
line mem zz 4
expect 'zz' is not a number
line mem 0x100000 99999
expect LEN must be 1..4096
line vmem 0xfffff000 16
expect cannot be read
line frobnicate
expect unknown command 'frobnicate'
line step
expect uhv: guest stopped \(step\) at rip=
line s
expect uhv: guest stopped \(step\) at rip=
line continue
expect uhv: guest continues
expect guest: console: spin done
expect guest: console: ready
line hello world
expect guest: echo: hello world
# Ctrl-] twice: one Ctrl-] for the guest (uhv's console shows it as '.')
send \x1d\x1dab\r
expect guest: echo: \.ab
# Ctrl-] and another key: both go to the guest
send \x1dxy\r
expect guest: echo: \.xy
# the escape while the guest reads its UART
send \x1dm
expect uhv: guest stopped \(escape\)
expect uhv> $
line c
expect uhv: guest continues
line quit
expect guest: echo: quit
expect guest: RESULT: PASS
expect uhv: run ended: PASS
eof
SCRIPT
src=$?
wait $emu
RC=$?
echo "[monitor] $plat exit status $RC, serial-session status $src, console log $LOG"
[ $src -eq 0 ] || { echo "  FAILED: the scripted console session (above)"; fails=$((fails + 1)); }
expect "uhv vmx: trapped ports 0x03f8-0x03ff: console UART" "COM1 trapped"
reject "unhandled VM exit" "unhandled exits"
expect_rc bochs pass
finish
