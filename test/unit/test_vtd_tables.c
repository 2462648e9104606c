// UNIT-SOURCES: drivers/vtd_tables.c mm/ptab.c
/* VT-d translation structures: capability decoding (values measured on QEMU
 * intel-iommu), the second-level format driven through mm/ptab.c, root and
 * context tables, invalidation descriptors and domain ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vtd.h>
#include <uhv/errno.h>
#include "arena.h"
#include "log_capture.h"

/* QEMU 7.2 intel-iommu (docs/emulators.md section 2) */
#define QEMU_CAP	0x00d2008c22260206ULL
#define QEMU_CAP_CM	0x00d2008c22260286ULL
#define QEMU_ECAP	0x0000000000f00f4aULL
#define QEMU_VER	0x10

/* ---- fake physical memory --------------------------------------------------------------------- */

#define ARENA_PA 0x5000000000ULL
#define ARENA_PAGES 256

static struct arena *arena;

static int setup(void **state)
{
	arena = arena_new(ARENA_PA, ARENA_PAGES, ARENA_SYNC);
	return 0;
}

static int teardown(void **state)
{
	arena_del(arena);
	return 0;
}

static u64 *table(paddr_t pa) { return arena_p2v(arena, pa); }

/* ---- capabilities -------------------------------------------------------------------------------- */

static void test_caps_qemu(void **state)
{
	assert_int_equal(vtd_cap_nd(QEMU_CAP), 6);
	assert_int_equal(vtd_domain_count(QEMU_CAP), 65536);
	assert_false(vtd_cap_rwbf(QEMU_CAP));
	assert_false(vtd_cap_cm(QEMU_CAP));
	assert_true(vtd_cap_cm(QEMU_CAP_CM));
	assert_int_equal(vtd_cap_sagaw(QEMU_CAP), 0x2);
	assert_int_equal(vtd_cap_mgaw(QEMU_CAP), 39);
	assert_false(vtd_cap_zlr(QEMU_CAP));
	assert_int_equal(vtd_cap_fro(QEMU_CAP), 0x220);
	assert_int_equal(vtd_cap_nfr(QEMU_CAP), 1);
	assert_int_equal(vtd_cap_sllps(QEMU_CAP), 3);
	assert_true(vtd_cap_psi(QEMU_CAP));
	assert_int_equal(vtd_cap_mamv(QEMU_CAP), 18);
	assert_true(vtd_cap_dwd(QEMU_CAP));
	assert_true(vtd_cap_drd(QEMU_CAP));
	assert_false(vtd_cap_pi(QEMU_CAP));
	assert_false(vtd_cap_fl1gp(QEMU_CAP));

	assert_false(vtd_ecap_c(QEMU_ECAP));
	assert_true(vtd_ecap_qi(QEMU_ECAP));
	assert_false(vtd_ecap_dt(QEMU_ECAP));
	assert_true(vtd_ecap_ir(QEMU_ECAP));
	assert_false(vtd_ecap_eim(QEMU_ECAP));
	assert_true(vtd_ecap_pt(QEMU_ECAP));
	assert_false(vtd_ecap_sc(QEMU_ECAP));
	assert_int_equal(vtd_ecap_iro(QEMU_ECAP), 0xf0);
	assert_int_equal(vtd_ecap_mhmv(QEMU_ECAP), 15);
	assert_false(vtd_ecap_smts(QEMU_ECAP));

	assert_int_equal(VTD_VER_MAJOR(QEMU_VER), 1);
	assert_int_equal(VTD_VER_MINOR(QEMU_VER), 0);
}

static void test_caps_print(void **state)
{
	log_capture_reset();
	vtd_print_caps("unit 0", QEMU_VER, QEMU_CAP_CM, QEMU_ECAP);
	const char *t = log_capture_text();
	assert_non_null(strstr(t, "VT-d 1.0 CAP 0xd2008c22260286 ECAP 0xf00f4a"));
	assert_non_null(strstr(t, "address widths 39-bit (SAGAW 0x2), MGAW 39, large pages 2M 1G, "
				  "65536 domain ids"));
	assert_non_null(strstr(t, "caching mode ON, write-buffer flush not needed, 1 fault "
				  "record(s) at +0x220, IOTLB registers at +0xf0"));
	assert_non_null(strstr(t, "queued invalidation yes, interrupt remapping yes, page walks "
				  "NOT coherent"));
}

static u64 make_cap(unsigned sagaw, unsigned mgaw, unsigned sllps)
{
	return ((u64)sagaw << 8) | ((u64)(mgaw - 1) << 16) | ((u64)sllps << 34);
}

