#!/usr/bin/env bash
# Run uhv as L2 in the nested tier: Bochs (VMX + EPT) -> Linux L1 with
# kvm_intel nested=1 -> QEMU -accel kvm -cpu host -M q35 -device intel-iommu
# -device e1000 -> uhv (L2) -> its guest (L3). One serial log holds L1's, QEMU's
# and uhv's console (QEMU's -serial stdio is L1's console). See docs/nested.md.
#
#   scripts/nested/run.sh L2_ISO LOG [QEMU-OPTS...]
#       one case; exit status = the inner QEMU's (33 = uhv PASS, 35 = FAIL),
#       124 = Bochs timed out, 125 = the stack broke before QEMU ended
#   scripts/nested/run.sh --multi LOG NAME ISO "QEMU-OPTS" [NAME ISO "QEMU-OPTS"]...
#       several cases in one L1 boot (each further case costs ~15 s, a boot
#       ~1 min); QEMU-OPTS is split at whitespace; exit status 0 when every
#       case ended with QEMU exit status 33, 1 otherwise, 124/125 as above
#
# Each case runs
#   qemu-system-x86_64 -accel kvm -cpu host -nodefaults -vga none -display none
#     -serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4
#     -M q35 -m $NESTED_MEM -device intel-iommu
#     -netdev user,id=n0 -device e1000,netdev=n0,romfile= QEMU-OPTS -cdrom L2_ISO
# where QEMU-OPTS naming "intel-iommu" replaces the default IOMMU, and naming
# "-netdev" or "-nic" replaces the default NIC (so the e1000 is 00:01.0
# unless replaced). Later -M/-m options override the defaults.
# Besides LOG: LOG minus .log plus .NAME.log = each case's part of the log,
# .bochs.log = Bochs' own log.
# Environment: NESTED_TIMEOUT (Bochs wall-clock limit, s, default 600),
# NESTED_CASE_TIMEOUT (per QEMU run, L1 seconds, default 300), NESTED_MEM (L2
# RAM in MiB, default 256), NESTED_MEGS (Bochs RAM, default 1024), NESTED_CPUS (Bochs CPUs, i.e.
# L1 CPUs, default 1),
# NESTED_L2_FILES (host files, space-separated, copied into L1's /l2/ next to the ISOs,
# e.g. OVMF.fd for a case with "-bios /l2/OVMF.fd"),
# NESTED_L1_ARGS (words appended to L1's kernel command line; MODULE.PARAM=VALUE words also
# reach irqbypass/kvm/kvm_intel, and nested.sample=N makes L1 print its QEMU threads' CPU time
# every N seconds, scripts/nested/init), NESTED_BOCHS_CPU (options appended to Bochs' cpu: line,
# e.g. quantum=N),
# NESTED_KEEP=1 keeps the work directory (L1 ISO, bochsrc), NESTED_L1_BOOT=bzimage
# boots the stock bzImage instead of the PVH loader (see build-l1.sh).
# Only one nested Bochs runs at a time (a lock in build/nested/).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/nested

