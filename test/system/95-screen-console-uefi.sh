#!/usr/bin/env bash
# Screen console under OVMF: GRUB passes the GOP framebuffer (multiboot2 tag 8, asked for by
# boot/entry.asm's framebuffer tag), uhv draws its boot log on it with its own font. The QEMU
# screendump (kept in build/test-logs) must equal, pixel for pixel, the serial log's tail drawn
# by test/system/fbshot.c with the same grid and font code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/screen-lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3 (talks to the QEMU monitor)"; exit 77; }
fbshot_build
screen_boot screen-uefi qemu-ovmf "$(iso probe "probe exit=halt")"
expect "uhv fbcon: screen console: [0-9]+x[0-9]+ (16|24|32) bpp framebuffer at 0x[0-9a-f]+, [0-9]+x[0-9]+ characters" "GOP framebuffer taken"
expect "uhv: run ended: PASS - probe complete" "probe ran"
expect_screen pixels screen-uefi
# console= without ,fb: the screen stays unused (and the check above would fail)
screen_boot screen-uefi-off qemu-ovmf "$(iso off "probe exit=halt console=ttyS0")"
expect "uhv fbcon: screen console off \(console= without ,fb\)" "console=ttyS0 leaves the screen"
if [ -s "$LOGS/screen-uefi-off.ppm" ] && ! "$FBSHOT" pixels "$LOGS/screen-uefi-off.ppm" "$LOG" \
	"$LOGS/screen-uefi-off.expected.ppm" >/dev/null 2>&1; then
	echo "  ok: with console=ttyS0 the screen does not show the log"
else
	echo "  WRONG: console=ttyS0 still drew the log (or no screendump)"; fails=$((fails + 1))
fi
finish
