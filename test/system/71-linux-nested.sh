#!/usr/bin/env bash
# Issue #9: the Linux guest in the nested tier. Bochs -> Linux L1 with
# kvm_intel nested=1 -> QEMU -accel kvm -cpu host -M q35 -device intel-iommu
# -> uhv (L2, placement=offset) -> Debian's stock kernel + the test initramfs
# (L3), scripts/nested/run.sh. One L1 boot runs two cases:
#  - linux: the e1000 passed through with guest RAM at other host addresses,
#    so Linux's ping works only because VT-d translates the NIC's DMA
#    (GPA -> HPA as in the EPT); no VT-d fault; uhv's exit statistics (exits
#    by reason during the Linux boot under nested KVM) stay in the log;
#  - linux-vtd-off: the same with iommu=off: uhv refuses the NIC (it would DMA
#    to the wrong host memory), Linux finds no NIC and the ping FAILS, and the
#    run still ends cleanly (the control run);
#  - efi-linux (issue 19): the linux case without GRUB: the inner QEMU runs OVMF (copied into
#    L1 by NESTED_L2_FILES) and boots an El Torito UEFI CD whose boot image is the FAT ESP of
#    scripts/mkesp.sh --iso; uhv.efi loads uhv.elf and Linux, which pings as above. It shares
#    this test's L1 boot (a test of its own cost 736 s wall; the case alone is ~50 L1 seconds).
#  - linux-msix (issue 16 item 2): an e1000e instead of the e1000, with VT-d interrupt remapping
#    in the inner QEMU (kernel-irqchip=split, intel-iommu intremap=on,eim=on): Linux's e1000e
#    driver takes MSI-X (uhv traps the table page, checks each entry, writes an IRTE per
#    vector and gives the device the remappable message); /proc/interrupts shows the rx and tx
#    vectors firing, the ping passes, no message refused, no VT-d (DMA or IR) fault;
#  (A linux-msi case, e1000e.IntMode=1 without remapping, is not run: in its first full run
#  Linux's e1000e MSI self-test got no interrupt and fell back to INTx; docs/nested.md.)
#  - linux-ioapic-ir (issue 16, docs/interrupts.md section 5): the linux case with the inner
#    QEMU's interrupt remapping on (kernel-irqchip=split, intel-iommu intremap=on). uhv finds the
#    IOAPIC in the DRHD's device scope, reserves one IRTE per pin and writes Linux's redirection
#    entries in remappable format; compatibility format stays blocked. Linux boots (its timer
#    check goes through the IOAPIC) and pings with the e1000's INTx through a remapped entry.
#    Without the IOAPIC mediation the "remapped" lines are missing (QEMU 7.2 ignores CFI, so the
#    ping alone cannot show it).
# Skipped (77) when the kernel cannot be fetched. Prints its wall time: about
# 4.5 minutes for the first four cases on an idle machine, about 2 more for the two e1000e cases
# (one nested Bochs at a time: it may first wait for another test's lock).
. "$(dirname "$0")/lib.sh"
t_start=$(date +%s)
make -s "$UHV_IMAGE" efi >/dev/null || { echo "cannot build uhv / uhv.efi"; exit 1; }
ovmf=/usr/share/ovmf/OVMF.fd
[ -f "$ovmf" ] || { echo "skip: no $ovmf (Debian package ovmf)"; exit 77; }
if ! scripts/linux/fetch.sh >"$LOGS/71-linux-fetch.log" 2>&1; then
	echo "skip: the Linux kernel could not be fetched (see $LOGS/71-linux-fetch.log)"
	exit 77
fi
# an initramfs of this test's own (70-linux-guest.sh may be building the default one)
initrd=$ISODIR/71-linux-nested-initramfs.cpio
scripts/linux/mkinitramfs.sh "$initrd" >/dev/null || { echo "cannot build the initramfs"; exit 1; }
kcmd=$(scripts/linux/cmdline.sh nested)
on=$(iso on 'placement=offset' build/linux/vmlinuz "$kcmd" "$initrd" '')
off=$(iso off 'placement=offset iommu=off' build/linux/vmlinuz "$kcmd" "$initrd" '')
e1000e="-netdev user,id=n0 -device e1000e,netdev=n0,romfile="
ir="-M q35,kernel-irqchip=split -device intel-iommu,intremap=on,eim=on"
efi_cd=$ISODIR/71-efi-linux.iso
scripts/mkesp.sh --test --iso "$efi_cd" "$ISODIR/71-efi-linux.esp" 'placement=offset' \
	build/linux/vmlinuz "$kcmd" "$initrd" '' >/dev/null || { echo "cannot build the ESP CD"; exit 1; }

