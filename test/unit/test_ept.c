// UNIT-SOURCES: mm/ept.c mm/ptab.c mm/mtrr.c vmx/vmx_caps.c
/* EPT format, EPTP and guest EPT construction. The tables are built in a
 * page arena standing in for physical memory and then walked by an
 * independent EPT walker written from the SDM's entry formats, so the test
 * checks what the CPU would see, not what ptab reports back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/ept.h>
#include <uhv/errno.h>
#include "arena.h"
#include "log_capture.h"

/* ---- table memory ---------------------------------------------------------- */

#define ARENA_PA	0x7000000000ULL		/* fake host-physical base, outside the guest */
#define ARENA_PAGES	2048

static struct arena *arena;

static int setup(void **state)
{
	arena = arena_new(ARENA_PA, ARENA_PAGES, 0);
	return 0;
}

static int teardown(void **state)
{
	arena_del(arena);
	return 0;
}

/* ---- an independent EPT walker (SDM Vol. 3C 29.3.2) ------------------------- */

struct walk {
	bool present;
	paddr_t hpa;
	u8 perms;
	u8 memtype;
	bool ipat;
	unsigned level;		/* 0: 4K, 1: 2M, 2: 1G */
};

static struct walk ept_walk(paddr_t root, u64 gpa)
{
	struct walk w = { 0 };
	paddr_t table = root;
	u8 perms = EPT_RWX;

	for (int level = 3; level >= 0; level--) {
		const u64 *t = arena_p2v(arena, table);
		u64 e = t[(gpa >> (12 + 9 * level)) & 511];
		if (!(e & EPT_RWX))
			return w;
		perms &= e & EPT_RWX;
		/* reserved bits 51:48 (our MAXPHYADDR is 48 in this test) */
		assert_int_equal(e & 0x000f000000000000ULL, 0);
		bool leaf = level == 0 || (e & EPT_LARGE);
		if (level == 3)
			assert_false(e & EPT_LARGE);	/* bit 7 reserved in PML4Es */
		if (!leaf) {
			/* non-leaf: bits 7:3 reserved, full permissions */
			assert_int_equal(e & 0xf8, 0);
			assert_int_equal(e & EPT_RWX, EPT_RWX);
			table = e & EPT_ADDR_MASK;
			continue;
		}
		u64 size = PAGE_SIZE << (9 * level);
		/* leaf: address bits below the page size reserved (beyond 11:0) */
		assert_int_equal(e & EPT_ADDR_MASK & (size - 1), 0);
		w.present = true;
		w.level = level;
		w.hpa = (e & EPT_ADDR_MASK) + (gpa & (size - 1));
		w.perms = perms;
		w.memtype = (e >> 3) & 7;
		w.ipat = e & EPT_IGNORE_PAT;
		/* W without R and reserved memory types are misconfigurations */
		assert_false((e & EPT_WRITE) && !(e & EPT_READ));
		assert_true(ept_leaf_memtype_valid(w.memtype));
		return w;
	}
	return w;
}

/* ---- capabilities and MTRRs -------------------------------------------------- */

#include "vmx_msrs.h"

static struct vmx_caps caps_with(u64 ept_clear)
{
	struct vmx_caps_raw raw = skylake_x;
	struct vmx_caps c;

	raw.ept_vpid_cap &= ~ept_clear;
	assert_int_equal(vmx_caps_decode(&raw, &c), 0);
	return c;
}

static u64 all8(u8 t)
{
	return 0x0101010101010101ULL * t;
}

static void set_var(struct mtrr_raw *r, unsigned i, u64 base, u64 size, u8 type)
{
	r->var[i].base = base | type;
	r->var[i].mask = (~(size - 1) & (BIT(48) - 1) & MTRR_ADDR_MASK) | MTRR_PHYSMASK_VALID;
}

/* Firmware-like MTRRs: low 640K WB, VGA UC, option ROMs/BIOS WP, default WB,
 * PCI hole [3G, 4G) UC, WT at [5G, 5G+256M), UC at [6G, 6G+2M). */
static struct mtrr_state mtrrs(void)
{
	struct mtrr_raw r = { 0 };
	struct mtrr_state st;

