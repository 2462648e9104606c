// UNIT-SOURCES: vmx/msr_policy.c vmx/vmx_policy.c
/* The MSR policy: the table is well formed, the bitmap built from it equals it bit for bit
 * (read against an independent reading of the SDM's layout), an MSR no rule names is denied
 * both ways, the MSRs issue 14 found writable are denied, the checks behind the emulated writes,
 * and CPUID hiding the features whose MSRs are denied. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/msr_policy.h>
#include <uhv/vmx_policy.h>
#include <uhv/cpu.h>

static u8 bm[VMX_MSR_BITMAP_SIZE];

/* The SDM's layout (25.6.9): read-low, read-high, write-low, write-high, 1 KiB each. */
static bool sdm_exits(u32 msr, bool write)
{
	unsigned base = write ? 2048 : 0;

	if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		base += 1024;
		msr -= 0xc0000000;
	} else if (msr > 0x1fff) {
		return true;
	}
	return bm[base + msr / 8] >> (msr % 8) & 1;
}

static bool in_bitmap_ranges(u32 msr)
{
	return msr < VMX_MSR_LOW_END || (msr >= VMX_MSR_HIGH_BASE && msr < VMX_MSR_HIGH_END);
}

static void test_table_well_formed(void **state)
{
	unsigned n;
	const struct msr_rule *r = msr_rules(&n);

	(void)state;
	assert_true(n > 0);
	for (unsigned i = 0; i < n; i++) {
		assert_true(r[i].first <= r[i].last);
		assert_true(in_bitmap_ranges(r[i].first) && in_bitmap_ranges(r[i].last));
		if (i)
			assert_true(r[i - 1].last < r[i].first);	/* sorted, no overlap */
		assert_non_null(r[i].name);
		assert_true(r[i].why && strlen(r[i].why) > 10);	/* a reason, not a label */
		bool emulates = r[i].read == MSR_EMULATE || r[i].write == MSR_EMULATE;
		assert_int_equal(emulates, r[i].emul != MSR_EMUL_NONE);
		assert_true(r[i].emul < MSR_EMUL_COUNT);
		assert_ptr_equal(msr_rule_find(r[i].first), &r[i]);
		assert_ptr_equal(msr_rule_find(r[i].last), &r[i]);
	}
}

/* Every MSR of both ranges, both directions: the built bitmap lets exactly the native
 * directions of the table through. */
static void test_bitmap_equals_table(void **state)
{
	unsigned native = 0, both = 0;

	(void)state;
	memset(bm, 0, sizeof(bm));
	unsigned built = vmx_msr_policy_build(bm);
	for (u64 m = 0; m < 0x100000000ULL; m++) {
		if (!in_bitmap_ranges((u32)m)) {
			if (m == VMX_MSR_LOW_END)
				m = VMX_MSR_HIGH_BASE - 1;
			else if (m >= VMX_MSR_HIGH_END)
				break;
			continue;
		}
		bool rd = msr_access_of((u32)m, false) == MSR_NATIVE;
		bool wr = msr_access_of((u32)m, true) == MSR_NATIVE;
		assert_int_equal(sdm_exits((u32)m, false), !rd);
		assert_int_equal(sdm_exits((u32)m, true), !wr);
		assert_int_equal(vmx_msr_bitmap_exits(bm, (u32)m, false), !rd);
		assert_int_equal(vmx_msr_bitmap_exits(bm, (u32)m, true), !wr);
		native += rd || wr;
		both += rd && wr;
	}
	assert_int_equal(built, native);
	printf("MSR policy: %u MSRs with a native direction (%u both ways) of %u in the bitmap "
	       "ranges\n", native, both, 2 * 0x2000);
	/* outside the ranges: always exits, and no rule can name it */
	assert_true(vmx_msr_bitmap_exits(bm, 0x40000000, false));
	assert_int_equal(msr_access_of(0x40000000, false), MSR_DENY);
	assert_int_equal(vmx_msr_bitmap_intercept(bm, 0x2000, true, true), -22);
}

