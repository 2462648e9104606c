/* Physical frame allocator over a sorted free-range list (see frame.h). */
#define LOG_MODULE "frame"
#include "frame.h"
#include <uhv/errno.h>
#include <uhv/log.h>

void frame_init(struct frame_allocator *fa, struct frame_range *storage, size_t capacity)
{
	*fa = (struct frame_allocator){ .free = storage, .cap = capacity };
}

/* Index of the first free range whose end is above pa. */
static size_t find(const struct frame_allocator *fa, paddr_t pa)
{
	size_t lo = 0, hi = fa->nfree;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fa->free[mid].end <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void remove_at(struct frame_allocator *fa, size_t i)
{
	for (; i + 1 < fa->nfree; i++)
		fa->free[i] = fa->free[i + 1];
	fa->nfree--;
}

static void insert_at(struct frame_allocator *fa, size_t i, paddr_t base, paddr_t end)
{
	for (size_t j = fa->nfree; j > i; j--)
		fa->free[j] = fa->free[j - 1];
	fa->free[i] = (struct frame_range){ base, end };
	fa->nfree++;
}

/* Put [base, end) on the free list, merging with neighbours. The caller has
 * checked that it overlaps nothing free. */
static int free_insert(struct frame_allocator *fa, paddr_t base, paddr_t end)
{
	size_t i = find(fa, base);
	bool join_prev = i > 0 && fa->free[i - 1].end == base;
	bool join_next = i < fa->nfree && fa->free[i].base == end;

	if (join_prev && join_next) {
		fa->free[i - 1].end = fa->free[i].end;
		remove_at(fa, i);
	} else if (join_prev) {
		fa->free[i - 1].end = end;
	} else if (join_next) {
		fa->free[i].base = base;
	} else {
		if (fa->nfree == fa->cap)
			return -ENOSPC;
		insert_at(fa, i, base, end);
	}
	fa->free_bytes += end - base;
	return 0;
}

int frame_add_range(struct frame_allocator *fa, paddr_t base, u64 size)
{
	paddr_t end;
	int err;

	if (size > ~0ULL - base)
		size = ~0ULL - base;
	end = ALIGN_DOWN(base + size, PAGE_SIZE);
	base = MAX(ALIGN_UP(base, PAGE_SIZE), PAGE_SIZE);
	if (end <= base)
		return 0;

	bool adjacent = false;

	for (size_t i = 0; i < fa->nregion; i++) {
		const struct frame_range *r = &fa->region[i];

		if (base < r->end && r->base < end) {
			pr_err("range %#llx-%#llx overlaps memory already given to the allocator\n",
			       base, end);
			return -EEXIST;
		}
		adjacent |= r->end == base || r->base == end;
	}
	if (!adjacent && fa->nregion == FRAME_MAX_REGIONS)
		return -ENOSPC;
	err = free_insert(fa, base, end);
	if (err)
		return err;
	/* regions stay maximal: fold in the (at most two) neighbours */
	paddr_t ub = base, ue = end;

	for (size_t i = 0; i < fa->nregion;) {
		if (fa->region[i].end == ub || fa->region[i].base == ue) {
			ub = MIN(ub, fa->region[i].base);
			ue = MAX(ue, fa->region[i].end);
			fa->region[i] = fa->region[--fa->nregion];
			continue;
		}
		i++;
	}
	fa->region[fa->nregion++] = (struct frame_range){ ub, ue };
	fa->total += end - base;
	return 0;
}

/* Choose where to take size bytes aligned to align: the smallest free run
 * that fits, preferring a spot at either end of a run (no split, the free
 * list cannot overflow). */
paddr_t frame_alloc_contig(struct frame_allocator *fa, size_t npages, u64 align)
{
	u64 size = (u64)npages * PAGE_SIZE;
	size_t best = fa->nfree;
	paddr_t best_pa = 0;
	bool best_split = true;
	u64 best_len = ~0ULL;

	if (!npages || npages > (~0ULL >> PAGE_SHIFT) || (align & (align - 1)))
		return 0;
	align = MAX(align, PAGE_SIZE);

	for (size_t i = 0; i < fa->nfree; i++) {
		const struct frame_range *r = &fa->free[i];
		u64 len = r->end - r->base;
		paddr_t pa;
		bool split;

		if (len < size)
			continue;
		/* the highest aligned spot: flush with the end if aligned sizes allow */
		pa = ALIGN_DOWN(r->end - size, align);
		if (pa < r->base)
			continue;
		split = pa + size != r->end;
		if (split && IS_ALIGNED(r->base, align)) {
			pa = r->base;	/* flush with the start instead */
			split = false;
		}
		if (split && fa->nfree == fa->cap)
			continue;
		if ((best_split && !split) || (best_split == split && len < best_len)) {
			best = i;
			best_pa = pa;
			best_split = split;
			best_len = len;
		}
	}
	if (best == fa->nfree)
		return 0;

	struct frame_range *r = &fa->free[best];
	paddr_t end = best_pa + size;

	if (best_pa == r->base && end == r->end) {
		remove_at(fa, best);
	} else if (best_pa == r->base) {
		r->base = end;
	} else if (end == r->end) {
		r->end = best_pa;
	} else {
		paddr_t old_end = r->end;

		r->end = best_pa;
		insert_at(fa, best + 1, end, old_end);
	}
	fa->free_bytes -= size;
	return best_pa;
}

paddr_t frame_alloc_4k(struct frame_allocator *fa)
{
	return frame_alloc_contig(fa, 1, PAGE_SIZE);
}

paddr_t frame_alloc_2m(struct frame_allocator *fa)
{
	return frame_alloc_contig(fa, LARGE_PAGE_SIZE / PAGE_SIZE, LARGE_PAGE_SIZE);
}

int frame_free(struct frame_allocator *fa, paddr_t pa, u64 size)
{
	paddr_t end = pa + size;
	size_t i;
	bool ours = false;
	int err;

	if (!size || !IS_ALIGNED(pa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) || end < pa) {
		pr_err("free of %#llx size %#llx: not whole pages\n", pa,
		       size);
		return -EINVAL;
	}
	for (i = 0; i < fa->nregion; i++)
		ours |= fa->region[i].base <= pa && end <= fa->region[i].end;
	if (!ours) {
		pr_err("free of %#llx-%#llx: not memory of this allocator\n",
		       pa, end);
		return -EINVAL;
	}
	i = find(fa, pa);
	if (i < fa->nfree && fa->free[i].base < end) {
		pr_err("double free: %#llx-%#llx is (partly) free already\n",
		       pa, end);
		return -EINVAL;
	}
	err = free_insert(fa, pa, end);
	if (err)
		pr_err("free list full (%zu runs): %#llx-%#llx stays allocated\n", fa->cap,
		       pa, end);
	return err;
}

void frame_stats(const struct frame_allocator *fa, struct frame_stats *st)
{
	u64 largest = 0;

	for (size_t i = 0; i < fa->nfree; i++)
		largest = MAX(largest, fa->free[i].end - fa->free[i].base);
	*st = (struct frame_stats){ .total = fa->total, .free = fa->free_bytes,
				    .largest_free = largest, .free_ranges = fa->nfree,
				    .regions = fa->nregion };
}

void frame_print(const struct frame_allocator *fa)
{
	struct frame_stats st;

	frame_stats(fa, &st);
	pr_info("%llu KiB managed in %zu regions, %llu KiB free in %zu runs (largest %llu KiB)\n",
		(st.total >> 10), st.regions,
		(st.free >> 10), st.free_ranges,
		(st.largest_free >> 10));
}
