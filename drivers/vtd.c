/* VT-d DMA remapping, the hardware side: per-unit setup, invalidation
 * (queued when ECAP.QI, else through registers), translation enable, domains
 * and fault polling. The table formats and decoders are pure and live in
 * vtd_tables.c / vtd_fault.c; the DMAR parser in dmar.c.
 *
 * Choices (docs/vtd.md): one set of second-level tables per domain is shared
 * by every unit, so the address width, large-page sizes and domain ids are
 * the ones all units support, and table updates are flushed from the CPU
 * caches if any unit walks tables non-coherently. Invalidations are global
 * at attach time (rare) and domain-selective after map/unmap. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/dmar.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/mmio.h>
#include <uhv/cpu.h>
#include <uhv/pci.h>
#include <uhv/options.h>
#include <uhv/string.h>
#include <uhv/timer.h>

/* Emulated IOMMUs answer in microseconds to milliseconds; real ones faster.
 * A generous bound still turns a dead unit into an error, not a hang. */
#define VTD_TIMEOUT_US		1000000

#define IQ_PAGES_ORDER		0	/* QS: one page, 256 descriptors */
#define IQ_ENTRIES		(PAGE_SIZE / VTD_IQ_DESC_SIZE)
#define MAX_DOMAINS		256	/* ids uhv hands out; a few are ever used */
#define FAULT_KINDS		64

struct vtd_unit {
	unsigned index;
	paddr_t base;
	volatile u8 *regs;
	u16 segment;
	u32 ver;
	u64 cap, ecap;
	struct vtd_root_table rt;
	bool qi;
	volatile struct vtd_entry128 *iq;
	paddr_t iq_pa;
	unsigned iq_tail;
	volatile u32 *wait_status;	/* written by the unit's wait descriptors */
	paddr_t wait_pa;
	u32 wait_seq;
	bool enabled;
	char name[32];
};

/* The IOMMUs are machine-global hardware; this is the one driver instance. */
static struct {
	bool active;
	struct dmar_table dmar;
	struct vtd_unit *units;
	unsigned nr_units;
	unsigned levels, max_leaf;
	bool coherent;			/* every unit walks tables coherently */
	const struct pci_cfg_ops *cfg;
	struct dmar_pci_ops pci;
	struct ptab_mem mem;
	struct vtd_did_alloc dids;
	u64 did_bits[VTD_DID_WORDS(MAX_DOMAINS)];
	struct vtd_fault_log flog;
	struct vtd_fault_seen fseen[FAULT_KINDS];
	struct vtd_domain rmrr_dom;
	bool have_rmrr_dom;
} vtd;

/* ---- register access --------------------------------------------------------------------------- */

static u32 rd32(const struct vtd_unit *u, unsigned off) { return mmio_read32(u->regs + off); }
static void wr32(struct vtd_unit *u, unsigned off, u32 v) { mmio_write32(u->regs + off, v); }
/* 64-bit registers as two 32-bit halves, low first: every unit accepts that */
static u64 rd64(const struct vtd_unit *u, unsigned off)
{
	u32 lo = rd32(u, off), hi = rd32(u, off + 4);
	return ((u64)hi << 32) | lo;
}
static void wr64(struct vtd_unit *u, unsigned off, u64 v)
{
	wr32(u, off, (u32)v);
	wr32(u, off + 4, (u32)(v >> 32));
}

static void dump_regs(const struct vtd_unit *u, const char *what)
{
	pr_err("%s: %s: GSTS %#x FSTS %#x CCMD %#llx IOTLB %#llx IQH %#llx IQT %#llx ICS %#x "
	       "IQERCD %#llx\n", u->name, what, rd32(u, VTD_GSTS), rd32(u, VTD_FSTS),
	       rd64(u, VTD_CCMD),
	       rd64(u, vtd_ecap_iro(u->ecap) + VTD_IOTLB),
	       rd64(u, VTD_IQH), rd64(u, VTD_IQT),
	       rd32(u, VTD_ICS), rd64(u, VTD_IQERCD));
}

struct reg_wait {
	const struct vtd_unit *u;
	unsigned off;
	u64 mask, want;
	bool is64;
};

static bool reg_done(void *ctx)
{
	struct reg_wait *w = ctx;
	u64 v = w->is64 ? rd64(w->u, w->off) : rd32(w->u, w->off);
	return (v & w->mask) == w->want;
}

