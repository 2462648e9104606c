/* smptest: the MADT (found through guest/lib/acpi.c) and the CPUs it lists.
 *
 * The RSDP comes from the multiboot2 ACPI tags when the boot loader gives
 * them (uhv gives the guest's own copy there, whose MADT lists only the
 * guest's CPUs; the firmware's RSDP in the BIOS area still lists them all),
 * else from the EBDA and 0xe0000-0xfffff as on a PC. */
#include "smp.h"
#include "acpi.h"

int madt_read(struct madt_cpus *m, char *err, size_t errlen)
{
	struct acpi_root r;
	const struct acpi_sdt_header *madt;

	memset(m, 0, sizeof(*m));
	if (acpi_root_find(&r, err, errlen) < 0)
		return -1;
	m->rsdp = r.rsdp;
	m->rsdp_from = r.rsdp_from;
	m->root = r.root;
	m->xsdt = r.xsdt;
	madt = acpi_table_find(&r, ACPI_SIG_MADT);
	if (!madt || madt->length < sizeof(struct acpi_madt)) {
		snprintf(err, errlen, "%s at 0x%x lists no valid MADT", m->xsdt ? "XSDT" : "RSDT",
			 m->root);
		return -1;
	}
	m->madt = (u32)(uintptr_t)madt;
	m->lapic_addr = ((const struct acpi_madt *)madt)->lapic_address;

	const u8 *p = (const u8 *)madt + sizeof(struct acpi_madt), *end = (const u8 *)madt +
									 madt->length;
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		u32 id, flags;

		if (p[0] == ACPI_MADT_LAPIC && p[1] >= sizeof(struct acpi_madt_lapic)) {
			const struct acpi_madt_lapic *l = (const void *)p;

			id = l->apic_id;
			flags = l->flags;
		} else if (p[0] == ACPI_MADT_X2APIC && p[1] >= sizeof(struct acpi_madt_x2apic)) {
			const struct acpi_madt_x2apic *x = (const void *)p;

			id = x->x2apic_id;
			flags = x->flags;
		} else {
			continue;
		}
		if ((flags & ACPI_MADT_CPU_ENABLED) && m->nr < MADT_MAX_CPUS)
			m->id[m->nr++] = id;
		else if ((flags & ACPI_MADT_CPU_ONLINE_CAPABLE) && m->nr_capable < MADT_MAX_CPUS)
			m->capable[m->nr_capable++] = id;
	}
	return 0;
}
