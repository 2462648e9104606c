/* Host-test helper: fake physical memory for the table builders (mm/ptab.c
 * and what sits on it: EPT, VT-d second-level and context tables, shadow
 * page tables). An arena is a page-aligned host buffer that pretends to live
 * at a fake physical address; arena->mem is the struct ptab_mem a builder
 * takes, with ctx = the arena. It always has alloc_table and p2v; free_table
 * and sync only when asked for (ARENA_FREE, ARENA_SYNC), because a builder
 * behaves differently with them (ptab unlinks emptied tables only with
 * free_table): each test gives its builder what the hypervisor gives it.
 *
 * What the callbacks check (each failure fails the running cmocka test):
 *   alloc  lowest free page, zeroed; 0 once in_use reaches limit
 *   free   page-aligned, inside the arena, allocated (double free fails);
 *          free pages hold 0xa5 so a use after free shows (or zeros with
 *          ARENA_ZERO_FREE)
 *   p2v    inside the arena and allocated (a walk into a page that is not
 *          a table fails)
 *   sync   inside an allocated page; counted, and the range logged
 */
#ifndef UHV_TEST_ARENA_H
#define UHV_TEST_ARENA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uhv/ptab.h>

#define ARENA_FREE_FILL	0xa5

/* arena_new flags: which optional ptab_mem callbacks arena->mem has */
#define ARENA_FREE	0x1
#define ARENA_SYNC	0x2
/* free pages hold zeros, not ARENA_FREE_FILL: for a test that compares pages
 * before and after an operation and must not see allocation as a change */
#define ARENA_ZERO_FREE	0x4

struct arena {
	struct ptab_mem mem;	/* alloc, free, p2v and sync on this arena */
	u8 *bytes;		/* host copy of the pages */
	paddr_t pa;		/* fake physical address of bytes[0] */
	size_t pages;
	bool *used;
	size_t in_use;		/* pages allocated now */
	size_t limit;		/* alloc fails once in_use reaches it (tests lower it) */
	size_t first_free;	/* no free page below this index */
	size_t allocs, frees, syncs;
	struct { uintptr_t lo, hi; } synced[4096];	/* the sync log */
	size_t nsynced;
	bool sync_overflow;	/* more syncs than the log holds */
	u8 free_fill;		/* what free pages hold */
};

/* pages 4 KiB pages at fake physical address pa (4 KiB aligned) */
struct arena *arena_new(paddr_t pa, size_t pages, unsigned flags);
void arena_del(struct arena *a);
/* every page free again, limit back to all pages, counters and log cleared */
void arena_reset(struct arena *a);

/* the callbacks in arena->mem, for wrappers (ctx is the arena) */
paddr_t arena_alloc(void *ctx);
void arena_free(void *ctx, paddr_t pa);
void *arena_p2v(void *ctx, paddr_t pa);
void arena_sync(void *ctx, void *ptr, size_t len);
#endif
