// UNIT-SOURCES: mm/ptab.c mm/ptab_x86.c
/* Host tests for the generic radix table builder: a page arena stands in for
 * physical memory (fake physical addresses, p2v = arena arithmetic) and a
 * trivial entry format makes tables and leaves easy to tell apart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/ptab.h>
#include <uhv/ptab_x86.h>
#include <uhv/errno.h>
#include "arena.h"

/* ---- test memory ------------------------------------------------------------ */

#define ARENA_PA 0x7000000000ULL	/* fake physical base, far from any pointer */

/* ---- test format -------------------------------------------------------------- */

#define TF_P		0x001ULL
#define TF_LARGE	0x080ULL
#define TF_TABLE	0x100ULL	/* marks table entries so a mix-up is visible */
#define TF_ATTRS	0x07eULL
#define TF_ADDR		0x000ffffffffff000ULL

static bool fmt_bad;	/* set when the builder hands the format something wrong */

static u64 tf_table(paddr_t t)
{
	if (t & ~TF_ADDR)
		fmt_bad = true;
	return t | TF_P | TF_TABLE;
}

static u64 tf_leaf(paddr_t pa, unsigned level, u64 attrs)
{
	if (level > 2 || (pa & ((1ULL << (12 + 9 * level)) - 1)) || (attrs & ~TF_ATTRS))
		fmt_bad = true;
	return pa | TF_P | (level ? TF_LARGE : 0) | attrs;
}

static bool tf_present(u64 e) { return e & TF_P; }
static bool tf_is_large(u64 e, unsigned level) { return e & TF_LARGE; }
static paddr_t tf_addr(u64 e, unsigned level)
{
	/* like x86: a large leaf's low address bits are not address */
	return e & TF_ADDR & ((e & TF_LARGE) ? ~((1ULL << (12 + 9 * level)) - 1) : ~0ULL);
}
static u64 tf_attrs(u64 e, unsigned level) { return e & TF_ATTRS; }

static const struct ptab_fmt tfmt = {
	.name = "test", .table_entry = tf_table, .leaf_entry = tf_leaf, .present = tf_present,
	.is_large = tf_is_large, .addr = tf_addr, .attrs = tf_attrs,
};

static const struct ptab_fmt tfmt_canon = {
	.name = "test-canonical", .canonical = true, .table_entry = tf_table,
	.leaf_entry = tf_leaf, .present = tf_present, .is_large = tf_is_large, .addr = tf_addr,
	.attrs = tf_attrs,
};

struct env {
	struct arena *a;
	struct ptab_mem mem;
	struct ptab pt;
};

static struct env *env_new(size_t pages, unsigned levels, unsigned max_leaf, bool canonical,
			   bool with_free)
{
	struct env *e = calloc(1, sizeof(*e));

	e->a = arena_new(ARENA_PA, pages, (with_free ? ARENA_FREE : 0) | ARENA_SYNC |
			 ARENA_ZERO_FREE);	/* the sync check compares pages */
	e->mem = e->a->mem;
	fmt_bad = false;
	assert_int_equal(ptab_init(&e->pt, canonical ? &tfmt_canon : &tfmt, &e->mem, levels,
				   max_leaf), 0);
	return e;
}

static void env_del(struct env *e)
{
	assert_false(fmt_bad);
	arena_del(e->a);
	free(e);
}

/* ---- leaf collection ---------------------------------------------------------- */

struct leaf {
	u64 va;
	paddr_t pa;
	u64 size, attrs;
	unsigned level;
};

struct leaves {
	struct leaf *v;
	size_t n, cap;
};

static int collect(void *ctx, u64 va, paddr_t pa, u64 size, u64 attrs, unsigned level)
{
	struct leaves *l = ctx;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct leaf){ va, pa, size, attrs, level };
	return 0;
}

static struct leaves walk(const struct ptab *pt)
{
	struct leaves l = { 0 };

	assert_int_equal(ptab_for_each(pt, collect, &l), 0);
	for (size_t i = 1; i < l.n; i++)
		assert_true(l.v[i].va >= l.v[i - 1].va + l.v[i - 1].size);	/* ascending */
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].size, 1ULL << (12 + 9 * l.v[i].level));
		assert_true(l.v[i].level <= pt->max_leaf_level);
		assert_int_equal(l.v[i].va & (l.v[i].size - 1), 0);
		assert_int_equal(l.v[i].pa & (l.v[i].size - 1), 0);
	}
	return l;
}

