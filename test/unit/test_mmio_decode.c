// UNIT-SOURCES: vmx/mmio_decode.c
/* The MMIO instruction decoder (vmx/mmio_decode.c). The byte sequences are what GNU as emits
 * for the instruction in each comment (checked with objdump when the test was written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/mmio_decode.h>
#include <uhv/hw/vmx.h>
#include <uhv/errno.h>

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RSP 4
#define RBP 5
#define RSI 6
#define RDI 7
#define R8 8
#define R9 9
#define R10 10

static struct mmio_insn dec(enum mmio_cpu_mode mode, const u8 *code, size_t n)
{
	struct mmio_insn in;

	assert_int_equal(mmio_decode(code, n, mode, &in), 0);
	/* every byte is needed: one less is "incomplete" */
	struct mmio_insn tmp;
	assert_int_equal(mmio_decode(code, in.len - 1, mode, &tmp), -EINVAL);
	return in;
}
#define DEC(mode, ...) ({ static const u8 c_[] = { __VA_ARGS__ }; \
	struct mmio_insn i_ = dec(mode, c_, sizeof(c_)); \
	assert_int_equal(i_.len, sizeof(c_)); i_; })

static void test_loads_64(void **state)
{
	struct mmio_insn in;

	in = DEC(MMIO_MODE_64, 0x8b, 0x08);			/* mov (%rax),%ecx */
	assert_false(in.write);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.reg, RCX);
	assert_int_equal(in.reg_size, 4);
	in = DEC(MMIO_MODE_64, 0x4c, 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12); /* mov 0x..(%rip),%r9 */
	assert_int_equal(in.size, 8);
	assert_int_equal(in.reg, R9);
	in = DEC(MMIO_MODE_64, 0x8b, 0x04, 0xc5, 0, 0, 0, 0);	/* mov 0x0(,%rax,8),%eax */
	assert_int_equal(in.size, 4);
	assert_int_equal(in.reg, RAX);
	in = DEC(MMIO_MODE_64, 0x8a, 0x3b);			/* mov (%rbx),%bh */
	assert_int_equal(in.size, 1);
	assert_int_equal(in.reg, RBX);
	assert_true(in.high8);
	/* movabs 0xb0000000,%eax: the moffs is 8 bytes in 64-bit mode */
	in = DEC(MMIO_MODE_64, 0xa1, 0x00, 0x00, 0x00, 0xb0, 0, 0, 0, 0);
	assert_false(in.write);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.reg, RAX);
}

static void test_stores_64(void **state)
{
	struct mmio_insn in;

	in = DEC(MMIO_MODE_64, 0x89, 0x53, 0x10);		/* mov %edx,0x10(%rbx) */
	assert_true(in.write);
	assert_int_equal(in.src, MMIO_SRC_REG);
	assert_int_equal(in.reg, RDX);
	assert_int_equal(in.size, 4);
	in = DEC(MMIO_MODE_64, 0x66, 0x47, 0x89, 0x14, 0xa3);	/* mov %r10w,(%r11,%r12,4) */
	assert_int_equal(in.size, 2);
	assert_int_equal(in.reg, R10);
	in = DEC(MMIO_MODE_64, 0xc6, 0x44, 0x24, 0x08, 0x80);	/* movb $0x80,0x8(%rsp) */
	assert_int_equal(in.src, MMIO_SRC_IMM);
	assert_int_equal(in.size, 1);
	assert_int_equal(mmio_store_value(&in, 0), 0x80);
	in = DEC(MMIO_MODE_64, 0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff); /* movq $-2,(%rdi) */
	assert_int_equal(in.size, 8);
	assert_int_equal(mmio_store_value(&in, 0), 0xfffffffffffffffeULL);
	in = DEC(MMIO_MODE_64, 0x88, 0x20);			/* mov %ah,(%rax) */
	assert_true(in.high8);
	assert_int_equal(in.reg, RAX);
	assert_int_equal(mmio_store_value(&in, 0x1234), 0x12);
	in = DEC(MMIO_MODE_64, 0x40, 0x88, 0x30);		/* mov %sil,(%rax): REX, no AH-BH */
	assert_false(in.high8);
	assert_int_equal(in.reg, RSI);
	assert_int_equal(mmio_store_value(&in, 0x1234), 0x34);
	in = DEC(MMIO_MODE_64, 0x64, 0xc7, 0x00, 0x05, 0, 0, 0);	/* movl $5,%fs:(%rax) */
	assert_int_equal(in.size, 4);
	assert_int_equal(mmio_store_value(&in, 0), 5);
	in = DEC(MMIO_MODE_64, 0xf0, 0x89, 0x01);		/* LOCK is skipped */
	assert_int_equal(in.reg, RAX);
}

