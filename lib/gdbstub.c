/* GDB remote serial protocol engine (pure, host-tested). See
 * include/uhv/gdbstub.h for the backend contract; the protocol is GDB's
 * "Remote Serial Protocol" appendix: packets $data#cs, '+'/'-' acks until
 * QStartNoAckMode, '}' escapes (x ^ 0x20) for '#', '$', '}' and '*', and
 * run-length encoding, which only the stub uses (GDB's own packets may carry
 * a raw '*' in binary data, so nothing received is RLE-decoded). */
#define LOG_MODULE "gdb"
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/gdbstub.h>
#include <uhv/log.h>
#include <uhv/string.h>

enum { RX_IDLE, RX_DATA, RX_CS1, RX_CS2 };

#define INT3		0xcc
#define CTRL_C		0x03
#define RLE_MAX_EXTRA	(126 - 29)	/* the count character must stay printable */

/* Error numbers in E replies: GDB only shows them, so keep them few. */
#define E_SYNTAX	0x01
#define E_NOSPACE	0x0c
#define E_FAULT		0x0e

/* ---- registers ------------------------------------------------------------------------------- */

struct reg_desc {
	u16 offset;
	u8 size;
};

#define REG(field, sz)	{ offsetof(struct gdb_regs, field), sz }
#define GPR(i)		REG(gpr[i], 8)
#define ST(i)		REG(st[i], 10)
#define X87(i)		REG(x87[i], 4)
#define XMM(i)		REG(xmm[i], 16)

static const struct reg_desc reg_table[GDB_NUM_REGS] = {
	GPR(0), GPR(1), GPR(2), GPR(3), GPR(4), GPR(5), GPR(6), GPR(7),
	GPR(8), GPR(9), GPR(10), GPR(11), GPR(12), GPR(13), GPR(14), GPR(15),
	REG(rip, 8), REG(eflags, 4),
	REG(seg[0], 4), REG(seg[1], 4), REG(seg[2], 4), REG(seg[3], 4), REG(seg[4], 4),
	REG(seg[5], 4),
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
	X87(0), X87(1), X87(2), X87(3), X87(4), X87(5), X87(6), X87(7),
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	REG(mxcsr, 4), REG(fs_base, 8), REG(gs_base, 8),
	REG(cr0, 8), REG(cr2, 8), REG(cr3, 8), REG(cr4, 8), REG(cr8, 8), REG(efer, 8),
};

int gdb_reg_info(unsigned n, size_t *offset, size_t *size)
{
	if (n >= GDB_NUM_REGS)
		return -EINVAL;
	*offset = reg_table[n].offset;
	*size = reg_table[n].size;
	return 0;
}

/* The register order here must be the order of reg_table (a unit test checks). */
#define XREG(name, bits, type)	"<reg name=\"" name "\" bitsize=\"" #bits "\" type=\"" type "\"/>"
#define XREGG(name, bits, type, group) \
	"<reg name=\"" name "\" bitsize=\"" #bits "\" type=\"" type "\" group=\"" group "\"/>"
#define XBIT(name, bit)		"<field name=\"" name "\" start=\"" #bit "\" end=\"" #bit "\"/>"

