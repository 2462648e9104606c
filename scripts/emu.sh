#!/usr/bin/env bash
# Boot an ISO in one emulator configuration with the serial console in a log.
#   scripts/emu.sh PLATFORM ISO LOG [TIMEOUT] [-- extra emulator arguments]
# PLATFORM: qemu (q35, SeaBIOS), qemu-ovmf (q35, UEFI), qemu-iommu (q35 +
#   intel-iommu), qemu-iommu-cm (caching-mode=on), qemu-iommu-e1000e (intel-iommu,
#   an e1000e behind a PCIe root port at 00:1c.0, so the NIC is 01:00.0 and
#   DMAR names it through a bridge scope), qemu-iommu-pcie-pci-bridge and
#   qemu-iommu-pci-bridge (intel-iommu, an e1000 at 02:01.0 behind a PCIe-to-PCI bridge or a
#   conventional PCI bridge below a root port at 00:1c.0: its DMA carries the id 02:00.0 or
#   01:00.0), qemu-iommu-e1000e-pcie-pci-bridge (intremap=on, an e1000e at 02:01.0 behind that
#   PCIe-to-PCI bridge: its DMA and MSIs carry 02:00.0), bochs (corei7_skylake_x),
#   bochs-tigerlake, qemu-ovmf-esp and qemu-ovmf-esp-iommu (OVMF booting uhv.efi:
#   ISO is then a folder made by scripts/mkesp.sh, a FAT drive through QEMU's vvfat;
#   the second with intel-iommu). Extra arguments go to QEMU; for Bochs they are extra
#   bochsrc lines. UHV_BOCHS_COM1 replaces Bochs' serial port settings (default
#   "mode=file, dev=LOG"; scripts/run.sh uses "mode=term, dev=<its tty>").
#   UHV_CPUS (default 1) is the number of CPUs: QEMU -smp, Bochs "cpu: count"
#   (Debian's Bochs is built with SMP support). UHV_MEM is the RAM in MiB.
#   UHV_STOP_AT (an extended regex) stops the emulator as soon as the serial
#   log matches it, for guests that never end by themselves (memtest86+).
#   Exit status is the emulator's (see include/uhv/platform.h):
#   QEMU 33 = PASS, 35 = FAIL; Bochs 0 = PASS, 1 = FAIL; 124 = timeout;
#   100 = stopped at UHV_STOP_AT.
set -uo pipefail
plat=$1 iso=$2 log=$3 tmo=${4:-120}
shift 3; [ $# -gt 0 ] && [ "$1" != "--" ] && shift
[ "${1:-}" = "--" ] && shift
iso=$(readlink -f "$iso")
mkdir -p "$(dirname "$log")"
log=$(readlink -f "$log")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_emu [timeout options] CMD...: CMD under timeout; with UHV_STOP_AT, the log
# is watched once a second and CMD stopped (through its timeout) at a match
run_emu() {
	local opts=()
	while [[ $1 == --* ]]; do opts+=("$1"); shift; done
	if [ -z "${UHV_STOP_AT:-}" ]; then
		timeout "${opts[@]}" "$tmo" "$@"
		return
	fi
	timeout "${opts[@]}" "$tmo" "$@" &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -aqE -- "$UHV_STOP_AT" "$log" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			wait "$pid"
			return 100
		fi
		sleep 1
	done
	wait "$pid"
}

media=(-cdrom "$iso")
[[ $plat == qemu-ovmf-esp* ]] && media=(-drive "format=raw,file=fat:rw:$iso")
qemu_common=(-M q35 -m "${UHV_MEM:-256}" -smp "${UHV_CPUS:-1}" "${media[@]}" -display none -serial "${UHV_QEMU_SERIAL:-file:$log}" -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=4 -netdev user,id=n0
	-monitor none)
case $plat in
qemu)		args=("${qemu_common[@]}" -device e1000,netdev=n0,romfile=) ;;
qemu-ovmf|qemu-ovmf-esp)
		args=(-bios /usr/share/ovmf/OVMF.fd "${qemu_common[@]}" -device e1000,netdev=n0,romfile=) ;;
