// UNIT-SOURCES: mm/mtrr.c
/* MTRR decoding and memory-type queries: precedence (UC wins, WT+WB = WT),
 * fixed ranges below 1 MiB, MAXPHYADDR, and the range splitting EPT needs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/mtrr.h>
#include <uhv/errno.h>
#include "log_capture.h"

#define UC MTRR_TYPE_UC
#define WC MTRR_TYPE_WC
#define WT MTRR_TYPE_WT
#define WP MTRR_TYPE_WP
#define WB MTRR_TYPE_WB
#define MIXED MTRR_TYPE_MIXED

static u64 all8(u8 t)
{
	return 0x0101010101010101ULL * t;
}

/* A variable MTRR pair for [base, base + size), size a power of two. */
static void set_var(struct mtrr_raw *r, unsigned i, u64 base, u64 size, u8 type, unsigned phys_bits)
{
	r->var[i].base = base | type;
	r->var[i].mask = (~(size - 1) & (BIT(phys_bits) - 1) & MTRR_ADDR_MASK) |
			 MTRR_PHYSMASK_VALID;
}

/* A typical firmware setup on a 36-bit machine with RAM above 4 GiB:
 *   fixed: 0-9ffff WB, a0000-bffff UC, c0000 UC, c1000-cffff WP,
 *          d0000-dffff UC, e0000-fffff WP
 *   default WB; var0 [3G, 4G) UC (PCI hole); var1 [4G, 8G) WB;
 *   var2 [5G, 5G+256M) WT (overlaps WB -> WT); var3 [6G, 6G+2M) UC;
 *   var4 disabled (would make everything WC) */
static struct mtrr_raw firmware(void)
{
	struct mtrr_raw r = { 0 };

	r.cap = MTRRCAP_FIX | MTRRCAP_WC | 8;
	r.def_type = MTRR_DEF_E | MTRR_DEF_FE | WB;
	r.fixed[0] = all8(WB);
	r.fixed[1] = all8(WB);
	r.fixed[2] = all8(UC);
	r.fixed[3] = all8(WP) & ~0xffULL;	/* c0000 UC */
	r.fixed[4] = all8(WP);
	r.fixed[5] = all8(UC);
	r.fixed[6] = all8(UC);
	for (int i = 7; i < 11; i++)
		r.fixed[i] = all8(WP);
	set_var(&r, 0, GiB(3), GiB(1), UC, 36);
	set_var(&r, 1, GiB(4), GiB(4), WB, 36);
	set_var(&r, 2, GiB(5), MiB(256), WT, 36);
	set_var(&r, 3, GiB(6), MiB(2), UC, 36);
	r.var[4].base = WC;
	r.var[4].mask = 0;			/* not valid */
	return r;
}

static struct mtrr_state decode(const struct mtrr_raw *r, unsigned bits)
{
	struct mtrr_state st;

	assert_int_equal(mtrr_decode(r, bits, &st), 0);
	return st;
}

static void test_point_types(void **state)
{
	struct mtrr_raw r = firmware();
	struct mtrr_state st = decode(&r, 36);

	assert_true(st.enabled);
	assert_true(st.fixed_enabled);
	assert_int_equal(st.nvar, 4);
	assert_int_equal(mtrr_type(&st, 0), WB);
	assert_int_equal(mtrr_type(&st, 0x9ffff), WB);
	assert_int_equal(mtrr_type(&st, 0xa0000), UC);
	assert_int_equal(mtrr_type(&st, 0xbffff), UC);
	assert_int_equal(mtrr_type(&st, 0xc0000), UC);
	assert_int_equal(mtrr_type(&st, 0xc1000), WP);
	assert_int_equal(mtrr_type(&st, 0xd8000), UC);
	assert_int_equal(mtrr_type(&st, 0xfffff), WP);
	assert_int_equal(mtrr_type(&st, MiB(1)), WB);		/* default */
	assert_int_equal(mtrr_type(&st, GiB(3) - 1), WB);
	assert_int_equal(mtrr_type(&st, GiB(3)), UC);
	assert_int_equal(mtrr_type(&st, GiB(4) - 1), UC);
	assert_int_equal(mtrr_type(&st, GiB(4)), WB);
	assert_int_equal(mtrr_type(&st, GiB(5)), WT);		/* WT + WB = WT */
	assert_int_equal(mtrr_type(&st, GiB(5) + MiB(256)), WB);
	assert_int_equal(mtrr_type(&st, GiB(6)), UC);		/* UC + WB = UC */
	assert_int_equal(mtrr_type(&st, GiB(6) + MiB(2)), WB);
	assert_int_equal(mtrr_type(&st, GiB(8)), WB);		/* default again */
}

