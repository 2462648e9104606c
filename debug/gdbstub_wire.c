/* GDB stub engine, the wire: hex digits, parsing helpers, checksums, run-length encoding,
 * the reply buffer and its framing, and the receiver that assembles packets byte by byte
 * (pure, host-tested). Framing rules: GDB's "Remote Serial Protocol" appendix: packets
 * $data#cs, '+'/'-' acks until QStartNoAckMode, '}' escapes (x ^ 0x20) for '#', '$', '}' and
 * '*', and run-length encoding, which only the stub uses (GDB's own packets may carry a raw
 * '*' in binary data, so nothing received is RLE-decoded). */
#include <uhv/errno.h>
#include <uhv/string.h>
#include "gdbstub_priv.h"

enum { RX_IDLE, RX_DATA, RX_CS1, RX_CS2 };

#define CTRL_C		0x03
#define RLE_MAX_EXTRA	(126 - 29)	/* the count character must stay printable */

/* ---- small helpers --------------------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static int hexval(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* At least one and at most 16 hex digits. */
bool gdb_parse_hex(const u8 **pp, const u8 *end, u64 *out)
{
	const u8 *p = *pp;
	u64 v = 0;
	int n = 0, d;

	while (p < end && (d = hexval(*p)) >= 0) {
		if (++n > 16)
			return false;
		v = v << 4 | (u64)d;
		p++;
	}
	if (!n)
		return false;
	*pp = p;
	*out = v;
	return true;
}

bool gdb_expect(const u8 **pp, const u8 *end, u8 c)
{
	if (*pp >= end || **pp != c)
		return false;
	(*pp)++;
	return true;
}

/* Exactly n bytes from 2n hex digits at p. */
bool gdb_decode_hex(const u8 *p, size_t n, u8 *dst)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		dst[i] = (u8)(hi << 4 | lo);
	}
	return true;
}

bool gdb_starts_with(const u8 *p, const u8 *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

bool gdb_equals(const u8 *p, const u8 *end, const char *word)
{
	return (size_t)(end - p) == strlen(word) && memcmp(p, word, (size_t)(end - p)) == 0;
}

bool gdb_parse_addr_len(const u8 **p, const u8 *end, u64 *addr, u64 *len)
{
	return gdb_parse_hex(p, end, addr) && gdb_expect(p, end, ',') && gdb_parse_hex(p, end, len);
}

u8 gdb_checksum(const void *buf, size_t len)
{
	const u8 *b = buf;
	u8 sum = 0;
	while (len--)
		sum = (u8)(sum + *b++);
	return sum;
}

int gdb_rle_decode(const u8 *src, size_t len, u8 *dst, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] != '*') {
			if (n >= cap)
				return -EINVAL;
			dst[n++] = src[i];
			continue;
		}
		/* '*' must follow a character and be followed by a count */
		if (!n || i + 1 >= len || src[i + 1] < 29 + 3 || src[i + 1] > 126)
			return -EINVAL;
		size_t extra = (size_t)src[++i] - 29;
		if (n + extra > cap)
			return -EINVAL;
		memset(dst + n, dst[n - 1], extra);
		n += extra;
	}
	return (int)n;
}

/* ---- output ---------------------------------------------------------------------------------- */

void gdb_out_reset(struct gdb_stub *s)
{
	s->out_len = 0;
	s->out_overflow = false;
}

void gdb_out_byte(struct gdb_stub *s, u8 c)
{
	if (s->out_len < sizeof(s->out))
		s->out[s->out_len++] = c;
	else
		s->out_overflow = true;
}

void gdb_out_str(struct gdb_stub *s, const char *str)
{
	while (*str)
		gdb_out_byte(s, (u8)*str++);
}

void gdb_out_hex(struct gdb_stub *s, const void *buf, size_t n)
{
	const u8 *b = buf;
	for (size_t i = 0; i < n; i++) {
		gdb_out_byte(s, (u8)hexdig[b[i] >> 4]);
		gdb_out_byte(s, (u8)hexdig[b[i] & 15]);
	}
}

void gdb_out_error(struct gdb_stub *s, u8 code)
{
	gdb_out_reset(s);
	gdb_out_byte(s, 'E');
	gdb_out_hex(s, &code, 1);
}

