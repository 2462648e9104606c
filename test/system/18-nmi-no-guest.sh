#!/usr/bin/env bash
# An NMI on a CPU that runs no guest (issue 14, item 8a): uhv counts it, ignores it and goes
# on; it used to panic ("CPU exception 2 (NMI) in the hypervisor"). Anyone can send one: the
# platform (LINT1, a watchdog, the NMI button) and the guest, whose local APIC reaches every
# APIC ID, parked CPUs included.
# QEMU q35 TCG -smp 4 stopped by its GDB stub at vmx_init, when the APs wait in uhv for the
# guest (not launched) and the boot CPU has no vCPU yet: QEMU's "nmi" monitor command (LINT1,
# which the firmware set to NMI on the boot CPU only) and NMI IPIs from the boot CPU to APIC
# IDs 1 and 3 (GDB calls uhv's lapic_send_nmi, then udelay so that every CPU runs a while before
# the boot CPU goes on). The run then ends as every TCG run does, at
# vmx_init (no VMX), with the count on the line before the end. A parked CPU (VMX root, HLT
# loop) takes the same path (vmx_nmi_in_root refuses, the NMI is counted):
# test/system/32-park-hlt.sh sends it NMIs in Bochs.
. "$(dirname "$0")/lib.sh"
make -s "$UHV_IMAGE" guests >/dev/null || { echo "cannot build uhv and the test guests"; exit 1; }
command -v gdb >/dev/null || { echo "skip: no gdb"; exit 77; }
isof=$(iso nmi '' build/guest/selftest.elf 'selftest')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG=$LOGS/nmi-no-guest.log
GLOG=$LOGS/nmi-no-guest.gdb.log
rm -f "$LOG" "$GLOG"
UHV_CPUS=4 scripts/emu.sh qemu "$isof" "$LOG" 120 -- -S -gdb "tcp:127.0.0.1:$port" &
emu=$!
gdb_attach 110 "$UHV_IMAGE" "$port" \
	-ex 'hbreak vmx_init' \
	-ex 'continue' \
	-ex 'monitor nmi' \
	-ex 'print (int)lapic_send_nmi(1)' \
	-ex 'print (int)lapic_send_nmi(3)' \
	-ex 'call udelay(300000)' \
	-ex 'delete' \
	-ex 'detach' \
	>"$GLOG" 2>&1
grc=$?
wait $emu
RC=$?
echo "[nmi-no-guest] qemu exit status $RC, gdb status $grc, serial log $LOG, gdb log $GLOG"
if grep -q "hit Breakpoint 1, vmx_init" "$GLOG" && grep -q '^\$2 = 0' "$GLOG" &&
   grep -q '^\$1 = 0' "$GLOG"; then
	echo "  ok: stopped at vmx_init, NMI IPIs sent to APIC IDs 1 and 3"
else
	echo "  FAILED: the GDB session (see $GLOG)"; fails=$((fails + 1))
fi
expect "^uhv smp: all 4 CPUs run uhv" "every AP waits in uhv"
reject "PANIC|also took exception" "panic on an NMI"
expect "^uhv: [0-9]+ NMI\(s\) ignored on CPUs that ran no guest: CPU 0 \(APIC ID 0\) [1-9]" \
	"the platform NMI on the boot CPU (no vCPU yet) counted"
expect "ignored on CPUs that ran no guest:.* CPU 1 \(APIC ID 1\) 1, CPU 3 \(APIC ID 3\) 1\b" \
	"the NMI IPIs to APs not launched counted, one each"
reject "ignored on CPUs that ran no guest:.* CPU 2 " "an NMI counted on a CPU that got none"
expect_end qemu fail "no usable VMX" "the run goes on to its normal end at vmx_init"
finish