static const char target_xml[] =
	"<?xml version=\"1.0\"?>"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target version=\"1.0\">"
	"<architecture>i386:x86-64</architecture>"
	"<feature name=\"org.gnu.gdb.i386.core\">"
	"<flags id=\"i386_eflags\" size=\"4\">"
	XBIT("CF", 0) XBIT("PF", 2) XBIT("AF", 4) XBIT("ZF", 6) XBIT("SF", 7)
	XBIT("TF", 8) XBIT("IF", 9) XBIT("DF", 10) XBIT("OF", 11) XBIT("NT", 14) XBIT("RF", 16)
	XBIT("VM", 17) XBIT("AC", 18) XBIT("VIF", 19) XBIT("VIP", 20) XBIT("ID", 21)
	"</flags>"
	XREG("rax", 64, "int64") XREG("rbx", 64, "int64") XREG("rcx", 64, "int64")
	XREG("rdx", 64, "int64") XREG("rsi", 64, "int64") XREG("rdi", 64, "int64")
	XREG("rbp", 64, "data_ptr") XREG("rsp", 64, "data_ptr")
	XREG("r8", 64, "int64") XREG("r9", 64, "int64") XREG("r10", 64, "int64")
	XREG("r11", 64, "int64") XREG("r12", 64, "int64") XREG("r13", 64, "int64")
	XREG("r14", 64, "int64") XREG("r15", 64, "int64")
	XREG("rip", 64, "code_ptr") XREG("eflags", 32, "i386_eflags")
	XREG("cs", 32, "int32") XREG("ss", 32, "int32") XREG("ds", 32, "int32")
	XREG("es", 32, "int32") XREG("fs", 32, "int32") XREG("gs", 32, "int32")
	XREG("st0", 80, "i387_ext") XREG("st1", 80, "i387_ext") XREG("st2", 80, "i387_ext")
	XREG("st3", 80, "i387_ext") XREG("st4", 80, "i387_ext") XREG("st5", 80, "i387_ext")
	XREG("st6", 80, "i387_ext") XREG("st7", 80, "i387_ext")
	XREGG("fctrl", 32, "int", "float") XREGG("fstat", 32, "int", "float")
	XREGG("ftag", 32, "int", "float") XREGG("fiseg", 32, "int", "float")
	XREGG("fioff", 32, "int", "float") XREGG("foseg", 32, "int", "float")
	XREGG("fooff", 32, "int", "float") XREGG("fop", 32, "int", "float")
	"</feature>"
	"<feature name=\"org.gnu.gdb.i386.sse\">"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\">"
	"<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
	"<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
	"<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
	"<field name=\"uint128\" type=\"uint128\"/>"
	"</union>"
	"<flags id=\"i386_mxcsr\" size=\"4\">"
	XBIT("IE", 0) XBIT("DE", 1) XBIT("ZE", 2) XBIT("OE", 3) XBIT("UE", 4) XBIT("PE", 5)
	XBIT("DAZ", 6) XBIT("IM", 7) XBIT("DM", 8) XBIT("ZM", 9) XBIT("OM", 10) XBIT("UM", 11)
	XBIT("PM", 12) XBIT("FZ", 15)
	"</flags>"
	XREG("xmm0", 128, "vec128") XREG("xmm1", 128, "vec128") XREG("xmm2", 128, "vec128")
	XREG("xmm3", 128, "vec128") XREG("xmm4", 128, "vec128") XREG("xmm5", 128, "vec128")
	XREG("xmm6", 128, "vec128") XREG("xmm7", 128, "vec128") XREG("xmm8", 128, "vec128")
	XREG("xmm9", 128, "vec128") XREG("xmm10", 128, "vec128") XREG("xmm11", 128, "vec128")
	XREG("xmm12", 128, "vec128") XREG("xmm13", 128, "vec128") XREG("xmm14", 128, "vec128")
	XREG("xmm15", 128, "vec128")
	XREGG("mxcsr", 32, "i386_mxcsr", "vector")
	"</feature>"
	"<feature name=\"org.gnu.gdb.i386.segments\">"
	XREG("fs_base", 64, "int") XREG("gs_base", 64, "int")
	"</feature>"
	"<feature name=\"org.uhv.x86.sys\">"
	XREGG("cr0", 64, "int", "system") XREGG("cr2", 64, "data_ptr", "system")
	XREGG("cr3", 64, "int", "system") XREGG("cr4", 64, "int", "system")
	XREGG("cr8", 64, "int", "system") XREGG("efer", 64, "int", "system")
	"</feature>"
	"</target>";

