#!/usr/bin/env bash
# Faults uhv injects, instructions it completes for the guest, and NMIs that come while it
# handles an exit look to a guest as they do natively (issue 20, items 2 and 4): the selftest's
# inject checks (guest/selftest/inject.c, only=inject) natively under GRUB and under uhv, both
# in Bochs, pass and print the same result lines.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
native=$ISODIR/29-inject-native.iso
guest/mkiso-native.sh "$native" build/guest/selftest.elf 'only=inject' >/dev/null 2>&1 ||
	{ echo "cannot build $native"; exit 1; }
boot inject-native bochs "$native" 300
expect "guest: started natively" "runs without uhv"
expect "^guest: RESULT: PASS" "native verdict"
grep -E "^guest: test inject-[a-z-]+: (ok|FAIL|skipped)" "$LOG" | sed 's/:.*: \(ok\|FAIL\|skipped\).*/: \1/' \
	> "$LOGS/29-native.results"
boot inject-uhv bochs "$(iso uhv '' build/guest/selftest.elf 'selftest only=inject')" 300
expect "^guest: started under uhv" "runs under uhv"
expect "^guest: RESULT: PASS" "verdict under uhv"
reject "PANIC" "uhv survives"
grep -E "^guest: test inject-[a-z-]+: (ok|FAIL|skipped)" "$LOG" | sed 's/:.*: \(ok\|FAIL\|skipped\).*/: \1/' \
	> "$LOGS/29-uhv.results"
n=$(wc -l < "$LOGS/29-native.results")
if [ "$n" -lt 7 ]; then
	echo "  TOO FEW: $n inject result lines natively (want 7)"; fails=$((fails + 1))
elif diff -u "$LOGS/29-native.results" "$LOGS/29-uhv.results" > "$LOGS/29.diff"; then
	echo "  ok: $n inject result lines identical natively and under uhv"
else
	echo "  DIFFERENT: native vs uhv:"; sed 's/^/    /' "$LOGS/29.diff" | head -20; fails=$((fails + 1))
fi
finish
