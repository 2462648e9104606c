// UNIT-SOURCES: vdev/vuart.c debug/console_escape.c
/* The guest's virtual console UART over a fake 16550: receive queue, escape
 * filtering, LSR/IIR composition, the guest's own register file (the real UART
 * keeps uhv's settings), software loopback, Linux's 8250 probe, the output
 * filter, garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vuart.h>
#include <uhv/uart.h>

/* a fake real UART: a receive FIFO, an IIR value, registers written */
static struct {
	u8 rx[4096];
	size_t rx_head, rx_len;
	u8 iir;
	u8 lsr_extra;
	u8 regs[8];
	u8 thr[4096];
	size_t thr_len;
} F;

static u8 fake_in(void *ctx, unsigned reg)
{
	switch (reg) {
	case UART_RBR:
		if (F.rx_head < F.rx_len)
			return F.rx[F.rx_head++];
		return 0;
	case VUART_IIR: {
		u8 v = F.iir;
		if ((v & 0x0f) == VUART_IIR_THRI)
			F.iir = 0xc1;	/* reading acknowledges THRE */
		return v;
	}
	case UART_LSR: {
		u8 v = 0x60 | F.lsr_extra;
		F.lsr_extra = 0;
		if (F.rx_head < F.rx_len)
			v |= 1;
		return v;
	}
	default:
		return F.regs[reg];
	}
}

static void fake_out(void *ctx, unsigned reg, u8 val)
{
	if (reg == UART_THR && !(F.regs[UART_LCR] & 0x80))
		F.thr[F.thr_len++] = val;
	else
		F.regs[reg] = val;
}

static const struct vuart_ops ops = { .in = fake_in, .out = fake_out };
static struct vuart U;

static void feed(const void *s, size_t n)
{
	memcpy(F.rx + F.rx_len, s, n);
	F.rx_len += n;
}

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	F.iir = 0xc1;
	vuart_init(&U, &ops, true, 1);
	return 0;
}

static u8 gin(unsigned reg)
{
	u8 v = 0;
	vuart_io(&U, reg, true, &v);
	return v;
}

static void gout(unsigned reg, u8 v)
{
	vuart_io(&U, reg, false, &v);
}

/* what a polling guest reads until LSR.DR is clear */
static size_t guest_read_all(char *buf, size_t cap)
{
	size_t n = 0;
	while ((gin(UART_LSR) & 1) && n < cap)
		buf[n++] = (char)gin(UART_RBR);
	return n;
}

static void test_passthrough_rx(void **state)
{
	char buf[64];

	feed("hello", 5);
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(gin(UART_LSR) & 1, 0);
	assert_int_equal(gin(UART_LSR) & 0x60, 0x60);	/* THRE/TEMT from the real UART */
}

static void test_escape_monitor(void **state)
{
	char buf[64];

	feed("ab\x1dmhelp\r", 9);
	assert_int_equal(vuart_poll(&U), CONSOLE_MONITOR);
	/* draining stopped at the escape: the rest is for the monitor */
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(F.rx_len - F.rx_head, 5);
	assert_int_equal(vuart_take_action(&U), CONSOLE_MONITOR);
	assert_int_equal(vuart_take_action(&U), CONSOLE_NONE);
}

static void test_escape_twice_and_other(void **state)
{
	char buf[64];

	feed("\x1d\x1dx\x1dq", 5);
	assert_int_equal(vuart_poll(&U), CONSOLE_NONE);
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "\x1dx\x1dq", 4);
	feed("\x1dg", 2);
	assert_int_equal(vuart_poll(&U), CONSOLE_GDB);
}

/* The hole of issue 14 item 7: the guest turns on loopback and transmits the escape keys,
 * then turns loopback off before anything reads them. Nothing reaches the real UART, the
 * escape filter or the wire; the guest reads its own bytes back, as from a 16550. */
static void test_loopback_is_virtual(void **state)
{
	char buf[8];

	gout(UART_MCR, VUART_MCR_LOOP | 0x0b);
	assert_int_equal(gin(UART_MCR), VUART_MCR_LOOP | 0x0b);
	assert_int_equal(F.regs[UART_MCR] & VUART_MCR_LOOP, 0);
	gout(UART_THR, 0x1d);
	gout(UART_THR, 'm');
	gout(UART_MCR, 0x0b);	/* loopback off before reading */
	assert_int_equal(F.thr_len, 0);
	assert_int_equal(F.rx_len, 0);
	assert_int_equal(vuart_poll(&U), CONSOLE_NONE);
	assert_int_equal(vuart_take_action(&U), CONSOLE_NONE);
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\x1dm", 2);
	/* read back in loopback, as Linux's and the selftest's checks do */
	gout(UART_MCR, VUART_MCR_LOOP);
	gout(UART_THR, 'A');
	gout(UART_THR, 'B');
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "AB", 2);
	assert_int_equal(F.thr_len, 0);
}

