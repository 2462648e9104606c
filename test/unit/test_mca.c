// UNIT-SOURCES: lib/mca.c
/* The #MC report's decoding of IA32_MCG_STATUS and IA32_MCi_STATUS (SDM Vol. 3B 16.3, 16.9):
 * values as real machines log them (a memory-controller error with an address, a cache error,
 * an overflow) and QEMU's "mce" monitor command injects them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/mca.h>
#include <uhv/hw/mca.h>

static void test_mcg_status(void **state)
{
	char b[64];

	mca_mcg_status_text(0, b, sizeof(b));
	assert_string_equal(b, "none");
	mca_mcg_status_text(MCG_STATUS_MCIP | MCG_STATUS_EIPV, b, sizeof(b));
	assert_string_equal(b, "EIPV MCIP");
	mca_mcg_status_text(0x7, b, sizeof(b));
	assert_string_equal(b, "RIPV EIPV MCIP");
}

static void test_code_classes(void **state)
{
	assert_string_equal(mca_code_class(0x0000), "no error");
	assert_string_equal(mca_code_class(0x0005), "internal parity error");
	assert_string_equal(mca_code_class(0x0400), "internal timer error");
	assert_string_equal(mca_code_class(0x0e0b), "I/O error");
	assert_string_equal(mca_code_class(0x0405), "internal unclassified error");
	assert_string_equal(mca_code_class(0x000e), "generic cache hierarchy error");
	assert_string_equal(mca_code_class(0x1014), "TLB error");	/* filter bit set */
	assert_string_equal(mca_code_class(0x009f), "memory controller error");
	assert_string_equal(mca_code_class(0x0136), "cache hierarchy error");
	assert_string_equal(mca_code_class(0x0c0f), "bus and interconnect error");
	assert_string_equal(mca_code_class(0x2000), "unknown error class");
}

static void test_bank_status(void **state)
{
	char b[160];
	/* an uncorrected memory read error with address and misc, context corrupt */
	u64 s = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN | MCI_STATUS_MISCV |
		MCI_STATUS_ADDRV | MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR |
		(0x0001ULL << 16) | 0x009f;
	int n = mca_bank_status_text(s, true, b, sizeof(b));

	assert_string_equal(b, "VAL UC EN MISCV ADDRV PCC S AR, memory controller error "
			    "(code 0x009f, model 0x0001)");
	assert_int_equal(n, (int)strlen(b));
	/* S and AR mean nothing without MCG_CAP.SER_P */
	mca_bank_status_text(s, false, b, sizeof(b));
	assert_string_equal(b, "VAL UC EN MISCV ADDRV PCC, memory controller error "
			    "(code 0x009f, model 0x0001)");
	/* a corrected cache error that overflowed */
	mca_bank_status_text(MCI_STATUS_VAL | MCI_STATUS_OVER | 0x0136, false, b, sizeof(b));
	assert_string_equal(b, "VAL OVER, cache hierarchy error (code 0x0136, model 0x0000)");
	/* a small buffer: cut, terminated, the full length returned */
	char small[12];
	n = mca_bank_status_text(s, false, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_true(n > (int)sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcg_status),
		cmocka_unit_test(test_code_classes),
		cmocka_unit_test(test_bank_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
