/* The MSR policy (see <uhv/msr_policy.h>): the one table of MSRs the guest may touch, each with
 * its reason, and the bitmap built from it. Every MSR it does not name exits and gets #GP, among
 * them the ones a guest could use to take the machine: Processor Trace (writes host-physical
 * addresses past EPT and VT-d), the microcode trigger, machine-check banks, IA32_TSC and
 * TSC_ADJUST (uhv's time base), the debug interface, RAPL and package power, SMRR, the
 * performance counters (they count uhv too). Pure: no hardware access. */
#include <uhv/msr_policy.h>

#define N	MSR_NATIVE
#define E	MSR_EMULATE
#define D	MSR_DENY

/* Sorted by MSR number (the unit test checks it, and that ranges do not overlap). */
static const struct msr_rule rules[] = {
	{ 0x000, 0x001, D, D, 0, "IA32_P5_MC_ADDR/TYPE", "machine-check state: the platform's" },
	{ 0x010, 0x010, N, D, 0, "IA32_TIME_STAMP_COUNTER",
	  "reads as RDTSC does (RDTSC does not exit); writes would move uhv's time base" },
	{ 0x017, 0x017, N, D, 0, "IA32_PLATFORM_ID", "read-only: which microcode fits this CPU" },
	{ 0x01b, 0x01b, N, E, MSR_EMUL_APIC_BASE, "IA32_APIC_BASE",
	  "the guest owns its local APIC; a move onto a range uhv keeps is refused" },
	{ 0x03a, 0x03a, E, D, MSR_EMUL_FEATURE_CONTROL, "IA32_FEATURE_CONTROL",
	  "reads say locked with VMX off, as CPUID says (the guest has no VMX)" },
	{ 0x03b, 0x03b, D, D, 0, "IA32_TSC_ADJUST",
	  "denied: moves the TSC, uhv's time base (CPUID hides it)" },
	{ 0x048, 0x048, N, N, 0, "IA32_SPEC_CTRL",
	  "per-thread speculation controls the guest's mitigations set; uhv sets none of its own, "
	  "so the guest's value can only restrict speculation in uhv further" },
	{ 0x049, 0x049, D, N, 0, "IA32_PRED_CMD", "write-only barrier command (IBPB)" },
	{ 0x079, 0x079, D, D, 0, "IA32_BIOS_UPDT_TRIG",
	  "denied: a microcode update changes the CPU for uhv too" },
	{ 0x08b, 0x08b, N, E, MSR_EMUL_BIOS_SIGN_ID, "IA32_BIOS_SIGN_ID",
	  "the microcode revision: written with 0 before CPUID to read it (SDM 10.11.7.1)" },
	{ 0x09b, 0x09b, D, D, 0, "IA32_SMM_MONITOR_CTL", "denied: the dual-monitor treatment of SMM" },
	{ 0x0bd, 0x0bd, E, D, MSR_EMUL_XAPIC_DISABLE_STATUS, "IA32_XAPIC_DISABLE_STATUS",
	  "read-only: whether firmware locked x2APIC mode (Linux reads it before leaving x2APIC); "
	  "reads say the lock uhv enforces on APIC_BASE writes, #GP where the CPU has no such MSR" },
	{ 0x0c1, 0x0c8, D, D, 0, "IA32_PMC0..7",
	  "denied: the performance counters count uhv too (CPUID hides the PMU)" },
	{ 0x0ce, 0x0ce, N, D, 0, "MSR_PLATFORM_INFO", "read-only: ratios for TSC calibration" },
	{ 0x0cf, 0x0cf, N, D, 0, "IA32_CORE_CAPABILITIES", "read-only feature enumeration" },
	{ 0x0e1, 0x0e1, N, N, 0, "IA32_UMWAIT_CONTROL",
	  "per-thread limits of the guest's own UMWAIT/TPAUSE" },
	{ 0x0e2, 0x0e2, N, D, 0, "MSR_PKG_CST_CONFIG_CONTROL",
	  "reads: which package C-states firmware allows (idle drivers read it); writes: the "
	  "C-state limit and its lock bit are the platform's" },
	{ 0x0fe, 0x0fe, N, D, 0, "IA32_MTRRCAP", "read-only: what the MTRRs offer" },
	{ 0x10a, 0x10a, N, D, 0, "IA32_ARCH_CAPABILITIES",
	  "read-only: which speculation issues the CPU has, for the guest's mitigations" },
	{ 0x10b, 0x10b, D, N, 0, "IA32_FLUSH_CMD", "write-only L1D flush command" },
	{ 0x122, 0x123, N, N, 0, "IA32_TSX_CTRL, IA32_MCU_OPT_CTRL",
	  "mitigation controls a kernel sets at boot; uhv uses neither TSX nor RDRAND" },
	{ 0x140, 0x140, N, N, 0, "MSR_MISC_FEATURES_ENABLES",
	  "per-thread CPUID faulting, which only affects the guest's user mode" },
	{ 0x174, 0x176, N, N, 0, "IA32_SYSENTER_CS/ESP/EIP",
	  "SYSENTER entry state, in the VMCS guest area: loaded on every VM entry" },
	{ 0x179, 0x17a, E, E, MSR_EMUL_MCG, "IA32_MCG_CAP, IA32_MCG_STATUS",
	  "machine checks are the platform's: the guest sees an MCA without banks (MCG_CAP 0), "
	  "MCG_STATUS 0, and its writes of 0 are dropped" },
	{ 0x17b, 0x17b, D, D, 0, "IA32_MCG_CTL", "denied: absent, as MCG_CAP.MCG_CTL_P = 0 says" },
	{ 0x186, 0x18d, D, D, 0, "IA32_PERFEVTSEL0..7", "denied: as the performance counters" },
	{ 0x1a0, 0x1a0, N, E, MSR_EMUL_MISC_ENABLE, "IA32_MISC_ENABLE",
	  "reads as the hardware's; writes may only lift the CPUID limit or clear XD disable "
	  "(setting XD disable would break uhv's NX)" },
	{ 0x1d9, 0x1d9, N, N, 0, "IA32_DEBUGCTL",
	  "per-thread debug control: VM exit clears it, the debug controls load and save the "
	  "guest's (uhv intercepts it when the CPU lacks them)" },
	{ 0x1f2, 0x1f3, D, D, 0, "IA32_SMRR_PHYSBASE/PHYSMASK", "denied: SMRAM protection" },
	{ 0x1fc, 0x1fc, N, E, MSR_EMUL_POWER_CTL, "MSR_POWER_CTL",
	  "reads as the hardware's; writes (idle drivers turn C1E promotion off) dropped: the "
	  "package's power policy stays the firmware's" },
	{ 0x200, 0x21f, N, E, MSR_EMUL_MTRR, "IA32_MTRR_PHYSBASE0..PHYSMASK15",
	  "reads as the hardware's; writes dropped: the MTRRs set uhv's memory types too, and EPT "
	  "gives the guest's accesses their type" },
	{ 0x250, 0x250, N, E, MSR_EMUL_MTRR, "IA32_MTRR_FIX64K_00000", "as the other MTRRs" },
	{ 0x258, 0x259, N, E, MSR_EMUL_MTRR, "IA32_MTRR_FIX16K_80000/A0000", "as the other MTRRs" },
	{ 0x268, 0x26f, N, E, MSR_EMUL_MTRR, "IA32_MTRR_FIX4K_C0000..F8000", "as the other MTRRs" },
	{ 0x277, 0x277, N, N, 0, "IA32_PAT",
	  "the guest's PAT: VM entry and exit load and save it (required controls)" },
	{ 0x280, 0x29f, D, D, 0, "IA32_MC0..31_CTL2", "denied: machine-check banks" },
	{ 0x2ff, 0x2ff, N, E, MSR_EMUL_MTRR, "IA32_MTRR_DEF_TYPE", "as the other MTRRs" },
	{ 0x309, 0x30b, D, D, 0, "IA32_FIXED_CTR0..2", "denied: as the performance counters" },
	{ 0x38d, 0x390, D, D, 0, "IA32_FIXED_CTR_CTRL, IA32_PERF_GLOBAL_*",
	  "denied: as the performance counters" },
	{ 0x400, 0x47f, D, D, 0, "IA32_MC0..31_CTL/STATUS/ADDR/MISC",
	  "denied: machine-check banks; a guest could clear or mask errors" },
	{ 0x480, 0x493, D, D, 0, "IA32_VMX_* capabilities", "denied: the guest has no VMX" },
	{ 0x560, 0x58f, D, D, 0, "IA32_RTIT_* (Processor Trace)",
	  "denied: trace output goes to host-physical addresses, past EPT and VT-d" },
	{ 0x600, 0x600, D, D, 0, "IA32_DS_AREA", "denied: debug store (CPUID hides it)" },
	{ 0x606, 0x606, D, D, 0, "MSR_RAPL_POWER_UNIT", "denied: package power is the platform's" },
	{ 0x610, 0x61f, D, D, 0, "MSR_PKG_POWER_LIMIT, _ENERGY_STATUS, ..., DRAM power",
	  "denied: package power limits and their lock bits are the platform's" },
	{ 0x638, 0x64f, D, D, 0, "MSR_PP0/PP1 power", "denied: as package power" },
	{ 0x6a0, 0x6a0, N, N, 0, "IA32_U_CET", "per-thread CET state of the guest's user mode" },
	{ 0x6a2, 0x6a2, N, N, 0, "IA32_S_CET",
	  "per-thread CET state; uhv runs with CR4.CET clear, so it binds only the guest" },
	{ 0x6a4, 0x6a8, N, N, 0, "IA32_PL0..3_SSP, IA32_INTERRUPT_SSP_TABLE_ADDR",
	  "the guest's shadow-stack pointers (linear addresses, translated by EPT)" },
	{ 0x6e0, 0x6e0, N, N, 0, "IA32_TSC_DEADLINE", "the guest owns its local APIC timer" },
	{ 0x6e1, 0x6e1, N, N, 0, "IA32_PKRS", "the guest's supervisor protection keys" },
	{ 0x800, 0x8ff, N, N, 0, "x2APIC registers",
	  "the guest owns its local APIC; IPIs to CPUs outside it reach VMX non-root, where "
	  "INIT and SIPI exit (docs/smp.md)" },
	{ 0xc80, 0xc80, D, D, 0, "IA32_DEBUG_INTERFACE",
	  "denied: silicon debug features (DCI) reach below uhv" },
	{ 0xda0, 0xda0, N, E, MSR_EMUL_XSS, "IA32_XSS",
	  "supervisor XSAVE states; writes checked so XRSTORS cannot load Processor Trace state" },
	{ 0xc0000080, 0xc0000080, N, E, MSR_EMUL_EFER, "IA32_EFER",
	  "writes checked and put into the VMCS (mem=shadow emulates reads too)" },
	{ 0xc0000081, 0xc0000084, N, N, 0, "IA32_STAR/LSTAR/CSTAR/FMASK",
	  "SYSCALL entry state; uhv never executes SYSCALL" },
	{ 0xc0000100, 0xc0000101, N, N, 0, "IA32_FS_BASE, IA32_GS_BASE",
	  "segment bases, in the VMCS guest and host areas" },
	{ 0xc0000102, 0xc0000102, N, N, 0, "IA32_KERNEL_GS_BASE",
	  "the guest's SWAPGS value; uhv never executes SWAPGS" },
	{ 0xc0000103, 0xc0000103, N, N, 0, "IA32_TSC_AUX",
	  "the value RDTSCP/RDPID give the guest; uhv does not read it" },
};