const char *gdb_target_xml(void)
{
	return target_xml;
}

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
static bool parse_hex(const u8 **pp, const u8 *end, u64 *out)
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

static bool expect(const u8 **pp, const u8 *end, u8 c)
{
	if (*pp >= end || **pp != c)
		return false;
	(*pp)++;
	return true;
}

/* Exactly n bytes from 2n hex digits at p. */
static bool decode_hex(const u8 *p, size_t n, u8 *dst)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		dst[i] = (u8)(hi << 4 | lo);
	}
	return true;
}

static bool starts_with(const u8 *p, const u8 *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

static bool equals(const u8 *p, const u8 *end, const char *word)
{
	return (size_t)(end - p) == strlen(word) && memcmp(p, word, (size_t)(end - p)) == 0;
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

static void out_reset(struct gdb_stub *s)
{
	s->out_len = 0;
	s->out_overflow = false;
}

static void out_byte(struct gdb_stub *s, u8 c)
{
	if (s->out_len < sizeof(s->out))
		s->out[s->out_len++] = c;
	else
		s->out_overflow = true;
}

static void out_str(struct gdb_stub *s, const char *str)
{
	while (*str)
		out_byte(s, (u8)*str++);
}

static void out_hex(struct gdb_stub *s, const void *buf, size_t n)
{
	const u8 *b = buf;
	for (size_t i = 0; i < n; i++) {
		out_byte(s, (u8)hexdig[b[i] >> 4]);
		out_byte(s, (u8)hexdig[b[i] & 15]);
	}
}

static void out_error(struct gdb_stub *s, u8 code)
{
	out_reset(s);
	out_byte(s, 'E');
	out_hex(s, &code, 1);
}

static bool needs_escape(u8 c)
{
	return c == '#' || c == '$' || c == '}' || c == '*';
}

/* Frame out[] into tx[] (escapes, run-length encoding, checksum) and send it. */
static void send_reply(struct gdb_stub *s)
{
	u8 *t = s->tx;
	size_t n = 0, i = 0;

	if (s->out_overflow)
		out_error(s, E_NOSPACE);	/* cannot happen: handlers size their replies */

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

static void send_str(struct gdb_stub *s, const char *str)
{
	out_reset(s);
	out_str(s, str);
	send_reply(s);
}

/* ---- breakpoints ----------------------------------------------------------------------------- */

static struct gdb_sw_bp *sw_find(struct gdb_stub *s, u64 addr)
{
	for (size_t i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->sw[i].used && s->sw[i].addr == addr)
			return &s->sw[i];
	return NULL;
}

bool gdb_is_breakpoint(const struct gdb_stub *s, u64 gva)
{
	return sw_find((struct gdb_stub *)s, gva) != NULL;
}

static int sw_insert(struct gdb_stub *s, u64 addr)
{
	struct gdb_sw_bp *bp = sw_find(s, addr);
	u8 orig, int3 = INT3;

	if (bp)
		return 0;	/* GDB may insert twice; one int3 serves both */
	for (size_t i = 0; i < GDB_SW_BP_MAX && !bp; i++)
		if (!s->sw[i].used)
			bp = &s->sw[i];
	if (!bp)
		return -ENOSPC;
	if (s->be->read_mem(s->be->ctx, addr, &orig, 1) != 1)
		return -EFAULT;
	if (s->be->write_mem(s->be->ctx, addr, &int3, 1) != 1)
		return -EFAULT;
	bp->addr = addr;
	bp->saved = orig;
	bp->used = true;
	return 0;
}

static int sw_remove(struct gdb_stub *s, u64 addr)
{
	struct gdb_sw_bp *bp = sw_find(s, addr);

	if (!bp)
		return 0;	/* already gone (e.g. removed at a detach) */
	bp->used = false;
	if (s->be->write_mem(s->be->ctx, addr, &bp->saved, 1) != 1)
		return -EFAULT;
	return 0;
}

/* GDB sees guest memory as if no int3 were planted. */
static void sw_hide(struct gdb_stub *s, u64 addr, u8 *buf, size_t len)
{
	for (size_t i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->sw[i].used && s->sw[i].addr - addr < len)
			buf[s->sw[i].addr - addr] = s->sw[i].saved;
}

/* A GDB write over a planted int3 changes the byte restored later instead. */
static void sw_shadow_write(struct gdb_stub *s, u64 addr, u8 *buf, size_t len)
{
	for (size_t i = 0; i < GDB_SW_BP_MAX; i++) {
		if (s->sw[i].used && s->sw[i].addr - addr < len) {
			s->sw[i].saved = buf[s->sw[i].addr - addr];
			buf[s->sw[i].addr - addr] = INT3;
		}
	}
}

static u64 hw_dr7(const struct gdb_stub *s, u64 addr[GDB_HW_SLOTS])
{
	u64 dr7 = BIT(10);	/* reserved, reads as 1 */

	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		const struct gdb_hw_slot *h = &s->hw[i];
		addr[i] = h->used ? h->addr : 0;
		if (!h->used)
			continue;
		u64 rw = h->type == GDB_BP_HW ? 0 : h->type == GDB_WP_WRITE ? 1 : 3;
		u64 len = h->type == GDB_BP_HW ? 0 : h->len == 1 ? 0 : h->len == 2 ? 1 :
			  h->len == 8 ? 2 : 3;
		dr7 |= BIT(2 * i);				/* Ln */
		dr7 |= (rw | len << 2) << (16 + 4 * i);		/* R/Wn, LENn */
	}
	return dr7;
}

static int hw_load(struct gdb_stub *s)
{
	u64 addr[GDB_HW_SLOTS];
	u64 dr7 = hw_dr7(s, addr);
	return s->be->set_debugregs(s->be->ctx, addr, dr7);
}

/* Cover [addr, addr+len) with naturally aligned 1/2/4/8-byte debug register
 * ranges; fails without changing anything when the free slots do not suffice. */
static int hw_insert(struct gdb_stub *s, enum gdb_bp_type type, u64 addr, u64 len)
{
	struct gdb_hw_slot saved[GDB_HW_SLOTS];
	u64 a = addr, left = len;
	int err;

	if (type == GDB_BP_HW)
		left = 1;	/* an execute breakpoint is one instruction start */
	if (!left || left > 8 * GDB_HW_SLOTS || addr + left - 1 < addr)
		return -EINVAL;
	memcpy(saved, s->hw, sizeof(saved));
	while (left) {
		unsigned sz = 8, i;
		while (sz > 1 && (!IS_ALIGNED(a, sz) || sz > left))
			sz >>= 1;
		for (i = 0; i < GDB_HW_SLOTS && s->hw[i].used; i++)
			;
		if (i == GDB_HW_SLOTS) {
			memcpy(s->hw, saved, sizeof(saved));
			return -ENOSPC;
		}
		s->hw[i] = (struct gdb_hw_slot){ .used = true, .type = (u8)type, .len = (u8)sz,
						 .addr = a, .group_addr = addr, .group_len = len };
		a += sz;
		left -= sz;
	}
	err = hw_load(s);
	if (err) {
		memcpy(s->hw, saved, sizeof(saved));
		hw_load(s);
	}
	return err;
}

static int hw_remove(struct gdb_stub *s, enum gdb_bp_type type, u64 addr, u64 len)
{
	bool found = false;

	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		struct gdb_hw_slot *h = &s->hw[i];
		if (h->used && h->type == type && h->group_addr == addr &&
		    (type == GDB_BP_HW || h->group_len == len)) {
			h->used = false;
			found = true;
		}
	}
	return found ? hw_load(s) : 0;
}

static void remove_all_breakpoints(struct gdb_stub *s)
{
	bool any_hw = false;

	for (size_t i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->sw[i].used)
			sw_remove(s, s->sw[i].addr);
	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		any_hw |= s->hw[i].used;
		s->hw[i].used = false;
	}
	if (any_hw)
		hw_load(s);
}

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
	send_str(s, s->stop_reply);
}

