/* 16550 UART, polled (drivers/uart16550.c), on any register access (drivers/uart_access.c):
 * I/O ports as on COM1, or memory-mapped with a register stride (shift) and access width, as
 * on PCI(e) serial cards and Intel LPSS UARTs. docs/console.md has the console's story. */
#ifndef UHV_UART_H
#define UHV_UART_H

#include <uhv/types.h>

/* 16550 register numbers; the byte offset from the base is reg << shift */
#define UART_THR	0	/* transmit holding (write) */
#define UART_RBR	0	/* receive buffer (read) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1	/* interrupt enable */
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_FCR	2	/* FIFO control (write) */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_SCR	7	/* scratch */

#define UART_LCR_8N1	0x03
#define UART_LCR_DLAB	0x80
#define UART_LSR_DR	0x01	/* data ready */
#define UART_LSR_THRE	0x20	/* transmit holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty: last bit left the wire */

#define UART_CLOCK	115200	/* divisor base */

/* How the registers are reached. */
enum uart_access {
	UART_ACCESS_PIO,	/* I/O ports base + reg (shift 0, byte access) */
	UART_ACCESS_MMIO8,	/* bytes at base + (reg << shift) */
	UART_ACCESS_MMIO32,	/* dwords at base + (reg << shift), the low byte is the register */
};

/* One 16550: where it is and how to reach it. va is the mapped base for MMIO (NULL for PIO). */
struct uart_regs {
	u8 access;		/* enum uart_access */
	u8 shift;		/* register stride: 0 = 1 byte, 2 = 4 bytes */
	u64 base;		/* port or physical address */
	volatile u8 *va;
};

static inline unsigned uart_reg_offset(const struct uart_regs *r, unsigned reg)
{
	return reg << r->shift;
}

/* drivers/uart_access.c: one register, as r says. */
u8 uart_regs_read(const struct uart_regs *r, unsigned reg);
void uart_regs_write(const struct uart_regs *r, unsigned reg, u8 val);
/* "port 0x3f8", "mmio32 0xfe030000 (shift 2)": for the boot log. Returns buf. */
const char *uart_regs_name(const struct uart_regs *r, char *buf, size_t cap);

/* Program the console on the legacy port; returns -ENODEV if no UART answers there (output is
 * then dropped, and kept in the early log until uart_early_replay). */
int uart_init(u16 port, u32 baud);
/* Make r the console. baud 0 keeps the line speed the firmware set (as Linux's earlycon does);
 * otherwise divisor = UART_CLOCK / baud. Returns -ENODEV (console unchanged) if no UART
 * answers there. */
int uart_init_regs(const struct uart_regs *r, u32 baud);
void uart_putc(char c);
void uart_write(const char *s, size_t len);
/* Wait until the transmitter is empty (LSR.TEMT), bounded. */
void uart_flush(void);
/* -1 when no byte is waiting */
int uart_getc(void);
/* The console's registers, for the guest's virtual UART (debug/backend.c). */
u8 uart_reg_read(unsigned reg);
void uart_reg_write(unsigned reg, u8 val);
/* The console's I/O port, 0 when it is not on ports. */
u16 uart_port(void);
bool uart_present(void);
const struct uart_regs *uart_console_regs(void);
/* The baud rate divisor uart_init() programmed (or found). */
u16 uart_divisor(void);

/* Early log: every byte written before uart_early_replay, kept so that a console found later
 * (PCI, SPCR) shows the boot from its start. Replays it on the console (unless it already
 * went there) and stops keeping; returns the bytes replayed. */
size_t uart_early_replay(bool already_shown);

#endif
