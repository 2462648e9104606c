#!/usr/bin/env bash
# The console on a PCI 16550 (QEMU pci-serial, an I/O BAR) with no legacy COM1 (-serial none):
# console=pci and console=BB:DD.F put the whole boot log (the early part replayed) and uhv's
# closing line on the PCI serial; a console=
# naming no function, or a malformed mmio32 one, is reported and the default chain (COM1, SPCR,
# first PCI serial controller) is taken; console=ttyS1 without COM1 gets the early log replayed.
# docs/console.md. (QEMU TCG has no VMX, so no guest runs
# here: the escape and monitor on a non-port console go through the same driver calls that
# test/unit/test_uart16550.c checks on MMIO registers.)
. "$(dirname "$0")/lib.sh"
export UHV_QEMU_SERIAL=none	# no COM1 at all: everything seen comes through the PCI serial

pci_boot() {	# NAME CMDLINE
	LOG=$LOGS/$1.log
	rm -f "$LOG"
	scripts/emu.sh qemu "$(iso "$1" "$2")" "$LOGS/$1.unused.log" 60 -- \
		-chardev "file,id=pcs,path=$LOG" -device pci-serial,chardev=pcs
	RC=$?
	echo "[$1] exit status $RC, PCI serial log $LOG"
}

pci_boot console-pci "probe console=pci"
expect "^uhv microhypervisor" "banner (replayed from the early log)"
expect "uhv options: console=pci " "console=pci parsed"
expect "uhv pci: 00:03.0 1b36:0002 class 0700 \(Serial\) BAR0 io 0x[0-9a-f]+/8" "pci-serial found"
expect "uhv console: port 0x[0-9a-f]+ at [0-9]+ baud \(PCI 00:03.0 1b36:0002 BAR0, console=pci\)" \
	"console chosen and said why"
expect_end qemu pass "probe complete" "closing line on the PCI serial"
bdf=$(grep -aoE "uhv pci: [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] 1b36:0002" "$LOG" | head -1 | cut -d' ' -f3)

pci_boot console-bdf "probe console=${bdf:-00:03.0},115200"
expect "uhv console: port 0x[0-9a-f]+ at 115200 baud \(PCI $bdf 1b36:0002 BAR0, console=0000:$bdf,115200\)" \
	"console=BB:DD.F,115200 chosen"
expect "^uhv microhypervisor" "banner (replayed)"
expect_end qemu pass "probe complete" "closing line on the PCI serial"

pci_boot console-nofn "probe console=07:00.0"
expect "console=0000:07:00.0: there is no such PCI function" "no such function said"
expect "console=0000:07:00.0 cannot be had \(see above\): taking the default chain" "fallback said"
expect "uhv console: port 0x[0-9a-f]+ at [0-9]+ baud \(PCI 00:03.0 1b36:0002 BAR0, the first PCI serial" \
	"fell back to the first PCI serial controller"
expect_end qemu pass "probe complete"

pci_boot console-badmmio "probe console=mmio32,garbage"
expect "console.*mmio32,garbage" "the bad value named"
expect "bad option value" "counted as a bad option"
expect "uhv console: port 0x[0-9a-f]+ at [0-9]+ baud \(PCI 00:03.0 1b36:0002 BAR0, the first PCI serial" \
	"no COM1, no SPCR: the first PCI serial controller"
expect_end qemu pass "probe complete"

# console=ttyS1 without COM1: the early log (banner first) is replayed on COM2 when uhv switches
LOG=$LOGS/console-com2.log
rm -f "$LOG"
scripts/emu.sh qemu "$(iso com2 "probe console=ttyS1")" "$LOGS/console-com2.unused.log" 60 -- \
	-chardev "file,id=com2,path=$LOG" -device isa-serial,chardev=com2,index=1
RC=$?
echo "[console-com2] exit status $RC, COM2 log $LOG"
expect "^uhv microhypervisor" "banner replayed on COM2"
expect "uhv: switching the console to port 0x2f8 at 115200 baud" "the switch line too"
expect_end qemu pass "probe complete"

# MMIO consoles that are not there: RAM (refused by the memory map), and the HPET's page (a
# device, but no 16550: the scratch register does not hold a byte) - reported, then the chain
pci_boot console-mmio-ram "probe console=mmio32,0x100000"
expect "0x100000 is available in the memory map, not device memory: no UART there" "RAM refused"
expect "console=mmio32,0x100000 cannot be had" "fallback said"
expect "uhv console: port 0x[0-9a-f]+ at [0-9]+ baud \(PCI 00:03.0 1b36:0002 BAR0, the first PCI serial" \
	"the first PCI serial controller"
expect_end qemu pass "probe complete"

pci_boot console-mmio-hpet "probe console=mmio,0xfed00000,115200"
expect "console=mmio: no 16550 answers at mmio 0xfed00000 \(register shift 0\)" "no UART at the address"
expect "uhv console: port 0x[0-9a-f]+ at [0-9]+ baud \(PCI 00:03.0 1b36:0002 BAR0, the first PCI serial" \
	"the first PCI serial controller"
expect_end qemu pass "probe complete"
finish
