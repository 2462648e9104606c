#!/usr/bin/env bash
# Shadow paging vs EPT vs native (issue #6), in Bochs where the TSC counts
# executed instructions (runs repeat exactly), so the figures are instruction
# counts, including uhv's exit handling.
#
# Workload (guest/mmu with "bench"): PAE paging; one process forks N-1 more
# with its data pages shared copy on write; then R rounds in which each
# process in turn is switched to (MOV to CR3) and writes one word to each of
# its K pages (the first round takes the COW faults). Timed by the guest with
# RDTSC around the rounds only. Under uhv the guest also reads the exit
# counters (CR access, exception = #PF, INVLPG) around the rounds; uhv's final
# statistics give the shadow root cache's hits/misses for the whole run.
# N varies across the 16-root cache: 4, 16, 64 (BENCH_PROCS to change).
set -uo pipefail
cd "$(dirname "$0")/.."
procs_list=${BENCH_PROCS:-"4 16 64"}
rounds=${BENCH_ROUNDS:-8}
pages=${BENCH_PAGES:-8}
model=${BENCH_MODEL:-bochs}
out=build/bench/shadow
mkdir -p "$out"
make -s all >/dev/null || exit 1

run() {	# run NAME ISO
	scripts/emu.sh "$model" "$2" "$out/$1.log" 900 >/dev/null 2>&1
}
for n in $procs_list; do
	args="mmu bench=1 procs=$n rounds=$rounds pages=$pages"
	guest/mkiso-native.sh "$out/native-$n.iso" build/guest/mmu.elf "$args" >/dev/null 2>&1
	scripts/mkiso.sh --test "$out/ept-$n.iso" "" build/guest/mmu.elf "$args" >/dev/null 2>&1
	scripts/mkiso.sh --test "$out/shadow-$n.iso" "mem=shadow" build/guest/mmu.elf "$args" >/dev/null 2>&1
	run native-$n "$out/native-$n.iso" &
	run ept-$n "$out/ept-$n.iso" &
	run shadow-$n "$out/shadow-$n.iso"
	wait
done

field() {	# field LOG SED-EXPRESSION
	tr -d '\r' < "$1" | sed -n "$2" | tail -1
}
status=0
printf '\nmmu fork/COW/context-switch workload, PAE, %s pages per process, %s rounds (Bochs %s: ticks = instructions)\n' \
	"$pages" "$rounds" "$model"
printf '| processes | native ticks | EPT ticks | shadow ticks | shadow/native | CR3 loads | #PF exits (shadow) | hidden | true | INVLPG | root cache hits / misses (hit rate) | evictions |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n'
for n in $procs_list; do
	re='s/^guest: bench mmu pae procs [0-9]* pages [0-9]* rounds [0-9]*: \([0-9]*\) ticks.*/\1/p'
	tn=$(field "$out/native-$n.log" "$re")
	te=$(field "$out/ept-$n.log" "$re")
	ts=$(field "$out/shadow-$n.log" "$re")
	cr=$(field "$out/shadow-$n.log" 's/.*guest: bench mmu .*exits cr \([0-9]*\).*/\1/p')
	pf=$(field "$out/shadow-$n.log" 's/.*guest: bench mmu .* pf \([0-9]*\) invlpg.*/\1/p')
	il=$(field "$out/shadow-$n.log" 's/.*guest: bench mmu .* invlpg \([0-9]*\),.*/\1/p')
	cow=$(field "$out/shadow-$n.log" 's/.*guest: bench mmu .*, cow \([0-9]*\).*/\1/p')
	hits=$(field "$out/shadow-$n.log" 's/.*shadow root cache: \([0-9]*\) hits.*/\1/p')
	miss=$(field "$out/shadow-$n.log" 's/.*shadow root cache: [0-9]* hits, \([0-9]*\) misses.*/\1/p')
	evict=$(field "$out/shadow-$n.log" 's/.*shadow root cache: .* misses, \([0-9]*\) evictions.*/\1/p')
	rate=$(field "$out/shadow-$n.log" 's/.*hit rate \([0-9]*\)%.*/\1/p')
	ratio=n/a
	[ -n "$tn" ] && [ -n "$ts" ] && ratio=$(awk -v a="$ts" -v b="$tn" 'BEGIN { printf "%.1fx", a / b }')
	# the workload's #PF exits: COW faults are true (injected), the rest hidden
	hidden=n/a; [ -n "$pf" ] && [ -n "$cow" ] && hidden=$((pf - cow))
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s (%s%%) | %s |\n' "$n" \
		"${tn:-MISSING}" "${te:-MISSING}" "${ts:-MISSING}" "$ratio" "${cr:-?}" "${pf:-?}" \
		"$hidden" "${cow:-?}" "${il:-?}" "${hits:-?}" "${miss:-?}" "${rate:-?}" "${evict:-?}"
	[ -n "$tn" ] && [ -n "$te" ] && [ -n "$ts" ] || status=1
	for m in native ept shadow; do
		tr -d '\r' < "$out/$m-$n.log" | grep -q '^guest: RESULT: PASS' ||
			{ echo "  $m with $n processes: no PASS (see $out/$m-$n.log)"; status=1; }
	done
done
echo "(CR3 loads = control-register exits during the timed rounds; root cache counts are for the whole run)"
echo "logs: $out/"
exit $status
