/* ACPI DMAR table parser (VT-d spec chapter 8). Pure: bytes in, structures
 * out, so the host tests it. All checks happen in dmar_parse(); dmar_walk()
 * and the scope iterator then trust the table. */
#define LOG_MODULE "dmar"
#include <uhv/dmar.h>
#include <uhv/memmap.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>

/* The table is byte-packed and may sit at any alignment. */
static u16 get16(const u8 *p) { return (u16)(p[0] | (p[1] << 8)); }
static u32 get32(const u8 *p) { return (u32)get16(p) | ((u32)get16(p + 2) << 16); }
static u64 get64(const u8 *p) { return (u64)get32(p) | ((u64)get32(p + 4) << 32); }

static const char *const struct_names[] = {
	[DMAR_TYPE_DRHD] = "DRHD",
	[DMAR_TYPE_RMRR] = "RMRR",
	[DMAR_TYPE_ATSR] = "ATSR",
	[DMAR_TYPE_RHSA] = "RHSA",
	[DMAR_TYPE_ANDD] = "ANDD",
	[DMAR_TYPE_SATC] = "SATC",
	[DMAR_TYPE_SIDP] = "SIDP",
};

static const char *struct_name(u16 type)
{
	return type < ARRAY_SIZE(struct_names) ? struct_names[type] : "unknown";
}

/* Size of the fixed part before the device scopes; 0 for types without scopes. */
static size_t scopes_offset(u16 type)
{
	switch (type) {
	case DMAR_TYPE_DRHD: return DMAR_DRHD_LEN;
	case DMAR_TYPE_RMRR: return DMAR_RMRR_LEN;
	case DMAR_TYPE_ATSR: return DMAR_ATSR_LEN;
	case DMAR_TYPE_SATC: return DMAR_SATC_LEN;
	case DMAR_TYPE_SIDP: return DMAR_SATC_LEN;	/* same fixed part */
	default: return 0;
	}
}

static size_t min_len(u16 type)
{
	switch (type) {
	case DMAR_TYPE_RHSA: return DMAR_RHSA_LEN;
	case DMAR_TYPE_ANDD: return DMAR_ANDD_LEN + 1;	/* at least the name's NUL */
	default: return scopes_offset(type) ? scopes_offset(type) : 4;
	}
}

const char *dmar_scope_type_name(u8 type)
{
	switch (type) {
	case DMAR_SCOPE_ENDPOINT: return "endpoint";
	case DMAR_SCOPE_BRIDGE: return "bridge";
	case DMAR_SCOPE_IOAPIC: return "ioapic";
	case DMAR_SCOPE_HPET: return "hpet";
	case DMAR_SCOPE_ACPI: return "acpi";
	default: return "unknown";
	}
}

/* off: offset of the structure in the table, for messages */
static int check_scopes(const u8 *p, size_t len, size_t table_off, const char *what)
{
	size_t off = 0;
	unsigned n = 0;

	while (off < len) {
		size_t left = len - off;
		if (left < 2) {
			pr_err("%s at table offset %zu: %zu stray byte(s) after device scope %u; the "
			       "DMAR table is corrupt (update the firmware or boot with iommu=off)\n",
			       what, table_off, left, n);
			return -EINVAL;
		}
		u8 slen = p[off + 1];
		if (slen < DMAR_SCOPE_HDR_LEN + 2 || (slen - DMAR_SCOPE_HDR_LEN) % 2 != 0) {
			pr_err("%s at table offset %zu: device scope %u has invalid length %u (needs "
			       "6 + 2*n, n >= 1); the DMAR table is corrupt\n",
			       what, table_off, n, slen);
			return -EINVAL;
		}
		if (slen > left) {
			pr_err("%s at table offset %zu: device scope %u (length %u) runs past the end "
			       "of the structure (%zu bytes left); the DMAR table is truncated\n",
			       what, table_off, n, slen, left);
			return -EINVAL;
		}
		u8 type = p[off];
		if (type == 0 || type > DMAR_SCOPE_ACPI)
			pr_warn("%s at table offset %zu: device scope %u has unknown type %u, "
				"ignored\n", what, table_off, n, type);
		off += slen;
		n++;
	}
	return 0;
}

