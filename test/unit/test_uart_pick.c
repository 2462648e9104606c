// UNIT-SOURCES: drivers/uart_pick.c drivers/pci.c
/* Which PCI function and BAR console=pci and console=BB:DD.F take, and SPCR's UART as
 * registers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/uart_pick.h>
#include <uhv/errno.h>
#include "log_capture.h"

static struct pci P;
static struct pci_dev devs[8];	/* the table uhv grows in its pool (drivers/pci.c) */

static struct pci_dev *add(u8 bus, u8 dev, u8 cls, u8 sub, u8 pif)
{
	if (!P.devs) {
		P.devs = devs;
		P.cap = sizeof(devs) / sizeof(devs[0]);
	}
	assert_true(P.count < P.cap);
	struct pci_dev *d = &P.devs[P.count++];
	*d = (struct pci_dev){ .bus = bus, .dev = dev, .class = cls, .subclass = sub,
			       .prog_if = pif, .vendor = 0x1b36, .device = 2, .nbars = 6 };
	return d;
}

static void test_pci_first_and_bars(void **state)
{
	struct uart_regs r;
	unsigned bar;

	memset(&P, 0, sizeof(P));
	add(0, 1, 0x02, 0x00, 0);			/* Ethernet */
	add(0, 2, 0x07, 0x00, 0x00);			/* 8250, not a 16550 */
	struct pci_dev *mem = add(0, 3, 0x07, 0x00, 0x02);
	mem->bar[0] = (struct pci_bar){ .type = PCI_BAR_MEM64, .base = 0xfe000000, .size = 4096 };
	struct pci_dev *io = add(2, 0, 0x07, 0x00, 0x02);
	io->bar[1] = (struct pci_bar){ .type = PCI_BAR_IO, .base = 0xc0a0, .size = 8 };
	assert_ptr_equal(uart_pick_pci_first(&P), mem);
	assert_int_equal(uart_pick_pci_bar(mem, &r, &bar), 0);
	assert_int_equal(r.access, UART_ACCESS_MMIO8);
	assert_int_equal(r.base, 0xfe000000);
	assert_int_equal(bar, 0);
	assert_int_equal(uart_pick_pci_bar(io, &r, &bar), 0);
	assert_int_equal(r.access, UART_ACCESS_PIO);
	assert_int_equal(r.base, 0xc0a0);
	assert_int_equal(bar, 1);
	assert_int_equal(uart_pick_pci_bar(&P.devs[0], &r, &bar), -ENODEV);
}

static void test_pci_bdf(void **state)
{
	memset(&P, 0, sizeof(P));
	log_capture_reset();
	struct pci_dev *net = add(0, 1, 0x02, 0x00, 0);
	assert_null(uart_pick_pci_bdf(&P, 0, 7, 0, 0));
	assert_true(log_capture_contains("console=0000:07:00.0: there is no such PCI function"));
	assert_ptr_equal(uart_pick_pci_bdf(&P, 0, 0, 1, 0), net);	/* tried, with a warning */
	assert_true(log_capture_contains("not a 16550 serial controller"));
}

static void test_spcr_regs(void **state)
{
	struct uart_regs r;
	struct acpi_spcr_info s = { .mmio = true, .address = 0xfe032000, .access_bytes = 4,
				    .shift = 2 };

	uart_pick_spcr(&s, &r);
	assert_int_equal(r.access, UART_ACCESS_MMIO32);
	assert_int_equal(r.shift, 2);
	assert_int_equal(r.base, 0xfe032000);
	s = (struct acpi_spcr_info){ .address = 0x3f8, .access_bytes = 1 };
	uart_pick_spcr(&s, &r);
	assert_int_equal(r.access, UART_ACCESS_PIO);
	assert_int_equal(r.base, 0x3f8);
}

static void test_guest_port(void **state)
{
	struct uart_regs com2 = { .access = UART_ACCESS_PIO, .base = 0x2f8 };
	struct uart_regs card = { .access = UART_ACCESS_PIO, .base = 0xc0a0 };
	struct uart_regs lpss = { .access = UART_ACCESS_MMIO32, .shift = 2, .base = 0xfe032000 };

	assert_int_equal(uart_pick_guest_port(false, &com2), 0x2f8);	/* SPCR naming COM2 */
	assert_int_equal(uart_pick_guest_port(false, &card), 0x3f8);	/* console=pci */
	assert_int_equal(uart_pick_guest_port(true, &card), 0xc0a0);	/* console=0xc0a0 */
	assert_int_equal(uart_pick_guest_port(false, &lpss), 0x3f8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_first_and_bars),
		cmocka_unit_test(test_pci_bdf),
		cmocka_unit_test(test_spcr_regs),
		cmocka_unit_test(test_guest_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
