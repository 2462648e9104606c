/* The MOV forms of MMIO accesses, decoded from instruction bytes (see <uhv/mmio_decode.h>).
 * Pure: no guest state, no hardware. Encodings: SDM Vol. 2, chapter 2 (prefixes, REX, ModRM,
 * SIB) and the MOV / MOVZX / MOVSX pages. */
#include <uhv/mmio_decode.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include <uhv/unaligned.h>
#include <uhv/hw/vmx.h>

#define REX_W	0x08
#define REX_R	0x04

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static u64 sign_extend(u64 v, unsigned size)
{
	if (size >= 8)
		return v;
	u64 sign = 1ULL << (8 * size - 1);
	v &= size_mask(size);
	return (v ^ sign) - sign;
}

/* Length of the ModRM byte, SIB and displacement at p (p[0] is ModRM), or a negative errno.
 * Only memory operands: a register operand (mod 3) cannot have caused an MMIO exit. */
static int modrm_len(const u8 *p, size_t avail, unsigned addr_bytes)
{
	if (avail < 1)
		return -EINVAL;
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;

	if (mod == 3)
		return -EOPNOTSUPP;
	if (addr_bytes == 2) {
		if ((mod == 0 && rm == 6) || mod == 2)
			n += 2;
		else if (mod == 1)
			n += 1;
	} else {
		if (rm == 4) {		/* SIB follows; base 5 with mod 0 means disp32, no base */
			if (avail < 2)
				return -EINVAL;
			if (mod == 0 && (p[1] & 7) == 5)
				n += 4;
			n += 1;
		}
		if (mod == 0 && rm == 5)	/* disp32 (RIP-relative in 64-bit mode) */
			n += 4;
		else if (mod == 1)
			n += 1;
		else if (mod == 2)
			n += 4;
	}
	return n <= avail ? (int)n : -EINVAL;
}

/* The register of ModRM.reg (with REX.R); 8-bit operands without REX name AH-BH for 4-7. */
static void set_reg(struct mmio_insn *out, u8 modrm, u8 rex, bool byte_reg)
{
	unsigned r = ((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0);

	if (byte_reg && !rex && r >= 4 && r < 8) {
		out->high8 = true;
		r -= 4;
	}
	out->reg = (u8)r;
}

/* Where decoding is: the bytes, the position and what the prefixes said. */
struct dec {
	const u8 *code;
	size_t avail, i;
	bool opsz, adsz;	/* 66, 67 */
	u8 rex;
	unsigned osz, asz;	/* operand and address size in bytes */
};

/* Skip the prefixes; d->i ends at the opcode. */
static int prefixes(struct dec *d, enum mmio_cpu_mode mode)
{
	for (;; d->i++) {
		if (d->i >= d->avail)
			return -EINVAL;
		u8 b = d->code[d->i];
		if (b == 0x66) {
			d->opsz = true;
		} else if (b == 0x67) {
			d->adsz = true;
		} else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
			   b == 0x65 || b == 0xf0) {
			/* segment overrides (the exit gives the address), LOCK */
		} else if (b == 0xf2 || b == 0xf3) {
			return -EOPNOTSUPP;	/* REP: string instructions */
		} else if (mode == MMIO_MODE_64 && (b & 0xf0) == 0x40) {
			d->rex = b;
			continue;	/* must be last: a legacy prefix after it voids it */
		} else {
			return 0;
		}
		d->rex = 0;
	}
}

static void operand_sizes(struct dec *d, enum mmio_cpu_mode mode)
{
	switch (mode) {
	case MMIO_MODE_16:
		d->osz = d->opsz ? 4 : 2;
		d->asz = d->adsz ? 4 : 2;
		break;
	case MMIO_MODE_32:
		d->osz = d->opsz ? 2 : 4;
		d->asz = d->adsz ? 2 : 4;
		break;
	default:
		d->osz = (d->rex & REX_W) ? 8 : d->opsz ? 2 : 4;
		d->asz = d->adsz ? 4 : 8;
		break;
	}
}

/* Size and direction from a ModRM opcode (two: after 0f); *byte_reg for 88/8a. */
static int opcode(const struct dec *d, u8 op, bool two, struct mmio_insn *out, bool *byte_reg)
{
	if (two) {
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EOPNOTSUPP;
		out->size = (op & 1) ? 2 : 1;
		out->reg_size = (u8)d->osz;
		out->sign_extend = op >= 0xbe;
		return 0;
	}
	switch (op) {
	case 0x88: case 0x8a:
		out->size = 1;
		*byte_reg = true;
		break;
	case 0x89: case 0x8b:
		out->size = (u8)d->osz;
		break;
	case 0xc6:
		out->size = 1;
		break;
	case 0xc7:
		out->size = (u8)d->osz;
		break;
	default:
		return -EOPNOTSUPP;
	}
	out->write = op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7;
	out->reg_size = out->size;
	return 0;
}

