/* GDB remote serial protocol engine (pure, host-tested), the session: attach and detach,
 * stop replies, and the dispatch of every packet, with the memory, resume and query packets
 * themselves. See include/uhv/gdbstub.h for the backend contract; framing is in
 * gdbstub_wire.c, registers in gdbstub_regs.c, breakpoints in gdbstub_bp.c. */
#define LOG_MODULE "gdb"
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/gdbstub.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "gdbstub_priv.h"

/* ---- stop replies ---------------------------------------------------------------------------- */

static void set_stop_reply(struct gdb_stub *s, const struct gdb_stop *why)
{
	char *r = s->stop_reply;
	size_t n = sizeof(s->stop_reply);
	const char *kind = "";
	u64 dr6 = why->dr6;

	switch (why->reason) {
	case GDB_STOP_INTERRUPT:
		ksnprintf(r, n, "T02thread:%x;", GDB_THREAD_ID);
		return;
	case GDB_STOP_SIGNAL:
		ksnprintf(r, n, "T%02xthread:%x;", why->signal, GDB_THREAD_ID);
		return;
	case GDB_STOP_EXITED:
		ksnprintf(r, n, "W%02x", why->code);
		return;
	case GDB_STOP_STEP:
		break;
	case GDB_STOP_INT3:
		if (s->gdb_swbreak && gdb_is_breakpoint(s, why->rip))
			kind = "swbreak:;";
		break;
	case GDB_STOP_DEBUG:
		/* a data hit names its address; it wins over an execute hit and a step */
		for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
			const struct gdb_hw_slot *h = &s->hw[i];
			if (!(dr6 & BIT(i)) || !h->used || h->type == GDB_BP_HW)
				continue;
			const char *w = h->type == GDB_WP_WRITE ? "watch" :
					h->type == GDB_WP_READ ? "rwatch" : "awatch";
			ksnprintf(r, n, "T05thread:%x;%s:%llx;", GDB_THREAD_ID, w,
				  h->addr);
			return;
		}
		for (unsigned i = 0; i < GDB_HW_SLOTS; i++)
			if ((dr6 & BIT(i)) && s->hw[i].used && s->gdb_hwbreak)
				kind = "hwbreak:;";
		break;
	}
	ksnprintf(r, n, "T05thread:%x;%s", GDB_THREAD_ID, kind);
}

void gdb_notify_stop(struct gdb_stub *s, const struct gdb_stop *why)
{
	set_stop_reply(s, why);
	if (s->state != GDB_STATE_RUNNING)
		return;		/* all-stop: GDB only expects a stop reply after a resume */
	s->state = GDB_STATE_STOPPED;
	gdb_send_str(s, s->stop_reply);
}

/* ---- packets --------------------------------------------------------------------------------- */

static void read_mem(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	u64 addr, len;
	int got;

	if (!gdb_parse_addr_len(&p, end, &addr, &len) || p != end) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	/* a short reply is allowed; GDB asks again for the rest */
	len = MIN(len, (u64)sizeof(s->out) / 2);
	if (!len)
		return;
	got = s->be->read_mem(s->be->ctx, addr, s->data, (size_t)len);
	if (got <= 0) {
		gdb_out_error(s, E_FAULT);
		return;
	}
	got = MIN(got, (int)len);
	gdb_bp_hide(s, addr, s->data, (size_t)got);
	gdb_out_hex(s, s->data, (size_t)got);
}

/* M (hex) and X (binary) */
static void write_mem(struct gdb_stub *s, const u8 *p, const u8 *end, bool binary)
{
	u64 addr, len;
	size_t n = 0;

	if (!gdb_parse_addr_len(&p, end, &addr, &len) || !gdb_expect(&p, end, ':') ||
	    len > sizeof(s->data)) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	if (binary) {
		while (p < end && n < sizeof(s->data)) {
			u8 c = *p++;
			if (c == '}') {
				if (p == end)
					break;
				c = *p++ ^ 0x20;
			}
			s->data[n++] = c;
		}
		if (p != end || n != len) {
			gdb_out_error(s, E_SYNTAX);
			return;
		}
	} else {
		if ((size_t)(end - p) != 2 * len || !gdb_decode_hex(p, (size_t)len, s->data)) {
			gdb_out_error(s, E_SYNTAX);
			return;
		}
		n = (size_t)len;
	}
	if (n) {
		gdb_bp_shadow_write(s, addr, s->data, n);
		if (s->be->write_mem(s->be->ctx, addr, s->data, n) != (int)n) {
			gdb_out_error(s, E_FAULT);
			return;
		}
	}
	gdb_out_str(s, "OK");
}

