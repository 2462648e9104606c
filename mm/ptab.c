/* Generic radix page-table builder (see include/uhv/ptab.h).
 *
 * Every walk is a loop over levels with an explicit per-level cursor, so the
 * stack use is bounded by PTAB_MAX_LEVELS whatever the table looks like.
 * Addresses are handled internally as "linear" offsets into the table's range
 * (va with the sign-extension bits stripped for canonical formats). */
#define LOG_MODULE "ptab"
#include <uhv/ptab.h>
#include <uhv/errno.h>
#include <uhv/log.h>

#define PTAB_ENTRIES	512
#define PTAB_MAX_LEVELS	5

static inline unsigned level_shift(unsigned level)
{
	return PAGE_SHIFT + 9 * level;
}

static inline u64 level_size(unsigned level)
{
	return 1ULL << level_shift(level);
}

static inline unsigned lin_index(u64 lin, unsigned level)
{
	return (lin >> level_shift(level)) & (PTAB_ENTRIES - 1);
}

/* size of the table's whole range: 2^(12 + 9 * levels) */
static inline u64 range_mask(const struct ptab *pt)
{
	return level_size(pt->levels) - 1;
}

static inline u64 *table_ptr(const struct ptab *pt, paddr_t table)
{
	return pt->mem->p2v(pt->mem->ctx, table);
}

/* A single aligned 64-bit store: a hardware walker never sees half an entry. */
static inline void write_entry(u64 *slot, u64 val)
{
	*(volatile u64 *)slot = val;
}

static inline void sync(const struct ptab *pt, void *ptr, size_t len)
{
	if (pt->mem->sync && len)
		pt->mem->sync(pt->mem->ctx, ptr, len);
}

static inline bool present(const struct ptab *pt, u64 e)
{
	return pt->fmt->present(e);
}

/* present entry at level that points to a next-level table */
static inline bool is_table(const struct ptab *pt, u64 e, unsigned level)
{
	return level > 0 && present(pt, e) && !pt->fmt->is_large(e, level);
}

static paddr_t alloc_table(const struct ptab *pt)
{
	paddr_t t = pt->mem->alloc_table(pt->mem->ctx);

	if (t && !IS_ALIGNED(t, PAGE_SIZE)) {
		pr_err("table allocator returned unaligned page %#llx; treating as out of memory\n",
		       t);
		return 0;
	}
	return t;
}

static u64 lin_to_va(const struct ptab *pt, u64 lin)
{
	unsigned width = level_shift(pt->levels);

	if (pt->fmt->canonical && (lin >> (width - 1)) & 1)
		return lin | ~range_mask(pt);
	return lin;
}

/* Check that va is inside the table's range and return its linear offset. */
static int va_to_lin(const struct ptab *pt, u64 va, u64 *lin)
{
	u64 mask = range_mask(pt);
	u64 high = va & ~mask;
	unsigned width = level_shift(pt->levels);

	if (pt->fmt->canonical) {
		bool top = (va >> (width - 1)) & 1;

		if (high != (top ? ~mask : 0))
			return -EINVAL;
	} else if (high) {
		return -EINVAL;
	}
	*lin = va & mask;
	return 0;
}

/* Validate [va, va+size) and convert it to a linear offset. */
static int range_to_lin(const struct ptab *pt, u64 va, u64 size, u64 *lin)
{
	u64 l, limit;
	int err = va_to_lin(pt, va, &l);

	if (err)
		return err;
	limit = range_mask(pt) + 1;
	/* a canonical range must not run from the low half into the hole */
	if (pt->fmt->canonical && l < limit / 2)
		limit /= 2;
	if (size > limit - l)
		return -EINVAL;
	*lin = l;
	return 0;
}

/* Free the table at table_pa (whose entries are at level) and every table
 * below it, children before parents. */
static void free_subtree(const struct ptab *pt, paddr_t table_pa, unsigned level)
{
	paddr_t tpa[PTAB_MAX_LEVELS];
	unsigned idx[PTAB_MAX_LEVELS];
	unsigned lvl = level;

	if (!pt->mem->free_table)
		return;
	tpa[lvl] = table_pa;
	idx[lvl] = 0;
	for (;;) {
		if (idx[lvl] == PTAB_ENTRIES) {
			pt->mem->free_table(pt->mem->ctx, tpa[lvl]);
			if (lvl == level)
				return;
			lvl++;
			idx[lvl]++;
			continue;
		}
		u64 e = table_ptr(pt, tpa[lvl])[idx[lvl]];

		if (is_table(pt, e, lvl)) {
			lvl--;
			tpa[lvl] = pt->fmt->addr(e, lvl + 1);
			idx[lvl] = 0;
			continue;
		}
		idx[lvl]++;
	}
}

/* Replace the large leaf in *slot (at level >= 1) by a table of leaves one
 * level down with the same attributes. The new table is complete before it
 * is linked, so a failure changes nothing. */
