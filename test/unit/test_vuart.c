// UNIT-SOURCES: vdev/vuart.c debug/console_escape.c
/* The guest's virtual console UART over a fake 16550: receive queue, escape
 * filtering, LSR/IIR composition, pass-through of everything else, garbage. */
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
	vuart_init(&U, &ops, true);
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

static void test_loopback_not_filtered(void **state)
{
	char buf[8];

	gout(UART_MCR, VUART_MCR_LOOP | 0x0b);
	assert_int_equal(F.regs[UART_MCR], VUART_MCR_LOOP | 0x0b);
	feed("\x1dm", 2);
	assert_int_equal(vuart_poll(&U), CONSOLE_NONE);
	assert_int_equal(guest_read_all(buf, sizeof(buf)), 2);
}

static void test_writes_pass(void **state)
{
	gout(UART_THR, 'x');
	gout(UART_IER, 0x03);
	gout(UART_LCR, 0x83);
	gout(UART_DLL, 1);	/* divisor, not THR */
	gout(UART_DLM, 0);
	assert_int_equal(U.ier, 0x03);	/* DLAB writes do not touch the shadow IER */
	gout(UART_LCR, 0x03);
	assert_int_equal(F.thr_len, 1);
	assert_int_equal(F.thr[0], 'x');
	assert_int_equal(F.regs[UART_IER], 0x00);	/* DLM 0 went to the same offset */
	assert_int_equal(F.regs[UART_LCR], 0x03);
	F.regs[UART_SCR] = 0x5a;
	assert_int_equal(gin(UART_SCR), 0x5a);
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
	assert_int_equal(F.regs[UART_FCR], 0x07);
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
		cmocka_unit_test_setup(test_loopback_not_filtered, setup),
		cmocka_unit_test_setup(test_writes_pass, setup),
		cmocka_unit_test_setup(test_iir, setup),
		cmocka_unit_test_setup(test_line_errors, setup),
		cmocka_unit_test_setup(test_fcr_clears, setup),
		cmocka_unit_test_setup(test_queue_full_and_garbage, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