static void test_movzx_movsx(void **state)
{
	struct mmio_insn in;

	in = DEC(MMIO_MODE_64, 0x0f, 0xb6, 0x06);		/* movzbl (%rsi),%eax */
	assert_int_equal(in.size, 1);
	assert_int_equal(in.reg_size, 4);
	assert_false(in.sign_extend);
	assert_int_equal(mmio_load_result(&in, ~0ULL, 0xff), 0xff);
	in = DEC(MMIO_MODE_64, 0x4c, 0x0f, 0xb7, 0x42, 0x04);	/* movzwq 0x4(%rdx),%r8 */
	assert_int_equal(in.size, 2);
	assert_int_equal(in.reg_size, 8);
	assert_int_equal(in.reg, R8);
	assert_int_equal(mmio_load_result(&in, ~0ULL, 0x8000), 0x8000);
	in = DEC(MMIO_MODE_64, 0x0f, 0xbe, 0x19);		/* movsbl (%rcx),%ebx */
	assert_true(in.sign_extend);
	assert_int_equal(in.reg, RBX);
	assert_int_equal(mmio_load_result(&in, ~0ULL, 0x80), 0xffffff80ULL);
	in = DEC(MMIO_MODE_64, 0x0f, 0xbf, 0x55, 0x02);		/* movswl 0x2(%rbp),%edx */
	assert_int_equal(in.size, 2);
	assert_int_equal(mmio_load_result(&in, 0, 0x7fff), 0x7fff);
	assert_int_equal(mmio_load_result(&in, 0, 0x8001), 0xffff8001ULL);
	in = DEC(MMIO_MODE_64, 0x48, 0x0f, 0xbe, 0x01);		/* movsbq (%rcx),%rax */
	assert_int_equal(mmio_load_result(&in, 0, 0xfe), 0xfffffffffffffffeULL);
}

static void test_mode_32(void **state)
{
	struct mmio_insn in;

	in = DEC(MMIO_MODE_32, 0xa1, 0x00, 0x10, 0x00, 0xb0);	/* mov 0xb0001000,%eax */
	assert_false(in.write);
	assert_int_equal(in.size, 4);
	in = DEC(MMIO_MODE_32, 0xa3, 0x00, 0x10, 0x00, 0xb0);	/* mov %eax,0xb0001000 */
	assert_true(in.write);
	in = DEC(MMIO_MODE_32, 0xa2, 0x00, 0x10, 0x00, 0xb0);	/* mov %al,0xb0001000 */
	assert_int_equal(in.size, 1);
	in = DEC(MMIO_MODE_32, 0x66, 0xc7, 0x00, 0x34, 0x12);	/* movw $0x1234,(%eax) */
	assert_int_equal(in.size, 2);
	assert_int_equal(mmio_store_value(&in, 0), 0x1234);
	in = DEC(MMIO_MODE_32, 0x66, 0x8b, 0x13);		/* mov (%ebx),%dx */
	assert_int_equal(in.size, 2);
	assert_int_equal(in.reg, RDX);
	assert_int_equal(mmio_load_result(&in, 0xaaaaaaaa55555555ULL, 0xbeef),
			 0xaaaaaaaa5555beefULL);
	/* movzwl 0xb0000002,%eax */
	in = DEC(MMIO_MODE_32, 0x0f, 0xb7, 0x05, 0x02, 0x00, 0x00, 0xb0);
	assert_int_equal(in.size, 2);
	assert_int_equal(in.reg_size, 4);
	in = DEC(MMIO_MODE_32, 0x88, 0x6e, 0x04);		/* mov %ch,4(%esi) */
	assert_true(in.high8);
	assert_int_equal(in.reg, RCX);
	in = DEC(MMIO_MODE_32, 0x8b, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00); /* mov 0x100(%esp),%eax */
	assert_int_equal(in.reg, RAX);
	/* in 32-bit mode 0x40-0x4f are INC/DEC, not REX */
	struct mmio_insn tmp;
	static const u8 inc[] = { 0x48, 0x8b, 0x00 };
	assert_int_equal(mmio_decode(inc, sizeof(inc), MMIO_MODE_32, &tmp), -EOPNOTSUPP);
}

static void test_mode_16(void **state)
{
	struct mmio_insn in;

	in = DEC(MMIO_MODE_16, 0x8b, 0x00);			/* mov (%bx,%si),%ax */
	assert_int_equal(in.size, 2);
	in = DEC(MMIO_MODE_16, 0x26, 0x66, 0x89, 0x45, 0x10);	/* movl %eax,%es:0x10(%di) */
	assert_int_equal(in.size, 4);
	assert_true(in.write);
	in = DEC(MMIO_MODE_16, 0x67, 0x66, 0x8b, 0x00);		/* addr32 mov (%eax),%eax */
	assert_int_equal(in.size, 4);
	in = DEC(MMIO_MODE_16, 0xa0, 0x34, 0x12);		/* mov 0x1234,%al */
	assert_int_equal(in.size, 1);
	in = DEC(MMIO_MODE_16, 0x8b, 0x06, 0x34, 0x12);		/* mov 0x1234,%ax (disp16) */
	assert_int_equal(in.size, 2);
	/* addr32 mov 0xb0000000,%ax */
	in = DEC(MMIO_MODE_16, 0x67, 0x8b, 0x05, 0x00, 0x00, 0x00, 0xb0);
	assert_int_equal(in.size, 2);
	/* in 16-bit addressing rm=4 has no SIB byte */
	in = DEC(MMIO_MODE_16, 0x8b, 0x44, 0x02);		/* mov 0x2(%si),%ax */
	assert_int_equal(in.len, 3);
}

