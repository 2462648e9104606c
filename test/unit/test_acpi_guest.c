// UNIT-SOURCES: vplatform/acpi_view.c acpi/acpi.c acpi/madt.c acpi/fadt.c
/* The guest's ACPI root copy (DMAR dropped, MADT with the guest's CPUs) built from the tables captured
 * from QEMU q35 (SeaBIOS and OVMF, with intel-iommu) and Bochs, and from a synthetic MADT with
 * several CPUs; the copy is parsed back with acpi_init as the guest would. Also the FADT's PM1
 * control ports and the DSDT's \_S5 values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vplatform/acpi_view.h"
#include <uhv/errno.h>
#include "log_capture.h"
#include "files.h"

#define MAX_BLOBS 32
#define GUEST_GPA 0x9e000ULL	/* where uhv puts the copy in Bochs */

struct blob {
	paddr_t pa;
	size_t len;
	u8 *data;
	char name[32];
};

struct mem {
	unsigned n;
	struct blob b[MAX_BLOBS];
};

static struct mem mem;
static struct acpi fw, guest;
static u8 block[8192] __attribute__((aligned(16)));


static struct blob *mem_add(paddr_t pa, const void *data, size_t len, const char *name)
{
	assert_true(mem.n < MAX_BLOBS);
	struct blob *b = &mem.b[mem.n++];
	b->pa = pa;
	b->len = len;
	b->data = malloc(len);
	memcpy(b->data, data, len);
	snprintf(b->name, sizeof(b->name), "%s", name);
	return b;
}

static void mem_load(const char *platform)
{
	char path[256], line[256];
	snprintf(path, sizeof(path), "test/data/acpi/%s/index.txt", platform);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run the test from the repository root)", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long pa;
		size_t len, flen;
		char name[32];
		if (line[0] == '#' || sscanf(line, "%llx %zu %31s", &pa, &len, name) != 3)
			continue;
		snprintf(path, sizeof(path), "test/data/acpi/%s/%s", platform, name);
		u8 *d = test_read_file(path, &flen);
		assert_non_null(d);
		assert_int_equal(flen, len);
		mem_add(pa, d, len, name);
		free(d);
	}
	fclose(f);
}

static void mem_free(void)
{
	for (unsigned i = 0; i < mem.n; i++)
		free(mem.b[i].data);
	mem.n = 0;
}

static struct blob *mem_blob(const char *name)
{
	for (unsigned i = 0; i < mem.n; i++)
		if (strcmp(mem.b[i].name, name) == 0)
			return &mem.b[i];
	fail_msg("no %s in the captured data", name);
	return NULL;
}

/* Firmware tables at their addresses, and the guest block at GUEST_GPA. */
static const void *mem_map(void *ctx, paddr_t pa, size_t len)
{
	if (pa >= GUEST_GPA && pa + len <= GUEST_GPA + sizeof(block))
		return block + (pa - GUEST_GPA);
	for (unsigned i = 0; i < mem.n; i++) {
		struct blob *b = &mem.b[i];
		if (pa >= b->pa && pa + len <= b->pa + b->len)
			return b->data + (pa - b->pa);
	}
	return NULL;
}

static void fix_checksum(u8 *p, size_t len, u8 *field)
{
	*field = 0;
	*field = (u8)-acpi_checksum(p, len);
}

/* Build the copy of the platform's tables for CPUs ids[0..n); parse it back as the guest does. */
static struct acpi_guest_info build_n(const char *rsdp, const u32 *ids, unsigned n)
{
	struct acpi_guest_info info;
	struct blob *r = mem_blob(rsdp);

	log_capture_reset();
	assert_true(acpi_init(&fw, r->data, r->len, mem_map, NULL) > 0);
	size_t need = acpi_guest_size(&fw);
	assert_true(need > 0 && need <= sizeof(block));
	memset(block, 0xa5, sizeof(block));
	assert_int_equal(acpi_guest_build(&fw, ids, n, block, need - 1, GUEST_GPA, &info), -ENOSPC);
	assert_int_equal(acpi_guest_build(&fw, ids, n, block, need, GUEST_GPA, &info), 0);
	assert_true(info.size <= need);
	assert_int_equal(info.rsdp_gpa, GUEST_GPA);
	assert_true(info.rsdp_gpa % 16 == 0);