qemu-ovmf-esp-iommu)
		args=(-bios /usr/share/ovmf/OVMF.fd "${qemu_common[@]}" -device intel-iommu
			-device e1000,netdev=n0,romfile=) ;;
qemu-iommu)	args=("${qemu_common[@]}" -device intel-iommu -device e1000,netdev=n0,romfile=) ;;
qemu-iommu-cm)	args=("${qemu_common[@]}" -device intel-iommu,caching-mode=on -device e1000,netdev=n0,romfile=) ;;
qemu-iommu-e1000e)
		args=("${qemu_common[@]}" -device intel-iommu
			-device pcie-root-port,id=rp1,bus=pcie.0,addr=1c.0,chassis=1
			-device e1000e,bus=rp1,netdev=n0,romfile=) ;;
qemu-iommu-pcie-pci-bridge)
		args=("${qemu_common[@]}" -device intel-iommu
			-device pcie-root-port,id=rp1,bus=pcie.0,addr=1c.0,chassis=1
			-device pcie-pci-bridge,id=br1,bus=rp1
			-device e1000,bus=br1,addr=1.0,netdev=n0,romfile=) ;;
qemu-iommu-e1000e-pcie-pci-bridge)
		args=("${qemu_common[@]}" -device intel-iommu,intremap=on
			-device pcie-root-port,id=rp1,bus=pcie.0,addr=1c.0,chassis=1
			-device pcie-pci-bridge,id=br1,bus=rp1
			-device e1000e,bus=br1,addr=1.0,netdev=n0,romfile=) ;;
qemu-iommu-pci-bridge)
		args=("${qemu_common[@]}" -device intel-iommu
			-device pcie-root-port,id=rp1,bus=pcie.0,addr=1c.0,chassis=1
			-device pci-bridge,id=br1,bus=rp1,chassis_nr=2
			-device e1000,bus=br1,addr=1.0,netdev=n0,romfile=) ;;
qemu-noiommu)	args=("${qemu_common[@]}" -device e1000,netdev=n0,romfile=) ;;
bochs|bochs-tigerlake)
	model=corei7_skylake_x
	[ "$plat" = bochs-tigerlake ] && model=tigerlake
	mkdir -p "$work/vnet"
	cat > "$work/bochsrc" <<RC
megs: ${UHV_MEM:-256}
cpu: model=$model, count=${UHV_CPUS:-1}, ips=200000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
com1: enabled=1, ${UHV_BOCHS_COM1:-mode=file, dev=$log}
log: $work/bochs.log
panic: action=fatal
port_e9_hack: enabled=1
magic_break: enabled=1
clock: sync=none, time0=946681200
pci: enabled=1, chipset=i440fx, slot1=e1000
e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=vnet, ethdev=$work/vnet
speaker: enabled=0
sound: waveoutdrv=dummy, waveout=/dev/null, waveindrv=dummy, midioutdrv=dummy
RC
	for line in "$@"; do echo "$line" >> "$work/bochsrc"; done
	printf 'c\nr\nquit\n' > "$work/dbgcmds"
	# a serial port on the terminal: Bochs must stay in the foreground process
	# group, or its first tcsetattr stops it (SIGTTOU)
	fg=(); [[ ${UHV_BOCHS_COM1:-} == *mode=term* ]] && fg=(--foreground)
	( cd "$work" && run_emu "${fg[@]}" bochs-bin -q -f bochsrc -rc dbgcmds </dev/null >"$work/stdout" 2>&1 )
	rc=$?
	# keep Bochs' own log next to the serial log for debugging
	cp "$work/bochs.log" "${log%.log}.bochs.log" 2>/dev/null
	cp "$work/stdout" "${log%.log}.bochs-stdout.log" 2>/dev/null
	exit $rc ;;
*) echo "emu.sh: unknown platform '$plat'" >&2; exit 2 ;;
esac
run_emu qemu-system-x86_64 "${args[@]}" "$@" >"$work/stdout" 2>&1
rc=$?
cat "$work/stdout" > "${log%.log}.qemu.log"
exit $rc