static size_t count_level(const struct leaves *l, unsigned level)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].level == level;
	return n;
}

static void expect_lookup(const struct ptab *pt, u64 va, paddr_t pa, u64 attrs, unsigned level)
{
	paddr_t got_pa;
	u64 got_attrs;
	unsigned got_level;

	assert_int_equal(ptab_lookup(pt, va, &got_pa, &got_attrs, &got_level), 0);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_attrs, attrs);
	assert_int_equal(got_level, level);
}

static void expect_unmapped(const struct ptab *pt, u64 va)
{
	assert_int_equal(ptab_lookup(pt, va, NULL, NULL, NULL), -ENOENT);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_init(void **state)
{
	struct env *e = env_new(16, 4, 2, false, true);
	struct ptab pt;
	struct arena *a = arena_new(ARENA_PA, 1, 0);

	assert_int_equal(ptab_table_count(&e->pt), 1);
	assert_int_equal(e->a->in_use, 1);
	expect_unmapped(&e->pt, 0);
	assert_int_equal(ptab_init(&pt, &tfmt, &e->mem, 2, 0), -EINVAL);
	assert_int_equal(ptab_init(&pt, &tfmt, &e->mem, 6, 0), -EINVAL);
	assert_int_equal(ptab_init(&pt, &tfmt, &e->mem, 4, 3), -EINVAL);
	a->limit = 0;
	assert_int_equal(ptab_init(&pt, &tfmt, &a->mem, 4, 2), -ENOMEM);
	arena_del(a);
	env_del(e);
}

static void test_largest_leaves(void **state)
{
	struct env *e = env_new(64, 4, 2, false, true);
	struct leaves l;

	/* 4K + 2M + 1G + 1G + 2M + 4K around the 1 GiB boundaries */
	u64 va = GiB(1) - MiB(2) - KiB(4), size = GiB(2) + 2 * MiB(2) + 2 * KiB(4);
	assert_int_equal(ptab_map(&e->pt, va, va + GiB(4), size, 0x2), 0);
	l = walk(&e->pt);
	assert_int_equal(l.n, 6);
	assert_int_equal(count_level(&l, 2), 2);
	assert_int_equal(count_level(&l, 1), 2);
	assert_int_equal(count_level(&l, 0), 2);
	assert_int_equal(l.v[0].va, va);
	assert_int_equal(l.v[2].va, GiB(1));
	assert_int_equal(l.v[2].pa, GiB(5));
	expect_lookup(&e->pt, GiB(2) + 0x1234000, GiB(6) + 0x1234000, 0x2, 2);
	/* root + 1 level-2 table + 2 level-1 tables (one per edge) + 2 level-0 tables */
	assert_int_equal(ptab_table_count(&e->pt), 6);
	assert_int_equal(ptab_table_count(&e->pt), e->a->in_use);
	free(l.v);

	/* va and pa aligned differently: only 2M leaves fit */
	assert_int_equal(ptab_map(&e->pt, GiB(8), GiB(16) + MiB(2), GiB(1), 0x4), 0);
	l = walk(&e->pt);
	assert_int_equal(l.n, 6 + 512);
	free(l.v);
	/* pa only 4K aligned relative to va: only 4K leaves */
	assert_int_equal(ptab_map(&e->pt, GiB(16), GiB(16) + KiB(4), MiB(4), 0x4), 0);
	l = walk(&e->pt);
	assert_int_equal(l.n, 6 + 512 + 1024);
	free(l.v);
	env_del(e);

	/* max_leaf_level 1: a 1G-aligned GiB becomes 512 2M leaves, no 1G */
	e = env_new(16, 4, 1, false, true);
	assert_int_equal(ptab_map(&e->pt, 0, 0, GiB(1), 0), 0);
	l = walk(&e->pt);
	assert_int_equal(l.n, 512);
	assert_int_equal(count_level(&l, 1), 512);
	free(l.v);
	env_del(e);

	/* max_leaf_level 0: only 4K */
	e = env_new(16, 4, 0, false, true);
	assert_int_equal(ptab_map(&e->pt, 0, 0, MiB(2), 0), 0);
	l = walk(&e->pt);
	assert_int_equal(count_level(&l, 0), 512);
	assert_int_equal(l.n, 512);
	free(l.v);
	env_del(e);
}

static void test_split_on_remap(void **state)
{
	struct env *e = env_new(16, 4, 2, false, true);
	struct leaves l;

	assert_int_equal(ptab_map(&e->pt, GiB(1), GiB(3), GiB(1), 0x6), 0);
	assert_int_equal(ptab_table_count(&e->pt), 2);
	/* remap one 4K page in the third 2M of the 1G leaf */
	assert_int_equal(ptab_map(&e->pt, GiB(1) + MiB(4), 0x5000, KiB(4), 0x8), 0);
	expect_lookup(&e->pt, GiB(1) + MiB(4), 0x5000, 0x8, 0);
	expect_lookup(&e->pt, GiB(1) + MiB(4) + KiB(4), GiB(3) + MiB(4) + KiB(4), 0x6, 0);
	expect_lookup(&e->pt, GiB(1), GiB(3), 0x6, 1);
	expect_lookup(&e->pt, GiB(2) - KiB(4), GiB(4) - KiB(4), 0x6, 1);
	l = walk(&e->pt);
	assert_int_equal(l.n, 511 + 512);
	assert_int_equal(count_level(&l, 1), 511);
	/* coverage: the whole GiB, each page where it was plus the one remapped */
	u64 covered = 0;
	for (size_t i = 0; i < l.n; i++) {
		covered += l.v[i].size;
		if (l.v[i].va == GiB(1) + MiB(4))
			assert_int_equal(l.v[i].pa, 0x5000);
		else
			assert_int_equal(l.v[i].pa, l.v[i].va + GiB(2));
	}
	assert_int_equal(covered, GiB(1));
	free(l.v);
	assert_int_equal(ptab_table_count(&e->pt), 4);

	/* mapping the whole GiB again merges back to one 1G leaf, tables freed */
	assert_int_equal(ptab_map(&e->pt, GiB(1), GiB(3), GiB(1), 0x6), 0);
	l = walk(&e->pt);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].level, 2);
	free(l.v);
	assert_int_equal(ptab_table_count(&e->pt), 2);
	assert_int_equal(e->a->in_use, 2);
	env_del(e);
}

