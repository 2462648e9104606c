/* ACPI table discovery and the MADT/MCFG/HPET/FADT parsers. Pure: physical memory is read only
 * through the caller's map callback (host tests serve captured tables from files). */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

static bool sig_eq(const char *a, const char *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Copy a fixed-width firmware string for printing: NUL-terminated, non-printables as '?'. */
static void fw_str(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		dst[i] = c == 0 ? ' ' : (c < 0x20 || c > 0x7e) ? '?' : c;
	}
	dst[n] = 0;
}

/* Map a table: header first (to learn the length), then the whole table. NULL if unusable. */
static const struct acpi_sdt_header *map_table(const struct acpi *a, paddr_t pa, const char *what)
{
	const struct acpi_sdt_header *h = a->map(a->ctx, pa, ACPI_SDT_HEADER_SIZE);
	char sig[5];

	if (!h) {
		pr_err("%s at %#llx cannot be mapped; ignoring it\n", what, pa);
		return NULL;
	}
	fw_str(sig, h->signature, 4);
	if (h->length < ACPI_SDT_HEADER_SIZE || h->length > ACPI_TABLE_MAX_LEN) {
		pr_err("table '%s' (%s) at %#llx has an absurd length %u; ignoring it "
		       "(firmware bug: check for a firmware update)\n",
		       sig, what, pa, h->length);
		return NULL;
	}
	u32 len = h->length;
	h = a->map(a->ctx, pa, len);
	if (!h)
		pr_err("table '%s' (%s) at %#llx, %u bytes, cannot be mapped (truncated?); "
		       "ignoring it\n", sig, what, pa, len);
	return h;
}

static bool checksum_ok(const struct acpi_sdt_header *h, paddr_t pa)
{
	u8 sum = acpi_checksum(h, h->length);
	char sig[5];

	if (sum == 0)
		return true;
	fw_str(sig, h->signature, 4);
	pr_warn("table %s at %#llx has a bad checksum (sum %#04x); using it anyway "
		"(firmware bug: check for a firmware update)\n",
		sig, pa, sum);
	return false;
}

static void add_table(struct acpi *a, paddr_t pa, const char *what)
{
	for (unsigned i = 0; i < a->count; i++)
		if (a->tables[i].pa == pa)
			return;	/* listed twice (e.g. FADT.DSDT and X_DSDT) */

	const struct acpi_sdt_header *h = map_table(a, pa, what);
	if (!h)
		return;
	if (a->count == ACPI_MAX_TABLES) {
		char sig[5];
		fw_str(sig, h->signature, 4);
		pr_warn("more than %d ACPI tables: ignoring %s at %#llx (raise ACPI_MAX_TABLES)\n",
			ACPI_MAX_TABLES, sig, pa);
		a->dropped++;
		return;
	}
	struct acpi_table *t = &a->tables[a->count++];
	t->hdr = h;
	t->pa = pa;
	t->checksum_ok = checksum_ok(h, pa);
}

/* The DSDT is not listed in the root table; the FADT points to it. */
static void add_dsdt(struct acpi *a)
{
	const struct acpi_sdt_header *h = acpi_find_table(a, ACPI_SIG_FADT, 0);
	if (!h)
		return;
	const struct acpi_fadt *f = (const void *)h;
	paddr_t dsdt = f->dsdt;

	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_dsdt) + sizeof(u64) && f->x_dsdt)
		dsdt = f->x_dsdt;
	if (dsdt)
		add_table(a, dsdt, "DSDT from FADT");
}

static int validate_rsdp(struct acpi *a, const struct acpi_rsdp *r, size_t len, bool *v2_ok)
{
	*v2_ok = false;
	if (!r || len < ACPI_RSDP_V1_SIZE) {
		pr_err("no RSDP (%zu bytes given): ACPI tables unavailable; boot with a loader "
		       "that passes multiboot2 tag 14/15\n", r ? len : 0);
		return -EINVAL;
	}
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) != 0) {
		pr_err("RSDP signature is not 'RSD PTR ': the boot loader passed a bad RSDP "
		       "copy\n");
		return -EINVAL;
	}
	if (acpi_checksum(r, ACPI_RSDP_V1_SIZE) != 0) {
		pr_err("RSDP checksum is bad (sum %#04x): refusing to trust its table addresses\n",
		       acpi_checksum(r, ACPI_RSDP_V1_SIZE));
		return -EINVAL;
	}
	if (r->revision < 2)
		return 0;
	if (len < ACPI_RSDP_V2_SIZE || r->length < ACPI_RSDP_V2_SIZE || r->length > len) {
		pr_warn("RSDP revision %u but length %u (%zu bytes given): ignoring the XSDT, "
			"using the RSDT\n", r->revision,
			len >= ACPI_RSDP_V2_SIZE ? r->length : 0, len);
		return 0;
	}
	if (acpi_checksum(r, r->length) != 0) {
		pr_warn("RSDP extended checksum is bad: ignoring the XSDT, using the RSDT\n");
		return 0;
	}
	*v2_ok = true;
	return 0;
}

