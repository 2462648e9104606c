/* attack=park (issue 17, item 3): the CPUs uhv does not give the guest are parked in VMX root
 * in a HLT loop with CR4.MCE set. Through the test hooks (vmx/test_hooks.c) uhv sends each of
 * them two NMIs (hook 32: each must count both and halt again), then makes one raise #MC in
 * VMX root (hook 33): uhv reports the machine-check banks and stops every CPU, so the run ends
 * there (FAIL, "machine check") and this mode runs on its own. parked=N on the command line:
 * how many parked CPUs the test expects. */
#include "selftest.h"

#define MC_WAIT_TSC	4000000000ULL	/* the run must have ended long before */

void attack_park(void)
{
	char arg[8];
	unsigned want = cmdline_get("parked", arg, sizeof(arg)) ? (unsigned)(arg[0] - '0') : 1;

	if (!under_uhv) {
		test_skip("park", NOT_UHV);
		test_finish();
	}
	int n = hc(UHV_HC_TEST_HOOK, UHV_HOOK_PARK_NMI, 0);
	test_check("park-nmi", n == (int)want,
		   "%d parked CPU(s) counted two NMIs and halted again, want %u", n, want);
	printf("guest: park: asking uhv to raise a machine check on a parked CPU\n");
	int ret = hc(UHV_HC_TEST_HOOK, UHV_HOOK_PARK_MC, 0);
	test_check("park-mc-hook", ret == 0, "hook 33 returned %d", ret);
	for (u64 t0 = rdtsc(); rdtsc() - t0 < MC_WAIT_TSC;)
		asm volatile("pause");
	test_fail("park-mc-ends-run", "the machine check on the parked CPU did not end the run");
	test_finish();
}