	r.cap = MTRRCAP_FIX | 8;
	r.def_type = MTRR_DEF_E | MTRR_DEF_FE | MTRR_TYPE_WB;
	r.fixed[0] = r.fixed[1] = all8(MTRR_TYPE_WB);
	r.fixed[2] = all8(MTRR_TYPE_UC);
	for (int i = 3; i < 11; i++)
		r.fixed[i] = all8(MTRR_TYPE_WP);
	set_var(&r, 0, GiB(3), GiB(1), MTRR_TYPE_UC);
	set_var(&r, 1, GiB(5), MiB(256), MTRR_TYPE_WT);
	set_var(&r, 2, GiB(6), MiB(2), MTRR_TYPE_UC);
	assert_int_equal(mtrr_decode(&r, 48, &st), 0);
	return st;
}

/* ---- reference model ----------------------------------------------------------- */

static bool in_hole(const struct ept_build_cfg *cfg, paddr_t hpa)
{
	for (size_t i = 0; i < cfg->nholes; i++) {
		paddr_t hs = ALIGN_DOWN(cfg->holes[i].hpa, PAGE_SIZE);
		paddr_t he = ALIGN_UP(cfg->holes[i].hpa + cfg->holes[i].size, PAGE_SIZE);
		if (hpa >= hs && hpa < he)
			return true;
	}
	return false;
}

static struct walk model(const struct ept_build_cfg *cfg, const struct ept_region *r, size_t n,
			 u64 gpa)
{
	struct walk w = { 0 };

	for (size_t i = n; i-- > 0;) {
		if (gpa < r[i].gpa || gpa >= r[i].gpa + r[i].size)
			continue;
		paddr_t hpa = r[i].hpa + (gpa - r[i].gpa);
		if (in_hole(cfg, hpa))
			return w;
		w.present = true;
		w.hpa = hpa;
		w.perms = r[i].perms;
		w.memtype = r[i].memtype == EPT_MT_FROM_MTRR ? mtrr_type(cfg->mtrr, hpa)
							     : r[i].memtype;
		w.ipat = cfg->ignore_pat;
		return w;
	}
	return w;
}

