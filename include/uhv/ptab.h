/* Generic radix page-table builder (x86-64 paging, EPT and VT-d
 * second-level tables share one shape: 512 8-byte entries per 4 KiB table,
 * 9 address bits per level, optional large leaves at levels 1 and 2).
 *
 * The format (how an entry is encoded) and the memory (how table pages are
 * allocated and reached) are supplied by the caller, so this logic is pure and
 * unit-tested on the host (test/unit/test_ptab.c).
 *
 * Levels are counted from the leaf: level 0 maps 4 KiB, level 1 maps 2 MiB,
 * level 2 maps 1 GiB, level 3 is the PML4 (4-level tables have levels 0..3). */
#ifndef UHV_PTAB_H
#define UHV_PTAB_H

#include <uhv/types.h>

struct ptab_fmt {
	const char *name;
	/* va is a canonical linear address (x86 paging): the bits above the
	 * top level's range copy its highest bit, so 0xffffffff80000000 is valid.
	 * false for EPT / VT-d, where va is a guest address starting at 0. */
	bool canonical;
	/* entry that points to a next-level table at physical address table */
	u64 (*table_entry)(paddr_t table);
	/* leaf mapping pa at level (0: 4K, 1: 2M, 2: 1G) with format attributes */
	u64 (*leaf_entry)(paddr_t pa, unsigned level, u64 attrs);
	bool (*present)(u64 entry);
	/* is this present entry at level (>= 1) a large leaf? (level 0 is always a leaf) */
	bool (*is_large)(u64 entry, unsigned level);
	/* address in a present entry at level: the next table's for a table
	 * entry, the mapped frame's for a leaf */
	paddr_t (*addr)(u64 entry, unsigned level);
	/* attributes of a leaf entry, in the encoding leaf_entry takes */
	u64 (*attrs)(u64 entry, unsigned level);
};

struct ptab_mem {
	/* a zeroed, 4 KiB-aligned page for a table; 0 when out of memory */
	paddr_t (*alloc_table)(void *ctx);
	/* optional: give back a table page emptied by unmap or replaced by a
	 * large leaf (may be NULL: then emptied tables stay linked). It is called
	 * before the caller invalidates TLBs / IOTLBs, so a caller whose tables
	 * are live must not reuse the page until after its invalidation. */
	void (*free_table)(void *ctx, paddr_t table);
	/* where the hypervisor (or a host test) can read/write physical memory */
	void *(*p2v)(void *ctx, paddr_t pa);
	/* optional: called after entries in [ptr, ptr+len) changed (VT-d without
	 * coherent page walks flushes cache lines here); may be NULL */
	void (*sync)(void *ctx, void *ptr, size_t len);
	void *ctx;
};

struct ptab {
	const struct ptab_fmt *fmt;
	const struct ptab_mem *mem;
	unsigned levels;		/* 3 (39-bit), 4 (48-bit) or 5 */
	unsigned max_leaf_level;	/* 0: 4K only, 1: up to 2M, 2: up to 1G */
	paddr_t root;
};

/* Allocate an empty root table. */
int ptab_init(struct ptab *pt, const struct ptab_fmt *fmt, const struct ptab_mem *mem,
	      unsigned levels, unsigned max_leaf_level);

/* Map [va, va+size) to [pa, pa+size) using the largest leaves that fit
 * (alignment of va and pa, size, max_leaf_level). Existing mappings in the
 * range are replaced; a large leaf that is only partly covered is split first
 * so the rest of it keeps its mapping. All of va, pa and size must be 4 KiB
 * aligned. Returns 0, -EINVAL or -ENOMEM. On -ENOMEM a prefix of the range
 * may already be mapped; everything else keeps its old mapping and the table
 * stays consistent. TLB invalidation is the caller's job. size 0 is a no-op. */
int ptab_map(struct ptab *pt, u64 va, paddr_t pa, u64 size, u64 attrs);

/* Remove mappings in [va, va+size), splitting large leaves at the edges.
 * Tables left empty are unlinked and freed when mem->free_table is set.
 * Returns 0, -EINVAL (misaligned / out of range) or -ENOMEM (a split needed a
 * table; the part before the failing edge is already unmapped). */
int ptab_unmap(struct ptab *pt, u64 va, u64 size);

/* Translate va. Returns 0 and fills pa/attrs/level (each may be NULL),
 * -ENOENT when unmapped, -EINVAL when va is outside the table's range. */
int ptab_lookup(const struct ptab *pt, u64 va, paddr_t *pa, u64 *attrs, unsigned *level);

/* Call fn for every leaf in ascending va order (canonical formats report
 * sign-extended va); contiguous leaves are NOT merged (one call per entry).
 * A non-zero return from fn stops the walk and is returned. fn must not
 * change the table. */
typedef int (*ptab_visit_fn)(void *ctx, u64 va, paddr_t pa, u64 size, u64 attrs, unsigned level);
int ptab_for_each(const struct ptab *pt, ptab_visit_fn fn, void *ctx);

/* Number of table pages in use (root included). */
size_t ptab_table_count(const struct ptab *pt);

#endif