static int wait_reg(const struct vtd_unit *u, unsigned off, bool is64, u64 mask, u64 want,
		    const char *what)
{
	struct reg_wait w = { u, off, mask, want, is64 };
	if (wait_until(reg_done, &w, VTD_TIMEOUT_US) == 0)
		return 0;
	pr_err("%s: timed out after %u ms waiting for %s\n", u->name, VTD_TIMEOUT_US / 1000, what);
	dump_regs(u, what);
	return -ETIMEDOUT;
}

/* Set or clear a GCMD state bit and wait for GSTS to follow. */
static int gcmd(struct vtd_unit *u, u32 bit, bool on, const char *what)
{
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	wr32(u, VTD_GCMD, on ? sts | bit : sts & ~bit);
	return wait_reg(u, VTD_GSTS, false, bit, on ? bit : 0, what);
}

/* One-shot commands (SRTP, WBF): GSTS reports completion differently. */
static int set_root_table(struct vtd_unit *u)
{
	wr64(u, VTD_RTADDR, u->rt.root | VTD_RTADDR_TTM_LEGACY);
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	wr32(u, VTD_GCMD, sts | VTD_GCMD_SRTP);
	return wait_reg(u, VTD_GSTS, false, VTD_GSTS_RTPS, VTD_GSTS_RTPS, "root table pointer");
}

static int flush_write_buffer(struct vtd_unit *u)
{
	if (!vtd_cap_rwbf(u->cap))
		return 0;
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	wr32(u, VTD_GCMD, sts | VTD_GCMD_WBF);
	return wait_reg(u, VTD_GSTS, false, VTD_GSTS_WBFS, 0, "write-buffer flush");
}

/* ---- invalidation ------------------------------------------------------------------------------- */

struct wait_seq { volatile u32 *p; u32 want; };

static bool seq_done(void *ctx)
{
	struct wait_seq *w = ctx;
	return *w->p == w->want;
}

/* Queue descriptors followed by a wait descriptor and wait for its status write. */
static int qi_submit(struct vtd_unit *u, const struct vtd_entry128 *d, unsigned n)
{
	u32 seq = ++u->wait_seq;

	for (unsigned i = 0; i <= n; i++) {
		struct vtd_entry128 e = i < n ? d[i] : vtd_qi_wait(u->wait_pa, seq);
		u->iq[u->iq_tail].lo = e.lo;
		u->iq[u->iq_tail].hi = e.hi;
		if (!vtd_ecap_c(u->ecap))
			clflush(&u->iq[u->iq_tail]);
		u->iq_tail = (u->iq_tail + 1) % IQ_ENTRIES;
	}
	mfence();
	wr64(u, VTD_IQT, (u64)u->iq_tail << VTD_IQT_SHIFT);

	struct wait_seq w = { u->wait_status, seq };
	int err = wait_until(seq_done, &w, VTD_TIMEOUT_US);
	u32 fsts = rd32(u, VTD_FSTS);
	if (fsts & (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)) {
		char buf[128];
		vtd_fsts_format(fsts, buf, sizeof(buf));
		pr_err("%s: invalidation queue error, FSTS %s\n", u->name, buf);
		dump_regs(u, "queued invalidation");
		wr32(u, VTD_FSTS, fsts & (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE));
		return -EIO;
	}
	if (err) {
		pr_err("%s: invalidation wait descriptor not completed after %u ms (status %#x, "
		       "want %#x)\n", u->name, VTD_TIMEOUT_US / 1000, *u->wait_status, seq);
		dump_regs(u, "queued invalidation");
		return -ETIMEDOUT;
	}
	return 0;
}

static int reg_context_global(struct vtd_unit *u)
{
	wr64(u, VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_CIRG_GLOBAL);
	int err = wait_reg(u, VTD_CCMD, true, VTD_CCMD_ICC, 0, "context-cache invalidation");
	if (!err && VTD_CCMD_CAIG(rd64(u, VTD_CCMD)) == 0) {
		pr_err("%s: context-cache invalidation refused\n", u->name);
		return -EIO;
	}
	return err;
}