static void test_select_levels(void **state)
{
	/* QEMU default: 3 levels only, 39 bits */
	assert_int_equal(vtd_select_levels(QEMU_CAP, 32), 3);
	assert_int_equal(vtd_select_levels(QEMU_CAP, 39), 3);
	assert_int_equal(vtd_select_levels(QEMU_CAP, 40), -EOPNOTSUPP);
	/* aw-bits=48: SAGAW 0x6, MGAW 48 -- fewest levels that cover the need */
	u64 aw48 = make_cap(0x6, 48, 3);
	assert_int_equal(vtd_select_levels(aw48, 36), 3);
	assert_int_equal(vtd_select_levels(aw48, 40), 4);
	assert_int_equal(vtd_select_levels(aw48, 48), 4);
	assert_int_equal(vtd_select_levels(aw48, 49), -EOPNOTSUPP);
	/* 4 levels only (some real units): even small guests use 4 */
	assert_int_equal(vtd_select_levels(make_cap(0x4, 46, 1), 30), 4);
	/* 5 levels */
	assert_int_equal(vtd_select_levels(make_cap(0x8, 57, 3), 50), 5);
	/* nothing usable (only the obsolete 2-level 30-bit width) */
	assert_int_equal(vtd_select_levels(make_cap(0x1, 39, 0), 30), -EOPNOTSUPP);

	assert_int_equal(vtd_levels_to_aw(3), 1);
	assert_int_equal(vtd_levels_to_aw(4), 2);
	assert_int_equal(vtd_levels_to_bits(3), 39);
	assert_int_equal(vtd_levels_to_bits(4), 48);

	assert_int_equal(vtd_max_leaf_level(QEMU_CAP), 2);
	assert_int_equal(vtd_max_leaf_level(make_cap(0x2, 39, 1)), 1);
	assert_int_equal(vtd_max_leaf_level(make_cap(0x2, 39, 0)), 0);
	assert_int_equal(vtd_max_leaf_level(make_cap(0x2, 39, 2)), 0);
}

/* ---- second-level format through ptab ------------------------------------------------------------- */

static void test_sl_format(void **state)
{
	assert_int_equal(vtd_sl_fmt.table_entry(0x1234000), 0x1234003);
	assert_int_equal(vtd_sl_fmt.leaf_entry(0x1234000, 0, VTD_SL_R), 0x1234001);
	assert_int_equal(vtd_sl_fmt.leaf_entry(0x40000000, 2, VTD_SL_R | VTD_SL_W), 0x40000083);
	assert_int_equal(vtd_sl_fmt.leaf_entry(0x200000, 1, VTD_SL_W | VTD_SL_SNP), 0x200882);
	/* stray bits in attrs never reach the entry */
	assert_int_equal(vtd_sl_fmt.leaf_entry(0x1000, 0, VTD_SL_R | BIT(7) | BIT(5)), 0x1001);
	assert_true(vtd_sl_fmt.present(VTD_SL_W));
	assert_false(vtd_sl_fmt.present(0x1234000 | VTD_SL_PS));
	assert_true(vtd_sl_fmt.is_large(0x200083, 1));
	assert_false(vtd_sl_fmt.is_large(0x200083, 0));
	assert_int_equal(vtd_sl_fmt.addr(0x4000000000000083ULL | 0x200000, 1), 0x200000);
	assert_int_equal(vtd_sl_fmt.attrs(0x200883, 1), VTD_SL_R | VTD_SL_W | VTD_SL_SNP);
	assert_false(vtd_sl_fmt.canonical);
}

