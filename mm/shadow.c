/* Shadow MMU core (see include/uhv/shadow.h and docs/shadow.md).
 *
 * Shadow tables are ptab tables in x86 format whose non-leaf entries grant
 * everything (P|RW|US|A), so the leaves alone carry the guest's effective
 * access rights. A PAE shadow is a 3-level ptab whose root's first four
 * entries are the PDPTEs: those may only hold P and the address (bits 2:1 and
 * 8:5 are reserved and a VM entry with a reserved PDPTE bit set fails), so
 * they are rewritten after every ptab_map() (fix_pdptes). */
#define LOG_MODULE "shadow"
#include <uhv/shadow.h>
#include <uhv/ptab_x86.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>

#define SH_ENTRIES	512
#define SH_MAX_LEVELS	5
#define PAE_ROOT_LIMIT	GiB(4)

/* ---- table formats -------------------------------------------------------------- */

static u64 sh_table_entry(paddr_t table)
{
	return (table & PTE_ADDR_4K) | PTE_P | PTE_RW | PTE_US | PTE_A;
}

static u64 sh_leaf_entry(paddr_t pa, unsigned level, u64 attrs)
{
	return ptab_x86_fmt.leaf_entry(pa, level, attrs);
}

static bool sh_present(u64 e)
{
	return ptab_x86_fmt.present(e);
}

static bool sh_is_large(u64 e, unsigned level)
{
	return ptab_x86_fmt.is_large(e, level);
}

static paddr_t sh_addr(u64 e, unsigned level)
{
	return ptab_x86_fmt.addr(e, level);
}

static u64 sh_attrs(u64 e, unsigned level)
{
	return ptab_x86_fmt.attrs(e, level);
}

static const struct ptab_fmt shadow_fmt_long = {
	.name = "shadow 4/5-level",
	.canonical = true,
	.table_entry = sh_table_entry,
	.leaf_entry = sh_leaf_entry,
	.present = sh_present,
	.is_large = sh_is_large,
	.addr = sh_addr,
	.attrs = sh_attrs,
};

/* PAE shadows translate 32-bit linear addresses: a 39-bit range starting at 0 */
static const struct ptab_fmt shadow_fmt_pae = {
	.name = "shadow PAE",
	.canonical = false,
	.table_entry = sh_table_entry,
	.leaf_entry = sh_leaf_entry,
	.present = sh_present,
	.is_large = sh_is_large,
	.addr = sh_addr,
	.attrs = sh_attrs,
};

/* ---- helpers ------------------------------------------------------------------------ */

static bool is_long(enum gwalk_paging p)
{
	return p == GWALK_PAGING_4LEVEL || p == GWALK_PAGING_5LEVEL;
}

static u64 level_size(unsigned level)
{
	return 1ULL << (PAGE_SHIFT + 9 * level);
}

static u64 shadow_linear(const struct shadow *sh, u64 la)
{
	return is_long(sh->paging) ? la : la & 0xffffffffULL;
}

static u64 gsize_code(u64 size)
{
	u64 code = size == MiB(2) ? 1 : size == MiB(4) ? 2 : size == GiB(1) ? 3 : 0;

	return code << SHADOW_PTE_GSIZE_SHIFT;
}

static u64 gsize_bytes(u64 attrs)
{
	static const u64 sizes[4] = { KiB(4), MiB(2), MiB(4), GiB(1) };

	return sizes[(attrs & SHADOW_PTE_GSIZE_MASK) >> SHADOW_PTE_GSIZE_SHIFT];
}

static u64 *table_ptr(const struct shadow *sh, paddr_t pa)
{
	return sh->ops->mem->p2v(sh->ops->mem->ctx, pa);
}

static void set_entry(u64 *slot, u64 val)
{
	*(volatile u64 *)slot = val;
}

/* PDPTEs of a PAE shadow: P and the address only */
static void fix_pdptes(const struct shadow *sh, const struct shadow_root *r)
{
	u64 *pdpt;

	if (is_long(r->paging))
		return;
	pdpt = table_ptr(sh, r->pt.root);
	for (unsigned i = 0; i < 4; i++)
		if (pdpt[i] & PTE_P)
			set_entry(&pdpt[i], (pdpt[i] & PTE_ADDR_4K) | PTE_P);
}