/* The source after ModRM: an immediate (c6/c7 /0) or the ModRM.reg register. */
static int source(struct dec *d, u8 op, bool two, u8 modrm, bool byte_reg,
		  struct mmio_insn *out)
{
	if (!two && (op == 0xc6 || op == 0xc7)) {
		if ((modrm >> 3) & 7)	/* /0 is MOV; the rest of the group is undefined */
			return -EOPNOTSUPP;
		unsigned isz = out->size == 8 ? 4 : out->size;
		if (d->i + isz > d->avail)
			return -EINVAL;
		out->src = MMIO_SRC_IMM;
		out->imm = sign_extend(get_le(d->code + d->i, isz), isz) & size_mask(out->size);
		d->i += isz;
	} else {
		out->src = MMIO_SRC_REG;
		set_reg(out, modrm, d->rex, byte_reg);
	}
	return 0;
}

int mmio_decode(const u8 *code, size_t avail, enum mmio_cpu_mode mode, struct mmio_insn *out)
{
	struct dec d = { .code = code, .avail = MIN(avail, (size_t)MMIO_INSN_MAX) };
	bool two = false, byte_reg = false;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = prefixes(&d, mode);
	if (ret)
		return ret;
	operand_sizes(&d, mode);

	u8 op = code[d.i++];
	if (op == 0x0f) {
		if (d.i >= d.avail)
			return -EINVAL;
		op = code[d.i++];
		two = true;
	}

	/* moffs forms: no ModRM, the address follows the opcode */
	if (!two && op >= 0xa0 && op <= 0xa3) {
		if (d.i + d.asz > d.avail)
			return -EINVAL;
		out->size = (op & 1) ? (u8)d.osz : 1;
		out->write = op >= 0xa2;
		out->src = MMIO_SRC_REG;
		out->reg = 0;
		out->reg_size = out->size;
		out->len = (u8)(d.i + d.asz);
		return 0;
	}

	ret = opcode(&d, op, two, out, &byte_reg);
	if (ret)
		return ret;
	if (d.i >= d.avail)
		return -EINVAL;
	u8 modrm = code[d.i];
	int n = modrm_len(code + d.i, d.avail - d.i, d.asz);
	if (n < 0)
		return n;
	d.i += (size_t)n;
	ret = source(&d, op, two, modrm, byte_reg, out);
	if (ret)
		return ret;
	if (d.i > MMIO_INSN_MAX)
		return -EINVAL;
	out->len = (u8)d.i;
	return 0;
}

u64 mmio_store_value(const struct mmio_insn *in, u64 reg_val)
{
	if (in->src == MMIO_SRC_IMM)
		return in->imm & size_mask(in->size);
	if (in->high8)
		return (reg_val >> 8) & 0xff;
	return reg_val & size_mask(in->size);
}

u64 mmio_load_result(const struct mmio_insn *in, u64 old_reg, u64 data)
{
	u64 v = data & size_mask(in->size);

	if (in->high8)
		return (old_reg & ~0xff00ULL) | (v << 8);
	if (in->sign_extend)
		v = sign_extend(v, in->size);
	switch (in->reg_size) {
	case 1:
		return (old_reg & ~0xffULL) | (v & 0xff);
	case 2:
		return (old_reg & ~0xffffULL) | (v & 0xffff);
	case 4:
		return v & 0xffffffffULL;	/* 32-bit destinations zero bits 63:32 */
	default:
		return v;
	}
}

const char *mmio_emul_refusal(u64 q, u32 idt)
{
	if (idt & INTR_INFO_VALID)
		return "the exit came during event delivery (IDT-vectoring information valid): "
		       "RIP is not the instruction that made the access";
	if (q & EPT_VIOL_FETCH)
		return "an instruction fetch from this space";
	if (!(q & EPT_VIOL_GLA_VALID))
		return "the access has no linear address (exit qualification bit 7 clear)";
	if (!(q & EPT_VIOL_GLA_TRANSLATED))
		return "the guest's page walk read its paging structures here (exit qualification "
		       "bit 8 clear): no instruction operand to emulate";
	return NULL;
}