static void test_unmap_edges_of_1g(void **state)
{
	struct env *e = env_new(16, 4, 2, false, true);
	struct leaves l;

	assert_int_equal(ptab_map(&e->pt, 0, GiB(7), GiB(1), 0x2), 0);
	assert_int_equal(ptab_unmap(&e->pt, 0, KiB(4)), 0);
	assert_int_equal(ptab_unmap(&e->pt, GiB(1) - KiB(4), KiB(4)), 0);
	expect_unmapped(&e->pt, 0);
	expect_unmapped(&e->pt, GiB(1) - KiB(4));
	expect_lookup(&e->pt, KiB(4), GiB(7) + KiB(4), 0x2, 0);
	expect_lookup(&e->pt, GiB(1) - KiB(8), GiB(8) - KiB(8), 0x2, 0);
	expect_lookup(&e->pt, MiB(2), GiB(7) + MiB(2), 0x2, 1);
	l = walk(&e->pt);
	assert_int_equal(count_level(&l, 0), 2 * 511);
	assert_int_equal(count_level(&l, 1), 510);
	u64 covered = 0;
	for (size_t i = 0; i < l.n; i++) {
		covered += l.v[i].size;
		assert_int_equal(l.v[i].pa, l.v[i].va + GiB(7));
	}
	assert_int_equal(covered, GiB(1) - KiB(8));
	free(l.v);

	/* unmap across the 2M edge: frees the first level-0 table */
	assert_int_equal(ptab_unmap(&e->pt, KiB(4), MiB(2)), 0);
	expect_unmapped(&e->pt, MiB(2));
	expect_lookup(&e->pt, MiB(2) + KiB(4), GiB(7) + MiB(2) + KiB(4), 0x2, 0);
	/* unmap everything: back to the root alone */
	assert_int_equal(ptab_unmap(&e->pt, 0, GiB(1)), 0);
	l = walk(&e->pt);
	assert_int_equal(l.n, 0);
	free(l.v);
	assert_int_equal(ptab_table_count(&e->pt), 1);
	assert_int_equal(e->a->in_use, 1);
	/* unmapping nothing is fine */
	assert_int_equal(ptab_unmap(&e->pt, GiB(100), GiB(1)), 0);
	env_del(e);
}

