#!/usr/bin/env bash
# The AP start-up trampoline's page (arch/ap_start.c, docs/smp.md "The trampoline's page"): the
# highest free page below 640 KiB in uhv's memory map, so a firmware (UEFI) that reserves the
# usual top page moves it, and a map with none free ends AP start-up with a clear message.
# lowmem-reserve= (test build only) marks a range below 1 MiB firmware-reserved in uhv's map,
# as such a firmware's map would; QEMU q35 -smp 4, TCG (no VMX: the run ends at vmx_init, after
# the APs are up), SeaBIOS and OVMF:
#  - the top pages reserved: the trampoline goes to the highest page left, every AP starts;
#  - all of [4 KiB, 640 KiB) reserved: no AP started, the reason and what to do said, no hang.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }

# The highest page of uhv's printed map that is low memory (uhv's) and wholly in
# [4 KiB, 640 KiB), worked out here from the map, not from the trampoline line.
highest_free_low_page() {
	local lo hi best=0 rest
	while read -r lo hi rest; do
		lo=$((lo < 4096 ? 4096 : lo)); hi=$((hi > 655360 ? 655360 : hi))
		lo=$(((lo + 4095) / 4096 * 4096)); hi=$((hi / 4096 * 4096))
		((hi - lo >= 4096 && hi - 4096 > best)) && best=$((hi - 4096))
	done < <(grep -a "low memory (uhv)"$'\r''\?$' "$LOG")
	printf '0x%x\n' "$best"
}

moved() {	# NAME PLATFORM TIMEOUT BASE END: [BASE, END) reserved, the trampoline below BASE
	local name=$1 plat=$2 tmo=$3 base=$4 end=$5
	boot "$name" "$plat" "$(iso "$name" "lowmem-reserve=$base-$end" build/guest/selftest.elf 'selftest')" "$tmo"
	expect "^uhv mm: lowmem-reserve: \[$base-$end\) marked firmware-reserved" "$name: the range reserved"
	expect "^  0x0*${base#0x}  0x[0-9a-f]+ .* reserved"$'\r'"?$" "$name: and in uhv's map as reserved from $base"
	local want=$(highest_free_low_page)
	if [ "$want" = 0x0 ] || (( want >= base )); then
		echo "  MISSING: $name: a free low page below $base in uhv's map (got $want)"; fails=$((fails + 1))
	fi
	expect "^uhv smp: starting 3 application processor\(s\) through a trampoline at $want \(SIPI vector $(printf 0x%x $((want >> 12)))\)," \
		"$name: the trampoline at $want, the highest page left"
	for i in 1 2 3; do
		expect "^uhv smp: CPU $i \(APIC ID $i\) started" "$name: CPU $i (APIC ID $i) started"
	done
	expect "^uhv smp: all 4 CPUs run uhv" "$name: all 4 CPUs"
	reject "NOT started|PANIC" "$name: a CPU that did not start, a panic"
	expect_end qemu fail "no usable VMX" "$name: run ends at vmx_init (QEMU TCG has no VMX)"
}

none_free() {	# NAME PLATFORM TIMEOUT: all of [4 KiB, 640 KiB) reserved
	local name=$1 plat=$2 tmo=$3
	boot "$name" "$plat" "$(iso "$name" 'lowmem-reserve=0x1000-0xa0000' build/guest/selftest.elf 'selftest')" "$tmo"
	expect "^uhv mm: lowmem-reserve: \[0x1000-0xa0000\) marked firmware-reserved" "$name: the range reserved"
	expect "^uhv smp: ERROR: application processors NOT started: no free page below 640 KiB for the start-up trampoline" \
		"$name: no AP started, the reason said"
	expect "NOT started: no free page below 640 KiB .*disable all but one CPU in the firmware setup" \
		"$name: and what to do"
	reject "^uhv smp: starting [0-9]+ application processor|^uhv smp: CPU [0-9]+ \(APIC ID [0-9]+\) started" \
		"$name: an AP started"
	reject "PANIC" "$name: a panic"
	expect_end qemu fail "no usable VMX" "$name: the run goes on to its end, no hang"
}

export UHV_CPUS=4
moved tramp-bios-top qemu 60 0x9e000 0xa0000
moved tramp-ovmf-top qemu-ovmf 90 0x80000 0xa0000
none_free tramp-bios-none qemu 60
none_free tramp-ovmf-none qemu-ovmf 90
finish
