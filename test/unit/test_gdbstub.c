// UNIT-SOURCES: debug/gdbstub.c debug/gdbstub_wire.c debug/gdbstub_regs.c debug/gdbstub_bp.c
/* GDB remote serial protocol engine against a fake guest: framing, acks,
 * escapes, run-length encoding, every packet we serve, breakpoints, stop
 * replies, and random input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/errno.h>
#include <uhv/gdbstub.h>
#include "log_capture.h"

#define MEM_SIZE 0x10000

struct fake {
	struct gdb_regs regs;
	u8 mem[MEM_SIZE];	/* guest-virtual 0..64 KiB; everything else faults */
	u64 dr[4], dr7;
	int set_dr_calls, resumes, interrupts, detaches;
	bool last_step;
	bool fail_regs;
	char out[1 << 16];
	size_t out_len;
};

static struct fake F;
static struct gdb_stub S;

static void fk_put(void *ctx, const void *buf, size_t len)
{
	struct fake *f = ctx;
	if (f->out_len + len > sizeof(f->out))
		f->out_len = 0;	/* fuzzing: keep the tail only */
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
}

static int fk_read_regs(void *ctx, struct gdb_regs *r)
{
	struct fake *f = ctx;
	if (f->fail_regs)
		return -EIO;
	*r = f->regs;
	return 0;
}

static int fk_write_regs(void *ctx, const struct gdb_regs *r)
{
	struct fake *f = ctx;
	if (f->fail_regs)
		return -EIO;
	f->regs = *r;
	return 0;
}

static int fk_read_mem(void *ctx, u64 gva, void *buf, size_t len)
{
	struct fake *f = ctx;
	if (gva >= MEM_SIZE)
		return -EFAULT;
	len = len < MEM_SIZE - gva ? len : MEM_SIZE - gva;
	memcpy(buf, f->mem + gva, len);
	return (int)len;
}

static int fk_write_mem(void *ctx, u64 gva, const void *buf, size_t len)
{
	struct fake *f = ctx;
	if (gva >= MEM_SIZE)
		return -EFAULT;
	len = len < MEM_SIZE - gva ? len : MEM_SIZE - gva;
	memcpy(f->mem + gva, buf, len);
	return (int)len;
}

static int fk_set_debugregs(void *ctx, const u64 addr[GDB_HW_SLOTS], u64 dr7)
{
	struct fake *f = ctx;
	memcpy(f->dr, addr, sizeof(f->dr));
	f->dr7 = dr7;
	f->set_dr_calls++;
	return 0;
}

static void fk_resume(void *ctx, bool step)
{
	struct fake *f = ctx;
	f->resumes++;
	f->last_step = step;
}

static void fk_interrupt(void *ctx)
{
	((struct fake *)ctx)->interrupts++;
}

static void fk_detach(void *ctx)
{
	((struct fake *)ctx)->detaches++;
}

static const struct gdb_backend BE = {
	.ctx = &F,
	.put = fk_put,
	.read_regs = fk_read_regs,
	.write_regs = fk_write_regs,
	.read_mem = fk_read_mem,
	.write_mem = fk_write_mem,
	.set_debugregs = fk_set_debugregs,
	.resume = fk_resume,
	.interrupt = fk_interrupt,
	.detach = fk_detach,
};

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	for (int i = 0; i < MEM_SIZE; i++)
		F.mem[i] = (u8)(i * 7 + 3);
	gdb_attach(&S, &BE, false);
	return 0;
}

static void feed_raw(const void *buf, size_t len)
{
	const u8 *b = buf;
	for (size_t i = 0; i < len; i++)
		gdb_rx_byte(&S, b[i]);
}

static void feed_str(const char *s)
{
	feed_raw(s, strlen(s));
}

/* Frame payload (already escaped as needed) and send it. */
static void send_pkt_n(const void *payload, size_t len)
{
	char cs[4];
	feed_raw("$", 1);
	feed_raw(payload, len);
	snprintf(cs, sizeof(cs), "#%02x", gdb_checksum(payload, len));
	feed_raw(cs, 3);
}

static void send_pkt(const char *payload)
{
	send_pkt_n(payload, strlen(payload));
}

static void clear_out(void)
{
	F.out_len = 0;
}

/* Parse the stub's output: optional '+', then exactly one packet; return its
 * payload, RLE-expanded and unescaped, NUL-terminated. */
