#!/usr/bin/env bash
# Boot matrix over RAM sizes: small (64 MiB) and large (5 GiB, RAM above
# 4 GiB, direct map beyond the boot tables' reach).
. "$(dirname "$0")/lib.sh"
img=$(iso probe "probe")
UHV_MEM=64 boot ram-64m qemu "$img" 60
expect "uhv mm: usable [0-9]+ MiB" "64 MiB: memory map"
expect "W\^X check: 0 writable" "64 MiB: W^X"
expect_end qemu pass "probe complete" "64 MiB: clean exit"
UHV_MEM=5G boot ram-5g qemu "$img" 60
expect "0x0000000100000000  0x00000001[0-9a-f]{8} +[0-9]+ GiB  available" "5 GiB: RAM above 4 GiB in the map"
expect "uhv mm: usable (49[0-9][0-9]|50[0-9][0-9]|51[01][0-9]) MiB" "5 GiB: all of it usable"
expect "W\^X check: 0 writable" "5 GiB: W^X"
expect_end qemu pass "probe complete" "5 GiB: clean exit"
finish