static int walk_root(struct acpi *a, paddr_t pa, bool xsdt)
{
	const char *name = xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT;
	const struct acpi_sdt_header *h = map_table(a, pa, name);

	if (!h)
		return -EINVAL;
	if (!sig_eq(h->signature, name)) {
		char sig[5];
		fw_str(sig, h->signature, 4);
		pr_err("%s at %#llx has signature '%s'\n", name, pa, sig);
		return -EINVAL;
	}
	size_t esize = xsdt ? 8 : 4;
	size_t body = h->length - ACPI_SDT_HEADER_SIZE;
	if (body % esize)
		pr_warn("%s length %u is not %zu + a multiple of %zu: table truncated? "
			"using the %zu whole entries\n", name, h->length,
			(size_t)ACPI_SDT_HEADER_SIZE, esize, body / esize);
	a->xsdt = xsdt;
	a->root_pa = pa;
	/* The root table is listed first so that acpi_print_tables shows it. */
	a->tables[0].hdr = h;
	a->tables[0].pa = pa;
	a->tables[0].checksum_ok = checksum_ok(h, pa);
	a->count = 1;

	const u8 *e = (const u8 *)h + ACPI_SDT_HEADER_SIZE;
	for (size_t i = 0; i < body / esize; i++) {
		u64 tpa = 0;
		memcpy(&tpa, e + i * esize, esize);	/* unaligned, little-endian */
		if (!tpa) {
			pr_warn("%s entry %zu is a null pointer; skipping it\n", name, i);
			continue;
		}
		add_table(a, tpa, name);
	}
	return 0;
}

int acpi_init(struct acpi *a, const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx)
{
	const struct acpi_rsdp *r = rsdp;
	bool v2_ok;
	int err;

	memset(a, 0, sizeof(*a));
	a->map = map;
	a->ctx = ctx;
	err = validate_rsdp(a, r, rsdp_len, &v2_ok);
	if (err)
		return err;
	a->rsdp_revision = r->revision;
	fw_str(a->oem_id, r->oem_id, 6);

	err = -EINVAL;
	if (v2_ok && r->xsdt_address) {
		err = walk_root(a, r->xsdt_address, true);
		if (err && r->rsdt_address)
			pr_warn("XSDT unusable; falling back to the RSDT at %#x\n",
				r->rsdt_address);
	}
	if (err && r->rsdt_address)
		err = walk_root(a, r->rsdt_address, false);
	if (err) {
		pr_err("no usable RSDT/XSDT: ACPI tables unavailable (no MADT: single CPU, no "
		       "IOAPIC)\n");
		a->count = 0;
		return err;
	}
	add_dsdt(a);
	return (int)a->count;
}

paddr_t acpi_scan_rsdp(acpi_map_fn map, void *ctx, paddr_t lo, paddr_t hi)
{
	lo = ALIGN_UP(lo, 16);
	if (hi <= lo)
		return 0;
	const u8 *p = map(ctx, lo, hi - lo);
	if (!p)
		return 0;
	for (paddr_t off = 0; off + ACPI_RSDP_V1_SIZE <= hi - lo; off += 16)
		if (memcmp(p + off, ACPI_RSDP_SIG, 8) == 0 &&
		    acpi_checksum(p + off, ACPI_RSDP_V1_SIZE) == 0)
			return lo + off;
	return 0;
}

const struct acpi_sdt_header *acpi_find_table(const struct acpi *a, const char sig[4],
					      unsigned index)
{
	for (unsigned i = 0; i < a->count; i++)
		if (sig_eq(a->tables[i].hdr->signature, sig) && index-- == 0)
			return a->tables[i].hdr;
	return NULL;
}