static size_t take_reply(bool want_ack, char *dst, size_t cap)
{
	static u8 raw[1 << 16], rle[1 << 16];
	size_t i = 0, n = 0, end;
	int len;

	if (want_ack) {
		assert_true(F.out_len >= 1);
		assert_int_equal(F.out[0], '+');
		i = 1;
	}
	assert_true(F.out_len >= i + 4);
	assert_int_equal(F.out[i], '$');
	for (end = i + 1; end < F.out_len && F.out[end] != '#'; end++)
		;
	assert_true(end + 3 == F.out_len);	/* nothing after the checksum */
	memcpy(raw, F.out + i + 1, end - i - 1);
	unsigned sum;
	char cs[3] = { F.out[end + 1], F.out[end + 2], 0 };
	assert_int_equal(sscanf(cs, "%02x", &sum), 1);
	assert_int_equal(sum, gdb_checksum(raw, end - i - 1));
	/* the stub never sends '#' or '$' as a run-length count */
	for (size_t k = 0; k + 1 < end - i - 1; k++)
		if (raw[k] == '*')
			assert_true(raw[k + 1] != '#' && raw[k + 1] != '$');
	len = gdb_rle_decode(raw, end - i - 1, rle, sizeof(rle));
	assert_true(len >= 0);
	for (int k = 0; k < len; k++) {
		u8 c = rle[k];
		if (c == '}') {
			assert_true(k + 1 < len);
			c = rle[++k] ^ 0x20;
		}
		assert_true(n + 1 < cap);
		dst[n++] = (char)c;
	}
	dst[n] = 0;
	clear_out();
	return n;
}

static char R[1 << 16];

/* Send a packet and check the whole reply text. */
static void check(const char *pkt, const char *want)
{
	bool acked = !S.no_ack;

	clear_out();
	send_pkt(pkt);
	take_reply(acked, R, sizeof(R));
	assert_string_equal(R, want);
}

static void hex_of(const void *buf, size_t n, char *dst)
{
	const u8 *b = buf;
	for (size_t i = 0; i < n; i++)
		sprintf(dst + 2 * i, "%02x", b[i]);
}

/* ---- framing ---------------------------------------------------------------------------------- */

static void test_ack_and_checksum(void **state)
{
	clear_out();
	feed_str("$?#3f");
	assert_int_equal(F.out_len, 1 + strlen("$T05thread:1;#xx"));
	take_reply(true, R, sizeof(R));
	assert_string_equal(R, "T05thread:1;");
}

static void test_bad_checksum_nacked(void **state)
{
	clear_out();
	feed_str("$?#00");
	assert_int_equal(F.out_len, 1);
	assert_int_equal(F.out[0], '-');
	clear_out();
	feed_str("$?#zz");	/* not hex */
	assert_int_equal(F.out_len, 1);
	assert_int_equal(F.out[0], '-');
	clear_out();
	feed_str("$?#3");	/* unfinished, then a new packet */
	feed_str("$?#3f");
	assert_true(F.out_len > 1);
	assert_int_equal(S.bad_checksums, 2);
}

static void test_retransmit_on_nack(void **state)
{
	char first[128];
	size_t n;

	clear_out();
	send_pkt("qC");
	n = F.out_len;
	memcpy(first, F.out, n);
	clear_out();
	feed_str("-");
	assert_int_equal(F.out_len, n - 1);
	assert_memory_equal(F.out, first + 1, n - 1);
	clear_out();
	feed_str("+-");		/* acked: nothing more to resend */
	assert_int_equal(F.out_len, 0);
	assert_int_equal(S.retransmits, 1);
}

static void test_no_ack_mode(void **state)
{
	check("QStartNoAckMode", "OK");
	assert_true(S.no_ack);
	clear_out();
	feed_str("+");		/* GDB still acks the OK */
	assert_int_equal(F.out_len, 0);
	check("qC", "QC1");	/* no '+' in front any more */
	clear_out();
	feed_str("$qC#00");	/* bad checksum: dropped silently */
	assert_int_equal(F.out_len, 0);
	feed_str("-");		/* nothing to retransmit in no-ack mode */
	assert_int_equal(F.out_len, 0);
}

static void test_dollar_restarts_packet(void **state)
{
	clear_out();
	feed_str("$qCgarbage$qC#b4");
	take_reply(true, R, sizeof(R));
	assert_string_equal(R, "QC1");
}

static void test_noise_between_packets(void **state)
{
	clear_out();
	feed_str("hello\r\n#12}*");
	assert_int_equal(F.out_len, 0);
	check("qC", "QC1");
}

static void test_overlong_packet(void **state)
{
	static char big[GDB_PKT_MAX + 500];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	check(big, "E0c");
	assert_int_equal(S.overflows, 1);
	/* and the next packet is fine */
	check("qC", "QC1");
}

