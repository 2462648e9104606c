// UNIT-SOURCES: vmx/preempt_errata.c
/* The VMX-preemption timer errata table: listed signatures match with or without the reserved
 * bits of CPUID.01H:EAX set; neighbours (another stepping, another model) and today's CPUs do
 * not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/preempt_errata.h>

static void test_listed_models_match(void **state)
{
	(void)state;
	assert_non_null(preempt_timer_erratum(0x000106a5));	/* i7-920 D0 */
	assert_non_null(preempt_timer_erratum(0x000206e6));	/* Xeon 7500 */
	assert_non_null(preempt_timer_erratum(0x000306a8));	/* Xeon E3-1220 v2 */
	assert_non_null(strstr(preempt_timer_erratum(0x000106a5), "AAJ124"));
}

static void test_reserved_bits_ignored(void **state)
{
	(void)state;
	assert_non_null(preempt_timer_erratum(0x000106a5 | (3U << 14)));
	assert_non_null(preempt_timer_erratum(0x000206e6 | (0xfU << 28)));
}

static void test_other_cpus_do_not_match(void **state)
{
	(void)state;
	assert_null(preempt_timer_erratum(0x000106a6));	/* another stepping */
	assert_null(preempt_timer_erratum(0x000306a9));	/* Ivy Bridge E1 */
	assert_null(preempt_timer_erratum(0x000806c1));	/* Tiger Lake (Bochs' model) */
	assert_null(preempt_timer_erratum(0x000906ea));	/* Coffee Lake */
	assert_null(preempt_timer_erratum(0x00100f42));	/* not Intel family 6 */
	assert_null(preempt_timer_erratum(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listed_models_match),
		cmocka_unit_test(test_reserved_bits_ignored),
		cmocka_unit_test(test_other_cpus_do_not_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
