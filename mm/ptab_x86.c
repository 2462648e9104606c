/* x86-64 paging format for ptab and the W^X checker (see ptab_x86.h). */
#include <uhv/ptab_x86.h>
#include <uhv/errno.h>

#define X86_ENTRIES	512
#define X86_MAX_LEVELS	5

static u64 addr_mask(unsigned level)
{
	return level == 0 ? PTE_ADDR_4K : level == 1 ? PTE_ADDR_2M : PTE_ADDR_1G;
}

static u64 x86_table_entry(paddr_t table)
{
	return (table & PTE_ADDR_4K) | PTE_P | PTE_RW | PTE_A;
}

static u64 x86_leaf_entry(paddr_t pa, unsigned level, u64 attrs)
{
	u64 flags = (attrs & PTE_FLAGS) | PTE_P;

	if (level == 0)
		return (pa & PTE_ADDR_4K) | flags;
	/* bit 7 of attrs is PAT; in a large leaf bit 7 is PS and PAT moves to 12 */
	return (pa & addr_mask(level)) | (flags & ~PTE_PAT) | PTE_PS |
	       ((flags & PTE_PAT) ? PTE_PAT_LARGE : 0);
}

static bool x86_present(u64 e)
{
	return e & PTE_P;
}

static bool x86_is_large(u64 e, unsigned level)
{
	return level > 0 && (e & PTE_PS);
}

static paddr_t x86_addr(u64 e, unsigned level)
{
	return e & addr_mask((e & PTE_PS) ? level : 0);
}

static u64 x86_attrs(u64 e, unsigned level)
{
	if (level == 0)
		return e & PTE_FLAGS;
	return (e & PTE_FLAGS & ~PTE_PS) | ((e & PTE_PAT_LARGE) ? PTE_PAT : 0);
}

const struct ptab_fmt ptab_x86_fmt = {
	.name = "x86-64",
	.canonical = true,
	.table_entry = x86_table_entry,
	.leaf_entry = x86_leaf_entry,
	.present = x86_present,
	.is_large = x86_is_large,
	.addr = x86_addr,
	.attrs = x86_attrs,
};

/* Effective flags of an entry under a path whose accumulated flags are acc:
 * RW and US need every level, NX from any level wins. */
static u64 combine(u64 acc, u64 e)
{
	u64 and_bits = PTE_RW | PTE_US;

	return (acc & ~(and_bits | PTE_NX)) | (acc & e & and_bits) | ((acc | e) & PTE_NX);
}

/* An own walk rather than ptab_for_each: the non-leaf entries' permissions
 * matter here, and tables not built by ptab (boot tables) can have them. */
int ptab_x86_check_wx(const struct ptab *pt, void (*report)(void *ctx, u64 va, u64 size, u64 attrs),
		      void *ctx)
{
	const u64 *table[X86_MAX_LEVELS];
	unsigned idx[X86_MAX_LEVELS];
	u64 base[X86_MAX_LEVELS], acc[X86_MAX_LEVELS];
	unsigned top, lvl;
	unsigned width;
	int found = 0;

	if (pt->fmt != &ptab_x86_fmt || pt->levels < 3 || pt->levels > X86_MAX_LEVELS)
		return -EINVAL;
	top = lvl = pt->levels - 1;
	width = PAGE_SHIFT + 9 * pt->levels;
	table[top] = pt->mem->p2v(pt->mem->ctx, pt->root);
	idx[top] = 0;
	base[top] = 0;
	acc[top] = PTE_RW | PTE_US;	/* nothing above the root restricts */
	for (;;) {
		if (idx[lvl] == X86_ENTRIES) {
			if (lvl == top)
				return found;
			lvl++;
			idx[lvl]++;
			continue;
		}
		u64 e = table[lvl][idx[lvl]];
		unsigned shift = PAGE_SHIFT + 9 * lvl;
		u64 va = base[lvl] + ((u64)idx[lvl] << shift);

		if (!(e & PTE_P)) {
			idx[lvl]++;
			continue;
		}
		u64 eff = combine(acc[lvl], e);

		if (lvl > 0 && !(e & PTE_PS)) {
			lvl--;
			table[lvl] = pt->mem->p2v(pt->mem->ctx, e & PTE_ADDR_4K);
			idx[lvl] = 0;
			base[lvl] = va;
			acc[lvl] = eff;
			continue;
		}
		if ((eff & PTE_RW) && !(eff & PTE_NX)) {
			found++;
			if (report) {
				u64 sva = (va >> (width - 1)) & 1 ? va | ~((1ULL << width) - 1) : va;

				report(ctx, sva, 1ULL << shift, (x86_attrs(e, lvl) & ~(PTE_RW | PTE_US |
					PTE_NX)) | eff);
			}
		}
		idx[lvl]++;
	}
}
