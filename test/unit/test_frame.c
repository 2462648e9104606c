// UNIT-SOURCES: mm/frame.c
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm/frame.h"
#include <uhv/errno.h>
#include "log_capture.h"

static struct frame_range storage[256];

static void check_sane(const struct frame_allocator *fa)
{
	u64 sum = 0;

	for (size_t i = 0; i < fa->nfree; i++) {
		assert_true(fa->free[i].base < fa->free[i].end);
		assert_int_equal(fa->free[i].base % PAGE_SIZE, 0);
		assert_int_equal(fa->free[i].end % PAGE_SIZE, 0);
		if (i)
			assert_true(fa->free[i - 1].end < fa->free[i].base);	/* merged */
		sum += fa->free[i].end - fa->free[i].base;
	}
	assert_int_equal(sum, fa->free_bytes);
	assert_true(fa->free_bytes <= fa->total);
}

static void test_add(void **state)
{
	struct frame_allocator fa;
	struct frame_stats st;

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_alloc_4k(&fa), 0);
	/* page 0 dropped, partial pages dropped */
	assert_int_equal(frame_add_range(&fa, 0, KiB(16) + 100), 0);
	assert_int_equal(frame_add_range(&fa, MiB(1) + 1, MiB(1)), 0);
	frame_stats(&fa, &st);
	assert_int_equal(st.total, KiB(12) + MiB(1) - KiB(4));
	assert_int_equal(st.free, st.total);
	assert_int_equal(st.free_ranges, 2);
	assert_int_equal(st.regions, 2);
	assert_int_equal(st.largest_free, MiB(1) - KiB(4));
	/* overlap refused, adjacent merges */
	assert_int_equal(frame_add_range(&fa, KiB(8), KiB(8)), -EEXIST);
	assert_int_equal(frame_add_range(&fa, KiB(16), MiB(1) + KiB(4) - KiB(16)), 0);
	frame_stats(&fa, &st);
	assert_int_equal(st.regions, 1);
	assert_int_equal(st.free_ranges, 1);
	assert_int_equal(st.total, MiB(2) - KiB(4));
	/* less than a page: nothing */
	assert_int_equal(frame_add_range(&fa, MiB(8) + 10, 100), 0);
	assert_int_equal(fa.total, MiB(2) - KiB(4));
	check_sane(&fa);
	log_capture_reset();
	frame_print(&fa);
	assert_true(log_capture_contains("uhv frame: 2044 KiB managed in 1 regions, 2044 KiB free in 1 runs"));
}

static void test_exhaust_4k(void **state)
{
	struct frame_allocator fa;
	paddr_t got[64];

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_add_range(&fa, MiB(16), 64 * PAGE_SIZE), 0);
	for (int i = 0; i < 64; i++) {
		got[i] = frame_alloc_4k(&fa);
		assert_true(got[i] >= MiB(16) && got[i] < MiB(16) + 64 * PAGE_SIZE);
		assert_int_equal(got[i] % PAGE_SIZE, 0);
		for (int j = 0; j < i; j++)
			assert_true(got[j] != got[i]);
	}
	assert_int_equal(frame_alloc_4k(&fa), 0);
	assert_int_equal(fa.free_bytes, 0);
	assert_int_equal(fa.nfree, 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(frame_free(&fa, got[i], PAGE_SIZE), 0);
	assert_int_equal(fa.nfree, 1);
	assert_int_equal(fa.free_bytes, 64 * PAGE_SIZE);
	check_sane(&fa);
}

static void test_2m_alignment(void **state)
{
	struct frame_allocator fa;
	paddr_t a, b, c;

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_add_range(&fa, MiB(1) + KiB(4), MiB(8)), 0);	/* to 9M+4K */
	a = frame_alloc_2m(&fa);
	b = frame_alloc_2m(&fa);
	c = frame_alloc_2m(&fa);
	assert_true(a && b && c);
	assert_int_equal(a % MiB(2), 0);
	assert_int_equal(b % MiB(2), 0);
	assert_int_equal(c % MiB(2), 0);
	assert_true(a != b && b != c && a != c);
	/* only 2M..8M holds aligned blocks: 3 of them */
	assert_int_equal(frame_alloc_2m(&fa), 0);
	assert_int_equal(fa.free_bytes, MiB(8) - MiB(6));
	/* the leftovers still serve 4K */
	assert_true(frame_alloc_4k(&fa) != 0);
	check_sane(&fa);
	assert_int_equal(frame_free(&fa, b, MiB(2)), 0);
	assert_int_equal(frame_alloc_2m(&fa), b);

	/* contig with other alignments */
	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_add_range(&fa, MiB(1) + KiB(4), KiB(200)), 0);
	a = frame_alloc_contig(&fa, 3, KiB(64));
	assert_true(a);
	assert_int_equal(a % KiB(64), 0);
	assert_int_equal(frame_alloc_contig(&fa, 3, 3 * PAGE_SIZE), 0);	/* not a power of two */
	assert_int_equal(frame_alloc_contig(&fa, 0, PAGE_SIZE), 0);
	assert_int_equal(frame_alloc_contig(&fa, 100, PAGE_SIZE), 0);	/* too big */
	check_sane(&fa);
}

