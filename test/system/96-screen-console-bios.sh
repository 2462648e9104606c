#!/usr/bin/env bash
# Screen console under SeaBIOS: GRUB keeps VGA text mode (gfxpayload=text, scripts/mkiso.sh) and
# passes the EGA text framebuffer tag; uhv writes its boot log to 0xB8000. The text memory (read
# through the QEMU monitor) must hold the serial log's tail, and the screendump (kept in
# build/test-logs, drawn by QEMU's VGA) must have ink exactly in the cells that hold a character.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/screen-lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3 (talks to the QEMU monitor)"; exit 77; }
fbshot_build
screen_boot screen-bios qemu "$(iso probe "probe exit=halt console=ttyS0,115200,fb")"
expect "uhv fbcon: screen console: 80x25 text screen at 0xb8000" "VGA text screen taken"
expect "uhv options: console=0x3f8,115200 " "console=ttyS0,115200,fb keeps the serial console"
expect "uhv: run ended: PASS - probe complete" "probe ran"
expect_screen text screen-bios
finish
