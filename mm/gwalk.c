/* Guest page-table walker (see include/uhv/gwalk.h).
 *
 * Levels are counted from the leaf as in ptab.h: level 0 holds PTEs, level 1
 * PDEs, level 2 PDPTEs, level 3 PML4Es, level 4 PML5Es. 32-bit paging has
 * levels 0 and 1 with 4-byte entries and 10 index bits; PAE paging walks
 * levels 1 and 0 below the PDPTE register selected by linear bits 31:30. */
#include <uhv/gwalk.h>
#include <uhv/ptab_x86.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>

#define GW_MAX_LEVELS	5

/* mask of bits hi..lo (empty when hi < lo) */
static u64 bits(unsigned hi, unsigned lo)
{
	u64 upto_hi = hi >= 63 ? ~0ULL : BIT(hi + 1) - 1;

	return hi < lo ? 0 : upto_hi & ~(BIT(lo) - 1);
}

enum gwalk_paging gwalk_paging(u64 cr0, u64 cr4, u64 efer)
{
	if (!(cr0 & CR0_PG))
		return GWALK_PAGING_OFF;
	if (!(cr4 & CR4_PAE))
		return GWALK_PAGING_32;
	if (!(efer & EFER_LMA))
		return GWALK_PAGING_PAE;
	return (cr4 & CR4_LA57) ? GWALK_PAGING_5LEVEL : GWALK_PAGING_4LEVEL;
}

static bool is_long(enum gwalk_paging p)
{
	return p == GWALK_PAGING_4LEVEL || p == GWALK_PAGING_5LEVEL;
}

static unsigned level_shift(enum gwalk_paging p, unsigned level)
{
	return p == GWALK_PAGING_32 ? 12 + 10 * level : 12 + 9 * level;
}

/* Does a present entry at level with PS=1 map a page (rather than have PS
 * ignored or reserved)? Reserved PS bits are caught by rsvd_bits() first. */
static bool ps_maps_page(const struct gwalk_mode *m, enum gwalk_paging p, unsigned level)
{
	if (p == GWALK_PAGING_32)
		return level == 1 && (m->cr4 & CR4_PSE);	/* PS ignored without CR4.PSE */
	return level == 1 || level == 2;
}

/* Reserved bits of a present paging-structure entry e at level (SDM 4.3,
 * 4.4.2, 4.5.4 and the format tables). PAE PDPTEs are checked at load. */
static u64 rsvd_bits(const struct gwalk_mode *m, enum gwalk_paging p, unsigned level, u64 e)
{
	unsigned maxphy = m->maxphyaddr;
	bool ps = e & PTE_PS;
	bool nxe = m->efer & EFER_NXE;
	u64 r;

	if (p == GWALK_PAGING_32) {
		/* 4 MiB PDE: bits (M-20):13 hold address bits (M-1):32 with
		 * M = min(MAXPHYADDR, 40); bits 21:(M-19) are reserved */
		if (level == 1 && ps && (m->cr4 & CR4_PSE))
			return bits(21, MIN(maxphy, 40u) - 19);
		return 0;
	}
	if (p == GWALK_PAGING_PAE)
		r = bits(62, maxphy);	/* PAE entries: 62:M reserved, no ignored high bits */
	else
		r = bits(51, maxphy);	/* 4/5-level: 51:M reserved, 62:52 ignored / pkey */
	if (!nxe)
		r |= PTE_NX;		/* XD is reserved when IA32_EFER.NXE=0 */
	if (level >= 3)
		r |= PTE_PS;		/* PML4E / PML5E: PS must be 0 */
	else if (level == 2 && ps)
		r |= m->pdpe1gb ? bits(29, 13) : PTE_PS;	/* 1 GiB page, or PS reserved */
	else if (level == 1 && ps)
		r |= bits(20, 13);	/* 2 MiB page: 20:13 reserved, 12 is PAT */
	return r;
}

