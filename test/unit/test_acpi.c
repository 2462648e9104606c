// UNIT-SOURCES: acpi/acpi.c acpi/madt.c acpi/mcfg.c acpi/hpet.c acpi/fadt.c
/* ACPI discovery on tables captured from QEMU q35 (SeaBIOS, OVMF, with and without intel-iommu)
 * and Bochs (scripts/capture-acpi.sh), plus hand-corrupted copies. Each table is served at the
 * physical address the firmware gave it (test/data/acpi/<platform>/index.txt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/acpi.h>
#include <uhv/errno.h>
#include "log_capture.h"
#include "files.h"

#define MAX_BLOBS 32

struct blob {
	paddr_t pa;
	size_t len;
	u8 *data;
	char name[32];
};

struct mem {
	unsigned n;
	struct blob b[MAX_BLOBS];
	unsigned maps;
};


static void mem_load(struct mem *m, const char *platform)
{
	char path[256], line[256];
	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "test/data/acpi/%s/index.txt", platform);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run the test from the repository root)", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long pa;
		size_t len;
		char name[32];
		if (line[0] == '#' || sscanf(line, "%llx %zu %31s", &pa, &len, name) != 3)
			continue;
		assert_true(m->n < MAX_BLOBS);
		struct blob *b = &m->b[m->n++];
		snprintf(path, sizeof(path), "test/data/acpi/%s/%s", platform, name);
		size_t flen;
		b->data = test_read_file(path, &flen);
		assert_non_null(b->data);
		assert_int_equal(flen, len);
		b->pa = pa;
		b->len = len;
		snprintf(b->name, sizeof(b->name), "%s", name);
	}
	fclose(f);
}

static void mem_free(struct mem *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->b[i].data);
	m->n = 0;
}

static struct blob *mem_blob(struct mem *m, const char *name)
{
	for (unsigned i = 0; i < m->n; i++)
		if (strcmp(m->b[i].name, name) == 0)
			return &m->b[i];
	fail_msg("no %s in the captured data", name);
	return NULL;
}

static const void *mem_map(void *ctx, paddr_t pa, size_t len)
{
	struct mem *m = ctx;
	m->maps++;
	for (unsigned i = 0; i < m->n; i++) {
		struct blob *b = &m->b[i];
		if (pa >= b->pa && pa + len <= b->pa + b->len)
			return b->data + (pa - b->pa);
	}
	return NULL;
}

static void fix_checksum(u8 *p, size_t len, size_t csum_off)
{
	p[csum_off] = 0;
	p[csum_off] = (u8)-acpi_checksum(p, len);
}

static int init_platform(struct acpi *a, struct mem *m, const char *platform, const char *rsdp)
{
	mem_load(m, platform);
	struct blob *r = mem_blob(m, rsdp);
	log_capture_reset();
	return acpi_init(a, r->data, r->len, mem_map, m);
}

static struct acpi acpi;
static struct acpi_madt_info madt;
static struct mem mem;

static void check_q35_madt(const struct acpi *a)
{
	int n = acpi_madt_parse(acpi_find_table(a, "APIC", 0), &madt);
	assert_int_equal(n, 1);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(madt.cpus[0].apic_id, 0);
	assert_true(madt.cpus[0].enabled);
	assert_false(madt.cpus[0].x2apic);
	assert_int_equal(madt.lapic_address, 0xfee00000);
	assert_true(madt.flags & ACPI_MADT_PCAT_COMPAT);
	assert_int_equal(madt.nioapics, 1);
	assert_int_equal(madt.ioapics[0].id, 0);
	assert_int_equal(madt.ioapics[0].address, 0xfec00000);
	assert_int_equal(madt.ioapics[0].gsi_base, 0);
	assert_int_equal(madt.nisos, 5);
	static const u8 src[] = { 0, 5, 9, 10, 11 };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(madt.isos[i].bus, 0);
		assert_int_equal(madt.isos[i].source, src[i]);
	}
	u16 flags;
	assert_int_equal(acpi_isa_irq_to_gsi(&madt, 0, &flags), 2);
	assert_int_equal(acpi_isa_irq_to_gsi(&madt, 9, &flags), 9);
	assert_int_equal(flags & ACPI_MPS_TRIGGER_MASK, ACPI_MPS_TRIGGER_LEVEL);
	assert_int_equal(flags & ACPI_MPS_POLARITY_MASK, ACPI_MPS_POLARITY_HIGH);
	assert_int_equal(acpi_isa_irq_to_gsi(&madt, 4, &flags), 4);
	assert_int_equal(flags, 0);
	/* QEMU: LINT1 is NMI on all processors */
	assert_int_equal(madt.nnmis, 1);
	assert_true(madt.nmis[0].lapic);
	assert_int_equal(madt.nmis[0].acpi_uid, 0xffffffff);
	assert_int_equal(madt.nmis[0].lint, 1);
	assert_int_equal(madt.overflow, 0);

	log_capture_reset();
	acpi_madt_print(&madt);
	assert_true(log_capture_contains(
		"MADT: 1 CPU (APIC id 0), IOAPIC id 0 @ 0xfec00000 GSI base 0, 5 overrides"));
	madt.ioapics[0].gsi_count = 24;	/* as the IOAPIC driver sets it */
	log_capture_reset();
	acpi_madt_print(&madt);
	assert_true(log_capture_contains(
		"MADT: 1 CPU (APIC id 0), IOAPIC id 0 @ 0xfec00000 GSI 0-23, 5 overrides"));
}