static void test_free_emptied_tables(void **state)
{
	struct env *e = env_new(16, 4, 2, false, true);

	assert_int_equal(ptab_map(&e->pt, GiB(300), 0x1000, KiB(4), 0), 0);
	assert_int_equal(ptab_table_count(&e->pt), 4);
	assert_int_equal(ptab_unmap(&e->pt, GiB(300), KiB(4)), 0);
	assert_int_equal(ptab_table_count(&e->pt), 1);
	assert_int_equal(e->a->in_use, 1);
	env_del(e);

	/* without free_table the tables stay (and nothing is leaked silently) */
	e = env_new(16, 4, 2, false, false);
	assert_int_equal(ptab_map(&e->pt, GiB(300), 0x1000, KiB(4), 0), 0);
	assert_int_equal(ptab_unmap(&e->pt, GiB(300), KiB(4)), 0);
	expect_unmapped(&e->pt, GiB(300));
	assert_int_equal(ptab_table_count(&e->pt), 4);
	env_del(e);
}

static void test_misaligned_and_range(void **state)
{
	struct env *e = env_new(16, 4, 2, false, true);

	assert_int_equal(ptab_map(&e->pt, 0x800, 0, KiB(4), 0), -EINVAL);
	assert_int_equal(ptab_map(&e->pt, 0, 0x800, KiB(4), 0), -EINVAL);
	assert_int_equal(ptab_map(&e->pt, 0, 0, 0x1800, 0), -EINVAL);
	assert_int_equal(ptab_unmap(&e->pt, 0x10, KiB(4)), -EINVAL);
	assert_int_equal(ptab_unmap(&e->pt, 0, 0x10), -EINVAL);
	/* beyond 48 bits, or running past the end */
	assert_int_equal(ptab_map(&e->pt, 1ULL << 48, 0, KiB(4), 0), -EINVAL);
	assert_int_equal(ptab_map(&e->pt, (1ULL << 48) - KiB(4), 0, KiB(8), 0), -EINVAL);
	assert_int_equal(ptab_map(&e->pt, 0, ~0ULL - KiB(4) + 1, KiB(8), 0), -EINVAL);
	assert_int_equal(ptab_lookup(&e->pt, 1ULL << 48, NULL, NULL, NULL), -EINVAL);
	/* nothing was created */
	assert_int_equal(ptab_table_count(&e->pt), 1);
	assert_int_equal(e->a->in_use, 1);
	/* the very last page works */
	assert_int_equal(ptab_map(&e->pt, (1ULL << 48) - KiB(4), 0x3000, KiB(4), 0), 0);
	expect_lookup(&e->pt, (1ULL << 48) - 1, 0x3fff, 0, 0);
	assert_int_equal(ptab_map(&e->pt, 0, 0, 0, 0), 0);
	env_del(e);
}

static void test_canonical(void **state)
{
	struct env *e = env_new(16, 4, 2, true, true);
	struct leaves l;
	u64 kva = 0xffffffff80000000ULL;

	assert_int_equal(ptab_map(&e->pt, kva, MiB(16), MiB(4), 0x2), 0);
	assert_int_equal(ptab_map(&e->pt, 0x1000, 0x1000, KiB(4), 0x4), 0);
	assert_int_equal(ptab_map(&e->pt, 0xffff800000000000ULL, 0, MiB(2), 0x6), 0);
	expect_lookup(&e->pt, kva + MiB(2) + 0x10, MiB(18) + 0x10, 0x2, 1);
	l = walk(&e->pt);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[0].va, 0x1000);
	assert_int_equal(l.v[1].va, 0xffff800000000000ULL);
	assert_int_equal(l.v[2].va, kva);
	assert_int_equal(l.v[3].va, kva + MiB(2));
	free(l.v);
	/* non-canonical, and a low-half range running into the hole */
	assert_int_equal(ptab_map(&e->pt, 0x0000800000000000ULL, 0, KiB(4), 0), -EINVAL);
	assert_int_equal(ptab_map(&e->pt, 0xfff0000000000000ULL, 0, KiB(4), 0), -EINVAL);
	assert_int_equal(ptab_map(&e->pt, 0x00007ffffffff000ULL, 0, KiB(8), 0), -EINVAL);
	assert_int_equal(ptab_lookup(&e->pt, 0x0000800000000000ULL, NULL, NULL, NULL), -EINVAL);
	/* the last page of the upper half */
	assert_int_equal(ptab_map(&e->pt, ~0ULL - KiB(4) + 1, 0x9000, KiB(4), 0), 0);
	expect_lookup(&e->pt, ~0ULL, 0x9fff, 0, 0);
	env_del(e);
}