static int split(const struct ptab *pt, u64 *slot, unsigned level, paddr_t *table)
{
	u64 e = *slot;
	paddr_t base = pt->fmt->addr(e, level);
	u64 attrs = pt->fmt->attrs(e, level);
	u64 step = level_size(level - 1);
	paddr_t n = alloc_table(pt);
	u64 *child;

	if (!n)
		return -ENOMEM;
	child = table_ptr(pt, n);
	for (unsigned i = 0; i < PTAB_ENTRIES; i++)
		write_entry(&child[i], pt->fmt->leaf_entry(base + i * step, level - 1, attrs));
	sync(pt, child, PAGE_SIZE);
	write_entry(slot, pt->fmt->table_entry(n));
	sync(pt, slot, sizeof(*slot));
	*table = n;
	return 0;
}

/* Walk from the root to the table holding level-`level` entries for lin,
 * creating missing tables and splitting large leaves on the way. */
static int walk_create(const struct ptab *pt, u64 lin, unsigned level, u64 **table)
{
	paddr_t tpa = pt->root;

	for (unsigned lvl = pt->levels - 1; lvl > level; lvl--) {
		u64 *slot = &table_ptr(pt, tpa)[lin_index(lin, lvl)];
		u64 e = *slot;

		if (!present(pt, e)) {
			paddr_t n = alloc_table(pt);

			if (!n)
				return -ENOMEM;
			write_entry(slot, pt->fmt->table_entry(n));
			sync(pt, slot, sizeof(*slot));
			tpa = n;
		} else if (pt->fmt->is_large(e, lvl)) {
			int err = split(pt, slot, lvl, &tpa);

			if (err)
				return err;
		} else {
			tpa = pt->fmt->addr(e, lvl);
		}
	}
	*table = table_ptr(pt, tpa);
	return 0;
}

/* Largest leaf level usable at (lin, pa) for the remaining size. */
static unsigned pick_level(const struct ptab *pt, u64 lin, paddr_t pa, u64 size)
{
	for (unsigned l = pt->max_leaf_level; l > 0; l--) {
		u64 s = level_size(l);

		if (IS_ALIGNED(lin, s) && IS_ALIGNED(pa, s) && size >= s)
			return l;
	}
	return 0;
}

int ptab_init(struct ptab *pt, const struct ptab_fmt *fmt, const struct ptab_mem *mem,
	      unsigned levels, unsigned max_leaf_level)
{
	if (!pt || !fmt || !mem || !mem->alloc_table || !mem->p2v || !fmt->table_entry ||
	    !fmt->leaf_entry || !fmt->present || !fmt->is_large || !fmt->addr || !fmt->attrs)
		return -EINVAL;
	if (levels < 3 || levels > PTAB_MAX_LEVELS || max_leaf_level > 2 ||
	    max_leaf_level >= levels)
		return -EINVAL;
	pt->fmt = fmt;
	pt->mem = mem;
	pt->levels = levels;
	pt->max_leaf_level = max_leaf_level;
	pt->root = alloc_table(pt);
	return pt->root ? 0 : -ENOMEM;
}

int ptab_map(struct ptab *pt, u64 va, paddr_t pa, u64 size, u64 attrs)
{
	u64 lin;
	int err;

	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) ||
	    !IS_ALIGNED(size, PAGE_SIZE) || pa + size < pa)
		return -EINVAL;
	err = range_to_lin(pt, va, size, &lin);
	if (err)
		return err;

	while (size) {
		unsigned level = pick_level(pt, lin, pa, size);
		u64 step = level_size(level);
		unsigned i, first;
		u64 *table;

		err = walk_create(pt, lin, level, &table);
		if (err)
			return err;
		/* fill the run of same-size leaves in this table, then sync once */
		first = i = lin_index(lin, level);
		do {
			u64 old = table[i];

			write_entry(&table[i], pt->fmt->leaf_entry(pa, level, attrs));
			if (is_table(pt, old, level)) {
				/* the hardware must see the leaf before the old table is reused */
				sync(pt, &table[first], (i + 1 - first) * sizeof(u64));
				first = i + 1;
				free_subtree(pt, pt->fmt->addr(old, level), level - 1);
			}
			lin += step;
			pa += step;
			size -= step;
			i++;
		} while (i < PTAB_ENTRIES && size && pick_level(pt, lin, pa, size) == level);
		sync(pt, &table[first], (i - first) * sizeof(u64));
	}
	return 0;
}

static bool table_empty(const struct ptab *pt, const u64 *table)
{
	for (unsigned i = 0; i < PTAB_ENTRIES; i++)
		if (present(pt, table[i]))
			return false;
	return true;
}

/* After entries were cleared in the level-`level` table of path, unlink and
 * free it if it is empty, and so on upwards (never the root). */
static void prune(const struct ptab *pt, const paddr_t *path, u64 lin, unsigned level)
{
	if (!pt->mem->free_table)
		return;
	for (unsigned lvl = level; lvl < pt->levels - 1; lvl++) {
		u64 *slot;

		if (!table_empty(pt, table_ptr(pt, path[lvl])))
			return;
		slot = &table_ptr(pt, path[lvl + 1])[lin_index(lin, lvl + 1)];
		write_entry(slot, 0);
		sync(pt, slot, sizeof(*slot));
		pt->mem->free_table(pt->mem->ctx, path[lvl]);
	}
}