static void check_q35_mcfg_hpet(const struct acpi *a)
{
	struct acpi_mcfg_info mcfg;
	assert_int_equal(acpi_mcfg_parse(acpi_find_table(a, "MCFG", 0), &mcfg), 1);
	assert_int_equal(mcfg.ecam[0].base, 0xb0000000);
	assert_int_equal(mcfg.ecam[0].segment, 0);
	assert_int_equal(mcfg.ecam[0].bus_start, 0);
	assert_int_equal(mcfg.ecam[0].bus_end, 255);
	log_capture_reset();
	acpi_mcfg_print(&mcfg);
	assert_true(log_capture_contains("MCFG: ECAM 0xb0000000 seg 0 bus 0-255"));

	struct acpi_hpet_info hpet;
	assert_int_equal(acpi_hpet_parse(acpi_find_table(a, "HPET", 0), &hpet), 0);
	assert_int_equal(hpet.address, 0xfed00000);
}

static void test_q35_seabios(void **state)
{
	int n = init_platform(&acpi, &mem, "q35-seabios", "rsdp.bin");
	/* RSDT + FACP APIC HPET MCFG WAET + DSDT */
	assert_int_equal(n, 7);
	assert_false(acpi.xsdt);
	assert_int_equal(acpi.rsdp_revision, 0);
	assert_string_equal(acpi.oem_id, "BOCHS ");
	assert_int_equal(acpi.root_pa, mem_blob(&mem, "RSDT.bin")->pa);
	assert_false(log_capture_contains("warning"));
	assert_false(log_capture_contains("ERROR"));
	for (const char *const *s = (const char *const[]){ "RSDT", "FACP", "APIC", "HPET", "MCFG",
							    "WAET", "DSDT", NULL }; *s; s++)
		assert_non_null(acpi_find_table(&acpi, *s, 0));
	assert_null(acpi_find_table(&acpi, "DMAR", 0));
	assert_null(acpi_find_table(&acpi, "XSDT", 0));
	assert_null(acpi_find_table(&acpi, "APIC", 1));
	for (unsigned i = 0; i < acpi.count; i++)
		assert_true(acpi.tables[i].checksum_ok);
	assert_int_equal(acpi_find_table(&acpi, "DSDT", 0)->length, 8293);

	check_q35_madt(&acpi);
	check_q35_mcfg_hpet(&acpi);

	struct acpi_fadt_info fadt;
	assert_int_equal(acpi_fadt_parse(acpi_find_table(&acpi, "FACP", 0), &fadt), 0);
	assert_int_equal(fadt.sci_irq, 9);
	assert_int_equal(fadt.pm_timer_port, 0x608);
	assert_true(fadt.reset_supported);
	assert_int_equal(fadt.reset_reg.space_id, ACPI_GAS_IO);
	assert_int_equal(fadt.reset_reg.address, 0xcf9);
	assert_int_equal(fadt.reset_value, 0x0f);
	assert_int_equal(fadt.dsdt, mem_blob(&mem, "DSDT.bin")->pa);
	/* the blocks the port policy passes or filters (ICH9 PMBASE 0x600) */
	assert_int_equal(fadt.pm1a_evt_port, 0x600);
	assert_int_equal(fadt.pm1_evt_len, 4);
	assert_int_equal(fadt.pm1b_evt_port, 0);
	assert_int_equal(fadt.pm1a_cnt_port, 0x604);
	assert_int_equal(fadt.gpe0_port, 0x620);
	assert_int_equal(fadt.gpe0_len, 16);
	assert_int_equal(fadt.gpe1_port, 0);
	assert_int_equal(fadt.gpe1_len, 0);
	assert_int_equal(fadt.smi_cmd, 0xb2);
	assert_int_equal(fadt.acpi_enable, 0x02);
	assert_int_equal(fadt.acpi_disable, 0x03);

	log_capture_reset();
	acpi_print_tables(&acpi);
	assert_true(log_capture_contains("RSDP rev 0 OEM 'BOCHS ', RSDT at 0xffe22ad, 7 tables"));
	assert_true(log_capture_contains(
		"  APIC 0x0ffe2199 len    120 rev 1 OEM 'BOCHS ' 'BXPC    ' checksum ok"));
	mem_free(&mem);
}

