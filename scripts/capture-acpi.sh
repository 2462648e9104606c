#!/bin/bash
# Capture the ACPI tables that QEMU (SeaBIOS, OVMF) and Bochs firmware build, as test data for
# test/unit/test_acpi.c. Each platform boots with nothing bootable, the firmware builds its
# tables, guest RAM is dumped, and scripts/acpi-extract.py follows RSDP -> RSDT/XSDT and writes
# test/data/acpi/<platform>/{rsdp.bin,<SIG>.bin,index.txt}.
#
# usage: scripts/capture-acpi.sh [platform...]    (default: all)
#   platforms: q35-seabios q35-seabios-iommu q35-seabios-iommu-rp q35-ovmf-iommu bochs-i440fx
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=test/data/acpi
MEGS=256
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# qemu_capture NAME WAIT_SECONDS QEMU-ARGS...
qemu_capture() {
	local name=$1 wait=$2
	shift 2
	local dump=$TMP/$name.mem
	echo "== $name"
	# The monitor reads its commands from the pipe; the sleep gives the firmware time to
	# finish building the tables (SeaBIOS: well under a second; OVMF: a few seconds).
	{
		sleep "$wait"
		echo "pmemsave 0 $((MEGS << 20)) \"$dump\""
		sleep 2
		echo quit
	} | timeout 120 qemu-system-x86_64 -M q35 -m $MEGS -display none -serial none \
		-monitor stdio -no-reboot "$@" >"$TMP/$name.monitor" 2>&1 || {
		cat "$TMP/$name.monitor"
		echo "error: QEMU failed for $name" >&2
		return 1
	}
	rm -rf "${OUT:?}/$name"
	python3 scripts/acpi-extract.py "$dump" "$OUT/$name"
	rm -f "$dump"
}

bochs_capture() {
	local name=bochs-i440fx
	local dump=$TMP/$name.mem
	echo "== $name"
	# Nothing bootable: rombios builds its ACPI tables during POST, then fails to boot from the
	# empty CD-ROM at about tick 3.0 M and reports a BIOS panic, which ends Bochs even with
	# panic: action=report. A time breakpoint just before that (tick 2.9 M; ticks are exact with
	# clock: sync=none) stops in the debugger, which writes guest RAM with writemem.
	# "sound: driver=dummy" is needed: the default ALSA driver aborts Bochs 2.7 on a machine
	# without a sound card ("buffer overflow detected").
	cat >"$TMP/bochsrc" <<-EOF
	megs: $MEGS
	cpu: model=corei7_skylake_x, ips=200000000, reset_on_triple_fault=0
	romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	display_library: rfb, options="timeout=0"
	sound: driver=dummy
	boot: cdrom
	log: $TMP/bochs.log
	panic: action=report
	clock: sync=none, time0=946681200
	pci: enabled=1, chipset=i440fx, slot1=e1000
	e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=null
	EOF
	printf 'sb 2900000\nc\nwritemem "%s" 0 %d\nquit\n' "$dump" $((MEGS << 20)) \
		>"$TMP/bochs.cmds"
	# Run inside $TMP: the null network module writes eth_null-*.txt files into the cwd.
	(cd "$TMP" && timeout 300 bochs-bin -q -f bochsrc -rc bochs.cmds </dev/null \
		>bochs.out 2>&1) || true
	if [ ! -s "$dump" ]; then
		tail -30 "$TMP/bochs.out" "$TMP/bochs.log"
		echo "error: Bochs produced no memory dump" >&2
		return 1
	fi
	rm -rf "${OUT:?}/$name"
	python3 scripts/acpi-extract.py "$dump" "$OUT/$name"
	rm -f "$dump"
}

NIC="-netdev user,id=n0 -device e1000,netdev=n0,romfile="
run() {
	case $1 in
	q35-seabios) qemu_capture "$1" 3 $NIC ;;
	q35-seabios-iommu) qemu_capture "$1" 3 -device intel-iommu,intremap=on $NIC ;;
	q35-seabios-iommu-rp)
		qemu_capture "$1" 3 -device intel-iommu,intremap=on \
			-device pcie-root-port,id=rp1,bus=pcie.0,addr=1c.0,chassis=1 \
			-netdev user,id=n0 -device e1000e,bus=rp1,netdev=n0,romfile= ;;
	q35-ovmf-iommu) qemu_capture "$1" 15 -bios /usr/share/ovmf/OVMF.fd \
		-device intel-iommu,intremap=on $NIC ;;
	bochs-i440fx) bochs_capture ;;
	*) echo "unknown platform $1" >&2; exit 2 ;;
	esac
}

if [ $# -eq 0 ]; then
	set -- q35-seabios q35-seabios-iommu q35-seabios-iommu-rp q35-ovmf-iommu bochs-i440fx
fi
for p in "$@"; do
	run "$p"
done