static int reg_iotlb(struct vtd_unit *u, u64 gran_did)
{
	unsigned off = vtd_ecap_iro(u->ecap) + VTD_IOTLB;
	u64 drain = (vtd_cap_drd(u->cap) ? VTD_IOTLB_DR : 0) |
		    (vtd_cap_dwd(u->cap) ? VTD_IOTLB_DW : 0);
	wr64(u, off, VTD_IOTLB_IVT | gran_did | drain);
	int err = wait_reg(u, off, true, VTD_IOTLB_IVT, 0, "IOTLB invalidation");
	if (!err && VTD_IOTLB_IAIG(rd64(u, off)) == 0) {
		pr_err("%s: IOTLB invalidation refused\n", u->name);
		return -EIO;
	}
	return err;
}

/* Everything cached about contexts and translations, on one unit. */
static int flush_all(struct vtd_unit *u)
{
	int err = flush_write_buffer(u);
	if (err)
		return err;
	if (u->qi) {
		struct vtd_entry128 d[2] = {
			vtd_qi_context_global(),
			vtd_qi_iotlb_global(vtd_cap_drd(u->cap), vtd_cap_dwd(u->cap)),
		};
		return qi_submit(u, d, 2);
	}
	err = reg_context_global(u);
	return err ? err : reg_iotlb(u, VTD_IOTLB_IIRG_GLOBAL);
}

static int flush_domain(struct vtd_unit *u, u16 did)
{
	int err = flush_write_buffer(u);
	if (err)
		return err;
	if (u->qi) {
		struct vtd_entry128 d = vtd_qi_iotlb_domain(did, vtd_cap_drd(u->cap),
							    vtd_cap_dwd(u->cap));
		return qi_submit(u, &d, 1);
	}
	return reg_iotlb(u, VTD_IOTLB_IIRG_DOMAIN | VTD_IOTLB_DID(did));
}

/* ---- memory for tables ----------------------------------------------------------------------------- */

static paddr_t mem_alloc(void *ctx) { return kmem_alloc_page(); }
static void *mem_p2v(void *ctx, paddr_t pa) { return phys_to_virt(pa); }

static void mem_sync(void *ctx, void *ptr, size_t len)
{
	/* Units that do not snoop their page walks read the tables from memory. */
	if (vtd.coherent)
		return;
	for (uintptr_t p = (uintptr_t)ptr & ~63ULL; p < (uintptr_t)ptr + len; p += 64)
		clflush((void *)p);
	mfence();
}

/* ---- PCI: bridge bus numbers for DMAR scope paths ----------------------------------------------------- */

static int bridge_buses(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u8 *sec, u8 *sub)
{
	const struct pci_cfg_ops *cfg = vtd.cfg;
	if (!cfg)
		return -ENODEV;
	u32 id = cfg->read32(cfg->ctx, seg, bus, dev, fn, 0);
	if (id == 0xffffffff)
		return -ENODEV;
	u32 hdr = cfg->read32(cfg->ctx, seg, bus, dev, fn, 0x0c);
	if (((hdr >> 16) & PCI_HEADER_TYPE_MASK) != PCI_HEADER_BRIDGE)
		return -ENODEV;
	u32 buses = cfg->read32(cfg->ctx, seg, bus, dev, fn, PCI_PRIMARY_BUS);
	*sec = (u8)(buses >> 8);
	*sub = (u8)(buses >> 16);
	return 0;
}

/* ---- per-unit setup --------------------------------------------------------------------------------------- */

struct count_ctx { unsigned n; };

static int add_unit(void *ctx, const struct dmar_drhd *d)
{
	struct vtd_unit *u = &vtd.units[d->index];
	u->index = d->index;
	u->base = d->base;
	u->segment = d->segment;
	ksnprintf(u->name, sizeof(u->name), "unit %u @%#llx", d->index,
		  d->base);
	return 0;
}

static void clear_faults(struct vtd_unit *u, bool report);

