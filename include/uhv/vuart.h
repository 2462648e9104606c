/* The guest's view of uhv's console UART (vdev/vuart.c, pure, host-tested).
 *
 * uhv must see what is typed on the console to catch the escape keys
 * (<uhv/console_escape.h>) while the guest runs, yet the guest (a Linux 8250
 * driver, the test guests) keeps driving a 16550 at the same ports. The real
 * UART is uhv's: its line settings, its modem lines and its receive path must
 * stay as uhv set them, or the guest could change uhv's baud rate, send a
 * break, or turn on MCR.LOOP so that what it transmits is received by the UART
 * and fed into uhv's escape filter (Ctrl-] m: the monitor, opened from inside).
 * So the guest gets a register file of its own (struct vuart, in the vm) and
 * only three things cross to the real UART:
 *
 *   - THR writes (outside loopback) go out on uhv's console, each byte through
 *     vuart_console_safe(): terminal controls are shown as '.';
 *   - RBR reads come from a receive queue that uhv fills by draining the real
 *     UART (vuart_poll) through the escape filter;
 *   - the interrupt enables (IER) and MCR.OUT2 (the PC's IRQ gate), so that
 *     the real IRQ 4 still reaches the guest's interrupt controller for
 *     transmit and receive, as it did when the guest programmed the real UART.
 *
 * Emulated, as a 16550A answers: LCR (with DLAB and the divisor latch), MCR
 * (DTR, RTS, OUT1, OUT2, LOOP), FCR (FIFO enable: IIR bits 7:6), SCR, LSR
 * (the real THRE/TEMT, DR meaning "the queue has a byte", error bits kept from
 * every drain until read), IIR (computed from the queue, the THRE and modem
 * status events and the guest's IER), MSR. Loopback (MCR.LOOP) is software:
 * what the guest transmits comes back to its own receive queue, never to the
 * wire nor to the escape filter; the modem status inputs follow MCR (CTS=RTS,
 * DSR=DTR, RI=OUT1, DCD=OUT2, with their delta bits), as Linux's autoconfig
 * checks; bytes typed meanwhile still pass the escape filter (the user keeps
 * the monitor) but are not the guest's input (a 16550's SIN is cut off then).
 *
 * While the guest has the receive interrupt on (IER.ERBFI), uhv leaves bytes
 * in the real UART for a while so that its interrupt reaches the guest, whose
 * handler then reads IIR/LSR/RBR, which drain through the filter; only bytes
 * that stay unread longer (the guest has interrupts masked) are drained by
 * the periodic poll. */
#ifndef UHV_VUART_H
#define UHV_VUART_H

#include <uhv/types.h>
#include <uhv/console_escape.h>

#define VUART_QUEUE	256	/* bytes received for the guest, not yet read */
#define VUART_DRAIN_MAX	32	/* bytes taken from the real UART per drain */

/* 16550 bits used here (register offsets are in <uhv/uart.h>) */
#define VUART_IIR	2	/* interrupt identification (read) */
#define VUART_MSR	6	/* modem status */
#define VUART_IER_RDI	0x01	/* received data available */
#define VUART_IER_THRI	0x02	/* transmitter holding register empty */
#define VUART_IER_RLSI	0x04	/* receiver line status */
#define VUART_IER_MSI	0x08	/* modem status */
#define VUART_IER_MASK	0x0f	/* the bits a 16550 has */
#define VUART_IIR_NO_INT 0x01
#define VUART_IIR_ID	0x0e
#define VUART_IIR_MSI	0x00
#define VUART_IIR_THRI	0x02
#define VUART_IIR_RDI	0x04
#define VUART_IIR_RLSI	0x06
#define VUART_IIR_TIMEOUT 0x0c
#define VUART_IIR_FIFO	0xc0	/* FIFOs enabled (16550A) */
#define VUART_LSR_DR	0x01
#define VUART_LSR_OE	0x02
#define VUART_LSR_ERR	0x1e	/* OE PE FE BI */
#define VUART_LSR_FIFOE	0x80
#define VUART_FCR_ENABLE 0x01
#define VUART_FCR_CLEAR_RX 0x02
#define VUART_MCR_DTR	0x01
#define VUART_MCR_RTS	0x02
#define VUART_MCR_OUT1	0x04
#define VUART_MCR_OUT2	0x08	/* on a PC: gates the UART's interrupt line */
#define VUART_MCR_LOOP	0x10
#define VUART_MCR_MASK	0x1f
#define VUART_MSR_DCTS	0x01
#define VUART_MSR_DDSR	0x02
#define VUART_MSR_TERI	0x04
#define VUART_MSR_DDCD	0x08
#define VUART_MSR_CTS	0x10
#define VUART_MSR_DSR	0x20
#define VUART_MSR_RI	0x40
#define VUART_MSR_DCD	0x80
#define VUART_LCR_DLAB	0x80

/* The real UART, by register offset. */
struct vuart_ops {
	void *ctx;
	u8 (*in)(void *ctx, unsigned reg);
	void (*out)(void *ctx, unsigned reg, u8 val);
};

struct vuart {
	const struct vuart_ops *ops;
	struct console_escape esc;
	bool filter;		/* pass received bytes through the escape filter */
	/* A received escape asked for something: draining stops (the bytes
	 * after it are for the monitor or the stub) until vuart_take_action(). */
	enum console_action action;
	/* The guest's registers: what it wrote and reads back. */
	u8 ier, lcr, mcr, fcr, scr;
	u8 dll, dlm;		/* divisor latch */
	u8 msr_loop;		/* loopback: modem status from MCR, with the delta bits */
	u8 lsr_err;		/* error bits seen while draining, for the guest */
	bool thri, msi;		/* THRE / modem status interrupt pending for the guest */
	/* The real UART's MCR: uhv's own (DTR, RTS) and what it holds now (+ the guest's
	 * OUT2 outside loopback). */
	u8 real_mcr, real_mcr_now;
	u16 head, count;
	u8 q[VUART_QUEUE];
	u64 received, dropped;	/* bytes for the guest; lost (full queue, typed in loopback) */
	u64 tx_shown;		/* guest output bytes shown as '.' (terminal controls) */
};

/* The guest's registers start as uhv left the real UART (LCR, MCR, IER and the FIFO
 * read from it; divisor: what uhv programmed, uart_divisor()). */
void vuart_init(struct vuart *u, const struct vuart_ops *ops, bool filter, u16 divisor);
/* A trapped guest access to register reg (0..7) of the console port; size-1
 * accesses only (a wider access is split by the caller). in: *val is set. */
void vuart_io(struct vuart *u, unsigned reg, bool in, u8 *val);
/* Move received bytes from the real UART to the queue, through the escape
 * filter. Returns the action a received escape asks for (CONSOLE_NONE if
 * none); the action stays pending, and draining stopped, until taken. */
enum console_action vuart_poll(struct vuart *u);
/* The pending action, cleared. */
enum console_action vuart_take_action(struct vuart *u);
/* Put a byte in the guest's queue as if received (not filtered). */
void vuart_push(struct vuart *u, u8 byte);
/* The byte the user's terminal gets for a byte the guest transmits: itself when it is
 * printable ASCII or one of the controls a serial console's text needs, '.' otherwise. */
u8 vuart_console_safe(u8 c);
/* Does the guest want receive interrupts (so the real one should reach it)? */
static inline bool vuart_rx_irq_on(const struct vuart *u)
{
	return (u->ier & VUART_IER_RDI) && !(u->lcr & VUART_LCR_DLAB);
}

#endif