static void test_q35_ovmf_xsdt(void **state)
{
	int n = init_platform(&acpi, &mem, "q35-ovmf-iommu", "rsdp.bin");
	/* XSDT + FACP APIC HPET MCFG DMAR WAET BGRT + DSDT */
	assert_int_equal(n, 9);
	assert_true(acpi.xsdt);
	assert_int_equal(acpi.rsdp_revision, 2);
	assert_int_equal(acpi.root_pa, mem_blob(&mem, "XSDT.bin")->pa);
	assert_non_null(acpi_find_table(&acpi, "XSDT", 0));
	assert_null(acpi_find_table(&acpi, "RSDT", 0));
	assert_non_null(acpi_find_table(&acpi, "BGRT", 0));
	assert_non_null(acpi_find_table(&acpi, "DMAR", 0));
	assert_non_null(acpi_find_table(&acpi, "DSDT", 0));
	assert_false(log_capture_contains("warning"));
	check_q35_madt(&acpi);
	check_q35_mcfg_hpet(&acpi);
	mem_free(&mem);

	/* The rev-0 RSDP that OVMF keeps next to it (multiboot2 tag 14) leads to the RSDT. */
	n = init_platform(&acpi, &mem, "q35-ovmf-iommu", "rsdp-v1.bin");
	assert_int_equal(n, 9);
	assert_false(acpi.xsdt);
	assert_int_equal(acpi.root_pa, mem_blob(&mem, "RSDT.1.bin")->pa);
	assert_non_null(acpi_find_table(&acpi, "DMAR", 0));
	mem_free(&mem);
}

static void test_q35_iommu_dmar(void **state)
{
	static const char *const platforms[] = { "q35-seabios-iommu", "q35-seabios-iommu-rp" };
	for (unsigned i = 0; i < 2; i++) {
		int n = init_platform(&acpi, &mem, platforms[i], "rsdp.bin");
		assert_int_equal(n, 8);
		const struct acpi_sdt_header *dmar = acpi_find_table(&acpi, ACPI_SIG_DMAR, 0);
		assert_non_null(dmar);
		assert_memory_equal(dmar->signature, "DMAR", 4);
		assert_int_equal(dmar->length, mem_blob(&mem, "DMAR.bin")->len);
		assert_ptr_equal(dmar, mem_blob(&mem, "DMAR.bin")->data);
		assert_int_equal(acpi_checksum(dmar, dmar->length), 0);
		check_q35_madt(&acpi);
		mem_free(&mem);
	}
}