void acpi_print_tables(const struct acpi *a)
{
	pr_info("RSDP rev %u OEM '%s', %s at %#llx, %u tables\n", a->rsdp_revision, a->oem_id,
		a->xsdt ? "XSDT" : "RSDT", a->root_pa, a->count);
	for (unsigned i = 0; i < a->count; i++) {
		const struct acpi_table *t = &a->tables[i];
		char sig[5], oem[7], oem_table[9];
		fw_str(sig, t->hdr->signature, 4);
		fw_str(oem, t->hdr->oem_id, 6);
		fw_str(oem_table, t->hdr->oem_table_id, 8);
		pr_info("  %s %#010llx len %6u rev %u OEM '%s' '%s' checksum %s\n", sig,
			t->pa, t->hdr->length, t->hdr->revision, oem, oem_table,
			t->checksum_ok ? "ok" : "BAD");
	}
	if (a->dropped)
		pr_warn("%u more tables ignored (ACPI_MAX_TABLES %d)\n", a->dropped,
			ACPI_MAX_TABLES);
}

/* --- MADT ------------------------------------------------------------------------------------ */

static bool madt_room(struct acpi_madt_info *m, unsigned n, unsigned max, const char *what)
{
	if (n < max)
		return true;
	if (m->overflow++ == 0)
		pr_warn("MADT: more than %u %s; ignoring the rest (raise the limit in acpi.h)\n",
			max, what);
	return false;
}

static void madt_add_cpu(struct acpi_madt_info *m, u32 apic_id, u32 uid, u32 flags, bool x2)
{
	if (!(flags & (ACPI_MADT_CPU_ENABLED | ACPI_MADT_CPU_ONLINE_CAPABLE)))
		return;	/* neither enabled nor ever can be: not a CPU */
	if (!madt_room(m, m->ncpus, ACPI_MAX_CPUS, "CPUs"))
		return;
	struct acpi_cpu *c = &m->cpus[m->ncpus++];
	c->apic_id = apic_id;
	c->acpi_uid = uid;
	c->enabled = flags & ACPI_MADT_CPU_ENABLED;
	c->online_capable = !c->enabled && (flags & ACPI_MADT_CPU_ONLINE_CAPABLE);
	c->x2apic = x2;
}

/* Minimum entry sizes by type, 0 for types we skip. */
static u8 madt_min_len(u8 type)
{
	switch (type) {
	case ACPI_MADT_LAPIC: return sizeof(struct acpi_madt_lapic);
	case ACPI_MADT_IOAPIC: return sizeof(struct acpi_madt_ioapic);
	case ACPI_MADT_ISO: return sizeof(struct acpi_madt_iso);
	case ACPI_MADT_NMI_SOURCE: return sizeof(struct acpi_madt_nmi_source);
	case ACPI_MADT_LAPIC_NMI: return sizeof(struct acpi_madt_lapic_nmi);
	case ACPI_MADT_LAPIC_ADDR_OVERRIDE: return sizeof(struct acpi_madt_lapic_addr_override);
	case ACPI_MADT_X2APIC: return sizeof(struct acpi_madt_x2apic);
	case ACPI_MADT_X2APIC_NMI: return sizeof(struct acpi_madt_x2apic_nmi);
	default: return 0;
	}
}

