/* MTRR decoding and memory-type queries (SDM Vol. 3A 13.11). Pure. */
#define LOG_MODULE "mtrr"
#include <uhv/mtrr.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>

#define NO_BOUNDARY (~0ULL)

static const u32 fixed_msrs[MTRR_NUM_FIXED] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
};

void mtrr_read(struct mtrr_raw *raw, bool has_mtrr, u64 (*rdmsr_fn)(void *ctx, u32 msr), void *ctx)
{
	*raw = (struct mtrr_raw){ 0 };
	if (!has_mtrr)
		return;
	raw->cap = rdmsr_fn(ctx, MSR_IA32_MTRRCAP);
	raw->def_type = rdmsr_fn(ctx, MSR_IA32_MTRR_DEF_TYPE);
	if (raw->cap & MTRRCAP_FIX)
		for (unsigned i = 0; i < MTRR_NUM_FIXED; i++)
			raw->fixed[i] = rdmsr_fn(ctx, fixed_msrs[i]);
	unsigned vcnt = MIN(raw->cap & MTRRCAP_VCNT_MASK, (u64)MTRR_MAX_VAR);
	for (unsigned i = 0; i < vcnt; i++) {
		raw->var[i].base = rdmsr_fn(ctx, MSR_IA32_MTRR_PHYSBASE0 + 2 * i);
		raw->var[i].mask = rdmsr_fn(ctx, MSR_IA32_MTRR_PHYSBASE0 + 2 * i + 1);
	}
}

static bool type_valid(u8 t)
{
	return t == MTRR_TYPE_UC || t == MTRR_TYPE_WC || t == MTRR_TYPE_WT ||
	       t == MTRR_TYPE_WP || t == MTRR_TYPE_WB;
}

static u8 checked_type(u8 t, const char *where, unsigned idx)
{
	if (type_valid(t))
		return t;
	pr_warn("%s %u has reserved memory type %u; treating it as UC (firmware bug?)\n",
		where, idx, t);
	return MTRR_TYPE_UC;
}

int mtrr_decode(const struct mtrr_raw *raw, unsigned phys_bits, struct mtrr_state *st)
{
	*st = (struct mtrr_state){ 0 };
	if (phys_bits < 32 || phys_bits > 52) {
		pr_err("physical-address width %u is outside 32..52; check CPUID 0x80000008\n",
		       phys_bits);
		return -EINVAL;
	}
	st->phys_bits = phys_bits;
	st->enabled = raw->def_type & MTRR_DEF_E;
	st->fixed_enabled = (raw->def_type & MTRR_DEF_FE) && (raw->cap & MTRRCAP_FIX);
	st->def_type = checked_type(raw->def_type & MTRR_DEF_TYPE_MASK, "default type", 0);
	if (st->fixed_enabled)
		for (unsigned i = 0; i < MTRR_NUM_FIXED * 8; i++)
			st->fixed[i] = checked_type((raw->fixed[i / 8] >> (8 * (i % 8))) & 0xff,
						    "fixed range", i);

	u64 above = ~(BIT(phys_bits) - 1);
	unsigned vcnt = MIN(raw->cap & MTRRCAP_VCNT_MASK, (u64)MTRR_MAX_VAR);
	for (unsigned i = 0; i < vcnt; i++) {
		if (!(raw->var[i].mask & MTRR_PHYSMASK_VALID))
			continue;
		struct mtrr_var *v = &st->var[st->nvar++];
		v->mask = (raw->var[i].mask & MTRR_ADDR_MASK) | above;
		v->base = raw->var[i].base & v->mask & MTRR_ADDR_MASK;
		v->type = checked_type(raw->var[i].base & MTRR_PHYSBASE_TYPE_MASK,
				       "variable range", i);
		u64 gran = v->mask & -v->mask;
		/* A mask of all ones from its lowest set bit up selects one
		 * naturally aligned block; anything else (legal but odd)
		 * selects a periodic pattern, which the queries handle block by
		 * block. */
		v->end = v->mask == ~(gran - 1) ? v->base + gran : 0;
		if (!v->end)
			pr_warn("variable range %u has a non-contiguous mask %#llx\n", i,
				raw->var[i].mask);
	}
	return 0;
}

static unsigned fixed_index(paddr_t pa)
{
	if (pa < 0x80000)
		return pa >> 16;
	if (pa < 0xc0000)
		return 8 + ((pa - 0x80000) >> 14);
	return 24 + ((pa - 0xc0000) >> 12);
}