/* Compare every 4 KiB page of [start, end) with the model. */
static void check_all(paddr_t root, const struct ept_build_cfg *cfg, const struct ept_region *r,
		      size_t n, u64 start, u64 end)
{
	for (u64 gpa = start; gpa < end; gpa += PAGE_SIZE) {
		struct walk got = ept_walk(root, gpa), want = model(cfg, r, n, gpa);
		if (got.present != want.present || got.hpa != want.hpa || got.perms != want.perms ||
		    got.memtype != want.memtype || got.ipat != want.ipat)
			fail_msg("gpa %#llx: got present %d hpa %#llx perms %u type %u ipat %d, "
				 "want %d %#llx %u %u %d",
				 gpa, got.present, got.hpa,
				 got.perms, got.memtype, got.ipat, want.present,
				 want.hpa, want.perms, want.memtype, want.ipat);
	}
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_format(void **state)
{
	u64 a = ept_attrs(EPT_RWX, MTRR_TYPE_WB, false);

	assert_int_equal(a, 0x37);
	assert_int_equal(ept_fmt.leaf_entry(0x1000, 0, a), 0x1037);
	assert_int_equal(ept_fmt.leaf_entry(MiB(2), 1, a), MiB(2) | 0x37 | EPT_LARGE);
	assert_int_equal(ept_fmt.leaf_entry(GiB(1), 2, ept_attrs(EPT_READ, MTRR_TYPE_UC, true)),
			 GiB(1) | EPT_READ | EPT_IGNORE_PAT | EPT_LARGE);
	assert_int_equal(ept_fmt.table_entry(0x5000), 0x5007);
	assert_false(ept_fmt.canonical);
	assert_false(ept_fmt.present(0));
	assert_false(ept_fmt.present(0x1030));		/* type without permissions */
	assert_true(ept_fmt.present(0x1004));		/* execute-only is present */
	assert_false(ept_fmt.is_large(0x1080, 0));	/* bit 7 ignored in PTEs */
	assert_true(ept_fmt.is_large(0x200080 | 7, 1));
	/* CPU-set A/D bits and ignored high bits don't leak into the address */
	u64 e = MiB(4) | EPT_LARGE | EPT_ACCESSED | EPT_DIRTY | 0x37;
	assert_int_equal(ept_fmt.addr(e, 1), MiB(4));
	assert_int_equal(ept_fmt.attrs(e, 1), 0x37 | EPT_ACCESSED | EPT_DIRTY);
	/* a table entry at level 2 keeps bits 29:12, a 1 GiB leaf does not */
	assert_int_equal(ept_fmt.addr(0x7000000abc007ULL, 2), 0x7000000abc000ULL);
	assert_int_equal(ept_fmt.addr(0x7000000abc007ULL | EPT_LARGE, 2), 0x7000000000000ULL);
	assert_int_equal(ept_fmt.addr(0x0000123456789007ULL, 3), 0x0000123456789000ULL);
	/* leaf_entry drops stray bits from attrs and the address */
	assert_int_equal(ept_fmt.leaf_entry(MiB(2) + 0x1000, 1, a | EPT_LARGE | BIT(52)),
			 MiB(2) | 0x37 | EPT_LARGE);
}

static void test_eptp(void **state)
{
	struct vmx_caps c = caps_with(0);
	u64 eptp = 0;

	assert_int_equal(ept_make_eptp(&c, 0x1234000, false, &eptp), 0);
	assert_int_equal(eptp, 0x1234000 | 6 | (3 << 3));
	assert_int_equal(ept_make_eptp(&c, 0x1234000, true, &eptp), 0);
	assert_int_equal(eptp, 0x1234000 | 6 | (3 << 3) | EPTP_AD_ENABLE);

	/* nested KVM: WB only -> still WB */
	c = caps_with(VMX_EPT_MEMTYPE_UC);
	assert_int_equal(ept_make_eptp(&c, 0x1234000, false, &eptp), 0);
	assert_int_equal(eptp & EPTP_MEMTYPE_MASK, MTRR_TYPE_WB);

	/* UC only: UC paging structures */
	c = caps_with(VMX_EPT_MEMTYPE_WB);
	assert_int_equal(ept_make_eptp(&c, 0x1234000, false, &eptp), 0);
	assert_int_equal(eptp & EPTP_MEMTYPE_MASK, MTRR_TYPE_UC);

	/* no A/D: bit 6 stays clear even when asked */
	c = caps_with(VMX_EPT_AD);
	assert_int_equal(ept_make_eptp(&c, 0x1234000, true, &eptp), 0);
	assert_false(eptp & EPTP_AD_ENABLE);

	c = caps_with(VMX_EPT_MEMTYPE_WB | VMX_EPT_MEMTYPE_UC);
	log_capture_reset();
	assert_int_equal(ept_make_eptp(&c, 0x1234000, false, &eptp), -EOPNOTSUPP);
	assert_true(log_capture_contains("bits 8 and 14 are 0"));
	c = caps_with(VMX_EPT_PAGE_WALK_4);
	assert_int_equal(ept_make_eptp(&c, 0x1234000, false, &eptp), -EOPNOTSUPP);
	c = caps_with(0);
	assert_int_equal(ept_make_eptp(&c, 0x1234800, false, &eptp), -EINVAL);
}

/* A guest layout as uhv builds it: RAM identity-mapped with the MTRR types,
 * legacy VGA/ROM overridden, an IOAPIC page, RAM above 4 GiB across MTRR
 * type changes, one non-identity region, and the hypervisor's memory (image
 * with a partial last page, allocation pool, table arena) as holes. */
static const struct ept_hole holes[] = {
	{ MiB(16), MiB(6) + 0x800 },		/* image; last page only partly used */
	{ 0x3f000000, MiB(16) },		/* pool at the end of the first GiB */
	{ GiB(2) + MiB(3), PAGE_SIZE },		/* one page inside a 1 GiB area */
	{ ARENA_PA, ARENA_PAGES * PAGE_SIZE },	/* the EPT's own tables */
};

static const struct ept_region layout[] = {
	{ 0, 0, GiB(3), EPT_RWX, EPT_MT_FROM_MTRR },
	{ 0xa0000, 0xa0000, 0x20000, EPT_READ | EPT_WRITE, MTRR_TYPE_UC },	/* VGA */
	{ 0xc0000, 0xc0000, 0x40000, EPT_READ | EPT_EXEC, EPT_MT_FROM_MTRR },	/* ROMs */
	{ 0xfec00000, 0xfec00000, PAGE_SIZE, EPT_READ | EPT_WRITE, MTRR_TYPE_UC }, /* IOAPIC */
	{ GiB(4), GiB(4), GiB(3), EPT_RWX, EPT_MT_FROM_MTRR },
	{ GiB(8), GiB(12), MiB(2) + PAGE_SIZE, EPT_READ | EPT_WRITE, MTRR_TYPE_WB },
	{ GiB(9), GiB(9), MiB(4), EPT_EXEC, MTRR_TYPE_WB },			/* execute-only */
};

static void test_guest_layout(void **state)
{
	struct vmx_caps c = caps_with(0);
	struct mtrr_state st = mtrrs();
	struct ept_build_cfg cfg = { .caps = &c, .mtrr = &st, .holes = holes,
				     .nholes = ARRAY_SIZE(holes) };
	struct ptab pt;

	arena_reset(arena);
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, layout, ARRAY_SIZE(layout)), 0);
	assert_int_equal(pt.levels, 4);
	assert_int_equal(pt.max_leaf_level, 2);

	/* every page from 0 to 10 GiB against the model */
	check_all(pt.root, &cfg, layout, ARRAY_SIZE(layout), 0, GiB(10));

	/* the holes are unmapped, including the partly used page */
	assert_false(ept_walk(pt.root, MiB(16)).present);
	assert_false(ept_walk(pt.root, MiB(22)).present);
	assert_true(ept_walk(pt.root, MiB(22) + PAGE_SIZE).present);
	assert_true(ept_walk(pt.root, MiB(16) - PAGE_SIZE).present);
	assert_false(ept_walk(pt.root, 0x3f800000).present);
	assert_false(ept_walk(pt.root, GiB(2) + MiB(3)).present);
	assert_true(ept_walk(pt.root, GiB(2) + MiB(3) + PAGE_SIZE).present);
	assert_false(ept_walk(pt.root, GiB(3)).present);	/* PCI hole: not listed */
	assert_false(ept_walk(pt.root, 0xfee00000).present);	/* LAPIC: not listed */
	/* the host page of the remapped region is not identity-mapped */
	assert_false(ept_walk(pt.root, GiB(12)).present);

	/* memory types */
	assert_int_equal(ept_walk(pt.root, 0x1000).memtype, MTRR_TYPE_WB);
	assert_int_equal(ept_walk(pt.root, 0xb8000).memtype, MTRR_TYPE_UC);
	assert_int_equal(ept_walk(pt.root, 0xf0000).memtype, MTRR_TYPE_WP);
	assert_int_equal(ept_walk(pt.root, 0xf0000).perms, EPT_READ | EPT_EXEC);
	assert_int_equal(ept_walk(pt.root, 0xb8000).perms, EPT_READ | EPT_WRITE);
	assert_int_equal(ept_walk(pt.root, 0xfec00000).memtype, MTRR_TYPE_UC);
	assert_int_equal(ept_walk(pt.root, GiB(5)).memtype, MTRR_TYPE_WT);
	assert_int_equal(ept_walk(pt.root, GiB(6)).memtype, MTRR_TYPE_UC);
	assert_int_equal(ept_walk(pt.root, GiB(6) + MiB(2)).memtype, MTRR_TYPE_WB);
	assert_int_equal(ept_walk(pt.root, GiB(9)).perms, EPT_EXEC);

	/* largest leaves that fit the alignment, the holes and the MTRR types */
	static const struct { u64 gpa; unsigned level; } leaves[] = {
		{ 0, 0 },			/* fixed MTRR ranges below 1 MiB */
		{ MiB(1), 0 },			/* [1M, 2M) not 2M aligned */
		{ MiB(2), 1 },
		{ MiB(14), 1 },
		{ MiB(22) + PAGE_SIZE, 0 },	/* after the image's partial page */
		{ MiB(24), 1 },
		{ 0x3e000000, 1 },		/* just before the pool */
		{ GiB(1), 2 },
		{ GiB(2), 1 },			/* 1 GiB broken by the one-page hole */
		{ GiB(2) + MiB(2), 0 },
		{ GiB(2) + MiB(4), 1 },
		{ GiB(4), 2 },			/* [4G, 5G) WB */
		{ GiB(5), 1 },			/* WT run of 256 MiB */
		{ GiB(5) + MiB(256), 1 },
		{ GiB(6), 1 },			/* 2 MiB UC */
		{ GiB(6) + MiB(2), 1 },
		{ GiB(8), 1 },			/* remapped: hpa 12G is 2M aligned too */
		{ GiB(8) + MiB(2), 0 },
		{ GiB(9), 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		struct walk w = ept_walk(pt.root, leaves[i].gpa);
		assert_true(w.present);
		if (w.level != leaves[i].level)
			fail_msg("gpa %#llx: leaf level %u, want %u",
				 leaves[i].gpa, w.level, leaves[i].level);
	}
	/* ptab agrees with the raw walk */
	paddr_t pa;
	u64 attrs;
	unsigned level;
	assert_int_equal(ptab_lookup(&pt, GiB(8) + 0x1234000 - 0x1234000 + 0x5000, &pa, &attrs,
				     &level), 0);
	assert_int_equal(pa, GiB(12) + 0x5000);
	assert_int_equal(attrs & EPT_MT_MASK, EPT_MT(MTRR_TYPE_WB));
	/* a handful of tables, not thousands */
	assert_true(ptab_table_count(&pt) < 40);
	assert_int_equal(ptab_table_count(&pt), arena->in_use);
}

