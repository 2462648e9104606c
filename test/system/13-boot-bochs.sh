#!/usr/bin/env bash
# Foundation boot under Bochs (VMX-capable corei7_skylake_x, i440fx, e1000):
# RSDT without MCFG or DMAR, PCI through ports 0xcf8/0xcfc.
. "$(dirname "$0")/lib.sh"
boot boot-bochs bochs "$(iso probe "probe")" 300
expect "^uhv microhypervisor" "banner"
expect "platform bochs" "Bochs detected (port 0xe9)"
expect "uhv mm: usable [0-9]+ MiB, reserved for uhv" "memory map summary"
expect "W\^X check: 0 writable\+executable" "W^X check"
expect "uhv acpi: RSDP rev 0 .*RSDT" "ACPI root"
expect "uhv acpi: MADT: 1 CPU \(APIC id 0\), IOAPIC id 1" "MADT decoded (Bochs' IOAPIC id 1)"
# Bochs' TSC counts instructions (ips=200000000, clock sync=none: 200 MHz of virtual time); its
# PIIX4 ACPI PM timer follows the same virtual clock
expect "uhv timer: TSC (19[89]|20[01])\.[0-9]+ MHz \(ACPI PM timer over [0-9]+ ms\)" \
	"TSC 200 MHz (Bochs' instruction count) within 1 %, from the ACPI PM timer"
expect "uhv acpi: no MCFG" "no MCFG reported"
expect "uhv pci: config access: ports 0xcf8/0xcfc" "PCI through ports"
expect "uhv pci: 00:02.0 8086:100e class 0200 \(Ethernet\)" "e1000 in slot 1"
expect "uhv vtd: no DMAR" "no DMAR in Bochs"
expect_end bochs pass "probe complete" "clean exit"
finish