static bool needs_escape(u8 c)
{
	return c == '#' || c == '$' || c == '}' || c == '*';
}

/* Frame out[] into tx[] (escapes, run-length encoding, checksum) and send it. */
void gdb_send_reply(struct gdb_stub *s)
{
	u8 *t = s->tx;
	size_t n = 0, i = 0;

	if (s->out_overflow)
		gdb_out_error(s, E_NOSPACE);	/* cannot happen: handlers size their replies */

	t[n++] = '$';
	while (i < s->out_len) {
		u8 c = s->out[i];
		if (needs_escape(c)) {
			t[n++] = '}';
			t[n++] = c ^ 0x20;
			i++;
			continue;
		}
		size_t run = 1;
		while (i + run < s->out_len && s->out[i + run] == c && run <= RLE_MAX_EXTRA)
			run++;
		size_t extra = run - 1;
		t[n++] = c;
		if (extra < 3) {
			i++;	/* too short to pay off; the next bytes go out on their own */
			continue;
		}
		if (extra == '#' - 29 || extra == '$' - 29)
			extra = '#' - 29 - 1;	/* the count character may not be '#' or '$' */
		t[n++] = '*';
		t[n++] = (u8)(extra + 29);
		i += 1 + extra;
	}
	u8 sum = gdb_checksum(t + 1, n - 1);
	t[n++] = '#';
	t[n++] = (u8)hexdig[sum >> 4];
	t[n++] = (u8)hexdig[sum & 15];
	s->tx_len = n;
	s->tx_unacked = !s->no_ack;
	s->be->put(s->be->ctx, t, n);
}

void gdb_send_str(struct gdb_stub *s, const char *str)
{
	gdb_out_reset(s);
	gdb_out_str(s, str);
	gdb_send_reply(s);
}

/* ---- receiver -------------------------------------------------------------------------------- */

static void put_byte(struct gdb_stub *s, u8 c)
{
	s->be->put(s->be->ctx, &c, 1);
}

static void start_packet(struct gdb_stub *s)
{
	s->rx_state = RX_DATA;
	s->rx_len = 0;
	s->rx_sum = 0;
	s->rx_overflow = false;
	s->rx_bad_cs = false;
}

void gdb_rx_byte(struct gdb_stub *s, u8 c)
{
	int d;

	switch (s->rx_state) {
	case RX_IDLE:
		if (c == '$') {
			start_packet(s);
		} else if (c == CTRL_C) {
			if (s->state == GDB_STATE_RUNNING)
				s->be->interrupt(s->be->ctx);
		} else if (c == '+') {
			s->tx_unacked = false;
		} else if (c == '-') {
			if (s->tx_unacked) {
				s->retransmits++;
				s->be->put(s->be->ctx, s->tx, s->tx_len);
			}
		}
		/* anything else between packets is line noise */
		return;
	case RX_DATA:
		if (c == '$') {
			start_packet(s);	/* '$' is always escaped in data: a new packet */
		} else if (c == '#') {
			s->rx_state = RX_CS1;
		} else {
			s->rx_sum = (u8)(s->rx_sum + c);
			if (s->rx_len < sizeof(s->rx) - 1)
				s->rx[s->rx_len++] = c;
			else
				s->rx_overflow = true;
		}
		return;
	case RX_CS1:
		if (c == '$') {
			start_packet(s);
			return;
		}
		d = hexval(c);
		s->rx_cs = (u8)(d < 0 ? 0 : d << 4);
		s->rx_bad_cs = d < 0;
		s->rx_state = RX_CS2;
		return;
	case RX_CS2:
	default:
		if (c == '$') {
			start_packet(s);
			return;
		}
		s->rx_state = RX_IDLE;
		d = hexval(c);
		if (d < 0 || s->rx_bad_cs || (u8)(s->rx_cs | d) != s->rx_sum) {
			s->bad_checksums++;
			if (!s->no_ack)
				put_byte(s, '-');
			return;
		}
		if (s->rx_overflow)
			s->overflows++;
		if (!s->no_ack)
			put_byte(s, '+');
		s->tx_unacked = false;	/* GDB moved on, so it has our last reply */
		s->rx[s->rx_len] = 0;
		gdb_process_packet(s);
		return;
	}
}
