#!/usr/bin/env bash
# QEMU (TCG) has no VMX: uhv must say so clearly and end the run with FAIL,
# never execute a VMX instruction, never hang. A CPU without long mode likewise.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot no-vmx-qemu qemu "$(iso novmx '' build/guest/selftest.elf 'selftest')" 60
expect "uhv vmx: ERROR: VMX is not available on this CPU \(CPUID.1:ECX.VMX=0\): uhv needs Intel VT-x; under QEMU use -accel kvm -cpu host" "clear message"
reject "VMXON|launching the guest|PANIC" "VMX attempted anyway"
expect_end qemu fail "no usable VMX" "run ends with FAIL"

# A CPU without long mode (issue 20: the boot path printed its message and hung): the message,
# then the run ends as every fatal error does, through the exit device or, with exit=halt,
# the halt line (the run then ends at the timeout).
for cpu in qemu64,-lm qemu32; do
	boot no-lm-${cpu%%,*} qemu "$(iso nolm '' build/guest/selftest.elf 'selftest')" 30 -- -cpu "$cpu"
	expect "^uhv: this CPU has no 64-bit long mode; uhv needs an x86-64 CPU with VT-x" "$cpu: clear message"
	expect_end qemu fail "no 64-bit long mode" "$cpu: run ends with FAIL through the exit device"
done
boot no-lm-halt qemu "$(iso nolm-halt 'exit=halt' build/guest/selftest.elf 'selftest')" 10 -- -cpu qemu64,-lm
expect "^uhv: run ended: FAIL - no 64-bit long mode" "exit=halt: run ended"
expect "^uhv: halted\. It is safe to power off or reset the machine\." "exit=halt: halted, said"
if [ "$RC" = 124 ]; then echo "  ok: exit=halt: no exit device used"
else echo "  WRONG: exit=halt: exit status $RC, expected the timeout (124)"; fails=$((fails + 1)); fi
finish