static void test_bochs(void **state)
{
	int n = init_platform(&acpi, &mem, "bochs-i440fx", "rsdp.bin");
	/* RSDT + FACP APIC SSDT HPET + DSDT */
	assert_int_equal(n, 6);
	assert_false(acpi.xsdt);
	assert_null(acpi_find_table(&acpi, "MCFG", 0));
	assert_null(acpi_find_table(&acpi, "DMAR", 0));
	assert_non_null(acpi_find_table(&acpi, "SSDT", 0));

	assert_int_equal(acpi_madt_parse(acpi_find_table(&acpi, "APIC", 0), &madt), 1);
	assert_int_equal(madt.cpus[0].apic_id, 0);
	assert_int_equal(madt.nioapics, 1);
	assert_int_equal(madt.ioapics[0].id, 1);
	assert_int_equal(madt.ioapics[0].address, 0xfec00000);
	assert_int_equal(madt.nisos, 1);
	assert_int_equal(acpi_isa_irq_to_gsi(&madt, 0, NULL), 2);
	assert_int_equal(madt.nnmis, 0);

	struct acpi_mcfg_info mcfg;
	log_capture_reset();
	assert_int_equal(acpi_mcfg_parse(acpi_find_table(&acpi, "MCFG", 0), &mcfg), -ENOENT);
	assert_int_equal(mcfg.count, 0);
	assert_true(log_capture_contains("no MCFG"));

	struct acpi_fadt_info fadt;
	assert_int_equal(acpi_fadt_parse(acpi_find_table(&acpi, "FACP", 0), &fadt), 0);
	assert_int_equal(fadt.revision, 1);
	assert_false(fadt.reset_supported);
	assert_int_equal(fadt.boot_arch, 0);

	struct acpi_hpet_info hpet;
	assert_int_equal(acpi_hpet_parse(acpi_find_table(&acpi, "HPET", 0), &hpet), 0);
	assert_int_equal(hpet.address, 0xfed00000);
	mem_free(&mem);
}

static void test_bad_rsdp(void **state)
{
	mem_load(&mem, "q35-seabios");
	struct blob *r = mem_blob(&mem, "rsdp.bin");

	log_capture_reset();
	r->data[12] ^= 0x01;	/* inside the OEM ID */
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), -EINVAL);
	assert_true(log_capture_contains("RSDP checksum is bad"));
	assert_int_equal(acpi.count, 0);
	assert_null(acpi_find_table(&acpi, "APIC", 0));
	r->data[12] ^= 0x01;

	log_capture_reset();
	r->data[0] = 'X';
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), -EINVAL);
	assert_true(log_capture_contains("signature"));
	r->data[0] = 'R';

	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, 8, mem_map, &mem), -EINVAL);
	assert_int_equal(acpi_init(&acpi, NULL, 0, mem_map, &mem), -EINVAL);
	assert_true(log_capture_contains("no RSDP"));

	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 7);
	mem_free(&mem);
}

static void test_bad_rsdp_v2_falls_back(void **state)
{
	mem_load(&mem, "q35-ovmf-iommu");
	struct blob *r = mem_blob(&mem, "rsdp.bin");

	r->data[33] ^= 0xff;	/* reserved byte: breaks only the extended checksum */
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 9);
	assert_false(acpi.xsdt);
	assert_true(log_capture_contains("extended checksum is bad"));
	r->data[33] ^= 0xff;

	/* A copy shorter than the RSDP claims (e.g. a truncated multiboot2 tag) */
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, 24, mem_map, &mem), 9);
	assert_false(acpi.xsdt);
	assert_true(log_capture_contains("using the RSDT"));
	mem_free(&mem);
}

