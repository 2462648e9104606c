#!/usr/bin/env bash
# Issue 20: memtest86+ from Debian's package (memtest86+x64.bin, Linux boot protocol 2.12, a file
# that ends 8 bytes before syssize * 16) as uhv's guest in Bochs, with EPT and with mem=shadow:
# uhv loads it, memtest starts, sizes memory as uhv's e820 says, runs its first tests (0-3)
# with 0 errors, and its screen (console=ttyS0: VT100 on COM1, through uhv's virtual UART)
# reaches uhv's console. memtest never ends by itself: the emulator is stopped once the screen
# shows test 4 (UHV_STOP_AT). 32 MiB of RAM keeps a run short (EPT ~20 s, shadow ~50 s).
# Skipped (77) when the package is not installed (scripts/deps.sh installs it).
. "$(dirname "$0")/lib.sh"
mt=/boot/memtest86+x64.bin
if [ ! -f "$mt" ]; then
	echo "skip: $mt is missing: the memtest86+ package is not installed (scripts/deps.sh" \
		"installs it from Debian's package registry)"
	exit 77
fi
make -s "$UHV_IMAGE" >/dev/null || { echo "cannot build uhv"; exit 1; }

# memtest's figure: the e820 entries of types 1 and 3 (uhv's "e820 [a-b) type N" lines), pages
# inside each, none in [640 KiB, 1 MiB), rounded to the nearest MiB (its system/pmem.c rule)
e820_mib() {
	grep -aoE "uhv linux:   e820 \[0x[0-9a-f]+-0x[0-9a-f]+\) type [13]" "$LOG" |
	while read -r _ _ _ range _ _; do
		range=${range#[}; range=${range%)}
		echo "$((${range%-*})) $((${range#*-}))"
	done | awk 'BEGIN { lo = 0xa0000; hi = 0x100000; pages = 0 }
		{ s = $1; e = $2
		  if (s > lo && s < hi) { if (e < hi) next; s = hi }
		  if (e > lo && e < hi) e = lo
		  pages += int(e / 4096) - int((s + 4095) / 4096) }
		END { print int((pages + 128) / 256) }'
}

mtcmd='console=ttyS0,115200 nopause'
export UHV_STOP_AT='#([4-9]|1[0-9]) +\['	# test 4 on the screen: tests 0-3 done
for mode in ept shadow; do
	UHV_MEM=32 boot memtest-$mode bochs "$(iso $mode "mem=$mode" "$mt" "$mtcmd")" 150
	if [ "$RC" = 100 ]; then echo "  ok: stopped at test 4"
	else echo "  WRONG: exit status $RC, not 100 (stopped at test 4)"; fails=$((fails + 1)); fi
	expect "uhv options: .* mem=$mode" "mem=$mode"
	expect "uhv linux: guest kernel: Linux bzImage Memtest86\+ v6\.[0-9]+, boot protocol 2\.1[2-9], .*64-bit entry" \
		"memtest86+ accepted (a file ending inside its last syssize paragraph)"
	reject "the file is truncated" "refusal of the image"
	expect "uhv vmx: launching the guest \(Linux bzImage\)" "launch"
	expect "ports 0x03f8-0x03ff emulated uhv's console UART" "COM1 is uhv's virtual UART"
	# its VT100 screen, each ESC shown as '.' (guest output carries no terminal controls,
	# docs/security.md "Console")
	expect '\.\[1;1H\.\[7m +Memtest86\+ v6' "memtest's screen on uhv's console"
	want=$(e820_mib)
	got=$(grep -aoE "Memory  : +[0-9]+MB" "$LOG" | head -1 | grep -oE "[0-9]+")
	if [ -n "$want" ] && [ "$want" -gt 0 ] && [ "$got" = "$want" ]; then
		echo "  ok: memtest sizes memory as uhv's e820 says ($got MiB)"
	else
		echo "  WRONG memory size: memtest says '${got:-nothing}' MB, uhv's e820 types 1+3" \
			"give '${want:-nothing}' MiB"; fails=$((fails + 1))
	fi
	expect "Status: Testing" "memtest testing"
	expect "Pass: +0 +Errors: 0 " "error count shown, 0"
	reject "Errors: +[1-9]|Status: Failed|Failing Address" "memory errors"
	reject "uhv: run ended" "end of run (the guest stopped)"
	[ "$mode" = shadow ] &&
		expect "uhv shadow: memory virtualization: shadow page tables \(mem=shadow\)" \
			"shadow page tables"
done
finish