/* Typed while the guest is in loopback: the escape still works (the user keeps the
 * monitor), other bytes are not the guest's input (a 16550's SIN is cut off). */
static void test_loopback_typed(void **state)
{
	char buf[8];

	gout(UART_MCR, VUART_MCR_LOOP);
	feed("ab", 2);
	assert_int_equal(vuart_poll(&U), CONSOLE_NONE);
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 0);
	assert_int_equal(U.dropped, 2);
	feed("\x1dm", 2);
	assert_int_equal(vuart_poll(&U), CONSOLE_MONITOR);
}

/* The modem status inputs follow MCR in loopback (Linux's autoconfig: MCR = LOOP | OUT2 |
 * RTS must read MSR & 0xf0 == DCD | CTS), with their delta bits and the interrupt. */
static void test_loopback_msr(void **state)
{
	gout(UART_IER, VUART_IER_MSI);
	gout(UART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT2 | VUART_MCR_RTS);
	assert_int_equal(gin(VUART_IIR) & 0x0f, VUART_IIR_MSI);
	assert_int_equal(gin(VUART_MSR), VUART_MSR_DCD | VUART_MSR_CTS | VUART_MSR_DDCD |
			 VUART_MSR_DCTS);
	assert_int_equal(gin(VUART_MSR), VUART_MSR_DCD | VUART_MSR_CTS);	/* deltas read */
	assert_int_equal(gin(VUART_IIR) & 0x0f, VUART_IIR_NO_INT);
	gout(UART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT1 | VUART_MCR_DTR);
	assert_int_equal(gin(VUART_MSR), VUART_MSR_RI | VUART_MSR_DSR | VUART_MSR_DDSR |
			 VUART_MSR_DCTS | VUART_MSR_DDCD);
	gout(UART_MCR, VUART_MCR_LOOP);
	assert_int_equal(gin(VUART_MSR), VUART_MSR_TERI | VUART_MSR_DDSR);
	/* no OUT2 on the real UART in loopback (no IRQ from it), back after */
	assert_int_equal(F.regs[UART_MCR], 0);
	gout(UART_MCR, VUART_MCR_OUT2);
	assert_int_equal(F.regs[UART_MCR], VUART_MCR_OUT2);
	F.regs[VUART_MSR] = 0xb0;	/* outside loopback: the real lines */
	assert_int_equal(gin(VUART_MSR), 0xb0);
}

/* The line settings are the guest's own: the real UART keeps uhv's (baud rate, word
 * length, break, modem lines); only the interrupt enables and OUT2 reach it. */
static void test_registers_virtual(void **state)
{
	gout(UART_THR, 'x');
	gout(UART_IER, 0x03);
	gout(UART_LCR, 0xc3);	/* DLAB and break */
	gout(UART_DLL, 0x0c);	/* divisor, not THR */
	gout(UART_DLM, 0);
	assert_int_equal(gin(UART_DLL), 0x0c);
	assert_int_equal(gin(UART_DLM), 0);
	assert_int_equal(U.ier, 0x03);	/* DLAB writes do not touch IER */
	gout(UART_LCR, 0x1b);
	assert_int_equal(gin(UART_LCR), 0x1b);
	assert_int_equal(gin(UART_IER), 0x03);
	assert_int_equal(F.thr_len, 1);
	assert_int_equal(F.thr[0], 'x');
	assert_int_equal(F.regs[UART_IER], 0x03);	/* the interrupt enables follow */
	assert_int_equal(F.regs[UART_LCR], 0);		/* never the guest's LCR */
	assert_int_equal(F.regs[UART_DLL], 0);
	gout(UART_MCR, 0x0f);				/* DTR RTS OUT1 OUT2 */
	assert_int_equal(gin(UART_MCR), 0x0f);
	assert_int_equal(F.regs[UART_MCR], VUART_MCR_OUT2);	/* uhv's DTR/RTS (none here) */
	gout(UART_SCR, 0x5a);
	assert_int_equal(gin(UART_SCR), 0x5a);
	assert_int_equal(F.regs[UART_SCR], 0);
	gout(UART_LSR, 0xff);
	gout(VUART_MSR, 0xff);
	assert_int_equal(F.regs[UART_LSR], 0);
	assert_int_equal(F.regs[VUART_MSR], 0);
	/* the divisor starts as uhv programmed it */
	vuart_init(&U, &ops, true, 0x0102);
	gout(UART_LCR, 0x83);
	assert_int_equal(gin(UART_DLL), 0x02);
	assert_int_equal(gin(UART_DLM), 0x01);
}