static void test_bad_table_checksum(void **state)
{
	mem_load(&mem, "q35-seabios");
	struct blob *r = mem_blob(&mem, "rsdp.bin");
	struct blob *apic = mem_blob(&mem, "APIC.bin");

	apic->data[9] += 1;	/* the checksum byte */
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 7);
	assert_true(log_capture_contains(
		"uhv acpi: warning: table APIC at 0xffe2199 has a bad checksum"));
	/* still usable */
	assert_int_equal(acpi_madt_parse(acpi_find_table(&acpi, "APIC", 0), &madt), 1);
	assert_int_equal(madt.nisos, 5);
	log_capture_reset();
	acpi_print_tables(&acpi);
	assert_true(log_capture_contains("  APIC 0x0ffe2199 len    120 rev 1"));
	assert_true(log_capture_contains("checksum BAD"));
	mem_free(&mem);
}

static void test_absurd_table_length(void **state)
{
	mem_load(&mem, "q35-seabios");
	struct blob *r = mem_blob(&mem, "rsdp.bin");
	struct blob *hpet = mem_blob(&mem, "HPET.bin");

	u32 len = 0x7fffffff;
	memcpy(hpet->data + 4, &len, 4);
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 6);
	assert_null(acpi_find_table(&acpi, "HPET", 0));
	assert_non_null(acpi_find_table(&acpi, "MCFG", 0));
	assert_true(log_capture_contains("'HPET' (RSDT) at 0xffe2211 has an absurd length"));

	/* Longer than what is mapped: unusable, reported */
	len = 4096;
	memcpy(hpet->data + 4, &len, 4);
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 6);
	assert_true(log_capture_contains("cannot be mapped"));
	mem_free(&mem);
}

static void test_truncated_xsdt(void **state)
{
	mem_load(&mem, "q35-ovmf-iommu");
	struct blob *r = mem_blob(&mem, "rsdp.bin");
	struct blob *x = mem_blob(&mem, "XSDT.bin");

	/* The length field cuts the table inside the 4th entry: 3 whole entries remain. */
	u32 len = 36 + 3 * 8 + 4;
	memcpy(x->data + 4, &len, 4);
	fix_checksum(x->data, len, 9);
	log_capture_reset();
	/* XSDT + FACP APIC HPET + DSDT */
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 5);
	assert_true(acpi.xsdt);
	assert_true(log_capture_contains("XSDT length 64 is not 36 + a multiple of 8"));
	assert_non_null(acpi_find_table(&acpi, "HPET", 0));
	assert_null(acpi_find_table(&acpi, "MCFG", 0));
	mem_free(&mem);

	/* The XSDT lies beyond what is mapped: fall back to the RSDT. */
	mem_load(&mem, "q35-ovmf-iommu");
	r = mem_blob(&mem, "rsdp.bin");
	x = mem_blob(&mem, "XSDT.bin");
	x->len = 40;
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), 9);
	assert_false(acpi.xsdt);
	assert_true(log_capture_contains("XSDT unusable; falling back to the RSDT"));
	assert_non_null(acpi_find_table(&acpi, "DMAR", 0));
	mem_free(&mem);

	/* XSDT header too short to be a table and no RSDT either: error */
	mem_load(&mem, "q35-ovmf-iommu");
	r = mem_blob(&mem, "rsdp.bin");
	x = mem_blob(&mem, "XSDT.bin");
	len = 20;
	memcpy(x->data + 4, &len, 4);
	memset(r->data + 16, 0, 4);		/* RSDT address */
	fix_checksum(r->data, 20, 8);
	fix_checksum(r->data, 36, 32);
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, r->data, r->len, mem_map, &mem), -EINVAL);
	assert_true(log_capture_contains("absurd length 20"));
	assert_true(log_capture_contains("no usable RSDT/XSDT"));
	mem_free(&mem);
}