/* Deny by default: what no rule names, and what issue 14 found writable. */
static void test_denied(void **state)
{
	static const struct { u32 first, last; } denied[] = {
		{ 0x0000, 0x0001 },	/* P5_MC_ADDR/TYPE */
		{ 0x003b, 0x003b },	/* IA32_TSC_ADJUST */
		{ 0x0079, 0x0079 },	/* IA32_BIOS_UPDT_TRIG: microcode update */
		{ 0x009b, 0x009b },	/* IA32_SMM_MONITOR_CTL */
		{ 0x00c1, 0x00c8 },	/* IA32_PMC0..7 */
		{ 0x017b, 0x017b },	/* IA32_MCG_CTL (absent: MCG_CAP says so) */
		{ 0x0186, 0x018d },	/* IA32_PERFEVTSEL0..7 */
		{ 0x01f2, 0x01f3 },	/* IA32_SMRR_PHYSBASE/MASK */
		{ 0x0280, 0x029f },	/* IA32_MC0..31_CTL2 */
		{ 0x038d, 0x0390 },	/* fixed-counter control, global PMU control */
		{ 0x0400, 0x047f },	/* IA32_MC0..31_CTL/STATUS/ADDR/MISC */
		{ 0x0480, 0x0493 },	/* the VMX capability MSRs */
		{ 0x0560, 0x058f },	/* IA32_RTIT_*: Processor Trace */
		{ 0x0600, 0x0600 },	/* IA32_DS_AREA */
		{ 0x0606, 0x0606 },	/* MSR_RAPL_POWER_UNIT */
		{ 0x0610, 0x0614 },	/* package power limit, energy status, power info */
		{ 0x0c80, 0x0c80 },	/* IA32_DEBUG_INTERFACE */
		{ 0x1234, 0x1234 },	/* an MSR nobody has heard of */
		{ 0xc0000104, 0xc0000104 },
		{ 0xc0001fff, 0xc0001fff },
	};

	(void)state;
	memset(bm, 0, sizeof(bm));
	vmx_msr_policy_build(bm);
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
		for (u32 m = denied[i].first; m <= denied[i].last; m++) {
			assert_int_equal(msr_access_of(m, false), MSR_DENY);
			assert_int_equal(msr_access_of(m, true), MSR_DENY);
			assert_true(vmx_msr_bitmap_exits(bm, m, false));
			assert_true(vmx_msr_bitmap_exits(bm, m, true));
		}
	/* writes exit, reads do not, where writing is the danger */
	static const u32 write_guarded[] = { 0x10, 0x1a0, 0x8b, 0x1b, 0xc0000080, 0x2ff, 0xda0 };
	for (size_t i = 0; i < ARRAY_SIZE(write_guarded); i++) {
		assert_true(vmx_msr_bitmap_exits(bm, write_guarded[i], true));
		assert_int_not_equal(msr_access_of(write_guarded[i], true), MSR_NATIVE);
	}
	assert_int_equal(msr_access_of(0x10, true), MSR_DENY);	/* IA32_TSC */
	/* machine checks: an MCA without banks, emulated */
	assert_int_equal(msr_access_of(0x179, false), MSR_EMULATE);
	assert_int_equal(msr_access_of(0x17a, true), MSR_EMULATE);
	/* FEATURE_CONTROL: reads emulated (locked, VMX off), writes denied */
	assert_int_equal(msr_access_of(0x3a, false), MSR_EMULATE);
	assert_int_equal(msr_access_of(0x3a, true), MSR_DENY);
}

/* The state a kernel needs goes through without an exit. */
static void test_native(void **state)
{
	static const u32 native[] = { 0x174, 0x175, 0x176, 0x277, 0x6e0, 0x808, 0x80b, 0x830,
				      0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100, 0xc0000101,
				      0xc0000102, 0xc0000103 };

	(void)state;
	memset(bm, 0, sizeof(bm));
	vmx_msr_policy_build(bm);
	for (size_t i = 0; i < ARRAY_SIZE(native); i++) {
		assert_false(vmx_msr_bitmap_exits(bm, native[i], false));
		assert_false(vmx_msr_bitmap_exits(bm, native[i], true));
	}
}

