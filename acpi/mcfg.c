/* The MCFG table: where the PCI Express ECAM windows (memory-mapped config space) are. */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

int acpi_mcfg_parse(const struct acpi_sdt_header *h, struct acpi_mcfg_info *m)
{
	memset(m, 0, sizeof(*m));
	if (!h) {
		pr_info("no MCFG: PCI config space through ports 0xcf8/0xcfc (256 bytes per "
			"function)\n");
		return -ENOENT;
	}
	if (!acpi_sig_eq(h->signature, ACPI_SIG_MCFG) || h->length < sizeof(struct acpi_mcfg)) {
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
			/* fail closed: an ECAM window uhv does not know it cannot trap, so
			 * the guest would reach every device's config space through it */
			if (m->overflow++ == 0)
				pr_err("MCFG: more than %d ECAM windows, the table uhv keeps them in "
				       "is full (entry %zu and later ones not recorded); uhv will "
				       "not start the guest (raise ACPI_MAX_ECAM in "
				       "include/uhv/acpi.h)\n", ACPI_MAX_ECAM, i);
			continue;
		}
		struct acpi_ecam *w = &m->ecam[m->count++];
		w->base = e[i].base;
		w->segment = e[i].segment;
		w->bus_start = e[i].start_bus;
		w->bus_end = e[i].end_bus;
	}
	return m->overflow ? -ENOSPC : (int)m->count;
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