#undef N
#undef E
#undef D

const struct msr_rule *msr_rules(unsigned *n)
{
	*n = ARRAY_SIZE(rules);
	return rules;
}

const struct msr_rule *msr_rule_find(u32 msr)
{
	unsigned lo = 0, hi = ARRAY_SIZE(rules);

	while (lo < hi) {		/* binary search: the table is sorted */
		unsigned mid = (lo + hi) / 2;

		if (msr < rules[mid].first)
			hi = mid;
		else if (msr > rules[mid].last)
			lo = mid + 1;
		else
			return &rules[mid];
	}
	return NULL;
}

enum msr_access msr_access_of(u32 msr, bool write)
{
	const struct msr_rule *r = msr_rule_find(msr);

	if (!r)
		return MSR_DENY;
	return write ? r->write : r->read;
}

/* Bit index of msr in the read bitmap, or -1 outside the ranges. */
static int msr_bit(u32 msr)
{
	if (msr < VMX_MSR_LOW_END)
		return (int)msr;
	if (msr >= VMX_MSR_HIGH_BASE && msr < VMX_MSR_HIGH_END)
		return (int)(msr - VMX_MSR_HIGH_BASE) + 1024 * 8;
	return -1;
}

bool vmx_msr_bitmap_exits(const u8 *bm, u32 msr, bool write)
{
	int bit = msr_bit(msr);

	if (bit < 0)
		return true;
	if (write)
		bit += 2048 * 8;
	return bm[bit / 8] & (1U << (bit % 8));
}