static int unit_probe(struct vtd_unit *u)
{
	u->regs = mmio_map(u->base, PAGE_SIZE);
	if (!u->regs) {
		pr_err("%s: cannot map the registers\n", u->name);
		return -ENOMEM;
	}
	u->ver = rd32(u, VTD_VER);
	u->cap = rd64(u, VTD_CAP);
	u->ecap = rd64(u, VTD_ECAP);
	if (u->ver == 0xffffffff || u->cap == ~0ULL) {
		pr_err("%s: registers read as all ones: no unit at this address (firmware bug?)\n",
		       u->name);
		return -ENODEV;
	}
	vtd_print_caps(u->name, u->ver, u->cap, u->ecap);
	/* fault and IOTLB register blocks must be inside the mapped page */
	if (vtd_cap_fro(u->cap) + vtd_cap_nfr(u->cap) * VTD_FRCD_SIZE > PAGE_SIZE ||
	    vtd_ecap_iro(u->ecap) + 16 > PAGE_SIZE) {
		u->regs = mmio_map(u->base, 2 * PAGE_SIZE);
		if (!u->regs)
			return -ENOMEM;
	}
	u32 gsts = rd32(u, VTD_GSTS);
	if (gsts & VTD_GSTS_TES) {
		pr_warn("%s: firmware left translation enabled; turning it off\n", u->name);
		if (gcmd(u, VTD_GCMD_TE, false, "translation disable"))
			return -ETIMEDOUT;
	}
	if (gsts & VTD_GSTS_IRES)
		pr_warn("%s: firmware left interrupt remapping enabled; leaving it\n", u->name);
	clear_faults(u, true);
	return 0;
}

static int unit_setup_qi(struct vtd_unit *u)
{
	if (!vtd_ecap_qi(u->ecap))
		return 0;
	if (rd32(u, VTD_GSTS) & VTD_GSTS_QIES) {
		/* firmware's queue: stop it so the head resets */
		if (gcmd(u, VTD_GCMD_QIE, false, "queued invalidation disable"))
			return -ETIMEDOUT;
	}
	u->iq_pa = kmem_alloc_page();
	u->wait_pa = kmem_alloc_page();
	if (!u->iq_pa || !u->wait_pa)
		return -ENOMEM;
	u->iq = phys_to_virt(u->iq_pa);
	u->wait_status = phys_to_virt(u->wait_pa);
	u->iq_tail = 0;
	wr64(u, VTD_IQT, 0);
	wr64(u, VTD_IQA, u->iq_pa | VTD_IQA_QS(IQ_PAGES_ORDER));
	if (gcmd(u, VTD_GCMD_QIE, true, "queued invalidation enable"))
		return -ETIMEDOUT;
	u->qi = true;
	return 0;
}

static int unit_enable(struct vtd_unit *u)
{
	int err = vtd_root_table_init(&u->rt, &vtd.mem);
	if (err)
		return err;
	err = set_root_table(u);
	if (!err)
		err = flush_all(u);
	if (!err)
		err = gcmd(u, VTD_GCMD_TE, true, "translation enable");
	if (err)
		return err;
	u->enabled = true;
	pr_info("%s: DMA remapping enabled (%s invalidation, %u-level tables)\n", u->name,
		u->qi ? "queued" : "register-based", vtd.levels);
	return 0;
}

/* ---- faults ------------------------------------------------------------------------------------------------- */

static void clear_faults(struct vtd_unit *u, bool report_leftovers)
{
	unsigned fro = vtd_cap_fro(u->cap), nfr = vtd_cap_nfr(u->cap);
	u32 fsts = rd32(u, VTD_FSTS);

	for (unsigned i = 0; i < nfr; i++) {
		unsigned off = fro + i * VTD_FRCD_SIZE;
		u64 hi = rd64(u, off + VTD_FRCD_HI);
		if (!(hi & BIT(63)))
			continue;
		u64 lo = rd64(u, off + VTD_FRCD_LO);
		struct vtd_fault f;
		vtd_fault_decode(lo, hi, &f);
		u64 n = vtd_fault_log_record(&vtd.flog, &f);
		char buf[256];
		vtd_fault_format(&f, buf, sizeof(buf));
		/* A device stuck in a DMA loop faults thousands of times a second:
		 * print each kind once, count the rest (vtd_fault_summary). */
		if (report_leftovers)
			pr_warn("%s: fault left over from before uhv: %s\n", u->name, buf);
		else if (n == 1)
			pr_err("%s: fault #%llu: %s (printed once; repeats are counted)\n", u->name,
			       vtd.flog.total, buf);
		else
			pr_debug("%s: fault #%llu: repeat %llu of: %s\n", u->name,
				 vtd.flog.total, n, buf);
		/* F is RW1C in the upper dword. Until it is clear, hardware may
		 * drop further faults (QEMU drops all from the same source). */
		wr32(u, off + VTD_FRCD_HI + 4, (u32)(BIT(63) >> 32));
	}
	if (fsts & VTD_FSTS_PFO)
		pr_warn("%s: fault records overflowed; some faults were not recorded\n", u->name);
	if (fsts & VTD_FSTS_W1C_MASK)
		wr32(u, VTD_FSTS, fsts & VTD_FSTS_W1C_MASK);
}