static void test_load_merge(void **state)
{
	struct mmio_insn in = { .size = 1, .reg_size = 1 };

	assert_int_equal(mmio_load_result(&in, 0x1122334455667788ULL, 0xab), 0x11223344556677abULL);
	in.high8 = true;
	assert_int_equal(mmio_load_result(&in, 0x1122334455667788ULL, 0xab), 0x112233445566ab88ULL);
	in = (struct mmio_insn){ .size = 4, .reg_size = 4 };
	assert_int_equal(mmio_load_result(&in, ~0ULL, 0x12345678), 0x12345678);
	in = (struct mmio_insn){ .size = 8, .reg_size = 8 };
	assert_int_equal(mmio_load_result(&in, 0, 0x1234567890ULL), 0x1234567890ULL);
	in = (struct mmio_insn){ .size = 2, .src = MMIO_SRC_REG };
	assert_int_equal(mmio_store_value(&in, 0x12345678), 0x5678);
}

static void test_unsupported(void **state)
{
	struct mmio_insn in;
	static const u8 movs[] = { 0xa5 };			/* movsl */
	static const u8 rep[] = { 0xf3, 0xa5 };			/* rep movsl */
	static const u8 regop[] = { 0x89, 0xc8 };		/* mov %ecx,%eax: no memory */
	static const u8 add[] = { 0x03, 0x00 };			/* add (%rax),%eax */
	static const u8 c7_1[] = { 0xc7, 0x08, 0, 0, 0, 0 };	/* c7 /1: undefined */
	static const u8 f0f[] = { 0x0f, 0x10, 0x00 };		/* movups */
	static const u8 toolong[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					0x66, 0x66, 0x66, 0x66, 0x8b, 0x04, 0x24 };

	assert_int_equal(mmio_decode(movs, sizeof(movs), MMIO_MODE_64, &in), -EOPNOTSUPP);
	assert_int_equal(mmio_decode(rep, sizeof(rep), MMIO_MODE_64, &in), -EOPNOTSUPP);
	assert_int_equal(mmio_decode(regop, sizeof(regop), MMIO_MODE_64, &in), -EOPNOTSUPP);
	assert_int_equal(mmio_decode(add, sizeof(add), MMIO_MODE_64, &in), -EOPNOTSUPP);
	assert_int_equal(mmio_decode(c7_1, sizeof(c7_1), MMIO_MODE_64, &in), -EOPNOTSUPP);
	assert_int_equal(mmio_decode(f0f, sizeof(f0f), MMIO_MODE_64, &in), -EOPNOTSUPP);
	assert_int_equal(mmio_decode(toolong, sizeof(toolong), MMIO_MODE_64, &in), -EINVAL);
	assert_int_equal(mmio_decode(movs, 0, MMIO_MODE_64, &in), -EINVAL);
}

/* Exits the instruction at RIP did not cause as a data access are refused (item 8d): during
 * event delivery, a page-walk access (bit 7 set, bit 8 clear), no linear address, a fetch. */
static void test_refusal(void **state)
{
	const u64 data = EPT_VIOL_GLA_VALID | EPT_VIOL_GLA_TRANSLATED;

	assert_null(mmio_emul_refusal(EPT_VIOL_READ | data, 0));
	assert_null(mmio_emul_refusal(EPT_VIOL_WRITE | data, 0));
	/* a vectoring event that is not valid does not count */
	assert_null(mmio_emul_refusal(EPT_VIOL_READ | data, 0x80000e00 & ~INTR_INFO_VALID));
	assert_non_null(mmio_emul_refusal(EPT_VIOL_WRITE | data, INTR_INFO_VALID | 14));
	assert_non_null(mmio_emul_refusal(EPT_VIOL_READ | EPT_VIOL_GLA_VALID, 0));
	assert_non_null(mmio_emul_refusal(EPT_VIOL_WRITE | EPT_VIOL_GLA_VALID, 0));
	assert_non_null(mmio_emul_refusal(EPT_VIOL_READ, 0));
	assert_non_null(mmio_emul_refusal(EPT_VIOL_FETCH | EPT_VIOL_READ | data, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_64),
		cmocka_unit_test(test_stores_64),
		cmocka_unit_test(test_movzx_movsx),
		cmocka_unit_test(test_mode_32),
		cmocka_unit_test(test_mode_16),
		cmocka_unit_test(test_load_merge),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
