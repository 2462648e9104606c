#!/usr/bin/env bash
# A failed VM entry is reported, not a hang: an invalid guest state gives the
# VM-entry failure exit with the guest-state fields the SDM's checks look at;
# an invalid control gives the VM-instruction error decoded to text.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot vmentry-guest bochs "$(iso guest 'panic-test=vmentry-guest' build/guest/selftest.elf '')" 300
expect "VM entry failed while loading guest state: exit reason 33 \(VM-entry failure due to invalid guest state\)" "invalid guest state reported"
expect "guest state \(SDM 27.3.1 checks these\)" "guest-state dump"
expect "TR   selector 0x0000 .* access rights 0x10000 \(unusable\)" "the broken field is visible"
expect "controls: pin 0x[0-9a-f]+ primary 0x[0-9a-f]+ secondary" "controls printed"
expect_end bochs fail "VM entry failed: invalid guest state" "clean FAIL"
boot vmentry-ctl bochs "$(iso ctl 'panic-test=vmentry-ctl' build/guest/selftest.elf '')" 300
expect "VM-instruction error 7" "VM-instruction error number"
expect "invalid control field|control field" "error decoded to text"
expect_end bochs fail "VM entry failed" "clean FAIL"
finish