int vmx_msr_bitmap_intercept(u8 *bm, u32 msr, bool read, bool write)
{
	int bit = msr_bit(msr);

	if (bit < 0)
		return -22;	/* -EINVAL without dragging errno.h into a policy file */
	if (read)
		bm[bit / 8] |= 1U << (bit % 8);
	if (write)
		bm[(bit + 2048 * 8) / 8] |= 1U << (bit % 8);
	return 0;
}

static void let_through(u8 *bm, u32 msr, bool write)
{
	int bit = msr_bit(msr) + (write ? 2048 * 8 : 0);

	bm[bit / 8] &= (u8)~(1U << (bit % 8));
}

unsigned vmx_msr_policy_build(u8 *bm)
{
	unsigned native = 0;

	for (unsigned i = 0; i < VMX_MSR_BITMAP_SIZE; i++)
		bm[i] = 0xff;		/* deny by default */
	for (unsigned i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct msr_rule *r = &rules[i];

		for (u32 msr = r->first; msr >= r->first && msr <= r->last; msr++) {
			if (msr_bit(msr) < 0)
				continue;	/* cannot be: the unit test checks every rule */
			if (r->read == MSR_NATIVE)
				let_through(bm, msr, false);
			if (r->write == MSR_NATIVE)
				let_through(bm, msr, true);
			native += r->read == MSR_NATIVE || r->write == MSR_NATIVE;
		}
	}
	return native;
}

/* ---- checks behind emulated writes ---- */

#define MISC_ENABLE_LIMIT_CPUID	BIT(22)	/* CPUID reports at most leaf 2 */
#define MISC_ENABLE_XD_DISABLE	BIT(34)

bool msr_misc_enable_write_ok(u64 cur, u64 val)
{
	u64 changed = cur ^ val;

	changed &= ~(u64)MISC_ENABLE_LIMIT_CPUID;	/* only what the guest's CPUID shows */
	if ((changed & MISC_ENABLE_XD_DISABLE) && !(val & MISC_ENABLE_XD_DISABLE))
		changed &= ~(u64)MISC_ENABLE_XD_DISABLE;	/* turning NX on is harmless */
	return changed == 0;
}

bool msr_xss_write_ok(u64 val, u64 supported)
{
	return !(val & ~(supported & XSS_GUEST));
}