static void test_scan_rsdp(void **state)
{
	mem_load(&mem, "q35-seabios");
	struct blob *r = mem_blob(&mem, "rsdp.bin");
	assert_int_equal(r->pa, 0xf59e0);
	/* Build the BIOS area around it, with a decoy that fails the checksum before it. */
	static u8 bios[0x20000];
	memset(bios, 0, sizeof(bios));
	memcpy(bios + 0x100, "RSD PTR ", 8);
	memcpy(bios + (r->pa - 0xe0000), r->data, r->len);
	struct blob *b = &mem.b[mem.n++];
	b->pa = 0xe0000;
	b->len = sizeof(bios);
	b->data = malloc(sizeof(bios));
	memcpy(b->data, bios, sizeof(bios));
	snprintf(b->name, sizeof(b->name), "bios");

	assert_int_equal(acpi_scan_rsdp(mem_map, &mem, 0xe0000, 0x100000), 0xf59e0);
	assert_int_equal(acpi_scan_rsdp(mem_map, &mem, 0xe0000, 0xf0000), 0);
	mem_free(&mem);
}

/* Synthetic MADT: x2APIC entries, disabled/online-capable CPUs, overflow, a malformed entry. */
static void test_madt_synthetic(void **state)
{
	static u8 buf[8192];
	size_t off = sizeof(struct acpi_madt);
	memset(buf, 0, sizeof(buf));
	struct acpi_madt *m = (void *)buf;
	memcpy(m->hdr.signature, "APIC", 4);
	m->lapic_address = 0xfee00000;

	for (unsigned i = 0; i < 300; i++) {
		struct acpi_madt_x2apic x = { .e = { ACPI_MADT_X2APIC, sizeof(x) },
					      .x2apic_id = 0x100 + i, .acpi_processor_uid = i,
					      .flags = i == 1 ? ACPI_MADT_CPU_ONLINE_CAPABLE :
						       i == 2 ? 0 : ACPI_MADT_CPU_ENABLED };
		memcpy(buf + off, &x, sizeof(x));
		off += sizeof(x);
	}
	struct acpi_madt_lapic_addr_override o = { .e = { ACPI_MADT_LAPIC_ADDR_OVERRIDE, 12 },
						   .address = 0x1fee00000ull };
	memcpy(buf + off, &o, sizeof(o));
	off += sizeof(o);
	struct acpi_madt_x2apic_nmi xn = { .e = { ACPI_MADT_X2APIC_NMI, 12 }, .flags = 5,
					   .acpi_processor_uid = 7, .lint = 1 };
	memcpy(buf + off, &xn, sizeof(xn));
	off += sizeof(xn);
	struct acpi_madt_nmi_source ns = { .e = { ACPI_MADT_NMI_SOURCE, 8 }, .gsi = 3 };
	memcpy(buf + off, &ns, sizeof(ns));
	off += sizeof(ns);
	buf[off++] = 0x0b;	/* GICC: not x86, skipped */
	buf[off++] = 4;
	off += 2;
	buf[off++] = ACPI_MADT_IOAPIC;	/* too short for an IOAPIC entry */
	buf[off++] = 4;
	off += 2;
	buf[off++] = ACPI_MADT_ISO;	/* length 0: malformed, ends the walk */
	buf[off++] = 0;
	off += 8;
	m->hdr.length = off;

	log_capture_reset();
	/* 299 CPUs do not fit: fail closed (the CPUs not recorded would stay outside uhv) */
	assert_int_equal(acpi_madt_parse(&m->hdr, &madt), -ENOSPC);
	assert_int_equal(madt.ncpus, ACPI_MAX_CPUS);
	assert_int_equal(madt.overflow, 300 - 1 - ACPI_MAX_CPUS);	/* i == 2 is no CPU */
	assert_true(madt.cpus[0].x2apic);
	assert_int_equal(madt.cpus[0].apic_id, 0x100);
	assert_true(madt.cpus[1].online_capable);
	assert_false(madt.cpus[1].enabled);
	assert_int_equal(madt.cpus[2].apic_id, 0x103);
	assert_int_equal(madt.lapic_address, 0x1fee00000ull);
	assert_int_equal(madt.nnmis, 2);
	assert_int_equal(madt.nmis[0].acpi_uid, 7);
	assert_false(madt.nmis[1].lapic);
	assert_int_equal(madt.nmis[1].gsi, 3);
	assert_int_equal(madt.nioapics, 0);
	assert_true(log_capture_contains("MADT: more than 256 CPUs, the table uhv keeps them in is "
					 "full; uhv will not start the guest (raise ACPI_MAX_CPUS"));
	assert_true(log_capture_contains("entry type 1 is 4 bytes, expected 12"));
	assert_true(log_capture_contains("malformed entry (type 2, length 0)"));

	log_capture_reset();
	acpi_madt_print(&madt);
	assert_true(log_capture_contains(
		"MADT: 255 CPUs (APIC ids 256,259,260,261,262,263,264,265,...) "
		"+ 1 online-capable"));
	assert_true(log_capture_contains("0 overrides, 2 NMI entries"));

	/* the same table with the CPUs that fit: no refusal, one CPU is only online-capable */
	m->hdr.length = sizeof(struct acpi_madt) + ACPI_MAX_CPUS * sizeof(struct acpi_madt_x2apic);
	log_capture_reset();
	assert_int_equal(acpi_madt_parse(&m->hdr, &madt), ACPI_MAX_CPUS - 2);
	assert_int_equal(madt.overflow, 0);
	assert_false(log_capture_contains("will not start"));

	assert_int_equal(acpi_madt_parse(NULL, &madt), -ENOENT);
	memcpy(m->hdr.signature, "APIX", 4);
	assert_int_equal(acpi_madt_parse(&m->hdr, &madt), -EINVAL);
}

