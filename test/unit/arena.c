/* Fake physical memory for host tests of the table builders (arena.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"

struct arena *arena_new(paddr_t pa, size_t pages, unsigned flags)
{
	struct arena *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	assert_true(IS_ALIGNED(pa, PAGE_SIZE) && pages > 0);
	a->bytes = aligned_alloc(PAGE_SIZE, pages * PAGE_SIZE);
	a->used = calloc(pages, sizeof(bool));
	assert_true(a->bytes && a->used);
	a->pa = pa;
	a->pages = pages;
	a->free_fill = (flags & ARENA_ZERO_FREE) ? 0 : ARENA_FREE_FILL;
	a->mem = (struct ptab_mem){ .alloc_table = arena_alloc, .p2v = arena_p2v, .ctx = a,
				    .free_table = (flags & ARENA_FREE) ? arena_free : NULL,
				    .sync = (flags & ARENA_SYNC) ? arena_sync : NULL };
	arena_reset(a);
	return a;
}

void arena_del(struct arena *a)
{
	if (!a)
		return;
	free(a->bytes);
	free(a->used);
	free(a);
}

void arena_reset(struct arena *a)
{
	memset(a->used, 0, a->pages * sizeof(bool));
	memset(a->bytes, a->free_fill, a->pages * PAGE_SIZE);
	a->in_use = 0;
	a->limit = a->pages;
	a->first_free = 0;
	a->allocs = a->frees = a->syncs = 0;
	a->nsynced = 0;
	a->sync_overflow = false;
}

/* index of the page holding pa; fails the test outside the arena */
static size_t page_of(const struct arena *a, paddr_t pa)
{
	assert_true(pa >= a->pa && (pa - a->pa) / PAGE_SIZE < a->pages);
	return (pa - a->pa) / PAGE_SIZE;
}

paddr_t arena_alloc(void *ctx)
{
	struct arena *a = ctx;

	if (a->in_use >= a->limit)
		return 0;
	for (size_t i = a->first_free; i < a->pages; i++) {
		if (!a->used[i]) {
			a->used[i] = true;
			a->in_use++;
			a->allocs++;
			a->first_free = i + 1;
			memset(a->bytes + i * PAGE_SIZE, 0, PAGE_SIZE);
			return a->pa + i * PAGE_SIZE;
		}
	}
	return 0;
}

void arena_free(void *ctx, paddr_t pa)
{
	struct arena *a = ctx;
	size_t i = page_of(a, pa);

	assert_true(IS_ALIGNED(pa, PAGE_SIZE));
	assert_true(a->used[i]);	/* double free of a table */
	a->used[i] = false;
	a->in_use--;
	a->frees++;
	if (i < a->first_free)
		a->first_free = i;
	memset(a->bytes + i * PAGE_SIZE, a->free_fill, PAGE_SIZE);
}

void *arena_p2v(void *ctx, paddr_t pa)
{
	struct arena *a = ctx;
	size_t i = page_of(a, pa);

	assert_true(a->used[i]);	/* walking into a page that is not a table */
	return a->bytes + (pa - a->pa);
}

void arena_sync(void *ctx, void *ptr, size_t len)
{
	struct arena *a = ctx;
	uintptr_t p = (uintptr_t)ptr, base = (uintptr_t)a->bytes;

	assert_true(p >= base && p + len <= base + a->pages * PAGE_SIZE);
	assert_true(a->used[(p - base) / PAGE_SIZE]);
	a->syncs++;
	if (a->nsynced == ARRAY_SIZE(a->synced)) {
		a->sync_overflow = true;
		return;
	}
	a->synced[a->nsynced].lo = p;
	a->synced[a->nsynced].hi = p + len;
	a->nsynced++;
}