# L1 seconds are Bochs' virtual seconds (200 M ticks, ~3 s of wall each); a
# Linux case needs 33-39 of them (50 with OVMF and uhv.efi in front)
export NESTED_CASE_TIMEOUT=${NESTED_CASE_TIMEOUT:-150}
export NESTED_TIMEOUT=${NESTED_TIMEOUT:-2400}
export NESTED_L2_FILES=$ovmf
LOG=$LOGS/linux-nested.log
base=${LOG%.log}
t0=$(date +%s)
scripts/nested/run.sh --multi "$LOG" linux "$on" "" linux-vtd-off "$off" "" \
	efi-linux "$efi_cd" "-bios /l2/OVMF.fd" linux-msix "$on" "$ir $e1000e" \
	linux-ioapic-ir "$on" "-M q35,kernel-irqchip=split -device intel-iommu,intremap=on"
RC=$?
secs=$(( $(date +%s) - t0 ))
echo "[linux-nested] run.sh exit status $RC after ${secs}s (lock wait included), serial log $LOG"
ticks=$(sed -n 's/^\([0-9]*\)[a-z]\[.*Shutdown port: shutdown requested.*/\1/p' "$base.bochs.log" | tail -n1)
[ -n "$ticks" ] && echo "[linux-nested] Bochs ticks at the end: $((10#$ticks))"

# L1 and KVM
expect "^NESTED-L1: kvm_intel loaded: nested=Y ept=Y" "kvm_intel loaded with nested=1 and EPT"
expect "^NESTED-L1: all cases done" "L1 ran every case"
reject "NESTED-L1: ERROR" "L1 errors"

# uhv's VT-d fault reports (drivers/vtd.c)
vtd_fault='uhv vtd: .*(fault #[0-9]|fault summary|fault left over|fault records overflowed)'
# what every case shows of uhv and Linux
common() {
	expect "uhv vmx: VMCS revision 0x11e57ed0" "KVM's nested VMX (revision 0x11e57ed0)"
	expect "uhv: placement=offset: [1-9][0-9]* of [0-9]+ guest regions at other host addresses" \
		"placement printed"
	expect "uhv vmx:   \[0x[0-9a-f]+-0x[0-9a-f]+\) RAM at HPA 0x" "guest RAM moved (GPA != HPA)"
	expect "uhv linux: guest kernel: Linux bzImage 6\.[0-9].*64-bit entry" "bzImage loaded, 64-bit entry"
	expect "uhv vmx: launching the guest" "launch"
	expect "^LINUX-USERSPACE: uptime" "Linux reached userspace"
	expect "^LINUX-CPUS: 1$" "one CPU online"
	expect "uhv vmx: exit statistics: [0-9]+ exits" "exit statistics"
	reject "Kernel panic|BUG:|Oops|guest triple fault|EPT violation: guest" "panic, triple fault or unhandled EPT violation"
	local l1s=$(sed -n 's/^NESTED-CASE-END: .* L1-seconds=\(.*\)/\1/p' "$LOG")
	echo "  ($LOG: ${l1s:-?} L1 seconds, $(grep -Ec "$vtd_fault" "$LOG") VT-d fault lines)"
}
# the exit-statistics table of a case, as uhv printed it
stats() {
	tr -d '\r' < "$LOG" | sed -n '/uhv vmx: exit statistics:/,/^uhv: run ended/p' | sed 's/^/    /'
}

LOG=$base.linux.log
echo "case linux ($LOG):"
common
expect "uhv vtd: unit 0 @0xfed90000: DMA remapping enabled" "VT-d enabled"
expect "uhv vtd: guest DMA domain [0-9]+: [0-9]+ MiB of guest RAM mapped" "guest DMA domain built from the placement"
expect "uhv nic: 00:01\.0: DMA confined to guest RAM by VT-d" "NIC in the guest's VT-d domain"
reject "refusing to pass" "NIC refused"
expect "^LINUX-NIC: e1000 for 0000:00:01\.0 0x8086:0x100e" "Linux finds the e1000"
expect "^LINUX-PING: PASS" "ping through the passed-through e1000 (DMA translated)"
reject "$vtd_fault" "VT-d faults"
expect "uhv platform: guest powered off" "power-off trapped"
expect_end nested pass "guest powered off" "run ends with PASS"
stats

LOG=$base.linux-vtd-off.log
echo "case linux-vtd-off ($LOG):"
common
expect "iommu=off" "iommu=off given"
reject "DMA remapping enabled" "VT-d enabled"
expect "refusing to pass 00:01\.0 through: placement=offset puts guest RAM at other host addresses" \
	"uhv refuses the NIC (it would DMA to the wrong host memory)"
reject "uhv nic: passing 00:01\.0" "NIC passed through"
expect "^LINUX-NIC: none" "Linux finds no NIC"
expect "^LINUX-PING: FAIL" "the ping FAILS (control run)"
reject "^LINUX-PING: PASS" "ping passed"
expect "uhv platform: guest powered off" "power-off trapped"
expect_end nested pass "guest powered off" "run still ends cleanly"

