#!/usr/bin/env bash
# Footprint (issue 17 item 9): at the end of probe and of boot uhv prints what its pool holds, by
# use; the uses add up to what the pool has handed out, used + free is the pool, and the image
# plus what is used stays under the default pool (uhvmem= not given: include/uhv/pool_size.h) with the
# margin docs/architecture.md states (at least 4x).
#  - QEMU + intel-iommu, probe: VT-d tables and queues counted;
#  - Bochs, 2 CPUs, the selftest guest: per-CPU blocks and the EPT counted.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }

# check_footprint WHEN NONZERO-USE...: parse the line, check the sums and the margin
check_footprint() {
	local when=$1 line; shift
	line=$(grep -a "^uhv mm: footprint $when: " "$LOG" | tail -1)
	if [ -z "$line" ]; then
		echo "  MISSING: footprint $when"; fails=$((fails + 1)); return
	fi
	echo "  $line"
	local re='image ([0-9]+) KiB; pool ([0-9]+) KiB, used ([0-9]+) KiB \(per-CPU ([0-9]+), EPT ([0-9]+), VT-d ([0-9]+), shadow ([0-9]+), other ([0-9]+) KiB\), free ([0-9]+) KiB'
	if ! [[ $line =~ $re ]]; then
		echo "  WRONG: footprint line format"; fails=$((fails + 1)); return
	fi
	local img=${BASH_REMATCH[1]} pool=${BASH_REMATCH[2]} used=${BASH_REMATCH[3]}
	local -A use=([per-CPU]=${BASH_REMATCH[4]} [EPT]=${BASH_REMATCH[5]} [VT-d]=${BASH_REMATCH[6]}
		      [shadow]=${BASH_REMATCH[7]} [other]=${BASH_REMATCH[8]})
	local free=${BASH_REMATCH[9]} sum=0 u
	for u in "${use[@]}"; do sum=$((sum + u)); done
	check "$when: the uses add up to the used total ($sum = $used KiB)" "[ $sum = $used ]"
	check "$when: used + free = pool ($used + $free = $pool KiB)" "[ $((used + free)) = $pool ]"
	check "$when: 4 x (image + used) = $((4 * (img + used))) KiB under the default pool ($pool KiB)" \
		"[ $((4 * (img + used))) -lt $pool ]"
	for u in "$@"; do
		check "$when: $u counted (${use[$u]} KiB)" "[ ${use[$u]} -gt 0 ]"
	done
}
check() {
	if eval "$2"; then echo "  ok: $1"; else echo "  WRONG: $1"; fails=$((fails + 1)); fi
}

boot footprint-vtd qemu-iommu "$(iso probe 'probe')" 90
check_footprint "at the end of probe" VT-d other
expect_end qemu pass "probe complete" "probe completes"

UHV_CPUS=2 boot footprint-guest bochs "$(iso guest '' build/guest/selftest.elf 'selftest')" 400
check_footprint "at the end of boot" per-CPU EPT other
expect "^guest: started under uhv" "the guest runs after the footprint line"
finish