/* Clear the leaves of a root (all, or only those without SHADOW_PTE_GLOBAL)
 * and free every table left empty unless keep_tables (a CR3 load of a cached
 * root: the same tables are refilled right away, and allocating a zeroed page
 * costs more than the walk); the root table itself stays. An own walk
 * rather than ptab_unmap: global leaves are scattered, and it clears in one
 * pass with bounded state. */
static void clear_root(const struct shadow *sh, struct shadow_root *r, bool keep_global,
		       bool keep_tables)
{
	u64 *table[SH_MAX_LEVELS];
	paddr_t tpa[SH_MAX_LEVELS];
	unsigned idx[SH_MAX_LEVELS], live[SH_MAX_LEVELS];
	unsigned top = r->pt.levels - 1, lvl = top;
	/* a PAE root has only four PDPTEs in use: skip the other 508 slots */
	unsigned top_n = is_long(r->paging) ? SH_ENTRIES : 4;
	const struct ptab_mem *mem = sh->ops->mem;

	if (!keep_global) {	/* global fragments may survive: keep the records */
		r->nr_split = 0;
		r->splinters = 0;
	}
	tpa[top] = r->pt.root;
	table[top] = table_ptr(sh, tpa[top]);
	idx[top] = 0;
	live[top] = 0;
	for (;;) {
		if (idx[lvl] == (lvl == top ? top_n : SH_ENTRIES)) {
			bool empty = live[lvl] == 0;

			if (lvl == top)
				return;
			lvl++;
			if (empty && !keep_tables) {
				set_entry(&table[lvl][idx[lvl]], 0);
				mem->free_table(mem->ctx, tpa[lvl - 1]);
			} else {
				live[lvl]++;
			}
			idx[lvl]++;
			continue;
		}
		u64 e = table[lvl][idx[lvl]];

		if (!(e & PTE_P)) {
			idx[lvl]++;
			continue;
		}
		if (lvl > 0 && !(e & PTE_PS)) {
			lvl--;
			tpa[lvl] = e & PTE_ADDR_4K;
			table[lvl] = table_ptr(sh, tpa[lvl]);
			idx[lvl] = 0;
			live[lvl] = 0;
			continue;
		}
		if (keep_global && (e & SHADOW_PTE_GLOBAL))
			live[lvl]++;
		else
			set_entry(&table[lvl][idx[lvl]], 0);
		idx[lvl]++;
	}
}

static void root_destroy(struct shadow *sh, struct shadow_root *r)
{
	if (!r->used)
		return;
	clear_root(sh, r, false, false);
	sh->ops->mem->free_table(sh->ops->mem->ctx, r->pt.root);
	r->used = false;
	if (sh->cur == r)
		sh->cur = NULL;
}

static int root_create(struct shadow *sh, struct shadow_root *r, enum gwalk_paging p, u64 key)
{
	bool pae = !is_long(p);
	unsigned levels = pae ? 3 : p == GWALK_PAGING_5LEVEL ? 5 : 4;
	unsigned max_leaf = pae ? 1 : sh->ops->host_1g ? 2 : 1;
	int err = ptab_init(&r->pt, pae ? &shadow_fmt_pae : &shadow_fmt_long, sh->ops->mem, levels,
			    max_leaf);

	if (err)
		return err;
	if (pae && r->pt.root >= PAE_ROOT_LIMIT) {
		pr_err("PAE shadow root %#llx is above 4 GiB (PAE CR3 has 32 bits); "
		       "give the shadow MMU table pages below 4 GiB\n",
		       r->pt.root);
		sh->ops->mem->free_table(sh->ops->mem->ctx, r->pt.root);
		return -ENOMEM;
	}
	r->used = true;
	r->paging = p;
	r->key = key;
	return 0;
}

/* Drop every root but the current one; returns how many were dropped. */
static unsigned reclaim(struct shadow *sh)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sh->max_roots; i++) {
		if (sh->roots[i].used && &sh->roots[i] != sh->cur) {
			root_destroy(sh, &sh->roots[i]);
			sh->stats.evictions++;
			n++;
		}
	}
	return n;
}

/* Guest CR3 bits that name an address space in the current paging mode. */
static u64 root_key(const struct shadow *sh, u64 cr3)
{
	switch (sh->paging) {
	case GWALK_PAGING_OFF:
		return 0;
	case GWALK_PAGING_32:
		return cr3 & 0xfffff000ULL;
	case GWALK_PAGING_PAE:
		return cr3 & 0xffffffe0ULL;
	default:
		/* with PCIDs each PCID is its own address space (SDM 4.10.1) */
		return (cr3 & PTE_ADDR_4K) | ((sh->mode.cr4 & CR4_PCIDE) ? cr3 & 0xfff : 0);
	}
}