int acpi_madt_parse(const struct acpi_sdt_header *h, struct acpi_madt_info *m)
{
	memset(m, 0, sizeof(*m));
	if (!h) {
		pr_warn("no MADT (APIC table): assuming one CPU and no IOAPIC\n");
		return -ENOENT;
	}
	if (!sig_eq(h->signature, ACPI_SIG_MADT) || h->length < sizeof(struct acpi_madt)) {
		pr_err("MADT: not an APIC table or too short (%u bytes)\n", h->length);
		return -EINVAL;
	}
	const struct acpi_madt *madt = (const void *)h;
	m->lapic_address = madt->lapic_address;
	m->flags = madt->flags;

	const u8 *p = (const u8 *)h + sizeof(*madt);
	const u8 *end = (const u8 *)h + h->length;
	while (p + sizeof(struct acpi_madt_entry) <= end) {
		const struct acpi_madt_entry *e = (const void *)p;
		if (e->length < 2 || p + e->length > end) {
			pr_warn("MADT: malformed entry (type %u, length %u) at offset %zu; "
				"ignoring the rest of the table\n", e->type, e->length,
				(size_t)(p - (const u8 *)h));
			break;
		}
		p += e->length;
		u8 min = madt_min_len(e->type);
		if (min == 0)
			continue;	/* GIC, SAPIC, wakeup, ...: not for x86 uhv */
		if (e->length < min) {
			pr_warn("MADT: entry type %u is %u bytes, expected %u; skipping it\n",
				e->type, e->length, min);
			continue;
		}
		switch (e->type) {
		case ACPI_MADT_LAPIC: {
			const struct acpi_madt_lapic *l = (const void *)e;
			madt_add_cpu(m, l->apic_id, l->acpi_processor_uid, l->flags, false);
			break;
		}
		case ACPI_MADT_X2APIC: {
			const struct acpi_madt_x2apic *x = (const void *)e;
			madt_add_cpu(m, x->x2apic_id, x->acpi_processor_uid, x->flags, true);
			break;
		}
		case ACPI_MADT_IOAPIC: {
			const struct acpi_madt_ioapic *io = (const void *)e;
			if (!madt_room(m, m->nioapics, ACPI_MAX_IOAPICS, "IOAPICs"))
				break;
			struct acpi_ioapic *o = &m->ioapics[m->nioapics++];
			o->id = io->ioapic_id;
			o->address = io->address;
			o->gsi_base = io->gsi_base;
			o->gsi_count = 0;
			break;
		}
		case ACPI_MADT_ISO: {
			const struct acpi_madt_iso *iso = (const void *)e;
			if (!madt_room(m, m->nisos, ACPI_MAX_ISOS, "interrupt overrides"))
				break;
			struct acpi_iso *o = &m->isos[m->nisos++];
			o->bus = iso->bus;
			o->source = iso->source;
			o->gsi = iso->gsi;
			o->flags = iso->flags;
			break;
		}
		case ACPI_MADT_NMI_SOURCE: {
			const struct acpi_madt_nmi_source *n = (const void *)e;
			if (!madt_room(m, m->nnmis, ACPI_MAX_NMIS, "NMI entries"))
				break;
			m->nmis[m->nnmis++] = (struct acpi_nmi){ .lapic = false, .gsi = n->gsi,
								 .flags = n->flags };
			break;
		}
		case ACPI_MADT_LAPIC_NMI: {
			const struct acpi_madt_lapic_nmi *n = (const void *)e;
			if (!madt_room(m, m->nnmis, ACPI_MAX_NMIS, "NMI entries"))
				break;
			u32 uid = n->acpi_processor_uid;
			if (uid == 0xff)
				uid = 0xffffffffu;	/* "all", as in the x2APIC entry */
			m->nmis[m->nnmis++] = (struct acpi_nmi){
				.lapic = true, .acpi_uid = uid, .lint = n->lint,
				.flags = n->flags };
			break;
		}
		case ACPI_MADT_X2APIC_NMI: {
			const struct acpi_madt_x2apic_nmi *n = (const void *)e;
			if (!madt_room(m, m->nnmis, ACPI_MAX_NMIS, "NMI entries"))
				break;
			m->nmis[m->nnmis++] = (struct acpi_nmi){
				.lapic = true, .acpi_uid = n->acpi_processor_uid, .lint = n->lint,
				.flags = n->flags };
			break;
		}
		case ACPI_MADT_LAPIC_ADDR_OVERRIDE: {
			const struct acpi_madt_lapic_addr_override *o = (const void *)e;
			m->lapic_address = o->address;
			break;
		}
		}
	}

	unsigned enabled = 0;
	for (unsigned i = 0; i < m->ncpus; i++)
		enabled += m->cpus[i].enabled;
	if (enabled == 0)
		pr_warn("MADT lists no enabled CPU; the boot CPU is still usable\n");
	return (int)enabled;
}

