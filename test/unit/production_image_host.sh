#!/usr/bin/env bash
# The production image build/uhv.elf holds no test hook (include/uhv/test_hooks.h,
# docs/security.md "Test hooks"): none of the hooks' functions and targets in
# its symbol table, no ept_skip_len field in its debug information, no
# panic-test option or test-port string in it. The same checks must find each
# of them in the test variant build/uhv-test.elf, so that a renamed hook cannot
# make this check pass by missing it. Exit 0 = pass, 77 = an image is not built.
#   test/unit/production_image_host.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
b=${1:-build}
prod=$b/uhv.elf test=$b/uhv-test.elf
for f in "$prod" "$test"; do
	[ -f "$f" ] || { echo "SKIP  production_image_host: no $f (make all builds it)"; exit 77; }
done
fails=0
# symbols (local ones too: nm lists the static variables and functions)
syms='^(test_hook|test_hook_[a-z_]+|hook_target|dma_target|dma_target_[a-z0-9_]+|panic_test|set_panic_test|end_test|set_end_test|park_[a-z_]+_hook|park_nmi_one|park_counted|parked_vcpu)$'
# strings only the hooks print or parse
strs='panic-test|end-test|test hook: '

# count IMAGE: how many hook symbols, ept_skip_len fields and hook strings
count() {
	local s f t
	s=$(nm "$1" | awk '{print $NF}' | grep -cE "$syms")
	f=$(readelf --debug-dump=info "$1" 2>/dev/null | grep -c 'DW_AT_name.*: ept_skip_len$')
	t=$(strings -a "$1" | grep -cE "$strs")
	echo "$s $f $t"
}
read -r ps pf pt < <(count "$prod")
read -r ts tf tt < <(count "$test")
check() {	# WHAT PROD_COUNT TEST_COUNT
	if [ "$2" -eq 0 ] && [ "$3" -gt 0 ]; then
		echo "ok: $1: none in $prod, $3 in $test"
	else
		echo "FAIL: $1: $2 in $prod (want 0), $3 in $test (want some)"; fails=$((fails + 1))
	fi
}
check "test-hook symbols" "$ps" "$ts"
check "ept_skip_len fields (debug info)" "$pf" "$tf"
check "test-hook strings" "$pt" "$tt"
[ "$ps" -eq 0 ] || nm "$prod" | awk '{print $NF}' | grep -E "$syms" | sed 's/^/  in the production image: /'
exit $((fails != 0))
