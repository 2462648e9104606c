#!/usr/bin/env bash
# Build the ISO variants that boot uhv with a test guest (for the system tests):
#   guest/mkisos.sh [OUTDIR]        (default build/guest-iso; needs `make all`)
# Each holds the test variant build/uhv-test.elf (the guests use its test hooks).
# uhv-selftest.iso   uhv + selftest, with bench as a module (so the guest sees one)
# uhv-bench.iso      uhv + bench
# uhv-bad-NAME.iso   uhv + build/guest/bad-NAME.elf (uhv must refuse it clearly)
# uhv-nokernel.iso   uhv and no module at all
# native-selftest.iso, native-bench.iso: GRUB boots the guest directly, no uhv.
# The uhv command line comes from $UHV_CMDLINE (default empty).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/guest-iso}
cmd=${UHV_CMDLINE:-}
mkdir -p "$out"
scripts/mkiso.sh --test "$out/uhv-selftest.iso" "$cmd" build/guest/selftest.elf "memwalk=64 selftest" \
	build/guest/bench.elf "a module for the selftest"
scripts/mkiso.sh --test "$out/uhv-bench.iso" "$cmd" build/guest/bench.elf "iters=10000"
for f in build/guest/bad-*.elf; do
	name=$(basename "$f" .elf)
	scripts/mkiso.sh --test "$out/uhv-$name.iso" "$cmd" "$f" ""
done
scripts/mkiso.sh --test "$out/uhv-nokernel.iso" "$cmd"
guest/mkiso-native.sh "$out/native-selftest.iso" build/guest/selftest.elf "memwalk=64" \
	build/guest/bench.elf "a module for the selftest"
guest/mkiso-native.sh "$out/native-bench.iso" build/guest/bench.elf "iters=10000"
ls "$out"