static int read_entry(const struct gwalk_ops *ops, u64 gpa, unsigned size, u64 *e)
{
	u32 e32;
	int err;

	if (size == 4) {
		err = ops->read_gpa(ops->ctx, gpa, &e32, 4);
		*e = e32;
		return err;
	}
	return ops->read_gpa(ops->ctx, gpa, e, 8);
}

static int write_entry(const struct gwalk_ops *ops, u64 gpa, unsigned size, u64 e)
{
	u32 e32 = (u32)e;

	if (size == 4)
		return ops->write_gpa(ops->ctx, gpa, &e32, 4);
	return ops->write_gpa(ops->ctx, gpa, &e, 8);
}

/* Linear address bits that take part in translation; -EINVAL when a 4/5-level
 * address is not canonical. */
static int linear(enum gwalk_paging p, u64 la, u64 *out)
{
	unsigned width;
	u64 high;

	if (!is_long(p)) {
		*out = la & 0xffffffffULL;
		return 0;
	}
	width = p == GWALK_PAGING_5LEVEL ? 57 : 48;
	high = la >> (width - 1);
	if (high != 0 && high != (~0ULL >> (width - 1)))
		return -EINVAL;
	*out = la & (BIT(width) - 1);
	return 0;
}

/* Does the access violate the rights of the translation (SDM 4.6.1)?
 * eff: effective PTE_RW / PTE_US / PTE_NX. Sets *pk for a protection-key
 * violation (SDM 4.6.2), which is reported with PFEC_PK. */
static bool denied(const struct gwalk_mode *m, enum gwalk_paging p, u64 eff, unsigned pkey,
		   unsigned access, bool *pk)
{
	bool fetch = access & GWALK_FETCH;
	bool write = !fetch && (access & GWALK_WRITE);
	bool implicit = access & GWALK_IMPLICIT;
	bool user = (access & GWALK_USER) && !implicit;
	bool upage = eff & PTE_US;
	bool wp = m->cr0 & CR0_WP;
	bool bad = false;

	*pk = false;
	if (fetch) {
		if (eff & PTE_NX)
			bad = true;
		if (user && !upage)
			bad = true;
		if (!user && upage && (m->cr4 & CR4_SMEP))
			bad = true;
		return bad;
	}
	if (user) {
		if (!upage || (write && !(eff & PTE_RW)))
			bad = true;
	} else {
		if (upage && (m->cr4 & CR4_SMAP) && (implicit || !(access & GWALK_AC)))
			bad = true;
		if (write && wp && !(eff & PTE_RW))
			bad = true;
	}
	if (upage && is_long(p) && (m->cr4 & CR4_PKE)) {
		bool ad = (m->pkru >> (2 * pkey)) & 1;
		bool wd = (m->pkru >> (2 * pkey + 1)) & 1;

		if (ad || (wd && write && (user || wp)))
			*pk = true;
	}
	return bad || *pk;
}

/* One walk in progress: the mode's constants, then what each level found. */
struct walk {
	const struct gwalk_ops *ops;
	const struct gwalk_mode *m;
	enum gwalk_paging p;
	u64 lin;			/* the linear address bits that translate */
	unsigned esize, idx_bits;	/* entry bytes, index bits per level */
	bool nxe;			/* XD bits count */
	u32 ec;				/* #PF error code bits of the access itself */
	unsigned top, level;		/* first level read; the leaf's level */
	u64 e;				/* the leaf entry */
	u64 eff;			/* effective PTE_RW / PTE_US / PTE_NX */
};

/* The entries a walk used and where they are, by level: apart from struct walk, whose scalars
 * the compiler can then keep in registers. */
struct walk_path {
	u64 ent[GW_MAX_LEVELS], eaddr[GW_MAX_LEVELS];
};

