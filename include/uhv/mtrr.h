/* Memory type range registers (SDM Vol. 3A 13.11): the memory type the host
 * firmware gave each physical range. EPT leaves carry a memory type that
 * replaces the MTRRs for guest accesses, so uhv copies the host's type into
 * the guest's EPT (WB for RAM, UC for MMIO, ...).
 *
 * Pure (mm/mtrr.c): the runtime reads the MSRs through mtrr_read() with an
 * rdmsr callback; decoding and range queries work on the values. */
#ifndef UHV_MTRR_H
#define UHV_MTRR_H

#include <uhv/types.h>

/* Memory type encodings shared by MTRRs, PAT and EPT leaves (13.3). */
#define MTRR_TYPE_UC		0
#define MTRR_TYPE_WC		1
#define MTRR_TYPE_WT		4
#define MTRR_TYPE_WP		5
#define MTRR_TYPE_WB		6
#define MTRR_TYPE_MIXED		0xff	/* query result: the range has more than one type */

/* IA32_MTRRCAP (0xfe) */
#define MTRRCAP_VCNT_MASK	0xffULL
#define MTRRCAP_FIX		BIT(8)
#define MTRRCAP_WC		BIT(10)
#define MTRRCAP_SMRR		BIT(11)
/* IA32_MTRR_DEF_TYPE (0x2ff) */
#define MTRR_DEF_TYPE_MASK	0xffULL
#define MTRR_DEF_FE		BIT(10)	/* fixed-range MTRRs enabled */
#define MTRR_DEF_E		BIT(11)	/* MTRRs enabled */
/* IA32_MTRR_PHYSBASEn / PHYSMASKn (0x200 + 2n, 0x201 + 2n) */
#define MTRR_PHYSBASE_TYPE_MASK	0xffULL
#define MTRR_PHYSMASK_VALID	BIT(11)
#define MTRR_ADDR_MASK		0x000ffffffffff000ULL

#define MTRR_NUM_FIXED		11	/* FIX64K_00000, FIX16K_80000/A0000, FIX4K_C0000..F8000 */
#define MTRR_MAX_VAR		32	/* VCNT may be up to 255; more than 32 is not seen */
#define MTRR_FIXED_END		MiB(1)

struct mtrr_raw {
	u64 cap;
	u64 def_type;
	u64 fixed[MTRR_NUM_FIXED];	/* in the order of the comment above */
	struct {
		u64 base, mask;
	} var[MTRR_MAX_VAR];
};

/* Read MTRRcap, def_type, the fixed MSRs (if MTRRcap.FIX) and VCNT variable
 * pairs. has_mtrr is CPUID.1:EDX bit 12; without it nothing is read and the
 * result decodes as "MTRRs disabled". */
void mtrr_read(struct mtrr_raw *raw, bool has_mtrr, u64 (*rdmsr_fn)(void *ctx, u32 msr), void *ctx);

struct mtrr_var {
	u64 base;		/* first address */
	u64 mask;		/* PHYSMASK address bits, with every bit at or above
				 * MAXPHYADDR set so addresses beyond it never match */
	u64 end;		/* exclusive end when the mask is contiguous, else 0 */
	u8 type;
};

struct mtrr_state {
	bool enabled;		/* DEF_TYPE.E; when false every address is UC */
	bool fixed_enabled;	/* DEF_TYPE.FE and MTRRcap.FIX */
	u8 def_type;
	u8 fixed[88];		/* one type per fixed range, from address 0 up */
	unsigned nvar;		/* valid variable ranges kept in var[] */
	struct mtrr_var var[MTRR_MAX_VAR];
	unsigned phys_bits;
};

/* Decode raw values. phys_bits is MAXPHYADDR (CPUID 0x80000008 EAX[7:0]).
 * Reserved types are logged and treated as UC. Returns 0 or -EINVAL
 * (phys_bits out of 32..52). */
int mtrr_decode(const struct mtrr_raw *raw, unsigned phys_bits, struct mtrr_state *st);

/* Memory type of the byte at pa. */
u8 mtrr_type(const struct mtrr_state *st, paddr_t pa);

/* Memory type of all of [start, end), or MTRR_TYPE_MIXED. */
u8 mtrr_range_type(const struct mtrr_state *st, paddr_t start, paddr_t end);

/* The largest e <= end such that [start, e) has one memory type, which is
 * stored in *type. start < end. */
paddr_t mtrr_uniform_end(const struct mtrr_state *st, paddr_t start, paddr_t end, u8 *type);

/* "UC", "WC", "WT", "WP", "WB", "MIXED" or "reserved". */
const char *mtrr_type_name(u8 type);

/* Log the decoded ranges (pr_info). */
void mtrr_print(const struct mtrr_state *st);

#endif
