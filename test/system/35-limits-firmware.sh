#!/usr/bin/env bash
# Limits from firmware, not constants (docs/security.md "Tables that fill up"): the PCI function
# table is sized by what enumeration finds, in uhv's pool, and a pool too small for it ends the
# run naming the limit; a MADT with many absent CPUs is counted right.
#  - 1051 functions behind 5 PCI bridges (more than the old fixed table of 1024): all recorded.
#  - -smp 2,maxcpus=128: QEMU lists 128 local APICs, 126 of them not enabled: 2 CPUs, no error.
#  - uhvmem=48K: the pool holds uhv's page tables but not the PCI function table: FAIL, named.
. "$(dirname "$0")/lib.sh"
probe_iso=$(iso probe 'probe')

devs=(-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off)	# keeps the DSDT small
for b in 0 1 2 3 4; do
	devs+=(-device "pci-bridge,id=top$b,bus=pcie.0,addr=0x$((10 + b)),chassis_nr=$((b + 1)),shpc=off")
	for s in $(seq 1 26); do
		for f in 0 1 2 3 4 5 6 7; do
			mf=; [ "$f" = 0 ] && mf=,multifunction=on
			devs+=(-device "pvpanic-pci,bus=top$b,addr=$(printf %x "$s").$f$mf")
		done
	done
done
boot limits-pci-many qemu "$probe_iso" 300 -- "${devs[@]}"
expect "uhv pci: 1051 PCI functions \(config access: ECAM\)" "1051 functions (5 bridges, 1040 behind them) recorded"
n=$(grep -ac "^uhv pci: 0[1-5]:[0-9a-f][0-9a-f]\.[0-7] 1b36:0011" "$LOG")
[ "$n" = 1040 ] && echo "  ok: all 1040 functions behind the bridges listed" ||
	{ echo "  MISSING: 1040 functions behind the bridges listed (got $n)"; fails=$((fails + 1)); }
expect "uhv: PCI function table: room for [0-9]+ functions, [0-9]+ KiB of uhv's pool" "table sized in the pool"
reject "ERROR" "an error"
expect_end qemu pass "probe complete" "probe completes"

UHV_CPUS="2,maxcpus=128" boot limits-maxcpus qemu "$probe_iso" 90
expect "uhv acpi: MADT: 2 CPUs \(APIC ids 0,1\)" "2 CPUs of 128 MADT entries"
reject "ERROR" "an error (the absent CPUs fill no table)"
expect_end qemu pass "probe complete" "probe completes"

boot limits-tiny-pool qemu "$(iso tiny 'probe uhvmem=48K')" 60
expect "uhv pci: ERROR: PCI functions: no memory to record more than 0 \([0-9]+ bytes each\), 00:00\.0 and later ones not recorded; uhv will not start the guest \(boot with a larger uhvmem=\)" "the limit named, with what to do"
expect "uhv: ERROR: PCI function table: no memory: the guest is not started" "the guest is refused"
reject "probe complete" "a boot past the missing table"
expect_end qemu fail "PCI function table: no memory" "run ends with FAIL"
finish