static int check_structure(const u8 *p, u16 type, size_t len, size_t table_off)
{
	const char *name = struct_name(type);

	if (len < min_len(type)) {
		pr_err("%s at table offset %zu: length %zu is shorter than its fixed part (%zu); "
		       "the DMAR table is corrupt\n", name, table_off, len, min_len(type));
		return -EINVAL;
	}
	switch (type) {
	case DMAR_TYPE_DRHD: {
		paddr_t base = get64(p + 8);
		if (base == 0 || !IS_ALIGNED(base, PAGE_SIZE)) {
			pr_err("DRHD at table offset %zu: register base %#llx is not a page "
			       "address; the DMAR table is corrupt (boot with iommu=off)\n",
			       table_off, base);
			return -EINVAL;
		}
		break;
	}
	case DMAR_TYPE_RMRR: {
		paddr_t base = get64(p + 8), limit = get64(p + 16);
		if (limit < base) {
			pr_err("RMRR at table offset %zu: limit %#llx is below base %#llx; the DMAR "
			       "table is corrupt\n", table_off, limit,
			       base);
			return -EINVAL;
		}
		if (!IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(limit + 1, PAGE_SIZE))
			pr_warn("RMRR at table offset %zu: [%#llx, %#llx] is not page aligned "
				"(firmware bug); it will be widened to whole pages\n", table_off,
				base, limit);
		break;
	}
	default:
		break;
	}
	size_t so = scopes_offset(type);
	if (so)
		return check_scopes(p + so, len - so, table_off, name);
	return 0;
}

int dmar_parse(const void *table, size_t buf_len, struct dmar_table *t)
{
	const u8 *b = table;

	memset(t, 0, sizeof(*t));
	if (!b || buf_len < DMAR_HEADER_LEN) {
		pr_err("DMAR table too short (%zu bytes, header alone is %d)\n", buf_len,
		       DMAR_HEADER_LEN);
		return -EINVAL;
	}
	if (memcmp(b, DMAR_SIGNATURE, 4) != 0) {
		pr_err("table signature is '%c%c%c%c', not DMAR\n", b[0], b[1], b[2], b[3]);
		return -EINVAL;
	}
	u32 len = get32(b + DMAR_OFF_LENGTH);
	if (len < DMAR_HEADER_LEN || len > buf_len) {
		pr_err("DMAR header length %u does not fit the %zu bytes available; the table is "
		       "truncated or corrupt (boot with iommu=off)\n", len, buf_len);
		return -EINVAL;
	}
	u8 sum = 0;
	for (u32 i = 0; i < len; i++)
		sum += b[i];
	if (sum != 0)
		pr_warn("DMAR checksum is off by %#x (firmware bug); using the table anyway\n", sum);

	t->bytes = b;
	t->len = len;
	t->haw = b[DMAR_OFF_HAW] + 1u;
	t->flags = b[DMAR_OFF_FLAGS];

	size_t off = DMAR_HEADER_LEN;
	while (off < len) {
		if (len - off < 4) {
			pr_err("DMAR: %zu stray byte(s) at offset %zu after the last structure; the "
			       "table is corrupt\n", len - off, off);
			return -EINVAL;
		}
		u16 type = get16(b + off);
		u16 slen = get16(b + off + 2);
		if (slen < 4) {
			pr_err("DMAR: %s structure at offset %zu has length %u; the table is corrupt "
			       "(boot with iommu=off)\n", struct_name(type), off, slen);
			return -EINVAL;
		}
		if (slen > len - off) {
			pr_err("DMAR: %s structure at offset %zu (length %u) runs past the end of the "
			       "table (%u bytes); the table is truncated\n", struct_name(type), off,
			       slen, len);
			return -EINVAL;
		}
		int err = check_structure(b + off, type, slen, off);
		if (err)
			return err;
		switch (type) {
		case DMAR_TYPE_DRHD: t->nr_drhd++; break;
		case DMAR_TYPE_RMRR: t->nr_rmrr++; break;
		case DMAR_TYPE_ATSR: t->nr_atsr++; break;
		default: t->nr_other++; break;
		}
		off += slen;
	}
	return 0;
}

bool dmar_scope_next(const u8 *scopes, size_t len, size_t *off, struct dmar_scope *s)
{
	while (*off + DMAR_SCOPE_HDR_LEN + 2 <= len) {
		const u8 *p = scopes + *off;
		u8 slen = p[1];
		if (slen < DMAR_SCOPE_HDR_LEN + 2 || slen > len - *off)
			return false;	/* not reached for a parsed table */
		*off += slen;
		if (p[0] == 0 || p[0] > DMAR_SCOPE_ACPI)
			continue;
		s->type = p[0];
		s->flags = p[2];
		s->enum_id = p[4];
		s->start_bus = p[5];
		s->path_len = (slen - DMAR_SCOPE_HDR_LEN) / 2;
		s->path = p + DMAR_SCOPE_HDR_LEN;
		return true;
	}
	return false;
}

