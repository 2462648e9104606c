#!/usr/bin/env bash
# A fixed-size table that fills up fails closed (docs/security.md, "Tables that fill up"):
# QEMU with 70 extra ACPI tables (-acpitable) overflows uhv's ACPI table list
# (ACPI_MAX_TABLES 64). uhv names the table and the limit to raise, and the run
# ends with FAIL before any guest exists (here in probe mode, which stops at the
# same point). The other tables (MADT, MCFG) are unit-tested (test_acpi): QEMU
# cannot give more of those than uhv holds. The PCI function table has no fixed size:
# 35-limits-firmware.sh fills uhv's pool instead.
. "$(dirname "$0")/lib.sh"
empty=$ISODIR/28-table-full-empty.aml
: > "$empty"
tables=()
for i in $(seq 1 70); do
	tables+=(-acpitable "sig=SSDT,oem_table_id=UHV$i,data=$empty")
done
boot acpi-table-full qemu "$(iso acpi-full 'probe')" 60 -- "${tables[@]}"
expect "uhv acpi: ERROR: more than 64 ACPI tables, uhv's table list is full: ignoring SSDT at 0x[0-9a-f]+ and later ones; uhv will not start the guest \(raise ACPI_MAX_TABLES in include/uhv/acpi.h\)" "the full table named, with the limit to raise"
expect "uhv: ERROR: ACPI table list full: the guest is not started" "the guest is refused"
reject "probe complete" "boot past the full table"
expect_end qemu fail "ACPI table list full" "run ends with FAIL"
finish