/* ---- packets --------------------------------------------------------------------------------- */

static void reply_regs(struct gdb_stub *s)
{
	if (s->be->read_regs(s->be->ctx, &s->regs) < 0) {
		out_error(s, E_FAULT);
		return;
	}
	for (unsigned n = 0; n < GDB_NUM_REGS; n++)
		out_hex(s, (u8 *)&s->regs + reg_table[n].offset, reg_table[n].size);
}

static void write_regs(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	size_t hex = (size_t)(end - p), bytes = hex / 2;

	if (hex % 2 || s->be->read_regs(s->be->ctx, &s->regs) < 0) {
		out_error(s, hex % 2 ? E_SYNTAX : E_FAULT);
		return;
	}
	/* GDB sends the whole file; a shorter packet sets the leading registers */
	for (unsigned n = 0; n < GDB_NUM_REGS && bytes; n++) {
		size_t sz = reg_table[n].size;
		if (bytes < sz ||
		    !decode_hex(p, sz, (u8 *)&s->regs + reg_table[n].offset)) {
			out_error(s, E_SYNTAX);
			return;
		}
		p += 2 * sz;
		bytes -= sz;
	}
	if (bytes) {
		out_error(s, E_SYNTAX);
		return;
	}
	if (s->be->write_regs(s->be->ctx, &s->regs) < 0)
		out_error(s, E_FAULT);
	else
		out_str(s, "OK");
}