/* Make the root for cr3 current, from the cache or new (evicting the least
 * recently used root when the cache is full). flush: MOV to CR3 semantics. */
static int activate(struct shadow *sh, u64 cr3, bool flush, paddr_t *root)
{
	u64 key = root_key(sh, cr3);
	struct shadow_root *r = NULL, *lru = NULL;
	int err;

	for (unsigned i = 0; i < sh->max_roots; i++) {
		struct shadow_root *c = &sh->roots[i];

		if (c->used && c->paging == sh->paging && c->key == key) {
			r = c;
			break;
		}
	}
	if (r) {
		sh->stats.hits++;
		if (flush && sh->paging != GWALK_PAGING_OFF)
			clear_root(sh, r, true, true);
	} else {
		sh->stats.misses++;
		/* the guest leaves the current root: it may be evicted / reclaimed */
		sh->cur = NULL;
		for (unsigned i = 0; i < sh->max_roots; i++) {
			struct shadow_root *c = &sh->roots[i];

			if (!c->used) {
				r = c;
				break;
			}
			if (!lru || c->last_use < lru->last_use)
				lru = c;
		}
		if (!r) {
			root_destroy(sh, lru);
			sh->stats.evictions++;
			r = lru;
		}
		err = root_create(sh, r, sh->paging, key);
		if (err == -ENOMEM && reclaim(sh))
			err = root_create(sh, r, sh->paging, key);
		if (err) {
			sh->cur = NULL;
			return err;
		}
	}
	r->last_use = ++sh->clock;
	sh->cur = r;
	*root = r->pt.root;
	return 0;
}

/* ---- API -------------------------------------------------------------------------------- */

int shadow_init(struct shadow *sh, const struct shadow_ops *ops, unsigned max_roots,
		const struct gwalk_mode *mode, paddr_t *root)
{
	if (!sh || !ops || !mode || !root || !ops->read_gpa || !ops->write_gpa || !ops->ram_hpa ||
	    !ops->mem || !ops->mem->alloc_table || !ops->mem->free_table || !ops->mem->p2v ||
	    max_roots < 1 || max_roots > SHADOW_MAX_ROOTS)
		return -EINVAL;
	*sh = (struct shadow){ 0 };
	sh->ops = ops;
	sh->gops = (struct gwalk_ops){ .read_gpa = ops->read_gpa, .write_gpa = ops->write_gpa,
				       .ctx = ops->ctx };
	sh->max_roots = max_roots;
	sh->mode = *mode;
	sh->paging = gwalk_paging(mode->cr0, mode->cr4, mode->efer);
	return activate(sh, mode->cr3, false, root);
}

void shadow_destroy(struct shadow *sh)
{
	for (unsigned i = 0; i < sh->max_roots; i++)
		root_destroy(sh, &sh->roots[i]);
}

int shadow_load_cr3(struct shadow *sh, u64 cr3, const u64 *pdpte, paddr_t *root)
{
	bool noflush = (sh->mode.cr4 & CR4_PCIDE) && (cr3 & BIT(63));

	if (sh->paging == GWALK_PAGING_PAE) {
		if (!pdpte)
			return -EINVAL;
		for (unsigned i = 0; i < 4; i++)
			sh->mode.pdpte[i] = pdpte[i];
	}
	/* bit 63 (no-flush) is an instruction operand, not part of CR3 */
	sh->mode.cr3 = cr3 & ~BIT(63);
	return activate(sh, sh->mode.cr3, !noflush, root);
}

/* Does going from a to b change how the guest's tables translate? */
static bool mode_changed(const struct gwalk_mode *a, const struct gwalk_mode *b)
{
	const u64 cr0_bits = CR0_PG | CR0_WP;
	const u64 cr4_bits = CR4_PAE | CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_PKE |
			     CR4_LA57 | CR4_PCIDE;
	const u64 efer_bits = EFER_NXE | EFER_LMA;

	if (((a->cr0 ^ b->cr0) & cr0_bits) || ((a->cr4 ^ b->cr4) & cr4_bits) ||
	    ((a->efer ^ b->efer) & efer_bits) || a->maxphyaddr != b->maxphyaddr ||
	    a->pdpe1gb != b->pdpe1gb)
		return true;
	if (gwalk_paging(b->cr0, b->cr4, b->efer) == GWALK_PAGING_PAE)
		for (unsigned i = 0; i < 4; i++)
			if (a->pdpte[i] != b->pdpte[i])
				return true;
	return false;
}