/* A guest-memory-like domain: RAM 0..2G with a hole, through mm/ptab.c. */
static void test_sl_domain(void **state)
{
	struct ptab pt;
	const u64 rw = VTD_SL_R | VTD_SL_W;

	assert_int_equal(ptab_init(&pt, &vtd_sl_fmt, &arena->mem, 3, vtd_max_leaf_level(QEMU_CAP)), 0);
	/* GPA 0..640K -> HPA 0x10000000.., GPA 1M..2G -> HPA 0x40100000.. */
	assert_int_equal(ptab_map(&pt, 0, 0x10000000, KiB(640), rw), 0);
	assert_int_equal(ptab_map(&pt, MiB(1), GiB(1) + MiB(1), GiB(2) - MiB(1), rw), 0);
	/* a read-only page */
	assert_int_equal(ptab_map(&pt, 0x3000, 0x10003000, PAGE_SIZE, VTD_SL_R), 0);

	paddr_t pa;
	u64 attrs;
	unsigned level;
	assert_int_equal(ptab_lookup(&pt, 0x1234, &pa, &attrs, &level), 0);
	assert_int_equal(pa, 0x10001234);
	assert_int_equal(attrs, rw);
	assert_int_equal(level, 0);
	assert_int_equal(ptab_lookup(&pt, 0x3008, &pa, &attrs, &level), 0);
	assert_int_equal(attrs, VTD_SL_R);
	assert_int_equal(ptab_lookup(&pt, KiB(700), &pa, &attrs, &level), -ENOENT);
	/* GPA 1G is 1G-aligned and so is HPA 2G: one 1G leaf */
	assert_int_equal(ptab_lookup(&pt, GiB(1) + 0x5000, &pa, &attrs, &level), 0);
	assert_int_equal(pa, GiB(2) + 0x5000);
	assert_int_equal(level, 2);
	/* 2M leaves from 2M up to 1G */
	assert_int_equal(ptab_lookup(&pt, MiB(4), &pa, &attrs, &level), 0);
	assert_int_equal(pa, GiB(1) + MiB(4));
	assert_int_equal(level, 1);
	/* beyond 39 bits is out of range for a 3-level table */
	assert_int_equal(ptab_lookup(&pt, BIT(39), &pa, &attrs, &level), -EINVAL);

	/* raw entries: root[0] is a table entry with R|W, root[1] a 1G leaf with PS */
	u64 *root = table(pt.root);
	assert_int_equal(root[0] & 0xfff, VTD_SL_R | VTD_SL_W);
	assert_int_equal(root[1], GiB(2) | VTD_SL_PS | rw);
	assert_int_equal(root[2], 0);
	/* the hardware walks these tables: every change was flushed */
	assert_true(arena->syncs > 0);

	/* unmapping a 4K page in the middle of a 2M leaf splits it */
	assert_int_equal(ptab_unmap(&pt, MiB(4) + 0x7000, PAGE_SIZE), 0);
	assert_int_equal(ptab_lookup(&pt, MiB(4) + 0x7000, &pa, &attrs, &level), -ENOENT);
	assert_int_equal(ptab_lookup(&pt, MiB(4) + 0x8000, &pa, &attrs, &level), 0);
	assert_int_equal(pa, GiB(1) + MiB(4) + 0x8000);
	assert_int_equal(level, 0);
}

/* ---- root and context tables ------------------------------------------------------------------------- */

static void test_entries(void **state)
{
	struct vtd_entry128 r = vtd_root_entry(0x123456000);
	assert_int_equal(r.lo, 0x123456001);
	assert_int_equal(r.hi, 0);

	struct vtd_entry128 c = vtd_context_entry(0xabcde000, 1, 5, VTD_CTX_TT_UNTRANSLATED);
	assert_int_equal(c.lo, 0xabcde001);
	assert_int_equal(c.hi, 0x501);
	c = vtd_context_entry(0xabcde000, 2, 0xffff, VTD_CTX_TT_PASSTHROUGH);
	assert_int_equal(c.lo, 0xabcde009);
	assert_int_equal(c.hi, 0xffff02);
	assert_int_equal(VTD_CTX_AW(c.hi), 2);
	assert_int_equal(VTD_CTX_DID(c.hi), 0xffff);
}

static void test_context_tables(void **state)
{
	struct vtd_root_table rt;
	struct vtd_entry128 ce, got;
	bool was;

	assert_int_equal(vtd_root_table_init(&rt, &arena->mem), 0);
	assert_int_equal(vtd_context_get(&rt, 0, 0x10, &got), -ENOENT);

	size_t syncs = arena->syncs;
	ce = vtd_context_entry(0x7000000, 1, 1, VTD_CTX_TT_UNTRANSLATED);
	assert_int_equal(vtd_context_set(&rt, 0, 0x10, ce, &was), 0);
	assert_false(was);
	assert_true(arena->syncs > syncs);

	u64 *root = table(rt.root);
	assert_int_equal(root[0] & 1, 1);
	assert_int_equal(root[1], 0);
	assert_int_equal(root[2], 0);	/* bus 1 untouched */
	paddr_t ct = root[0] & VTD_ENTRY_ADDR_MASK;
	u64 *ctx = table(ct);
	assert_int_equal(ctx[2 * 0x10], 0x7000001);
	assert_int_equal(ctx[2 * 0x10 + 1], 0x101);
	assert_int_equal(ctx[2 * 0x11], 0);	/* neighbours stay blocked */

	assert_int_equal(vtd_context_get(&rt, 0, 0x10, &got), 0);
	assert_int_equal(got.lo, ce.lo);
	assert_int_equal(got.hi, ce.hi);
	assert_int_equal(vtd_context_get(&rt, 0, 0x18, &got), -ENOENT);

	/* replacing a present entry reports it, so the caller invalidates */
	ce = vtd_context_entry(0x8000000, 2, 7, VTD_CTX_TT_UNTRANSLATED);
	assert_int_equal(vtd_context_set(&rt, 0, 0x10, ce, &was), 0);
	assert_true(was);
	assert_int_equal(ctx[2 * 0x10], 0x8000001);
	assert_int_equal(ctx[2 * 0x10 + 1], 0x702);

	/* a second device on the same bus shares the context table */
	size_t pages = arena->in_use;
	assert_int_equal(vtd_context_set(&rt, 0, 0xfa, ce, NULL), 0);
	assert_int_equal(arena->in_use, pages);
	/* another bus gets its own */
	assert_int_equal(vtd_context_set(&rt, 0x81, 0x00, ce, NULL), 0);
	assert_int_equal(arena->in_use, pages + 1);
	assert_int_equal(root[2 * 0x81] & 1, 1);

	assert_int_equal(vtd_context_clear(&rt, 0, 0x10), 1);
	assert_int_equal(vtd_context_clear(&rt, 0, 0x10), 0);
	assert_int_equal(vtd_context_clear(&rt, 0x40, 0x10), 0);	/* no table for bus 0x40 */
	assert_int_equal(ctx[2 * 0x10], 0);
	assert_int_equal(vtd_context_get(&rt, 0, 0x10, &got), -ENOENT);
	assert_int_equal(vtd_context_get(&rt, 0, 0xfa, &got), 0);
}

