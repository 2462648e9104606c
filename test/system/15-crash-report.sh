#!/usr/bin/env bash
# A CPU exception inside uhv prints vector, error code, RIP, CR2, registers
# and a stack trace, then ends the run with FAIL (never a hang or reboot loop).
. "$(dirname "$0")/lib.sh"
boot crash-pf qemu "$(iso crash-pf 'probe panic-test=pf')" 60
expect "PANIC: CPU exception 14 \(#PF page fault\) in the hypervisor" "vector and name"
expect "error code 0x0  RIP 0xffffffff8[0-9a-f]+" "error code and RIP"
expect "CR2 0x10 " "CR2 is the faulting address"
expect "page fault: not-present page on read access in supervisor mode" "error code decoded"
expect "RAX [0-9a-f]{16} RBX" "registers"
expect "stack trace" "stack trace"
expect_end qemu fail "CPU exception in the hypervisor" "run ends with FAIL"
# the RIP must point into kmain's panic_test (symbolize with addr2line)
rip=$(sed -n 's/.*RIP \(0xffffffff[0-9a-f]*\).*/\1/p' "$LOG" | head -1)
if [ -n "$rip" ] && addr2line -f -e "$UHV_IMAGE" "$rip" | grep -q panic_test; then
	echo "  ok: RIP $rip is in panic_test"
else
	echo "  WRONG: RIP $rip is not in panic_test"; fails=$((fails + 1))
fi
boot crash-ud bochs "$(iso crash-ud 'probe panic-test=ud')" 300
expect "PANIC: CPU exception 6 \(#UD invalid opcode\)" "#UD reported under Bochs"
expect_end bochs fail "" "FAIL"
finish