static void test_empty_and_unknown_packets(void **state)
{
	check("", "");
	check("vMustReplyEmpty", "");
	check("qFooBar", "");
	check("!", "");
	check("Q", "");
	check("qTStatus", "");
	check("i", "");
}

/* ---- run-length encoding ----------------------------------------------------------------------- */

static void test_rle_decode(void **state)
{
	u8 out[64];

	assert_int_equal(gdb_rle_decode((const u8 *)"0* ", 3, out, sizeof(out)), 4);
	assert_memory_equal(out, "0000", 4);
	assert_int_equal(gdb_rle_decode((const u8 *)"x*%y", 4, out, sizeof(out)), 10);
	assert_memory_equal(out, "xxxxxxxxxy", 10);
	assert_int_equal(gdb_rle_decode((const u8 *)"*!", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(gdb_rle_decode((const u8 *)"0*", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(gdb_rle_decode((const u8 *)"0*\x10", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(gdb_rle_decode((const u8 *)"0*~", 3, out, 8), -EINVAL);
}

/* Every run length of zeros survives the stub's encoder; take_reply checks
 * that no count is '#' or '$'. */
static void test_rle_encode_all_lengths(void **state)
{
	char want[1024];

	for (unsigned zeros = 0; zeros < 300; zeros++) {
		unsigned pre = zeros % 2, j = (zeros - pre) / 2;
		size_t n = 0;
		char pkt[64];

		F.mem[0x3000 + n++] = pre ? 0x10 : 0x11;
		for (unsigned k = 0; k < j; k++)
			F.mem[0x3000 + n++] = 0;
		F.mem[0x3000 + n++] = 0x11;
		hex_of(F.mem + 0x3000, n, want);
		snprintf(pkt, sizeof(pkt), "m3000,%zx", n);
		check(pkt, want);
	}
}

/* ---- registers -------------------------------------------------------------------------------- */

static void fill_regs(struct gdb_regs *r)
{
	u8 *b = (u8 *)r;
	for (size_t i = 0; i < sizeof(*r); i++)
		b[i] = (u8)(i * 13 + 1);
	r->rip = 0x1000;
}

static size_t regs_hex(const struct gdb_regs *r, char *dst)
{
	size_t n = 0, off, sz;
	for (unsigned i = 0; i < GDB_NUM_REGS; i++) {
		assert_int_equal(gdb_reg_info(i, &off, &sz), 0);
		hex_of((const u8 *)r + off, sz, dst + n);
		n += 2 * sz;
	}
	return n;
}

static void test_g_packet(void **state)
{
	static char want[4096];
	size_t off, sz;

	fill_regs(&F.regs);
	regs_hex(&F.regs, want);
	check("g", want);
	/* GDB's amd64 layout: 16 GPRs, rip, eflags, 6 selectors, x87, sse ... */
	assert_int_equal(strlen(want), 2 * (16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 +
					     4 + 2 * 8 + 6 * 8));
	assert_memory_equal(want + 16 * 16, "0010000000000000", 16);	/* rip, little endian */
	assert_int_equal(gdb_reg_info(GDB_REG_RIP, &off, &sz), 0);
	assert_int_equal(off, offsetof(struct gdb_regs, rip));
	assert_int_equal(gdb_reg_info(GDB_REG_EFLAGS, &off, &sz), 0);
	assert_int_equal(sz, 4);
	assert_int_equal(gdb_reg_info(GDB_NUM_REGS, &off, &sz), -EINVAL);
	check("gx", "E01");
	F.fail_regs = true;
	check("g", "E0e");
}

static void test_G_packet(void **state)
{
	static char pkt[4096];
	struct gdb_regs want;

	fill_regs(&want);
	want.rip = 0xffffffff81000000ull;
	pkt[0] = 'G';
	regs_hex(&want, pkt + 1);
	check(pkt, "OK");
	assert_memory_equal(&F.regs, &want, sizeof(want));
	/* a prefix of whole registers: rax only */
	check("G1100000000000000", "OK");
	assert_int_equal(F.regs.gpr[0], 0x11);
	assert_int_equal(F.regs.rip, want.rip);
	check("G11", "E01");			/* half a register */
	check("G110", "E01");			/* odd length */
	check("Gzz00000000000000", "E01");	/* not hex */
	strcat(pkt, "00");			/* longer than the file */
	check(pkt, "E01");
}

static void test_p_P_packets(void **state)
{
	F.regs.rip = 0x1122334455667788ull;
	F.regs.eflags = 0x246;
	F.regs.gpr[GDB_REG_RSP] = 0x7000;
	check("p10", "8877665544332211");
	check("p11", "46020000");
	check("p7", "0070000000000000");
	check("P10=efbeadde00000000", "OK");
	assert_int_equal(F.regs.rip, 0xdeadbeef);
	check("P11=02000000", "OK");
	assert_int_equal(F.regs.eflags, 2);
	check("P38=7f1f0000", "OK");		/* mxcsr = 56 */
	assert_int_equal(F.regs.mxcsr, 0x1f7f);
	check("p3f", "0000000000000000");	/* cr8 = 63 */
	check("p41", "E01");			/* one past efer */
	check("p99", "E01");
	check("p", "E01");
	check("P10=1234", "E01");		/* wrong size */
	check("P10", "E01");
	check("P10=zzbeadde00000000", "E01");
	check("p10x", "E01");
	check("p1ffffffffffffffffff", "E01");	/* more than 64 bits */
}

/* ---- memory ----------------------------------------------------------------------------------- */

static void test_m_packet(void **state)
{
	char want[64];

	hex_of(F.mem + 0x1000, 4, want);
	check("m1000,4", want);
	hex_of(F.mem + MEM_SIZE - 2, 2, want);
	check("mfffe,10", want);		/* short read at the end of memory */
	check("m20000,4", "E0e");
	check("mzz,4", "E01");
	check("m1000", "E01");
	check("m1000,", "E01");
	check("m1000,4x", "E01");
	check("m1000,0", "");
	/* a huge length is cut to what fits in one reply */
	clear_out();
	send_pkt("m0,ffffffff");
	assert_int_equal(take_reply(true, R, sizeof(R)), GDB_PKT_MAX);
}

static void test_M_packet(void **state)
{
	check("M2000,4:deadbeef", "OK");
	assert_memory_equal(F.mem + 0x2000, "\xde\xad\xbe\xef", 4);
	check("M2000,4:deadbe", "E01");		/* too short */
	check("M2000,2:deadbeef", "E01");	/* too long */
	check("M2000,2:zzzz", "E01");
	check("M2000,2", "E01");
	check("M20000,1:00", "E0e");
	check("M2000,0:", "OK");
}

static void test_X_packet_binary(void **state)
{
	/* data bytes: '#', '$', '}', '*', 0x03, 0x00 - '*' goes raw from GDB */
	const char pkt[] = "X2100,6:}\x03}\x04}]*\x03\x00";

	clear_out();
	send_pkt_n(pkt, sizeof(pkt) - 1);
	take_reply(true, R, sizeof(R));
	assert_string_equal(R, "OK");
	assert_memory_equal(F.mem + 0x2100, "#$}*\x03\x00", 6);
	check("X2100,0:", "OK");		/* GDB's probe for X support */
	check("X2100,2:a", "E01");		/* fewer bytes than announced */
	check("X2100,1:ab", "E01");		/* more */
	check("X2100,1:}", "E01");		/* escape at the end */
}

/* ---- running ---------------------------------------------------------------------------------- */

static void stop(enum gdb_stop_reason r, u64 rip, u64 dr6)
{
	struct gdb_stop why = { .reason = r, .rip = rip, .dr6 = dr6 };
	gdb_notify_stop(&S, &why);
}

static void expect_stop(enum gdb_stop_reason r, u64 rip, u64 dr6, const char *want)
{
	clear_out();
	stop(r, rip, dr6);
	take_reply(false, R, sizeof(R));
	assert_string_equal(R, want);
}

static void expect_resume(const char *pkt, bool step)
{
	int before = F.resumes;

	clear_out();
	send_pkt(pkt);
	assert_int_equal(F.out_len, 1);		/* just the ack; the reply comes at the stop */
	assert_int_equal(F.resumes, before + 1);
	assert_int_equal(F.last_step, step);
	assert_int_equal(gdb_get_state(&S), GDB_STATE_RUNNING);
}

static void test_continue_and_step(void **state)
{
	expect_resume("c", false);
	expect_stop(GDB_STOP_STEP, 0, 0, "T05thread:1;");
	assert_int_equal(gdb_get_state(&S), GDB_STATE_STOPPED);
	expect_resume("s", true);
	expect_stop(GDB_STOP_STEP, 0, 0, "T05thread:1;");
	expect_resume("c4000", false);
	assert_int_equal(F.regs.rip, 0x4000);
	expect_stop(GDB_STOP_SIGNAL, 0, 0, "T00thread:1;");
	expect_resume("s4010", true);
	assert_int_equal(F.regs.rip, 0x4010);
	stop(GDB_STOP_STEP, 0, 0);
	expect_resume("C05", false);
	stop(GDB_STOP_STEP, 0, 0);
	expect_resume("S05;4020", true);
	assert_int_equal(F.regs.rip, 0x4020);
	stop(GDB_STOP_STEP, 0, 0);
	check("cxyz", "E01");
	check("C", "E01");
	/* a stop while nobody waits is remembered for '?', not sent */
	clear_out();
	stop(GDB_STOP_INTERRUPT, 0, 0);
	assert_int_equal(F.out_len, 0);
	check("?", "T02thread:1;");
	F.fail_regs = true;
	check("c1000", "E0e");
	assert_int_equal(gdb_get_state(&S), GDB_STATE_STOPPED);
}

static void test_vcont(void **state)
{
	check("vCont?", "vCont;c;C;s;S");
	expect_resume("vCont;c", false);
	stop(GDB_STOP_STEP, 0, 0);
	expect_resume("vCont;s:1;c", true);
	stop(GDB_STOP_STEP, 0, 0);
	expect_resume("vCont;s:2;c:-1", false);	/* not our thread: the second applies */
	stop(GDB_STOP_STEP, 0, 0);
	expect_resume("vCont;C05:1", false);
	stop(GDB_STOP_STEP, 0, 0);
	expect_resume("vCont;S0b", true);
	stop(GDB_STOP_STEP, 0, 0);
	check("vCont;x", "E01");
	check("vCont;t", "E01");
	check("vCont;", "E01");
	check("vCont;c:zz", "E01");
	check("vCont;s:2", "E01");
}

static void test_interrupt(void **state)
{
	/* Ctrl-C while stopped: nothing to do */
	clear_out();
	feed_raw("\x03", 1);
	assert_int_equal(F.interrupts, 0);
	expect_resume("c", false);
	feed_raw("\x03", 1);
	assert_int_equal(F.interrupts, 1);
	expect_stop(GDB_STOP_INTERRUPT, 0, 0, "T02thread:1;");
	/* inside a packet 0x03 is data, not an interrupt */
	check("qC\x03", "");
	assert_int_equal(F.interrupts, 1);
}

static void test_question_on_running_guest(void **state)
{
	gdb_attach(&S, &BE, true);
	clear_out();
	send_pkt("?");
	assert_int_equal(F.out_len, 1);
	assert_int_equal(F.interrupts, 1);
	expect_stop(GDB_STOP_INTERRUPT, 0, 0, "T02thread:1;");
	check("?", "T02thread:1;");
}

static void test_exit_reply(void **state)
{
	struct gdb_stop why = { .reason = GDB_STOP_EXITED, .code = 3 };

	expect_resume("c", false);
	clear_out();
	gdb_notify_stop(&S, &why);
	take_reply(false, R, sizeof(R));
	assert_string_equal(R, "W03");
	check("?", "W03");
}

/* ---- breakpoints ------------------------------------------------------------------------------ */

static const char GDB_FEATURES[] =
	"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
	"exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;"
	"xmlRegisters=i386";

static void test_qsupported(void **state)
{
	check(GDB_FEATURES, "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+;swbreak+;"
			    "hwbreak+;vContSupported+");
	assert_true(S.gdb_swbreak);
	assert_true(S.gdb_hwbreak);
	check("qSupported", "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+;swbreak+;"
			    "hwbreak+;vContSupported+");
	assert_false(S.gdb_swbreak);
}

static void test_sw_breakpoints(void **state)
{
	char want[64];
	u8 orig = F.mem[0x1010];

	send_pkt(GDB_FEATURES);
	check("Z0,1010,1", "OK");
	assert_int_equal(F.mem[0x1010], 0xcc);
	assert_true(gdb_is_breakpoint(&S, 0x1010));
	assert_false(gdb_is_breakpoint(&S, 0x1011));
	check("Z0,1010,1", "OK");		/* twice is fine */
	/* GDB sees the original byte */
	hex_of(F.mem + 0x100e, 4, want);
	want[4] = "0123456789abcdef"[orig >> 4];
	want[5] = "0123456789abcdef"[orig & 15];
	check("m100e,4", want);
	/* a write over it changes the byte restored later */
	check("M1010,2:9090", "OK");
	assert_int_equal(F.mem[0x1010], 0xcc);
	assert_int_equal(F.mem[0x1011], 0x90);

	expect_resume("c", false);
	expect_stop(GDB_STOP_INT3, 0x1010, 0, "T05thread:1;swbreak:;");
	/* an int3 that is not ours: plain SIGTRAP */
	expect_resume("c", false);
	expect_stop(GDB_STOP_INT3, 0x2000, 0, "T05thread:1;");

	check("z0,1010,1", "OK");
	assert_int_equal(F.mem[0x1010], 0x90);
	check("z0,1010,1", "OK");		/* already gone */
	check("Z0,30000,1", "E0e");		/* unmapped */
	check("Z0,1010", "E01");
	check("Z9,1010,1", "E01");
	check("Z0,1010,1;X2,0", "OK");		/* a condition list is ignored */
	check("z0,1010,1", "OK");
	for (int i = 0; i < GDB_SW_BP_MAX; i++) {
		char pkt[32];
		snprintf(pkt, sizeof(pkt), "Z0,%x,1", 0x5000 + i);
		check(pkt, "OK");
	}
	check("Z0,6000,1", "E0c");		/* table full */
}

static void test_swbreak_needs_gdb_feature(void **state)
{
	check("Z0,1010,1", "OK");
	expect_resume("c", false);
	expect_stop(GDB_STOP_INT3, 0x1010, 0, "T05thread:1;");
}

static void test_hw_breakpoint(void **state)
{
	send_pkt(GDB_FEATURES);
	check("Z1,401000,1", "OK");
	assert_int_equal(F.dr[0], 0x401000);
	assert_int_equal(F.dr7, 0x401);		/* L0, execute, length 1 */
	expect_resume("c", false);
	expect_stop(GDB_STOP_DEBUG, 0, 0x1, "T05thread:1;hwbreak:;");
	expect_resume("s", true);
	expect_stop(GDB_STOP_DEBUG, 0, 0x4000, "T05thread:1;");	/* BS: a step */
	check("z1,401000,1", "OK");
	assert_int_equal(F.dr7, 0x400);
}

static void test_watchpoints(void **state)
{
	send_pkt(GDB_FEATURES);
	check("Z2,2000,4", "OK");
	assert_int_equal(F.dr[0], 0x2000);
	assert_int_equal(F.dr7, 0x400 | 0x1 | 0xdull << 16);		/* W, 4 bytes */
	check("Z3,3000,8", "OK");
	assert_int_equal(F.dr[1], 0x3000);
	assert_int_equal(F.dr7 >> 20 & 0xf, 0xb);			/* RW, 8 bytes */
	check("Z4,4000,2", "OK");
	assert_int_equal(F.dr7 >> 24 & 0xf, 0x7);			/* RW, 2 bytes */
	assert_int_equal(F.dr7 & 0xff, 0x15);
	expect_resume("c", false);
	expect_stop(GDB_STOP_DEBUG, 0, 0x1, "T05thread:1;watch:2000;");
	expect_resume("c", false);
	expect_stop(GDB_STOP_DEBUG, 0, 0x2, "T05thread:1;rwatch:3000;");
	expect_resume("c", false);
	expect_stop(GDB_STOP_DEBUG, 0, 0x4, "T05thread:1;awatch:4000;");
	/* one slot left: an unaligned 4-byte range needs more */
	check("Z2,5001,4", "E0c");
	assert_int_equal(F.dr7 & 0xff, 0x15);				/* unchanged */
	check("z3,3000,8", "OK");
	check("z4,4000,2", "OK");
	check("z2,2000,4", "OK");
	assert_int_equal(F.dr7, 0x400);
	/* 8 bytes at an odd address: 1 + 2 + 4 + 1 */
	check("Z2,1001,8", "OK");
	assert_int_equal(F.dr[0], 0x1001);
	assert_int_equal(F.dr[1], 0x1002);
	assert_int_equal(F.dr[2], 0x1004);
	assert_int_equal(F.dr[3], 0x1008);
	check("Z1,1000,1", "E0c");
	check("z2,1001,8", "OK");
	assert_int_equal(F.dr7, 0x400);
	check("Z2,1000,0", "E01");
	check("Z2,1000,21", "E01");
	check("Z2,ffffffffffffffff,2", "E01");
}

/* ---- queries ---------------------------------------------------------------------------------- */

static void test_target_xml(void **state)
{
	static char doc[16384];
	const char *xml = gdb_target_xml();
	size_t have = 0;
	char pkt[64];

	/* read it the way GDB does, in pieces */
	for (;;) {
		snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,%x", have, 0x200);
		clear_out();
		send_pkt(pkt);
		size_t n = take_reply(true, R, sizeof(R));
		assert_true(R[0] == 'm' || R[0] == 'l');
		memcpy(doc + have, R + 1, n - 1);
		have += n - 1;
		if (R[0] == 'l')
			break;
	}
	doc[have] = 0;
	assert_string_equal(doc, xml);
	assert_non_null(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(xml, "org.gnu.gdb.i386.core"));

	/* register names and sizes in the document match the register table */
	const char *names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp" };
	const char *p = xml;
	for (unsigned i = 0; i < GDB_NUM_REGS; i++) {
		size_t off, sz;
		unsigned bits;
		char name[16];

		p = strstr(p, "<reg name=\"");
		assert_non_null(p);
		p += 11;
		assert_int_equal(sscanf(p, "%15[^\"]\" bitsize=\"%u\"", name, &bits), 2);
		assert_int_equal(gdb_reg_info(i, &off, &sz), 0);
		assert_int_equal(bits, 8 * sz);
		if (i < 8)
			assert_string_equal(name, names[i]);
		if (i == GDB_REG_RIP)
			assert_string_equal(name, "rip");
		if (i == GDB_REG_EFLAGS)
			assert_string_equal(name, "eflags");
		if (i == GDB_REG_CS)
			assert_string_equal(name, "cs");
		if (i == GDB_REG_ST0)
			assert_string_equal(name, "st0");
		if (i == GDB_REG_FCTRL)
			assert_string_equal(name, "fctrl");
		if (i == GDB_REG_XMM0)
			assert_string_equal(name, "xmm0");
		if (i == GDB_REG_MXCSR)
			assert_string_equal(name, "mxcsr");
		if (i == GDB_REG_FS_BASE)
			assert_string_equal(name, "fs_base");
		if (i == GDB_REG_CR0)
			assert_string_equal(name, "cr0");
		if (i == GDB_REG_EFER)
			assert_string_equal(name, "efer");
	}
	assert_null(strstr(p, "<reg name=\""));

	snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,10", strlen(xml));
	check(pkt, "l");
	check("qXfer:features:read:other.xml:0,10", "E00");
	check("qXfer:features:read:target.xml:zz", "E01");
}

static void test_thread_queries(void **state)
{
	check("qAttached", "1");
	check("qAttached:1", "1");
	check("qC", "QC1");
	check("qfThreadInfo", "m1");
	check("qsThreadInfo", "l");
	check("Hg0", "OK");
	check("Hc-1", "OK");
	check("T1", "OK");
	check("T2", "E01");
}

static void test_detach(void **state)
{
	u8 orig = F.mem[0x1010];

	check("Z0,1010,1", "OK");
	check("Z2,2000,4", "OK");
	check("QStartNoAckMode", "OK");
	check("D", "OK");
	assert_int_equal(F.detaches, 1);
	assert_int_equal(F.mem[0x1010], orig);
	assert_int_equal(F.dr7, 0x400);
	assert_false(S.no_ack);
	assert_int_equal(gdb_get_state(&S), GDB_STATE_DETACHED);
	/* a new GDB: '?' stops the guest again */
	clear_out();
	send_pkt("?");
	assert_int_equal(F.interrupts, 1);
	expect_stop(GDB_STOP_INTERRUPT, 0, 0, "T02thread:1;");
	/* k: no reply */
	clear_out();
	send_pkt("k");
	assert_int_equal(F.out_len, 1);
	assert_int_equal(F.detaches, 2);
	check("vKill;1", "OK");
	assert_int_equal(F.detaches, 3);
}

/* A session the way GDB 13 opens it. */
static void test_gdb_session(void **state)
{
	gdb_attach(&S, &BE, true);
	clear_out();
	feed_str("+");
	send_pkt(GDB_FEATURES);
	take_reply(true, R, sizeof(R));
	feed_str("+");
	check("vMustReplyEmpty", "");
	check("QStartNoAckMode", "OK");
	clear_out();
	send_pkt("qXfer:features:read:target.xml:0,ffb");
	take_reply(false, R, sizeof(R));
	assert_true(R[0] == 'l' || R[0] == 'm');
	check("qTStatus", "");
	clear_out();
	send_pkt("?");
	assert_int_equal(F.interrupts, 1);
	expect_stop(GDB_STOP_INTERRUPT, 0, 0, "T02thread:1;");
	check("qfThreadInfo", "m1");
	check("qsThreadInfo", "l");
	check("qAttached", "1");
	check("Hc-1", "OK");
	check("qOffsets", "");
}

/* ---- robustness ------------------------------------------------------------------------------- */

static void test_fuzz_random_bytes(void **state)
{
	static const char alphabet[] = "$#+-}*\x03" "0123456789abcdefgGmMXpPzZcsvq?:,;";

	for (unsigned seed = 1; seed <= 20; seed++) {
		srand(seed);
		gdb_attach(&S, &BE, seed % 2);
		for (int i = 0; i < 50000; i++) {
			u8 c = (rand() & 1) ? (u8)rand() : (u8)alphabet[rand() % (sizeof(alphabet) - 1)];
			gdb_rx_byte(&S, c);
			if (gdb_get_state(&S) == GDB_STATE_RUNNING && rand() % 64 == 0)
				stop((enum gdb_stop_reason)(rand() % 6), (u64)rand(), (u64)rand());
		}
	}
	/* and afterwards it still works */
	gdb_attach(&S, &BE, false);
	check("qC", "QC1");
}

/* Valid packets with random damage: every packet gets '+' or '-', never both. */
static void test_fuzz_mutated_packets(void **state)
{
	static const char *pkts[] = {
		"g", "m1000,40", "M1000,2:abcd", "X1000,2:ab", "p10", "P10=0000000000000000",
		"Z0,1000,1", "z0,1000,1", "Z2,2000,4", "z2,2000,4", "qSupported:swbreak+",
		"qXfer:features:read:target.xml:0,100", "vCont;s", "c", "s", "?", "D", "Hg0",
	};
	char buf[128];

	srand(99);
	for (int i = 0; i < 20000; i++) {
		const char *p = pkts[rand() % ARRAY_SIZE(pkts)];
		size_t n = strlen(p);
		memcpy(buf, p, n);
		int flips = rand() % 3;
		for (int k = 0; k < flips; k++)
			buf[rand() % n] = (char)rand();
		S.no_ack = false;
		clear_out();
		send_pkt_n(buf, n);
		if (gdb_get_state(&S) == GDB_STATE_RUNNING)
			stop(GDB_STOP_STEP, 0, 0);
		assert_true(F.out_len >= 1);
		/* '+' then maybe a reply, or a lone '-' (a mutated '$'/'#' may leave the
		 * receiver waiting for a checksum: then nothing at all) */
		assert_true(F.out[0] == '+' || F.out[0] == '-' || F.out[0] == '$');
		feed_str("#00$#00");	/* resynchronise */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ack_and_checksum, setup),
		cmocka_unit_test_setup(test_bad_checksum_nacked, setup),
		cmocka_unit_test_setup(test_retransmit_on_nack, setup),
		cmocka_unit_test_setup(test_no_ack_mode, setup),
		cmocka_unit_test_setup(test_dollar_restarts_packet, setup),
		cmocka_unit_test_setup(test_noise_between_packets, setup),
		cmocka_unit_test_setup(test_overlong_packet, setup),
		cmocka_unit_test_setup(test_empty_and_unknown_packets, setup),
		cmocka_unit_test_setup(test_rle_decode, setup),
		cmocka_unit_test_setup(test_rle_encode_all_lengths, setup),
		cmocka_unit_test_setup(test_g_packet, setup),
		cmocka_unit_test_setup(test_G_packet, setup),
		cmocka_unit_test_setup(test_p_P_packets, setup),
		cmocka_unit_test_setup(test_m_packet, setup),
		cmocka_unit_test_setup(test_M_packet, setup),
		cmocka_unit_test_setup(test_X_packet_binary, setup),
		cmocka_unit_test_setup(test_continue_and_step, setup),
		cmocka_unit_test_setup(test_vcont, setup),
		cmocka_unit_test_setup(test_interrupt, setup),
		cmocka_unit_test_setup(test_question_on_running_guest, setup),
		cmocka_unit_test_setup(test_exit_reply, setup),
		cmocka_unit_test_setup(test_qsupported, setup),
		cmocka_unit_test_setup(test_sw_breakpoints, setup),
		cmocka_unit_test_setup(test_swbreak_needs_gdb_feature, setup),
		cmocka_unit_test_setup(test_hw_breakpoint, setup),
		cmocka_unit_test_setup(test_watchpoints, setup),
		cmocka_unit_test_setup(test_target_xml, setup),
		cmocka_unit_test_setup(test_thread_queries, setup),
		cmocka_unit_test_setup(test_detach, setup),
		cmocka_unit_test_setup(test_gdb_session, setup),
		cmocka_unit_test_setup(test_fuzz_random_bytes, setup),
		cmocka_unit_test_setup(test_fuzz_mutated_packets, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