void vtd_poll_faults(void)
{
	if (!vtd.active)
		return;
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		struct vtd_unit *u = &vtd.units[i];
		if (rd32(u, VTD_FSTS) & (VTD_FSTS_PPF | VTD_FSTS_PFO))
			clear_faults(u, false);
	}
}

u64 vtd_fault_count(void)
{
	return vtd.flog.total;
}

void vtd_fault_summary(void)
{
	for (size_t i = 0; i < vtd.flog.used; i++) {
		const struct vtd_fault_seen *s = &vtd.flog.seen[i];
		pr_info("fault summary: %s of %#llx by %02x:%02x.%x reason %#04x seen %llu "
			"time(s)\n", vtd_access_name(s->access), s->addr, s->sid >> 8,
			(s->sid >> 3) & 0x1f, s->sid & 7, s->reason, s->count);
	}
	if (vtd.flog.untracked)
		pr_info("fault summary: %llu more of kinds not tracked\n",
			vtd.flog.untracked);
}

u64 vtd_fault_kind_count(u16 sid, u8 reason, enum vtd_access access, u64 addr)
{
	struct vtd_fault f = { .valid = true, .sid = sid, .reason = reason, .access = access,
			       .addr = addr & ~(PAGE_SIZE - 1) };
	return vtd_fault_log_count(&vtd.flog, &f);
}

int vtd_last_fault(struct vtd_fault_seen *out)
{
	if (!vtd.flog.used)
		return -ENOENT;
	*out = vtd.flog.seen[vtd.flog.used - 1];
	return 0;
}

/* ---- domains ------------------------------------------------------------------------------------------------------- */

int vtd_domain_create(struct vtd_domain *dom, unsigned flags)
{
	if (!vtd.active)
		return -ENODEV;
	memset(dom, 0, sizeof(*dom));
	int did = vtd_did_alloc(&vtd.dids);
	if (did < 0)
		return did;
	dom->did = (u16)did;
	dom->flags = flags;
	int err = ptab_init(&dom->pt, &vtd_sl_fmt, &vtd.mem, vtd.levels, vtd.max_leaf);
	if (err) {
		vtd_did_free(&vtd.dids, dom->did);
		return err;
	}
	return 0;
}

static int flush_domain_everywhere(struct vtd_domain *dom)
{
	int ret = 0;
	if (!dom->attached)
		return 0;
	for (unsigned i = 0; i < vtd.nr_units; i++)
		if (vtd.units[i].enabled) {
			int err = flush_domain(&vtd.units[i], dom->did);
			if (err)
				ret = err;
		}
	return ret;
}

int vtd_domain_map(struct vtd_domain *dom, u64 iova, paddr_t hpa, u64 size, u64 rw)
{
	if (!IS_ALIGNED(iova | hpa | size, PAGE_SIZE) || !(rw & (VTD_SL_R | VTD_SL_W)) ||
	    (rw & ~(VTD_SL_R | VTD_SL_W)))
		return -EINVAL;
	if (!(dom->flags & VTD_DOMAIN_MAY_MAP_HYPERVISOR) && kmem_is_hypervisor(hpa, size)) {
		pr_err("domain %u: refusing to map [%#llx, %#llx): it is uhv's own memory\n", dom->did,
		       hpa, (hpa + size));
		return -EPERM;
	}
	int err = ptab_map(&dom->pt, iova, hpa, size, rw);
	/* replaced entries and, with caching mode, new ones may be cached */
	int ferr = flush_domain_everywhere(dom);
	return err ? err : ferr;
}

int vtd_domain_unmap(struct vtd_domain *dom, u64 iova, u64 size)
{
	int err = ptab_unmap(&dom->pt, iova, size);
	int ferr = flush_domain_everywhere(dom);
	return err ? err : ferr;
}

struct rmrr_map_ctx { struct vtd_domain *dom; u16 seg; u8 bus, devfn; int err; };