int ptab_unmap(struct ptab *pt, u64 va, u64 size)
{
	u64 lin;
	int err;

	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;
	err = range_to_lin(pt, va, size, &lin);
	if (err)
		return err;

	while (size) {
		paddr_t path[PTAB_MAX_LEVELS];
		unsigned lvl = pt->levels - 1;
		u64 done = 0;

		path[lvl] = pt->root;
		for (;;) {
			u64 *table = table_ptr(pt, path[lvl]);
			unsigned i = lin_index(lin, lvl);
			u64 step = level_size(lvl);
			u64 e = table[i];

			if (!present(pt, e)) {
				done = MIN(ALIGN_DOWN(lin, step) + step - lin, size);
				break;
			}
			if (IS_ALIGNED(lin, step) && size >= step) {
				/* clear the run of entries wholly inside the range */
				unsigned first = i;

				do {
					e = table[i];
					write_entry(&table[i], 0);
					if (is_table(pt, e, lvl)) {
						sync(pt, &table[first], (i + 1 - first) * sizeof(u64));
						first = i + 1;
						free_subtree(pt, pt->fmt->addr(e, lvl), lvl - 1);
					}
					done += step;
					i++;
				} while (i < PTAB_ENTRIES && size - done >= step);
				sync(pt, &table[first], (i - first) * sizeof(u64));
				prune(pt, path, lin, lvl);
				break;
			}
			/* partly covered: lvl >= 1 because ranges are 4 KiB aligned */
			if (pt->fmt->is_large(e, lvl)) {
				err = split(pt, &table[i], lvl, &path[lvl - 1]);
				if (err)
					return err;
			} else {
				path[lvl - 1] = pt->fmt->addr(e, lvl);
			}
			lvl--;
		}
		lin += done;
		size -= done;
	}
	return 0;
}

int ptab_lookup(const struct ptab *pt, u64 va, paddr_t *pa, u64 *attrs, unsigned *level)
{
	paddr_t tpa = pt->root;
	u64 lin;
	int err = va_to_lin(pt, va, &lin);

	if (err)
		return err;
	for (unsigned lvl = pt->levels - 1;; lvl--) {
		u64 e = table_ptr(pt, tpa)[lin_index(lin, lvl)];

		if (!present(pt, e))
			return -ENOENT;
		if (lvl == 0 || pt->fmt->is_large(e, lvl)) {
			if (pa)
				*pa = pt->fmt->addr(e, lvl) + (lin & (level_size(lvl) - 1));
			if (attrs)
				*attrs = pt->fmt->attrs(e, lvl);
			if (level)
				*level = lvl;
			return 0;
		}
		tpa = pt->fmt->addr(e, lvl);
	}
}

int ptab_for_each(const struct ptab *pt, ptab_visit_fn fn, void *ctx)
{
	const u64 *table[PTAB_MAX_LEVELS];
	unsigned idx[PTAB_MAX_LEVELS];
	u64 base[PTAB_MAX_LEVELS];
	unsigned top = pt->levels - 1, lvl = top;

	table[top] = table_ptr(pt, pt->root);
	idx[top] = 0;
	base[top] = 0;
	for (;;) {
		if (idx[lvl] == PTAB_ENTRIES) {
			if (lvl == top)
				return 0;
			lvl++;
			idx[lvl]++;
			continue;
		}
		u64 e = table[lvl][idx[lvl]];
		u64 lin = base[lvl] + (u64)idx[lvl] * level_size(lvl);

		if (present(pt, e)) {
			if (lvl > 0 && !pt->fmt->is_large(e, lvl)) {
				lvl--;
				table[lvl] = table_ptr(pt, pt->fmt->addr(e, lvl + 1));
				idx[lvl] = 0;
				base[lvl] = lin;
				continue;
			}
			int r = fn(ctx, lin_to_va(pt, lin), pt->fmt->addr(e, lvl), level_size(lvl),
				   pt->fmt->attrs(e, lvl), lvl);
			if (r)
				return r;
		}
		idx[lvl]++;
	}
}

size_t ptab_table_count(const struct ptab *pt)
{
	const u64 *table[PTAB_MAX_LEVELS];
	unsigned idx[PTAB_MAX_LEVELS];
	unsigned top = pt->levels - 1, lvl = top;
	size_t count = 1;

	table[top] = table_ptr(pt, pt->root);
	idx[top] = 0;
	for (;;) {
		if (idx[lvl] == PTAB_ENTRIES) {
			if (lvl == top)
				return count;
			lvl++;
			idx[lvl]++;
			continue;
		}
		u64 e = table[lvl][idx[lvl]];

		if (is_table(pt, e, lvl)) {
			count++;
			lvl--;
			table[lvl] = table_ptr(pt, pt->fmt->addr(e, lvl + 1));
			idx[lvl] = 0;
			continue;
		}
		idx[lvl]++;
	}
}
