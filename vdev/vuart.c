/* The guest's 16550 on top of the real console UART: a register file of the
 * guest's own, a receive queue filled through the escape filter, software
 * loopback. See include/uhv/vuart.h for the why. Pure: the real UART is
 * reached through struct vuart_ops. */
#include <uhv/vuart.h>
#include <uhv/uart.h>
#include <uhv/string.h>

static u8 rd(struct vuart *u, unsigned reg)
{
	return u->ops->in(u->ops->ctx, reg);
}

static void wr(struct vuart *u, unsigned reg, u8 val)
{
	u->ops->out(u->ops->ctx, reg, val);
}

void vuart_init(struct vuart *u, const struct vuart_ops *ops, bool filter, u16 divisor)
{
	memset(u, 0, sizeof(*u));
	u->ops = ops;
	u->filter = filter;
	console_escape_init(&u->esc);
	u->lcr = rd(u, UART_LCR) & (u8)~VUART_LCR_DLAB;
	u->real_mcr_now = rd(u, UART_MCR);
	u->real_mcr = u->real_mcr_now & (VUART_MCR_DTR | VUART_MCR_RTS);
	u->mcr = u->real_mcr_now & VUART_MCR_MASK & (u8)~VUART_MCR_LOOP;
	u->ier = rd(u, UART_IER) & VUART_IER_MASK;
	u->fcr = (rd(u, VUART_IIR) & VUART_IIR_FIFO) ? VUART_FCR_ENABLE : 0;
	u->dll = (u8)divisor;
	u->dlm = (u8)(divisor >> 8);
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

static bool in_loopback(const struct vuart *u)
{
	return u->mcr & VUART_MCR_LOOP;
}

/* A byte from the real UART: the escape filter sees every one (the user keeps the monitor
 * whatever the guest does); what it passes on is the guest's input unless the guest is in
 * loopback, where a 16550 receives only what it transmits itself. */
static void rx_byte(struct vuart *u, u8 byte)
{
	u8 out[2] = { byte };
	size_t n = 1;
	enum console_action a = CONSOLE_NONE;

	if (u->filter)
		a = console_escape_feed(&u->esc, byte, out, &n);
	for (size_t i = 0; i < n; i++) {
		if (in_loopback(u))
			u->dropped++;
		else
			vuart_push(u, out[i]);
	}
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

/* What the guest's output may put on the user's terminal. Everything else, above all ESC
 * (CSI, OSC: cursor moves, screen clears, window titles, terminal queries whose answers
 * come back as typed input) and the 8-bit C1 controls (0x9b is CSI on a terminal in 8-bit
 * mode), is shown as '.', one byte for one: nothing the guest writes disappears, and its
 * FIFO accounting (16 bytes per THRE) stays right. The same rule as the console hypercall
 * (vmx/hypercall.c), plus \r and \b, which a serial console's text uses (Linux ends its
 * lines with \r\n; a shell echoes "\b \b" for a backspace). UTF-8 shows as dots too. */
u8 vuart_console_safe(u8 c)
{
	if (c >= 0x20 && c < 0x7f)
		return c;
	switch (c) {
	case '\n':	/* line feed */
	case '\r':	/* carriage return: Linux's \r\n */
	case '\t':	/* tab */
	case '\b':	/* backspace: line editing */
		return c;
	default:
		return '.';
	}
}

/* The modem status inputs in loopback: wired to the modem control outputs. */
static u8 loop_lines(u8 mcr)
{
	return (u8)(((mcr & VUART_MCR_RTS) ? VUART_MSR_CTS : 0) |
		    ((mcr & VUART_MCR_DTR) ? VUART_MSR_DSR : 0) |
		    ((mcr & VUART_MCR_OUT1) ? VUART_MSR_RI : 0) |
		    ((mcr & VUART_MCR_OUT2) ? VUART_MSR_DCD : 0));
}

/* The delta bits a change of the modem status inputs from prev to now sets. */
static u8 msr_deltas(u8 prev, u8 now)
{
	u8 chg = prev ^ now, d = 0;

	if (chg & VUART_MSR_CTS)
		d |= VUART_MSR_DCTS;
	if (chg & VUART_MSR_DSR)
		d |= VUART_MSR_DDSR;
	if ((prev & VUART_MSR_RI) && !(now & VUART_MSR_RI))
		d |= VUART_MSR_TERI;	/* trailing edge only */
	if (chg & VUART_MSR_DCD)
		d |= VUART_MSR_DDCD;
	return d;
}

/* The real MCR: uhv's DTR and RTS, plus the guest's OUT2 outside loopback (the PC's IRQ
 * gate: the guest's interrupt handler needs it, as it did on the real UART). Never LOOP. */
static void sync_real_mcr(struct vuart *u)
{
	u8 want = u->real_mcr;

	if ((u->mcr & VUART_MCR_OUT2) && !in_loopback(u))
		want |= VUART_MCR_OUT2;
	if (want != u->real_mcr_now) {
		wr(u, UART_MCR, want);
		u->real_mcr_now = want;
	}
}

static void write_mcr(struct vuart *u, u8 val)
{
	bool was_loop = in_loopback(u);
	u8 prev;

	u->mcr = val & VUART_MCR_MASK;
	if (in_loopback(u)) {
		/* entering loopback switches the inputs from the real lines to MCR */
		prev = was_loop ? (u->msr_loop & 0xf0) : (rd(u, VUART_MSR) & 0xf0);
		u->msr_loop = (u8)(loop_lines(u->mcr) | (was_loop ? u->msr_loop & 0x0f : 0) |
				   msr_deltas(prev, loop_lines(u->mcr)));
	}
	sync_real_mcr(u);
}

static void write_thr(struct vuart *u, u8 val)
{
	if (in_loopback(u)) {
		/* back to the guest's own receive side, at once; never the wire or the filter */
		if (u->count == VUART_QUEUE)
			u->lsr_err |= VUART_LSR_OE;
		vuart_push(u, val);
		u->thri = true;		/* the holding register emptied */
		return;
	}
	u8 safe = vuart_console_safe(val);
	u->tx_shown += safe != val;
	wr(u, UART_THR, safe);
}

static bool msi_pending(struct vuart *u)
{
	return in_loopback(u) ? (u->msr_loop & 0x0f) != 0 : u->msi;
}

/* What the guest's IIR read says, by the 16550's priorities. */
static u8 read_iir(struct vuart *u)
{
	u8 real = rd(u, VUART_IIR) & (VUART_IIR_ID | VUART_IIR_NO_INT);
	u8 fifo = (u->fcr & VUART_FCR_ENABLE) ? VUART_IIR_FIFO : 0;

	/* the read acknowledged these for the real UART: remember them */
	if (real == VUART_IIR_THRI)
		u->thri = true;
	if (real == VUART_IIR_MSI)
		u->msi = true;
	vuart_poll(u);
	if (u->lsr_err && (u->ier & VUART_IER_RLSI))
		return fifo | VUART_IIR_RLSI;
	if (u->count && (u->ier & VUART_IER_RDI))
		return fifo | VUART_IIR_RDI;
	if (u->thri && (u->ier & VUART_IER_THRI)) {
		u->thri = false;
		return fifo | VUART_IIR_THRI;
	}
	if (msi_pending(u) && (u->ier & VUART_IER_MSI)) {
		u->msi = false;		/* in loopback: until MSR is read */
		return fifo | VUART_IIR_MSI;
	}
	return fifo | VUART_IIR_NO_INT;
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

static u8 read_msr(struct vuart *u)
{
	u8 v;

	if (in_loopback(u)) {
		v = u->msr_loop;
		u->msr_loop &= 0xf0;	/* reading clears the delta bits */
		return v;
	}
	u->msi = false;			/* the real read clears the real condition */
	return rd(u, VUART_MSR);
}

static u8 guest_read(struct vuart *u, unsigned reg)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	int b;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			return u->dll;
		if (!in_loopback(u))
			vuart_poll(u);
		b = pop(u);
		return b < 0 ? 0 : (u8)b;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		return read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return read_lsr(u);
	case VUART_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void guest_write(struct vuart *u, unsigned reg, u8 val)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			write_thr(u, val);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* the real interrupt enables follow the guest's: its IRQ 4 comes from there
		 * (each write, as a 16550 raises THRE again when THRI is set anew) */
		u->ier = val & VUART_IER_MASK;
		wr(u, UART_IER, u->ier);
		break;
	case UART_FCR:
		u->fcr = val & (u8)~(VUART_FCR_CLEAR_RX | 0x04);	/* reset bits self-clear */
		if (val & VUART_FCR_CLEAR_RX)
			u->head = u->count = 0;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		write_mcr(u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;		/* LSR, MSR: a 16550's factory-test writes, ignored */
	}
}

void vuart_io(struct vuart *u, unsigned reg, bool in, u8 *val)
{
	reg &= 7;
	if (in)
		*val = guest_read(u, reg);
	else
		guest_write(u, reg, *val);
}
