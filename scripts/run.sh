#!/usr/bin/env bash
# `make run`: boot uhv with its default guest in the best emulator present.
#  1. QEMU with KVM when this host offers nested VMX (an Intel host with
#     kvm_intel nested=1): VMX and VT-d (intel-iommu) and the NIC together.
#  2. Bochs otherwise: VMX emulated in software (slow but complete; no IOMMU,
#     so the NIC is passed through with iommu=off).
# The serial console is this terminal. UHV_CMDLINE adds uhv options.
set -euo pipefail
cd "$(dirname "$0")/.."
guest=${UHV_GUEST:-build/guest/selftest.elf}
guest_args=${UHV_GUEST_ARGS:-}
cmdline=${UHV_CMDLINE:-}
if [ ! -f "$guest" ]; then
	echo "run: no guest kernel at $guest (make guests builds the test guests)" >&2
	exit 1
fi
iso=build/run.iso
nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || echo N)
if [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo && [[ $nested == [Yy1]* ]]; then
	scripts/mkiso.sh "$iso" "$cmdline" "$guest" "$guest_args"
	echo "run: QEMU/KVM with nested VMX, intel-iommu and an e1000 (quit: Ctrl-A X)"
	exec qemu-system-x86_64 -accel kvm -cpu host -M q35,kernel-irqchip=split -m 512 \
		-device intel-iommu,intremap=on -netdev user,id=n0 -device e1000,netdev=n0,romfile= \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -cdrom "$iso" -display none -serial mon:stdio -no-reboot
fi
scripts/mkiso.sh "$iso" "iommu=off $cmdline" "$guest" "$guest_args"
echo "run: no nested VMX here; booting in Bochs (software VMX, e1000, no IOMMU)"
log=build/run-serial.log
: > "$log"
tail -f "$log" & tailpid=$!
trap 'kill $tailpid 2>/dev/null' EXIT
scripts/emu.sh bochs "$iso" "$log" "${UHV_TIMEOUT:-3600}" || true
sleep 0.5