static void do_resume(struct gdb_stub *s, bool step, bool has_addr, u64 addr)
{
	if (has_addr) {
		if (s->be->read_regs(s->be->ctx, &s->regs) < 0)
			goto fail;
		s->regs.rip = addr;
		if (s->be->write_regs(s->be->ctx, &s->regs) < 0)
			goto fail;
	}
	s->state = GDB_STATE_RUNNING;
	/* last: the backend may stop again (and reply) before returning */
	s->be->resume(s->be->ctx, step);
	return;
fail:
	gdb_send_str(s, "E0e");
}

/* c[addr], s[addr], Csig[;addr], Ssig[;addr]; the signal is not delivered
 * (the guest has no signals; GDB only passes one back after a stop). */
static bool resume_packet(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	bool step = *p == 's' || *p == 'S', with_sig = *p == 'C' || *p == 'S';
	u64 addr = 0, sig;
	bool has_addr = false;

	p++;
	if (with_sig) {
		if (!gdb_parse_hex(&p, end, &sig))
			return false;
		if (p < end && !gdb_expect(&p, end, ';'))
			return false;
	}
	if (p < end) {
		if (!gdb_parse_hex(&p, end, &addr) || p != end)
			return false;
		has_addr = true;
	}
	do_resume(s, step, has_addr, addr);
	return true;
}

/* vCont;action[:thread][;action[:thread]]... - the first action that applies
 * to our thread (no thread, -1 or ours) decides. */
static bool vcont(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	while (p < end) {
		u8 act;
		u64 v;
		bool ours = true;

		if (!gdb_expect(&p, end, ';') || p >= end)
			return false;
		act = *p++;
		if (act == 'C' || act == 'S') {
			if (!gdb_parse_hex(&p, end, &v))
				return false;
		} else if (act != 'c' && act != 's' && act != 't') {
			return false;
		}
		if (p < end && *p == ':') {
			p++;
			if (gdb_starts_with(p, end, "-1")) {
				p += 2;
			} else {
				if (!gdb_parse_hex(&p, end, &v))
					return false;
				ours = v == 0 || v == GDB_THREAD_ID;
			}
		}
		if (ours && act != 't') {
			do_resume(s, act == 's' || act == 'S', false, 0);
			return true;
		}
	}
	return false;
}

static void q_supported(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	char buf[128];

	/* GDB's features: "qSupported:swbreak+;hwbreak+;..." */
	for (const u8 *f = p; f < end;) {
		const u8 *e = f;
		while (e < end && *e != ';')
			e++;
		if (gdb_equals(f, e, "swbreak+"))
			s->gdb_swbreak = true;
		if (gdb_equals(f, e, "hwbreak+"))
			s->gdb_hwbreak = true;
		f = e + 1;
	}
	ksnprintf(buf, sizeof(buf), "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;"
		  "swbreak+;hwbreak+;vContSupported+", GDB_PKT_MAX);
	gdb_out_str(s, buf);
}

static void query(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	char buf[16];

	if (gdb_starts_with(p, end, "qSupported")) {
		s->gdb_swbreak = s->gdb_hwbreak = false;
		p += 10;
		if (p < end && *p == ':')
			p++;
		q_supported(s, p, end);
	} else if (gdb_starts_with(p, end, "qXfer:features:read:")) {
		gdb_pkt_qxfer_features(s, p + 20, end);
	} else if (gdb_equals(p, end, "qAttached") || gdb_starts_with(p, end, "qAttached:")) {
		gdb_out_str(s, "1");	/* GDB detaches (never kills) when it quits */
	} else if (gdb_equals(p, end, "qC")) {
		ksnprintf(buf, sizeof(buf), "QC%x", GDB_THREAD_ID);
		gdb_out_str(s, buf);
	} else if (gdb_equals(p, end, "qfThreadInfo")) {
		ksnprintf(buf, sizeof(buf), "m%x", GDB_THREAD_ID);
		gdb_out_str(s, buf);
	} else if (gdb_equals(p, end, "qsThreadInfo")) {
		gdb_out_str(s, "l");
	}
	/* anything else: empty reply = not supported */
}

