#!/usr/bin/env bash
# Issue 16, the IOAPIC under VT-d interrupt remapping (docs/interrupts.md section 5): the Linux
# guest in the nested tier with the inner QEMU's interrupt remapping on (-M q35,
# kernel-irqchip=split -device intel-iommu,intremap=on). uhv finds the IOAPIC in the DRHD's
# device scope of type IOAPIC, reserves one IRTE per pin, and writes Linux's redirection entries
# to the IOAPIC in remappable format naming IRTEs with the IOAPIC's source id; compatibility
# format stays blocked (vtd-ir-compat=block). Linux boots (its timer check through the IOAPIC)
# and pings through the e1000, whose INTx comes through a remapped IOAPIC entry; no IR fault.
# Without the IOAPIC mediation (branch ir, b23d214) the guest programs the IOAPIC itself in
# compatibility format: no "remapped" line (on hardware that honours CFI Linux would lose its
# IOAPIC interrupts; QEMU 7.2 ignores CFI, so the ping alone cannot show it). One nested case,
# 10-20 minutes (it may first wait for another test's lock). Skipped (77) when the kernel
# cannot be fetched.
. "$(dirname "$0")/lib.sh"
make -s "$UHV_IMAGE" >/dev/null || { echo "cannot build uhv"; exit 1; }
if ! scripts/linux/fetch.sh >"$LOGS/76-linux-fetch.log" 2>&1; then
	echo "skip: the Linux kernel could not be fetched (see $LOGS/76-linux-fetch.log)"
	exit 77
fi
initrd=$ISODIR/76-ioapic-initramfs.cpio
scripts/linux/mkinitramfs.sh "$initrd" >/dev/null || { echo "cannot build the initramfs"; exit 1; }
kcmd=$(scripts/linux/cmdline.sh nested)
img=$(iso ioapic-ir 'placement=offset' build/linux/vmlinuz "$kcmd" "$initrd" '')
export NESTED_CASE_TIMEOUT=${NESTED_CASE_TIMEOUT:-150}
export NESTED_TIMEOUT=${NESTED_TIMEOUT:-1200}
boot_nested ioapic-nested-ir "$img" -M q35,kernel-irqchip=split -device intel-iommu,intremap=on

vtd_fault='uhv vtd: .*(fault #[0-9]|fault summary|fault left over|fault records overflowed)'
expect "uhv vtd: unit 0 @0xfed90000: interrupt remapping enabled .*compatibility-format interrupts blocked" \
	"interrupt remapping on, compatibility format blocked"
expect "uhv ioapic: IOAPIC id 0 @0xfec00000: remapped, IRTEs [0-9]+-[0-9]+, source id [0-9a-f]{2}:[0-9a-f]{2}\.[0-7]" \
	"the IOAPIC found in the DRHD scope, one IRTE per pin"
expect "uhv ioapic: IOAPIC id 0 @0xfec00000 version 0x[0-9a-f]+, 24 pins: emulated \(redirection entries checked, remappable format on the hardware\)" \
	"IOAPIC entries in remappable format"
reject "compatibility-format interrupts ALLOWED" "compatibility format fallback"
expect "uhv linux: guest kernel: Linux bzImage 6\.[0-9].*64-bit entry" "bzImage loaded"
expect "^LINUX-USERSPACE: uptime" "Linux reached userspace (timer through the IOAPIC)"
expect "^LINUX-NIC: e1000 for 0000:00:01\.0 0x8086:0x100e" "Linux finds the e1000"
expect "^LINUX-PING: PASS" "ping: the e1000's INTx through a remapped IOAPIC entry"
expect "uhv ioapic: IOAPIC id 0: [1-9][0-9]* guest accesses emulated, 0 entries refused \(remapped\)" \
	"Linux's entries all accepted and remapped"
reject "$vtd_fault" "VT-d / IR faults"
reject "Kernel panic|BUG:|Oops|guest triple fault|EPT violation: guest" "panic or unhandled EPT violation"
expect_end nested pass "guest powered off" "run ends with PASS"
finish
