/* console hostile=1: a guest that tries to drive uhv's own console through its COM1
 * (issue 14, item 7; test/system/83-console-hostile.sh checks what reaches the console).
 * Under uhv COM1 is a virtual 16550 whose line settings, loopback and modem lines are
 * the guest's own; natively these are the real UART's, so every check is skipped.
 *
 *  console-loopback-escape  MCR.LOOP on, transmit Ctrl-] m, loopback off before reading:
 *                           uhv must not see the keys (its monitor stays closed, which the
 *                           script checks) and the guest reads its two bytes back;
 *  console-loopback         in loopback the guest reads back what it sends, and MSR's
 *                           upper half follows MCR (Linux's probe: LOOP|OUT2|RTS -> DCD|CTS);
 *  console-dlab             the divisor latch reads back what the guest wrote, and a line
 *                           uhv prints meanwhile (the console hypercall) still reaches the
 *                           console: the real UART never had DLAB set (the script checks);
 *  raw output               ESC/CSI/OSC/C1 bytes written to THR: the script checks that
 *                           they arrive as '.' (no 0x1b from the guest in the log). */
#include "rt.h"

#define COM1		0x3f8
#define COM_DLL		0
#define COM_DLM		1
#define COM_LCR		3
#define COM_MCR		4
#define COM_LSR		5
#define COM_MSR		6
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LCR_DLAB	0x80
#define MCR_RTS		0x02
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MSR_CTS		0x10
#define MSR_DCD		0x80
#define TRIES		3	/* attempts at the escape (see try_escape) */

static u32 tsc_per_ms;

static void spin_ms(u32 ms)
{
	u64 t0 = rdtsc();

	while (rdtsc() - t0 < (u64)ms * tsc_per_ms)
		asm volatile("pause");
}

static void com_putc(u8 c)
{
	for (unsigned i = 0; i < 100000 && !(inb(COM1 + COM_LSR) & LSR_THRE); i++)
		asm volatile("pause");
	outb(COM1, c);
}

/* What COM1 has received, up to cap bytes. */
static unsigned com_read(u8 *buf, unsigned cap)
{
	unsigned n = 0;

	while (n < cap && (inb(COM1 + COM_LSR) & LSR_DR))
		buf[n++] = inb(COM1);
	return n;
}

/* Loopback on, Ctrl-] m out, a millisecond for a real UART to loop the bytes into its
 * receiver, loopback off without reading, then 50 ms: several console polls. Where the
 * loopback is the real UART's, the bytes then pass uhv's escape filter as if typed. A
 * poll that came within that millisecond would have taken them as the guest's, so the
 * attempt is made TRIES times. */
static bool try_escape(u8 mcr0, u8 got[4], unsigned *n)
{
	outb(COM1 + COM_MCR, mcr0 | MCR_LOOP);
	outb(COM1, 0x1d);
	outb(COM1, 'm');
	spin_ms(1);
	outb(COM1 + COM_MCR, mcr0);
	spin_ms(50);
	*n = com_read(got, 4);
	return *n == 2 && got[0] == 0x1d && got[1] == 'm';
}

static void check_loopback(u8 mcr0)
{
	static const char msg[] = "uhv-loop";
	u8 got[17] = { 0 }, msr;
	unsigned n, ok = 0;

	for (unsigned i = 0; i < TRIES; i++)
		ok += try_escape(mcr0, got, &n);
	test_check("console-loopback-escape", ok == TRIES, "%u of %u attempts read Ctrl-] m "
		   "back (last: %u bytes, 0x%x 0x%x)", ok, TRIES, n, got[0], got[1]);

	outb(COM1 + COM_MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	msr = inb(COM1 + COM_MSR);
	for (const char *p = msg; *p; p++)
		outb(COM1, (u8)*p);
	n = com_read(got, sizeof(got) - 1);
	outb(COM1 + COM_MCR, mcr0);
	test_check("console-loopback", n == sizeof(msg) - 1 && !memcmp(got, msg, n) &&
		   (msr & 0xf0) == (MSR_DCD | MSR_CTS), "read back %u bytes '%s', MSR 0x%x in "
		   "loopback", n, (const char *)got, msr);
}

static void check_dlab(void)
{
	u8 lcr0 = inb(COM1 + COM_LCR), dll, dlm;

	outb(COM1 + COM_LCR, lcr0 | LCR_DLAB);
	outb(COM1 + COM_DLL, 0x60);	/* 1200 baud */
	outb(COM1 + COM_DLM, 0);
	dll = inb(COM1 + COM_DLL);
	dlm = inb(COM1 + COM_DLM);
	printf("guest: console: this line was printed while the guest's LCR had DLAB set\n");
	outb(COM1 + COM_LCR, lcr0);
	test_check("console-dlab", dll == 0x60 && dlm == 0 && inb(COM1 + COM_LCR) == lcr0,
		   "divisor latch read back 0x%x%02x, LCR 0x%x (wrote 0x%x)", dlm, dll,
		   inb(COM1 + COM_LCR), lcr0);
}

/* Terminal controls straight to THR: clear screen (CSI), set the window title (OSC,
 * ended by BEL), an 8-bit CSI; \r\n ends the line as Linux's serial console does. */
static void raw_output(void)
{
	static const char line[] = "guest: console: raw output: \x1b[2J \x1b]0;owned\x07 "
				   "\x9b" "31m end\r\n";

	for (const char *p = line; *p; p++)
		com_putc((u8)*p);
}

void console_hostile(void)
{
	u8 mcr0;

	if (!under_uhv) {
		test_skip("console-loopback-escape", "not under uhv");
		test_skip("console-loopback", "not under uhv");
		test_skip("console-dlab", "not under uhv");
		return;
	}
	tsc_per_ms = pit_tsc_per_ms();
	if (!tsc_per_ms)
		tsc_per_ms = 1000000;
	mcr0 = inb(COM1 + COM_MCR) & (u8)~MCR_LOOP;
	printf("guest: console: hostile checks, MCR 0x%x, LCR 0x%x\n", mcr0,
	       inb(COM1 + COM_LCR));
	check_loopback(mcr0);
	check_dlab();
	raw_output();
	printf("guest: console: hostile checks done\n");
}