	const struct acpi_rsdp *gr = (const void *)block;
	size_t rlen = gr->revision >= 2 ? ACPI_RSDP_V2_SIZE : ACPI_RSDP_V1_SIZE;
	assert_int_equal(acpi_checksum(gr, ACPI_RSDP_V1_SIZE), 0);
	assert_int_equal(acpi_checksum(gr, rlen), 0);
	assert_int_equal(gr->revision, fw.rsdp_revision >= 2 && fw.xsdt ? 2 : 0);
	log_capture_reset();
	assert_true(acpi_init(&guest, gr, rlen, mem_map, NULL) > 0);
	/* every checksum right: acpi_init warns otherwise */
	assert_false(log_capture_contains("checksum"));
	assert_false(log_capture_contains("ERROR"));
	assert_int_equal(guest.xsdt, fw.xsdt);
	return info;
}

/* The same for one CPU, bsp. */
static struct acpi_guest_info build(const char *rsdp, u32 bsp)
{
	return build_n(rsdp, &bsp, 1);
}

/* Every firmware table but DMAR and the MADT is there at its own address. */
static void check_same_tables(void)
{
	for (unsigned i = 1; i < fw.count; i++) {
		const struct acpi_table *t = &fw.tables[i];
		char sig[5] = { 0 };
		memcpy(sig, t->hdr->signature, 4);
		const struct acpi_sdt_header *g = acpi_find_table(&guest, sig, 0);
		if (!strcmp(sig, "DMAR")) {
			assert_null(g);
			continue;
		}
		assert_non_null(g);
		if (strcmp(sig, "APIC") != 0)
			assert_ptr_equal(g, t->hdr);
	}
	assert_int_equal(guest.count, fw.count - (acpi_find_table(&fw, "DMAR", 0) ? 1 : 0));
}

static void test_q35_seabios_iommu(void **state)
{
	mem_load("q35-seabios-iommu");
	struct acpi_guest_info info = build("rsdp.bin", 0);
	assert_non_null(acpi_find_table(&fw, "DMAR", 0));
	assert_null(acpi_find_table(&guest, "DMAR", 0));
	assert_int_equal(info.dropped, 1);
	assert_int_equal(info.entries, 5);	/* FACP APIC HPET MCFG WAET */
	assert_int_equal(info.xsdt_gpa, 0);
	assert_true(info.rsdt_gpa > GUEST_GPA);
	assert_int_equal(info.cpus_dropped, 0);
	check_same_tables();
	/* the MADT copy: same content (one CPU already), at the copy's address */
	const struct acpi_sdt_header *m = acpi_find_table(&guest, "APIC", 0);
	for (unsigned i = 0; i < guest.count; i++)
		if (guest.tables[i].hdr == m)
			assert_int_equal(guest.tables[i].pa, info.madt_gpa);
	const struct acpi_sdt_header *om = acpi_find_table(&fw, "APIC", 0);
	assert_int_equal(m->length, om->length);
	size_t body = m->length - ACPI_SDT_HEADER_SIZE;
	assert_memory_equal((const u8 *)(m + 1), (const u8 *)(om + 1), body);
	assert_memory_equal(m->oem_id, om->oem_id, 6);
	/* the RSDT keeps the firmware's OEM fields */
	assert_memory_equal(guest.tables[0].hdr->oem_table_id, fw.tables[0].hdr->oem_table_id, 8);
	assert_string_equal(guest.oem_id, fw.oem_id);
	mem_free();
}

static void test_q35_ovmf_iommu_xsdt(void **state)
{
	mem_load("q35-ovmf-iommu");
	struct acpi_guest_info info = build("rsdp.bin", 0);
	assert_true(fw.xsdt);
	assert_true(guest.xsdt);
	assert_true(info.xsdt_gpa > GUEST_GPA);
	assert_true(info.rsdt_gpa > GUEST_GPA);
	assert_int_equal(info.dropped, 1);
	assert_null(acpi_find_table(&guest, "DMAR", 0));
	assert_non_null(acpi_find_table(&guest, "BGRT", 0));
	check_same_tables();
	/* the RSDT copy lists the same tables as the XSDT copy */
	const struct acpi_rsdp *gr = (const void *)block;
	struct acpi_rsdp v1 = *gr;
	v1.revision = 0;
	fix_checksum((u8 *)&v1, ACPI_RSDP_V1_SIZE, &v1.checksum);
	static struct acpi g1;
	assert_true(acpi_init(&g1, &v1, ACPI_RSDP_V1_SIZE, mem_map, NULL) > 0);
	assert_false(g1.xsdt);
	assert_int_equal(g1.count, guest.count);
	assert_null(acpi_find_table(&g1, "DMAR", 0));
	mem_free();
}