static void test_fragmentation(void **state)
{
	struct frame_allocator fa;
	paddr_t pages[128];

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_add_range(&fa, MiB(4), 128 * PAGE_SIZE), 0);
	for (int i = 0; i < 128; i++)
		pages[i] = frame_alloc_4k(&fa);
	/* free every other page: 64 runs of one page */
	for (int i = 0; i < 128; i++)
		if ((pages[i] / PAGE_SIZE) % 2)
			assert_int_equal(frame_free(&fa, pages[i], PAGE_SIZE), 0);
	assert_int_equal(fa.nfree, 64);
	assert_int_equal(frame_alloc_contig(&fa, 2, PAGE_SIZE), 0);
	check_sane(&fa);
	/* free the rest: all runs merge into one */
	for (int i = 0; i < 128; i++)
		if (!((pages[i] / PAGE_SIZE) % 2))
			assert_int_equal(frame_free(&fa, pages[i], PAGE_SIZE), 0);
	assert_int_equal(fa.nfree, 1);
	assert_int_equal(frame_alloc_contig(&fa, 128, PAGE_SIZE), MiB(4));
	assert_int_equal(frame_free(&fa, MiB(4), 128 * PAGE_SIZE), 0);

	/* 4K allocations come from the smallest run, keeping the big one whole */
	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_add_range(&fa, MiB(64), MiB(4)), 0);
	assert_int_equal(frame_add_range(&fa, MiB(32), KiB(16)), 0);
	for (int i = 0; i < 4; i++) {
		paddr_t p = frame_alloc_4k(&fa);

		assert_true(p >= MiB(32) && p < MiB(32) + KiB(16));
	}
	assert_int_equal(frame_alloc_2m(&fa), MiB(66));
	assert_int_equal(frame_alloc_2m(&fa), MiB(64));
	check_sane(&fa);
}