static void test_ignore_pat_and_4k_only(void **state)
{
	struct vmx_caps c = caps_with(VMX_EPT_PDE_2M | VMX_EPT_PDPTE_1G);
	struct mtrr_state st = mtrrs();
	struct ept_build_cfg cfg = { .caps = &c, .mtrr = &st, .holes = holes, .nholes = 1,
				     .ignore_pat = true };
	static const struct ept_region small[] = {
		{ 0, 0, MiB(32), EPT_RWX, EPT_MT_FROM_MTRR },
		{ MiB(32), MiB(32), MiB(4), EPT_READ | EPT_WRITE, MTRR_TYPE_UC },
	};
	struct ptab pt;

	arena_reset(arena);
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, small, 2), 0);
	assert_int_equal(pt.max_leaf_level, 0);
	check_all(pt.root, &cfg, small, 2, 0, MiB(40));
	assert_int_equal(ept_walk(pt.root, MiB(4)).level, 0);
	assert_true(ept_walk(pt.root, MiB(4)).ipat);
	assert_true(ept_walk(pt.root, MiB(33)).ipat);

	/* 2M but no 1G */
	c = caps_with(VMX_EPT_PDPTE_1G);
	static const struct ept_region big[] = { { 0, 0, GiB(2), EPT_RWX, MTRR_TYPE_WB } };
	cfg.ignore_pat = false;
	cfg.nholes = 0;
	arena_reset(arena);
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, big, 1), 0);
	assert_int_equal(ept_walk(pt.root, GiB(1)).level, 1);
	check_all(pt.root, &cfg, big, 1, GiB(1) - MiB(8), GiB(1) + MiB(8));
}

