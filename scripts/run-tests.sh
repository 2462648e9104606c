#!/usr/bin/env bash
# The test runner behind `make test`: host unit tests (cmocka), then system
# tests (test/system/*.sh, each boots emulators and checks the serial log;
# they boot the test variant build/uhv-test.elf, 27-production-image.sh the
# production image build/uhv.elf).
# scripts/check-docs.sh runs with the unit tests, as one more test. Logs go to
# build/test-logs/. Ends with the line "N passed, N failed".
#   scripts/run-tests.sh [--unit-only|--system-only] [NAME-FILTER]
set -uo pipefail
cd "$(dirname "$0")/.."
mode=all filter=
for a in "$@"; do
	case $a in
	--unit-only) mode=unit ;;
	--system-only) mode=system ;;
	*) filter=$a ;;
	esac
done
logs=build/test-logs
mkdir -p "$logs"
passed=0 failed=0
failures=()

if [ "$mode" != system ]; then
	for t in build/unit/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
		out="$logs/unit-$name.log"
		CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$out" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
		p=${p:-0} f=${f:-0}
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi	# crashed before its summary
		passed=$((passed + p)); failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures+=("unit $name (see $out)")
			echo "FAIL  unit $name: $p passed, $f failed"
			grep -E '^\[  (FAILED|ERROR) |FAILURE|Assertion|ERROR:' "$out" | head -10 | sed 's/^/      /'
		else
			echo "ok    unit $name: $p passed"
		fi
	done
	# host integration checks (e.g. a real gdb against the GDB stub engine):
	# exit 0 = pass, 77 = skipped, anything else = fail
	for t in test/unit/*_host.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
		out="$logs/unit-$name.log"
		bash "$t" >"$out" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then passed=$((passed + 1)); echo "ok    host $name"
		elif [ $rc -eq 77 ]; then echo "skip  host $name"
		else failed=$((failed + 1)); failures+=("host $name (see $out)"); echo "FAIL  host $name"; tail -10 "$out" | sed 's/^/      /'
		fi
	done
	# the documentation check: cited paths exist, docs/architecture.md names every source file
	name=check-docs
	if [ -z "$filter" ] || [[ $name == *$filter* ]]; then
		out="$logs/docs-$name.log"
		if scripts/check-docs.sh >"$out" 2>&1; then passed=$((passed + 1)); echo "ok    docs $name"
		else
			failed=$((failed + 1)); failures+=("docs $name (see $out)"); echo "FAIL  docs $name"
			grep -v '(pending fix)$' "$out" | head -20 | sed 's/^/      /'
		fi
	fi
fi

if [ "$mode" != unit ]; then
	# the system tests boot the test variant (test/system/lib.sh); `make all` builds both images
	for img in build/uhv-test.elf build/uhv.elf; do
		[ -f "$img" ] || { echo "no $img: run 'make all' first"; exit 1; }
	done
	tests=()
	for t in test/system/[0-9]*.sh; do
		name=$(basename "$t" .sh)
		[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
		tests+=("$t")
	done
	# Two lanes, one per core (the emulators are single-threaded): the nested tier (one nested
	# Bochs at a time anyway, scripts/nested/run.sh) one after another, everything else one
	# after another beside it; UHV_TEST_JOBS=N gives the second lane N jobs.
	results=$(mktemp)
	run_one='t={}; name=$(basename "$t" .sh); start=$(date +%s)
		bash "$t" >"'"$logs"'/$name.out" 2>&1; rc=$?
		if [ $rc -eq 0 ]; then r=ok; elif [ $rc -eq 77 ]; then r=skip; else r=FAIL; fi
		echo "$r $name $(( $(date +%s) - start ))"'
	nested=() others=()
	for t in "${tests[@]}"; do
		if [[ $(basename "$t") == *nested* ]]; then nested+=("$t"); else others+=("$t"); fi
	done
	[ ${#nested[@]} -gt 0 ] && printf '%s\n' "${nested[@]}" |
		xargs -P 1 -I{} bash -c "$run_one" >>"$results.nested" &
	[ ${#others[@]} -gt 0 ] && printf '%s\n' "${others[@]}" |
		xargs -P "${UHV_TEST_JOBS:-1}" -I{} bash -c "$run_one" >>"$results.others"
	wait
	cat "$results.nested" "$results.others" >"$results" 2>/dev/null
	rm -f "$results.nested" "$results.others"
	while read -r r name secs; do
		if [ "$r" = ok ]; then
			passed=$((passed + 1)); echo "ok    system $name (${secs}s)"
		elif [ "$r" = skip ]; then
			echo "skip  system $name ($(tail -1 "$logs/$name.out"))"
		else
			failed=$((failed + 1)); failures+=("system $name (see $logs/$name.out)")
			echo "FAIL  system $name (${secs}s)"
			tail -15 "$logs/$name.out" | sed 's/^/      /'
		fi
	done < <(sort -k2 "$results")
	rm -f "$results"
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failures:"; printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