static void test_3_and_5_levels(void **state)
{
	struct env *e = env_new(16, 3, 2, false, true);
	struct leaves l;

	assert_int_equal(ptab_map(&e->pt, GiB(511), 0, GiB(1), 0), 0);
	assert_int_equal(ptab_table_count(&e->pt), 1);	/* a 1G leaf in the root */
	expect_lookup(&e->pt, GiB(511) + 5, 5, 0, 2);
	assert_int_equal(ptab_map(&e->pt, GiB(512), 0, KiB(4), 0), -EINVAL);
	assert_int_equal(ptab_unmap(&e->pt, GiB(511) + MiB(2), KiB(4)), 0);
	assert_int_equal(ptab_table_count(&e->pt), 3);
	env_del(e);

	e = env_new(16, 5, 2, false, true);
	u64 va = (1ULL << 56) + GiB(3);
	assert_int_equal(ptab_map(&e->pt, va, MiB(2), MiB(2) + KiB(4), 0x2), 0);
	expect_lookup(&e->pt, va + MiB(2), MiB(4), 0x2, 0);
	assert_int_equal(ptab_table_count(&e->pt), 5);
	l = walk(&e->pt);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].va, va);
	free(l.v);
	assert_int_equal(ptab_map(&e->pt, 1ULL << 57, 0, KiB(4), 0), -EINVAL);
	env_del(e);
}

static void test_out_of_memory(void **state)
{
	struct env *e = env_new(64, 4, 2, false, true);
	struct leaves before, after;

	/* a split under memory pressure changes nothing */
	assert_int_equal(ptab_map(&e->pt, 0, GiB(2), GiB(1), 0x2), 0);
	e->a->limit = e->a->in_use;
	assert_int_equal(ptab_unmap(&e->pt, MiB(2), KiB(4)), -ENOMEM);
	assert_int_equal(ptab_map(&e->pt, MiB(2), 0, KiB(4), 0x4), -ENOMEM);
	before = walk(&e->pt);
	assert_int_equal(before.n, 1);
	expect_lookup(&e->pt, MiB(2), GiB(2) + MiB(2), 0x2, 2);
	free(before.v);

	/* one more table: the 1G splits into 2M leaves, then the 2M split fails */
	e->a->limit = e->a->in_use + 1;
	assert_int_equal(ptab_map(&e->pt, MiB(2), 0, KiB(4), 0x4), -ENOMEM);
	expect_lookup(&e->pt, MiB(2), GiB(2) + MiB(2), 0x2, 1);
	after = walk(&e->pt);
	assert_int_equal(after.n, 512);
	u64 covered = 0;
	for (size_t i = 0; i < after.n; i++) {
		covered += after.v[i].size;
		assert_int_equal(after.v[i].pa, after.v[i].va + GiB(2));
		assert_int_equal(after.v[i].attrs, 0x2);
	}
	assert_int_equal(covered, GiB(1));
	free(after.v);

	/* a big 4K mapping running out half-way: a prefix is mapped, the rest
	 * keeps its old mapping, and the tables are consistent */
	e->a->limit = e->a->in_use + 3;
	u64 va = GiB(1) + KiB(4);	/* 4K-only because pa is offset */
	assert_int_equal(ptab_map(&e->pt, GiB(1), GiB(9), MiB(16), 0x2), 0);
	assert_int_equal(ptab_map(&e->pt, va, KiB(8), MiB(16) - KiB(8), 0x4), -ENOMEM);
	after = walk(&e->pt);
	bool in_prefix = true;
	for (size_t i = 0; i < after.n; i++) {
		struct leaf *f = &after.v[i];

		if (f->va < GiB(1))
			continue;
		for (u64 o = 0; o < f->size; o += KiB(4)) {
			u64 v = f->va + o;
			bool is_new = v >= va && v < va + MiB(16) - KiB(8) && f->pa + o == v - va + KiB(8) &&
				      f->attrs == 0x4;
			bool is_old = f->pa + o == v - GiB(1) + GiB(9) && f->attrs == 0x2;

			assert_true(is_new || is_old);
			if (!is_new && v >= va)
				in_prefix = false;
			if (is_new)
				assert_true(in_prefix);
		}
	}
	free(after.v);
	assert_int_equal(ptab_table_count(&e->pt), e->a->in_use);
	/* with memory back the same call completes */
	e->a->limit = e->a->pages;
	assert_int_equal(ptab_map(&e->pt, va, KiB(8), MiB(16) - KiB(8), 0x4), 0);
	expect_lookup(&e->pt, GiB(1) + MiB(16) - KiB(8), MiB(16) - KiB(4), 0x4, 0);
	expect_lookup(&e->pt, GiB(1), GiB(9), 0x2, 0);
	env_del(e);
}

