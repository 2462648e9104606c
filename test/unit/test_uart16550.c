// UNIT-SOURCES: drivers/uart16550.c drivers/uart_access.c arch/console_option.c arch/options.c lib/cmdline.c
/* The console driver on memory-mapped 16550s (host memory stands in for the registers): the
 * register stride and width of mmio and mmio32, programming, output, input, the early log's
 * replay on a console found later; and the console= forms that name them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/uart.h>
#include <uhv/options.h>
#include <uhv/errno.h>
#include "log_capture.h"

static uint32_t regs32[8];	/* mmio32: one dword per register */
static uint8_t regs8[8];	/* mmio: one byte per register */

static void test_mmio32_stride_and_width(void **state)
{
	struct uart_regs r = { .access = UART_ACCESS_MMIO32, .shift = 2, .base = 0xfe032000,
			       .va = (volatile u8 *)regs32 };
	memset(regs32, 0xee, sizeof(regs32));
	assert_int_equal(uart_reg_offset(&r, UART_LSR), 20);
	uart_regs_write(&r, UART_LCR, 0x83);
	assert_int_equal(regs32[UART_LCR], 0x83);	/* the whole dword: upper bytes 0 */
	regs32[UART_LSR] = 0xffffff61;
	assert_int_equal(uart_regs_read(&r, UART_LSR), 0x61);	/* the low byte */
	char name[64];
	assert_string_equal(uart_regs_name(&r, name, sizeof(name)),
			    "mmio32 0xfe032000 (register shift 2)");
}

static void test_mmio32_console(void **state)
{
	struct uart_regs r = { .access = UART_ACCESS_MMIO32, .shift = 2, .base = 0x1000,
			       .va = (volatile u8 *)regs32 };
	memset(regs32, 0, sizeof(regs32));
	assert_int_equal(uart_init_regs(&r, 9600), 0);
	assert_int_equal(uart_divisor(), 12);
	assert_int_equal(regs32[UART_DLM], 0);	/* IER written after: 0 */
	assert_int_equal(regs32[UART_LCR], UART_LCR_8N1);
	assert_int_equal(regs32[UART_MCR], 3);
	assert_int_equal(regs32[UART_SCR], 0x5a);	/* the presence test */
	assert_int_equal(uart_port(), 0);		/* not on ports */
	regs32[UART_LSR] = UART_LSR_THRE | UART_LSR_TEMT;
	uart_putc('Q');
	assert_int_equal(regs32[UART_THR], 'Q');
	assert_int_equal(uart_getc(), -1);		/* DR clear */
	regs32[UART_LSR] |= UART_LSR_DR;
	regs32[UART_RBR] = 'k';
	assert_int_equal(uart_getc(), 'k');
	uart_reg_write(UART_IER, 0x01);		/* what the guest's virtual UART does */
	assert_int_equal(regs32[UART_IER], 1);
}

static void test_mmio8_keeps_firmware_speed(void **state)
{
	struct uart_regs r = { .access = UART_ACCESS_MMIO8, .base = 0x2000,
			       .va = (volatile u8 *)regs8 };
	memset(regs8, 0, sizeof(regs8));
	regs8[UART_DLL] = 0x01;	/* plain memory: DLL and RBR are one byte here */
	regs8[UART_DLM] = 0x00;
	assert_int_equal(uart_init_regs(&r, 0), 0);
	assert_int_equal(uart_divisor(), 1);
	assert_int_equal(regs8[UART_LCR], UART_LCR_8N1);
	assert_int_equal(uart_reg_offset(&r, UART_SCR), 7);
}

static void test_early_replay(void **state)
{
	struct uart_regs a = { .access = UART_ACCESS_MMIO8, .va = (volatile u8 *)regs8 };
	struct uart_regs b = { .access = UART_ACCESS_MMIO32, .shift = 2,
			       .va = (volatile u8 *)regs32 };
	memset(regs8, 0, sizeof(regs8));
	memset(regs32, 0, sizeof(regs32));
	regs8[UART_LSR] = UART_LSR_THRE;
	regs32[UART_LSR] = UART_LSR_THRE;
	assert_int_equal(uart_init_regs(&a, 115200), 0);
	/* the early log holds the 'Q' test_mmio32_console wrote */
	uart_write("ab\n", 3);
	assert_int_equal(uart_init_regs(&b, 115200), 0);
	regs32[UART_THR] = 0;
	size_t n = uart_early_replay(false);
	assert_int_equal(n, 1 + 4);		/* 'Q' from before, then "ab\r\n" */
	assert_int_equal(regs32[UART_THR], '\n');	/* the last byte went to b */
	assert_int_equal(uart_early_replay(false), 0);	/* once */
	uart_write("z", 1);
	assert_int_equal(regs32[UART_THR], 'z');
}

static void test_console_option_forms(void **state)
{
	struct uhv_options o;
	char buf[48];

	options_defaults(&o);
	assert_int_equal(o.console_kind, UHV_CONSOLE_AUTO);
	assert_int_equal(options_parse_console("mmio32,0xfe032000,115200", 24, &o), 0);
	assert_int_equal(o.console_kind, UHV_CONSOLE_MMIO32);
	assert_int_equal(o.console_addr, 0xfe032000);
	assert_int_equal(o.console_baud, 115200);
	assert_string_equal(options_console_name(&o, buf, sizeof(buf)),
			    "mmio32,0xfe032000,115200");
	assert_int_equal(options_parse_console("mmio,0xfebf1000", 15, &o), 0);
	assert_int_equal(o.console_kind, UHV_CONSOLE_MMIO);
	assert_int_equal(o.console_baud, 0);
	assert_int_equal(options_parse_console("pci", 3, &o), 0);
	assert_int_equal(o.console_kind, UHV_CONSOLE_PCI);
	assert_int_equal(options_parse_console("spcr,9600", 9, &o), 0);
	assert_int_equal(o.console_kind, UHV_CONSOLE_SPCR);
	assert_int_equal(o.console_baud, 9600);
	assert_int_equal(options_parse_console("0001:07:1c.5", 12, &o), 0);
	assert_int_equal(o.console_kind, UHV_CONSOLE_PCI_BDF);
	assert_int_equal(o.console_seg, 1);
	assert_int_equal(o.console_bus, 7);
	assert_int_equal(o.console_dev, 0x1c);
	assert_int_equal(o.console_fn, 5);
	assert_string_equal(options_console_name(&o, buf, sizeof(buf)), "0001:07:1c.5");
	options_defaults(&o);
	const char *bad[] = { "mmio32,garbage", "mmio32,0xfe032001", "mmio,0", "mmio,1234",
			      "mmio32,0x1000,7", "pci,300000", "pcix", "07:00", "07:20.0",
			      "spcr,", "mmio32," };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(options_parse_console(bad[i], strlen(bad[i]), &o), -EINVAL);
		assert_int_equal(o.console_kind, UHV_CONSOLE_AUTO);	/* unchanged */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio32_stride_and_width),
		cmocka_unit_test(test_mmio32_console),
		cmocka_unit_test(test_mmio8_keeps_firmware_speed),
		cmocka_unit_test(test_early_replay),
		cmocka_unit_test(test_console_option_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
