/* The hypervisor's physical frame allocator over the ranges given to it
 * (normally the pool carved from the memory map).
 *
 * State is a sorted list of free ranges in caller-provided storage; the
 * allocator never touches the memory it manages, so it works before any
 * mapping exists and is host-testable. Returned frames are NOT zeroed (the
 * caller has the direct map). Not thread-safe: the owner serializes calls.
 *
 * Physical page 0 is never handed out, so 0 can mean "out of memory". */
#ifndef UHV_FRAME_H
#define UHV_FRAME_H

#include <uhv/types.h>

#define FRAME_MAX_REGIONS 16	/* separate managed extents (adjacent ones merge) */

struct frame_range {
	paddr_t base, end;	/* [base, end) */
};

struct frame_allocator {
	struct frame_range *free;	/* sorted, disjoint, non-adjacent */
	size_t nfree, cap;
	/* what was added, to reject frees of memory that was never ours */
	struct frame_range region[FRAME_MAX_REGIONS];
	size_t nregion;
	u64 total, free_bytes;
};

struct frame_stats {
	u64 total;		/* bytes managed */
	u64 free;		/* bytes free */
	u64 largest_free;	/* biggest free run */
	size_t free_ranges;	/* fragmentation: number of free runs */
	size_t regions;
};

/* storage[capacity] holds the free list: one entry per free run. Each free
 * in the middle of a run can add one, so size it for the expected
 * fragmentation (a few hundred is plenty for uhv's own use). */
void frame_init(struct frame_allocator *fa, struct frame_range *storage, size_t capacity);

/* Give [base, base+size) to the allocator (shrunk to whole pages, page 0
 * dropped). Returns 0, -EEXIST if it overlaps memory already added, or
 * -ENOSPC (too many regions / free-list entries). */
int frame_add_range(struct frame_allocator *fa, paddr_t base, u64 size);

/* One 4 KiB frame, a 2 MiB-aligned 2 MiB block, or npages contiguous frames
 * aligned to align (a power of two; below 4 KiB means 4 KiB). 0 when no
 * suitable memory is free. Small allocations come from the smallest run that
 * fits, so large aligned runs last. */
paddr_t frame_alloc_4k(struct frame_allocator *fa);
paddr_t frame_alloc_2m(struct frame_allocator *fa);
paddr_t frame_alloc_contig(struct frame_allocator *fa, size_t npages, u64 align);

/* Return [pa, pa+size). Returns 0, -EINVAL if misaligned, not ours, or (part
 * of) it is already free (double free; nothing is changed), or -ENOSPC if the
 * free list is full (the frames stay allocated). */
int frame_free(struct frame_allocator *fa, paddr_t pa, u64 size);

void frame_stats(const struct frame_allocator *fa, struct frame_stats *st);

/* One console line: total, free, runs, largest run. */
void frame_print(const struct frame_allocator *fa);

#endif