static int stop_at_third(void *ctx, u64 va, paddr_t pa, u64 size, u64 attrs, unsigned level)
{
	int *n = ctx;

	return ++*n == 3 ? 42 : 0;
}

static void test_for_each_stop(void **state)
{
	struct env *e = env_new(16, 4, 2, false, true);
	int n = 0;

	assert_int_equal(ptab_map(&e->pt, 0, 0, KiB(40), 0), 0);
	assert_int_equal(ptab_for_each(&e->pt, stop_at_third, &n), 42);
	assert_int_equal(n, 3);
	env_del(e);
}

/* Every entry word changed by an operation lies in a range passed to sync
 * (pages that are free afterwards are no longer tables and don't count). */
static void check_synced(struct arena *a, const u8 *snap)
{
	for (size_t pg = 0; pg < a->pages; pg++) {
		if (!a->used[pg])
			continue;
		for (size_t off = 0; off < PAGE_SIZE; off += 8) {
			size_t o = pg * PAGE_SIZE + off;

			if (!memcmp(a->bytes + o, snap + o, 8))
				continue;
			uintptr_t p = (uintptr_t)(a->bytes + o);
			bool found = false;

			for (size_t s = 0; s < a->nsynced && !found; s++)
				found = p >= a->synced[s].lo && p + 8 <= a->synced[s].hi;
			assert_true(found);
		}
	}
}