int dmar_walk(const struct dmar_table *t, const struct dmar_visitor *v)
{
	unsigned ndrhd = 0, nrmrr = 0;
	size_t off = DMAR_HEADER_LEN;

	while (off + 4 <= t->len) {
		const u8 *p = t->bytes + off;
		u16 type = get16(p), slen = get16(p + 2);
		size_t so = scopes_offset(type);
		int ret = 0;

		switch (type) {
		case DMAR_TYPE_DRHD: {
			struct dmar_drhd d = {
				.index = ndrhd++, .flags = p[4], .size = p[5] & 0xf,
				.segment = get16(p + 6), .base = get64(p + 8),
				.scopes = p + so, .scopes_len = slen - so,
			};
			if (v->drhd)
				ret = v->drhd(v->ctx, &d);
			break;
		}
		case DMAR_TYPE_RMRR: {
			struct dmar_rmrr r = {
				.index = nrmrr++, .segment = get16(p + 6), .base = get64(p + 8),
				.limit = get64(p + 16), .scopes = p + so, .scopes_len = slen - so,
			};
			if (v->rmrr)
				ret = v->rmrr(v->ctx, &r);
			break;
		}
		case DMAR_TYPE_ATSR: {
			struct dmar_atsr a = {
				.flags = p[4], .segment = get16(p + 6),
				.scopes = p + so, .scopes_len = slen - so,
			};
			if (v->atsr)
				ret = v->atsr(v->ctx, &a);
			break;
		}
		default:
			/* RHSA (NUMA affinity), ANDD (ACPI device names), SATC and SIDP
			 * (SoC devices with their own caches) and unknown future types do
			 * not change how DMA is remapped here. */
			break;
		}
		if (ret)
			return ret;
		off += slen;
	}
	return 0;
}

int dmar_scope_resolve(u16 segment, const struct dmar_scope *s, const struct dmar_pci_ops *pci,
		       struct dmar_scope_target *out)
{
	u8 bus = s->start_bus;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i + 1 < s->path_len; i++) {
		u8 sec, sub;
		if (!pci || !pci->bridge_buses)
			return -ENODEV;
		int err = pci->bridge_buses(pci->ctx, segment, bus, dmar_scope_dev(s, i),
					    dmar_scope_fn(s, i), &sec, &sub);
		if (err)
			return err;
		bus = sec;
	}
	u8 dev = dmar_scope_dev(s, s->path_len - 1), fn = dmar_scope_fn(s, s->path_len - 1);
	if (dev > 31 || fn > 7)
		return -EINVAL;
	out->bus = bus;
	out->devfn = (u8)(dev << 3 | fn);
	if (s->type == DMAR_SCOPE_BRIDGE && pci && pci->bridge_buses) {
		int err = pci->bridge_buses(pci->ctx, segment, bus, dev, fn, &out->sec_bus,
					    &out->sub_bus);
		/* a bridge that is absent or unconfigured has no devices below it */
		out->has_range = err == 0 && out->sec_bus != 0 && out->sub_bus >= out->sec_bus;
	}
	return 0;
}

bool dmar_scopes_match(u16 segment, const u8 *scopes, size_t len, u8 bus, u8 devfn,
		       const struct dmar_pci_ops *pci)
{
	struct dmar_scope s;
	size_t off = 0;

	while (dmar_scope_next(scopes, len, &off, &s)) {
		struct dmar_scope_target tg;
		if (s.type != DMAR_SCOPE_ENDPOINT && s.type != DMAR_SCOPE_BRIDGE)
			continue;
		if (dmar_scope_resolve(segment, &s, pci, &tg))
			continue;
		if (tg.bus == bus && tg.devfn == devfn)
			return true;
		if (tg.has_range && bus >= tg.sec_bus && bus <= tg.sub_bus)
			return true;
	}
	return false;
}

struct find_ctx {
	u16 segment;
	u8 bus, devfn;
	const struct dmar_pci_ops *pci;
	struct dmar_drhd *out;
	bool have_all;
	struct dmar_drhd all;
};

static int find_visit(void *ctx, const struct dmar_drhd *d)
{
	struct find_ctx *f = ctx;

	if (d->segment != f->segment)
		return 0;
	if (d->flags & DMAR_DRHD_INCLUDE_PCI_ALL) {
		if (!f->have_all) {
			f->all = *d;
			f->have_all = true;
		}
		return 0;
	}
	if (dmar_scopes_match(d->segment, d->scopes, d->scopes_len, f->bus, f->devfn, f->pci)) {
		*f->out = *d;
		return 1;
	}
	return 0;
}

/* ---- the unit naming an IOAPIC ---- */

struct ioapic_ctx {
	u8 id;
	const struct dmar_pci_ops *pci;
	struct dmar_drhd *out;
	u16 *sid;
};

