/* VT-d translation structures, pure: capability decoding and the choices
 * made from it, the second-level page-table format for mm/ptab.c, root and
 * context tables, invalidation descriptors and domain ids. Memory is reached
 * through a struct ptab_mem, so the host tests all of this. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>

/* ---- capabilities ------------------------------------------------------------------------------- */

void vtd_print_caps(const char *name, u32 ver, u64 cap, u64 ecap)
{
	unsigned sagaw = vtd_cap_sagaw(cap), sllps = vtd_cap_sllps(cap);

	pr_info("%s: VT-d %u.%u CAP %#llx ECAP %#llx\n", name, VTD_VER_MAJOR(ver),
		VTD_VER_MINOR(ver), cap, ecap);
	pr_info("%s: address widths%s%s%s (SAGAW %#x), MGAW %u, large pages%s%s%s, %u domain ids\n",
		name, sagaw & BIT(1) ? " 39-bit" : "", sagaw & BIT(2) ? " 48-bit" : "",
		sagaw & BIT(3) ? " 57-bit" : "", sagaw, vtd_cap_mgaw(cap),
		sllps & 1 ? " 2M" : "", sllps & 2 ? " 1G" : "", sllps & 3 ? "" : " none",
		vtd_domain_count(cap));
	pr_info("%s: caching mode %s, write-buffer flush %s, %u fault record(s) at +%#x, IOTLB "
		"registers at +%#x, page-selective invalidation %s\n", name,
		vtd_cap_cm(cap) ? "ON" : "off", vtd_cap_rwbf(cap) ? "required" : "not needed",
		vtd_cap_nfr(cap), vtd_cap_fro(cap), vtd_ecap_iro(ecap),
		vtd_cap_psi(cap) ? "yes" : "no");
	pr_info("%s: queued invalidation %s, interrupt remapping %s%s, page walks %s, "
		"pass-through %s, snoop control %s, device TLBs %s%s\n", name,
		vtd_ecap_qi(ecap) ? "yes" : "no", vtd_ecap_ir(ecap) ? "yes" : "no",
		vtd_ecap_eim(ecap) ? " (x2APIC)" : "",
		vtd_ecap_c(ecap) ? "coherent" : "NOT coherent (table updates are flushed)",
		vtd_ecap_pt(ecap) ? "yes" : "no", vtd_ecap_sc(ecap) ? "yes" : "no",
		vtd_ecap_dt(ecap) ? "yes" : "no", vtd_ecap_smts(ecap) ? ", scalable mode" : "");
	if (vtd_cap_plmr(cap) || vtd_cap_phmr(cap))
		pr_info("%s: protected memory regions:%s%s\n", name, vtd_cap_plmr(cap) ? " low" : "",
			vtd_cap_phmr(cap) ? " high" : "");
}

int vtd_select_levels(u64 cap, unsigned need_bits)
{
	unsigned sagaw = vtd_cap_sagaw(cap);

	if (need_bits > vtd_cap_mgaw(cap))
		return -EOPNOTSUPP;
	/* fewer levels: shorter walks, fewer table pages */
	for (unsigned levels = 3; levels <= 5; levels++) {
		if (!(sagaw & BIT(vtd_levels_to_aw(levels))))
			continue;
		if (vtd_levels_to_bits(levels) >= need_bits)
			return (int)levels;
	}
	return -EOPNOTSUPP;
}

unsigned vtd_max_leaf_level(u64 cap)
{
	unsigned sllps = vtd_cap_sllps(cap);

	/* 1G leaves without 2M ones is not a combination hardware reports; be strict */
	if (!(sllps & 1))
		return 0;
	return sllps & 2 ? 2 : 1;
}

/* ---- second-level entries ------------------------------------------------------------------------- */

static u64 sl_table_entry(paddr_t table)
{
	return (table & VTD_ENTRY_ADDR_MASK) | VTD_SL_R | VTD_SL_W;
}

static u64 sl_leaf_entry(paddr_t pa, unsigned level, u64 attrs)
{
	u64 e = (pa & VTD_ENTRY_ADDR_MASK) | (attrs & VTD_SL_ATTRS);
	return level ? e | VTD_SL_PS : e;
}

static bool sl_present(u64 e)
{
	return e & (VTD_SL_R | VTD_SL_W);
}

