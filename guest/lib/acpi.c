/* The guest's ACPI tables: RSDP, RSDT/XSDT, a table by signature (see acpi.h). The guest runs
 * with paging off, so a physical address is a pointer. */
#include "acpi.h"
#include <uhv/mb2.h>

/* The asm hides the constant from GCC, which warns about small constant addresses. */
static inline void *pa_ptr(u32 pa)
{
	void *p;

	asm("" : "=r"(p) : "0"(pa));
	return p;
}

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
	const u8 *base = pa_ptr(boot.info), *found = NULL;
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
		const struct acpi_rsdp *r = pa_ptr(a);

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
	h = pa_ptr((u32)pa);
	if ((sig && memcmp(h->signature, sig, 4)) || h->length < ACPI_SDT_HEADER_SIZE ||
	    h->length > (1U << 20) || sum(h, h->length))
		return NULL;
	return h;
}

int acpi_root_find(struct acpi_root *a, char *err, size_t errlen)
{
	const struct acpi_rsdp *r;
	const struct acpi_sdt_header *root = NULL;

	memset(a, 0, sizeof(*a));
	r = rsdp_from_tags(&a->rsdp_from);
	if (!r) {
		u32 ebda = (u32)*(volatile u16 *)pa_ptr(0x40e) << 4;

		if (ebda >= 0x80000 && ebda < 0xa0000 && (r = rsdp_scan(ebda, 1024)))
			a->rsdp_from = "EBDA";
		else if ((r = rsdp_scan(0xe0000, 0x20000)))
			a->rsdp_from = "BIOS area 0xe0000-0xfffff";
	}
	if (!r) {
		snprintf(err, errlen, "no ACPI RSDP (no multiboot2 ACPI tag, none in the EBDA or "
			 "0xe0000-0xfffff)");
		return -1;
	}
	a->rsdp = (u32)(uintptr_t)r;
	if (r->revision >= 2 && r->xsdt_address && !(r->xsdt_address >> 32))
		root = table_at(r->xsdt_address, ACPI_SIG_XSDT);
	if (root)
		a->xsdt = true;
	else
		root = table_at(r->rsdt_address, ACPI_SIG_RSDT);
	if (!root) {
		snprintf(err, errlen, "RSDP at 0x%x (%s): no valid XSDT (0x%llx) or RSDT (0x%x)",
			 a->rsdp, a->rsdp_from, r->revision >= 2 ? r->xsdt_address : 0,
			 r->rsdt_address);
		return -1;
	}
	a->root = (u32)(uintptr_t)root;
	return 0;
}

const struct acpi_sdt_header *acpi_table_find(const struct acpi_root *a, const char sig[4])
{
	const struct acpi_sdt_header *root = pa_ptr(a->root), *t = NULL;
	u32 esize = a->xsdt ? 8 : 4, n = (root->length - ACPI_SDT_HEADER_SIZE) / esize;

	for (u32 i = 0; i < n && !t; i++) {
		u64 pa = 0;

		memcpy(&pa, (const u8 *)root + ACPI_SDT_HEADER_SIZE + i * esize, esize);
		t = table_at(pa, sig);
	}
	return t;
}
