#!/usr/bin/env bash
# A deliberately bad command line: each problem is named, defaults are kept,
# and the boot goes on (no hang).
. "$(dirname "$0")/lib.sh"
boot bad-cmdline qemu "$(iso bad-cmdline 'loglevel=loud bogus=1 console=ttyS9 nic=zz:00.0 uhvmem=12Q probe')" 60
expect "bad value 'loud' for option 'loglevel'" "bad loglevel named"
expect "unknown option 'bogus=1' ignored" "unknown option named"
expect "option 'console'" "bad console named"
expect "option 'nic'" "bad nic named"
expect "option 'uhvmem'" "bad uhvmem named"
expect "uhv options: console=0x3f8,115200 loglevel=info" "defaults in effect"
expect_end qemu pass "probe complete" "boot continued to the end"
# (An unterminated quote never reaches uhv: GRUB rejects such a grub.cfg line;
# the parser's handling of it is unit-tested in test_cmdline/test_options.)
finish