int shadow_set_mode(struct shadow *sh, const struct gwalk_mode *mode, paddr_t *root)
{
	bool changed = mode_changed(&sh->mode, mode);
	u64 old_key = root_key(sh, sh->mode.cr3);

	if (changed) {
		shadow_destroy(sh);
		sh->stats.flushes++;
	}
	sh->mode = *mode;	/* PKRU changes need no flush: the processor checks keys itself */
	sh->paging = gwalk_paging(mode->cr0, mode->cr4, mode->efer);
	if (!changed && sh->cur && root_key(sh, mode->cr3) == old_key) {
		*root = sh->cur->pt.root;
		return 0;
	}
	return activate(sh, mode->cr3, !changed, root);
}

/* Attributes of the shadow leaf for a translation the guest allows (w). */
static u64 leaf_attrs(const struct shadow *sh, const struct gwalk_result *w, unsigned access)
{
	const struct gwalk_mode *m = &sh->mode;
	bool write = !(access & GWALK_FETCH) && (access & GWALK_WRITE);
	bool user = (access & GWALK_USER) && !(access & GWALK_IMPLICIT);
	bool guest_u = w->flags & PTE_US, guest_w = w->flags & PTE_RW, dirty = w->flags & PTE_D;
	/* A and D preset: the processor never needs to write shadow entries */
	u64 a = PTE_A | PTE_D | gsize_code(w->page_size);

	if (sh->paging == GWALK_PAGING_OFF)
		return a | PTE_RW | PTE_US;
	if (guest_u)
		a |= PTE_US;
	if (guest_w && dirty) {
		a |= PTE_RW;
	} else if (write && !user && !guest_w && !(m->cr0 & CR0_WP)) {
		/* CR0.WP=0 lets supervisor writes through read-only pages, but
		 * the processor runs the guest with WP=1 (to see first writes):
		 * make the page writable for the supervisor only. User accesses
		 * then fault and get the guest's R/O, user view back; NX keeps
		 * SMEP's no-fetch rule for what is a user page to the guest. */
		a |= PTE_RW;
		if (guest_u) {
			a &= ~PTE_US;
			if (m->cr4 & CR4_SMEP)
				a |= PTE_NX;
		}
	}
	if (w->flags & PTE_NX)
		a |= PTE_NX;
	a |= w->flags & (PTE_PWT | PTE_PCD | PTE_PAT);
	if ((w->flags & PTE_G) && (m->cr4 & CR4_PGE))
		a |= SHADOW_PTE_GLOBAL;
	if (is_long(sh->paging) && (m->cr4 & CR4_PKE))
		a |= (u64)w->pkey << 59;
	return a;
}

/* The processor's own error code, as the guest's processor would give it:
 * it runs the guest with EFER.NXE=1, so it reports I/D on every fetch. */
static u32 reflect_pfec(const struct shadow *sh, u32 pfec)
{
	bool id = (sh->mode.cr4 & CR4_SMEP) ||
		  (sh->paging != GWALK_PAGING_32 && (sh->mode.efer & EFER_NXE));

	return id ? pfec : pfec & ~PFEC_ID;
}

/* The host memory behind the guest page w->gpa: the largest leaf inside the
 * guest page that is RAM, contiguous and aligned in host memory (paging off:
 * any 2 MiB of RAM), else one uncached page of passed-through MMIO. false when
 * neither: the access is emulated. */
static bool backing(const struct shadow *sh, const struct gwalk_result *w, u64 *attrs,
		    u64 *size, paddr_t *hpa)
{
	u64 limit = sh->paging == GWALK_PAGING_OFF ? MiB(2) : w->page_size;
	paddr_t h;

	for (unsigned level = sh->cur->pt.max_leaf_level + 1; level-- > 0;) {
		u64 s = level_size(level);

		if (s > limit)
			continue;
		if (sh->ops->ram_hpa(sh->ops->ctx, ALIGN_DOWN(w->gpa, s), s, &h) == 0 &&
		    IS_ALIGNED(h, s)) {
			*size = s;
			*hpa = h;
			return true;
		}
	}
	if (!sh->ops->mmio_hpa ||
	    sh->ops->mmio_hpa(sh->ops->ctx, ALIGN_DOWN(w->gpa, PAGE_SIZE), PAGE_SIZE, &h) ||
	    !IS_ALIGNED(h, PAGE_SIZE))
		return false;
	/* PAT index 3 (PCD|PWT): UC in the power-on PAT and Linux's */
	*attrs = (*attrs & ~PTE_PAT) | PTE_PCD | PTE_PWT;
	*size = PAGE_SIZE;
	*hpa = h;
	return true;
}

