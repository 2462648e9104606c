/* Decoding the guest instruction behind an MMIO exit (an EPT violation on a range uhv emulates,
 * e.g. the ECAM window). The EPT violation gives the guest-physical address and the direction
 * but neither the size, the register nor the instruction length: those come from the
 * instruction bytes at the guest's RIP.
 *
 * Covered: the MOV forms compilers emit for MMIO:
 *   88/89  mov r/m, reg        (store, 8 / 16 / 32 / 64 bits)
 *   8a/8b  mov reg, r/m        (load)
 *   c6/c7 /0  mov r/m, imm     (store; imm32 sign-extended for 64-bit operands)
 *   a0-a3  mov al/ax/eax/rax <-> moffs
 *   0f b6/b7  movzx reg, r/m8 / r/m16;  0f be/bf  movsx reg, r/m8 / r/m16
 * with the prefixes 66 (operand size), 67 (address size), segment overrides, REX (64-bit
 * mode) and LOCK; ModRM with SIB and displacements in 16-, 32- and 64-bit addressing
 * (RIP-relative included). Anything else (string moves, REP, arithmetic on memory, register
 * operands) is -EOPNOTSUPP: the caller stops the guest with a report.
 *
 * Pure: host-tested by test/unit/test_mmio_decode.c. */
#ifndef UHV_MMIO_DECODE_H
#define UHV_MMIO_DECODE_H

#include <uhv/types.h>

#define MMIO_INSN_MAX	15	/* the architectural limit of an x86 instruction */

/* The code size the instruction runs in: CS.D (and CS.L in IA-32e mode) and CR0.PE. */
enum mmio_cpu_mode {
	MMIO_MODE_16,		/* real mode, virtual-8086, or a 16-bit code segment */
	MMIO_MODE_32,
	MMIO_MODE_64,
};

enum mmio_src {
	MMIO_SRC_REG,		/* a store of register reg */
	MMIO_SRC_IMM,		/* a store of imm */
};

struct mmio_insn {
	u8 len;			/* bytes, prefixes included: RIP advances by this much */
	u8 size;		/* bytes accessed in memory: 1, 2, 4 or 8 */
	bool write;		/* a store (else a load) */
	u8 src;			/* stores: enum mmio_src */
	u8 reg;			/* the register operand, SDM numbering (0 RAX .. 15 R15) */
	bool high8;		/* reg is AH, CH, DH or BH (8-bit operand, reg 4-7, no REX) */
	u8 reg_size;		/* loads: bytes written to reg (2, 4: zero-extends to 64, 8) */
	bool sign_extend;	/* loads: movsx (else zero-extended / merged) */
	u64 imm;		/* MMIO_SRC_IMM: the value, already sign-extended to size */
};

/* Decode the instruction in code[0 .. avail). Returns 0 with *out filled, -EINVAL when the
 * bytes end before the instruction does (or it exceeds 15 bytes), -EOPNOTSUPP for an
 * instruction outside the list above. */
int mmio_decode(const u8 *code, size_t avail, enum mmio_cpu_mode mode, struct mmio_insn *out);

/* A store: the value the guest writes (size bytes, zero-extended), given the value of the
 * register operand (ignored for MMIO_SRC_IMM). */
u64 mmio_store_value(const struct mmio_insn *in, u64 reg_val);

/* A load: the register's new value, given its old value and the size bytes read from memory
 * (as the CPU does it: 8/16-bit destinations merge, 32-bit ones zero the upper half, high8
 * writes bits 15:8). */
u64 mmio_load_result(const struct mmio_insn *in, u64 old_reg, u64 data);

/* Which exits may be emulated at all (<uhv/mmio_emul.h> says why the others are refused):
 * NULL when an EPT violation with exit qualification q and IDT-vectoring information idt is a
 * data access of the instruction at the guest's RIP, else the reason it is not. */
const char *mmio_emul_refusal(u64 q, u32 idt);

#endif
