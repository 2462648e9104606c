#!/usr/bin/env bash
# Issue 19: the same uhv.elf booted by GRUB (the hybrid ISO) and by uhv.efi (an
# ESP folder), both under OVMF on the same QEMU machine, with the same command
# line and modules: the facts uhv prints about what its boot loader gave it
# (multiboot2 summary, modules, memory map, ACPI, PCI, VT-d, options) must agree
# line by line. Normalised, each for a reason that lies in the loader, not in
# what it reports about the machine:
#  - the boot loader's name ('GRUB 2.06-...' / 'uhv.efi'): it names itself;
#  - where the multiboot2 information and the modules are ("multiboot2 info at",
#    the module addresses): each loader allocates them where the firmware gives
#    it room; their sizes and strings are compared;
#  - the EFI map's descriptor count: every allocation a loader makes (GRUB's own
#    heap and modules, uhv.efi's buffers) splits the firmware's descriptors
#    differently; the BIOS-style map made of it (converted, merged) is compared;
#  - in uhv's memory map the ranges uhv carves out of available RAM for the
#    boot information, the modules and its pool ("boot info", "boot module",
#    "uhv pool") count as available and touching available ranges are merged:
#    they follow from the two points above; everything the firmware reports
#    (reserved, ACPI, NVS, uhv's image at its load base) is compared as is;
#  - the screen mode of the framebuffer (uhv fbcon: WxH, depth, characters): GRUB sets a mode
#    of its choice for uhv's framebuffer request (800x600x24 under OVMF), uhv.efi passes the
#    mode the firmware left (1280x800x32); the framebuffer's address is compared;
#  - what follows from those carve-outs (the number of ranges, usable RAM, the
#    page-table page count), the pool's use in the footprint and pool-peak lines
#    (mapping the framebuffer takes page-table pages by its size, which follows
#    from the mode: 76 KiB under GRUB, 80 KiB under uhv.efi) and the TSC
#    calibration (a measurement) are left out.
. "$(dirname "$0")/lib.sh"
make -s efi >/dev/null || { echo "cannot build build/uhv.efi"; exit 1; }
guest=build/guest/selftest.elf
cmd="probe loglevel=info"
grub_iso=$(iso grub "$cmd" "$guest" "guest args x=1" "$guest" "")
esp_dir=$(esp efi "$cmd" "$guest" "guest args x=1" "$guest" "")

boot compare-grub qemu-ovmf "$grub_iso" 90
expect "uhv mb2: boot loader 'GRUB" "GRUB booted uhv"
expect_end qemu pass "probe complete" "GRUB boot: closing line"
grub_log=$LOG
boot compare-efi qemu-ovmf-esp "$esp_dir" 90
expect "uhv mb2: boot loader 'uhv.efi'" "uhv.efi booted uhv"
expect_end qemu pass "probe complete" "uhv.efi boot: closing line"
efi_log=$LOG

# facts FILE -> the normalised fact lines on stdout
facts() {
	python3 - "$1" <<'PY'
import re, sys
CARVED = ('boot info', 'boot module', 'uhv pool')
lines = open(sys.argv[1], errors='replace').read().replace('\r', '').split('\n')
try:
    lines = lines[next(i for i, l in enumerate(lines) if l.startswith('uhv microhypervisor')) + 1:]
except StopIteration:
    sys.exit(0)
out, ranges = [], []
def flush():
    merged = []
    for b, e, t in ranges:
        if merged and merged[-1][2] == t and merged[-1][1] == b:
            merged[-1][1] = e
        else:
            merged.append([b, e, t])
    out.extend('  range 0x%016x-0x%016x %s' % tuple(m) for m in merged)
    ranges.clear()
for l in lines:
    m = re.match(r'  (0x[0-9a-f]{16})  (0x[0-9a-f]{16}) +\S+ \S+  (.*)$', l)
    if m:
        t = 'available' if m.group(3) in CARVED else m.group(3)
        ranges.append((int(m.group(1), 16), int(m.group(2), 16), t))
        continue
    flush()
    if not l.startswith('uhv') or l.startswith('uhv timer:'):
        continue
    if re.match(r'uhv mm: (usable |footprint |pool peak)', l):
        continue
    l = re.sub(r'multiboot2 info at 0x[0-9a-f]+', 'multiboot2 info at ADDR', l)
    l = re.sub(r"boot loader '[^']*'", "boot loader 'LOADER'", l)
    l = re.sub(r'(uhv mb2: module [0-9]+: )0x[0-9a-f]+-0x[0-9a-f]+', r'\1ADDR-ADDR', l)
    l = re.sub(r'EFI map \([0-9]+ descriptors', 'EFI map (N descriptors', l)
    l = re.sub(r'screen console: [0-9]+x[0-9]+ [0-9]+ bpp framebuffer at (0x[0-9a-f]+), [0-9]+x[0-9]+ characters',
               r'screen console: MODE framebuffer at \1', l)
    l = re.sub(r'page tables: [0-9]+ table pages', 'page tables: N table pages', l)
    l = re.sub(r'physical memory map, [0-9]+ ranges', 'physical memory map, N ranges', l)
    out.append(l)
flush()
print('\n'.join(out))
PY
}
facts "$grub_log" > "$LOGS/compare-grub.facts"
facts "$efi_log" > "$LOGS/compare-efi.facts"
n=$(wc -l < "$LOGS/compare-grub.facts")
if [ "$n" -lt 30 ]; then
	echo "  WRONG: only $n fact lines from the GRUB boot"; fails=$((fails + 1))
elif diff -u "$LOGS/compare-grub.facts" "$LOGS/compare-efi.facts" > "$LOGS/compare.diff"; then
	echo "  ok: $n fact lines agree (GRUB and uhv.efi; $LOGS/compare-*.facts)"
else
	echo "  DIFFERENT: the facts uhv printed differ between GRUB and uhv.efi ($LOGS/compare.diff):"
	head -40 "$LOGS/compare.diff" | sed 's/^/    /'
	fails=$((fails + 1))
fi
for f in "module 0: ADDR-ADDR \([0-9]+ KiB\) 'guest args x=1'" "RSDP v1, RSDP v2" \
	"EFI: system table 0x" "range 0x0000000000000000-0x00000000000a0000 low memory" \
	"uhv acpi: MADT" "uhv pci: 00:02.0"; do
	grep -Eq -- "$f" "$LOGS/compare-efi.facts" && echo "  ok: compared: $f" ||
		{ echo "  MISSING among the compared facts: $f"; fails=$((fails + 1)); }
done
finish