/* Map the leaf in the current root, making room when the table pool is empty. */
static int map_leaf(struct shadow *sh, u64 va, paddr_t hpa, u64 size, u64 attrs)
{
	int err = ptab_map(&sh->cur->pt, va, hpa, size, attrs);

	if (err == -ENOMEM && reclaim(sh))
		err = ptab_map(&sh->cur->pt, va, hpa, size, attrs);
	if (err == -ENOMEM) {
		clear_root(sh, sh->cur, false, false);
		err = ptab_map(&sh->cur->pt, va, hpa, size, attrs);
	}
	fix_pdptes(sh, sh->cur);
	return err;
}

/* Remember that the guest page at base (size in attrs) is shadowed by smaller leaves. */
static void note_split(struct shadow_root *r, u64 base, u64 attrs)
{
	u8 code = (attrs & SHADOW_PTE_GSIZE_MASK) >> SHADOW_PTE_GSIZE_SHIFT;

	if (!code)
		return;
	for (unsigned i = 0; i < r->nr_split; i++)
		if (r->split[i].base == base && r->split[i].code == code)
			return;
	if (r->nr_split < SHADOW_SPLIT_PAGES)
		r->split[r->nr_split++] = (typeof(r->split[0])){ .base = base, .code = code };
	else
		r->splinters |= BIT(code);
}

int shadow_fill(struct shadow *sh, u64 la, u32 pfec, unsigned access, struct shadow_fault *out)
{
	struct gwalk_result w;
	u64 lin = shadow_linear(sh, la);
	u64 attrs, size = 0, old_attrs;
	paddr_t hpa = 0, old_hpa;
	unsigned old_level;
	bool found;
	int err;

	*out = (struct shadow_fault){ 0 };
	if (!sh->cur)
		return -EINVAL;
	err = gwalk(&sh->gops, &sh->mode, la, access & ~GWALK_NO_AD, &w);
	if (err == -EFAULT) {
		out->error_code = w.error_code;
		out->cr2 = lin;
		sh->stats.injects++;
		return SHADOW_INJECT;
	}
	if (err == -EIO) {
		/* the caller reports it: it knows the guest's state to print */
		out->gpa = w.bad_gpa;
		return -EIO;
	}
	if (err)
		return err;
	out->walk = w;
	attrs = leaf_attrs(sh, &w, access);
	if (!backing(sh, &w, &attrs, &size, &hpa)) {
		out->gpa = w.gpa;
		sh->stats.mmio++;
		return SHADOW_MMIO;
	}

	/* The shadow already says exactly this: the processor faulted on the
	 * guest's own rights (e.g. an implicit supervisor access under SMAP,
	 * which the error code cannot tell from an explicit one). */
	found = !ptab_lookup(&sh->cur->pt, ALIGN_DOWN(lin, size), &old_hpa, &old_attrs, &old_level);
	if (found && old_hpa == hpa && old_attrs == (attrs | PTE_P) && level_size(old_level) == size) {
		out->error_code = reflect_pfec(sh, pfec);
		out->cr2 = lin;
		sh->stats.injects++;
		sh->stats.reflects++;
		return SHADOW_INJECT;
	}

	/* A larger leaf here is from an older translation (a larger guest page
	 * the guest has since remapped): drop it whole. ptab_map would split it
	 * and keep its other fragments, which INVLPG of the old page no longer
	 * finds (the lookup at its address sees the new, smaller page; no split
	 * record names them). Found by test/unit/test_shadow_fuzz.c. */
	if (found && level_size(old_level) > size) {
		err = ptab_unmap(&sh->cur->pt, ALIGN_DOWN(lin, level_size(old_level)),
				 level_size(old_level));
		if (err)
			return err;
	}
	err = map_leaf(sh, ALIGN_DOWN(lin, size), hpa, size, attrs);
	if (err)
		return err;
	if (size < w.page_size)
		note_split(sh->cur, ALIGN_DOWN(lin, w.page_size), attrs);
	sh->stats.fills++;
	return SHADOW_FILLED;
}

