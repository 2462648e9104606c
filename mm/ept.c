/* EPT entry format, EPTP and guest EPT construction (SDM Vol. 3C 29.3).
 * Pure: table memory comes from the caller through struct ptab_mem. */
#define LOG_MODULE "ept"
#include <uhv/ept.h>
#include <uhv/errno.h>
#include <uhv/log.h>

static u64 level_size(unsigned level)
{
	return PAGE_SIZE << (9 * level);
}

static u64 ept_table_entry(paddr_t table)
{
	/* Full permissions in non-leaf entries: access is the AND over the
	 * walk, so the leaf alone decides. Bits 7:3 are reserved here. */
	return (table & EPT_ADDR_MASK) | EPT_RWX;
}

static u64 ept_leaf_entry(paddr_t pa, unsigned level, u64 attrs)
{
	u64 e = (pa & EPT_ADDR_MASK & ~(level_size(level) - 1)) | (attrs & EPT_LEAF_ATTR_MASK);

	return level ? e | EPT_LARGE : e;
}

static bool ept_present(u64 e)
{
	return e & EPT_RWX;
}

static bool ept_is_large(u64 e, unsigned level)
{
	return level && (e & EPT_LARGE);
}

static paddr_t ept_addr(u64 e, unsigned level)
{
	u64 a = e & EPT_ADDR_MASK;

	return ept_is_large(e, level) ? a & ~(level_size(level) - 1) : a;
}

static u64 ept_entry_attrs(u64 e, unsigned level)
{
	return e & EPT_LEAF_ATTR_MASK;
}

const struct ptab_fmt ept_fmt = {
	.name = "EPT",
	.canonical = false,
	.table_entry = ept_table_entry,
	.leaf_entry = ept_leaf_entry,
	.present = ept_present,
	.is_large = ept_is_large,
	.addr = ept_addr,
	.attrs = ept_entry_attrs,
};

bool ept_leaf_memtype_valid(u8 t)
{
	return t == MTRR_TYPE_UC || t == MTRR_TYPE_WC || t == MTRR_TYPE_WT ||
	       t == MTRR_TYPE_WP || t == MTRR_TYPE_WB;
}

int ept_make_eptp(const struct vmx_caps *caps, paddr_t root, bool want_ad, u64 *eptp)
{
	u64 cap = caps->ept_vpid;
	u64 mt;

	if (!IS_ALIGNED(root, PAGE_SIZE) || (root & ~EPTP_ADDR_MASK)) {
		pr_err("EPT root %#llx is not a 4 KiB aligned physical address\n", root);
		return -EINVAL;
	}
	if (!(cap & VMX_EPT_PAGE_WALK_4)) {
		pr_err("no 4-level EPT walk (IA32_VMX_EPT_VPID_CAP (%#x) bit 6 is 0)\n",
		       MSR_IA32_VMX_EPT_VPID_CAP);
		return -EOPNOTSUPP;
	}
	if (cap & VMX_EPT_MEMTYPE_WB) {
		mt = MTRR_TYPE_WB;
	} else if (cap & VMX_EPT_MEMTYPE_UC) {
		mt = MTRR_TYPE_UC;
	} else {
		pr_err("no EPT paging-structure memory type is allowed "
		       "(IA32_VMX_EPT_VPID_CAP (%#x) bits 8 and 14 are 0)\n",
		       MSR_IA32_VMX_EPT_VPID_CAP);
		return -EOPNOTSUPP;
	}
	*eptp = root | mt | ((u64)(EPT_LEVELS - 1) << EPTP_WALK_LENGTH_SHIFT);
	if (want_ad && (cap & VMX_EPT_AD))
		*eptp |= EPTP_AD_ENABLE;
	return 0;
}

