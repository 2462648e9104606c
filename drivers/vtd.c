/* VT-d DMA remapping, the hardware side: the driver instance, register waits and commands,
 * bringing each unit up (probe, translation enable with empty root tables) and vtd_init.
 * Invalidation is in vtd_inval.c, domains and attaching devices in vtd_domain.c, fault polling
 * in vtd_fault_poll.c; the pure table formats and decoders in vtd_tables.c / vtd_fault.c; the
 * DMAR parser in acpi/dmar.c.
 *
 * Choices (docs/vtd.md): one set of second-level tables per domain is shared
 * by every unit, so the address width, large-page sizes and domain ids are
 * the ones all units support, and table updates are flushed from the CPU
 * caches if any unit walks tables non-coherently. */
#define LOG_MODULE "vtd"
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/cpu.h>
#include <uhv/options.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include <uhv/test_hooks.h>
#include "vtd_priv.h"
#include "vtd_takeover.h"

struct vtd_driver vtd;

/* ---- register waits and commands ------------------------------------------------------------- */

void vtd_dump_regs(const struct vtd_unit *u, const char *what)
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

int vtd_wait_reg(const struct vtd_unit *u, unsigned off, bool is64, u64 mask, u64 want,
		 const char *what)
{
	struct reg_wait w = { u, off, mask, want, is64 };
	if (wait_until(reg_done, &w, VTD_TIMEOUT_US) == 0)
		return 0;
	pr_err("%s: timed out after %u ms waiting for %s\n", u->name, VTD_TIMEOUT_US / 1000, what);
	vtd_dump_regs(u, what);
	return -ETIMEDOUT;
}

/* Set or clear a GCMD state bit and wait for GSTS to follow. */
int vtd_gcmd(struct vtd_unit *u, u32 bit, bool on, const char *what)
{
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	wr32(u, VTD_GCMD, on ? sts | bit : sts & ~bit);
	return vtd_wait_reg(u, VTD_GSTS, false, bit, on ? bit : 0, what);
}

static u32 io_rd32(void *ctx, unsigned off) { return rd32(ctx, off); }
static void io_wr32(void *ctx, unsigned off, u32 v) { wr32(ctx, off, v); }
static int io_wait32(void *ctx, unsigned off, u32 mask, u32 want, const char *what)
{
	return vtd_wait_reg(ctx, off, false, mask, want, what);
}

struct vtd_regio vtd_unit_regio(struct vtd_unit *u)
{
	return (struct vtd_regio){ io_rd32, io_wr32, io_wait32, u, u->name };
}

/* One-shot commands (SRTP here, WBF in vtd_inval.c): GSTS reports completion differently. */
static int set_root_table(struct vtd_unit *u)
{
	wr64(u, VTD_RTADDR, u->rt.root | VTD_RTADDR_TTM_LEGACY);
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	wr32(u, VTD_GCMD, sts | VTD_GCMD_SRTP);
	return vtd_wait_reg(u, VTD_GSTS, false, VTD_GSTS_RTPS, VTD_GSTS_RTPS, "root table pointer");
}

/* ---- memory for tables ----------------------------------------------------------------------- */

static paddr_t mem_alloc(void *ctx) { return kmem_alloc_for(KMEM_VTD, 1, PAGE_SIZE); }
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

/* ---- PCI: bridge bus numbers for DMAR scope paths -------------------------------------------- */

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

/* ---- per-unit setup -------------------------------------------------------------------------- */

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

static u64 tsc_now(void) { return rdtsc(); }

/* Firmware left translation on: uhv's empty root table goes in while TE stays on (see
 * vtd_takeover.c), at once, before anything else is set up, so firmware's tables stop
 * mattering as early as possible and no DMA is ever untranslated. */
static int take_over(struct vtd_unit *u)
{
	if (!vtd_ecap_c(u->ecap))
		vtd.coherent = false;	/* the root table must reach memory, not just the cache */
	int err = vtd_root_table_init(&u->rt, &vtd.mem);
	if (err)
		return err;
	struct vtd_regio io = vtd_unit_regio(u);
	struct vtd_takeover t;
	pr_warn("%s: firmware left translation enabled (root table %#llx); taking over without "
		"turning it off\n", u->name, rd64(u, VTD_RTADDR) & VTD_ENTRY_ADDR_MASK);
	err = vtd_takeover(&io, u->cap, u->ecap, u->rt.root, u->wbf, tsc_now, &t);
	u64 khz = tsc_khz() ? tsc_khz() : 1;
	if (err) {
		pr_err("%s: taking over from firmware failed (%s); translation stays on with "
		       "whatever root table the unit has\n", u->name, errno_name(err));
		return err;
	}
	u->took_over = true;
	pr_info("%s: took over from firmware: translation stayed on, %snew root table and global "
		"invalidation; DMA was never untranslated, firmware's cached translations usable "
		"for at most %llu TSC ticks (%llu us), the whole takeover %llu ticks\n", u->name,
		t.stopped_qi ? "firmware's invalidation queue stopped, " : "", t.stale_ticks,
		t.stale_ticks * 1000 / khz, t.total_ticks);
	return 0;
}

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
	u->wbf = vtd_need_wbf(u->cap, vtd.hb_vendor, vtd.hb_device);
	if (u->wbf && !vtd_cap_rwbf(u->cap))
		pr_info("%s: host bridge %04x:%04x needs write-buffer flushes although CAP.RWBF "
			"is clear: flushing\n", u->name, vtd.hb_vendor, vtd.hb_device);
	/* fault and IOTLB register blocks must be inside the mapped page */
	if (vtd_cap_fro(u->cap) + vtd_cap_nfr(u->cap) * VTD_FRCD_SIZE > PAGE_SIZE ||
	    vtd_ecap_iro(u->ecap) + 16 > PAGE_SIZE) {
		u->regs = mmio_map(u->base, 2 * PAGE_SIZE);
		if (!u->regs)
			return -ENOMEM;
	}
	u32 gsts = rd32(u, VTD_GSTS);
	if (gsts & VTD_GSTS_TES) {
		int err = take_over(u);
		if (err)
			return err;
	}
	/* firmware's interrupt remapping (GSTS.IRES) is taken over in vtd_ir_unit_enable */
	vtd_clear_faults(u, true);
	return 0;
}