static bool sl_is_large(u64 e, unsigned level)
{
	return level > 0 && (e & VTD_SL_PS);
}

static paddr_t sl_addr(u64 e, unsigned level)
{
	return e & VTD_ENTRY_ADDR_MASK;
}

static u64 sl_attrs(u64 e, unsigned level)
{
	return e & VTD_SL_ATTRS;
}

const struct ptab_fmt vtd_sl_fmt = {
	.name = "vtd-sl",
	.canonical = false,
	.table_entry = sl_table_entry,
	.leaf_entry = sl_leaf_entry,
	.present = sl_present,
	.is_large = sl_is_large,
	.addr = sl_addr,
	.attrs = sl_attrs,
};

/* ---- root and context entries --------------------------------------------------------------------- */

struct vtd_entry128 vtd_root_entry(paddr_t context_table)
{
	return (struct vtd_entry128){ .lo = (context_table & VTD_ENTRY_ADDR_MASK) | VTD_ROOT_P };
}

struct vtd_entry128 vtd_context_entry(paddr_t slptptr, unsigned aw, u16 did, unsigned tt)
{
	return (struct vtd_entry128){
		.lo = (slptptr & VTD_ENTRY_ADDR_MASK) | ((u64)(tt & 3) << VTD_CTX_TT_SHIFT) |
		      VTD_CTX_P,
		.hi = (aw & 7) | ((u64)did << VTD_CTX_DID_SHIFT),
	};
}

int vtd_root_table_init(struct vtd_root_table *rt, const struct ptab_mem *mem)
{
	rt->mem = mem;
	rt->root = mem->alloc_table(mem->ctx);
	if (!rt->root)
		return -ENOMEM;
	void *p = mem->p2v(mem->ctx, rt->root);
	if (mem->sync)
		mem->sync(mem->ctx, p, PAGE_SIZE);
	return 0;
}

static volatile struct vtd_entry128 *entry_at(const struct ptab_mem *mem, paddr_t table,
					      unsigned idx)
{
	return (volatile struct vtd_entry128 *)mem->p2v(mem->ctx, table) + idx;
}

static void sync(const struct ptab_mem *mem, volatile struct vtd_entry128 *e)
{
	if (mem->sync)
		mem->sync(mem->ctx, (void *)e, sizeof(*e));
}

static paddr_t context_table_of(const struct vtd_root_table *rt, u8 bus)
{
	volatile struct vtd_entry128 *re = entry_at(rt->mem, rt->root, bus);
	u64 lo = re->lo;
	return (lo & VTD_ROOT_P) ? (lo & VTD_ENTRY_ADDR_MASK) : 0;
}

int vtd_context_set(struct vtd_root_table *rt, u8 bus, u8 devfn, struct vtd_entry128 ce,
		    bool *was_present)
{
	const struct ptab_mem *mem = rt->mem;
	paddr_t ct = context_table_of(rt, bus);

	if (!ct) {
		ct = mem->alloc_table(mem->ctx);
		if (!ct)
			return -ENOMEM;
		if (mem->sync)
			mem->sync(mem->ctx, mem->p2v(mem->ctx, ct), PAGE_SIZE);
		volatile struct vtd_entry128 *re = entry_at(mem, rt->root, bus);
		struct vtd_entry128 r = vtd_root_entry(ct);
		re->hi = r.hi;
		re->lo = r.lo;
		sync(mem, re);
	}
	volatile struct vtd_entry128 *e = entry_at(mem, ct, devfn);
	bool present = e->lo & VTD_CTX_P;
	if (was_present)
		*was_present = present;
	if (present) {
		/* Changing a live entry in place could let the hardware see a torn
		 * mix of old and new halves: take it away first. The caller
		 * invalidates the context cache because it was present. */
		e->lo = 0;
		sync(mem, e);
	}
	e->hi = ce.hi;
	e->lo = ce.lo & ~VTD_CTX_P;
	sync(mem, e);
	e->lo = ce.lo;
	sync(mem, e);
	return 0;
}

