/* Reserved memory regions (RMRR) per device: which devices the RMRRs name, and which regions
 * one device must reach. Each device gets exactly the regions whose device scope names it,
 * never another device's (drivers/vtd_domain.c gives every such device a domain of its own),
 * and no region that overlaps uhv's memory (the device is then refused as a whole). Pure:
 * the table, the bridges (struct dmar_pci_ops) and the memory map come in. */
#define LOG_MODULE "dmar"
#include <uhv/dmar.h>
#include <uhv/errno.h>

/* ---- the devices RMRRs name ------------------------------------------------------------------- */

struct devs_ctx {
	const struct dmar_table *t;
	const struct dmar_pci_ops *pci;
	int (*dev)(void *ctx, u16 seg, u8 bus, u8 devfn);
	void *ctx;
	unsigned index;			/* of the RMRR being visited */
	u16 seg;
	u8 bus, devfn;
	bool seen;
};

/* Does an RMRR before index name seg:bus:devfn (it was reported then)? */
static int named_before(void *ctx, const struct dmar_rmrr *r)
{
	struct devs_ctx *c = ctx;
	if (r->index >= c->index)
		return 1;
	if (r->segment == c->seg &&
	    dmar_scopes_match(r->segment, r->scopes, r->scopes_len, c->bus, c->devfn, c->pci))
		c->seen = true;
	return 0;
}

static int rmrr_devs(void *ctx, const struct dmar_rmrr *r)
{
	struct devs_ctx *c = ctx;
	struct dmar_scope s;
	size_t off = 0;
	while (dmar_scope_next(r->scopes, r->scopes_len, &off, &s)) {
		struct dmar_scope_target tg;
		if (s.type != DMAR_SCOPE_ENDPOINT || dmar_scope_resolve(r->segment, &s, c->pci, &tg))
			continue;
		struct devs_ctx before = { .pci = c->pci, .index = r->index, .seg = r->segment,
					   .bus = tg.bus, .devfn = tg.devfn };
		struct dmar_visitor v = { .rmrr = named_before, .ctx = &before };
		dmar_walk(c->t, &v);
		if (before.seen)
			continue;
		int err = c->dev(c->ctx, r->segment, tg.bus, tg.devfn);
		if (err)
			return err;
	}
	return 0;
}

int dmar_rmrr_devices(const struct dmar_table *t, const struct dmar_pci_ops *pci,
		      int (*dev)(void *ctx, u16 seg, u8 bus, u8 devfn), void *ctx)
{
	struct devs_ctx c = { .t = t, .pci = pci, .dev = dev, .ctx = ctx };
	struct dmar_visitor v = { .rmrr = rmrr_devs, .ctx = &c };
	return dmar_walk(t, &v);
}

/* ---- the regions one device needs ------------------------------------------------------------ */

struct regions_ctx {
	u16 seg;
	u8 bus, devfn;
	const struct dmar_pci_ops *pci;
	const struct memmap *map;
	int (*region)(void *ctx, const struct dmar_rmrr *r, paddr_t lo, paddr_t hi);
	void *ctx;
	bool check_only;
	struct dmar_rmrr bad;	/* a copy: the walk's structure does not outlive the visit */
	int err;
};

static int rmrr_regions(void *ctx, const struct dmar_rmrr *r)
{
	struct regions_ctx *c = ctx;
	paddr_t lo, hi;
	if (r->segment != c->seg ||
	    !dmar_scopes_match(r->segment, r->scopes, r->scopes_len, c->bus, c->devfn, c->pci))
		return 0;
	int err = dmar_rmrr_pages(r, c->map, &lo, &hi);
	if (c->check_only) {
		if (err && !c->err) {
			c->err = err;
			c->bad = *r;
		}
		return 0;
	}
	return c->region(c->ctx, r, lo, hi);
}

int dmar_rmrr_regions(const struct dmar_table *t, u16 seg, u8 bus, u8 devfn,
		      const struct dmar_pci_ops *pci, const struct memmap *map,
		      int (*region)(void *ctx, const struct dmar_rmrr *r, paddr_t lo, paddr_t hi),
		      void *ctx, struct dmar_rmrr *bad)
{
	struct regions_ctx c = { seg, bus, devfn, pci, map, region, ctx, true, { 0 }, 0 };
	struct dmar_visitor v = { .rmrr = rmrr_regions, .ctx = &c };
	/* all of them checked first: a refused device gets none of its regions */
	dmar_walk(t, &v);
	if (c.err) {
		if (bad)
			*bad = c.bad;
		return c.err;
	}
	c.check_only = false;
	return dmar_walk(t, &v);
}