static void test_bad_free(void **state)
{
	struct frame_allocator fa;
	struct frame_range copy[4];
	paddr_t p, q;

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	assert_int_equal(frame_add_range(&fa, MiB(8), MiB(2)), 0);
	p = frame_alloc_contig(&fa, 4, PAGE_SIZE);
	q = frame_alloc_4k(&fa);
	assert_true(p && q);
	u64 free_before = fa.free_bytes;
	size_t n_before = fa.nfree;
	memcpy(copy, fa.free, sizeof(copy));

	log_capture_reset();
	assert_int_equal(frame_free(&fa, q, PAGE_SIZE), 0);
	assert_int_equal(frame_free(&fa, q, PAGE_SIZE), -EINVAL);	/* double free */
	assert_true(log_capture_contains("double free"));
	assert_int_equal(frame_alloc_4k(&fa), q);
	/* q plus the free page below it: partly free already */
	assert_int_equal(frame_free(&fa, q - PAGE_SIZE, 2 * PAGE_SIZE), -EINVAL);
	assert_int_equal(frame_free(&fa, p, 5 * PAGE_SIZE), -EINVAL);	/* past the region */
	/* not ours, misaligned, empty, wrapping */
	assert_int_equal(frame_free(&fa, MiB(20), PAGE_SIZE), -EINVAL);
	assert_int_equal(frame_free(&fa, MiB(10) - PAGE_SIZE, 2 * PAGE_SIZE), -EINVAL);
	assert_int_equal(frame_free(&fa, p + 8, PAGE_SIZE), -EINVAL);
	assert_int_equal(frame_free(&fa, p, 100), -EINVAL);
	assert_int_equal(frame_free(&fa, p, 0), -EINVAL);
	assert_int_equal(frame_free(&fa, ~0ULL - PAGE_SIZE + 1, 2 * PAGE_SIZE), -EINVAL);
	assert_int_equal(frame_free(&fa, 0, PAGE_SIZE), -EINVAL);
	/* nothing changed by the failures */
	assert_int_equal(fa.free_bytes, free_before);
	assert_int_equal(fa.nfree, n_before);
	assert_memory_equal(copy, fa.free, n_before * sizeof(copy[0]));
	/* a middle part of an allocation can be freed on its own */
	assert_int_equal(frame_free(&fa, p + PAGE_SIZE, 2 * PAGE_SIZE), 0);
	assert_int_equal(frame_free(&fa, p, PAGE_SIZE), 0);
	assert_int_equal(frame_free(&fa, p + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(frame_free(&fa, q, PAGE_SIZE), 0);
	assert_int_equal(fa.free_bytes, MiB(2));
	assert_int_equal(fa.nfree, 1);
	check_sane(&fa);
}

static void test_list_capacity(void **state)
{
	struct frame_range small[2];
	struct frame_allocator fa;
	paddr_t a, b;

	frame_init(&fa, small, ARRAY_SIZE(small));
	assert_int_equal(frame_add_range(&fa, MiB(1), MiB(1)), 0);
	assert_int_equal(frame_add_range(&fa, MiB(3), MiB(1)), 0);
	assert_int_equal(frame_add_range(&fa, MiB(6), MiB(1)), -ENOSPC);
	/* a 64K-aligned block from [1M+4K..] needs a split: not possible when full */
	a = frame_alloc_4k(&fa);
	assert_int_equal(a, MiB(2) - PAGE_SIZE);
	b = frame_alloc_contig(&fa, 1, KiB(64));	/* flush with a run start: fine */
	assert_true(b == MiB(1) || b == MiB(3));
	assert_int_equal(frame_free(&fa, a, PAGE_SIZE), 0);	/* merges */
	paddr_t c = frame_alloc_contig(&fa, 2, PAGE_SIZE);
	assert_int_equal(c, MiB(2) - 2 * PAGE_SIZE);
	assert_int_equal(fa.nfree, 2);
	assert_int_equal(frame_free(&fa, c, PAGE_SIZE), 0);			/* merges down */
	assert_int_equal(frame_free(&fa, c + PAGE_SIZE, PAGE_SIZE), 0);		/* merges down */
	assert_int_equal(frame_free(&fa, b, PAGE_SIZE), 0);			/* merges up */
	assert_int_equal(fa.nfree, 2);
	check_sane(&fa);

	/* a one-entry list: allocations needing a split are skipped, and a free
	 * that would start a second run fails and keeps the frames allocated */
	frame_init(&fa, small, 1);
	assert_int_equal(frame_add_range(&fa, MiB(1) + KiB(4), MiB(1) - KiB(4)), 0);
	assert_int_equal(frame_alloc_contig(&fa, 1, KiB(64)), 0);
	a = frame_alloc_4k(&fa);
	b = frame_alloc_4k(&fa);
	assert_int_equal(a, MiB(2) - PAGE_SIZE);
	assert_int_equal(b, MiB(2) - 2 * PAGE_SIZE);
	log_capture_reset();
	assert_int_equal(frame_free(&fa, a, PAGE_SIZE), -ENOSPC);
	assert_true(log_capture_contains("free list full"));
	assert_int_equal(fa.free_bytes, MiB(1) - 3 * PAGE_SIZE);
	assert_int_equal(frame_free(&fa, b, PAGE_SIZE), 0);
	assert_int_equal(frame_free(&fa, a, PAGE_SIZE), 0);
	assert_int_equal(fa.free_bytes, fa.total);
	check_sane(&fa);
}

/* OVMF-like pool: several fragments separated by firmware memory */
static void test_ovmf_fragments(void **state)
{
	struct frame_allocator fa;
	static const struct { u64 base, size; } parts[] = {
		{ MiB(1), MiB(7) }, { MiB(9), 0x7e00000 }, { 0x8800000, 0x37000000 - 0x8800000 },
		{ 0x37200000, 0x8000000 }, { 0x3f9f3000, 0x5000 },
	};
	u64 total = 0;
	int n2m = 0;

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		assert_int_equal(frame_add_range(&fa, parts[i].base, parts[i].size), 0);
		total += parts[i].size;
	}
	assert_int_equal(fa.total, total);
	/* a 16 MiB 2M-aligned block only fits in the big fragments */
	paddr_t big = frame_alloc_contig(&fa, MiB(16) / PAGE_SIZE, MiB(2));
	assert_true(big);
	assert_int_equal(big % MiB(2), 0);
	/* the small odd fragment serves 4K first (best fit) */
	assert_int_equal(frame_alloc_4k(&fa), 0x3f9f3000 + 0x4000);
	while (frame_alloc_2m(&fa))
		n2m++;
	/* every fragment's aligned 2M blocks, minus the 16 MiB taken:
	 * [2M,8M): 3, [10M,134M]: 62, [136M,880M): 372, [882M,1010M): 64 */
	assert_int_equal(n2m, 3 + 62 + 372 + 64 - 8);
	check_sane(&fa);
	/* the rest is 4K-only dust */
	int n4k = 0;
	while (frame_alloc_4k(&fa))
		n4k++;
	assert_int_equal(fa.free_bytes, 0);
	assert_int_equal((u64)n4k * PAGE_SIZE + (u64)n2m * MiB(2) + MiB(16) + PAGE_SIZE, total);
}

/* ---- random operations against a page bitmap ------------------------------------------- */

#define RPAGES 2048	/* 8 MiB at 16 MiB */
#define RBASE MiB(16)

static u64 rnd_state = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_random_vs_model(void **state)
{
	struct frame_allocator fa;
	static bool used[RPAGES], managed[RPAGES];
	static struct { paddr_t pa; u64 size; } live[4096];
	size_t nlive = 0;
	u64 free_pages = 0;

	frame_init(&fa, storage, ARRAY_SIZE(storage));
	/* three regions with gaps, odd sizes */
	const u64 rg[][2] = { { 0, 300 }, { 301, 900 }, { 1000, RPAGES } };
	for (size_t i = 0; i < ARRAY_SIZE(rg); i++) {
		assert_int_equal(frame_add_range(&fa, RBASE + rg[i][0] * PAGE_SIZE,
						 (rg[i][1] - rg[i][0]) * PAGE_SIZE), 0);
		for (u64 p = rg[i][0]; p < rg[i][1]; p++)
			managed[p] = true;
		free_pages += rg[i][1] - rg[i][0];
	}
	for (int op = 0; op < 20000; op++) {
		if (nlive && (rnd() % 2 || nlive == ARRAY_SIZE(live))) {
			size_t k = rnd() % nlive;
			u64 first = (live[k].pa - RBASE) / PAGE_SIZE, n = live[k].size / PAGE_SIZE;

			assert_int_equal(frame_free(&fa, live[k].pa, live[k].size), 0);
			for (u64 p = first; p < first + n; p++)
				used[p] = false;
			free_pages += n;
			live[k] = live[--nlive];
			/* and a double free of it is refused */
			if (rnd() % 16 == 0)
				assert_int_equal(frame_free(&fa, RBASE + first * PAGE_SIZE, n * PAGE_SIZE),
						 -EINVAL);
		} else {
			u64 npages, align;
			unsigned kind = rnd() % 8;

			if (kind < 5) {
				npages = 1;
				align = PAGE_SIZE;
			} else if (kind == 5) {
				npages = 512;
				align = MiB(2);
			} else {
				npages = 1 + rnd() % 40;
				align = PAGE_SIZE << (rnd() % 6);
			}
			paddr_t pa = npages == 512 ? frame_alloc_2m(&fa) :
				     npages == 1 && align == PAGE_SIZE ? frame_alloc_4k(&fa) :
				     frame_alloc_contig(&fa, npages, align);
			if (!pa)
				continue;
			assert_int_equal(pa % align, 0);
			assert_true(pa >= RBASE && pa + npages * PAGE_SIZE <= RBASE + RPAGES * PAGE_SIZE);
			u64 first = (pa - RBASE) / PAGE_SIZE;
			for (u64 p = first; p < first + npages; p++) {
				assert_true(managed[p]);
				assert_false(used[p]);
				used[p] = true;
			}
			free_pages -= npages;
			live[nlive].pa = pa;
			live[nlive].size = npages * PAGE_SIZE;
			nlive++;
		}
		assert_int_equal(fa.free_bytes, free_pages * PAGE_SIZE);
		if (op % 500 == 0)
			check_sane(&fa);
	}
	while (nlive) {
		nlive--;
		assert_int_equal(frame_free(&fa, live[nlive].pa, live[nlive].size), 0);
	}
	assert_int_equal(fa.nfree, 3);
	assert_int_equal(fa.free_bytes, fa.total);
	check_sane(&fa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_exhaust_4k),
		cmocka_unit_test(test_2m_alignment),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_list_capacity),
		cmocka_unit_test(test_ovmf_fragments),
		cmocka_unit_test(test_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
