/* The serial console: a polled 16550. Output must survive anything (it is
 * how users see faults), so there are no locks or interrupts here, and every
 * wait is bounded: a missing UART must not hang the hypervisor. */
#include <uhv/uart.h>
#include <uhv/io.h>
#include <uhv/errno.h>

/* The console port; the one piece of global state the console needs. */
static u16 console_port = 0x3f8;
static bool console_present = true;
static u16 console_divisor = 1;	/* as programmed: the guest's virtual UART starts with it */

#define UART_SPIN_LIMIT 1000000	/* ~ms at worst on real hardware; a dead UART gives up */

u16 uart_port(void)
{
	return console_port;
}

u16 uart_divisor(void)
{
	return console_divisor;
}

int uart_init(u16 port, u32 baud)
{
	console_port = port;
	/* Scratch register test: reads back what we wrote if a UART is there. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a) {
		console_present = false;
		return -ENODEV;
	}
	console_present = true;
	u32 div = baud ? UART_CLOCK / baud : 1;
	if (div == 0)
		div = 1;
	console_divisor = (u16)div;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, UART_LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLM, (div >> 8) & 0xff);
	outb(port + UART_LCR, UART_LCR_8N1);
	outb(port + UART_FCR, 0x07);	/* enable and clear FIFOs */
	outb(port + UART_MCR, 0x03);	/* DTR, RTS */
	return 0;
}

static void wait_lsr(u8 bit)
{
	for (u32 i = 0; i < UART_SPIN_LIMIT; i++)
		if (inb(console_port + UART_LSR) & bit)
			return;
}

void uart_putc(char c)
{
	if (!console_present)
		return;
	wait_lsr(UART_LSR_THRE);
	outb(console_port + UART_THR, (u8)c);
}

void uart_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void uart_flush(void)
{
	if (console_present)
		wait_lsr(UART_LSR_TEMT);
}

int uart_getc(void)
{
	if (!console_present || !(inb(console_port + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(console_port + UART_RBR);
}
