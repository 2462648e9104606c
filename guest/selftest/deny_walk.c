/* attack=ecam-walk (issue 14, item 8d): the guest puts a page table inside the ECAM window uhv
 * emulates and touches an address it maps. The CPU's page walk then reads the ECAM page: an EPT
 * violation whose exit qualification says the access was to a paging structure (bit 8 clear),
 * with no instruction operand behind it. uhv must refuse such an exit (report and stop) rather
 * than decode the MOV at RIP and emulate a config-space read the guest never made. If the load
 * returns, uhv emulated the walk: the check fails. The run ends either way, so this is a mode
 * of its own (test/system/20-vmx-nested-kvm.sh runs it as a second case). */
#include "selftest.h"

void attack_ecam_walk(void)
{
	u64 ecam = mcfg_ecam_base();

	if (!under_uhv || !ecam || ecam >> 32) {
		test_fail("ecam-walk-refused", "needs uhv and an ECAM window below 4 GiB (MCFG)");
		return;
	}
	printf("guest: ecam-walk: the page table of 0x%x is the ECAM page at 0x%llx\n",
	       PAGING_WINDOW, ecam);
	u32 va = paging_on_with_table_at((u32)ecam);
	u32 v = *(volatile u32 *)(uintptr_t)va;
	paging_off();
	test_fail("ecam-walk-refused", "the page walk through the ECAM window was emulated as a "
		  "load of 0x%x", v);
}