static void test_sync_covers_updates(void **state)
{
	struct env *e = env_new(64, 4, 2, false, true);
	struct arena *a = e->a;
	u8 *snap = malloc(a->pages * PAGE_SIZE);
	struct { bool map; u64 va, pa, size; } ops[] = {
		{ true, 0, GiB(1), GiB(2) + KiB(12) },
		{ true, MiB(6) + KiB(4), 0, KiB(8) },
		{ false, GiB(1) + MiB(1), 0, MiB(3) },
		{ true, 0, 0, GiB(1) },
		{ false, 0, 0, GiB(3) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		memcpy(snap, a->bytes, a->pages * PAGE_SIZE);
		a->nsynced = 0;
		if (ops[i].map)
			assert_int_equal(ptab_map(&e->pt, ops[i].va, ops[i].pa, ops[i].size, 0x2), 0);
		else
			assert_int_equal(ptab_unmap(&e->pt, ops[i].va, ops[i].size), 0);
		assert_false(a->sync_overflow);
		assert_true(a->nsynced > 0);
		check_synced(a, snap);
	}
	free(snap);
	env_del(e);
}

/* ---- randomized comparison against a page-granular model ----------------------------- */

#define WIN_SIZE	GiB(4)
#define WIN_PAGES	(WIN_SIZE / PAGE_SIZE)

static u64 rnd_state = 0x243f6a8885a308d3ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

struct model_check {
	const u64 *model;
	u64 pages;
};

/* model entry: pa | attrs | 1 */
static int model_visit(void *ctx, u64 va, paddr_t pa, u64 size, u64 attrs, unsigned level)
{
	struct model_check *m = ctx;

	for (u64 o = 0; o < size; o += PAGE_SIZE) {
		u64 pg = (va + o) / PAGE_SIZE;

		if (pg >= WIN_PAGES || m->model[pg] != ((pa + o) | attrs | 1))
			return -1;
	}
	m->pages += size / PAGE_SIZE;
	return 0;
}

static void test_random_vs_model(void **state)
{
	struct env *e = env_new(4096, 4, 2, false, true);
	u64 *model = calloc(WIN_PAGES, sizeof(u64));
	u64 mapped = 0;

	for (int op = 0; op < 300; op++) {
		static const u64 grain[] = { KiB(4), MiB(2), GiB(1) };
		u64 g = grain[rnd() % 3];
		u64 va = (rnd() % (WIN_SIZE / g)) * g;
		u64 size = (1 + rnd() % (g == GiB(1) ? 2 : 64)) * g;
		/* often shift by some pages to create partial large leaves */
		if (rnd() % 3 == 0)
			va += (rnd() % 512) * PAGE_SIZE;
		if (rnd() % 4 == 0)
			size += (rnd() % 512) * PAGE_SIZE;
		if (va >= WIN_SIZE)
			continue;
		if (size > WIN_SIZE - va)
			size = WIN_SIZE - va;
		u64 attrs = (rnd() % 64) << 1;
		u64 pa = (rnd() % 64) * GiB(1) + (rnd() % 2 ? va % GiB(1) : (rnd() % 512) * PAGE_SIZE);
		bool map = rnd() % 3 != 0;

		if (map)
			assert_int_equal(ptab_map(&e->pt, va, pa, size, attrs), 0);
		else
			assert_int_equal(ptab_unmap(&e->pt, va, size), 0);
		for (u64 o = 0; o < size; o += PAGE_SIZE) {
			u64 *m = &model[(va + o) / PAGE_SIZE];

			mapped -= *m != 0;
			*m = map ? (pa + o) | attrs | 1 : 0;
			mapped += *m != 0;
		}
		struct model_check mc = { model, 0 };
		assert_int_equal(ptab_for_each(&e->pt, model_visit, &mc), 0);
		assert_int_equal(mc.pages, mapped);
		assert_int_equal(ptab_table_count(&e->pt), e->a->in_use);
		if (op % 50 == 0) {
			struct leaves l = walk(&e->pt);
			free(l.v);
		}
	}
	/* clear everything: only the root is left */
	assert_int_equal(ptab_unmap(&e->pt, 0, WIN_SIZE), 0);
	assert_int_equal(ptab_table_count(&e->pt), 1);
	assert_int_equal(e->a->in_use, 1);
	free(model);
	env_del(e);
}


/* ---- x86-64 format and W^X ----------------------------------------------------------- */

static void test_x86_encoding(void **state)
{
	const struct ptab_fmt *f = &ptab_x86_fmt;
	u64 attrs = PTE_RW | PTE_PAT | PTE_PCD | PTE_G | PTE_NX;
	u64 e;

	e = f->leaf_entry(0x123456000ULL, 0, attrs);
	assert_int_equal(e, 0x123456000ULL | attrs | PTE_P);
	assert_false(f->is_large(e, 0));
	assert_int_equal(f->attrs(e, 0), attrs | PTE_P);
	assert_int_equal(f->addr(e, 0), 0x123456000ULL);

	e = f->leaf_entry(MiB(6), 1, attrs);
	assert_int_equal(e, MiB(6) | PTE_P | PTE_RW | PTE_PCD | PTE_G | PTE_NX | PTE_PS |
			 PTE_PAT_LARGE);
	assert_true(f->is_large(e, 1));
	assert_int_equal(f->attrs(e, 1), attrs | PTE_P);
	assert_int_equal(f->addr(e, 1), MiB(6));

	e = f->leaf_entry(GiB(3), 2, PTE_P | PTE_RW);
	assert_int_equal(e, GiB(3) | PTE_P | PTE_RW | PTE_PS);
	assert_int_equal(f->attrs(e, 2), PTE_P | PTE_RW);
	assert_int_equal(f->addr(e | PTE_PAT_LARGE, 2), GiB(3));

	e = f->table_entry(0x5000);
	assert_true(f->present(e));
	assert_false(f->is_large(e, 1));
	assert_int_equal(f->addr(e, 2), 0x5000);
	assert_int_equal(e & (PTE_US | PTE_NX), 0);
	assert_true(e & PTE_RW);
}

static void test_x86_split_keeps_pat(void **state)
{
	struct env *e = env_new(16, 4, 2, true, true);
	u64 raw;

	e->pt.fmt = &ptab_x86_fmt;	/* the root is empty, any format fits it */
	assert_int_equal(ptab_map(&e->pt, MiB(2), MiB(8), MiB(2), PTE_ATTR_DATA | PTE_PAT), 0);
	expect_lookup(&e->pt, MiB(2), MiB(8), PTE_ATTR_DATA | PTE_PAT, 1);
	assert_int_equal(ptab_unmap(&e->pt, MiB(3), KiB(4)), 0);
	expect_lookup(&e->pt, MiB(2), MiB(8), PTE_ATTR_DATA | PTE_PAT, 0);
	expect_unmapped(&e->pt, MiB(3));
	/* the 4K leaf has PAT at bit 7 and nothing at bit 12 */
	u64 *pml4 = arena_p2v(e->a, e->pt.root);
	u64 *pdpt = arena_p2v(e->a, pml4[0] & PTE_ADDR_4K);
	u64 *pd = arena_p2v(e->a, pdpt[0] & PTE_ADDR_4K);
	u64 *ptbl = arena_p2v(e->a, pd[1] & PTE_ADDR_4K);
	raw = ptbl[0];
	assert_int_equal(raw, MiB(8) | PTE_ATTR_DATA | PTE_PAT);
	assert_int_equal(pd[1] & PTE_PS, 0);
	env_del(e);
}

struct wx_hit {
	u64 va[8], size[8], attrs[8];
	int n;
};

static void wx_report(void *ctx, u64 va, u64 size, u64 attrs)
{
	struct wx_hit *h = ctx;

	if (h->n < 8) {
		h->va[h->n] = va;
		h->size[h->n] = size;
		h->attrs[h->n] = attrs;
	}
	h->n++;
}

static void test_x86_wx(void **state)
{
	struct env *e = env_new(64, 4, 2, true, true);
	struct ptab *pt = &e->pt;
	u64 kva = 0xffffffff80000000ULL, dmap = 0xffff800000000000ULL;
	struct wx_hit h = { 0 };

	pt->fmt = &ptab_x86_fmt;
	/* hypervisor-like layout: text, rodata, data+bss at -2 GiB; a direct map
	 * of 4 GiB + 6 MiB (1G and 2M leaves); an MMIO page */
	assert_int_equal(ptab_map(pt, kva + MiB(2), MiB(2), KiB(200), PTE_ATTR_TEXT), 0);
	assert_int_equal(ptab_map(pt, kva + MiB(2) + KiB(200), MiB(2) + KiB(200), KiB(64),
				  PTE_ATTR_RODATA), 0);
	assert_int_equal(ptab_map(pt, kva + MiB(2) + KiB(264), MiB(2) + KiB(264), MiB(1),
				  PTE_ATTR_DATA), 0);
	assert_int_equal(ptab_map(pt, dmap, 0, GiB(4) + MiB(6), PTE_ATTR_DATA), 0);
	assert_int_equal(ptab_map(pt, kva + MiB(64), 0xfee00000ULL, KiB(4), PTE_ATTR_MMIO), 0);
	assert_int_equal(ptab_x86_check_wx(pt, wx_report, &h), 0);
	assert_int_equal(h.n, 0);

	/* one writable and executable page in data */
	u64 bad = kva + MiB(2) + KiB(264) + KiB(12);
	assert_int_equal(ptab_map(pt, bad, MiB(2) + KiB(276), KiB(4), PTE_P | PTE_RW | PTE_G), 0);
	assert_int_equal(ptab_x86_check_wx(pt, wx_report, &h), 1);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.va[0], bad);
	assert_int_equal(h.size[0], KiB(4));
	assert_int_equal(h.attrs[0], PTE_P | PTE_RW | PTE_G);

	/* NX in the PML4 entry above it makes it non-executable */
	u64 *pml4 = arena_p2v(e->a, pt->root);
	pml4[511] |= PTE_NX;
	h.n = 0;
	assert_int_equal(ptab_x86_check_wx(pt, wx_report, &h), 0);
	pml4[511] &= ~PTE_NX;
	/* RW clear in the PDPT entry makes it read-only */
	u64 *pdpt = arena_p2v(e->a, pml4[511] & PTE_ADDR_4K);
	pdpt[510] &= ~PTE_RW;
	assert_int_equal(ptab_x86_check_wx(pt, NULL, NULL), 0);
	pdpt[510] |= PTE_RW;
	assert_int_equal(ptab_x86_check_wx(pt, NULL, NULL), 1);

	/* a whole 2M leaf RW+X in the direct map counts once */
	assert_int_equal(ptab_map(pt, dmap + GiB(4), GiB(4), MiB(2), PTE_P | PTE_RW), 0);
	h.n = 0;
	assert_int_equal(ptab_x86_check_wx(pt, wx_report, &h), 2);
	assert_int_equal(h.va[0], dmap + GiB(4));
	assert_int_equal(h.size[0], MiB(2));
	assert_int_equal(h.va[1], bad);

	/* wrong format */
	struct env *o = env_new(4, 4, 2, false, true);
	assert_int_equal(ptab_x86_check_wx(&o->pt, NULL, NULL), -EINVAL);
	env_del(o);
	env_del(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_largest_leaves),
		cmocka_unit_test(test_split_on_remap),
		cmocka_unit_test(test_unmap_edges_of_1g),
		cmocka_unit_test(test_free_emptied_tables),
		cmocka_unit_test(test_misaligned_and_range),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_3_and_5_levels),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_for_each_stop),
		cmocka_unit_test(test_sync_covers_updates),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_x86_encoding),
		cmocka_unit_test(test_x86_split_keeps_pat),
		cmocka_unit_test(test_x86_wx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