/* Guest output reaches the user's terminal without its controls: one '.' per byte. */
static void test_output_filter(void **state)
{
	const char *in = "\x1b[2J\x1b]0;t\x07ok\r\n\t\b\x9b\x7f\xc3\xa9";
	const char *want = ".[2J.]0;t.ok\r\n\t\b....";

	for (const char *p = in; *p; p++)
		gout(UART_THR, (u8)*p);
	assert_int_equal(F.thr_len, strlen(want));
	assert_memory_equal(F.thr, want, strlen(want));
	assert_int_equal(U.tx_shown, 7);
	for (unsigned c = 0x20; c < 0x7f; c++)
		assert_int_equal(vuart_console_safe((u8)c), c);
	for (unsigned c = 0x80; c < 0x100; c++)
		assert_int_equal(vuart_console_safe((u8)c), '.');
}

/* Linux's 8250 autoconfig (Linux's 8250_port.c, the steps it takes on a
 * 16550A) must find a 16550A: IER read back, the loopback test of MSR, FIFO bits in IIR,
 * no EFR, no 64-byte FIFO, no UUE bit; then its THRE test sees THRI come back. */
static void test_linux_autoconfig(void **state)
{
	u8 save_lcr, save_mcr, s1, s2;

	F.iir = 0xc2;	/* the real UART: THRE pending when asked */
	gout(UART_IER, 0);
	assert_int_equal(gin(UART_IER) & 0x0f, 0);
	gout(UART_IER, 0x0f);
	assert_int_equal(gin(UART_IER) & 0x0f, 0x0f);
	gout(UART_IER, 0);
	save_mcr = gin(UART_MCR);
	save_lcr = gin(UART_LCR);
	gout(UART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT2 | VUART_MCR_RTS);
	assert_int_equal(gin(VUART_MSR) & 0xf0, VUART_MSR_DCD | VUART_MSR_CTS);
	gout(UART_MCR, save_mcr);
	gout(UART_LCR, 0xbf);
	gout(2, 0);		/* "EFR" = FCR: FIFO off */
	gout(UART_LCR, 0);
	gout(UART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(gin(VUART_IIR) >> 6, 3);	/* 16550A */
	gout(UART_LCR, 0x80);
	assert_int_not_equal(gin(2), 0);		/* no EFR at LCR 0x80 */
	gout(UART_LCR, 0xbf);
	assert_int_not_equal(gin(2), 0);		/* nor at 0xbf */
	gout(UART_LCR, 0);
	gout(UART_FCR, VUART_FCR_ENABLE | 0x20);
	s1 = gin(VUART_IIR) >> 5;
	gout(UART_LCR, 0x80);
	gout(UART_FCR, VUART_FCR_ENABLE | 0x20);
	s2 = gin(VUART_IIR) >> 5;
	gout(UART_FCR, VUART_FCR_ENABLE);
	gout(UART_LCR, 0);
	assert_false(s1 == 6 && s2 == 7);		/* not a 16750 */
	gout(UART_IER, 0x40);
	assert_int_equal(gin(UART_IER) & 0x40, 0);	/* no XScale UUE */
	gout(UART_IER, 0);
	gout(UART_LCR, save_lcr);
	gout(UART_SCR, 0xa5);
	assert_int_equal(gin(UART_SCR), 0xa5);
	/* THRE: enabling THRI gives a THRE interrupt, read from the real UART */
	gout(UART_IER, VUART_IER_THRI);
	assert_int_equal(gin(VUART_IIR) & 0x0f, VUART_IIR_THRI);
	assert_int_equal(F.regs[UART_MCR] & VUART_MCR_LOOP, 0);
	assert_int_equal(F.regs[UART_LCR], 0);
}

static void test_iir(void **state)
{
	gout(UART_IER, VUART_IER_RDI | VUART_IER_THRI);
	assert_int_equal(gin(VUART_IIR), 0xc1);		/* nothing pending */
	F.iir = 0xc2;					/* THRE */
	assert_int_equal(gin(VUART_IIR), 0xc2);
	assert_int_equal(gin(VUART_IIR), 0xc1);		/* acknowledged once */
	feed("z", 1);
	F.iir = 0xc4;
	assert_int_equal(gin(VUART_IIR), 0xc4);		/* data, from the queue */
	assert_int_equal(gin(UART_RBR), 'z');
	assert_int_equal(gin(VUART_IIR), 0xc1);
	/* a THRE hidden behind received data is not lost */
	feed("y", 1);
	F.iir = 0xc2;
	assert_int_equal(gin(VUART_IIR), 0xc4);
	assert_int_equal(gin(UART_RBR), 'y');
	assert_int_equal(gin(VUART_IIR), 0xc2);
	/* an escape key alone: no data for the guest */
	feed("\x1d", 1);
	assert_int_equal(gin(VUART_IIR), 0xc1);
	feed("m", 1);
	assert_int_equal(gin(VUART_IIR), 0xc1);
	assert_int_equal(vuart_take_action(&U), CONSOLE_MONITOR);
}

static void test_line_errors(void **state)
{
	gout(UART_IER, VUART_IER_RLSI);
	F.lsr_extra = 0x02;	/* overrun */
	assert_int_equal(gin(VUART_IIR) & 0x0f, VUART_IIR_RLSI);
	assert_int_equal(gin(UART_LSR) & 0x1e, 0x02);
	assert_int_equal(gin(UART_LSR) & 0x1e, 0);
}

static void test_fcr_clears(void **state)
{
	feed("abc", 3);
	vuart_poll(&U);
	assert_int_equal(U.count, 3);
	gout(UART_FCR, 0x07);
	assert_int_equal(U.count, 0);
	assert_int_equal(F.regs[UART_FCR], 0);	/* the real FIFOs stay as uhv set them */
	assert_int_equal(gin(VUART_IIR) & 0xc0, 0xc0);
	gout(UART_FCR, 0);
	assert_int_equal(gin(VUART_IIR) & 0xc0, 0);
}

static void test_queue_full_and_garbage(void **state)
{
	u8 junk[2000];
	char buf[4096];
	size_t n, total = 0, esc = 0;

	srand(8);
	for (size_t i = 0; i < sizeof(junk); i++) {
		junk[i] = (u8)rand();
		if (junk[i] == 0x1d)
			junk[i] = 0x1c;	/* garbage without the escape key */
	}
	feed(junk, sizeof(junk));
	for (int round = 0; round < 200 && F.rx_head < F.rx_len; round++) {
		assert_int_equal(vuart_poll(&U), CONSOLE_NONE);
		n = guest_read_all(buf, sizeof(buf));
		assert_memory_equal(buf, junk + total, n);
		total += n;
	}
	assert_int_equal(total, sizeof(junk));
	(void)esc;
	/* without a reader the queue fills and drops, never overflows */
	setup(NULL);
	feed(junk, sizeof(junk));
	for (int round = 0; round < 200; round++)
		vuart_poll(&U);
	assert_true(U.count >= VUART_QUEUE - 2);
	assert_int_equal(U.dropped, 0);
	assert_int_equal(F.rx_len - F.rx_head, sizeof(junk) - U.count);
	/* random guest register accesses never crash */
	for (int i = 0; i < 10000; i++) {
		u8 v = (u8)rand();
		vuart_io(&U, (unsigned)rand(), rand() & 1, &v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_passthrough_rx, setup),
		cmocka_unit_test_setup(test_escape_monitor, setup),
		cmocka_unit_test_setup(test_escape_twice_and_other, setup),
		cmocka_unit_test_setup(test_loopback_is_virtual, setup),
		cmocka_unit_test_setup(test_loopback_typed, setup),
		cmocka_unit_test_setup(test_loopback_msr, setup),
		cmocka_unit_test_setup(test_registers_virtual, setup),
		cmocka_unit_test_setup(test_output_filter, setup),
		cmocka_unit_test_setup(test_linux_autoconfig, setup),
		cmocka_unit_test_setup(test_iir, setup),
		cmocka_unit_test_setup(test_line_errors, setup),
		cmocka_unit_test_setup(test_fcr_clears, setup),
		cmocka_unit_test_setup(test_queue_full_and_garbage, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
