#!/usr/bin/env bash
# The per-CPU tables are sized from the MADT's count, not from a constant (issue 17 item 5):
# arch/ap_start.c takes the table of CPUs and every AP's stacks and struct percpu from uhv's pool
# once the MADT is read, after checking that the pool holds what every AP needs (also the VMX
# side's VMXON, VMCS and exit stack). When it does not, no AP is started, the shortfall is said
# with the figures and the run ends there, before a guest is built (a guest's INIT/SIPI could
# reach CPUs left in the firmware's hands). QEMU q35, TCG (no VMX: a run that gets that far ends
# at vmx_init), SeaBIOS:
#  - -smp 70 (more than the old fixed 64): every CPU started, no error;
#  - -smp 70 with uhvmem=2M: refused, naming the pool and uhvmem=, and the run ends there.
# On the old code (UHV_MAX_CPUS 64) the first case names 6 CPUs not started and ends with FAIL.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
n=70
iso_file=$(iso cpus '' build/guest/selftest.elf 'selftest')

UHV_CPUS=$n boot cpus-many qemu "$iso_file" 240
expect "uhv acpi: MADT: $n CPUs" "-smp $n: $n CPUs in the MADT"
expect "^uhv smp: all $n CPUs run uhv \(boot CPU APIC ID 0 \+ $((n - 1)) application processor" "-smp $n: all $n CPUs run uhv"
aps=$(grep -Eac "^uhv smp: CPU [0-9]+ \(APIC ID [0-9]+\) started" "$LOG")
[ "$aps" = $((n - 1)) ] && echo "  ok: -smp $n: $((n - 1)) APs started" ||
	{ echo "  MISSING: -smp $n: $((n - 1)) APs started (got $aps)"; fails=$((fails + 1)); }
reject "NOT started|uhv smp: ERROR|PANIC" "-smp $n: a CPU not started, a panic"
expect_end qemu fail "no usable VMX" "-smp $n: run ends at vmx_init (QEMU TCG has no VMX)"

iso_small=$(iso cpus-small 'uhvmem=2M' build/guest/selftest.elf 'selftest')
UHV_CPUS=$n boot cpus-pool-short qemu "$iso_small" 240
expect "uhv mm: usable .*uhv pool 2 MiB" "uhvmem=2M taken"
expect "^uhv smp: ERROR: $((n - 1)) CPU\(s\) NOT started: uhv's pool has no room for their per-CPU memory \([0-9]+ KiB each: .*KiB for all, [0-9]+ KiB of 2048 KiB free\).*uhv will not start the guest \(boot with a larger uhvmem=" \
	"-smp $n uhvmem=2M: the shortfall named with the figures and what to do"
reject "^uhv smp: CPU [0-9]+ \(APIC ID [0-9]+\) started" "-smp $n uhvmem=2M: an AP started"
reject "^uhv loader: guest kernel|^uhv platform: guest ACPI" "-smp $n uhvmem=2M: a guest built"
reject "PANIC" "-smp $n uhvmem=2M: a panic"
expect_end qemu fail "uhv's pool has no room for the per-CPU memory of every CPU in the MADT \(uhvmem=\)" \
	"-smp $n uhvmem=2M: the run ends there, naming the limit"
finish