static void reg_one(struct gdb_stub *s, const u8 *p, const u8 *end, bool write)
{
	u64 n;
	const struct reg_desc *d;

	if (!parse_hex(&p, end, &n) || n >= GDB_NUM_REGS) {
		out_error(s, E_SYNTAX);
		return;
	}
	d = &reg_table[n];
	if (write && (!expect(&p, end, '=') || (size_t)(end - p) != 2u * d->size)) {
		out_error(s, E_SYNTAX);
		return;
	}
	if (!write && p != end) {
		out_error(s, E_SYNTAX);
		return;
	}
	if (s->be->read_regs(s->be->ctx, &s->regs) < 0) {
		out_error(s, E_FAULT);
		return;
	}
	if (!write) {
		out_hex(s, (u8 *)&s->regs + d->offset, d->size);
		return;
	}
	if (!decode_hex(p, d->size, (u8 *)&s->regs + d->offset)) {
		out_error(s, E_SYNTAX);
		return;
	}
	if (s->be->write_regs(s->be->ctx, &s->regs) < 0)
		out_error(s, E_FAULT);
	else
		out_str(s, "OK");
}

static bool parse_addr_len(const u8 **p, const u8 *end, u64 *addr, u64 *len)
{
	return parse_hex(p, end, addr) && expect(p, end, ',') && parse_hex(p, end, len);
}

static void read_mem(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	u64 addr, len;
	int got;

	if (!parse_addr_len(&p, end, &addr, &len) || p != end) {
		out_error(s, E_SYNTAX);
		return;
	}
	/* a short reply is allowed; GDB asks again for the rest */
	len = MIN(len, (u64)sizeof(s->out) / 2);
	if (!len)
		return;
	got = s->be->read_mem(s->be->ctx, addr, s->data, (size_t)len);
	if (got <= 0) {
		out_error(s, E_FAULT);
		return;
	}
	got = MIN(got, (int)len);
	sw_hide(s, addr, s->data, (size_t)got);
	out_hex(s, s->data, (size_t)got);
}

