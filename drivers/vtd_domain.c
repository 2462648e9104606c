/* VT-d domains: second-level tables (one set per domain, shared by every unit), mapping and
 * unmapping with the IOTLB flushes that follow, context entries that attach a device to a
 * domain, and the firmware's reserved regions (RMRR) that attached devices keep. */
#define LOG_MODULE "vtd"
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "vtd_priv.h"
#include "vtd_alias.h"

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
			int err = vtd_flush_domain(&vtd.units[i], dom->did);
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

struct rmrr_map_ctx { struct vtd_domain *dom; u8 bus, devfn; };

static int rmrr_map_region(void *ctx, const struct dmar_rmrr *r, paddr_t lo, paddr_t hi)
{
	struct rmrr_map_ctx *c = ctx;
	paddr_t pa;
	if (ptab_lookup(&c->dom->pt, lo, &pa, NULL, NULL) == 0 && pa != lo)
		pr_warn("domain %u: reserved region [%#llx, %#llx] of %02x:%02x.%x overrides the "
			"domain's mapping there\n", c->dom->did, r->base,
			r->limit, c->bus, c->devfn >> 3, c->devfn & 7);
	return ptab_map(&c->dom->pt, lo, lo, hi - lo, VTD_SL_R | VTD_SL_W);
}

/* The regions firmware reserved for this device (and for no other) into its domain. Firmware
 * names the range, but a device must never reach uhv's memory: refuse the attach (fail closed)
 * rather than map it. The region is not the guest's CPU view either: the EPT maps what the MMIO
 * policy names (<uhv/mmio_policy.h>), and RMRRs are reserved ranges, unassigned unless below
 * 1 MiB. */
static int map_rmrrs(struct vtd_domain *dom, u16 seg, u8 bus, u8 devfn)
{
	struct rmrr_map_ctx c = { dom, bus, devfn };
	struct dmar_rmrr bad;
	int err = dmar_rmrr_regions(&vtd.dmar, seg, bus, devfn, &vtd.pci, kmem_memmap(),
				    rmrr_map_region, &c, &bad);
	if (err == -EPERM || err == -EINVAL)
		pr_err("reserved region (RMRR) [%#llx, %#llx] of %02x:%02x.%x %s: the device is not "
		       "attached\n", bad.base, bad.limit, bus, devfn >> 3, devfn & 7,
		       err == -EPERM ? "overlaps uhv's memory" : "is empty");
	return err;
}

/* ---- requester-id aliases: the bridges above a device, from the PCI enumeration ---------------- */

#define PCI_EXP_FLAGS		2	/* PCIe capabilities register, in the PCIe capability */
#define PCI_EXP_TYPE(flags)	(((flags) >> 4) & 0xf)
#define PCI_EXP_TYPE_PCI_BRIDGE	0x7	/* PCIe-to-PCI/PCI-X bridge */

static int upstream_bridge(void *ctx, u16 seg, u8 bus, u8 *br_bus, u8 *br_devfn,
			   enum vtd_bridge_kind *kind)
{
	const struct pci *pci = vtd.devs;
	for (unsigned i = 0; pci && i < pci->count; i++) {
		const struct pci_dev *d = &pci->devs[i];
		if (d->seg != seg || d->header_type != PCI_HEADER_BRIDGE || d->secondary_bus != bus ||
		    d->bus == bus)
			continue;
		*br_bus = d->bus;
		*br_devfn = (u8)(d->dev << 3 | d->fn);
		if (!d->cap_pcie)
			*kind = VTD_BRIDGE_PCI;
		else if (PCI_EXP_TYPE(pci_read16(pci->ops, d, d->cap_pcie + PCI_EXP_FLAGS)) ==
			 PCI_EXP_TYPE_PCI_BRIDGE)
			*kind = VTD_BRIDGE_PCIE_TO_PCI;
		else
			*kind = VTD_BRIDGE_PCIE_PORT;	/* ports; a PCI-to-PCIe bridge's id is kept */
		return 0;
	}
	return -ENOENT;
}

static unsigned aliases_of(u16 seg, u8 bus, u8 devfn, u16 *rids)
{
	struct vtd_alias_topo t = { upstream_bridge, NULL };
	return vtd_dma_aliases(&t, seg, bus, devfn, rids, VTD_MAX_ALIASES);
}

u16 vtd_dma_requester(u16 seg, u8 bus, u8 devfn)
{
	u16 rids[VTD_MAX_ALIASES];
	return rids[aliases_of(seg, bus, devfn, rids) - 1];
}

static u16 ctx_did(const struct vtd_unit *u, u16 rid)
{
	struct vtd_entry128 ce;
	return vtd_context_get(&u->rt, rid >> 8, rid & 0xff, &ce) ? 0 : VTD_CTX_DID(ce.hi);
}

/* An alias id already routed to another domain belongs to another device behind the same
 * bridge (or is that device): both would share one DMA address space. Refused (fail closed):
 * such devices can only go to the same domain. */
