/* Extended page tables (SDM Vol. 3C 29.3): the entry format for the generic
 * table builder (<uhv/ptab.h>), EPTP construction, and building a guest's
 * EPT from a list of regions. Pure (mm/ept.c); the runtime supplies the
 * table memory, the capabilities and the host MTRRs.
 *
 * Two different memory types are involved:
 *  - the EPTP's type (bits 2:0) is used to read the EPT paging structures;
 *    only UC and WB exist, and the CPU reports which it allows
 *    (IA32_VMX_EPT_VPID_CAP bits 8/14; nested KVM offers WB only);
 *  - each leaf's type (bits 5:3) is used for the guest's accesses to that
 *    page: UC, WC, WT, WP or WB, independent of the EPTP capability bits
 *    (2, 3 and 7 are reserved and cause EPT misconfigurations). */
#ifndef UHV_EPT_H
#define UHV_EPT_H

#include <uhv/types.h>
#include <uhv/ptab.h>
#include <uhv/mtrr.h>
#include <uhv/vmx_caps.h>

/* EPT entry bits (Tables 29-1..29-7) */
#define EPT_READ		BIT(0)
#define EPT_WRITE		BIT(1)
#define EPT_EXEC		BIT(2) /* supervisor-mode execute with mode-based control */
#define EPT_RWX			(EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MT_SHIFT		3		/* leaf memory type, bits 5:3 */
#define EPT_MT_MASK		(7ULL << EPT_MT_SHIFT)
#define EPT_MT(t)		((u64)(t) << EPT_MT_SHIFT)
#define EPT_IGNORE_PAT		BIT(6)
#define EPT_LARGE		BIT(7)		/* PDE/PDPTE maps a 2 MiB / 1 GiB page */
#define EPT_ACCESSED		BIT(8)
#define EPT_DIRTY		BIT(9)		/* leaves only */
#define EPT_USER_EXEC		BIT(10)		/* mode-based execute control */
#define EPT_SUPPRESS_VE		BIT(63)
#define EPT_ADDR_MASK		0x000ffffffffff000ULL
/* the bits of a leaf that ptab passes around as "attrs" */
#define EPT_LEAF_ATTR_MASK	(EPT_RWX | EPT_MT_MASK | EPT_IGNORE_PAT | EPT_ACCESSED | \
				 EPT_DIRTY | EPT_USER_EXEC | EPT_SUPPRESS_VE)

#define EPT_LEVELS		4		/* uhv uses 4-level EPT (48-bit guest-physical) */
#define EPT_GPA_LIMIT		BIT(48)

/* The EPT entry format for ptab_*(). Table entries get R/W/X so that leaves
 * alone decide the permissions. */
extern const struct ptab_fmt ept_fmt;

/* Leaf attributes for ptab_map(): permissions and memory type. ignore_pat
 * makes the EPT type final instead of combining it with the guest's PAT. */
static inline u64 ept_attrs(u64 perms, u8 memtype, bool ignore_pat)
{
	return (perms & EPT_RWX) | EPT_MT(memtype) | (ignore_pat ? EPT_IGNORE_PAT : 0);
}

/* Is memtype allowed in a leaf (UC, WC, WT, WP, WB)? */
bool ept_leaf_memtype_valid(u8 memtype);

/* Build the EPTP for a 4-level EPT rooted at root: paging-structure memory
 * type WB when allowed, else UC; A/D flags when want_ad and allowed.
 * Returns 0 or -EOPNOTSUPP (no usable type / no 4-level walk, logged) or
 * -EINVAL (root not 4 KiB aligned). */
int ept_make_eptp(const struct vmx_caps *caps, paddr_t root, bool want_ad, u64 *eptp);

/* Memory type value in ept_region.memtype meaning "the host MTRRs' type
 * for each part of the range". */
#define EPT_MT_FROM_MTRR	0xfe

/* One guest-physical range and what backs it. */
struct ept_region {
	u64 gpa;
	paddr_t hpa;
	u64 size;		/* 4 KiB multiple; gpa/hpa 4 KiB aligned */
	u8 perms;		/* EPT_READ | EPT_WRITE | EPT_EXEC */
	u8 memtype;		/* MTRR_TYPE_* or EPT_MT_FROM_MTRR */
};

/* A host-physical range that must never be reachable from the guest (the
 * hypervisor's own memory). */
struct ept_hole {
	paddr_t hpa;
	u64 size;
};

struct ept_build_cfg {
	const struct vmx_caps *caps;	/* max leaf size, execute-only support */
	const struct mtrr_state *mtrr;	/* needed when a region uses EPT_MT_FROM_MTRR */
	const struct ept_hole *holes;	/* host ranges left out of every region */
	size_t nholes;
	bool ignore_pat;		/* set IPAT in every leaf (normally false) */
};

/* Initialise pt as an empty 4-level EPT on mem and map every region (minus
 * the holes) with the largest leaves the capabilities allow and, for
 * EPT_MT_FROM_MTRR, no leaf spanning two MTRR types. Regions are mapped in
 * order; a later one replaces an earlier one where their guest ranges
 * overlap, and guest pages whose host page lies in a hole end up unmapped
 * whatever an earlier region said. All regions are checked before anything
 * is mapped. On failure after ptab_init the partial table stays allocated
 * (mem's pages belong to the caller). Returns 0, -EINVAL (bad region,
 * logged), -EOPNOTSUPP (execute-only permissions the CPU lacks, logged) or
 * -ENOMEM. */
int ept_build(struct ptab *pt, const struct ptab_mem *mem, const struct ept_build_cfg *cfg,
	      const struct ept_region *regions, size_t nregions);

/* Map one region into an existing EPT (same rules as ept_build()). */
int ept_map_region(struct ptab *pt, const struct ept_build_cfg *cfg, const struct ept_region *r);

#endif