usage() { sed -n '7,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
names=() isos=() opts=()
if [ "${1:-}" = --multi ]; then
	[ $# -ge 5 ] || usage
	log=$2; shift 2
	while [ $# -gt 0 ]; do
		[ $# -ge 3 ] || usage
		names+=("$1"); isos+=("$2"); opts+=("$3"); shift 3
	done
	multi=1
else
	[ $# -ge 2 ] || usage
	names+=(l2); isos+=("$1"); log=$2; shift 2
	opts+=("$*")
	multi=0
fi
for i in "${!names[@]}"; do
	[[ ${names[$i]} =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "run.sh: bad case name '${names[$i]}'" >&2; exit 2; }
	[ -f "${isos[$i]}" ] || { echo "run.sh: no such ISO: ${isos[$i]}" >&2; exit 2; }
done
mkdir -p "$(dirname "$log")" "$out"
log=$(readlink -f "$log")
base=${log%.log}

# one nested Bochs at a time (they are slow and the machines have two cores)
exec 9>"$out/.lock"
if ! flock -n 9; then
	echo "run.sh: waiting for another nested run to finish" >&2
	flock 9
fi

"$here/build-l1.sh" -q || exit 125

# work directories of runs that were killed (we hold the lock: none is active)
rm -rf "$out"/run.??????
work=$(mktemp -d "$out/run.XXXXXX")
cleanup() {
	[ -n "${watcher:-}" ] && kill "$watcher" 2>/dev/null
	[ -n "${bochs:-}" ] && kill "$bochs" 2>/dev/null
	if [ "${NESTED_KEEP:-0}" = 1 ]; then echo "run.sh: work directory kept: $work" >&2
	else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# --- the second initramfs part: the L2 ISOs and the case list ---------------------
mkdir -p "$work/cases/l2" "$work/cases/nested" "$work/iso/boot/grub"
declare -A isoidx=()
: > "$work/cases/nested/cases"
for i in "${!names[@]}"; do
	src=$(readlink -f "${isos[$i]}")
	if [ -z "${isoidx[$src]:-}" ]; then
		isoidx[$src]=${#isoidx[@]}
		cp "$src" "$work/cases/l2/${isoidx[$src]}.iso"
	fi
	o=${opts[$i]}
	dev="-M q35 -m ${NESTED_MEM:-256}"
	[[ $o == *intel-iommu* ]] || dev+=" -device intel-iommu"
	[[ $o == *-netdev* || $o == *-nic* ]] || dev+=" -netdev user,id=n0 -device e1000,netdev=n0,romfile="
	echo "${names[$i]} ${NESTED_CASE_TIMEOUT:-300} $dev $o -cdrom /l2/${isoidx[$src]}.iso" |
		tr -s ' ' >> "$work/cases/nested/cases"
done
for f in ${NESTED_L2_FILES:-}; do
	cp "$f" "$work/cases/l2/$(basename "$f")" || exit 125
done
(cd "$work/cases" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio -o -0 -H newc -R 0:0 --quiet) > "$work/iso/cases.cpio"

# --- the L1 ISO (BIOS GRUB: Bochs' rombios boots it) -----------------------------------
ln "$out/vmlinuz" "$work/iso/vmlinuz" 2>/dev/null || cp "$out/vmlinuz" "$work/iso/vmlinuz"
ln "$out/l1-initramfs.cpio" "$work/iso/l1.cpio" 2>/dev/null || cp "$out/l1-initramfs.cpio" "$work/iso/l1.cpio"
# NESTED_L1_BOOT=bzimage forces GRUB's `linux` (the kernel decompresses itself)
if [ -f "$out/pvhboot.elf" ] && [ -f "$out/l1-kernel.pvh" ] && [ "${NESTED_L1_BOOT:-pvh}" != bzimage ]; then
	ln "$out/pvhboot.elf" "$work/iso/pvhboot.elf" 2>/dev/null || cp "$out/pvhboot.elf" "$work/iso/"
	ln "$out/l1-kernel.pvh" "$work/iso/kernel.pvh" 2>/dev/null || cp "$out/l1-kernel.pvh" "$work/iso/kernel.pvh"
	rm -f "$work/iso/vmlinuz"
	boot="	multiboot2 /pvhboot.elf $(cat "$out/l1-cmdline")${NESTED_L1_ARGS:+ $NESTED_L1_ARGS}
	module2 /kernel.pvh
	module2 /l1.cpio
	module2 /cases.cpio"
else
	boot="	linux /vmlinuz $(cat "$out/l1-cmdline")${NESTED_L1_ARGS:+ $NESTED_L1_ARGS}
	initrd /l1.cpio /cases.cpio"
fi
cat > "$work/iso/boot/grub/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry "uhv nested tier L1" {
$boot
	boot
}
CFG
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$work/l1.iso" "$work/iso" >"$work/mkrescue.log" 2>&1 ||
	{ cat "$work/mkrescue.log" >&2; exit 125; }
rm -rf "$work/iso" "$work/cases"

# --- Bochs (docs/emulators.md section 8): skylake_x, no magic_break ----------------
mkdir -p "$work/vnet"
cat > "$work/bochsrc" <<RC
megs: ${NESTED_MEGS:-1024}
cpu: model=corei7_skylake_x, count=${NESTED_CPUS:-1}, ips=200000000, reset_on_triple_fault=0${NESTED_BOCHS_CPU:+, $NESTED_BOCHS_CPU}
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$work/l1.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$log
log: $work/bochs.log
panic: action=fatal
clock: sync=none, time0=946681200
pci: enabled=1, chipset=i440fx
speaker: enabled=0
sound: waveoutdrv=dummy, waveout=/dev/null, waveindrv=dummy, midioutdrv=dummy
RC
printf 'c\nquit\n' > "$work/dbgcmds"
rm -f "$log" "$base".*.log
: > "$log"
t0=$(date +%s)
(cd "$work" && exec timeout "${NESTED_TIMEOUT:-600}" bochs-bin -q -f bochsrc -rc dbgcmds </dev/null >"$work/stdout" 2>&1) &
bochs=$!
# stop early when L1 panics (Bochs would otherwise sit there until the timeout)
(
	while sleep 5; do
		if grep -q 'Kernel panic - not syncing' "$log" 2>/dev/null; then
			sleep 3; kill -TERM "$bochs" 2>/dev/null; exit 0
		fi
	done
) &
watcher=$!
wait "$bochs"
brc=$?
bochs=
kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null; watcher=
secs=$(( $(date +%s) - t0 ))
cp "$work/bochs.log" "$base.bochs.log" 2>/dev/null
cat "$work/stdout" >> "$base.bochs.log" 2>/dev/null

# --- verdict --------------------------------------------------------------------------
ticks=$(sed -n 's/^\([0-9]*\)[a-z]\[.*Shutdown port: shutdown requested.*/\1/p' "$base.bochs.log" | tail -n1)
echo "run.sh: Bochs exit status $brc after ${secs}s${ticks:+ ($((10#$ticks)) ticks)}, serial log $log" >&2
allpass=1 status=
for n in "${names[@]}"; do
	# this case's part of the log: from its BEGIN line to its END line
	tr -d '\r' < "$log" | sed -n "/^NESTED-CASE-BEGIN: $n /,/^NESTED-CASE-END: $n /p" > "$base.$n.log"
	rc=$(sed -n 's/^NESTED-QEMU-EXIT: \([0-9]*\).*/\1/p' "$base.$n.log" | tail -n1)
	l1s=$(sed -n 's/^NESTED-CASE-END: .* L1-seconds=\(.*\)/\1/p' "$base.$n.log")
	echo "run.sh: case $n: QEMU exit status ${rc:-none}${l1s:+ after $l1s L1 seconds}, log $base.$n.log" >&2
	[ "${rc:-}" = 33 ] || allpass=0
	[ -z "$status" ] && status=${rc:-}
done
if [ $brc = 124 ]; then exit 124; fi
grep -q '^NESTED-L1: all cases done' <(tr -d '\r' < "$log") || exit 125
if [ $multi = 0 ]; then exit "${status:-125}"; fi
[ $allpass = 1 ]
