/* The serial console: a polled 16550. Output must survive anything (it is
 * how users see faults), so there are no locks or interrupts here, and every
 * wait is bounded: a missing UART must not hang the hypervisor. The registers
 * are reached through struct uart_regs (uart_access.c): I/O ports or MMIO with
 * a stride and width, so one driver serves COM1, PCI cards and LPSS UARTs. */
#include <uhv/uart.h>
#include <uhv/errno.h>

/* The console; the one piece of global state the console needs (a machine singleton). */
static struct uart_regs console = { .access = UART_ACCESS_PIO, .base = 0x3f8 };
static bool console_present = true;
static u16 console_divisor = 1;	/* as programmed: the guest's virtual UART starts with it */

/* What was written before the console was settled (uart_early_replay): a PCI or SPCR console
 * is found after ACPI and PCI are parsed, and shows the boot from its start. */
#define EARLY_LOG_SIZE 16384
static struct {
	bool done;
	size_t len;
	size_t lost;
	char buf[EARLY_LOG_SIZE];
} early;

#define UART_SPIN_LIMIT 1000000	/* ~ms at worst on real hardware; a dead UART gives up */

u16 uart_port(void)
{
	return console.access == UART_ACCESS_PIO ? (u16)console.base : 0;
}

u16 uart_divisor(void)
{
	return console_divisor;
}

bool uart_present(void)
{
	return console_present;
}

const struct uart_regs *uart_console_regs(void)
{
	return &console;
}

u8 uart_reg_read(unsigned reg)
{
	return uart_regs_read(&console, reg);
}

void uart_reg_write(unsigned reg, u8 val)
{
	uart_regs_write(&console, reg, val);
}

/* The divisor the firmware left: read with DLAB set, LCR restored. */
static u16 read_divisor(const struct uart_regs *r)
{
	u8 lcr = uart_regs_read(r, UART_LCR);

	uart_regs_write(r, UART_LCR, lcr | UART_LCR_DLAB);
	u16 div = (u16)(uart_regs_read(r, UART_DLL) | uart_regs_read(r, UART_DLM) << 8);
	uart_regs_write(r, UART_LCR, lcr & ~UART_LCR_DLAB);
	return div;
}

int uart_init_regs(const struct uart_regs *r, u32 baud)
{
	/* Scratch register test: reads back what we wrote if a UART is there. */
	uart_regs_write(r, UART_SCR, 0x5a);
	if (uart_regs_read(r, UART_SCR) != 0x5a)
		return -ENODEV;
	u32 div = baud ? UART_CLOCK / baud : read_divisor(r);
	if (div == 0 || div > 0xffff)
		div = 1;	/* firmware left none: 115200 on the standard clock */
	/* the same UART again: its last bytes leave before the FIFO is cleared below */
	if (console.access == r->access && console.base == r->base)
		uart_flush();
	console = *r;
	console_present = true;
	console_divisor = (u16)div;
	uart_regs_write(r, UART_IER, 0);
	uart_regs_write(r, UART_LCR, UART_LCR_DLAB);
	uart_regs_write(r, UART_DLL, div & 0xff);
	uart_regs_write(r, UART_DLM, (div >> 8) & 0xff);
	uart_regs_write(r, UART_LCR, UART_LCR_8N1);
	uart_regs_write(r, UART_FCR, 0x07);	/* enable and clear FIFOs */
	uart_regs_write(r, UART_MCR, 0x03);	/* DTR, RTS */
	return 0;
}

int uart_init(u16 port, u32 baud)
{
	struct uart_regs r = { .access = UART_ACCESS_PIO, .base = port };
	int ret = uart_init_regs(&r, baud ? baud : UART_CLOCK);

	if (ret < 0) {
		console = r;	/* as before: the port asked for, output dropped */
		console_present = false;
	}
	return ret;
}

static void wait_lsr(u8 bit)
{
	for (u32 i = 0; i < UART_SPIN_LIMIT; i++)
		if (uart_regs_read(&console, UART_LSR) & bit)
			return;
}

static void put_raw(char c)
{
	if (!console_present)
		return;
	wait_lsr(UART_LSR_THRE);
	uart_regs_write(&console, UART_THR, (u8)c);
}

static void keep_early(char c)
{
	if (early.done)
		return;
	if (early.len < sizeof(early.buf))
		early.buf[early.len++] = c;
	else
		early.lost++;
}

void uart_putc(char c)
{
	keep_early(c);
	put_raw(c);
}

void uart_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

size_t uart_early_replay(bool already_shown)
{
	size_t n = early.len;

	if (early.done)
		return 0;
	early.done = true;
	if (already_shown || !console_present)
		return 0;
	for (size_t i = 0; i < n; i++)
		put_raw(early.buf[i]);
	if (early.lost) {
		static const char more[] = "uhv: (the early log ends here: later lines did not fit)\r\n";
		for (size_t i = 0; more[i]; i++)
			put_raw(more[i]);
	}
	return n;
}

void uart_flush(void)
{
	if (console_present)
		wait_lsr(UART_LSR_TEMT);
}

int uart_getc(void)
{
	if (!console_present || !(uart_regs_read(&console, UART_LSR) & UART_LSR_DR))
		return -1;
	return uart_regs_read(&console, UART_RBR);
}