static void test_range_types(void **state)
{
	struct mtrr_raw r = firmware();
	struct mtrr_state st = decode(&r, 36);

	assert_int_equal(mtrr_range_type(&st, 0, 0xa0000), WB);
	assert_int_equal(mtrr_range_type(&st, 0, 0xa1000), MIXED);
	assert_int_equal(mtrr_range_type(&st, 0xa0000, 0xc0000), UC);
	assert_int_equal(mtrr_range_type(&st, 0xa0000, 0xc1000), UC);	/* c0000 is UC too */
	assert_int_equal(mtrr_range_type(&st, 0xa0000, 0xc2000), MIXED);
	assert_int_equal(mtrr_range_type(&st, 0xe0000, MiB(1)), WP);
	assert_int_equal(mtrr_range_type(&st, 0xe0000, MiB(1) + PAGE_SIZE), MIXED);
	assert_int_equal(mtrr_range_type(&st, MiB(1), GiB(3)), WB);
	assert_int_equal(mtrr_range_type(&st, MiB(2), GiB(3) + PAGE_SIZE), MIXED);
	assert_int_equal(mtrr_range_type(&st, GiB(3), GiB(4)), UC);
	/* [4G, 5G) WB by var1, [5G+256M, 6G) WB by var1 too, but WT between */
	assert_int_equal(mtrr_range_type(&st, GiB(4), GiB(5)), WB);
	assert_int_equal(mtrr_range_type(&st, GiB(4), GiB(6)), MIXED);
	/* var1 ends at 8G and default WB follows: still one type */
	assert_int_equal(mtrr_range_type(&st, GiB(7), GiB(16)), WB);
	/* 2 MiB-aligned block queries, as EPT large-page selection asks */
	assert_int_equal(mtrr_range_type(&st, GiB(6), GiB(6) + MiB(2)), UC);
	assert_int_equal(mtrr_range_type(&st, GiB(6) - MiB(2), GiB(6)), WB);
	assert_int_equal(mtrr_range_type(&st, GiB(6), GiB(7)), MIXED);
}

static void test_uniform_end(void **state)
{
	struct mtrr_raw r = firmware();
	struct mtrr_state st = decode(&r, 36);
	u8 t;

	/* walk [0, 16G) run by run and check the runs */
	static const struct { u64 end; u8 type; } runs[] = {
		{ 0xa0000, WB }, { 0xc1000, UC }, { 0xd0000, WP }, { 0xe0000, UC },
		{ MiB(1), WP }, { GiB(3), WB }, { GiB(4), UC }, { GiB(5), WB },
		{ GiB(5) + MiB(256), WT }, { GiB(6), WB }, { GiB(6) + MiB(2), UC }, { GiB(16), WB },
	};
	u64 pa = 0;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		u64 e = mtrr_uniform_end(&st, pa, GiB(16), &t);
		assert_int_equal(e, runs[i].end);
		assert_int_equal(t, runs[i].type);
		pa = e;
	}
	/* end is respected */
	assert_int_equal(mtrr_uniform_end(&st, MiB(1), MiB(3), &t), MiB(3));
	assert_int_equal(t, WB);
	assert_int_equal(mtrr_uniform_end(&st, GiB(3) + MiB(5), GiB(5), &t), GiB(4));
	assert_int_equal(t, UC);
}

