# Shared by 20-vmx-selftest.sh (EPT) and 60-shadow-selftest.sh (mem=shadow): the selftest
# guest's accesses to unassigned guest-physical space (guest/selftest/deny_mmio.c) get the same
# answer in both modes. Sourced after lib.sh; checks $LOG.
expect_deny_mmio() {
	expect "^guest: test deny-mmio-rcba-read: ok" "unassigned chipset space (ICH9 RCBA) reads all-ones through uhv"
	expect "^guest: test deny-mmio-txt-read: ok" "unassigned TXT public space reads all-ones"
	expect "^guest: test deny-mmio-write-dropped: ok" "write to unassigned space dropped"
	expect "^guest: test deny-mmio-read8: ok" "byte load from unassigned space: 0xff merged"
	expect "^guest: test deny-mmio-read16: ok" "word load from unassigned space: 0xffff merged"
	expect "^guest: test deny-mmio-reserved-read: ok" "reserved range above 1 MiB unassigned"
	expect "^guest: test deny-mmio-allowed-native: ok" "LAPIC and VGA window reached without exits"
	expect "^guest: test deny-mmio-alive: ok" "uhv survives unassigned accesses"
	expect "uhv vmx: warning: MMIO: guest read of unassigned guest-physical 0xfed1c000 .*reported once per range" "unassigned access reported"
	expect "uhv vmx: denied by policy: .*MMIO unassigned [1-9][0-9]*" "unassigned accesses counted"
	rmcount=$(grep -ac "unassigned guest-physical 0xfed" "$LOG")
	if [ "$rmcount" = 1 ]; then echo "  ok: RCBA and TXT accesses reported once (one range)"; else echo "  WRONG: $rmcount reports for the range of RCBA and TXT (want 1)"; fails=$((fails + 1)); fi
}