/* The top-level table (*table) and its level; a not-present PAE PDPTE faults. */
static __always_inline int walk_root(struct walk *w, struct gwalk_result *res, u64 *table)
{
	const struct gwalk_mode *m = w->m;
	u64 e;

	switch (w->p) {
	case GWALK_PAGING_32:
		w->top = 1;
		*table = m->cr3 & bits(31, 12);
		return 0;
	case GWALK_PAGING_PAE:
		/* the PDPTE registers were validated when they were loaded */
		e = m->pdpte[(w->lin >> 30) & 3];
		if (!(e & PTE_P)) {
			res->error_code = w->ec;
			return -EFAULT;
		}
		w->top = 1;
		*table = e & PTE_ADDR_4K & bits(m->maxphyaddr - 1, 12);
		return 0;
	default:
		w->top = w->p == GWALK_PAGING_5LEVEL ? 4 : 3;
		*table = m->cr3 & PTE_ADDR_4K & bits(m->maxphyaddr - 1, 12);
		return 0;
	}
}

/* Down from w->top to the leaf: w->level, w->e, w->eff, path->ent[], path->eaddr[]. */
static __always_inline int walk_tables(struct walk *w, struct walk_path *path, u64 table,
				       struct gwalk_result *res)
{
	u64 e;

	for (unsigned level = w->top;; level--) {
		u64 idx = (w->lin >> level_shift(w->p, level)) & (BIT(w->idx_bits) - 1);
		u64 ea = table + idx * w->esize;

		if (read_entry(w->ops, ea, w->esize, &e)) {
			res->bad_gpa = ea;
			return -EIO;
		}
		path->eaddr[level] = ea;
		path->ent[level] = e;
		if (!(e & PTE_P)) {
			res->error_code = w->ec;
			return -EFAULT;
		}
		if (e & rsvd_bits(w->m, w->p, level, e)) {
			res->error_code = w->ec | PFEC_P | PFEC_RSVD;
			return -EFAULT;
		}
		w->eff &= e | ~(PTE_RW | PTE_US);
		if (w->nxe)
			w->eff |= e & PTE_NX;
		if (level == 0 || ((e & PTE_PS) && ps_maps_page(w->m, w->p, level))) {
			w->level = level;
			w->e = e;
			return 0;
		}
		/* 32-bit entries are 4 bytes: bits 31:12; others bits 51:12, and
		 * the bits at and above MAXPHYADDR were checked to be zero */
		table = e & PTE_ADDR_4K;
	}
}

/* A in every entry used, D in the leaf on a write (SDM 4.8). Each entry
 * is read again and only the flag bits are ORed in, so an entry that is
 * used at two levels (recursive mappings) keeps both updates. */
static __always_inline int set_accessed_dirty(struct walk *w, struct walk_path *path, bool write,
					      struct gwalk_result *res)
{
	for (unsigned l = w->top; l + 1 > w->level; l--) {
		u64 set = PTE_A | (l == w->level && write ? PTE_D : 0);
		u64 cur;

		if (read_entry(w->ops, path->eaddr[l], w->esize, &cur)) {
			res->bad_gpa = path->eaddr[l];
			return -EIO;
		}
		if ((cur & set) != set && write_entry(w->ops, path->eaddr[l], w->esize, cur | set)) {
			res->bad_gpa = path->eaddr[l];
			return -EIO;
		}
		path->ent[l] = cur | set;
	}
	w->e = path->ent[w->level];
	return 0;
}

/* Size and base address of the page the leaf maps. */
static __always_inline void leaf_page(const struct walk *w, u64 *size, u64 *base)
{
	if (w->p == GWALK_PAGING_32 && w->level == 1) {
		*size = MiB(4);
		*base = (w->e & bits(31, 22)) | (((w->e >> 13) & 0xff) << 32);	/* PSE-36 */
	} else {
		*size = BIT(level_shift(w->p, w->level));
		*base = w->e & PTE_ADDR_4K & ~(*size - 1);
	}
}