static int rmrr_map_for(void *ctx, const struct dmar_rmrr *r)
{
	struct rmrr_map_ctx *c = ctx;
	if (r->segment != c->seg ||
	    !dmar_scopes_match(r->segment, r->scopes, r->scopes_len, c->bus, c->devfn, &vtd.pci))
		return 0;
	paddr_t lo = ALIGN_DOWN(r->base, PAGE_SIZE), hi = ALIGN_UP(r->limit + 1, PAGE_SIZE);
	paddr_t pa;
	if (ptab_lookup(&c->dom->pt, lo, &pa, NULL, NULL) == 0 && pa != lo)
		pr_warn("domain %u: reserved region [%#llx, %#llx] of %02x:%02x.%x overrides the "
			"domain's mapping there\n", c->dom->did, r->base,
			r->limit, c->bus, c->devfn >> 3, c->devfn & 7);
	int err = ptab_map(&c->dom->pt, lo, lo, hi - lo, VTD_SL_R | VTD_SL_W);
	if (err)
		c->err = err;
	return 0;
}

int vtd_attach_device(struct vtd_domain *dom, u16 seg, u8 bus, u8 devfn)
{
	struct dmar_drhd d;

	if (!vtd.active)
		return -ENODEV;
	if (dmar_find_unit(&vtd.dmar, seg, bus, devfn, &vtd.pci, &d)) {
		pr_warn("%04x:%02x:%02x.%x is behind no remapping unit: its DMA is not translated\n",
			seg, bus, devfn >> 3, devfn & 7);
		return -ENOENT;
	}
	struct vtd_unit *u = &vtd.units[d.index];
	/* firmware-reserved regions the device needs keep their identity mapping */
	struct rmrr_map_ctx rc = { dom, seg, bus, devfn, 0 };
	struct dmar_visitor v = { .rmrr = rmrr_map_for, .ctx = &rc };
	dmar_walk(&vtd.dmar, &v);
	if (rc.err)
		return rc.err;

	struct vtd_entry128 ce = vtd_context_entry(dom->pt.root, vtd_levels_to_aw(vtd.levels),
						   dom->did, VTD_CTX_TT_UNTRANSLATED);
	int err = vtd_context_set(&u->rt, bus, devfn, ce, NULL);
	if (err)
		return err;
	dom->attached = true;
	/* Attaching is rare: a global flush is always right, whether the entry was
	 * present before (stale context) or caching mode caches not-present ones. */
	if (u->enabled)
		err = flush_all(u);
	pr_info("%04x:%02x:%02x.%x: DMA translated by domain %u (%s)\n", seg, bus, devfn >> 3,
		devfn & 7, dom->did, u->name);
	return err;
}

int vtd_detach_device(u16 seg, u8 bus, u8 devfn)
{
	struct dmar_drhd d;
	if (!vtd.active)
		return -ENODEV;
	if (dmar_find_unit(&vtd.dmar, seg, bus, devfn, &vtd.pci, &d))
		return -ENOENT;
	struct vtd_unit *u = &vtd.units[d.index];
	if (vtd_context_clear(&u->rt, bus, devfn) && u->enabled)
		return flush_all(u);
	return 0;
}

/* RMRR devices keep working (USB legacy, graphics) in a domain of their own
 * until someone attaches them elsewhere. */
static int rmrr_attach(void *ctx, const struct dmar_rmrr *r)
{
	struct dmar_scope s;
	size_t off = 0;
	while (dmar_scope_next(r->scopes, r->scopes_len, &off, &s)) {
		struct dmar_scope_target t;
		if (s.type != DMAR_SCOPE_ENDPOINT || dmar_scope_resolve(r->segment, &s, &vtd.pci, &t))
			continue;
		if (!vtd.have_rmrr_dom) {
			int err = vtd_domain_create(&vtd.rmrr_dom, 0);
			if (err)
				return err;
			vtd.have_rmrr_dom = true;
		}
		vtd_attach_device(&vtd.rmrr_dom, r->segment, t.bus, t.devfn);
	}
	return 0;
}

/* ---- init ---------------------------------------------------------------------------------------------------------- */