static void test_bad_regions(void **state)
{
	struct vmx_caps c = caps_with(0);
	struct ept_build_cfg cfg = { .caps = &c };
	struct ptab pt;
	static const struct {
		struct ept_region r;
		int err;
		const char *msg;
	} bad[] = {
		{ { 0, 0, MiB(1), EPT_WRITE, MTRR_TYPE_WB }, -EINVAL, "writable but not readable" },
		{ { 0, 0, MiB(1), EPT_WRITE | EPT_EXEC, MTRR_TYPE_WB }, -EINVAL, "not readable" },
		{ { 0, 0, MiB(1), 0, MTRR_TYPE_WB }, -EINVAL, "no permissions" },
		{ { 0, 0, MiB(1), EPT_RWX | 8, MTRR_TYPE_WB }, -EINVAL, "unknown permission" },
		{ { 0, 0, MiB(1), EPT_RWX, 2 }, -EINVAL, "reserved memory type" },
		{ { 0, 0, MiB(1), EPT_RWX, 7 }, -EINVAL, "reserved memory type" },
		{ { 0, 0, MiB(1), EPT_RWX, EPT_MT_FROM_MTRR }, -EINVAL, "no MTRR state" },
		{ { 0x800, 0, MiB(1), EPT_RWX, MTRR_TYPE_WB }, -EINVAL, "aligned" },
		{ { 0, 0, 0, EPT_RWX, MTRR_TYPE_WB }, -EINVAL, "empty" },
		{ { BIT(48) - MiB(1), 0, MiB(2), EPT_RWX, MTRR_TYPE_WB }, -EINVAL, "48-bit" },
		{ { 0, BIT(52) - MiB(1), MiB(2), EPT_RWX, MTRR_TYPE_WB }, -EINVAL, "52-bit" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		log_capture_reset();
		arena_reset(arena);
		assert_int_equal(ept_build(&pt, &arena->mem, &cfg, &bad[i].r, 1), bad[i].err);
		assert_true(log_capture_contains(bad[i].msg));
		assert_int_equal(arena->in_use, 0);	/* checked before anything is built */
	}

	/* execute-only needs IA32_VMX_EPT_VPID_CAP bit 0 */
	c = caps_with(VMX_EPT_EXECUTE_ONLY);
	static const struct ept_region xo = { 0, 0, MiB(1), EPT_EXEC, MTRR_TYPE_WB };
	log_capture_reset();
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, &xo, 1), -EOPNOTSUPP);
	assert_true(log_capture_contains("execute-only"));

	/* WC leaves are fine even though the EPTP can only be UC/WB */
	c = caps_with(VMX_EPT_MEMTYPE_UC);
	static const struct ept_region wc = { GiB(1), GiB(1), MiB(8), EPT_READ | EPT_WRITE,
					      MTRR_TYPE_WC };
	arena_reset(arena);
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, &wc, 1), 0);
	assert_int_equal(ept_walk(pt.root, GiB(1) + MiB(3)).memtype, MTRR_TYPE_WC);
}

