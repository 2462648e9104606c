#!/usr/bin/env bash
# The mmu guest (issue #6: address spaces, fork with copy on write, ring-3
# faults, NX/SMEP/SMAP/WP/reserved-bit faults, A/D bits, INVLPG unmaps, in
# 32-bit and PAE paging) natively under GRUB, under uhv with EPT and under
# uhv with shadow page tables (Bochs skylake_x). Every "guest: mmu ..." line
# (vector, error code, CR2, A/D bits, fault counts, checksums) must be
# identical in the three runs: shadow paging must give the guest exactly
# what the hardware gives.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
native=$ISODIR/61-shadow-mmu-native.iso
guest/mkiso-native.sh "$native" build/guest/mmu.elf 'mmu' >/dev/null 2>&1 ||
	{ echo "cannot build $native"; exit 1; }
ept=$(iso ept '' build/guest/mmu.elf 'mmu')
shadow=$(iso shadow 'mem=shadow' build/guest/mmu.elf 'mmu')

boot mmu-native bochs "$native" 300
expect "guest: started natively" "runs without uhv"
expect "guest: RESULT: PASS" "native verdict"
cp "$LOG" "$LOGS/61-native.log"

boot mmu-ept bochs "$ept" 300
expect "uhv vmx: EPT: " "EPT mode"
expect "^guest: RESULT: PASS" "EPT verdict"
expect_end log pass "" "EPT run PASS"
cp "$LOG" "$LOGS/61-ept.log"

boot mmu-shadow bochs "$shadow" 300
expect "uhv shadow: memory virtualization: shadow page tables" "shadow mode"
expect "^guest: RESULT: PASS" "shadow verdict"
expect "uhv shadow: shadow statistics: CR3 loads [1-9][0-9]*, .*INVLPG [1-9][0-9]*, #PF exits [1-9][0-9]* \(hidden [1-9][0-9]*, true [1-9][0-9]*" "CR3 loads, INVLPG, hidden and true #PF"
expect_end log pass "" "shadow run PASS"
cp "$LOG" "$LOGS/61-shadow.log"

for m in native ept shadow; do
	tr -d '\r' < "$LOGS/61-$m.log" | grep -a '^guest: mmu ' > "$LOGS/61-$m.mmu"
done
n=$(wc -l < "$LOGS/61-native.mmu")
if [ "$n" -lt 80 ]; then
	echo "  TOO FEW: $n 'guest: mmu' lines natively (want >= 80)"; fails=$((fails + 1))
fi
for m in ept shadow; do
	if diff -u "$LOGS/61-native.mmu" "$LOGS/61-$m.mmu" > "$LOGS/61-$m.diff"; then
		echo "  ok: $n 'guest: mmu' lines identical natively and under $m"
	else
		echo "  DIFFERENT: native vs $m:"; sed 's/^/    /' "$LOGS/61-$m.diff" | head -30
		fails=$((fails + 1))
	fi
done
finish
