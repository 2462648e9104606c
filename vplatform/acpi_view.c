/* The guest's copy of the ACPI root: RSDP, XSDT/RSDT without DMAR, a MADT with its CPUs
 * (see "acpi_view.h"). Pure: the firmware's tables are read through the struct acpi's
 * map callback, the copy is written into a caller's buffer. */
#define LOG_MODULE "acpi"
#include "acpi_view.h"
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>

#define OFF_RSDP	0
#define OFF_FIRST	0x40	/* first table after the RSDP */

static bool sig_eq(const char *a, const char *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Tables the guest must not find. */
static bool hidden_sig(const char *sig)
{
	return sig_eq(sig, ACPI_SIG_DMAR) || sig_eq(sig, "IVRS");
}

/* The firmware's root table (tables[0] after acpi_init), or NULL. */
static const struct acpi_sdt_header *root_of(const struct acpi *a)
{
	if (!a || !a->count || a->tables[0].pa != a->root_pa)
		return NULL;
	return a->tables[0].hdr;
}

static unsigned root_entries(const struct acpi *a, const struct acpi_sdt_header *root)
{
	return (root->length - ACPI_SDT_HEADER_SIZE) / (a->xsdt ? 8 : 4);
}

static u64 root_entry(const struct acpi *a, const struct acpi_sdt_header *root, unsigned i)
{
	size_t esize = a->xsdt ? 8 : 4;
	u64 pa = 0;

	memcpy(&pa, (const u8 *)root + ACPI_SDT_HEADER_SIZE + i * esize, esize);
	return pa;
}

static const struct acpi_sdt_header *entry_header(const struct acpi *a, u64 pa)
{
	/* tables acpi_init accepted are already mapped; others are read for their signature */
	for (unsigned i = 0; i < a->count; i++)
		if (a->tables[i].pa == pa)
			return a->tables[i].hdr;
	return pa ? a->map(a->ctx, pa, ACPI_SDT_HEADER_SIZE) : NULL;
}

size_t acpi_guest_size(const struct acpi *a)
{
	const struct acpi_sdt_header *root = root_of(a), *madt;
	size_t n, size;

	if (!root)
		return 0;
	n = root_entries(a, root);
	size = OFF_FIRST + ALIGN_UP(ACPI_SDT_HEADER_SIZE + 8 * n, 16) +
	       ALIGN_UP(ACPI_SDT_HEADER_SIZE + 4 * n, 16);
	madt = acpi_find_table(a, ACPI_SIG_MADT, 0);
	if (madt)
		size += ALIGN_UP(madt->length, 16);
	return size;
}

static void set_checksum(void *table, size_t len, u8 *field)
{
	*field = 0;
	*field = (u8)-acpi_checksum(table, len);
}

/* The (x2)APIC ID of a processor entry, or false for other entries. */
static bool cpu_entry(const u8 *p, u32 *apic_id, u32 *uid)
{
	const struct acpi_madt_entry *e = (const void *)p;

	if (e->type == ACPI_MADT_LAPIC && e->length >= sizeof(struct acpi_madt_lapic)) {
		const struct acpi_madt_lapic *l = (const void *)p;

		*apic_id = l->apic_id;
		*uid = l->acpi_processor_uid;
		return true;
	}
	if (e->type == ACPI_MADT_X2APIC && e->length >= sizeof(struct acpi_madt_x2apic)) {
		const struct acpi_madt_x2apic *x = (const void *)p;

		*apic_id = x->x2apic_id;
		*uid = x->acpi_processor_uid;
		return true;
	}
	return false;
}

static bool in_set(const u32 *set, unsigned n, u32 v)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

/* The ACPI UIDs of the CPUs apic_ids[0..n) (they decide which local-APIC NMI entries stay).
 * false (said why) when one of them has no MADT entry. */
static bool find_cpus(const struct acpi_sdt_header *madt, const u32 *apic_ids, unsigned n,
		      u32 *uids)
{
	const u8 *end = (const u8 *)madt + madt->length;

	for (unsigned i = 0; i < n; i++) {
		const u8 *p = (const u8 *)madt + sizeof(struct acpi_madt);
		bool found = false;
		u32 id, uid;

		for (; !found && p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1])
			if (cpu_entry(p, &id, &uid) && id == apic_ids[i]) {
				uids[i] = uid;
				found = true;
			}
		if (!found) {
			pr_err("the MADT lists no CPU with APIC ID %u (%s): cannot give the guest "
			       "a MADT; firmware bug?\n", apic_ids[i],
			       i ? "one uhv started for the guest" : "the one uhv runs on");
			return false;
		}
	}
	return true;
}

/* Copy madt into out, keeping only the CPUs apic_ids[0..n). Returns the copy's length, or
 * -ENOENT. */