LOG=$base.efi-linux.log
echo "case efi-linux ($LOG):"
common
expect "^uhv.efi: uhv.cfg: uhv.elf placement=offset, 2 module\(s\)" "uhv.efi read uhv.cfg (under OVMF in L2)"
expect "^uhv.efi: leaving boot services, entering uhv" "uhv.efi left boot services"
expect "uhv mb2: boot loader 'uhv.efi', command line 'placement=offset'" "uhv booted by uhv.efi"
expect "uhv mb2: boot info: .*EFI map \([0-9]+ descriptors" "EFI memory map given"
expect "uhv platform: guest SMBIOS: _SM3?_ entry point at 0xf[0-9a-f]{4}" "uhv copied the EFI SMBIOS entry point into the guest's F segment"
expect "^LINUX-SMBIOS: QEMU" "Linux (no EFI) found the SMBIOS tables by its F-segment scan (issue 17 item 8)"
expect "uhv vtd: unit 0 @0xfed90000: DMA remapping enabled" "VT-d enabled"
expect "uhv nic: 00:01\.0: DMA confined to guest RAM by VT-d" "NIC in the guest's VT-d domain"
expect "^LINUX-NIC: e1000 for 0000:00:01\.0 0x8086:0x100e" "Linux finds the e1000"
expect "^LINUX-PING: PASS" "ping through the passed-through e1000 (booted by uhv.efi)"
reject "$vtd_fault" "VT-d faults"
expect "uhv platform: guest powered off" "power-off trapped"
expect_end nested pass "guest powered off" "run ends with PASS"

# the NIC's interrupts (issue 16 item 2): what every MSI/MSI-X case shows
nic_irqs() {
	expect "uhv nic: 00:01\.0: MSI-X table of 5 entries at 0x[0-9a-f]+ \(BAR3\), page\(s\) 0x[0-9a-f]+-0x[0-9a-f]+ trapped" "MSI-X table page trapped"
	expect "^LINUX-NIC: e1000e for 0000:00:01\.0 0x8086:0x10d3" "Linux finds the e1000e"
	expect "^LINUX-PING: PASS" "ping through the e1000e"
	expect "uhv vmx: denied by policy: .*interrupt messages refused 0" "no MSI/MSI-X message refused"
	reject "uhv nic: the guest's MSI" "refusal report"
	reject "$vtd_fault" "VT-d (DMA or interrupt-remapping) faults"
	reject "uhv vmx: +1 external interrupt" "external-interrupt exits"
	expect_end nested pass "guest powered off" "run ends with PASS"
	grep -E "^LINUX-IRQ|round-trip|uhv nic: MSI-X:" "$LOG" | tr -d '\r' | sed 's/^/    /'
}

LOG=$base.linux-msix.log
echo "case linux-msix ($LOG):"
common
nic_irqs
expect "uhv vtd: unit 0 @0xfed90000: interrupt remapping enabled" "VT-d interrupt remapping on"
expect "uhv nic: 00:01\.0: interrupt remapping: IRTEs [0-9]+-[0-9]+ for the NIC's MSI and MSI-X messages" "IRTEs for the NIC"
# three MSI-X vectors (rx, tx, other); rx and tx fired
expect "^LINUX-IRQ: +[0-9]+: [1-9][0-9]* PCI-MSI [0-9]+-edge eth0-rx-0" "rx MSI-X vector fired"
expect "^LINUX-IRQ: +[0-9]+: [1-9][0-9]* PCI-MSI [0-9]+-edge eth0-tx-0" "tx MSI-X vector fired"
expect "uhv nic: MSI-X: [0-9]+ trapped accesses to the table page, [3-9] messages programmed, .*0 refused.*\(through IRTEs\)" "MSI-X entries programmed through IRTEs"

LOG=$base.linux-ioapic-ir.log
echo "case linux-ioapic-ir ($LOG):"
common
expect "uhv vtd: unit 0 @0xfed90000: interrupt remapping enabled .*compatibility-format interrupts blocked" \
	"interrupt remapping on, compatibility format blocked"
expect "uhv ioapic: IOAPIC id 0 @0xfec00000: remapped, IRTEs [0-9]+-[0-9]+, source id [0-9a-f]{2}:[0-9a-f]{2}\.[0-7]" \
	"the IOAPIC found in the DRHD scope, one IRTE per pin"
expect "uhv ioapic: IOAPIC id 0 @0xfec00000 version 0x[0-9a-f]+, 24 pins: emulated \(redirection entries checked, remappable format on the hardware\)" \
	"IOAPIC entries in remappable format"
reject "compatibility-format interrupts ALLOWED" "compatibility format fallback"
expect "^LINUX-USERSPACE: uptime" "Linux reached userspace (timer through the IOAPIC)"
expect "^LINUX-NIC: e1000 for 0000:00:01\.0 0x8086:0x100e" "Linux finds the e1000"
expect "^LINUX-PING: PASS" "ping: the e1000's INTx through a remapped IOAPIC entry"
expect "uhv ioapic: IOAPIC id 0: [1-9][0-9]* guest accesses emulated, 0 entries refused \(remapped\)" \
	"Linux's entries all accepted and remapped"
reject "$vtd_fault" "VT-d / IR faults"
expect_end nested pass "guest powered off" "run ends with PASS"

LOG=$base.log
echo "[linux-nested] wall time of the test: $(( $(date +%s) - t_start ))s (nested run ${secs}s)"
finish
