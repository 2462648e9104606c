#!/usr/bin/env bash
# Build an ISO on which GRUB boots a test guest directly, without uhv, to
# check the guest itself (it then reports uhv-only checks as skipped):
#   guest/mkiso-native.sh OUT.iso KERNEL.elf "KERNEL ARGS" [MODULE "ARGS"]...
# Boot it with scripts/emu.sh, e.g.
#   scripts/emu.sh qemu OUT.iso build/test-logs/native-selftest.log 60
set -euo pipefail
out=$1 kernel=$2 args=${3:-}
shift 3 || shift $#
UHV_ELF=$(readlink -f "$kernel") exec "$(dirname "$0")/../scripts/mkiso.sh" "$out" "$args" "$@"
