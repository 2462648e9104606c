#!/usr/bin/env bash
# More enabled CPUs in the MADT than uhv handles (UHV_MAX_CPUS, include/uhv/percpu.h): uhv must
# not run a guest with CPUs left in the firmware's hands (a guest's INIT/SIPI could reach them,
# outside VMX). arch/ap_start.c starts the ones it has room for and names the limit; the run
# ends there, before a guest is built (arch/main.c), instead of at vmx_smp_release_aps.
# QEMU q35, TCG (no VMX; the run would otherwise end at vmx_init), SeaBIOS:
#  - -smp 64 (the limit): every CPU started, no error;
#  - -smp 70: 63 APs started, the 6 others named with the limit, the run ends with FAIL there.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
max=$(sed -n 's/^#define UHV_MAX_CPUS[[:space:]]*\([0-9]*\).*/\1/p' include/uhv/percpu.h)
[ -n "$max" ] || { echo "cannot read UHV_MAX_CPUS from include/uhv/percpu.h"; exit 1; }
over=$((max + 6))
iso_file=$(iso cpus '' build/guest/selftest.elf 'selftest')

UHV_CPUS=$max boot cpus-at-limit qemu "$iso_file" 180
expect "^uhv smp: all $max CPUs run uhv \(boot CPU APIC ID 0 \+ $((max - 1)) application processor" "-smp $max: all $max CPUs run uhv"
reject "NOT started|uhv smp: ERROR|PANIC" "-smp $max: a CPU not started, a panic"
expect_end qemu fail "no usable VMX" "-smp $max: run ends at vmx_init (QEMU TCG has no VMX)"

UHV_CPUS=$over boot cpus-over-limit qemu "$iso_file" 180
expect "uhv acpi: MADT: $over CPUs" "-smp $over: $over CPUs in the MADT"
expect "^uhv smp: ERROR: 6 CPU\(s\) NOT started: uhv handles at most $max CPUs; .*uhv will not start the guest \(raise UHV_MAX_CPUS" \
	"-smp $over: the 6 beyond the limit named, with the limit and what to do"
n=$(grep -Eac "^uhv smp: CPU [0-9]+ \(APIC ID [0-9]+\) started" "$LOG")
[ "$n" = $((max - 1)) ] && echo "  ok: -smp $over: $((max - 1)) APs started" ||
	{ echo "  MISSING: -smp $over: $((max - 1)) APs started (got $n)"; fails=$((fails + 1)); }
reject "^uhv loader: guest kernel|^uhv platform: guest ACPI" "-smp $over: a guest built"
reject "PANIC" "-smp $over: a panic"
expect_end qemu fail "the MADT lists more CPUs than uhv handles \(UHV_MAX_CPUS\)" "-smp $over: the run ends there, naming the limit"
finish
