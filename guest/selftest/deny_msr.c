/* The MSR policy from the guest's side (issue 14, docs/security.md): MSRs a kernel could use
 * to take the machine get #GP, writes uhv guards do not reach the hardware, CPUID hides the
 * features behind denied MSRs, and the state a kernel needs still works. Under uhv only: the
 * same accesses natively reach the CPU. */
#include "selftest.h"

#define MSR_TSC			0x10
#define MSR_TSC_ADJUST		0x3b
#define MSR_BIOS_UPDT_TRIG	0x79
#define MSR_MCG_CAP		0x179
#define MSR_MCG_STATUS		0x17a
#define MSR_MCG_CTL		0x17b
#define MSR_MC0_CTL		0x400
#define MSR_MISC_ENABLE		0x1a0
#define MSR_SMRR_PHYSBASE	0x1f2
#define MSR_PAT			0x277
#define MSR_RTIT_CTL		0x570
#define MSR_DS_AREA		0x600
#define MSR_PKG_POWER_LIMIT	0x610
#define MSR_DEBUG_INTERFACE	0xc80
#define MSR_STAR		0xc0000081u

#define MISC_ENABLE_XD_DISABLE_HI	(1u << 2)	/* bit 34 */

/* Each MSR of the list must give #GP for RDMSR and for WRMSR of its current value (or 0). */
static void check_gp(const char *name, const u32 *msrs, unsigned n)
{
	char bad[160] = "";
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		u64 v = 0;
		int rd = try_rdmsr(msrs[i], &v);
		int wr = try_wrmsr(msrs[i], rd < 0 ? v : 0);

		if ((rd != VEC_GP || wr != VEC_GP) && len + 40 < sizeof(bad))
			len += snprintf(bad + len, sizeof(bad) - len, " 0x%x:rd %s wr %s", msrs[i],
					vector_name(rd), vector_name(wr));
	}
	test_check(name, len == 0, "want #GP both ways, got:%s", bad);
}

static void check_tsc(void)
{
	u64 before = 0, after = 0;
	int rd = try_rdmsr(MSR_TSC, &before);
	int wr = try_wrmsr(MSR_TSC, 1000);	/* would set uhv's time base back */

	try_rdmsr(MSR_TSC, &after);
	test_check("msr-deny-tsc-write", rd < 0 && wr == VEC_GP && after >= before,
		   "RDMSR TSC %s, WRMSR TSC <- 1000 %s (want #GP), TSC 0x%llx -> 0x%llx",
		   vector_name(rd), vector_name(wr), before, after);
	struct cpuid_r r7 = cpuid(7, 0);
	u64 v;
	test_check("msr-deny-tsc-adjust", !(r7.ebx & 2) && try_rdmsr(MSR_TSC_ADJUST, &v) == VEC_GP &&
		   try_wrmsr(MSR_TSC_ADJUST, 0) == VEC_GP,
		   "TSC_ADJUST shown by CPUID (%d) or reachable", !!(r7.ebx & 2));
}

/* An MCA without banks: MCG_CAP reads 0, the banks and MCG_CTL are absent (#GP), MCG_STATUS
 * takes only 0. The guest cannot read, clear or mask the machine's machine-check state. */
static void check_machine_check(void)
{
	static const u32 banks[] = { MSR_MCG_CTL, MSR_MC0_CTL, MSR_MC0_CTL + 1, MSR_MC0_CTL + 4 };
	u64 cap = ~0ULL, status = ~0ULL;
	int e1 = try_rdmsr(MSR_MCG_CAP, &cap), e2 = try_rdmsr(MSR_MCG_STATUS, &status);
	int e3 = try_wrmsr(MSR_MCG_STATUS, 0), e4 = try_wrmsr(MSR_MCG_STATUS, 4);

	if (!test_check("msr-machine-check-view", e1 < 0 && cap == 0 && e2 < 0 && status == 0 &&
			e3 < 0 && e4 == VEC_GP,
			"MCG_CAP %s 0x%llx, MCG_STATUS %s 0x%llx, write 0 %s, write 4 %s (want 0, "
			"0, ok, #GP)", vector_name(e1), cap, vector_name(e2), status,
			vector_name(e3), vector_name(e4)))
		return;
	check_gp("msr-deny-machine-check", banks, ARRAY_SIZE(banks));
}

