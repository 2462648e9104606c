#!/usr/bin/env bash
# QEMU (TCG) has no VMX: uhv must say so clearly and end the run with FAIL,
# never execute a VMX instruction, never hang.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot no-vmx-qemu qemu "$(iso novmx '' build/guest/selftest.elf 'selftest')" 60
expect "uhv vmx: ERROR: VMX is not available on this CPU \(CPUID.1:ECX.VMX=0\): uhv needs Intel VT-x; under QEMU use -accel kvm -cpu host" "clear message"
reject "VMXON|launching the guest|PANIC" "VMX attempted anyway"
expect_end qemu fail "no usable VMX" "run ends with FAIL"
finish
