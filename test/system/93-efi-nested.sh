#!/usr/bin/env bash
# Issue 19: uhv.efi in the nested tier. Bochs -> Linux L1 with kvm_intel
# nested=1 -> QEMU -accel kvm -cpu host -M q35 -device intel-iommu with OVMF
# (copied into L1: NESTED_L2_FILES) -> uhv.efi -> uhv (L2, placement=offset) ->
# Debian's stock kernel + the test initramfs (L3), as 71-linux-nested.sh but
# without GRUB: the L2 medium is an El Torito UEFI CD whose boot image is the
# FAT ESP that scripts/mkesp.sh --iso makes (the tier's QEMU takes the L2 as
# -cdrom). Linux pings 10.0.2.2 through the passed-through e1000; with
# placement=offset that works only because VT-d translates the NIC's DMA.
# Skipped (77) when the kernel cannot be fetched. One nested Bochs at a time
# (scripts/nested/run.sh's lock). Measured: 736 s wall (Bochs 680 s), the case 49.8 L1
# seconds (71-linux-nested.sh's Linux case: 33-39; OVMF's boot under nested KVM is the rest).
. "$(dirname "$0")/lib.sh"
t_start=$(date +%s)
make -s "$UHV_IMAGE" efi >/dev/null || { echo "cannot build uhv / uhv.efi"; exit 1; }
ovmf=/usr/share/ovmf/OVMF.fd
[ -f "$ovmf" ] || { echo "skip: no $ovmf (Debian package ovmf)"; exit 77; }
if ! scripts/linux/fetch.sh >"$LOGS/93-linux-fetch.log" 2>&1; then
	echo "skip: the Linux kernel could not be fetched (see $LOGS/93-linux-fetch.log)"
	exit 77
fi
initrd=$ISODIR/93-efi-nested-initramfs.cpio
scripts/linux/mkinitramfs.sh "$initrd" >/dev/null || { echo "cannot build the initramfs"; exit 1; }
kcmd=$(scripts/linux/cmdline.sh nested)
cd_iso=$ISODIR/93-efi-nested.iso
scripts/mkesp.sh --test --iso "$cd_iso" "$ISODIR/93-efi-nested.esp" 'placement=offset' \
	build/linux/vmlinuz "$kcmd" "$initrd" '' || { echo "cannot build the ESP CD"; exit 1; }

export NESTED_CASE_TIMEOUT=${NESTED_CASE_TIMEOUT:-300}
export NESTED_TIMEOUT=${NESTED_TIMEOUT:-1800}
export NESTED_L2_FILES=$ovmf
LOG=$LOGS/efi-nested.log
base=${LOG%.log}
t0=$(date +%s)
scripts/nested/run.sh --multi "$LOG" efi-linux "$cd_iso" "-bios /l2/OVMF.fd"
RC=$?
secs=$(( $(date +%s) - t0 ))
echo "[efi-nested] run.sh exit status $RC after ${secs}s (lock wait included), serial log $LOG"
expect "^NESTED-L1: kvm_intel loaded: nested=Y ept=Y" "kvm_intel loaded with nested=1 and EPT"
expect "^NESTED-L1: all cases done" "L1 ran the case"
reject "NESTED-L1: ERROR" "L1 errors"

LOG=$base.efi-linux.log
echo "case efi-linux ($LOG):"
l1s=$(sed -n 's/^NESTED-CASE-END: .* L1-seconds=\(.*\)/\1/p' "$LOG")
echo "  ($LOG: ${l1s:-?} L1 seconds)"
expect "^uhv.efi: uhv.cfg: uhv.elf placement=offset, 2 module\(s\)" "uhv.efi read uhv.cfg (under OVMF in L2)"
expect "^uhv.efi: leaving boot services, entering uhv" "uhv.efi left boot services"
expect "uhv mb2: boot loader 'uhv.efi', command line 'placement=offset'" "uhv booted by uhv.efi"
expect "uhv mb2: boot info: .*EFI map \([0-9]+ descriptors" "EFI memory map given"
expect "uhv vmx: VMCS revision 0x11e57ed0" "KVM's nested VMX"
expect "uhv vtd: unit 0 @0xfed90000: DMA remapping enabled" "VT-d enabled"
expect "uhv nic: 00:01\.0: DMA confined to guest RAM by VT-d" "NIC in the guest's VT-d domain"
expect "uhv linux: guest kernel: Linux bzImage 6\.[0-9].*64-bit entry" "bzImage loaded"
expect "^LINUX-USERSPACE: uptime" "Linux reached userspace"
expect "^LINUX-NIC: e1000 for 0000:00:01\.0 0x8086:0x100e" "Linux finds the e1000"
expect "^LINUX-PING: PASS" "ping through the passed-through e1000"
reject "Kernel panic|BUG:|Oops|triple fault|EPT violation: guest" "panic, triple fault or unhandled EPT violation"
expect "uhv platform: guest powered off" "power-off trapped"
expect_end nested pass "guest powered off" "run ends with PASS"
LOG=$base.log
echo "[efi-nested] wall time of the test: $(( $(date +%s) - t_start ))s (nested run ${secs}s)"
finish