static void test_out_of_memory(void **state)
{
	struct vmx_caps c = caps_with(VMX_EPT_PDE_2M | VMX_EPT_PDPTE_1G);
	struct ept_build_cfg cfg = { .caps = &c };
	/* 4 KiB leaves over 8 GiB need ~4k tables: more than the arena has */
	static const struct ept_region huge = { 0, 0, GiB(8), EPT_RWX, MTRR_TYPE_WB };
	struct ptab pt;

	arena_reset(arena);
	log_capture_reset();
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, &huge, 1), -ENOMEM);
	assert_true(log_capture_contains("ENOMEM"));
}

static void test_hole_replaces_earlier_region(void **state)
{
	struct vmx_caps c = caps_with(0);
	struct ept_build_cfg cfg = { .caps = &c, .holes = holes, .nholes = 1 };
	/* the second region points guest [64M, 96M) at host memory that
	 * contains the image hole: those guest pages must end up unmapped
	 * even though the first region mapped them */
	static const struct ept_region r[] = {
		{ 0, 0, MiB(128), EPT_RWX, MTRR_TYPE_WB },
		{ MiB(64), MiB(8), MiB(32), EPT_READ, MTRR_TYPE_WB },
	};
	struct ptab pt;

	arena_reset(arena);
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, r, 2), 0);
	check_all(pt.root, &cfg, r, 2, 0, MiB(130));
	assert_false(ept_walk(pt.root, MiB(64) + MiB(8)).present);	/* host 16M */
	assert_int_equal(ept_walk(pt.root, MiB(64)).hpa, MiB(8));
	assert_int_equal(ept_walk(pt.root, MiB(64)).perms, EPT_READ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_eptp),
		cmocka_unit_test(test_guest_layout),
		cmocka_unit_test(test_ignore_pat_and_4k_only),
		cmocka_unit_test(test_bad_regions),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_hole_replaces_earlier_region),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