static paddr_t fixed_end(paddr_t pa)
{
	u64 size = pa < 0x80000 ? KiB(64) : pa < 0xc0000 ? KiB(16) : KiB(4);
	return ALIGN_DOWN(pa, size) + size;
}

static bool var_match(const struct mtrr_var *v, paddr_t pa)
{
	return (pa & v->mask) == v->base;
}

u8 mtrr_type(const struct mtrr_state *st, paddr_t pa)
{
	if (!st->enabled)
		return MTRR_TYPE_UC;
	if (st->fixed_enabled && pa < MTRR_FIXED_END)
		return st->fixed[fixed_index(pa)];

	unsigned seen = 0;	/* bit per matching type */
	for (unsigned i = 0; i < st->nvar; i++)
		if (var_match(&st->var[i], pa))
			seen |= 1U << st->var[i].type;
	if (!seen)
		return st->def_type;
	if (seen & (1U << MTRR_TYPE_UC))
		return MTRR_TYPE_UC;
	if (seen == (1U << MTRR_TYPE_WT | 1U << MTRR_TYPE_WB))
		return MTRR_TYPE_WT;
	if (!(seen & (seen - 1)))
		return (u8)__builtin_ctz(seen);
	/* Other overlaps are undefined (13.11.4.1); UC is the safe answer. */
	return MTRR_TYPE_UC;
}

/* Smallest address above pa where the type may differ from pa's. */
static u64 next_boundary(const struct mtrr_state *st, paddr_t pa)
{
	if (!st->enabled)
		return NO_BOUNDARY;
	if (st->fixed_enabled && pa < MTRR_FIXED_END)
		return fixed_end(pa);

	u64 next = NO_BOUNDARY;
	for (unsigned i = 0; i < st->nvar; i++) {
		const struct mtrr_var *v = &st->var[i];
		u64 b;
		if (v->end) {
			if (pa < v->base)
				b = v->base;
			else if (pa < v->end)
				b = v->end;
			else
				continue;
		} else {
			u64 gran = v->mask & -v->mask;
			b = ALIGN_DOWN(pa, gran) + gran;
			if (b <= pa)
				continue;	/* wrapped */
		}
		next = MIN(next, b);
	}
	return next;
}

paddr_t mtrr_uniform_end(const struct mtrr_state *st, paddr_t start, paddr_t end, u8 *type)
{
	u8 t = mtrr_type(st, start);
	paddr_t pa = start;

	*type = t;
	for (;;) {
		u64 b = next_boundary(st, pa);
		if (b >= end)
			return end;
		if (mtrr_type(st, b) != t)
			return b;
		pa = b;
	}
}

u8 mtrr_range_type(const struct mtrr_state *st, paddr_t start, paddr_t end)
{
	u8 t;

	if (start >= end)
		return mtrr_type(st, start);
	return mtrr_uniform_end(st, start, end, &t) == end ? t : MTRR_TYPE_MIXED;
}

const char *mtrr_type_name(u8 type)
{
	switch (type) {
	case MTRR_TYPE_UC: return "UC";
	case MTRR_TYPE_WC: return "WC";
	case MTRR_TYPE_WT: return "WT";
	case MTRR_TYPE_WP: return "WP";
	case MTRR_TYPE_WB: return "WB";
	case MTRR_TYPE_MIXED: return "MIXED";
	default: return "reserved";
	}
}

void mtrr_print(const struct mtrr_state *st)
{
	if (!st->enabled) {
		pr_info("MTRRs disabled: all memory is UC\n");
		return;
	}
	pr_info("MTRRs: default %s, fixed ranges %s, %u variable ranges\n",
		mtrr_type_name(st->def_type), st->fixed_enabled ? "on" : "off", st->nvar);
	if (st->fixed_enabled) {
		paddr_t pa = 0;
		while (pa < MTRR_FIXED_END) {
			u8 t;
			paddr_t e = mtrr_uniform_end(st, pa, MTRR_FIXED_END, &t);
			pr_info("  fixed %#07llx-%#07llx %s\n", pa, e - 1,
				mtrr_type_name(t));
			pa = e;
		}
	}
	for (unsigned i = 0; i < st->nvar; i++) {
		const struct mtrr_var *v = &st->var[i];
		if (v->end)
			pr_info("  var %#llx-%#llx %s\n", v->base, v->end - 1,
				mtrr_type_name(v->type));
		else
			pr_info("  var base %#llx mask %#llx %s\n", v->base, v->mask,
				mtrr_type_name(v->type));
	}
}