int gwalk(const struct gwalk_ops *ops, const struct gwalk_mode *m, u64 la, unsigned access,
	  struct gwalk_result *res)
{
	enum gwalk_paging p = gwalk_paging(m->cr0, m->cr4, m->efer);
	bool fetch = access & GWALK_FETCH;
	bool write = !fetch && (access & GWALK_WRITE);
	bool user = (access & GWALK_USER) && !(access & GWALK_IMPLICIT);
	struct walk w = {
		.ops = ops, .m = m, .p = p,
		.nxe = (m->efer & EFER_NXE) && p != GWALK_PAGING_32,
		.esize = p == GWALK_PAGING_32 ? 4 : 8,
		.idx_bits = p == GWALK_PAGING_32 ? 10 : 9,
		.eff = PTE_RW | PTE_US,
	};
	struct walk_path path;	/* filled level by level: zeroing it would cost every walk */
	u64 table, size, base, flags;
	unsigned pkey = 0;
	bool pk;
	int err;

	*res = (struct gwalk_result){ 0 };
	if (m->maxphyaddr < 32 || m->maxphyaddr > 52 || linear(p, la, &w.lin))
		return -EINVAL;
	if (p == GWALK_PAGING_OFF) {
		res->gpa = w.lin;
		res->page_size = PAGE_SIZE;
		res->flags = PTE_RW | PTE_US;
		return 0;
	}

	w.ec = (write ? PFEC_W : 0) | (user ? PFEC_U : 0);
	if (fetch && ((m->cr4 & CR4_SMEP) || w.nxe))
		w.ec |= PFEC_ID;
	err = walk_root(&w, res, &table);
	if (!err)
		err = walk_tables(&w, &path, table, res);
	if (err)
		return err;

	leaf_page(&w, &size, &base);
	if (is_long(p) && (m->cr4 & CR4_PKE))
		pkey = (w.e >> 59) & 0xf;
	if (denied(m, p, w.eff, pkey, access, &pk)) {
		res->error_code = w.ec | PFEC_P | (pk ? PFEC_PK : 0);
		return -EFAULT;
	}
	if (!(access & GWALK_NO_AD) && ops->write_gpa) {
		err = set_accessed_dirty(&w, &path, write, res);
		if (err)
			return err;
	}

	flags = w.e & (PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_G);
	if (w.level == 0 ? (w.e & PTE_PAT) : (w.e & PTE_PAT_LARGE))
		flags |= PTE_PAT;
	res->gpa = base + (w.lin & (size - 1));
	res->page_size = size;
	res->flags = flags | w.eff;
	res->pkey = pkey;
	res->leaf_gpa = path.eaddr[w.level];
	return 0;
}

int gwalk_load_pdptes(const struct gwalk_ops *ops, u64 cr3, unsigned maxphyaddr, u64 pdpte[4])
{
	u64 v[4];
	u64 rsvd = bits(2, 1) | bits(8, 5) | bits(63, maxphyaddr);

	if (maxphyaddr < 32 || maxphyaddr > 52)
		return -EINVAL;
	/* PAE: CR3 bits 31:5 locate the 32-byte PDPT */
	if (ops->read_gpa(ops->ctx, cr3 & bits(31, 5), v, sizeof(v)))
		return -EIO;
	for (unsigned i = 0; i < 4; i++)
		if ((v[i] & PTE_P) && (v[i] & rsvd))
			return -EINVAL;
	for (unsigned i = 0; i < 4; i++)
		pdpte[i] = v[i];
	return 0;
}

unsigned gwalk_access_from_pfec(u32 pfec, unsigned cpl, bool ac)
{
	unsigned a = 0;

	if (pfec & PFEC_ID)
		a |= GWALK_FETCH;
	else if (pfec & PFEC_W)
		a |= GWALK_WRITE;
	if (pfec & PFEC_U)
		a |= GWALK_USER;
	else if (cpl == 3)
		a |= GWALK_IMPLICIT;
	if (ac)
		a |= GWALK_AC;
	return a;
}
