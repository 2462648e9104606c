#!/usr/bin/env bash
# The selftest guest under Bochs' tigerlake model (other VMX capability
# values than skylake_x: monitor trap flag, sub-page permissions), then the
# bench guest under skylake_x: a CPUID exit round trip must stay within 120
# Bochs instructions (Bochs' TSC counts instructions).
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot vmx-selftest-tigerlake bochs-tigerlake "$(iso selftest '' build/guest/selftest.elf 'selftest')" 300
expect "uhv vmx: launching the guest" "launch"
expect "^guest: test hostile-alive: ok" "hostile checks"
expect "^guest: RESULT: PASS" "guest verdict"
reject "FAIL " "failed checks"
expect_end bochs pass "guest shut down, status 0" "PASS"

boot vmx-bench bochs "$(iso bench '' build/guest/bench.elf 'bench iters=10000')" 300
expect "^guest: bench cpuid: [0-9]+ ticks/iteration \(10000 iterations, 10000 exits\)" "CPUID loop"
expect "^guest: test bench-cpuid-exits: ok" "one exit per CPUID"
expect "^guest: RESULT: PASS" "bench verdict"
ticks=$(sed -n 's/^guest: bench cpuid: \([0-9]*\) ticks.*/\1/p' "$LOG" | head -1)
if [ -n "$ticks" ] && [ "$ticks" -le 120 ]; then
	echo "  ok: CPUID round trip $ticks Bochs instructions (<= 120)"
else
	echo "  TOO SLOW: CPUID round trip '${ticks}' Bochs instructions (> 120)"; fails=$((fails + 1))
fi
expect_rc bochs pass
finish