static int unit_enable(struct vtd_unit *u)
{
	int err = 0;
	if (!u->took_over) {
		err = vtd_root_table_init(&u->rt, &vtd.mem);
		if (!err)
			err = set_root_table(u);
	}
	if (!err)
		err = vtd_flush_all(u);
	if (!err)
		err = vtd_gcmd(u, VTD_GCMD_TE, true, "translation enable");
	if (err)
		return err;
	u->enabled = true;
	/* only now: until TE was set the regions kept blocking DMA into them */
	struct vtd_regio io = vtd_unit_regio(u);
	vtd_pmr_disable(&io, u->cap);
	pr_info("%s: DMA remapping enabled (%s invalidation, %u-level tables)\n", u->name,
		u->qi ? "queued" : "register-based", vtd.levels);
	return 0;
}

/* ---- init ------------------------------------------------------------------------------------ */

/* No DMAR, iommu=off, an unusable table or no units: all mean running without remapping. */
static int parse_dmar(const void *dmar, size_t len, const struct uhv_options *opt)
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
	return 0;
}

/* One struct vtd_unit per DRHD, named and placed, not yet touched. */
static int alloc_units(void)
{
	vtd.nr_units = vtd.dmar.nr_drhd;
	size_t bytes = vtd.nr_units * sizeof(struct vtd_unit);
	paddr_t upa = kmem_alloc_for(KMEM_VTD, ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
	if (!upa)
		return -ENOMEM;
	vtd.units = phys_to_virt(upa);
	struct dmar_visitor v = { .drhd = add_unit };
	dmar_walk(&vtd.dmar, &v);
	return 0;
}

/* Probe every unit and keep what they all support: the domain tables are shared by all units. */
static int probe_units(void)
{
	unsigned need = MIN(vtd.dmar.haw, 48u), max_leaf = 2;
	u32 domains = VTD_MAX_DOMAINS;
	vtd.coherent = true;
	vtd.levels = 0;
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		struct vtd_unit *u = &vtd.units[i];
		int err = unit_probe(u);
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
	return 0;
}

static int enable_units(void)
{
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		int err = vtd_unit_setup_qi(&vtd.units[i]);
		if (err)
			return err;
		vtd_ir_unit_enable(&vtd.units[i]);
	}
	vtd.active = true;
	/* Enable with empty root tables: from here on devices without a domain
	 * cannot DMA at all. */
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		int err = unit_enable(&vtd.units[i]);
		if (err) {
			pr_err("%s: enabling failed (%s); DMA remapping is NOT active on it\n",
			       vtd.units[i].name, errno_name(err));
			/* units already enabled stay so: their devices stay blocked */
			vtd.active = false;
			return err;
		}
	}
	return 0;
}

int vtd_init(const void *dmar, size_t len, const struct uhv_options *opt,
	     const struct pci_cfg_ops *cfg)
{
	int err = parse_dmar(dmar, len, opt);
	if (err)
		return err;
	vtd.cfg = cfg;
	vtd.inval = opt ? opt->vtd_inval : UHV_VTD_INVAL_AUTO;
	vtd.ir_compat = opt && opt->vtd_ir_compat_allow;
	if (cfg) {
		u32 id = cfg->read32(cfg->ctx, 0, 0, 0, 0, PCI_VENDOR_ID);
		vtd.hb_vendor = (u16)id;
		vtd.hb_device = (u16)(id >> 16);
	}
	vtd.pci = (struct dmar_pci_ops){ bridge_buses, NULL };
	vtd.mem = (struct ptab_mem){ mem_alloc, NULL, mem_p2v, mem_sync, NULL };
	vtd_fault_log_init(&vtd.flog, vtd.fseen, VTD_FAULT_KINDS);

	err = alloc_units();
	if (!err)
		err = probe_units();
	if (!err)
		test_hook_vtd_takeover_window(opt, vtd.devs, cfg);
	if (!err)
		err = enable_units();
	if (err)
		return err;
	err = vtd_attach_rmrr_devices();
	if (err) {
		pr_err("cannot give reserved-region (RMRR) devices their domain (%s)\n",
		       errno_name(err));
		vtd.active = false;
		return err;
	}
	return 0;
}

void vtd_use_pci(const struct pci *pci)
{
	vtd.devs = pci;
}

bool vtd_active(void)
{
	return vtd.active;
}
