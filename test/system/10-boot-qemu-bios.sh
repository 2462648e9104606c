#!/usr/bin/env bash
# Foundation boot under QEMU q35 + SeaBIOS: banner, memory map, ACPI (RSDT),
# PCI (ECAM), W^X check, clean exit.
. "$(dirname "$0")/lib.sh"
boot boot-qemu-bios qemu "$(iso probe "probe")" 60
expect "^uhv microhypervisor" "banner"
expect "uhv mb2: boot info: BIOS map" "multiboot2 info summary"
expect "uhv mm: usable [0-9]+ MiB, reserved for uhv" "memory map summary"
expect "W\^X check: 0 writable\+executable" "W^X check of uhv's own page tables"
expect "uhv acpi: RSDP rev 0 .*RSDT" "ACPI root (RSDT under SeaBIOS)"
expect "uhv acpi:   APIC " "MADT found"
expect "uhv acpi: MADT: 1 CPU" "MADT decoded"
expect "uhv acpi: MCFG: ECAM 0xb0000000" "MCFG decoded"
expect "uhv pci: config access: ECAM" "PCI through ECAM"
expect "uhv pci: 00:00.0 8086:29c0 class 0600" "host bridge listed"
expect "uhv pci: 00:02.0 8086:100e class 0200 \(Ethernet\) BAR0 mem32 0x[0-9a-f]+/128K" "e1000 with its BARs"
expect "uhv vtd: no DMAR" "no DMAR without intel-iommu"
expect_end qemu pass "probe complete" "clean exit"
finish
