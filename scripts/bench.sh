#!/usr/bin/env bash
# `make bench`: performance measurements (not part of `make test`).
# Each bench/*.sh prints what it measured and how.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for b in bench/*.sh; do
	[ -e "$b" ] || { echo "bench: no benchmarks yet"; exit 1; }
	echo "=== $b"
	bash "$b" || status=1
done
exit $status
