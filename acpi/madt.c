/* The MADT (signature APIC): the CPUs' local APIC ids, the IOAPICs, the ISA interrupt overrides
 * and the NMI wiring. */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

/* Fail closed: a CPU uhv does not know is one it does not start under VMX, and the guest
 * could start it outside; an IOAPIC or override it does not know is hardware it cannot keep
 * from the guest or show it correctly. So a full table stops the guest (acpi_madt_parse). */
static bool madt_room(struct acpi_madt_info *m, unsigned n, unsigned max, const char *what,
		      const char *limit)
{
	if (n < max)
		return true;
	if (m->overflow++ == 0)
		pr_err("MADT: more than %u %s, the table uhv keeps them in is full; uhv will not "
		       "start the guest (raise %s in include/uhv/acpi.h)\n", max, what, limit);
	return false;
}

static void madt_add_cpu(struct acpi_madt_info *m, u32 apic_id, u32 uid, u32 flags, bool x2)
{
	if (!(flags & (ACPI_MADT_CPU_ENABLED | ACPI_MADT_CPU_ONLINE_CAPABLE)))
		return;	/* neither enabled nor ever can be: not a CPU */
	if (!madt_room(m, m->ncpus, ACPI_MAX_CPUS, "CPUs", "ACPI_MAX_CPUS"))
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

static void madt_add_ioapic(struct acpi_madt_info *m, const struct acpi_madt_ioapic *io)
{
	if (!madt_room(m, m->nioapics, ACPI_MAX_IOAPICS, "IOAPICs", "ACPI_MAX_IOAPICS"))
		return;
	struct acpi_ioapic *o = &m->ioapics[m->nioapics++];
	o->id = io->ioapic_id;
	o->address = io->address;
	o->gsi_base = io->gsi_base;
	o->gsi_count = 0;
}

static void madt_add_iso(struct acpi_madt_info *m, const struct acpi_madt_iso *iso)
{
	if (!madt_room(m, m->nisos, ACPI_MAX_ISOS, "interrupt overrides",
		       "ACPI_MAX_ISOS"))
		return;
	struct acpi_iso *o = &m->isos[m->nisos++];
	o->bus = iso->bus;
	o->source = iso->source;
	o->gsi = iso->gsi;
	o->flags = iso->flags;
}

/* The three NMI entry types (source, local APIC, local x2APIC) share one list. */
static void madt_add_nmi(struct acpi_madt_info *m, struct acpi_nmi nmi)
{
	if (!madt_room(m, m->nnmis, ACPI_MAX_NMIS, "NMI entries", "ACPI_MAX_NMIS"))
		return;
	m->nmis[m->nnmis++] = nmi;
}

/* One entry the caller has checked to be at least madt_min_len(e->type) bytes. */
static void madt_entry(struct acpi_madt_info *m, const struct acpi_madt_entry *e)
{
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
	case ACPI_MADT_IOAPIC:
		madt_add_ioapic(m, (const void *)e);
		break;
	case ACPI_MADT_ISO:
		madt_add_iso(m, (const void *)e);
		break;
	case ACPI_MADT_NMI_SOURCE: {
		const struct acpi_madt_nmi_source *n = (const void *)e;
		madt_add_nmi(m, (struct acpi_nmi){ .lapic = false, .gsi = n->gsi,
						   .flags = n->flags });
		break;
	}
	case ACPI_MADT_LAPIC_NMI: {
		const struct acpi_madt_lapic_nmi *n = (const void *)e;
		u32 uid = n->acpi_processor_uid;
		if (uid == 0xff)
			uid = 0xffffffffu;	/* "all", as in the x2APIC entry */
		madt_add_nmi(m, (struct acpi_nmi){ .lapic = true, .acpi_uid = uid, .lint = n->lint,
						   .flags = n->flags });
		break;
	}
	case ACPI_MADT_X2APIC_NMI: {
		const struct acpi_madt_x2apic_nmi *n = (const void *)e;
		madt_add_nmi(m, (struct acpi_nmi){ .lapic = true, .acpi_uid = n->acpi_processor_uid,
						   .lint = n->lint, .flags = n->flags });
		break;
	}
	case ACPI_MADT_LAPIC_ADDR_OVERRIDE: {
		const struct acpi_madt_lapic_addr_override *o = (const void *)e;
		m->lapic_address = o->address;
		break;
	}
	}
}

int acpi_madt_parse(const struct acpi_sdt_header *h, struct acpi_madt_info *m)
{
	memset(m, 0, sizeof(*m));
	if (!h) {
		pr_warn("no MADT (APIC table): assuming one CPU and no IOAPIC\n");
		return -ENOENT;
	}
	if (!acpi_sig_eq(h->signature, ACPI_SIG_MADT) || h->length < sizeof(struct acpi_madt)) {
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
		madt_entry(m, e);
	}

	unsigned enabled = 0;
	for (unsigned i = 0; i < m->ncpus; i++)
		enabled += m->cpus[i].enabled;
	if (enabled == 0)
		pr_warn("MADT lists no enabled CPU; the boot CPU is still usable\n");
	return m->overflow ? -ENOSPC : (int)enabled;
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
		pr_err("MADT: %u entries did not fit and were ignored\n", m->overflow);
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