static void test_mcfg_synthetic(void **state)
{
	static u8 buf[sizeof(struct acpi_mcfg) + 3 * 16 + 8];
	struct acpi_mcfg *m = (void *)buf;
	struct acpi_mcfg_entry e[3] = {
		{ .base = 0xe0000000, .segment = 0, .start_bus = 0, .end_bus = 0x3f },
		{ .base = 0xf0000000, .segment = 1, .start_bus = 0x80, .end_bus = 0x10 },
		{ .base = 0x4000000000ull, .segment = 1, .start_bus = 0x80, .end_bus = 0xff },
	};
	memset(buf, 0, sizeof(buf));
	memcpy(m->hdr.signature, "MCFG", 4);
	memcpy(buf + sizeof(*m), e, sizeof(e));
	m->hdr.length = sizeof(buf);
	struct acpi_mcfg_info info;
	log_capture_reset();
	assert_int_equal(acpi_mcfg_parse(&m->hdr, &info), 2);
	assert_int_equal(info.ecam[1].base, 0x4000000000ull);
	assert_int_equal(info.ecam[1].segment, 1);
	assert_int_equal(info.ecam[1].bus_start, 0x80);
	assert_true(log_capture_contains("partial entry"));
	assert_true(log_capture_contains("entry 1 (base 0xf0000000 bus 128-16) is invalid"));
	log_capture_reset();
	acpi_mcfg_print(&info);
	assert_true(log_capture_contains("MCFG: ECAM 0x4000000000 seg 1 bus 128-255"));
}

/* More ECAM windows than ACPI_MAX_ECAM: a window uhv does not know it cannot trap, so
 * acpi_mcfg_parse fails closed. */
static void test_mcfg_full(void **state)
{
	enum { N = ACPI_MAX_ECAM + 2 };
	static u8 buf[sizeof(struct acpi_mcfg) + N * sizeof(struct acpi_mcfg_entry)];
	struct acpi_mcfg *m = (void *)buf;
	struct acpi_mcfg_entry *e = (void *)(buf + sizeof(*m));
	struct acpi_mcfg_info info;

	memset(buf, 0, sizeof(buf));
	memcpy(m->hdr.signature, "MCFG", 4);
	for (unsigned i = 0; i < N; i++)
		e[i] = (struct acpi_mcfg_entry){ .base = 0xe0000000ull + ((u64)i << 28),
						 .segment = (u16)i, .end_bus = 0xff };
	m->hdr.length = sizeof(struct acpi_mcfg) + ACPI_MAX_ECAM * sizeof(*e);
	log_capture_reset();
	assert_int_equal(acpi_mcfg_parse(&m->hdr, &info), ACPI_MAX_ECAM);	/* exactly full */
	assert_false(log_capture_contains("will not start"));
	m->hdr.length = sizeof(buf);
	log_capture_reset();
	assert_int_equal(acpi_mcfg_parse(&m->hdr, &info), -ENOSPC);
	assert_int_equal(info.count, ACPI_MAX_ECAM);
	assert_int_equal(info.overflow, 2);
	assert_true(log_capture_contains("MCFG: more than 16 ECAM windows, the table uhv keeps them "
					 "in is full (entry 16 and later ones not recorded); uhv "
					 "will not start the guest (raise ACPI_MAX_ECAM"));
}