static int check_aliases(const struct vtd_unit *u, const struct vtd_domain *dom, const u16 *rids,
			 unsigned n)
{
	u16 own = ctx_did(u, rids[0]);
	for (unsigned i = 1; i < n; i++) {
		u16 did = ctx_did(u, rids[i]);
		if (did && did != dom->did && did != own) {
			pr_err("%02x:%02x.%x: its DMA arrives as %02x:%02x.%x, which domain %u already "
			       "uses (another device behind the same bridge): it cannot get a domain "
			       "of its own; give the devices behind that bridge to the same domain\n",
			       rids[0] >> 8, (rids[0] >> 3) & 0x1f, rids[0] & 7, rids[i] >> 8,
			       (rids[i] >> 3) & 0x1f, rids[i] & 7, did);
			return -EBUSY;
		}
	}
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
	u16 rids[VTD_MAX_ALIASES];
	unsigned n = aliases_of(seg, bus, devfn, rids);
	int err = check_aliases(u, dom, rids, n);
	if (err)
		return err;
	/* firmware-reserved regions the device needs keep their identity mapping */
	err = map_rmrrs(dom, seg, bus, devfn);
	if (err)
		return err;

	struct vtd_entry128 ce = vtd_context_entry(dom->pt.root, vtd_levels_to_aw(vtd.levels),
						   dom->did, VTD_CTX_TT_UNTRANSLATED);
	/* the device's own id and every id its DMA may carry on the way up */
	for (unsigned i = 0; i < n && !err; i++)
		err = vtd_context_set(&u->rt, rids[i] >> 8, rids[i] & 0xff, ce, NULL);
	if (err)
		return err;
	dom->attached = true;
	/* Attaching is rare: a global flush is always right, whether the entry was
	 * present before (stale context) or caching mode caches not-present ones. */
	if (u->enabled)
		err = vtd_flush_all(u);
	pr_info("%04x:%02x:%02x.%x: DMA translated by domain %u (%s)\n", seg, bus, devfn >> 3,
		devfn & 7, dom->did, u->name);
	for (unsigned i = 1; i < n; i++)
		pr_info("%04x:%02x:%02x.%x: its DMA may arrive as %02x:%02x.%x (a bridge to "
			"conventional PCI takes it over): that id is translated by domain %u too\n",
			seg, bus, devfn >> 3, devfn & 7, rids[i] >> 8, (rids[i] >> 3) & 0x1f,
			rids[i] & 7, dom->did);
	return err;
}

/* Is rid an alias of an attached device other than bus:devfn, in domain did? */
static bool alias_in_use(const struct vtd_unit *u, u16 seg, u16 rid, u16 self, u16 did)
{
	const struct pci *pci = vtd.devs;
	for (unsigned i = 0; pci && i < pci->count; i++) {
		const struct pci_dev *d = &pci->devs[i];
		u16 own = vtd_rid(d->bus, (u8)(d->dev << 3 | d->fn)), rids[VTD_MAX_ALIASES];
		if (d->seg != seg || own == self || ctx_did(u, own) != did)
			continue;
		unsigned n = aliases_of(seg, d->bus, (u8)(d->dev << 3 | d->fn), rids);
		for (unsigned k = 0; k < n; k++)
			if (rids[k] == rid)
				return true;
	}
	return false;
}

int vtd_detach_device(u16 seg, u8 bus, u8 devfn)
{
	struct dmar_drhd d;
	if (!vtd.active)
		return -ENODEV;
	if (dmar_find_unit(&vtd.dmar, seg, bus, devfn, &vtd.pci, &d))
		return -ENOENT;
	struct vtd_unit *u = &vtd.units[d.index];
	u16 rids[VTD_MAX_ALIASES];
	unsigned n = aliases_of(seg, bus, devfn, rids);
	u16 did = ctx_did(u, rids[0]);
	bool flush = vtd_context_clear(&u->rt, bus, devfn);
	/* an alias stays while another device behind the same bridge still uses it */
	for (unsigned i = 1; i < n; i++)
		if (did && ctx_did(u, rids[i]) == did && !alias_in_use(u, seg, rids[i], rids[0], did))
			flush |= vtd_context_clear(&u->rt, rids[i] >> 8, rids[i] & 0xff);
	if (flush && u->enabled)
		return vtd_flush_all(u);
	return 0;
}

/* RMRR devices keep working (USB legacy, graphics) until someone attaches them elsewhere,
 * each in a domain of its own: a domain shared by all of them would let each reach the others'
 * reserved regions, which firmware reserved for those devices only. */
static int rmrr_attach(void *ctx, u16 seg, u8 bus, u8 devfn)
{
	if (vtd.nr_rmrr_doms == vtd.max_rmrr_doms) {
		pr_err("%02x:%02x.%x: more devices with reserved regions than uhv keeps domains for "
		       "(%u): its DMA stays blocked\n", bus, devfn >> 3, devfn & 7,
		       vtd.max_rmrr_doms);
		return 0;
	}
	struct vtd_domain *dom = &vtd.rmrr_doms[vtd.nr_rmrr_doms];
	int err = vtd_domain_create(dom, 0);
	if (err)
		return err;
	if (vtd_attach_device(dom, seg, bus, devfn) == 0)
		vtd.nr_rmrr_doms++;
	else
		vtd_did_free(&vtd.dids, dom->did);	/* said why; its DMA stays blocked */
	return 0;
}

int vtd_attach_rmrr_devices(void)
{
	if (!vtd.dmar.nr_rmrr)
		return 0;
	paddr_t pa = kmem_alloc_for(KMEM_VTD, 1, PAGE_SIZE);
	if (!pa)
		return -ENOMEM;
	vtd.rmrr_doms = phys_to_virt(pa);
	vtd.max_rmrr_doms = PAGE_SIZE / sizeof(struct vtd_domain);
	return dmar_rmrr_devices(&vtd.dmar, &vtd.pci, rmrr_attach, NULL);
}
