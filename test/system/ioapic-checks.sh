# The selftest guest's IOAPIC checks (guest/selftest/ioapic.c), shared by tests 20 and 60: uhv
# traps the IOAPIC page and refuses SMI, INIT and foreign destinations (the entry reads back
# masked), while a fixed entry to the guest's CPU reads back as written. With the IOAPIC mapped
# natively (fb20f5f) the refused entries read back unmasked: ioapic-smi and the others FAIL.
expect_ioapic() {
	expect "uhv ioapic: IOAPIC id [0-9]+ @0xfec00000 version 0x[0-9a-f]+, [0-9]+ pins: emulated" "IOAPIC page emulated"
	expect "uhv vmx: trapped MMIO 0xfec00000-0xfec00fff: IOAPIC \(emulated\)" "IOAPIC page trapped"
	expect "^guest: test ioapic-fixed: ok" "fixed IOAPIC entry to the guest's CPU reads back"
	expect "^guest: test ioapic-smi: ok" "SMI entry refused (reads back masked)"
	expect "^guest: test ioapic-init: ok" "INIT entry refused (reads back masked)"
	expect "^guest: test ioapic-foreign-dest: ok" "entry to a foreign APIC ID refused"
	expect "uhv ioapic: warning: the guest's IOAPIC id [0-9]+ entry [0-9]+ \(0x[0-9a-f]+\) is refused: delivery mode SMI" "the first refusal said"
	expect "uhv ioapic: IOAPIC id [0-9]+: [0-9]+ guest accesses emulated, 3 entries refused" "refusals counted at the end"
}
