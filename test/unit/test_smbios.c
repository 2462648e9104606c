// UNIT-SOURCES: acpi/smbios.c acpi/acpi.c
/* The SMBIOS entry point: found through a hand-built EFI system table and its configuration
 * tables (as OVMF hands them over) and by the F-segment scan; bad anchors and checksums are
 * refused. Memory is a 1 MiB array; "physical" addresses are offsets into it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/smbios.h>
#include <uhv/errno.h>
#include "log_capture.h"

static u8 mem[0x100000];

static const void *map(void *ctx, paddr_t pa, size_t len)
{
	return pa + len <= sizeof(mem) ? mem + pa : NULL;
}

static void put64(u8 *p, u64 v) { for (int i = 0; i < 8; i++) p[i] = (u8)(v >> (8 * i)); }
static void put32(u8 *p, u32 v) { for (int i = 0; i < 4; i++) p[i] = (u8)(v >> (8 * i)); }

/* csum: offset of the checksum byte (4 in "_SM_", 5 in "_SM3_") */
static void fix_sum(u8 *p, size_t n, size_t csum)
{
	u8 s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	p[csum] -= s;
}

static void ep2(paddr_t at, u32 table, u16 len)
{
	u8 *p = mem + at;
	memset(p, 0, 0x1f);
	memcpy(p, "_SM_", 4);
	p[5] = 0x1f;
	memcpy(p + 0x10, "_DMI_", 5);
	p[0x16] = (u8)len;
	p[0x17] = (u8)(len >> 8);
	put32(p + 0x18, table);
	fix_sum(p, 0x1f, 4);
}

static void ep3(paddr_t at, u64 table, u32 max)
{
	u8 *p = mem + at;
	memset(p, 0, 0x18);
	memcpy(p, "_SM3_", 5);
	p[6] = 0x18;
	put32(p + 0x0c, max);
	put64(p + 0x10, table);
	fix_sum(p, 0x18, 5);
}

static const u8 g2[16] = { 0x31, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
			   0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };
static const u8 g3[16] = { 0x44, 0x15, 0xfd, 0xf2, 0x94, 0x97, 0x2c, 0x4a,
			   0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 };
static const u8 gother[16] = { 1, 2, 3 };

/* system table at 0x1000, configuration tables at 0x2000 */
static void systab(const u8 *const *guids, const u64 *ptrs, unsigned n)
{
	memset(mem, 0, sizeof(mem));
	put64(mem + 0x1000, 0x5453595320494249ULL);
	put64(mem + 0x1000 + 104, n);
	put64(mem + 0x1000 + 112, 0x2000);
	for (unsigned i = 0; i < n; i++) {
		memcpy(mem + 0x2000 + 24 * i, guids[i], 16);
		put64(mem + 0x2000 + 24 * i + 16, ptrs[i]);
	}
}

static void test_efi_v2(void **state)
{
	const u8 *g[] = { gother, g2 };
	const u64 p[] = { 0x5000, 0x3000 };
	struct smbios_ep e;

	systab(g, p, 2);
	ep2(0x3000, 0x4000, 383);
	assert_int_equal(smbios_find_efi(map, NULL, 0x1000, &e), 0);
	assert_int_equal(e.source, SMBIOS_EFI);
	assert_false(e.v3);
	assert_int_equal(e.ep_pa, 0x3000);
	assert_int_equal(e.ep_len, 0x1f);
	assert_int_equal(e.table_pa, 0x4000);
	assert_int_equal(e.table_len, 383);
}

static void test_efi_prefers_v3(void **state)
{
	const u8 *g[] = { g2, g3 };
	const u64 p[] = { 0x3000, 0x3100 };
	struct smbios_ep e;

	systab(g, p, 2);
	ep2(0x3000, 0x4000, 383);
	ep3(0x3100, 0x123456789ULL, 0x2000);
	assert_int_equal(smbios_find_efi(map, NULL, 0x1000, &e), 0);
	assert_true(e.v3);
	assert_int_equal(e.ep_pa, 0x3100);
	assert_int_equal(e.table_pa, 0x123456789ULL);
	assert_int_equal(e.table_len, 0x2000);
	/* a broken 3.x entry point: the 2.x one is used */
	mem[0x3100 + 8] ^= 1;
	assert_int_equal(smbios_find_efi(map, NULL, 0x1000, &e), 0);
	assert_false(e.v3);
	assert_int_equal(e.ep_pa, 0x3000);
}

static void test_efi_bad(void **state)
{
	const u8 *g[] = { gother, g2 };
	const u64 p[] = { 0x5000, 0x3000 };
	struct smbios_ep e;

	systab(g, p, 1);
	assert_int_equal(smbios_find_efi(map, NULL, 0x1000, &e), -ENOENT);
	systab(g, p, 2);
	ep2(0x3000, 0x4000, 383);
	mem[0x3000 + 0x18] ^= 0x10;	/* checksum now wrong */
	log_capture_reset();
	assert_int_equal(smbios_find_efi(map, NULL, 0x1000, &e), -EINVAL);
	assert_true(log_capture_contains("bad anchor or checksum"));
	mem[0x1000] = 0;		/* no signature */
	log_capture_reset();
	assert_int_equal(smbios_find_efi(map, NULL, 0x1000, &e), -EINVAL);
	assert_true(log_capture_contains("no 'IBI SYST' signature"));
	assert_int_equal(smbios_find_efi(map, NULL, 0, &e), -EINVAL);
}

static void test_fseg_scan(void **state)
{
	struct smbios_ep e;

	memset(mem, 0, sizeof(mem));
	assert_int_equal(smbios_scan(map, NULL, 0xf0000, 0x100000, &e), -ENOENT);
	memcpy(mem + 0xf0010, "_SM_", 4);	/* an anchor without a valid entry point */
	ep3(0xf5a40, 0x7fff0000, 0x400);
	assert_int_equal(smbios_scan(map, NULL, 0xf0000, 0x100000, &e), 0);
	assert_int_equal(e.source, SMBIOS_FSEG);
	assert_int_equal(e.ep_pa, 0xf5a40);
	assert_true(e.v3);
	assert_int_equal(e.table_pa, 0x7fff0000);
}

/* Where uhv puts the copy in the guest's F segment: the first empty 16-byte boundary */
static void test_fseg_slot(void **state)
{
	static u8 page[4096];

	memset(page, 0, sizeof(page));
	assert_int_equal(smbios_fseg_slot(page, sizeof(page), 0x1f), 0);
	memset(page, 0x5a, 0x30);		/* something there: the next free boundary */
	assert_int_equal(smbios_fseg_slot(page, sizeof(page), 0x1f), 0x30);
	memset(page + 0x30, 0xff, 0x1f);	/* no memory there reads as all ones: free too */
	page[0x30 + 0x1e] = 0;			/* but not a mix (0x30 and 0x40 hold both) */
	assert_int_equal(smbios_fseg_slot(page, sizeof(page), 0x1f), 0x50);
	memset(page, 0x5a, sizeof(page));
	page[4096 - 0x10] = 0;
	assert_int_equal(smbios_fseg_slot(page, sizeof(page), 0x1f), -ENOSPC);
	memset(page + 4096 - 0x20, 0, 0x20);
	assert_int_equal(smbios_fseg_slot(page, sizeof(page), 0x1f), 4096 - 0x20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_efi_v2),
		cmocka_unit_test(test_efi_prefers_v3),
		cmocka_unit_test(test_efi_bad),
		cmocka_unit_test(test_fseg_scan),
		cmocka_unit_test(test_fseg_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
