#!/usr/bin/env bash
# The end of a run on real hardware (issue 17, item 7): when the guest powers the machine off
# or resets it, uhv (exit=hw, the default on hardware) does the same to the real machine after
# its last log line, instead of halting. QEMU q35 TCG has no VMX, so the test variant's
# end-test= option ends the run as a guest's power-off or reset would, right after uhv read the
# host's ACPI tables:
#  - end-test=poweroff exit=hw: uhv writes SLP_TYP (from the DSDT's \_S5) and SLP_EN to the
#    FADT's PM1a_CNT; QEMU powers off and exits 0. Run with `-action reboot=reset`, so that a
#    reset or triple fault would boot again instead of exiting;
#  - end-test=reset exit=hw, again with `-action reboot=reset`: the machine really resets:
#    the firmware and uhv boot again (the log holds two boots);
#  - end-test=poweroff exit=halt: halts as before, the machine stays on (timeout);
# old code: exit=hw and end-test= are unknown, the run ends through isa-debug-exit at vmx_init.
. "$(dirname "$0")/lib.sh"
make -s "$UHV_IMAGE" guests >/dev/null || { echo "cannot build uhv and the test guests"; exit 1; }
g=build/guest/selftest.elf

boot end-poweroff qemu "$(iso poweroff 'exit=hw end-test=poweroff' $g 'selftest')" 60 -- -action reboot=reset
expect "^uhv: end of run on this machine: power-off by ACPI S5 \(PM1a_CNT 0x604 SLP_TYP 0\), reset by the FADT reset register \(port 0xcf9 <- 0xf\), then port 0xcf9, the keyboard controller, a triple fault" \
	"the host's S5 and reset register read from its FADT and DSDT"
expect "^uhv: run ended: PASS - guest powered off \(end-test, no guest\)" "the run's end said"
expect "^uhv: powering the machine off \(ACPI S5\), as the guest did" "the power-off said before it happens"
if [ "$(tail -1 "$LOG" | tr -d "\r")" = "uhv: powering the machine off (ACPI S5), as the guest did" ]; then
	echo "  ok: uhv's last line is the power-off"
else
	echo "  WRONG: the last line is '$(tail -1 "$LOG")'"; fails=$((fails + 1))
fi
reject "still on after|halted\. It is safe" "the machine left on"
[ "$(grep -c 'uhv microhypervisor - built' "$LOG")" = 1 ] && echo "  ok: one boot (no reset)" ||
	{ echo "  WRONG: not exactly one boot"; fails=$((fails + 1)); }
[ "$RC" = 0 ] && echo "  ok: QEMU powered off (exit status 0)" ||
	{ echo "  WRONG: QEMU exit status $RC, expected 0 (ACPI power-off)"; fails=$((fails + 1)); }

# boots again and again until the timeout (20 s: several boots under TCG)
boot end-reset qemu "$(iso reset 'exit=hw end-test=reset' $g 'selftest')" 20 -- -action reboot=reset
expect "^uhv: run ended: PASS - guest reset the machine \(end-test, no guest\)" "the run's end said"
expect "^uhv: resetting the machine, as the guest did" "the reset said before it happens"
boots=$(grep -c 'uhv microhypervisor - built' "$LOG")
[ "$boots" -ge 2 ] && echo "  ok: the machine reset: uhv booted $boots times" ||
	{ echo "  WRONG: uhv booted $boots time(s): the machine did not reset"; fails=$((fails + 1)); }
reject "halted\. It is safe" "the machine left halted"

boot end-halt qemu "$(iso halt 'exit=halt end-test=poweroff' $g 'selftest')" 15 -- -action reboot=reset
expect "^uhv: run ended: PASS - guest powered off \(end-test, no guest\)" "the run's end said"
expect "^uhv: halted\. It is safe to power off or reset the machine\." "exit=halt: halted, said"
reject "powering the machine off" "exit=halt powering off"
[ "$RC" = 124 ] && echo "  ok: exit=halt: the machine stays on (timeout)" ||
	{ echo "  WRONG: exit=halt: exit status $RC, expected the timeout (124)"; fails=$((fails + 1)); }
finish