static void test_context_oom(void **state)
{
	struct vtd_root_table rt;
	assert_int_equal(vtd_root_table_init(&rt, &arena->mem), 0);
	arena->limit = arena->in_use;	/* memory exhausted */
	struct vtd_entry128 ce = vtd_context_entry(0x7000000, 1, 1, 0);
	assert_int_equal(vtd_context_set(&rt, 3, 0, ce, NULL), -ENOMEM);
	arena_reset(arena);
	assert_int_equal(vtd_root_table_init(&rt, &arena->mem), 0);
	arena->limit = arena->in_use;
	struct vtd_root_table rt2;
	assert_int_equal(vtd_root_table_init(&rt2, &arena->mem), -ENOMEM);
}

/* ---- invalidation descriptors ---------------------------------------------------------------------- */

static void test_qi_descriptors(void **state)
{
	struct vtd_entry128 d;

	d = vtd_qi_context_global();
	assert_int_equal(d.lo, 0x11);
	assert_int_equal(d.hi, 0);
	d = vtd_qi_context_device(3, 0x0010);
	assert_int_equal(d.lo, 0x0000001000030031ULL);
	d = vtd_qi_iotlb_global(true, true);
	assert_int_equal(d.lo, 0xd2);
	assert_int_equal(d.hi, 0);
	d = vtd_qi_iotlb_domain(9, false, true);
	assert_int_equal(d.lo, 0x90062);
	d = vtd_qi_iotlb_page(9, 0x12345678, 2, false, false);
	assert_int_equal(d.lo, 0x90032);
	assert_int_equal(d.hi, 0x12345002);
	d = vtd_qi_wait(0x2000104, 0xcafe);
	assert_int_equal(d.lo, 0x0000cafe00000065ULL);
	assert_int_equal(d.hi, 0x2000104);
}

/* ---- domain ids ---------------------------------------------------------------------------------------- */

static void test_did(void **state)
{
	u64 bits[VTD_DID_WORDS(16)];
	struct vtd_did_alloc a;

	vtd_did_init(&a, bits, 16);
	for (int i = 1; i < 16; i++)
		assert_int_equal(vtd_did_alloc(&a), i);
	assert_int_equal(vtd_did_alloc(&a), -ENOSPC);
	vtd_did_free(&a, 5);
	vtd_did_free(&a, 0);	/* reserved: ignored */
	vtd_did_free(&a, 99);	/* out of range: ignored */
	assert_int_equal(vtd_did_alloc(&a), 5);
	assert_int_equal(vtd_did_alloc(&a), -ENOSPC);

	/* a count that is not a multiple of 64, crossing a word */
	u64 big[VTD_DID_WORDS(70)];
	vtd_did_init(&a, big, 70);
	for (int i = 1; i < 70; i++)
		assert_int_equal(vtd_did_alloc(&a), i);
	assert_int_equal(vtd_did_alloc(&a), -ENOSPC);

	/* the full 16-bit space */
	static u64 all[VTD_DID_WORDS(65536)];
	vtd_did_init(&a, all, vtd_domain_count(QEMU_CAP));
	assert_int_equal(vtd_did_alloc(&a), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_qemu),
		cmocka_unit_test(test_caps_print),
		cmocka_unit_test(test_select_levels),
		cmocka_unit_test(test_sl_format),
		cmocka_unit_test_setup_teardown(test_sl_domain, setup, teardown),
		cmocka_unit_test(test_entries),
		cmocka_unit_test_setup_teardown(test_context_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_oom, setup, teardown),
		cmocka_unit_test(test_qi_descriptors),
		cmocka_unit_test(test_did),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