static int ioapic_visit(void *ctx, const struct dmar_drhd *d)
{
	struct ioapic_ctx *c = ctx;
	struct dmar_scope s;
	struct dmar_scope_target tg;
	size_t off = 0;

	while (dmar_scope_next(d->scopes, d->scopes_len, &off, &s)) {
		if (s.type != DMAR_SCOPE_IOAPIC || s.enum_id != c->id ||
		    dmar_scope_resolve(d->segment, &s, c->pci, &tg))
			continue;
		*c->out = *d;
		*c->sid = (u16)(tg.bus << 8 | tg.devfn);
		return 1;
	}
	return 0;
}

int dmar_find_ioapic(const struct dmar_table *t, u8 ioapic_id, const struct dmar_pci_ops *pci,
		     struct dmar_drhd *out, u16 *sid)
{
	struct ioapic_ctx c = { ioapic_id, pci, out, sid };
	struct dmar_visitor v = { .drhd = ioapic_visit, .ctx = &c };

	return dmar_walk(t, &v) == 1 ? 0 : -ENOENT;
}

int dmar_find_unit(const struct dmar_table *t, u16 segment, u8 bus, u8 devfn,
		   const struct dmar_pci_ops *pci, struct dmar_drhd *out)
{
	struct find_ctx f = { .segment = segment, .bus = bus, .devfn = devfn, .pci = pci,
			      .out = out };
	struct dmar_visitor v = { .drhd = find_visit, .ctx = &f };

	if (dmar_walk(t, &v) == 1)
		return 0;
	if (f.have_all) {
		*out = f.all;
		return 0;
	}
	return -ENOENT;
}

static void print_scopes(const u8 *scopes, size_t len)
{
	struct dmar_scope s;
	size_t off = 0;

	while (dmar_scope_next(scopes, len, &off, &s)) {
		char path[96];
		size_t n = 0;
		for (unsigned i = 0; i < s.path_len && n + 8 < sizeof(path); i++)
			n += ksnprintf(path + n, sizeof(path) - n, "%s%02x.%x", i ? "/" : "",
				       dmar_scope_dev(&s, i), dmar_scope_fn(&s, i));
		if (s.type == DMAR_SCOPE_IOAPIC || s.type == DMAR_SCOPE_HPET)
			pr_info("    %-8s id %u  source %02x:%s\n", dmar_scope_type_name(s.type),
				s.enum_id, s.start_bus, path);
		else
			pr_info("    %-8s %02x:%s\n", dmar_scope_type_name(s.type), s.start_bus, path);
	}
}

static int print_drhd(void *ctx, const struct dmar_drhd *d)
{
	pr_info("  unit %u: registers %#llx segment %u%s\n", d->index,
		d->base, d->segment,
		d->flags & DMAR_DRHD_INCLUDE_PCI_ALL ? " INCLUDE_PCI_ALL" : "");
	print_scopes(d->scopes, d->scopes_len);
	return 0;
}

static int print_rmrr(void *ctx, const struct dmar_rmrr *r)
{
	pr_info("  reserved region %u: [%#llx, %#llx] segment %u, for:\n", r->index,
		r->base, r->limit, r->segment);
	print_scopes(r->scopes, r->scopes_len);
	return 0;
}

static int print_atsr(void *ctx, const struct dmar_atsr *a)
{
	pr_info("  ATS root ports, segment %u%s\n", a->segment,
		a->flags & DMAR_ATSR_ALL_PORTS ? ": all" : ":");
	print_scopes(a->scopes, a->scopes_len);
	return 0;
}

void dmar_print(const struct dmar_table *t)
{
	struct dmar_visitor v = { .drhd = print_drhd, .rmrr = print_rmrr, .atsr = print_atsr };

	pr_info("DMAR: %u-bit DMA addresses, %u unit(s), %u reserved region(s)%s%s\n", t->haw,
		t->nr_drhd, t->nr_rmrr, t->flags & DMAR_FLAG_INTR_REMAP ? ", interrupt remapping" : "",
		t->flags & DMAR_FLAG_X2APIC_OPT_OUT ? ", x2APIC opt-out" : "");
	dmar_walk(t, &v);
}

int dmar_rmrr_pages(const struct dmar_rmrr *r, const struct memmap *map, paddr_t *lo, paddr_t *hi)
{
	if (r->limit < r->base || r->limit == ~(paddr_t)0)
		return -EINVAL;
	*lo = ALIGN_DOWN(r->base, PAGE_SIZE);
	*hi = ALIGN_UP(r->limit + 1, PAGE_SIZE);
	for (size_t i = 0; i < map->n; i++) {
		const struct memmap_range *m = &map->r[i];

		if ((m->type == MEMMAP_HV_IMAGE || m->type == MEMMAP_HV_POOL) &&
		    *lo < m->end && m->base < *hi)
			return -EPERM;
	}
	return 0;
}