static void test_disabled_and_fe_off(void **state)
{
	struct mtrr_raw r = firmware();
	struct mtrr_state st;
	u8 t;

	r.def_type &= ~MTRR_DEF_E;
	st = decode(&r, 36);
	assert_int_equal(mtrr_type(&st, GiB(4)), UC);
	assert_int_equal(mtrr_type(&st, 0), UC);
	assert_int_equal(mtrr_uniform_end(&st, 0, GiB(64), &t), GiB(64));
	assert_int_equal(t, UC);

	/* fixed ranges off: below 1 MiB follows the default / variable ranges */
	r = firmware();
	r.def_type &= ~MTRR_DEF_FE;
	st = decode(&r, 36);
	assert_false(st.fixed_enabled);
	assert_int_equal(mtrr_type(&st, 0xa0000), WB);
	assert_int_equal(mtrr_range_type(&st, 0, GiB(3)), WB);

	/* FE set but the CPU has no fixed MTRRs */
	r = firmware();
	r.cap &= ~MTRRCAP_FIX;
	st = decode(&r, 36);
	assert_false(st.fixed_enabled);
	assert_int_equal(mtrr_type(&st, 0xa0000), WB);

	/* default UC with a WB var and a UC var inside it */
	r = (struct mtrr_raw){ 0 };
	r.cap = 2;
	r.def_type = MTRR_DEF_E | UC;
	set_var(&r, 0, 0, GiB(2), WB, 39);
	set_var(&r, 1, GiB(2) - MiB(16), MiB(16), UC, 39);
	st = decode(&r, 39);
	assert_int_equal(mtrr_type(&st, 0xa0000), WB);
	assert_int_equal(mtrr_range_type(&st, 0, GiB(2) - MiB(16)), WB);
	assert_int_equal(mtrr_range_type(&st, GiB(2) - MiB(16), GiB(4)), UC);
}

static void test_maxphyaddr(void **state)
{
	struct mtrr_raw r = firmware();
	struct mtrr_state st = decode(&r, 36);

	/* 64G + 3G aliases var0 in the low 36 bits, but is beyond MAXPHYADDR
	 * and must not match */
	assert_int_equal(mtrr_type(&st, GiB(64) + GiB(3)), WB);
	assert_int_equal(mtrr_range_type(&st, GiB(16), GiB(128)), WB);

	/* bad widths */
	struct mtrr_state bad;
	assert_int_equal(mtrr_decode(&r, 31, &bad), -EINVAL);
	assert_int_equal(mtrr_decode(&r, 53, &bad), -EINVAL);
}

static void test_undefined_overlap_and_reserved(void **state)
{
	struct mtrr_raw r = { 0 };
	struct mtrr_state st;

	r.cap = 3;
	r.def_type = MTRR_DEF_E | WB;
	set_var(&r, 0, GiB(1), GiB(1), WC, 36);
	set_var(&r, 1, GiB(1), MiB(2), WB, 36);		/* WC + WB: undefined -> UC */
	set_var(&r, 2, GiB(2), MiB(2), WT, 36);
	r.var[2].base = GiB(2) | 2;			/* reserved type 2 -> UC */
	log_capture_reset();
	st = decode(&r, 36);
	assert_true(log_capture_contains("variable range 2 has reserved memory type 2"));
	assert_int_equal(mtrr_type(&st, GiB(1)), UC);
	assert_int_equal(mtrr_type(&st, GiB(1) + MiB(2)), WC);
	assert_int_equal(mtrr_type(&st, GiB(2)), UC);

	/* two ranges of the same type overlapping: that type */
	r = (struct mtrr_raw){ 0 };
	r.cap = 2;
	r.def_type = MTRR_DEF_E | UC;
	set_var(&r, 0, 0, GiB(1), WP, 36);
	set_var(&r, 1, MiB(512), MiB(512), WP, 36);
	st = decode(&r, 36);
	assert_int_equal(mtrr_range_type(&st, MiB(1), GiB(1)), WP);
}