static int copy_madt(const struct acpi_sdt_header *madt, const u32 *apic_ids, unsigned n,
		     u8 *out, unsigned *cpus_kept, unsigned *cpus_dropped)
{
	const u8 *p = (const u8 *)madt + sizeof(struct acpi_madt), *end = (const u8 *)madt +
									 madt->length;
	size_t len = sizeof(struct acpi_madt);
	u32 uids[ACPI_MAX_CPUS];

	if (madt->length < sizeof(struct acpi_madt))
		return -ENOENT;
	if (!find_cpus(madt, apic_ids, n, uids))
		return -ENOENT;
	memcpy(out, madt, len);
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		const struct acpi_madt_entry *e = (const void *)p;
		bool keep = true;
		u32 id, uid;

		switch (e->type) {
		case ACPI_MADT_LAPIC:
		case ACPI_MADT_X2APIC:
			keep = cpu_entry(p, &id, &uid) && in_set(apic_ids, n, id);
			*cpus_kept += keep;
			*cpus_dropped += !keep;
			break;
		case ACPI_MADT_LAPIC_NMI: {
			u8 u = ((const struct acpi_madt_lapic_nmi *)p)->acpi_processor_uid;

			keep = e->length >= sizeof(struct acpi_madt_lapic_nmi) &&
			       (u == 0xff || in_set(uids, n, u));
			break;
		}
		case ACPI_MADT_X2APIC_NMI: {
			u32 u = ((const struct acpi_madt_x2apic_nmi *)p)->acpi_processor_uid;

			keep = e->length >= sizeof(struct acpi_madt_x2apic_nmi) &&
			       (u == 0xffffffff || in_set(uids, n, u));
			break;
		}
		case ACPI_GUEST_MADT_WAKEUP:	/* a mailbox that starts the other CPUs */
			keep = false;
			break;
		}
		if (keep) {
			memcpy(out + len, p, e->length);
			len += e->length;
		}
	}
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)out;
	h->length = (u32)len;
	set_checksum(out, len, &h->checksum);
	return (int)len;
}

/* The root entries of both copies (xsdt: the XSDT copy is built too), hidden tables dropped and
 * the MADT's replaced by its copy at out->madt_gpa; sets out->entries and out->dropped. Returns
 * whether every kept table is below 4 GiB, so that the RSDT copy can list them all. */
static bool copy_root_entries(const struct acpi *a, const struct acpi_sdt_header *root,
			      unsigned n, const struct acpi_sdt_header *madt, u8 *xsdt_copy,
			      u8 *rsdt_copy, bool xsdt, struct acpi_guest_info *out)
{
	u8 *xe = xsdt_copy + ACPI_SDT_HEADER_SIZE, *re = rsdt_copy + ACPI_SDT_HEADER_SIZE;
	unsigned kept = 0;
	bool rsdt_ok = true;

	for (unsigned i = 0; i < n; i++) {
		u64 pa = root_entry(a, root, i);
		const struct acpi_sdt_header *h = entry_header(a, pa);

		if (!pa)
			continue;
		if (h && hidden_sig(h->signature)) {
			out->dropped++;
			continue;
		}
		if (h && madt && sig_eq(h->signature, ACPI_SIG_MADT) && h == madt)
			pa = out->madt_gpa;
		if (xsdt)
			memcpy(xe + 8 * kept, &pa, 8);
		if (pa >> 32)
			rsdt_ok = false;
		u32 pa32 = (u32)pa;
		memcpy(re + 4 * kept, &pa32, 4);
		kept++;
	}
	out->entries = kept;
	return rsdt_ok;
}

/* The headers of the RSDT copy and (xsdt_off not 0) the XSDT copy: the firmware root's OEM
 * fields with the guest's length and checksum. */
static void write_root_headers(const struct acpi_sdt_header *root, u8 *b, size_t rsdt_off,
			       size_t xsdt_off, unsigned kept)
{
	struct acpi_sdt_header *rh = (struct acpi_sdt_header *)(b + rsdt_off);
	memcpy(rh, root, ACPI_SDT_HEADER_SIZE);
	memcpy(rh->signature, ACPI_SIG_RSDT, 4);
	rh->revision = 1;
	rh->length = ACPI_SDT_HEADER_SIZE + 4 * kept;
	set_checksum(rh, rh->length, &rh->checksum);
	if (xsdt_off) {
		struct acpi_sdt_header *xh = (struct acpi_sdt_header *)(b + xsdt_off);

		memcpy(xh, root, ACPI_SDT_HEADER_SIZE);
		xh->length = ACPI_SDT_HEADER_SIZE + 8 * kept;
		set_checksum(xh, xh->length, &xh->checksum);
	}
}

