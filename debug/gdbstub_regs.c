/* GDB stub engine, registers: GDB's amd64 register layout (struct gdb_regs <-> the 'g'
 * packet's order), the target description served as target.xml, and the packets that read
 * and write registers (pure, host-tested). */
#include <uhv/errno.h>
#include <uhv/string.h>
#include "gdbstub_priv.h"

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

/* ---- packets --------------------------------------------------------------------------------- */

void gdb_pkt_regs_read(struct gdb_stub *s)
{
	if (s->be->read_regs(s->be->ctx, &s->regs) < 0) {
		gdb_out_error(s, E_FAULT);
		return;
	}
	for (unsigned n = 0; n < GDB_NUM_REGS; n++)
		gdb_out_hex(s, (u8 *)&s->regs + reg_table[n].offset, reg_table[n].size);
}

/* G and P: the register file, changed, back to the backend; "OK" or E0e. */
static void write_back(struct gdb_stub *s)
{
	if (s->be->write_regs(s->be->ctx, &s->regs) < 0)
		gdb_out_error(s, E_FAULT);
	else
		gdb_out_str(s, "OK");
}

void gdb_pkt_regs_write(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	size_t hex = (size_t)(end - p), bytes = hex / 2;

	if (hex % 2 || s->be->read_regs(s->be->ctx, &s->regs) < 0) {
		gdb_out_error(s, hex % 2 ? E_SYNTAX : E_FAULT);
		return;
	}
	/* GDB sends the whole file; a shorter packet sets the leading registers */
	for (unsigned n = 0; n < GDB_NUM_REGS && bytes; n++) {
		size_t sz = reg_table[n].size;
		if (bytes < sz ||
		    !gdb_decode_hex(p, sz, (u8 *)&s->regs + reg_table[n].offset)) {
			gdb_out_error(s, E_SYNTAX);
			return;
		}
		p += 2 * sz;
		bytes -= sz;
	}
	if (bytes) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	write_back(s);
}

void gdb_pkt_reg_one(struct gdb_stub *s, const u8 *p, const u8 *end, bool write)
{
	u64 n;
	const struct reg_desc *d;

	if (!gdb_parse_hex(&p, end, &n) || n >= GDB_NUM_REGS) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	d = &reg_table[n];
	if (write && (!gdb_expect(&p, end, '=') || (size_t)(end - p) != 2u * d->size)) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	if (!write && p != end) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	if (s->be->read_regs(s->be->ctx, &s->regs) < 0) {
		gdb_out_error(s, E_FAULT);
		return;
	}
	if (!write) {
		gdb_out_hex(s, (u8 *)&s->regs + d->offset, d->size);
		return;
	}
	if (!gdb_decode_hex(p, d->size, (u8 *)&s->regs + d->offset)) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	write_back(s);
}

void gdb_pkt_qxfer_features(struct gdb_stub *s, const u8 *p, const u8 *end)
{
	static const size_t xml_len = sizeof(target_xml) - 1;
	u64 off, len;

	if (!gdb_starts_with(p, end, "target.xml:")) {
		gdb_out_str(s, "E00");	/* the only annex we have */
		return;
	}
	p += 11;
	if (!gdb_parse_addr_len(&p, end, &off, &len) || p != end) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	if (off >= xml_len) {
		gdb_out_str(s, "l");
		return;
	}
	/* tx[] has room for every byte escaped */
	len = MIN(len, (u64)sizeof(s->out) - 1);
	len = MIN(len, xml_len - off);
	gdb_out_byte(s, off + len < xml_len ? 'm' : 'l');
	for (u64 i = 0; i < len; i++)
		gdb_out_byte(s, (u8)target_xml[off + i]);
}