static void test_emulated_writes(void **state)
{
	const u64 xd = 1ULL << 34, limit = 1ULL << 22, fast = 1;

	(void)state;
	assert_true(msr_misc_enable_write_ok(fast, fast));		/* no change */
	assert_true(msr_misc_enable_write_ok(fast | limit, fast));	/* lift the CPUID limit */
	assert_true(msr_misc_enable_write_ok(fast | xd, fast));	/* turn NX on */
	assert_false(msr_misc_enable_write_ok(fast, fast | xd));	/* turn NX off: uhv's */
	assert_false(msr_misc_enable_write_ok(fast, 0));		/* fast strings */
	assert_false(msr_misc_enable_write_ok(0, 1ULL << 3));		/* thermal control */

	const u64 cpu = (1u << 8) | (1u << 11) | (1u << 12) | (1u << 15);
	assert_true(msr_xss_write_ok(0, cpu));
	assert_true(msr_xss_write_ok((1u << 11) | (1u << 12), cpu));	/* CET */
	assert_false(msr_xss_write_ok(1u << 8, cpu));			/* Processor Trace */
	assert_false(msr_xss_write_ok(1u << 15, cpu));			/* LBRs */
	assert_false(msr_xss_write_ok(1u << 10, cpu));			/* PASID: not on this CPU */
}

static void cpuid_run(u32 leaf, u32 sub, u32 r[4], const u32 in[4])
{
	struct vmx_cpuid_cfg cfg = { .xsaves = true };

	memcpy(r, in, 4 * sizeof(u32));
	if (vmx_cpuid_leaf_adjusted(leaf))
		vmx_cpuid_adjust(leaf, sub, r, &cfg);
}

/* CPUID shows none of the features whose MSRs are denied. */
static void test_cpuid_hides_denied(void **state)
{
	const u32 all[4] = { ~0u, ~0u, ~0u, ~0u };
	u32 r[4];

	(void)state;
	cpuid_run(7, 0, r, all);
	assert_false(r[1] & (1u << 25));	/* Processor Trace */
	assert_false(r[1] & (1u << 1));		/* TSC_ADJUST */
	assert_false(r[1] & (1u << 14));	/* MPX */
	assert_true(r[1] & (1u << 0));		/* FSGSBASE stays */
	cpuid_run(0x14, 0, r, all);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	cpuid_run(0xa, 0, r, all);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	cpuid_run(1, 0, r, all);
	assert_true(r[3] & (1u << 14));		/* MCA stays: MCG_CAP says no banks */
	assert_false(r[3] & (1u << 21));	/* DS */
	assert_false(r[2] & (1u << 15));	/* PDCM */
	cpuid_run(6, 0, r, all);
	assert_int_equal(r[0], 1u << 2);	/* only ARAT */
	assert_int_equal(r[1] | r[2] | r[3], 0);
	cpuid_run(0xd, 1, r, all);
	assert_int_equal(r[2], XSS_GUEST);	/* PASID and CET only */
	assert_int_equal(r[3], 0);
	cpuid_run(0xd, 8, r, all);		/* the Processor Trace component */
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	cpuid_run(0xd, 9, r, all);		/* PKRU (a user state) stays */
	assert_memory_equal(r, all, sizeof(all));
	cpuid_run(0xd, 11, r, all);		/* CET_U stays */
	assert_memory_equal(r, all, sizeof(all));
	assert_false(vmx_cpuid_leaf_adjusted(0));
	assert_false(vmx_cpuid_leaf_adjusted(4));
	assert_false(vmx_cpuid_leaf_adjusted(0xb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_well_formed),
		cmocka_unit_test(test_bitmap_equals_table),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_emulated_writes),
		cmocka_unit_test(test_cpuid_hides_denied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
