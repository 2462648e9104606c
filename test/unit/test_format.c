// UNIT-SOURCES:
/* kvsnprintf, the formatter behind every console line: compared with the
 * host's snprintf for the conversions uhv uses, plus truncation rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/format.h>

/* Deliberately odd format strings (unknown conversions, NULL strings) go
 * through a pointer so the compiler's format checks do not reject them. */
static int (*const fmt_unchecked)(char *, size_t, const char *, ...) = ksnprintf;

#define CHECK(...)                                                            \
	do {                                                                  \
		char a[256], b[256];                                          \
		int na = ksnprintf(a, sizeof(a), __VA_ARGS__);                \
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);                 \
		assert_string_equal(a, b);                                    \
		assert_int_equal(na, nb);                                     \
	} while (0)

static void test_integers(void **state)
{
	CHECK("%d %i %u", -42, 17, 3000000000u);
	CHECK("%x %X %o", 0xdeadbeefu, 0xabcu, 8u);
	CHECK("%lld %llu %llx", -9000000000000LL, 18446744073709551615ULL, 0x123456789abcdefULL);
	CHECK("%ld %lu %zu %zx", -5L, 5UL, (size_t)77, (size_t)0xfff);
	CHECK("%hhd %hhu %hd %hu", (signed char)-3, (unsigned char)250, (short)-1234, (unsigned short)65000);
	CHECK("%d", -2147483647 - 1);
	CHECK("%lld", (long long)(-9223372036854775807LL - 1));
}

static void test_flags_width_precision(void **state)
{
	CHECK("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	CHECK("[%#x] [%#X] [%#o]", 255u, 255u, 8u);
	/* uhv's one deliberate difference from C (format.h): 0x0, not 0 */
	char z[16];
	ksnprintf(z, sizeof(z), "%#x %#llx", 0u, 0ULL);
	assert_string_equal(z, "0x0 0x0");
	CHECK("[%08x] [%-8x] [%#010x]", 0xbeefu, 0xbeefu, 0xbeefu);
	CHECK("[%.3d] [%8.3d] [%-8.3d] [%.0d]", 7, 7, 7, 0);
	CHECK("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 9);
	CHECK("[%016llx]", 0xffffffff80200000ULL);
	CHECK("[%05d]", -42);
}

static void test_strings_chars_pointers(void **state)
{
	CHECK("[%s] [%10s] [%-10s] [%.3s] [%*.*s]", "uhv", "uhv", "uhv", "hypervisor", 8, 2, "abc");
	CHECK("[%c%c%c] [%3c] [%-3c]", 'u', 'h', 'v', 'x', 'y');
	CHECK("100%% done");
	CHECK("%p", (void *)0xffff800000001000ULL);
	char buf[32];
	const char *volatile nothing = NULL;
	fmt_unchecked(buf, sizeof(buf), "%s", nothing);
	assert_string_equal(buf, "(null)");
}

static void test_truncation(void **state)
{
	char buf[8];
	memset(buf, 'X', sizeof(buf));
	int n = ksnprintf(buf, sizeof(buf), "%s-%d", "hypervisor", 12345);
	assert_int_equal(n, 16);	/* the full length, as snprintf returns */
	assert_string_equal(buf, "hypervi");	/* always NUL-terminated */
	n = ksnprintf(buf, 1, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], 0);
	n = ksnprintf(NULL, 0, "%d", 12345);	/* size 0: nothing written */
	assert_int_equal(n, 5);
}

static void test_unknown_conversion(void **state)
{
	char buf[32];
	fmt_unchecked(buf, sizeof(buf), "a%qb");
	assert_string_equal(buf, "a%qb");
	fmt_unchecked(buf, sizeof(buf), "end%");
	assert_string_equal(buf, "end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_flags_width_precision),
		cmocka_unit_test(test_strings_chars_pointers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unknown_conversion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
