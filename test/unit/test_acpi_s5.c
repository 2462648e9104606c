// UNIT-SOURCES: vplatform/acpi_view.c acpi/acpi.c acpi/madt.c acpi/fadt.c
/* The \_S5 reader (acpi_dsdt_s5) that both the guest's power-off (vplatform/power.c) and the real
 * machine's (arch/machine_end.c, issue 17 item 7) rely on: the DSDTs captured from QEMU q35
 * under SeaBIOS and OVMF and from Bochs (test/data/acpi), and AML byte strings in the forms real
 * firmware uses (Intel PCH: SLP_TYP 7 as BytePrefix; a two-byte PkgLength; a reference to _S5_
 * that is not its definition). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/acpi.h>
#include <uhv/errno.h>
#include "files.h"

static void firmware_dsdt(const char *dir)
{
	char path[128];
	size_t len;
	u8 a = 9, b = 9;

	snprintf(path, sizeof(path), "test/data/acpi/%s/DSDT.bin", dir);
	u8 *t = test_read_file(path, &len);
	assert_non_null(t);
	assert_int_equal(((struct acpi_sdt_header *)t)->length, len);
	/* QEMU's DSDT (both firmwares install the same): Name (_S5, Package (4) { 0, 0, 0, 0 }) */
	assert_int_equal(acpi_dsdt_s5((struct acpi_sdt_header *)t, &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 0);
	/* the same table cut just before the package: no \_S5 to trust */
	size_t at = 0;
	while (at + 4 <= len && memcmp(t + at, "_S5_", 4))
		at++;
	assert_true(at + 4 <= len);
	((struct acpi_sdt_header *)t)->length = (u32)at + 5;
	assert_int_equal(acpi_dsdt_s5((struct acpi_sdt_header *)t, &a, &b), -ENOENT);
	free(t);
}

static void test_firmware_dsdts(void **state)
{
	firmware_dsdt("q35-seabios");
	firmware_dsdt("q35-ovmf-iommu");
	firmware_dsdt("bochs-i440fx");
}

static int dsdt_of(u8 *t, size_t cap, const u8 *aml, size_t n, u8 *a, u8 *b)
{
	struct acpi_sdt_header *h = (struct acpi_sdt_header *)t;

	assert_true(ACPI_SDT_HEADER_SIZE + n <= cap);
	memset(t, 0, cap);
	memcpy(h->signature, "DSDT", 4);
	h->length = (u32)(ACPI_SDT_HEADER_SIZE + n);
	memcpy(t + ACPI_SDT_HEADER_SIZE, aml, n);
	return acpi_dsdt_s5(h, a, b);
}

static void test_aml_forms(void **state)
{
	/* Intel PCH firmware: Name (_S5, Package (4) { 0x07, Zero, Zero, Zero }) */
	static const u8 pch[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x07, 0x00,
				  0x00, 0x00 };
	/* a two-byte PkgLength (lead byte 0x4N) */
	static const u8 long_pkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x04, 0x0a,
				       0x05, 0x0a, 0x06, 0x00, 0x00 };
	/* Return (\_S5_) in a method first, then the definition */
	static const u8 ref_first[] = { 0xa4, '\\', '_', 'S', '5', '_', 0x08, '_', 'S', '5', '_',
					0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00 };
	/* only a method named _S5_: nothing to read */
	static const u8 method[] = { 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x0a, 0x07 };
	u8 t[ACPI_SDT_HEADER_SIZE + 64], a, b;

	assert_int_equal(dsdt_of(t, sizeof(t), pch, sizeof(pch), &a, &b), 0);
	assert_int_equal(a, 7);
	assert_int_equal(b, 0);
	assert_int_equal(dsdt_of(t, sizeof(t), long_pkg, sizeof(long_pkg), &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 6);
	assert_int_equal(dsdt_of(t, sizeof(t), ref_first, sizeof(ref_first), &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
	assert_int_equal(dsdt_of(t, sizeof(t), method, sizeof(method), &a, &b), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_dsdts),
		cmocka_unit_test(test_aml_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