static void check_misc_enable(void)
{
	u64 old = 0, now = 0;
	int rd = try_rdmsr(MSR_MISC_ENABLE, &old);

	if (rd >= 0) {
		test_fail("msr-misc-enable-xd", "RDMSR IA32_MISC_ENABLE: %s", vector_name(rd));
		return;
	}
	/* Setting XD disable would turn off NX for uhv too: the write must not land. */
	int wr = try_wrmsr(MSR_MISC_ENABLE, old | ((u64)MISC_ENABLE_XD_DISABLE_HI << 32));
	try_rdmsr(MSR_MISC_ENABLE, &now);
	test_check("msr-misc-enable-xd", wr < 0 && now == old,
		   "WRMSR XD disable: %s, value 0x%llx -> 0x%llx (want dropped)", vector_name(wr),
		   old, now);
	if (now != old)
		try_wrmsr(MSR_MISC_ENABLE, old);
}

static void check_processor_trace(void)
{
	struct cpuid_r r7 = cpuid(7, 0), r14 = cpuid(0x14, 0);
	u64 v;
	int rd = try_rdmsr(MSR_RTIT_CTL, &v), wr = try_wrmsr(MSR_RTIT_CTL, 1);

	test_check("msr-deny-processor-trace",
		   !(r7.ebx & (1u << 25)) && !(r14.eax | r14.ebx | r14.ecx | r14.edx) &&
		   rd == VEC_GP && wr == VEC_GP,
		   "CPUID.7:EBX[25] %d, leaf 0x14 %x/%x, RTIT_CTL rd %s wr %s",
		   !!(r7.ebx & (1u << 25)), r14.eax, r14.ebx, vector_name(rd), vector_name(wr));
}

/* Kernel state that must stay native: written and read back. */
static void check_allowed(void)
{
	static const u32 msrs[] = { MSR_PAT, MSR_STAR };
	char bad[120] = "";
	size_t len = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++) {
		u64 old = 0, v = 0, want = msrs[i] == MSR_PAT ? 0x0007010600070106ULL :
					   0x0023001000000000ULL;
		int e1 = try_rdmsr(msrs[i], &old), e2 = try_wrmsr(msrs[i], want);
		int e3 = try_rdmsr(msrs[i], &v);

		if ((e1 >= 0 || e2 >= 0 || e3 >= 0 || v != want) && len + 40 < sizeof(bad))
			len += snprintf(bad + len, sizeof(bad) - len, " 0x%x: %s/%s/%s 0x%llx", msrs[i],
					vector_name(e1), vector_name(e2), vector_name(e3), v);
		try_wrmsr(msrs[i], old);
	}
	test_check("msr-allowed-native", len == 0, "kernel MSRs not usable:%s", bad);
}

void check_deny_msr(void)
{
	static const char *const names[] = { "msr-deny-tsc-write", "msr-deny-tsc-adjust",
		"msr-machine-check-view", "msr-deny-machine-check", "msr-deny-platform", "msr-misc-enable-xd",
		"msr-deny-processor-trace" };

	check_allowed();
	if (!under_uhv) {
		for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
			test_skip(names[i], NOT_UHV);
		return;
	}
	check_tsc();
	check_machine_check();
	static const u32 platform[] = { MSR_BIOS_UPDT_TRIG, MSR_SMRR_PHYSBASE, MSR_DS_AREA,
					MSR_PKG_POWER_LIMIT, MSR_DEBUG_INTERFACE, 0x1234 };
	check_gp("msr-deny-platform", platform, ARRAY_SIZE(platform));
	check_misc_enable();
	check_processor_trace();
}