static int check_region(const struct ept_build_cfg *cfg, const struct ept_region *r)
{
	const char *why = NULL;
	int err = -EINVAL;

	if (!IS_ALIGNED(r->gpa | r->hpa | r->size, PAGE_SIZE))
		why = "is not 4 KiB aligned";
	else if (!r->size)
		why = "is empty";
	else if (r->gpa + r->size < r->gpa || r->gpa + r->size > EPT_GPA_LIMIT)
		why = "goes beyond the 48-bit guest-physical space";
	else if (r->hpa + r->size < r->hpa || ((r->hpa + r->size - 1) & ~EPT_ADDR_MASK & ~0xfffULL))
		why = "goes beyond 52-bit host-physical addresses";
	else if (!(r->perms & EPT_RWX) || (r->perms & ~EPT_RWX))
		why = "has no permissions or unknown permission bits (leave it out instead)";
	else if ((r->perms & EPT_WRITE) && !(r->perms & EPT_READ))
		why = "is writable but not readable (an EPT misconfiguration)";
	else if (r->memtype == EPT_MT_FROM_MTRR && !cfg->mtrr)
		why = "wants MTRR memory types but no MTRR state was given";
	else if (r->memtype != EPT_MT_FROM_MTRR && !ept_leaf_memtype_valid(r->memtype))
		why = "has a reserved memory type (2, 3 and 7 are EPT misconfigurations)";
	else if (r->perms == EPT_EXEC && !(cfg->caps->ept_vpid & VMX_EPT_EXECUTE_ONLY)) {
		why = "is execute-only, which IA32_VMX_EPT_VPID_CAP bit 0 does not allow";
		err = -EOPNOTSUPP;
	}
	if (!why)
		return 0;
	pr_err("EPT region gpa %#llx hpa %#llx size %#llx perms %#x type %#x %s\n", r->gpa,
	       r->hpa, r->size, r->perms, r->memtype, why);
	return err;
}

/* Map host range [hs, he) of region r (no hole inside). */
static int map_piece(struct ptab *pt, const struct ept_build_cfg *cfg, const struct ept_region *r,
		     paddr_t hs, paddr_t he)
{
	u64 gpa = r->gpa + (hs - r->hpa);

	if (r->memtype != EPT_MT_FROM_MTRR)
		return ptab_map(pt, gpa, hs, he - hs,
				ept_attrs(r->perms, r->memtype, cfg->ignore_pat));

	/* One ptab_map per run of equal MTRR type, so a large leaf never spans
	 * two memory types (a 2 MiB page across a UC hole would make it WB). */
	while (hs < he) {
		u8 t;
		paddr_t e = mtrr_uniform_end(cfg->mtrr, hs, he, &t);
		int err = ptab_map(pt, gpa, hs, e - hs, ept_attrs(r->perms, t, cfg->ignore_pat));
		if (err)
			return err;
		gpa += e - hs;
		hs = e;
	}
	return 0;
}

int ept_map_region(struct ptab *pt, const struct ept_build_cfg *cfg, const struct ept_region *r)
{
	int err = check_region(cfg, r);
	paddr_t c = r->hpa, end = r->hpa + r->size;

	if (err)
		return err;
	while (c < end) {
		/* Skip holes covering c (rounded out to whole pages: a page
		 * that holds any hypervisor byte stays out). */
		paddr_t skip = c;
		bool moved;
		do {
			moved = false;
			for (size_t i = 0; i < cfg->nholes; i++) {
				const struct ept_hole *h = &cfg->holes[i];
				paddr_t hs = ALIGN_DOWN(h->hpa, PAGE_SIZE);
				paddr_t he = ALIGN_UP(h->hpa + h->size, PAGE_SIZE);
				if (h->size && hs <= skip && skip < he) {
					skip = he;
					moved = true;
				}
			}
		} while (moved && skip < end);
		skip = MIN(skip, end);
		if (skip > c) {
			/* An earlier region may have mapped these guest pages:
			 * this region replaces it, and the hole wins. */
			err = ptab_unmap(pt, r->gpa + (c - r->hpa), skip - c);
			if (err)
				return err;
			c = skip;
		}
		if (c >= end)
			break;
		paddr_t next = end;
		for (size_t i = 0; i < cfg->nholes; i++) {
			paddr_t hs = ALIGN_DOWN(cfg->holes[i].hpa, PAGE_SIZE);
			if (cfg->holes[i].size && hs > c && hs < next)
				next = hs;
		}
		err = map_piece(pt, cfg, r, c, next);
		if (err)
			return err;
		c = next;
	}
	return 0;
}

int ept_build(struct ptab *pt, const struct ptab_mem *mem, const struct ept_build_cfg *cfg,
	      const struct ept_region *regions, size_t nregions)
{
	int err;

	for (size_t i = 0; i < nregions; i++) {
		err = check_region(cfg, &regions[i]);
		if (err)
			return err;
	}
	err = ptab_init(pt, &ept_fmt, mem, EPT_LEVELS, vmx_caps_ept_max_leaf_level(cfg->caps));
	if (err)
		return err;
	for (size_t i = 0; i < nregions; i++) {
		err = ept_map_region(pt, cfg, &regions[i]);
		if (err) {
			pr_err("mapping EPT region %zu (gpa %#llx size %#llx) failed: %s\n", i,
			       regions[i].gpa, regions[i].size, errno_name(err));
			return err;
		}
	}
	return 0;
}