static const char *plural(unsigned n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void acpi_madt_print(const struct acpi_madt_info *m)
{
	char buf[256];
	int n = 0;
	unsigned enabled = 0, capable = 0;

	for (unsigned i = 0; i < m->ncpus; i++) {
		enabled += m->cpus[i].enabled;
		capable += m->cpus[i].online_capable;
	}
	n += ksnprintf(buf + n, sizeof(buf) - n, "MADT: %u %s (APIC %s ", enabled,
		       plural(enabled, "CPU", "CPUs"), plural(enabled, "id", "ids"));
	unsigned shown = 0;
	for (unsigned i = 0; i < m->ncpus && n < (int)sizeof(buf); i++) {
		if (!m->cpus[i].enabled)
			continue;
		if (shown == 8) {
			n += ksnprintf(buf + n, sizeof(buf) - n, ",...");
			break;
		}
		n += ksnprintf(buf + n, sizeof(buf) - n, "%s%u", shown ? "," : "",
			       m->cpus[i].apic_id);
		shown++;
	}
	if (n < (int)sizeof(buf))
		n += ksnprintf(buf + n, sizeof(buf) - n, ")");
	if (capable && n < (int)sizeof(buf))
		n += ksnprintf(buf + n, sizeof(buf) - n, " + %u online-capable", capable);
	for (unsigned i = 0; i < m->nioapics && n < (int)sizeof(buf); i++) {
		const struct acpi_ioapic *io = &m->ioapics[i];
		if (io->gsi_count)
			n += ksnprintf(buf + n, sizeof(buf) - n, ", IOAPIC id %u @ %#llx GSI %u-%u",
				       io->id, io->address, io->gsi_base,
				       io->gsi_base + io->gsi_count - 1);
		else
			n += ksnprintf(buf + n, sizeof(buf) - n,
				       ", IOAPIC id %u @ %#llx GSI base %u", io->id,
				       io->address, io->gsi_base);
	}
	if (n < (int)sizeof(buf))
		n += ksnprintf(buf + n, sizeof(buf) - n, ", %u %s", m->nisos,
			       plural(m->nisos, "override", "overrides"));
	if (m->nnmis && n < (int)sizeof(buf))
		n += ksnprintf(buf + n, sizeof(buf) - n, ", %u NMI %s", m->nnmis,
			       plural(m->nnmis, "entry", "entries"));
	pr_info("%s\n", buf);
	for (unsigned i = 0; i < m->nisos; i++) {
		const struct acpi_iso *o = &m->isos[i];
		u16 pol = o->flags & ACPI_MPS_POLARITY_MASK;
		u16 trig = o->flags & ACPI_MPS_TRIGGER_MASK;
		pr_debug("  override: ISA IRQ %u -> GSI %u%s%s\n", o->source, o->gsi,
			 pol == ACPI_MPS_POLARITY_LOW ? " active-low" :
			 pol == ACPI_MPS_POLARITY_HIGH ? " active-high" : "",
			 trig == ACPI_MPS_TRIGGER_LEVEL ? " level" :
			 trig == ACPI_MPS_TRIGGER_EDGE ? " edge" : "");
	}
	if (m->overflow)
		pr_warn("MADT: %u entries did not fit and were ignored\n", m->overflow);
}

u32 acpi_isa_irq_to_gsi(const struct acpi_madt_info *m, u8 irq, u16 *flags)
{
	for (unsigned i = 0; i < m->nisos; i++) {
		if (m->isos[i].bus == 0 && m->isos[i].source == irq) {
			if (flags)
				*flags = m->isos[i].flags;
			return m->isos[i].gsi;
		}
	}
	if (flags)
		*flags = 0;
	return irq;
}

/* --- MCFG ------------------------------------------------------------------------------------ */

int acpi_mcfg_parse(const struct acpi_sdt_header *h, struct acpi_mcfg_info *m)
{
	memset(m, 0, sizeof(*m));
	if (!h) {
		pr_info("no MCFG: PCI config space through ports 0xcf8/0xcfc (256 bytes per "
			"function)\n");
		return -ENOENT;
	}
	if (!sig_eq(h->signature, ACPI_SIG_MCFG) || h->length < sizeof(struct acpi_mcfg)) {
		pr_err("MCFG: not an MCFG table or too short (%u bytes)\n", h->length);
		return -EINVAL;
	}
	size_t body = h->length - sizeof(struct acpi_mcfg);
	const struct acpi_mcfg_entry *e = (const void *)((const u8 *)h + sizeof(struct acpi_mcfg));
	if (body % sizeof(*e))
		pr_warn("MCFG: length %u leaves a partial entry; ignoring it\n", h->length);
	for (size_t i = 0; i < body / sizeof(*e); i++) {
		if (e[i].end_bus < e[i].start_bus || e[i].base == 0) {
			pr_warn("MCFG: entry %zu (base %#llx bus %u-%u) is invalid; skipping it\n",
				i, e[i].base, e[i].start_bus, e[i].end_bus);
			continue;
		}
		if (m->count == ACPI_MAX_ECAM) {
			m->overflow++;
			pr_warn("MCFG: more than %d ECAM windows; ignoring entry %zu\n",
				ACPI_MAX_ECAM, i);
			continue;
		}
		struct acpi_ecam *w = &m->ecam[m->count++];
		w->base = e[i].base;
		w->segment = e[i].segment;
		w->bus_start = e[i].start_bus;
		w->bus_end = e[i].end_bus;
	}
	return (int)m->count;
}

void acpi_mcfg_print(const struct acpi_mcfg_info *m)
{
	if (m->count == 0) {
		pr_info("MCFG: none (legacy PCI config access)\n");
		return;
	}
	for (unsigned i = 0; i < m->count; i++)
		pr_info("MCFG: ECAM %#llx seg %u bus %u-%u\n",
			m->ecam[i].base, m->ecam[i].segment,
			m->ecam[i].bus_start, m->ecam[i].bus_end);
}

/* --- HPET, FADT ------------------------------------------------------------------------------ */

int acpi_hpet_parse(const struct acpi_sdt_header *h, struct acpi_hpet_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENOENT;
	if (!sig_eq(h->signature, ACPI_SIG_HPET) || h->length < sizeof(struct acpi_hpet)) {
		pr_err("HPET: not an HPET table or too short (%u bytes)\n", h->length);
		return -EINVAL;
	}
	const struct acpi_hpet *t = (const void *)h;
	if (t->address.space_id != ACPI_GAS_MEMORY || t->address.address == 0) {
		pr_warn("HPET table gives no memory address (space %u); not using the HPET\n",
			t->address.space_id);
		return -EINVAL;
	}
	out->address = t->address.address;
	out->number = t->hpet_number;
	out->min_tick = t->min_clock_tick;
	return 0;
}

int acpi_fadt_parse(const struct acpi_sdt_header *h, struct acpi_fadt_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENOENT;
	if (!sig_eq(h->signature, ACPI_SIG_FADT) || h->length < ACPI_FADT_V1_SIZE) {
		pr_err("FADT: not a FACP table or too short (%u bytes)\n", h->length);
		return -EINVAL;
	}
	const struct acpi_fadt *f = (const void *)h;
	out->revision = h->revision;
	out->sci_irq = f->sci_int;
	out->pm_timer_port = f->pm_tmr_len == 4 ? (u16)f->pm_tmr_blk : 0;
	out->flags = f->flags;
	out->pm_timer_32bit = f->flags & ACPI_FADT_F_TMR_VAL_EXT;
	out->dsdt = f->dsdt;
	/* IAPC_BOOT_ARCH is reserved (0) in ACPI 1.0 tables. */
	if (h->revision >= 2)
		out->boot_arch = f->iapc_boot_arch;
	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_firmware_ctrl)) {
		out->reset_supported = f->flags & ACPI_FADT_F_RESET_REG_SUP;
		out->reset_reg = f->reset_reg;
		out->reset_value = f->reset_value;
	}
	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_pm1a_evt_blk) && f->x_dsdt)
		out->dsdt = f->x_dsdt;
	/* PM1x_CNT (where SLP_TYP/SLP_EN go): the 64-bit GAS wins when it names an I/O port */
	out->pm1a_cnt_port = (u16)f->pm1a_cnt_blk;
	out->pm1b_cnt_port = (u16)f->pm1b_cnt_blk;
	out->pm1_cnt_len = f->pm1_cnt_len;
	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_pm1b_cnt_blk) +
			 sizeof(struct acpi_gas)) {
		if (f->x_pm1a_cnt_blk.space_id == ACPI_GAS_IO && f->x_pm1a_cnt_blk.address)
			out->pm1a_cnt_port = (u16)f->x_pm1a_cnt_blk.address;
		if (f->x_pm1b_cnt_blk.space_id == ACPI_GAS_IO && f->x_pm1b_cnt_blk.address)
			out->pm1b_cnt_port = (u16)f->x_pm1b_cnt_blk.address;
	}
	return 0;
}
