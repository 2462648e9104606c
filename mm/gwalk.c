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

int gwalk(const struct gwalk_ops *ops, const struct gwalk_mode *m, u64 la, unsigned access,
	  struct gwalk_result *res)
{
	enum gwalk_paging p = gwalk_paging(m->cr0, m->cr4, m->efer);
	bool fetch = access & GWALK_FETCH;
	bool write = !fetch && (access & GWALK_WRITE);
	bool user = (access & GWALK_USER) && !(access & GWALK_IMPLICIT);
	bool nxe = (m->efer & EFER_NXE) && p != GWALK_PAGING_32;
	unsigned esize = p == GWALK_PAGING_32 ? 4 : 8;
	unsigned idx_bits = p == GWALK_PAGING_32 ? 10 : 9;
	u64 ent[GW_MAX_LEVELS], eaddr[GW_MAX_LEVELS];
	u64 eff = PTE_RW | PTE_US;
	u64 table, lin, e, size, base, flags;
	unsigned top, level, pkey = 0;
	u32 ec;
	bool pk;

	*res = (struct gwalk_result){ 0 };
	if (m->maxphyaddr < 32 || m->maxphyaddr > 52 || linear(p, la, &lin))
		return -EINVAL;
	if (p == GWALK_PAGING_OFF) {
		res->gpa = lin;
		res->page_size = PAGE_SIZE;
		res->flags = PTE_RW | PTE_US;
		return 0;
	}

	ec = (write ? PFEC_W : 0) | (user ? PFEC_U : 0);
	if (fetch && ((m->cr4 & CR4_SMEP) || nxe))
		ec |= PFEC_ID;

	switch (p) {
	case GWALK_PAGING_32:
		top = 1;
		table = m->cr3 & bits(31, 12);
		break;
	case GWALK_PAGING_PAE:
		/* the PDPTE registers were validated when they were loaded */
		e = m->pdpte[(lin >> 30) & 3];
		if (!(e & PTE_P)) {
			res->error_code = ec;
			return -EFAULT;
		}
		top = 1;
		table = e & PTE_ADDR_4K & bits(m->maxphyaddr - 1, 12);
		break;
	default:
		top = p == GWALK_PAGING_5LEVEL ? 4 : 3;
		table = m->cr3 & PTE_ADDR_4K & bits(m->maxphyaddr - 1, 12);
		break;
	}

	for (level = top;; level--) {
		u64 idx = (lin >> level_shift(p, level)) & (BIT(idx_bits) - 1);
		u64 ea = table + idx * esize;

		if (read_entry(ops, ea, esize, &e)) {
			res->bad_gpa = ea;
			return -EIO;
		}
		eaddr[level] = ea;
		ent[level] = e;
		if (!(e & PTE_P)) {
			res->error_code = ec;
			return -EFAULT;
		}
		if (e & rsvd_bits(m, p, level, e)) {
			res->error_code = ec | PFEC_P | PFEC_RSVD;
			return -EFAULT;
		}
		eff &= e | ~(PTE_RW | PTE_US);
		if (nxe)
			eff |= e & PTE_NX;
		if (level == 0 || ((e & PTE_PS) && ps_maps_page(m, p, level)))
			break;
		/* 32-bit entries are 4 bytes: bits 31:12; others bits 51:12, and
		 * the bits at and above MAXPHYADDR were checked to be zero */
		table = e & PTE_ADDR_4K;
	}

	if (p == GWALK_PAGING_32 && level == 1) {
		size = MiB(4);
		base = (e & bits(31, 22)) | (((e >> 13) & 0xff) << 32);	/* PSE-36 */
	} else {
		size = BIT(level_shift(p, level));
		base = e & PTE_ADDR_4K & ~(size - 1);
	}
	if (is_long(p) && (m->cr4 & CR4_PKE))
		pkey = (e >> 59) & 0xf;

	if (denied(m, p, eff, pkey, access, &pk)) {
		res->error_code = ec | PFEC_P | (pk ? PFEC_PK : 0);
		return -EFAULT;
	}

	/* A in every entry used, D in the leaf on a write (SDM 4.8). Each entry
	 * is read again and only the flag bits are ORed in, so an entry that is
	 * used at two levels (recursive mappings) keeps both updates. */
	if (!(access & GWALK_NO_AD) && ops->write_gpa) {
		for (unsigned l = top; l + 1 > level; l--) {
			u64 set = PTE_A | (l == level && write ? PTE_D : 0);
			u64 cur;

			if (read_entry(ops, eaddr[l], esize, &cur)) {
				res->bad_gpa = eaddr[l];
				return -EIO;
			}
			if ((cur & set) != set && write_entry(ops, eaddr[l], esize, cur | set)) {
				res->bad_gpa = eaddr[l];
				return -EIO;
			}
			ent[l] = cur | set;
		}
		e = ent[level];
	}

	flags = e & (PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_G);
	if (level == 0 ? (e & PTE_PAT) : (e & PTE_PAT_LARGE))
		flags |= PTE_PAT;
	res->gpa = base + (lin & (size - 1));
	res->page_size = size;
	res->flags = flags | eff;
	res->pkey = pkey;
	res->leaf_gpa = eaddr[level];
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
