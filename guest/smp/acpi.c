/* smptest: RSDP -> RSDT/XSDT -> MADT, and the CPUs the MADT lists.
 *
 * The RSDP comes from the multiboot2 ACPI tags when the boot loader gives
 * them (uhv gives the guest's own copy there, whose MADT lists only the
 * guest's CPUs; the firmware's RSDP in the BIOS area still lists them all),
 * else from the EBDA and 0xe0000-0xfffff as on a PC. */
#include "smp.h"
#include <uhv/hw/acpi_tables.h>
#include <uhv/mb2.h>

static u8 sum(const void *p, u32 len)
{
	const u8 *b = p;
	u8 s = 0;

	for (u32 i = 0; i < len; i++)
		s += b[i];
	return s;
}

static bool rsdp_ok(const struct acpi_rsdp *r)
{
	if (memcmp(r->signature, ACPI_RSDP_SIG, 8) || sum(r, ACPI_RSDP_V1_SIZE))
		return false;
	if (r->revision >= 2 && (r->length < ACPI_RSDP_V2_SIZE || r->length > 4096 ||
				 sum(r, r->length)))
		return false;
	return true;
}

/* The RSDP copy in multiboot2 tag 15 (ACPI 2.0+) or 14 (1.0), or NULL. */
static const struct acpi_rsdp *rsdp_from_tags(const char **from)
{
	const u8 *base = phys(boot.info), *found = NULL;
	u32 off = 8, total;

	if (!boot.valid)
		return NULL;
	total = boot.info_size;
	while (off + 8 <= total) {
		u32 type, size;

		memcpy(&type, base + off, 4);
		memcpy(&size, base + off + 4, 4);
		if (type == MB2_TAG_END || size < 8)
			break;
		if (size >= 8 + ACPI_RSDP_V1_SIZE &&
		    (type == MB2_TAG_ACPI_NEW || (type == MB2_TAG_ACPI_OLD && !found))) {
			found = base + off + 8;
			*from = type == MB2_TAG_ACPI_NEW ? "multiboot2 tag 15 (ACPI 2.0+ RSDP copy)"
							 : "multiboot2 tag 14 (ACPI 1.0 RSDP copy)";
		}
		off += (size + 7) & ~7U;
	}
	return found && rsdp_ok((const void *)found) ? (const void *)found : NULL;
}

static const struct acpi_rsdp *rsdp_scan(u32 start, u32 len)
{
	for (u32 a = start; a + ACPI_RSDP_V1_SIZE <= start + len; a += 16) {
		const struct acpi_rsdp *r = phys(a);

		if (rsdp_ok(r))
			return r;
	}
	return NULL;
}

static const struct acpi_sdt_header *table_at(u64 pa, const char *sig)
{
	const struct acpi_sdt_header *h;

	if (!pa || pa >> 32)
		return NULL;
	h = phys((u32)pa);
	if ((sig && memcmp(h->signature, sig, 4)) || h->length < ACPI_SDT_HEADER_SIZE ||
	    h->length > (1U << 20) || sum(h, h->length))
		return NULL;
	return h;
}

int madt_read(struct madt_cpus *m, char *err, size_t errlen)
{
	const struct acpi_rsdp *r;
	const struct acpi_sdt_header *root = NULL, *madt = NULL;

	memset(m, 0, sizeof(*m));
	r = rsdp_from_tags(&m->rsdp_from);
	if (!r) {
		u32 ebda = (u32)*(volatile u16 *)phys(0x40e) << 4;

		if (ebda >= 0x80000 && ebda < 0xa0000 && (r = rsdp_scan(ebda, 1024)))
			m->rsdp_from = "EBDA";
		else if ((r = rsdp_scan(0xe0000, 0x20000)))
			m->rsdp_from = "BIOS area 0xe0000-0xfffff";
	}
	if (!r) {
		snprintf(err, errlen, "no ACPI RSDP (no multiboot2 ACPI tag, none in the EBDA or "
			 "0xe0000-0xfffff)");
		return -1;
	}
	m->rsdp = (u32)(uintptr_t)r;
	if (r->revision >= 2 && r->xsdt_address && !(r->xsdt_address >> 32))
		root = table_at(r->xsdt_address, ACPI_SIG_XSDT);
	if (root)
		m->xsdt = true;
	else
		root = table_at(r->rsdt_address, ACPI_SIG_RSDT);
	if (!root) {
		snprintf(err, errlen, "RSDP at 0x%x (%s): no valid XSDT (0x%llx) or RSDT (0x%x)",
			 m->rsdp, m->rsdp_from, r->revision >= 2 ? r->xsdt_address : 0,
			 r->rsdt_address);
		return -1;
	}
	m->root = (u32)(uintptr_t)root;
	u32 esize = m->xsdt ? 8 : 4, n = (root->length - ACPI_SDT_HEADER_SIZE) / esize;
	for (u32 i = 0; i < n && !madt; i++) {
		u64 pa = 0;

		memcpy(&pa, (const u8 *)root + ACPI_SDT_HEADER_SIZE + i * esize, esize);
		madt = table_at(pa, ACPI_SIG_MADT);
	}
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
