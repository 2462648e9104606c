// UNIT-SOURCES: acpi/spcr.c
/* The SPCR parser on hand-built tables: I/O and MMIO 16550s, register width and access size,
 * the baud rate codes, the PCI fields, and what it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/acpi.h>
#include <uhv/hw/acpi_tables.h>
#include <uhv/errno.h>
#include "log_capture.h"

static struct acpi_spcr T;
static struct acpi_spcr_info I;

static int reset(void **state)
{
	log_capture_reset();
	memset(&T, 0, sizeof(T));
	memcpy(T.hdr.signature, "SPCR", 4);
	T.hdr.length = ACPI_SPCR_MIN_SIZE;
	T.hdr.revision = 2;
	T.base_address = (struct acpi_gas){ .space_id = ACPI_GAS_IO, .bit_width = 8,
					    .access_size = 1, .address = 0x2f8 };
	T.baud_rate = 7;
	T.pci_device_id = 0xffff;
	T.pci_vendor_id = 0xffff;
	return 0;
}

static void test_io_16550(void **state)
{
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), 0);
	assert_false(I.mmio);
	assert_int_equal(I.address, 0x2f8);
	assert_int_equal(I.access_bytes, 1);
	assert_int_equal(I.shift, 0);
	assert_int_equal(I.baud, 115200);
	assert_false(I.pci);
}

static void test_mmio32_lpss(void **state)
{
	T.interface_type = ACPI_DBG2_16550_GAS;
	T.base_address = (struct acpi_gas){ .space_id = ACPI_GAS_MEMORY, .bit_width = 32,
					    .access_size = 3, .address = 0xfe032000 };
	T.baud_rate = 0;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), 0);
	assert_true(I.mmio);
	assert_int_equal(I.address, 0xfe032000);
	assert_int_equal(I.access_bytes, 4);
	assert_int_equal(I.shift, 2);
	assert_int_equal(I.baud, 0);	/* as the firmware left it */
}

static void test_mmio8_undefined_access(void **state)
{
	T.base_address = (struct acpi_gas){ .space_id = ACPI_GAS_MEMORY, .bit_width = 8,
					    .address = 0xfebf1000 };
	T.baud_rate = 3;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), 0);
	assert_int_equal(I.access_bytes, 1);
	assert_int_equal(I.shift, 0);
	assert_int_equal(I.baud, 9600);
}

static void test_pci_fields(void **state)
{
	T.pci_device_id = 0x0002;
	T.pci_vendor_id = 0x1b36;
	T.pci_bus = 3;
	T.pci_device = 0x1c;
	T.pci_function = 5;
	T.pci_segment = 1;
	T.baud_rate = 6;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), 0);
	assert_true(I.pci);
	assert_int_equal(I.pci_seg, 1);
	assert_int_equal(I.pci_bus, 3);
	assert_int_equal(I.pci_dev, 0x1c);
	assert_int_equal(I.pci_fn, 5);
	assert_int_equal(I.baud, 57600);
}

static void test_refusals(void **state)
{
	assert_int_equal(acpi_spcr_parse(NULL, &I), -ENOENT);
	T.hdr.length = 60;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EINVAL);
	assert_true(log_capture_contains("too short (60 bytes)"));
	reset(state);
	T.interface_type = 3;	/* ARM PL011 */
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EOPNOTSUPP);
	assert_true(log_capture_contains("interface type 0x3 is not a 16550"));
	reset(state);
	T.base_address.space_id = ACPI_GAS_PCI_CFG;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EINVAL);
	reset(state);
	T.base_address.address = 0;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EINVAL);
	reset(state);
	T.base_address.bit_width = 16;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EOPNOTSUPP);
	reset(state);
	T.base_address.access_size = 2;
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EOPNOTSUPP);
	reset(state);
	T.base_address.bit_width = 32;	/* dword registers on I/O ports: not a thing uhv drives */
	assert_int_equal(acpi_spcr_parse(&T.hdr, &I), -EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_io_16550, reset),
		cmocka_unit_test_setup(test_mmio32_lpss, reset),
		cmocka_unit_test_setup(test_mmio8_undefined_access, reset),
		cmocka_unit_test_setup(test_pci_fields, reset),
		cmocka_unit_test_setup(test_refusals, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
