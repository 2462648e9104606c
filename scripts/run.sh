#!/usr/bin/env bash
# `make run`: boot uhv with its default guest in the best emulator present.
#  1. QEMU with KVM when this host offers nested VMX (an Intel host with
#     kvm_intel nested=1): VMX and VT-d (intel-iommu) and the NIC together.
#  2. Bochs otherwise: VMX emulated in software (slow but complete; no IOMMU,
#     so the NIC is passed through with iommu=off).
# The default guest is Debian's stock kernel with the test initramfs
# (scripts/linux/fetch.sh, mkinitramfs.sh): it pings the gateway through the
# passed-through e1000, then gives a shell on the serial console
# (uhvinit=shell); leaving the shell powers the guest off and ends the run.
# Without the kernel (no network, no apt) the selftest guest runs instead, in its
# prodcheck mode (make run boots the production image, which has no test hooks).
# The serial console is this terminal. UHV_CMDLINE adds uhv options;
# UHV_GUEST (+ UHV_GUEST_ARGS) boots another multiboot guest instead.
set -euo pipefail
cd "$(dirname "$0")/.."
cmdline=${UHV_CMDLINE:-}
nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || echo N)
kvm=0
if [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo && [[ $nested == [Yy1]* ]]; then kvm=1; fi

mods=()
if [ -n "${UHV_GUEST:-}" ]; then
	mods=("$UHV_GUEST" "${UHV_GUEST_ARGS:-}")
elif scripts/linux/fetch.sh >build/run-fetch.log 2>&1 && scripts/linux/mkinitramfs.sh >/dev/null; then
	kcmd=$(scripts/linux/cmdline.sh "$([ $kvm = 1 ] && echo kvm || echo bochs)" uhvinit=shell)
	mods=(build/linux/vmlinuz "$kcmd" build/linux/initramfs.cpio "")
	echo "run: guest: Linux $(cut -d' ' -f2 build/linux/versions | head -1) + initramfs" \
		"(ping, then a shell: 'exit' powers off)"
else
	echo "run: cannot fetch the Linux kernel (see build/run-fetch.log); running the selftest guest"
	mods=(build/guest/selftest.elf "prodcheck")	# the checks that fit the production image
fi
if [ ! -f "${mods[0]}" ]; then
	echo "run: no guest kernel at ${mods[0]} (make guests builds the test guests)" >&2
	exit 1
fi
iso=build/run.iso
if [ $kvm = 1 ]; then
	scripts/mkiso.sh "$iso" "$cmdline" "${mods[@]}"
	echo "run: QEMU/KVM with nested VMX, intel-iommu and an e1000 (quit: Ctrl-A X)"
	exec qemu-system-x86_64 -accel kvm -cpu host -M q35,kernel-irqchip=split -m 512 \
		-device intel-iommu,intremap=on -netdev user,id=n0 -device e1000,netdev=n0,romfile= \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -cdrom "$iso" -display none -serial mon:stdio -no-reboot
fi
scripts/mkiso.sh "$iso" "iommu=off $cmdline" "${mods[@]}"
echo "run: no nested VMX here; booting in Bochs (software VMX, e1000, no IOMMU; Linux needs" \
	"about 80 s to its shell)"
if tty=$(tty 2>/dev/null); then
	# Bochs' "term" serial mode reads and writes this terminal: an interactive console
	# (Bochs puts the terminal in raw mode; stty sane restores it if Bochs is killed)
	trap 'stty sane 2>/dev/null' EXIT
	UHV_BOCHS_COM1="mode=term, dev=$tty" scripts/emu.sh bochs "$iso" build/run-serial.log \
		"${UHV_TIMEOUT:-3600}" || true
else
	log=build/run-serial.log
	: > "$log"
	tail -f "$log" & tailpid=$!
	trap 'kill $tailpid 2>/dev/null' EXIT
	scripts/emu.sh bochs "$iso" "$log" "${UHV_TIMEOUT:-3600}" || true
	sleep 0.5
fi