/* The RSDP copy: revision 2 with the XSDT when there is one, else revision 0. */
static void write_rsdp(const struct acpi *a, struct acpi_rsdp *r, bool xsdt,
		       const struct acpi_guest_info *out)
{
	memcpy(r->signature, ACPI_RSDP_SIG, 8);
	memcpy(r->oem_id, a->oem_id, 6);
	for (unsigned i = 0; i < 6; i++)	/* acpi_init made a printable copy */
		if (!r->oem_id[i])
			r->oem_id[i] = ' ';
	r->revision = xsdt ? 2 : 0;
	r->rsdt_address = (u32)out->rsdt_gpa;
	set_checksum(r, ACPI_RSDP_V1_SIZE, &r->checksum);
	if (xsdt) {
		r->length = ACPI_RSDP_V2_SIZE;
		r->xsdt_address = out->xsdt_gpa;
		set_checksum(r, ACPI_RSDP_V2_SIZE, &r->extended_checksum);
	}
}

int acpi_guest_build(const struct acpi *a, const u32 *apic_ids, unsigned n_ids, void *buf,
		     size_t cap, u64 gpa, struct acpi_guest_info *out)
{
	const struct acpi_sdt_header *root = root_of(a), *madt;
	u8 *b = buf;
	size_t at = OFF_FIRST, xsdt_off = 0, rsdt_off, madt_off = 0;
	unsigned n;

	memset(out, 0, sizeof(*out));
	if (!root) {
		pr_err("no ACPI root table: nothing to give the guest\n");
		return -ENOENT;
	}
	if (!n_ids || n_ids > ACPI_MAX_CPUS)
		return -EINVAL;
	if (cap < acpi_guest_size(a))
		return -ENOSPC;
	memset(b, 0, acpi_guest_size(a));
	n = root_entries(a, root);

	/* the MADT copy first: the root tables point at it */
	madt = acpi_find_table(a, ACPI_SIG_MADT, 0);
	if (a->xsdt)
		xsdt_off = at, at += ALIGN_UP(ACPI_SDT_HEADER_SIZE + 8 * n, 16);
	rsdt_off = at;
	at += ALIGN_UP(ACPI_SDT_HEADER_SIZE + 4 * n, 16);
	if (madt) {
		int len = copy_madt(madt, apic_ids, n_ids, b + at, &out->cpus_kept,
				    &out->cpus_dropped);

		if (len < 0)
			return len;
		madt_off = at;
		at += ALIGN_UP((size_t)len, 16);
		out->madt_gpa = gpa + madt_off;
	}

	/* root entries: hidden tables dropped, the MADT replaced */
	bool rsdt_ok = copy_root_entries(a, root, n, madt, b + xsdt_off, b + rsdt_off,
					 xsdt_off != 0, out);
	write_root_headers(root, b, rsdt_off, xsdt_off, out->entries);
	if (xsdt_off)
		out->xsdt_gpa = gpa + xsdt_off;
	if (rsdt_ok)
		out->rsdt_gpa = gpa + rsdt_off;
	write_rsdp(a, (struct acpi_rsdp *)(b + OFF_RSDP), xsdt_off != 0, out);
	out->rsdp_gpa = gpa + OFF_RSDP;
	out->size = at;
	return 0;
}

/* ---- \_S5 ---- */

/* AML PkgLength: the lead byte's bits 7:6 give the number of following bytes. */
static size_t pkg_length_bytes(u8 lead)
{
	return 1 + (lead >> 6);
}

/* One integer constant of a package: ZeroOp, OneOp, BytePrefix n. false for anything else. */
static bool aml_byte(const u8 *p, const u8 *end, u8 *v, size_t *used)
{
	if (p >= end)
		return false;
	if (*p == 0x00 || *p == 0x01) {	/* ZeroOp, OneOp */
		*v = *p;
		*used = 1;
		return true;
	}
	if (*p == 0x0a && p + 1 < end) {	/* BytePrefix */
		*v = p[1];
		*used = 2;
		return true;
	}
	return false;
}

int acpi_dsdt_s5(const struct acpi_sdt_header *dsdt, u8 *typ_a, u8 *typ_b)
{
	if (!dsdt || dsdt->length <= ACPI_SDT_HEADER_SIZE)
		return -ENOENT;
	const u8 *p = (const u8 *)dsdt + ACPI_SDT_HEADER_SIZE, *end = (const u8 *)dsdt +
									  dsdt->length;

	for (; p + 8 <= end; p++) {
		/* NameOp, then "_S5_" or "\_S5_" */
		if (memcmp(p, "_S5_", 4) != 0)
			continue;
		if (!(p[-1] == 0x08 || (p[-1] == '\\' && p - 2 >= (const u8 *)dsdt &&
					p[-2] == 0x08)))
			continue;
		const u8 *q = p + 4;
		if (*q != 0x12)		/* PackageOp */
			continue;
		q++;
		q += pkg_length_bytes(*q);
		if (q + 1 > end)
			break;
		q++;			/* NumElements */
		size_t used;
		u8 a, b = 0;
		if (!aml_byte(q, end, &a, &used))
			continue;
		q += used;
		aml_byte(q, end, &b, &used);	/* the PM1b value may be missing */
		*typ_a = a & 7;
		*typ_b = b & 7;
		return 0;
	}
	return -ENOENT;
}