/* Clear the leaves with guest page size code gsize in [va, last] below the
 * entry table at level (a table entry covers the range). Recursion depth is
 * at most the table depth; emptied tables stay linked (refilled soon, freed
 * by the next full clear). */
static void drop_fragments(const struct shadow *sh, paddr_t table, unsigned level, u64 va,
			   u64 last, u64 gsize)
{
	u64 *t = table_ptr(sh, table);
	unsigned shift = PAGE_SHIFT + 9 * level;
	unsigned first = (va >> shift) & (SH_ENTRIES - 1);
	unsigned n = ((last >> shift) & (SH_ENTRIES - 1)) - first + 1;
	u64 step = level_size(level);

	for (unsigned i = 0; i < n; i++) {
		u64 e = t[first + i], lo = i ? ALIGN_DOWN(va, step) + i * step : va;

		if (!(e & PTE_P))
			continue;
		if (level > 0 && !(e & PTE_PS))
			drop_fragments(sh, e & PTE_ADDR_4K, level - 1, lo,
				       MIN(last, ALIGN_DOWN(lo, step) + step - 1), gsize);
		else if ((e & SHADOW_PTE_GSIZE_MASK) == gsize)
			set_entry(&t[first + i], 0);
	}
}

static void drop_split_page(const struct shadow *sh, const struct shadow_root *r, u64 base,
			    u8 code)
{
	u64 size = gsize_bytes((u64)code << SHADOW_PTE_GSIZE_SHIFT);

	drop_fragments(sh, r->pt.root, r->pt.levels - 1, base, base + size - 1,
		       (u64)code << SHADOW_PTE_GSIZE_SHIFT);
}

/* Drop the fragments of the split guest large pages that contain lin, at
 * whatever offset and whatever the guest's tables say now: the guest may have
 * repointed or split the page before its INVLPG (issue 18). Cost: a compare
 * per remembered page; a scan of 512 entries per 2 MiB page, 1024 per 4 MiB,
 * the present tables of 1 GiB when lin is in one. */
static void drop_splinters(const struct shadow *sh, struct shadow_root *r, u64 lin)
{
	for (unsigned i = 0; i < r->nr_split;) {
		u8 code = r->split[i].code;

		if (r->split[i].base != ALIGN_DOWN(lin, gsize_bytes((u64)code <<
								   SHADOW_PTE_GSIZE_SHIFT))) {
			i++;
			continue;
		}
		drop_split_page(sh, r, r->split[i].base, code);
		r->split[i] = r->split[--r->nr_split];
	}
	/* more split pages than remembered: look in every size's page at lin */
	for (u8 code = 1; code < 4; code++)
		if (r->splinters & BIT(code))
			drop_split_page(sh, r, ALIGN_DOWN(lin, gsize_bytes((u64)code <<
									SHADOW_PTE_GSIZE_SHIFT)),
					code);
}

void shadow_invlpg(struct shadow *sh, u64 la)
{
	sh->stats.invlpgs++;
	for (unsigned i = 0; i < sh->max_roots; i++) {
		struct shadow_root *r = &sh->roots[i];
		u64 lin = is_long(r->paging) ? la : la & 0xffffffffULL;
		unsigned level;
		u64 attrs, span;

		if (!r->used)
			continue;
		if (r->nr_split || r->splinters)
			drop_splinters(sh, r, lin);
		if (ptab_lookup(&r->pt, lin, NULL, &attrs, &level))
			continue;
		/* every shadow leaf made from the guest page goes (a shadow
		 * leaf is never larger than its guest page) */
		span = MAX(gsize_bytes(attrs), level_size(level));
		if (ptab_unmap(&r->pt, ALIGN_DOWN(lin, span), span))
			clear_root(sh, r, false, false);
		fix_pdptes(sh, r);
	}
}

void shadow_flush(struct shadow *sh, bool keep_global)
{
	sh->stats.flushes++;
	for (unsigned i = 0; i < sh->max_roots; i++)
		if (sh->roots[i].used)
			clear_root(sh, &sh->roots[i], keep_global, false);
}

int shadow_lookup(const struct shadow *sh, u64 la, paddr_t *hpa, u64 *attrs, unsigned *level)
{
	if (!sh->cur)
		return -ENOENT;
	return ptab_lookup(&sh->cur->pt, shadow_linear(sh, la), hpa, attrs, level);
}

unsigned shadow_roots_used(const struct shadow *sh)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sh->max_roots; i++)
		n += sh->roots[i].used;
	return n;
}
