/* The guest's 16550 on top of the real console UART: the receive side is
 * virtual (a queue filled through the escape filter), the rest is the real
 * register. See include/uhv/vuart.h for the why. Pure: the real UART is
 * reached through struct vuart_ops. */
#include <uhv/vuart.h>
#include <uhv/uart.h>
#include <uhv/string.h>

void vuart_init(struct vuart *u, const struct vuart_ops *ops, bool filter)
{
	memset(u, 0, sizeof(*u));
	u->ops = ops;
	u->filter = filter;
	console_escape_init(&u->esc);
}

static u8 rd(struct vuart *u, unsigned reg)
{
	return u->ops->in(u->ops->ctx, reg);
}

static void wr(struct vuart *u, unsigned reg, u8 val)
{
	u->ops->out(u->ops->ctx, reg, val);
}

void vuart_push(struct vuart *u, u8 byte)
{
	if (u->count == VUART_QUEUE) {
		u->dropped++;
		return;
	}
	u->q[(u->head + u->count++) % VUART_QUEUE] = byte;
	u->received++;
}

static int pop(struct vuart *u)
{
	u8 b;

	if (!u->count)
		return -1;
	b = u->q[u->head];
	u->head = (u16)((u->head + 1) % VUART_QUEUE);
	u->count--;
	return b;
}

static void rx_byte(struct vuart *u, u8 byte)
{
	u8 out[2];
	size_t n;
	enum console_action a;

	if (!u->filter || (u->mcr & VUART_MCR_LOOP)) {
		vuart_push(u, byte);	/* loopback: the guest's own bytes come back */
		return;
	}
	a = console_escape_feed(&u->esc, byte, out, &n);
	for (size_t i = 0; i < n; i++)
		vuart_push(u, out[i]);
	if (a != CONSOLE_NONE)
		u->action = a;
}

enum console_action vuart_poll(struct vuart *u)
{
	/* a full queue leaves the bytes in the real UART (its FIFO overruns,
	 * as it would for a guest that does not read) */
	for (unsigned i = 0; i < VUART_DRAIN_MAX && u->action == CONSOLE_NONE &&
			     u->count <= VUART_QUEUE - 2; i++) {
		u8 lsr = rd(u, UART_LSR);

		u->lsr_err |= lsr & VUART_LSR_ERR;
		if (!(lsr & VUART_LSR_DR) || lsr == 0xff)	/* 0xff: no UART there */
			break;
		rx_byte(u, rd(u, UART_RBR));
	}
	return u->action;
}

enum console_action vuart_take_action(struct vuart *u)
{
	enum console_action a = u->action;

	u->action = CONSOLE_NONE;
	return a;
}

/* What the guest's IIR read says, by the 16550's priorities. */
static u8 read_iir(struct vuart *u)
{
	u8 real = rd(u, VUART_IIR);

	/* the read acknowledged these for the real UART: remember them */
	if ((real & (VUART_IIR_ID | VUART_IIR_NO_INT)) == VUART_IIR_THRI)
		u->thri = true;
	if ((real & (VUART_IIR_ID | VUART_IIR_NO_INT)) == VUART_IIR_MSI)
		u->msi = true;
	vuart_poll(u);
	real &= VUART_IIR_FIFO;
	if (u->lsr_err && (u->ier & VUART_IER_RLSI))
		return real | VUART_IIR_RLSI;
	if (u->count && (u->ier & VUART_IER_RDI))
		return real | VUART_IIR_RDI;
	if (u->thri && (u->ier & VUART_IER_THRI)) {
		u->thri = false;
		return real | VUART_IIR_THRI;
	}
	if (u->msi && (u->ier & VUART_IER_MSI)) {
		u->msi = false;
		return real | VUART_IIR_MSI;
	}
	return real | VUART_IIR_NO_INT;
}

static u8 read_lsr(struct vuart *u)
{
	u8 real, v;

	vuart_poll(u);
	real = rd(u, UART_LSR);
	if (real == 0xff)
		return real;
	u->lsr_err |= real & VUART_LSR_ERR;
	v = (u8)(real & ~(VUART_LSR_DR | VUART_LSR_ERR));
	if (u->count)
		v |= VUART_LSR_DR;
	v |= u->lsr_err;
	u->lsr_err = 0;
	return v;
}

void vuart_io(struct vuart *u, unsigned reg, bool in, u8 *val)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;

	reg &= 7;
	if (in) {
		int b;
		switch (reg) {
		case UART_RBR:
			if (dlab)
				break;
			vuart_poll(u);
			b = pop(u);
			*val = b < 0 ? 0 : (u8)b;
			return;
		case VUART_IIR:
			*val = read_iir(u);
			return;
		case UART_LSR:
			*val = read_lsr(u);
			return;
		}
		*val = rd(u, reg);
		return;
	}
	switch (reg) {
	case UART_IER:
		if (!dlab)
			u->ier = *val & 0x0f;
		break;
	case UART_FCR:
		if (*val & VUART_FCR_CLEAR_RX)
			u->head = u->count = 0;
		break;
	case UART_LCR:
		u->lcr = *val;
		break;
	case UART_MCR:
		u->mcr = *val;
		break;
	}
	wr(u, reg, *val);
}
