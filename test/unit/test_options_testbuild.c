// UNIT-SOURCES: arch/options.c arch/console_option.c lib/cmdline.c
// UNIT-CFLAGS: -DUHV_TEST_BUILD
/* uhv's options as the test variant (build/uhv-test.elf) parses them: there,
 * and only there, panic-test= (and tsc-skip-pm, lowmem-reserve=) exists (test_options
 * checks the production side). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/options.h>
#include "log_capture.h"

static struct uhv_options O;

static int reset(void **state)
{
	log_capture_reset();
	memset(&O, 0x5a, sizeof(O));
	return 0;
}

static void test_panic_test(void **state)
{
	assert_int_equal(options_parse("", &O), 0);
	assert_int_equal(O.panic_test, 0xff);	/* off */
	assert_int_equal(options_parse("probe panic-test=pf", &O), 0);
	assert_true(O.probe);
	assert_int_equal(O.panic_test, 14);
	assert_int_equal(options_parse("panic-test=ud", &O), 0);
	assert_int_equal(O.panic_test, 6);
	assert_int_equal(options_parse("panic-test=vmentry-ctl", &O), 0);
	assert_int_equal(O.panic_test, UHV_PANIC_VMENTRY_CTL);
	assert_int_equal(options_parse("panic-test=boom", &O), 1);
	assert_int_equal(O.panic_test, 0xff);
	assert_true(log_capture_contains("'boom'"));
	log_capture_reset();
	options_help();
	assert_true(log_capture_contains("panic-test"));
}

static void test_tsc_skip_pm(void **state)
{
	assert_int_equal(options_parse("", &O), 0);
	assert_false(O.tsc_skip_pm);
	assert_int_equal(options_parse("tsc-skip-pm", &O), 0);
	assert_true(O.tsc_skip_pm);
	assert_int_equal(options_parse("tsc-skip-pm=1", &O), 1);
}

static void test_lowmem_reserve(void **state)
{
	assert_int_equal(options_parse("", &O), 0);
	assert_int_equal(O.lowmem_reserve[0], 0);
	assert_int_equal(O.lowmem_reserve[1], 0);	/* off */
	assert_int_equal(options_parse("lowmem-reserve=0x9e000-0xa0000", &O), 0);
	assert_int_equal(O.lowmem_reserve[0], 0x9e000);
	assert_int_equal(O.lowmem_reserve[1], 0xa0000);
	assert_int_equal(options_parse("lowmem-reserve=4096-655360", &O), 0);
	assert_int_equal(O.lowmem_reserve[0], 0x1000);
	assert_int_equal(O.lowmem_reserve[1], 0xa0000);
	/* bad: no dash, empty part, not page-aligned, empty or inverted, above 1 MiB */
	static const char *const bad[] = {
		"lowmem-reserve", "lowmem-reserve=0x1000", "lowmem-reserve=0x1000-",
		"lowmem-reserve=-0x2000", "lowmem-reserve=0x1001-0x2000", "lowmem-reserve=0x1000-0x1800",
		"lowmem-reserve=0x2000-0x2000", "lowmem-reserve=0x3000-0x2000",
		"lowmem-reserve=0xff000-0x101000", "lowmem-reserve=0x1000-0x2000x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(options_parse(bad[i], &O), 1);
		assert_int_equal(O.lowmem_reserve[1], 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_panic_test, reset),
		cmocka_unit_test_setup(test_tsc_skip_pm, reset),
		cmocka_unit_test_setup(test_lowmem_reserve, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
