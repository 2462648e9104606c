#!/usr/bin/env bash
# mem=shadow (issue #6): the selftest guest on shadow page tables instead of
# EPT, under Bochs skylake_x and tigerlake. Its paging checks (32-bit tables,
# 4 MiB and 4 KiB pages, CR3 switches, INVLPG, true page faults with their
# error codes and CR2) now go through uhv's CR3/INVLPG/#PF exits, the memory
# walk through the identity shadow of paging-off mode, and the hostile
# accesses to uhv's memory must fail exactly as with EPT (counted and skipped
# through the same test hooks). Then the automatic fallback on a Nehalem model.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deny-checks.sh"
. "$(dirname "$0")/cr-rules-checks.sh"
. "$(dirname "$0")/ioapic-checks.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
img=$(iso selftest 'mem=shadow' build/guest/selftest.elf 'selftest')
for plat in bochs bochs-tigerlake; do
	boot shadow-selftest-$plat $plat "$img" 300
	expect "uhv options: .* mem=shadow" "mem=shadow parsed"
	expect "uhv shadow: memory virtualization: shadow page tables \(mem=shadow\)" "shadow mode chosen"
	expect "uhv shadow: real-mode code \(BIOS calls, SIPI-started APs, real-mode-only images\) cannot run with mem=shadow: .*never clear CR0.PE run, on one vCPU" "what cannot run said at boot, in one line"
	# the chosen controls (after "controls chosen:"), not the capability list before
	chosen2=$(sed -n '/uhv vmx: controls chosen:/,/uhv vmx:   entry:/p' "$LOG" | grep -a "secondary:")
	if [ -n "$chosen2" ] && ! grep -q "enable EPT\|unrestricted guest\|enable VPID" <<<"$chosen2"; then
		echo "  ok: EPT, unrestricted guest and VPID off ($chosen2)"
	else
		echo "  WRONG secondary controls: '$chosen2'"; fails=$((fails + 1))
	fi
	expect "uhv vmx:   primary: .*INVLPG exiting.*CR3-load exiting, CR3-store exiting" "INVLPG and CR3 exiting on"
	expect "uhv shadow: shadow paging: guest CR0 0x11 CR3 0x0 CR4 0x0 EFER 0x0; real CR0 0x8001[0-9a-f]{4} CR4 0x[0-9a-f]*2[0-9a-f] EFER 0x800" "paging-off guest on an identity shadow (real PG, WP, PAE, NXE)"
	expect "uhv vmx: launching the guest \(multiboot2 ELF\)" "launch"
	expect "^guest: test paging-cr3-switch: ok" "CR3 switch"
	expect "^guest: test paging-4m-map: ok" "4 MiB page (two 2 MiB shadow leaves)"
	expect "^guest: test paging-pf-not-present: ok" "true #PF (not present) injected with error code and CR2"
	expect "^guest: test paging-pf-write-protect: ok" "true #PF (write protect)"
	expect "^guest: test paging-invlpg: ok" "INVLPG drops the shadow entry"
	expect "^guest: test paging-cr3-reload: ok" "CR3 reload resynchronizes"
	expect "^guest: test paging-off: ok" "paging off again"
	expect "^guest: test shadow-invlpg-large: ok" "INVLPG drops every 4 KiB fragment of a 2 MiB page (issue 18)"
	expect "^guest: test memwalk: ok" "all guest RAM reachable and distinct"
	expect "uhv shadow: warning: guest write of guest-physical 0x[0-9a-f]+ .*uhv's own memory" "hostile write reported"
	expect "^guest: test hostile-read: ok" "hostile read failed in the guest"
	expect "^guest: test hostile-write: ok" "hostile write failed in the guest"
	expect "^guest: test hostile-paged: ok" "hostile access through guest paging failed"
	expect "^guest: test hostile-alive: ok" "uhv survives hostile accesses"
	expect "uhv vmx: [1-9][0-9]* guest access\(es\) outside its memory during the run \(caught by shadow paging, which uses no EPT\)" \
		"hostile accesses counted, named for shadow paging"
	reject "EPT violation" "EPT words in a run without EPT"
	expect "^guest: RESULT: PASS" "guest verdict"
	reject "FAIL " "failed checks"
	expect "uhv vmx: +0 exception or NMI +[1-9][0-9]* exits" "#PF exits counted"
	expect "uhv shadow: shadow statistics: CR3 loads [1-9]" "shadow statistics"
	expect "uhv shadow: shadow root cache: [0-9]+ hits" "root cache statistics"
	expect_end bochs pass "guest shut down, status 0" "run ends with the guest's verdict"
	reject "test hook's target in uhv's image was changed" "uhv memory changed by the guest"
	expect_deny_msr
	expect_deny_io 0xb004
	expect_deny_mmio
	expect_ioapic
	expect_cr_rules pcid
	tr -d '\r' < "$LOG" | grep -a '^guest: test cr-' > "$LOGS/60-cr-$plat"
	expect "uhv shadow: shadow statistics: .*CR/EFER writes refused [1-9][0-9]* \(#GP\)" "refused CR writes counted"
