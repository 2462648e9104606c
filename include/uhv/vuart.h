/* The guest's view of uhv's console UART (vdev/vuart.c, pure, host-tested).
 *
 * uhv must see what is typed on the console to catch the escape keys
 * (<uhv/console_escape.h>) while the guest runs, yet the guest (a Linux 8250
 * driver, the test guests) keeps driving the same 16550. So the guest's
 * accesses to the console's eight ports are trapped and passed to the real
 * UART, except the receive side:
 *
 *   - RBR reads come from a receive queue that uhv fills by draining the real
 *     UART (vuart_poll) through the escape filter;
 *   - LSR reads: the real LSR with DR meaning "the queue has a byte" and the
 *     error bits kept from every drain until the guest reads them;
 *   - IIR reads: the real IIR is read (that acknowledges a THRE or modem
 *     status interrupt, as the guest's read would) and the answer is computed
 *     from the queue, the remembered THRE/modem events and the guest's IER;
 *   - FCR writes that clear the receive FIFO also clear the queue.
 *
 * Everything else (THR, IER, LCR, MCR, the divisor, MSR, SCR) is the real
 * register: the guest programs the real interrupt enables, so the real IRQ 4
 * still reaches the guest's interrupt controller for transmit and receive.
 *
 * While the guest has the receive interrupt on (IER.ERBFI), uhv leaves bytes
 * in the real UART for a while so that its interrupt reaches the guest, whose
 * handler then reads IIR/LSR/RBR, which drain through the filter; only bytes
 * that stay unread longer (the guest has interrupts masked) are drained by
 * the periodic poll. In loopback mode (MCR.LOOP) bytes bypass the filter. */
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
#define VUART_IIR_NO_INT 0x01
#define VUART_IIR_ID	0x0e
#define VUART_IIR_MSI	0x00
#define VUART_IIR_THRI	0x02
#define VUART_IIR_RDI	0x04
#define VUART_IIR_RLSI	0x06
#define VUART_IIR_TIMEOUT 0x0c
#define VUART_IIR_FIFO	0xc0
#define VUART_LSR_DR	0x01
#define VUART_LSR_ERR	0x1e	/* OE PE FE BI */
#define VUART_LSR_FIFOE	0x80
#define VUART_FCR_CLEAR_RX 0x02
#define VUART_MCR_LOOP	0x10
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
	u8 ier, lcr, mcr;	/* as the guest last wrote them (the real ones too) */
	u8 lsr_err;		/* error bits seen while draining, for the guest */
	bool thri, msi;		/* THRE / modem status interrupt acknowledged for the guest */
	u16 head, count;
	u8 q[VUART_QUEUE];
	u64 received, dropped;	/* bytes for the guest; lost to a full queue */
};

void vuart_init(struct vuart *u, const struct vuart_ops *ops, bool filter);
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
/* Does the guest want receive interrupts (so the real one should reach it)? */
static inline bool vuart_rx_irq_on(const struct vuart *u)
{
	return (u->ier & VUART_IER_RDI) && !(u->lcr & VUART_LCR_DLAB);
}

#endif
