/* ACPI table discovery: the RSDP, the RSDT/XSDT, the DSDT named by the FADT, checksums and the
 * lookup of a table by signature. Each table's parser lives in its own file next to this one.
 * Pure: physical memory is read only through the caller's map callback (host tests serve
 * captured tables from files). */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
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
		/* fail closed: a DMAR or MCFG not recorded would leave devices unconfined or
		 * config space untrapped */
		if (a->dropped++ == 0)
			pr_err("more than %d ACPI tables, uhv's table list is full: ignoring %s at "
			       "%#llx and later ones; uhv will not start the guest (raise "
			       "ACPI_MAX_TABLES in include/uhv/acpi.h)\n", ACPI_MAX_TABLES, sig, pa);
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
	if (!acpi_sig_eq(h->signature, name)) {
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
	return a->dropped ? -ENOSPC : (int)a->count;
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
		if (acpi_sig_eq(a->tables[i].hdr->signature, sig) && index-- == 0)
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
		pr_err("%u more tables ignored (ACPI_MAX_TABLES %d)\n", a->dropped,
			ACPI_MAX_TABLES);
}
