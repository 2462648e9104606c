// UNIT-SOURCES: acpi/spcr.c acpi/dbg2.c
/* The SPCR and DBG2 parsers on hand-built tables: I/O and MMIO 16550s, register width and access
 * size, the baud rate codes, the PCI fields, DBG2's device list, and what they refuse. */
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

/* DBG2: a USB debug port, then a 16550 with dword registers (as LPSS firmware describes it). */
static union {
	struct acpi_dbg2 t;
	u8 b[256];
} D;

static size_t dbg2_device(size_t off, u16 type, u16 subtype, const struct acpi_gas *g)
{
	struct acpi_dbg2_device d = { .length = sizeof(d) + sizeof(*g) + 4, .register_count = 1,
				      .port_type = type, .port_subtype = subtype,
				      .base_address_offset = sizeof(d),
				      .address_size_offset = sizeof(d) + sizeof(*g) };
	memcpy(D.b + off, &d, sizeof(d));
	memcpy(D.b + off + sizeof(d), g, sizeof(*g));
	D.t.info_count++;
	return off + d.length;
}

static void test_dbg2(void **state)
{
	struct acpi_gas usb = { .space_id = ACPI_GAS_MEMORY, .bit_width = 32, .address = 0xfe100000 };
	struct acpi_gas lpss = { .space_id = ACPI_GAS_MEMORY, .bit_width = 32, .access_size = 3,
				 .address = 0xfe034000 };

	memset(&D, 0, sizeof(D));
	memcpy(D.t.hdr.signature, "DBG2", 4);
	D.t.info_offset = sizeof(D.t);
	size_t end = dbg2_device(sizeof(D.t), 0x8001, 0, &usb);
	end = dbg2_device(end, ACPI_DBG2_PORT_SERIAL, ACPI_DBG2_16550_GAS, &lpss);
	D.t.hdr.length = (u32)end;
	assert_int_equal(acpi_dbg2_parse(&D.t.hdr, &I), 0);
	assert_true(I.mmio);
	assert_int_equal(I.address, 0xfe034000);
	assert_int_equal(I.access_bytes, 4);
	assert_int_equal(I.shift, 2);
	assert_int_equal(I.baud, 0);
	assert_int_equal(I.interface_type, ACPI_DBG2_16550_GAS);

	D.t.info_count = 1;	/* only the USB port */
	assert_int_equal(acpi_dbg2_parse(&D.t.hdr, &I), -ENODEV);
	D.t.info_count = 2;
	D.t.hdr.length = (u32)end - 4;	/* the 16550 runs past the table */
	assert_int_equal(acpi_dbg2_parse(&D.t.hdr, &I), -EINVAL);
	assert_true(log_capture_contains("DBG2: device 1 at offset"));
	assert_int_equal(acpi_dbg2_parse(NULL, &I), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_io_16550, reset),
		cmocka_unit_test_setup(test_mmio32_lpss, reset),
		cmocka_unit_test_setup(test_mmio8_undefined_access, reset),
		cmocka_unit_test_setup(test_pci_fields, reset),
		cmocka_unit_test_setup(test_refusals, reset),
		cmocka_unit_test_setup(test_dbg2, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
