#!/usr/bin/env bash
# The production image build/uhv.elf (what `make`, `make iso` and `make run`
# give) has no test hook (include/uhv/test_hooks.h, docs/security.md "Test
# hooks"); every other system test boots the test variant build/uhv-test.elf.
#  - Bochs: the selftest guest in its prodcheck mode calls UHV_HC_TEST_HOOK 1..6 and
#    gets -ENOSYS with its registers untouched, reads port 0x510 and gets no
#    test-port answer; panic-test=pf on uhv's command line is an unknown option
#    (the test variant would raise #PF in uhv before the guest starts);
#  - QEMU, probe panic-test=pf end-test=poweroff lowmem-reserve=: the same refusals, and the
#    probe ends normally.
# The symbols are checked too: test/unit/production_image_host.sh.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
boot production-guest bochs "$(iso_production guest 'panic-test=pf' build/guest/selftest.elf 'prodcheck')" 300
expect "unknown option 'panic-test=pf' ignored" "panic-test= is an unknown option"
reject "panic-test: raising" "panic-test output"
expect "^guest: started under uhv" "guest runs under uhv"
for hook in 1 2 3 4 5 6; do
	expect "^guest: test prod-hook-$hook: ok" "test hook $hook answers -ENOSYS"
done
expect "^guest: test prod-test-port: ok" "port 0x510 is no test port"
reject "^guest: test [a-z0-9-]+: FAIL" "failed guest checks"
reject "test hook: " "test-hook output"
expect "^guest: RESULT: PASS" "guest verdict PASS"
expect_end bochs pass "guest shut down, status 0" "run ends with PASS"
boot production-probe qemu "$(iso_production probe 'probe panic-test=pf end-test=poweroff lowmem-reserve=0x1000-0xa0000')" 60
expect "unknown option 'panic-test=pf' ignored" "panic-test= is an unknown option (probe)"
expect "unknown option 'end-test=poweroff' ignored" "end-test= is an unknown option (probe)"
expect "unknown option 'lowmem-reserve=0x1000-0xa0000' ignored" "lowmem-reserve= is an unknown option (probe)"
reject "lowmem-reserve: " "lowmem-reserve= output"
reject "PANIC: CPU exception" "exception raised on purpose"
expect_end qemu pass "probe complete" "probe ends with PASS"
finish