static void test_bochs(void **state)
{
	mem_load("bochs-i440fx");
	struct acpi_guest_info info = build("rsdp.bin", 0);
	assert_int_equal(info.dropped, 0);
	assert_int_equal(info.entries, 4);	/* FACP APIC SSDT HPET */
	check_same_tables();
	struct acpi_madt_info madt;
	assert_int_equal(acpi_madt_parse(acpi_find_table(&guest, "APIC", 0), &madt), 1);

	/* FADT: PM1a_CNT at 0xb004 (PIIX4 PM base 0xb000), no PM1b; \_S5 = { 0, 0 } */
	struct acpi_fadt_info f;
	assert_int_equal(acpi_fadt_parse(acpi_find_table(&guest, "FACP", 0), &f), 0);
	assert_int_equal(f.pm1a_cnt_port, 0xb004);
	assert_int_equal(f.pm1b_cnt_port, 0);
	assert_int_equal(f.pm1_cnt_len, 2);
	u8 a = 9, b = 9;
	assert_int_equal(acpi_dsdt_s5(acpi_find_table(&guest, "DSDT", 0), &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 0);
	mem_free();
}

static void test_q35_fadt_pm1(void **state)
{
	mem_load("q35-seabios");
	struct blob *r = mem_blob("rsdp.bin");
	assert_true(acpi_init(&fw, r->data, r->len, mem_map, NULL) > 0);
	struct acpi_fadt_info f;
	assert_int_equal(acpi_fadt_parse(acpi_find_table(&fw, "FACP", 0), &f), 0);
	assert_int_equal(f.pm1a_cnt_port, 0x604);	/* ICH9 PM base 0x600 */
	assert_int_equal(f.pm1b_cnt_port, 0);
	u8 a = 9, b = 9;
	assert_int_equal(acpi_dsdt_s5(acpi_find_table(&fw, "DSDT", 0), &a, &b), 0);
	assert_int_equal(a, 0);
	mem_free();
}

/* ---- a machine with four CPUs: the guest sees only the one uhv runs on ---- */

static u8 madt4[256];
static size_t madt4_len;

static void put(const void *e, size_t len)
{
	memcpy(madt4 + madt4_len, e, len);
	madt4_len += len;
}

static void make_4cpu_machine(void)
{
	struct acpi_madt m = { .hdr = { .signature = "APIC", .revision = 5, .oem_id = "UHVTST" },
			       .lapic_address = 0xfee00000, .flags = ACPI_MADT_PCAT_COMPAT };
	madt4_len = 0;
	put(&m, sizeof(m));
	for (u8 i = 0; i < 3; i++) {
		struct acpi_madt_lapic l = { { ACPI_MADT_LAPIC, 8 }, i, (u8)(i * 2),
					     ACPI_MADT_CPU_ENABLED };
		put(&l, sizeof(l));
	}
	struct acpi_madt_x2apic x = { { ACPI_MADT_X2APIC, 16 }, 0, 300, ACPI_MADT_CPU_ENABLED, 3 };
	put(&x, sizeof(x));
	struct acpi_madt_ioapic io = { { ACPI_MADT_IOAPIC, 12 }, 7, 0, 0xfec00000, 0 };
	put(&io, sizeof(io));
	struct acpi_madt_iso iso = { { ACPI_MADT_ISO, 10 }, 0, 0, 2, 0 };
	put(&iso, sizeof(iso));
	struct acpi_madt_lapic_nmi all = { { ACPI_MADT_LAPIC_NMI, 6 }, 0xff, 5, 1 };
	put(&all, sizeof(all));
	struct acpi_madt_lapic_nmi one = { { ACPI_MADT_LAPIC_NMI, 6 }, 1, 5, 1 };
	put(&one, sizeof(one));
	struct acpi_madt_x2apic_nmi xn = { { ACPI_MADT_X2APIC_NMI, 12 }, 5, 3, 1, { 0 } };
	put(&xn, sizeof(xn));
	u8 wakeup[16] = { ACPI_GUEST_MADT_WAKEUP, 16 };
	put(wakeup, sizeof(wakeup));
	struct acpi_madt *h = (struct acpi_madt *)madt4;
	h->hdr.length = (u32)madt4_len;
	fix_checksum(madt4, madt4_len, &h->hdr.checksum);

	/* RSDT with the MADT and a DMAR, RSDP rev 0 */
	u8 dmar[48] = "DMAR";
	((struct acpi_sdt_header *)dmar)->length = sizeof(dmar);
	fix_checksum(dmar, sizeof(dmar), &((struct acpi_sdt_header *)dmar)->checksum);
	u8 rsdt[36 + 8] = "RSDT";
	struct acpi_sdt_header *rh = (struct acpi_sdt_header *)rsdt;
	rh->length = sizeof(rsdt);
	memcpy(rh->oem_id, "UHVTST", 6);
	u32 e[2] = { 0x7000000, 0x7001000 };
	memcpy(rsdt + 36, e, sizeof(e));
	fix_checksum(rsdt, sizeof(rsdt), &rh->checksum);
	struct acpi_rsdp r = { .signature = "RSD PTR ", .oem_id = "UHVTST", .revision = 0,
			       .rsdt_address = 0x7002000 };
	fix_checksum((u8 *)&r, ACPI_RSDP_V1_SIZE, &r.checksum);
	mem_add(0x7000000, madt4, madt4_len, "APIC");
	mem_add(0x7001000, dmar, sizeof(dmar), "DMAR");
	mem_add(0x7002000, rsdt, sizeof(rsdt), "RSDT");
	mem_add(0x7003000, &r, ACPI_RSDP_V1_SIZE, "rsdp");
}

static void test_madt_one_cpu(void **state)
{
	struct acpi_madt_info m;

	make_4cpu_machine();
	assert_true(acpi_init(&fw, mem_blob("rsdp")->data, ACPI_RSDP_V1_SIZE, mem_map, NULL) > 0);
	assert_int_equal(acpi_madt_parse(acpi_find_table(&fw, "APIC", 0), &m), 4);

	/* the BSP is APIC ID 2 (UID 1): its NMI entry and the all-CPU one stay */
	struct acpi_guest_info info = build("rsdp", 2);
	assert_int_equal(info.cpus_dropped, 3);
	assert_int_equal(info.dropped, 1);
	assert_null(acpi_find_table(&guest, "DMAR", 0));
	assert_int_equal(acpi_madt_parse(acpi_find_table(&guest, "APIC", 0), &m), 1);
	assert_int_equal(m.cpus[0].apic_id, 2);
	assert_int_equal(m.cpus[0].acpi_uid, 1);
	assert_int_equal(m.nioapics, 1);
	assert_int_equal(m.nisos, 1);
	assert_int_equal(m.nnmis, 2);
	assert_int_equal(m.lapic_address, 0xfee00000);
	const struct acpi_sdt_header *g = acpi_find_table(&guest, "APIC", 0);
	assert_int_equal(g->length, madt4_len - 2 * 8 - 16 - 12 - 16);
	assert_memory_equal(g->oem_id, "UHVTST", 6);

	/* an x2APIC BSP (ID 300, UID 3): its x2APIC NMI entry stays */
	info = build("rsdp", 300);
	assert_int_equal(info.cpus_dropped, 3);
	assert_int_equal(acpi_madt_parse(acpi_find_table(&guest, "APIC", 0), &m), 1);
	assert_true(m.cpus[0].x2apic);
	assert_int_equal(m.cpus[0].apic_id, 300);
	assert_int_equal(m.nnmis, 2);

	/* no entry for the CPU uhv runs on: refused with a message */
	struct acpi_guest_info bad;
	u32 five = 5;
	log_capture_reset();
	assert_int_equal(acpi_guest_build(&fw, &five, 1, block, sizeof(block), GUEST_GPA, &bad),
			 -ENOENT);
	assert_true(log_capture_contains("no CPU with APIC ID 5 (the one uhv runs on)"));
	assert_int_equal(acpi_guest_build(&fw, &five, 0, block, sizeof(block), GUEST_GPA, &bad),
			 -EINVAL);
	mem_free();
}

/* cpus=N: the guest's CPUs stay (firmware order), with their NMI entries; the others go */
static void test_madt_some_cpus(void **state)
{
	struct acpi_madt_info m;

	make_4cpu_machine();
	assert_true(acpi_init(&fw, mem_blob("rsdp")->data, ACPI_RSDP_V1_SIZE, mem_map, NULL) > 0);

	/* boot CPU APIC ID 2 (UID 1) and the AP with APIC ID 0 (UID 0) */
	u32 two[] = { 2, 0 };
	struct acpi_guest_info info = build_n("rsdp", two, 2);
	assert_int_equal(info.cpus_kept, 2);
	assert_int_equal(info.cpus_dropped, 2);
	assert_int_equal(acpi_madt_parse(acpi_find_table(&guest, "APIC", 0), &m), 2);
	assert_int_equal(m.cpus[0].apic_id, 0);	/* the firmware's order */
	assert_int_equal(m.cpus[1].apic_id, 2);
	assert_int_equal(m.nnmis, 2);		/* all-CPU LAPIC NMI + UID 1's */
	const struct acpi_sdt_header *g = acpi_find_table(&guest, "APIC", 0);
	assert_int_equal(g->length, madt4_len - 8 - 16 - 12 - 16);

	/* every CPU, the x2APIC one (ID 300, UID 3) included: only the wakeup mailbox goes */
	u32 all[] = { 0, 2, 4, 300 };
	info = build_n("rsdp", all, 4);
	assert_int_equal(info.cpus_kept, 4);
	assert_int_equal(info.cpus_dropped, 0);
	assert_int_equal(acpi_madt_parse(acpi_find_table(&guest, "APIC", 0), &m), 4);
	assert_int_equal(m.nnmis, 3);
	g = acpi_find_table(&guest, "APIC", 0);
	assert_int_equal(g->length, madt4_len - 16);

	/* an AP the MADT does not list: refused, said which */
	u32 stray[] = { 0, 6 };
	struct acpi_guest_info bad;
	log_capture_reset();
	assert_int_equal(acpi_guest_build(&fw, stray, 2, block, sizeof(block), GUEST_GPA, &bad),
			 -ENOENT);
	assert_true(log_capture_contains("no CPU with APIC ID 6 (one uhv started for the guest)"));
	mem_free();
}

static void test_s5(void **state)
{
	static const u8 pkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x07, 0x0a,
				  0x05, 0x00, 0x00 };
	static const u8 rooted[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x01, 0x00,
				     0x00, 0x00 };
	static const u8 method[] = { 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00, 0x00 };
	u8 t[ACPI_SDT_HEADER_SIZE + 32];
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)t;
	u8 a, b;

	memset(t, 0, sizeof(t));
	memcpy(h->signature, "DSDT", 4);
	h->length = ACPI_SDT_HEADER_SIZE + sizeof(pkg);
	memcpy(t + ACPI_SDT_HEADER_SIZE, pkg, sizeof(pkg));
	assert_int_equal(acpi_dsdt_s5(h, &a, &b), 0);
	assert_int_equal(a, 7);
	assert_int_equal(b, 5);

	h->length = ACPI_SDT_HEADER_SIZE + sizeof(rooted);
	memcpy(t + ACPI_SDT_HEADER_SIZE, rooted, sizeof(rooted));
	assert_int_equal(acpi_dsdt_s5(h, &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 0);

	h->length = ACPI_SDT_HEADER_SIZE + sizeof(method);
	memcpy(t + ACPI_SDT_HEADER_SIZE, method, sizeof(method));
	assert_int_equal(acpi_dsdt_s5(h, &a, &b), -ENOENT);
	assert_int_equal(acpi_dsdt_s5(NULL, &a, &b), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q35_seabios_iommu),
		cmocka_unit_test(test_q35_ovmf_iommu_xsdt),
		cmocka_unit_test(test_bochs),
		cmocka_unit_test(test_q35_fadt_pm1),
		cmocka_unit_test(test_madt_one_cpu),
		cmocka_unit_test(test_madt_some_cpus),
		cmocka_unit_test(test_s5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