int vtd_context_clear(struct vtd_root_table *rt, u8 bus, u8 devfn)
{
	paddr_t ct = context_table_of(rt, bus);
	if (!ct)
		return 0;
	volatile struct vtd_entry128 *e = entry_at(rt->mem, ct, devfn);
	bool present = e->lo & VTD_CTX_P;
	e->lo = 0;
	e->hi = 0;
	sync(rt->mem, e);
	return present;
}

int vtd_context_get(const struct vtd_root_table *rt, u8 bus, u8 devfn, struct vtd_entry128 *ce)
{
	paddr_t ct = context_table_of(rt, bus);
	if (!ct)
		return -ENOENT;
	volatile struct vtd_entry128 *e = entry_at(rt->mem, ct, devfn);
	ce->lo = e->lo;
	ce->hi = e->hi;
	return (ce->lo & VTD_CTX_P) ? 0 : -ENOENT;
}

/* ---- invalidation descriptors ------------------------------------------------------------------------ */

static u64 qi_gran(unsigned g) { return (u64)g << 4; }

struct vtd_entry128 vtd_qi_context_global(void)
{
	return (struct vtd_entry128){ .lo = VTD_QI_TYPE_CC | qi_gran(VTD_QI_GRAN_GLOBAL) };
}

struct vtd_entry128 vtd_qi_context_device(u16 did, u16 sid)
{
	/* function mask 0: exactly this function */
	return (struct vtd_entry128){
		.lo = VTD_QI_TYPE_CC | qi_gran(VTD_QI_GRAN_DEVICE) | ((u64)did << 16) |
		      ((u64)sid << 32),
	};
}

static u64 drain(bool rd, bool wr)
{
	return (rd ? VTD_QI_IOTLB_DR : 0) | (wr ? VTD_QI_IOTLB_DW : 0);
}

struct vtd_entry128 vtd_qi_iotlb_global(bool drain_rd, bool drain_wr)
{
	return (struct vtd_entry128){
		.lo = VTD_QI_TYPE_IOTLB | qi_gran(VTD_QI_GRAN_GLOBAL) | drain(drain_rd, drain_wr),
	};
}

struct vtd_entry128 vtd_qi_iotlb_domain(u16 did, bool drain_rd, bool drain_wr)
{
	return (struct vtd_entry128){
		.lo = VTD_QI_TYPE_IOTLB | qi_gran(VTD_QI_GRAN_DOMAIN) | drain(drain_rd, drain_wr) |
		      ((u64)did << 16),
	};
}

struct vtd_entry128 vtd_qi_iotlb_page(u16 did, u64 addr, unsigned am, bool drain_rd, bool drain_wr)
{
	return (struct vtd_entry128){
		.lo = VTD_QI_TYPE_IOTLB | qi_gran(VTD_QI_GRAN_PAGE) | drain(drain_rd, drain_wr) |
		      ((u64)did << 16),
		.hi = (addr & ~(PAGE_SIZE - 1)) | (am & 0x3f),
	};
}

struct vtd_entry128 vtd_qi_wait(paddr_t status_pa, u32 data)
{
	return (struct vtd_entry128){
		.lo = VTD_QI_TYPE_WAIT | VTD_QI_WAIT_SW | VTD_QI_WAIT_FN | ((u64)data << 32),
		.hi = status_pa & ~3ULL,
	};
}

/* ---- domain ids ------------------------------------------------------------------------------------ */

void vtd_did_init(struct vtd_did_alloc *a, u64 *bits, u32 count)
{
	a->bits = bits;
	a->count = count;
	memset(bits, 0, VTD_DID_WORDS(count) * sizeof(u64));
	bits[0] |= 1;	/* DID 0 is reserved */
}

int vtd_did_alloc(struct vtd_did_alloc *a)
{
	for (u32 w = 0; w < VTD_DID_WORDS(a->count); w++) {
		if (a->bits[w] == ~0ULL)
			continue;
		for (u32 b = 0; b < 64; b++) {
			u32 id = w * 64 + b;
			if (id >= a->count)
				return -ENOSPC;
			if (!(a->bits[w] & BIT(b))) {
				a->bits[w] |= BIT(b);
				return (int)id;
			}
		}
	}
	return -ENOSPC;
}

void vtd_did_free(struct vtd_did_alloc *a, u16 did)
{
	if (did == 0 || did >= a->count)
		return;
	a->bits[did / 64] &= ~BIT(did % 64);
}