static void detach(struct gdb_stub *s)
{
	gdb_bp_remove_all(s);
	s->no_ack = false;
	s->tx_unacked = false;
	s->state = GDB_STATE_DETACHED;
	s->be->detach(s->be->ctx);
}

/* D and vKill: "OK" goes out before the stub lets go of the guest. */
static void ok_then_detach(struct gdb_stub *s)
{
	gdb_out_str(s, "OK");
	gdb_send_reply(s);
	detach(s);
}

/* v packets; false when nothing is left to send (a stop reply will answer a vCont). */
static bool v_packet(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	if (gdb_equals(p, end, "vCont?")) {
		gdb_out_str(s, "vCont;c;C;s;S");
	} else if (gdb_starts_with(p, end, "vCont;")) {
		if (vcont(s, p + 5, end))
			return false;
		gdb_out_error(s, E_SYNTAX);
	} else if (gdb_starts_with(p, end, "vKill")) {
		ok_then_detach(s);
		return false;
	}
	return true;
}

/* Tthread: alive? There is one thread, ours. */
static void thread_alive(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	u64 v;

	if (gdb_parse_hex(&p, end, &v) && p == end && v == GDB_THREAD_ID)
		gdb_out_str(s, "OK");
	else
		gdb_out_error(s, E_SYNTAX);
}

/* One command (p < end); false when its handler already answered, or a stop reply will. */
static bool dispatch(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	switch (*p) {
	case '?':
		if (s->state == GDB_STATE_RUNNING) {
			s->be->interrupt(s->be->ctx);	/* the stop reply answers */
			return false;
		}
		gdb_out_str(s, s->stop_reply);
		break;
	case 'g':
		if (end - p == 1)
			gdb_pkt_regs_read(s);
		else
			gdb_out_error(s, E_SYNTAX);
		break;
	case 'G':
		gdb_pkt_regs_write(s, p + 1, end);
		break;
	case 'p':
	case 'P':
		gdb_pkt_reg_one(s, p + 1, end, *p == 'P');
		break;
	case 'm':
		read_mem(s, p + 1, end);
		break;
	case 'M':
	case 'X':
		write_mem(s, p + 1, end, *p == 'X');
		break;
	case 'c':
	case 's':
	case 'C':
	case 'S':
		if (resume_packet(s, p, end))
			return false;
		gdb_out_error(s, E_SYNTAX);
		break;
	case 'v':
		return v_packet(s, p, end);
	case 'Z':
	case 'z':
		gdb_pkt_z(s, p, end, *p == 'Z');
		break;
	case 'q':
		query(s, p, end);
		break;
	case 'Q':
		if (gdb_equals(p, end, "QStartNoAckMode")) {
			gdb_out_str(s, "OK");
			gdb_send_reply(s);	/* still acked by GDB, like the request was */
			s->no_ack = true;
			s->tx_unacked = false;
			return false;
		}
		break;
	case 'H':
		/* Hg/Hc: one thread, so any valid choice is fine */
		gdb_out_str(s, "OK");
		break;
	case 'T':
		thread_alive(s, p + 1, end);
		break;
	case 'D':
		ok_then_detach(s);
		return false;
	case 'k':
		detach(s);	/* no reply to k; killing the guest is not ours to do */
		return false;
	default:
		break;		/* unknown: empty reply */
	}
	return true;
}

void gdb_process_packet(struct gdb_stub *s)
{
	const u8 *p = s->rx, *end = s->rx + s->rx_len;

	gdb_out_reset(s);
	if (s->state == GDB_STATE_DETACHED)
		s->state = GDB_STATE_RUNNING;	/* a new GDB; '?' will stop the guest */
	if (s->rx_overflow) {
		gdb_out_error(s, E_NOSPACE);
		gdb_send_reply(s);
		return;
	}
	/* an empty packet gets an empty reply */
	if (p == end || dispatch(s, p, end))
		gdb_send_reply(s);
}

void gdb_attach(struct gdb_stub *s, const struct gdb_backend *be, bool running)
{
	memset(s, 0, sizeof(*s));
	s->be = be;
	s->state = running ? GDB_STATE_RUNNING : GDB_STATE_STOPPED;
	/* what '?' says when GDB finds the guest already stopped */
	ksnprintf(s->stop_reply, sizeof(s->stop_reply), "T05thread:%x;", GDB_THREAD_ID);
	pr_debug("stub attached, guest %s\n", running ? "running" : "stopped");
}