/* More tables than ACPI_MAX_TABLES in the RSDT: a DMAR or MCFG uhv did not record would leave
 * DMA unconfined or config space untrapped, so acpi_init fails closed. */
static void test_too_many_tables(void **state)
{
	enum { N = ACPI_MAX_TABLES + 6, BASE = 0x100000, ROOT = 0x100, TABLES = 0x1000 };
	size_t size = TABLES + N * ACPI_SDT_HEADER_SIZE;
	u8 *buf = calloc(1, size);
	struct acpi_rsdp *r = (void *)buf;
	struct acpi_sdt_header *rsdt = (void *)(buf + ROOT);
	u32 *entry = (u32 *)(buf + ROOT + ACPI_SDT_HEADER_SIZE);

	assert_non_null(buf);
	memcpy(r->signature, "RSD PTR ", 8);
	r->rsdt_address = BASE + ROOT;
	fix_checksum(buf, 20, 8);
	memcpy(rsdt->signature, "RSDT", 4);
	rsdt->length = ACPI_SDT_HEADER_SIZE + 4 * N;
	for (unsigned i = 0; i < N; i++) {
		u8 *t = buf + TABLES + i * ACPI_SDT_HEADER_SIZE;
		struct acpi_sdt_header *h = (void *)t;

		memcpy(h->signature, "SSDT", 4);
		h->length = ACPI_SDT_HEADER_SIZE;
		h->oem_revision = i;
		fix_checksum(t, ACPI_SDT_HEADER_SIZE, 9);
		entry[i] = BASE + TABLES + i * ACPI_SDT_HEADER_SIZE;
	}
	fix_checksum(buf + ROOT, rsdt->length, 9);
	mem = (struct mem){ .n = 1 };
	mem.b[0] = (struct blob){ .pa = BASE, .len = size, .data = buf };

	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, buf, 20, mem_map, &mem), -ENOSPC);
	assert_int_equal(acpi.count, ACPI_MAX_TABLES);
	assert_int_equal(acpi.dropped, N + 1 - ACPI_MAX_TABLES);	/* the RSDT is listed too */
	assert_true(log_capture_contains("more than 64 ACPI tables, uhv's table list is full: "
					 "ignoring SSDT at 0x1018dc and later ones; uhv will not "
					 "start the guest (raise ACPI_MAX_TABLES"));
	/* exactly full (the RSDT and 63 tables): no refusal */
	rsdt->length = ACPI_SDT_HEADER_SIZE + 4 * (ACPI_MAX_TABLES - 1);
	fix_checksum(buf + ROOT, rsdt->length, 9);
	log_capture_reset();
	assert_int_equal(acpi_init(&acpi, buf, 20, mem_map, &mem), ACPI_MAX_TABLES);
	assert_false(log_capture_contains("will not start"));
	mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q35_seabios),
		cmocka_unit_test(test_q35_ovmf_xsdt),
		cmocka_unit_test(test_q35_iommu_dmar),
		cmocka_unit_test(test_bochs),
		cmocka_unit_test(test_bad_rsdp),
		cmocka_unit_test(test_bad_rsdp_v2_falls_back),
		cmocka_unit_test(test_bad_table_checksum),
		cmocka_unit_test(test_absurd_table_length),
		cmocka_unit_test(test_truncated_xsdt),
		cmocka_unit_test(test_scan_rsdp),
		cmocka_unit_test(test_madt_synthetic),
		cmocka_unit_test(test_mcfg_synthetic),
		cmocka_unit_test(test_mcfg_full),
		cmocka_unit_test(test_too_many_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
