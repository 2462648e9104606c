#!/usr/bin/env bash
# The console from ACPI SPCR (and DBG2), with a hand-built table (QEMU's x86 machines make none) given by
# -acpitable: without console= and without COM1 (-serial none) uhv takes the PCI serial SPCR
# names (its I/O BAR, as a first probe run shows) and says so; with COM1 present it stays on COM1
# unless console=spcr, which takes SPCR's UART (here COM1 at 9600 baud). docs/console.md.
. "$(dirname "$0")/lib.sh"

spcr() {	# OUT SPACE ADDRESS BAUDCODE [BUS DEV FN]: an SPCR revision 2 table, 80 bytes
	python3 - "$@" <<'PY'
import struct, sys
out, space, addr, baud = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0), int(sys.argv[4])
pci = [int(x, 16) for x in sys.argv[5:8]] if len(sys.argv) > 5 else None
body = struct.pack('<B3x', 0)                               # interface type 0: 16550
body += struct.pack('<BBBBQ', space, 8, 0, 1, addr)         # GAS: bytes, byte access
body += struct.pack('<BBIBBBBBB', 0, 0, 0, baud, 0, 1, 0, 0, 0)
if pci:
    body += struct.pack('<HHBBBIB', 0x0002, 0x1b36, pci[0], pci[1], pci[2], 0, 0)
else:
    body += struct.pack('<HHBBBIB', 0xffff, 0xffff, 0, 0, 0, 0, 0)
body += b'\0' * 4
hdr = struct.pack('<4sIBB6s8sI4sI', b'SPCR', 36 + len(body), 2, 0, b'UHVTST', b'UHVSPCR ',
                  1, b'UHV ', 1)
t = bytearray(hdr + body)
t[9] = (256 - sum(t) % 256) % 256
open(out, 'wb').write(t)
PY
}

dbg2() {	# OUT PORT: a DBG2 table with one debug device, a 16550 at that I/O port
	python3 - "$@" <<'PY'
import struct, sys
out, port = sys.argv[1], int(sys.argv[2], 0)
gas = struct.pack('<BBBBQ', 1, 8, 0, 1, port)
dev = struct.pack('<BHBHHHHHHHHH', 0, 22 + 12 + 4, 1, 0, 0, 0, 0, 0x8000, 0x0000, 0, 22, 34)
dev += gas + struct.pack('<I', 8)
hdr = struct.pack('<4sIBB6s8sI4sI', b'DBG2', 44 + len(dev), 0, 0, b'UHVTST', b'UHVDBG2 ',
                  1, b'UHV ', 1)
t = bytearray(hdr + struct.pack('<II', 44, 1) + dev)
t[9] = (256 - sum(t) % 256) % 256
open(out, 'wb').write(t)
PY
}

run() {	# NAME CMDLINE SPCR-FILE SERIAL(none|com1)
	LOG=$LOGS/$1.log
	rm -f "$LOG"
	local extra=(-chardev "file,id=pcs,path=$LOG" -device pci-serial,chardev=pcs)
	[ "$4" = com1 ] && extra=(-device pci-serial)
	[ -n "$3" ] && extra+=(-acpitable "file=$3")
	UHV_QEMU_SERIAL=$([ "$4" = com1 ] && echo "file:$LOG" || echo none) \
		scripts/emu.sh qemu "$(iso "$1" "$2")" "$LOGS/$1.unused.log" 60 -- "${extra[@]}"
	RC=$?
	echo "[$1] exit status $RC, log $LOG"
}

# where firmware put the PCI serial's I/O BAR
run spcr-where "probe console=pci" "" none
bar=$(grep -aoE "uhv pci: [0-9a-f:.]+ 1b36:0002 class 0700 \(Serial\) BAR0 io 0x[0-9a-f]+" "$LOG" |
      grep -oE "0x[0-9a-f]+$")
bdf=$(grep -aoE "uhv pci: [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] 1b36:0002" "$LOG" | cut -d' ' -f3)
if [ -z "$bar" ]; then
	echo "  MISSING: the PCI serial's I/O BAR in the probe run (console=pci)"
	fails=$((fails + 1))
	finish
fi
echo "  pci-serial at $bdf, I/O BAR $bar"
tbl=$LOGS/85-spcr-pci.bin
spcr "$tbl" 1 "$bar" 7 ${bdf//[:.]/ }

run spcr-pci "probe" "$tbl" none
expect "uhv acpi:   SPCR .* checksum ok" "the SPCR table listed"
expect "^uhv microhypervisor" "banner (replayed from the early log)"
expect "uhv console: port $bar at 115200 baud \(ACPI SPCR \(interface type 0, a PCI function\)\)" \
	"SPCR's UART taken without COM1, and said why"
expect_end qemu pass "probe complete" "closing line on SPCR's UART"

# no COM1, no SPCR, a DBG2 table naming the PCI serial's port: DBG2's UART
tbl2=$LOGS/85-dbg2-pci.bin
dbg2 "$tbl2" "$bar"
run dbg2-pci "probe" "$tbl2" none
expect "uhv acpi:   DBG2 .* checksum ok" "the DBG2 table listed"
expect "uhv console: port $bar at [0-9]+ baud \(ACPI DBG2 \(interface type 0\)\)" \
	"DBG2's 16550 taken without COM1 and SPCR"
expect_end qemu pass "probe complete" "closing line on DBG2's UART"

# COM1 at 9600 baud in SPCR: without console= COM1 stays as it was; console=spcr takes SPCR's
tbl1=$LOGS/85-spcr-com1.bin
spcr "$tbl1" 1 0x3f8 3
run spcr-com1-default "probe" "$tbl1" com1
expect "uhv console: port 0x3f8 at 115200 baud \(a UART answers at COM1\)" "COM1 kept by default"
expect_end qemu pass "probe complete"
run spcr-com1 "probe console=spcr" "$tbl1" com1
expect "uhv console: port 0x3f8 at 9600 baud \(ACPI SPCR \(interface type 0\), console=spcr\)" \
	"console=spcr: COM1 at SPCR's 9600 baud"
expect_end qemu pass "probe complete"

# no SPCR: console=spcr says so and falls back to COM1
run spcr-none "probe console=spcr" "" com1
expect "console=spcr: the firmware has no ACPI SPCR table" "missing SPCR said"
expect "uhv console: port 0x3f8 at 115200 baud \(a UART answers at COM1\)" "fell back to COM1"
expect_end qemu pass "probe complete"
finish
