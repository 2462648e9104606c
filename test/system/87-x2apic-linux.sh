#!/usr/bin/env bash
# A Linux guest on a machine left in x2APIC mode (issue 16, item 3; docs/interrupts.md,
# "x2APIC"): Bochs (corei7_skylake_x), test-x2apic=on puts the boot CPU in x2APIC mode first as
# firmware might. Linux finds x2APIC enabled ("enabled by BIOS"), gets no interrupt remapping
# (uhv hides the DMAR) and does not know uhv as a hypervisor that allows x2APIC without it, so it
# leaves x2APIC through "disabled" to xAPIC (two IA32_APIC_BASE writes uhv checks and carries
# out) and boots to userspace, pings through the passed-through e1000 and powers off.
# Skipped (77) when the kernel cannot be fetched, as 70-linux-guest.
. "$(dirname "$0")/lib.sh"
make -s "$UHV_IMAGE" >/dev/null || { echo "cannot build uhv"; exit 1; }
if ! scripts/linux/fetch.sh >"$LOGS/87-linux-fetch.log" 2>&1; then
	echo "skip: the Linux kernel could not be fetched (see $LOGS/87-linux-fetch.log)"
	exit 77
fi
scripts/linux/mkinitramfs.sh >/dev/null || { echo "cannot build the initramfs"; exit 1; }
kcmd=$(scripts/linux/cmdline.sh bochs loglevel=6)	# Linux's x2apic lines are KERN_INFO
boot linux-x2apic bochs "$(iso linux 'iommu=off test-x2apic=on' build/linux/vmlinuz "$kcmd" \
	build/linux/initramfs.cpio '')" 600
expect "^uhv lapic: the boot CPU's local APIC is in x2APIC mode \(left so by firmware, not locked" \
	"uhv starts in x2APIC mode"
expect "x2apic: enabled by BIOS, switching to x2apic ops" "Linux finds x2APIC enabled"
expect "x2apic: IRQ remapping doesn't support X2APIC mode" "Linux: no IR for x2APIC"
expect "x2apic disabled" "Linux leaves x2APIC (unlocked)"
expect "^LINUX-USERSPACE: uptime" "Linux reached userspace"
expect "^LINUX-PING: PASS" "ping through the passed-through e1000"
expect_end bochs pass "guest powered off" "run ends with PASS"
reject "Kernel panic|BUG:|Oops|unchecked MSR access" "kernel panic or MSR fault"
reject "guest WRMSR 0x1b" "an IA32_APIC_BASE write refused"
finish