static void test_noncontiguous_mask(void **state)
{
	struct mtrr_raw r = { 0 };
	struct mtrr_state st;
	u8 t;

	/* mask bits 35:32 and 30: matches bits 35:32 = 0 and bit 30 = 0,
	 * i.e. [0, 1G) and [2G, 3G) */
	r.cap = 1;
	r.def_type = MTRR_DEF_E | WB;
	r.var[0].base = 0 | UC;
	r.var[0].mask = 0xf40000000ULL | MTRR_PHYSMASK_VALID;
	log_capture_reset();
	st = decode(&r, 36);
	assert_true(log_capture_contains("non-contiguous"));
	assert_int_equal(mtrr_type(&st, 0), UC);
	assert_int_equal(mtrr_type(&st, GiB(1)), WB);
	assert_int_equal(mtrr_type(&st, GiB(2) + MiB(7)), UC);
	assert_int_equal(mtrr_type(&st, GiB(3)), WB);
	assert_int_equal(mtrr_type(&st, GiB(4)), WB);
	assert_int_equal(mtrr_uniform_end(&st, 0, GiB(8), &t), GiB(1));
	assert_int_equal(t, UC);
	assert_int_equal(mtrr_uniform_end(&st, GiB(1), GiB(8), &t), GiB(2));
	assert_int_equal(t, WB);
	assert_int_equal(mtrr_uniform_end(&st, GiB(3), GiB(8), &t), GiB(8));
	assert_int_equal(t, WB);
}

struct fake { const struct mtrr_raw *raw; unsigned reads; };

static u64 fake_rdmsr(void *ctx, u32 msr)
{
	struct fake *f = ctx;
	static const u32 fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
				     0x26c, 0x26d, 0x26e, 0x26f };

	f->reads++;
	if (msr == 0xfe)
		return f->raw->cap;
	if (msr == 0x2ff)
		return f->raw->def_type;
	for (unsigned i = 0; i < 11; i++)
		if (msr == fixed[i])
			return f->raw->fixed[i];
	if (msr >= 0x200 && msr < 0x200 + 2 * MTRR_MAX_VAR)
		return (msr & 1) ? f->raw->var[(msr - 0x200) / 2].mask
				 : f->raw->var[(msr - 0x200) / 2].base;
	fail_msg("unexpected MSR %#x", msr);
	return 0;
}

static void test_read(void **state)
{
	struct mtrr_raw want = firmware(), got;
	struct fake f = { .raw = &want };

	mtrr_read(&got, true, fake_rdmsr, &f);
	assert_int_equal(f.reads, 2 + 11 + 16);
	assert_memory_equal(&got, &want, sizeof(got));

	f.reads = 0;
	mtrr_read(&got, false, fake_rdmsr, &f);
	assert_int_equal(f.reads, 0);
	struct mtrr_state st = decode(&got, 36);
	assert_false(st.enabled);

	want.cap = 4;	/* no fixed, 4 variable */
	f.reads = 0;
	mtrr_read(&got, true, fake_rdmsr, &f);
	assert_int_equal(f.reads, 2 + 8);
}

static void test_print(void **state)
{
	struct mtrr_raw r = firmware();
	struct mtrr_state st = decode(&r, 36);

	assert_string_equal(mtrr_type_name(WB), "WB");
	assert_string_equal(mtrr_type_name(MIXED), "MIXED");
	assert_string_equal(mtrr_type_name(3), "reserved");
	log_capture_reset();
	mtrr_print(&st);
	assert_true(log_capture_contains("MTRRs: default WB, fixed ranges on, 4 variable ranges"));
	assert_true(log_capture_contains("fixed 0xa0000-0xc0fff UC"));
	assert_true(log_capture_contains("var 0xc0000000-0xffffffff UC"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_types),
		cmocka_unit_test(test_range_types),
		cmocka_unit_test(test_uniform_end),
		cmocka_unit_test(test_disabled_and_fe_off),
		cmocka_unit_test(test_maxphyaddr),
		cmocka_unit_test(test_undefined_overlap_and_reserved),
		cmocka_unit_test(test_noncontiguous_mask),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