/* M (hex) and X (binary) */
static void write_mem(struct gdb_stub *s, const u8 *p, const u8 *end, bool binary)
{
	u64 addr, len;
	size_t n = 0;

	if (!parse_addr_len(&p, end, &addr, &len) || !expect(&p, end, ':') ||
	    len > sizeof(s->data)) {
		out_error(s, E_SYNTAX);
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
			out_error(s, E_SYNTAX);
			return;
		}
	} else {
		if ((size_t)(end - p) != 2 * len || !decode_hex(p, (size_t)len, s->data)) {
			out_error(s, E_SYNTAX);
			return;
		}
		n = (size_t)len;
	}
	if (n) {
		sw_shadow_write(s, addr, s->data, n);
		if (s->be->write_mem(s->be->ctx, addr, s->data, n) != (int)n) {
			out_error(s, E_FAULT);
			return;
		}
	}
	out_str(s, "OK");
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
	send_str(s, "E0e");
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
		if (!parse_hex(&p, end, &sig))
			return false;
		if (p < end && !expect(&p, end, ';'))
			return false;
	}
	if (p < end) {
		if (!parse_hex(&p, end, &addr) || p != end)
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

		if (!expect(&p, end, ';') || p >= end)
			return false;
		act = *p++;
		if (act == 'C' || act == 'S') {
			if (!parse_hex(&p, end, &v))
				return false;
		} else if (act != 'c' && act != 's' && act != 't') {
			return false;
		}
		if (p < end && *p == ':') {
			p++;
			if (starts_with(p, end, "-1")) {
				p += 2;
			} else {
				if (!parse_hex(&p, end, &v))
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

static void z_packet(struct gdb_stub *s, const u8 *p, const u8 *end, bool insert)
{
	u64 type, addr, kind;
	int err;

	p++;
	if (!parse_hex(&p, end, &type) || type > GDB_WP_ACCESS || !expect(&p, end, ',') ||
	    !parse_addr_len(&p, end, &addr, &kind) || (p != end && *p != ';')) {
		out_error(s, E_SYNTAX);
		return;
	}
	/* anything after ';' is a condition list, which we did not announce */
	if (type == GDB_BP_SW)
		err = insert ? sw_insert(s, addr) : sw_remove(s, addr);
	else
		err = insert ? hw_insert(s, (enum gdb_bp_type)type, addr, kind) :
			       hw_remove(s, (enum gdb_bp_type)type, addr, kind);
	if (err == -ENOSPC)
		out_error(s, E_NOSPACE);
	else if (err == -EINVAL)
		out_error(s, E_SYNTAX);
	else if (err)
		out_error(s, E_FAULT);
	else
		out_str(s, "OK");
}

static void qxfer_features(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	static const size_t xml_len = sizeof(target_xml) - 1;
	u64 off, len;

	if (!starts_with(p, end, "target.xml:")) {
		out_str(s, "E00");	/* the only annex we have */
		return;
	}
	p += 11;
	if (!parse_addr_len(&p, end, &off, &len) || p != end) {
		out_error(s, E_SYNTAX);
		return;
	}
	if (off >= xml_len) {
		out_str(s, "l");
		return;
	}
	/* tx[] has room for every byte escaped */
	len = MIN(len, (u64)sizeof(s->out) - 1);
	len = MIN(len, xml_len - off);
	out_byte(s, off + len < xml_len ? 'm' : 'l');
	for (u64 i = 0; i < len; i++)
		out_byte(s, (u8)target_xml[off + i]);
}

static void q_supported(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	char buf[128];

	/* GDB's features: "qSupported:swbreak+;hwbreak+;..." */
	for (const u8 *f = p; f < end;) {
		const u8 *e = f;
		while (e < end && *e != ';')
			e++;
		if (equals(f, e, "swbreak+"))
			s->gdb_swbreak = true;
		if (equals(f, e, "hwbreak+"))
			s->gdb_hwbreak = true;
		f = e + 1;
	}
	ksnprintf(buf, sizeof(buf), "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;"
		  "swbreak+;hwbreak+;vContSupported+", GDB_PKT_MAX);
	out_str(s, buf);
}

static void query(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	char buf[16];

	if (starts_with(p, end, "qSupported")) {
		s->gdb_swbreak = s->gdb_hwbreak = false;
		p += 10;
		if (p < end && *p == ':')
			p++;
		q_supported(s, p, end);
	} else if (starts_with(p, end, "qXfer:features:read:")) {
		qxfer_features(s, p + 20, end);
	} else if (equals(p, end, "qAttached") || starts_with(p, end, "qAttached:")) {
		out_str(s, "1");	/* GDB detaches (never kills) when it quits */
	} else if (equals(p, end, "qC")) {
		ksnprintf(buf, sizeof(buf), "QC%x", GDB_THREAD_ID);
		out_str(s, buf);
	} else if (equals(p, end, "qfThreadInfo")) {
		ksnprintf(buf, sizeof(buf), "m%x", GDB_THREAD_ID);
		out_str(s, buf);
	} else if (equals(p, end, "qsThreadInfo")) {
		out_str(s, "l");
	}
	/* anything else: empty reply = not supported */
}

static void detach(struct gdb_stub *s)
{
	remove_all_breakpoints(s);
	s->no_ack = false;
	s->tx_unacked = false;
	s->state = GDB_STATE_DETACHED;
	s->be->detach(s->be->ctx);
}

static void process_packet(struct gdb_stub *s)
{
	const u8 *p = s->rx, *end = s->rx + s->rx_len;
	u64 v;

	out_reset(s);
	if (s->state == GDB_STATE_DETACHED)
		s->state = GDB_STATE_RUNNING;	/* a new GDB; '?' will stop the guest */
	if (s->rx_overflow) {
		out_error(s, E_NOSPACE);
		send_reply(s);
		return;
	}
	if (p == end) {
		send_reply(s);
		return;
	}

	switch (*p) {
	case '?':
		if (s->state == GDB_STATE_RUNNING) {
			s->be->interrupt(s->be->ctx);	/* the stop reply answers */
			return;
		}
		out_str(s, s->stop_reply);
		break;
	case 'g':
		if (end - p == 1)
			reply_regs(s);
		else
			out_error(s, E_SYNTAX);
		break;
	case 'G':
		write_regs(s, p + 1, end);
		break;
	case 'p':
	case 'P':
		reg_one(s, p + 1, end, *p == 'P');
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
			return;
		out_error(s, E_SYNTAX);
		break;
	case 'v':
		if (equals(p, end, "vCont?")) {
			out_str(s, "vCont;c;C;s;S");
		} else if (starts_with(p, end, "vCont;")) {
			if (vcont(s, p + 5, end))
				return;
			out_error(s, E_SYNTAX);
		} else if (starts_with(p, end, "vKill")) {
			out_str(s, "OK");
			send_reply(s);
			detach(s);
			return;
		}
		break;
	case 'Z':
	case 'z':
		z_packet(s, p, end, *p == 'Z');
		break;
	case 'q':
		query(s, p, end);
		break;
	case 'Q':
		if (equals(p, end, "QStartNoAckMode")) {
			out_str(s, "OK");
			send_reply(s);		/* still acked by GDB, like the request was */
			s->no_ack = true;
			s->tx_unacked = false;
			return;
		}
		break;
	case 'H':
		/* Hg/Hc: one thread, so any valid choice is fine */
		out_str(s, "OK");
		break;
	case 'T':
		p++;
		if (parse_hex(&p, end, &v) && p == end && v == GDB_THREAD_ID)
			out_str(s, "OK");
		else
			out_error(s, E_SYNTAX);
		break;
	case 'D':
		out_str(s, "OK");
		send_reply(s);
		detach(s);
		return;
	case 'k':
		detach(s);	/* no reply to k; killing the guest is not ours to do */
		return;
	default:
		break;		/* unknown: empty reply */
	}
	send_reply(s);
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
		process_packet(s);
		return;
	}
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