int vtd_init(const void *dmar, size_t len, const struct uhv_options *opt,
	     const struct pci_cfg_ops *cfg)
{
	if (!dmar) {
		pr_info("no DMAR ACPI table: this machine has no VT-d DMA remapping; devices given "
			"to the guest can DMA anywhere\n");
		return -ENODEV;
	}
	if (opt && !opt->iommu) {
		pr_warn("***** iommu=off: DMA remapping DISABLED. Devices can read and write all "
			"memory, including uhv's own. *****\n");
		return -ENODEV;
	}
	int err = dmar_parse(dmar, len, &vtd.dmar);
	if (err) {
		pr_err("DMAR table unusable; continuing WITHOUT DMA remapping\n");
		return err;
	}
	dmar_print(&vtd.dmar);
	if (vtd.dmar.nr_drhd == 0) {
		pr_warn("DMAR lists no remapping units; continuing without DMA remapping\n");
		return -ENODEV;
	}
	vtd.cfg = cfg;
	vtd.pci = (struct dmar_pci_ops){ bridge_buses, NULL };
	vtd.mem = (struct ptab_mem){ mem_alloc, NULL, mem_p2v, mem_sync, NULL };
	vtd_fault_log_init(&vtd.flog, vtd.fseen, FAULT_KINDS);

	vtd.nr_units = vtd.dmar.nr_drhd;
	size_t bytes = vtd.nr_units * sizeof(struct vtd_unit);
	paddr_t upa = kmem_alloc_pages(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
	if (!upa)
		return -ENOMEM;
	vtd.units = phys_to_virt(upa);
	struct dmar_visitor v = { .drhd = add_unit };
	dmar_walk(&vtd.dmar, &v);

	/* common capabilities: the domain tables are shared by all units */
	unsigned need = MIN(vtd.dmar.haw, 48u), max_leaf = 2;
	u32 domains = MAX_DOMAINS;
	vtd.coherent = true;
	vtd.levels = 0;
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		struct vtd_unit *u = &vtd.units[i];
		err = unit_probe(u);
		if (err)
			return err;
		if (vtd_ecap_smts(u->ecap) && !vtd_ecap_slts(u->ecap))
			pr_warn("%s: scalable mode only? using legacy mode anyway\n", u->name);
		/* a width every unit supports, at least the MGAW-limited host width */
		unsigned want = MIN(need, vtd_cap_mgaw(u->cap));
		int lv = vtd_select_levels(u->cap, want);
		if (lv < 0) {
			pr_err("%s: no supported address width (SAGAW %#x, MGAW %u)\n", u->name,
			       vtd_cap_sagaw(u->cap), vtd_cap_mgaw(u->cap));
			return -EOPNOTSUPP;
		}
		if (vtd.levels && (unsigned)lv != vtd.levels &&
		    !(vtd_cap_sagaw(u->cap) & BIT(vtd_levels_to_aw(vtd.levels)))) {
			pr_err("%s: units support no common page-table depth\n", u->name);
			return -EOPNOTSUPP;
		}
		if (!vtd.levels)
			vtd.levels = (unsigned)lv;
		max_leaf = MIN(max_leaf, vtd_max_leaf_level(u->cap));
		domains = MIN(domains, vtd_domain_count(u->cap));
		if (!vtd_ecap_c(u->ecap))
			vtd.coherent = false;
	}
	vtd.max_leaf = max_leaf;
	vtd_did_init(&vtd.dids, vtd.did_bits, domains);
	pr_info("domains: %u-level tables (%u-bit IOVAs), largest pages %s, table updates %s\n",
		vtd.levels, vtd_levels_to_bits(vtd.levels),
		max_leaf == 2 ? "1G" : max_leaf == 1 ? "2M" : "4K",
		vtd.coherent ? "coherent" : "flushed from the CPU caches");

	for (unsigned i = 0; i < vtd.nr_units; i++) {
		err = unit_setup_qi(&vtd.units[i]);
		if (err)
			return err;
	}
	vtd.active = true;
	/* Enable with empty root tables: from here on devices without a domain
	 * cannot DMA at all. */
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		err = unit_enable(&vtd.units[i]);
		if (err) {
			pr_err("%s: enabling failed (%s); DMA remapping is NOT active on it\n",
			       vtd.units[i].name, errno_name(err));
			/* units already enabled stay so: their devices stay blocked */
			vtd.active = false;
			return err;
		}
	}
	struct dmar_visitor rv = { .rmrr = rmrr_attach };
	err = dmar_walk(&vtd.dmar, &rv);
	if (err) {
		pr_err("cannot give reserved-region (RMRR) devices their domain (%s)\n",
		       errno_name(err));
		vtd.active = false;
		return err;
	}
	return 0;
}

bool vtd_active(void)
{
	return vtd.active;
}