done
# The control-register checks natively (Bochs skylake_x, GRUB): the same lines as under shadow
# paging (cr_rules.c), and real mode there and back.
native=$ISODIR/60-selftest-native.iso
guest/mkiso-native.sh "$native" build/guest/selftest.elf 'selftest realmode=1' >/dev/null 2>&1 ||
	{ echo "cannot build $native"; exit 1; }
boot selftest-native bochs "$native" 300
expect "guest: started natively" "runs without uhv"
expect_cr_rules pcid
expect "^guest: test cr-real-mode-round-trip: ok" "real mode and back natively"
tr -d '\r' < "$LOG" | grep -a '^guest: test cr-' | grep -v real-mode > "$LOGS/60-cr-native"
for plat in bochs bochs-tigerlake; do
	if diff -u "$LOGS/60-cr-native" "$LOGS/60-cr-$plat" > "$LOGS/60-cr-$plat.diff"; then
		echo "  ok: $(wc -l < "$LOGS/60-cr-native") control-register checks identical natively and under shadow ($plat)"
	else
		echo "  DIFFERENT: control-register checks natively and under shadow ($plat): $LOGS/60-cr-$plat.diff"
		fails=$((fails + 1))
	fi
done
# A guest that enters real mode gets a stop that says what it tried (no triple fault, no hang).
boot shadow-realmode bochs "$(iso selftest-realmode 'mem=shadow' build/guest/selftest.elf 'selftest realmode=1')" 300
expect "uhv shadow: real-mode code \(BIOS calls, SIPI-started APs, real-mode-only images\) cannot run with mem=shadow" "said at boot"
expect "uhv shadow: ERROR: the guest tried to enter real mode \(MOV to CR0 clearing CR0.PE at RIP 0x[0-9a-f]+\): real-mode code cannot run with mem=shadow; use mem=ept" "the stop names what the guest tried"
reject "guest triple fault|\(triple fault\)" "no triple fault"
expect_end bochs fail "real mode is not available with shadow paging \(use mem=ept\)" "the run ends with the reason"
# The other VMX-issue guest, bench, in shadow mode too (its exit-count checks must hold).
boot shadow-bench bochs "$(iso bench 'mem=shadow' build/guest/bench.elf 'iters=2000')" 300
expect "^guest: test bench-cpuid-exits: ok" "bench: CPUID exit count exact"
expect "^guest: RESULT: PASS" "bench guest passes in shadow mode"
expect_end bochs pass "guest shut down, status 0" "clean end"

# A Nehalem (Bochs corei5_lynnfield_750: VMX without EPT or unrestricted guest) runs the guest on
# shadow page tables without mem=shadow (README, "Booting on real hardware"). With two CPUs it
# cannot give the guest both (a vCPU started by SIPI needs EPT and unrestricted guest) and says
# so; with cpus=1 the second is parked in VMX root, which needs only VMXON (issue 17 item 3; it
# used to be refused whatever cpus= said: parking in wait-for-SIPI needed EPT too).
nehalem() { echo "cpu: model=corei5_lynnfield_750, count=$1, ips=200000000, reset_on_triple_fault=0"; }
img=$(iso nehalem '' build/guest/selftest.elf 'selftest')
boot shadow-nehalem bochs "$img" 300 -- "$(nehalem 1)"
expect "uhv shadow: warning: this CPU has no EPT or no unrestricted guest .*: using shadow page tables instead" \
	"Nehalem: shadow paging chosen automatically"
expect "^guest: RESULT: PASS" "Nehalem: the selftest guest passes"
expect "uhv vmx: [1-9][0-9]* guest access\(es\) outside its memory during the run \(caught by shadow paging" \
	"Nehalem: the end-of-run count named for shadow paging"
reject "EPT violation" "EPT words without EPT"
expect_end bochs pass "guest shut down, status 0" "Nehalem: clean end"
UHV_CPUS=2 boot shadow-nehalem-2cpus bochs "$img" 300 -- "$(nehalem 2)"
expect "uhv smp: ERROR: giving the guest 2 CPUs needs EPT and unrestricted guest, which this CPU lacks; boot with cpus=1" \
	"Nehalem, 2 CPUs: refused, said why"
expect_end bochs fail "the guest could not be started" "Nehalem, 2 CPUs: run ends with FAIL"
img1=$(iso nehalem-cpus1 'cpus=1' build/guest/selftest.elf 'selftest')
UHV_CPUS=2 boot shadow-nehalem-2cpus-cpus1 bochs "$img1" 300 -- "$(nehalem 2)"
expect "uhv smp: CPU 1 \(APIC ID 1\): in VMX root, HLT loop \(CR4 0x[0-9a-f]+, CR4.MCE=1\): parked \(hidden from the guest\)" \
	"Nehalem, 2 CPUs, cpus=1: the second parked in VMX root"
expect "^guest: RESULT: PASS" "Nehalem, 2 CPUs, cpus=1: the selftest guest passes"
expect_end bochs pass "guest shut down, status 0" "Nehalem, 2 CPUs, cpus=1: clean end"
finish
