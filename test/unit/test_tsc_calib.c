// UNIT-SOURCES: arch/tsc_calib.c
/* TSC calibration arithmetic: CPUID 0x15, wrap-around of the 24-bit ACPI PM timer and the
 * 16-bit PIT, HPET periods, and choosing between CPUID and a measurement. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <uhv/tsc_calib.h>

static void test_cpuid15(void **state)
{
	(void)state;
	/* crystal 24 MHz x 241/2 = 2892 MHz */
	assert_int_equal(tsc_calib_cpuid15_khz(2, 241, 24000000), 2892000);
	/* 38.4 MHz crystal (e.g. Tiger Lake): x 78/1 -> 2995.2 MHz */
	assert_int_equal(tsc_calib_cpuid15_khz(1, 78, 38400000), 2995200);
	/* ECX 0: the crystal is not enumerated, no frequency */
	assert_int_equal(tsc_calib_cpuid15_khz(2, 241, 0), 0);
	assert_int_equal(tsc_calib_cpuid15_khz(0, 241, 24000000), 0);
	assert_int_equal(tsc_calib_cpuid15_khz(2, 0, 24000000), 0);
	/* no overflow with a large crystal and ratio */
	assert_int_equal(tsc_calib_cpuid15_khz(1, 4000, 100000000), 400000000);
}

static void test_delta_wraps(void **state)
{
	(void)state;
	/* 24-bit PM timer: 0xfffff0 -> 0x000010 is 0x20 ticks */
	assert_int_equal(tsc_calib_delta(0xfffff0, 0x000010, 24), 0x20);
	/* the upper byte of a 24-bit read is ignored */
	assert_int_equal(tsc_calib_delta(0xfffff0, 0x5a000010, 24), 0x20);
	/* 32-bit PM timer (TMR_VAL_EXT) */
	assert_int_equal(tsc_calib_delta(0xfffffff0, 0x10, 32), 0x20);
	assert_int_equal(tsc_calib_delta(0x100, 0x200, 32), 0x100);
	/* 16-bit PIT (inverted count) and a 64-bit counter */
	assert_int_equal(tsc_calib_delta(0xff00, 0x0100, 16), 0x200);
	assert_int_equal(tsc_calib_delta(~0ULL, 1, 64), 2);
}

static void test_khz(void **state)
{
	(void)state;
	/* 10 ms of the PM timer (35795 ticks) with 29,000,000 TSC ticks: 2900 MHz */
	u64 khz = tsc_calib_khz(29000000, 35795, ACPI_PM_TIMER_HZ);
	assert_true(khz > 2899900 && khz < 2900100);
	/* the PIT over 10 ms */
	khz = tsc_calib_khz(2000000, 11932, PIT_HZ);
	assert_true(khz > 199990 && khz < 200010);
	/* long intervals at high rates do not overflow: 100 s at 5 GHz against a 100 MHz HPET */
	assert_int_equal(tsc_calib_khz(500000000000ULL, 10000000000ULL, 100000000), 5000000);
	assert_int_equal(tsc_calib_khz(1000, 0, PIT_HZ), 0);
	assert_int_equal(tsc_calib_khz(1000, 10, 0), 0);
}

static void test_hpet_period(void **state)
{
	(void)state;
	/* QEMU/ICH: 10 ns period, i.e. 100 MHz; the classic 14.31818 MHz is 69841279 fs */
	assert_int_equal(tsc_calib_hpet_hz(10000000), 100000000);
	assert_int_equal(tsc_calib_hpet_hz(69841279), 14318179);
	assert_int_equal(tsc_calib_hpet_hz(0), 0);
	assert_int_equal(tsc_calib_hpet_hz(HPET_MAX_PERIOD_FS + 1), 0);
	assert_int_equal(tsc_calib_hpet_hz(0xffffffffU), 0);
}

static void test_agree_and_choose(void **state)
{
	(void)state;
	assert_true(tsc_calib_agree(2900000, 2900000, 10));
	assert_true(tsc_calib_agree(2929000, 2900000, 10));	/* exactly 1 % */
	assert_false(tsc_calib_agree(2930000, 2900000, 10));
	assert_false(tsc_calib_agree(2900000, 0, 10));

	assert_int_equal(tsc_calib_choose(0, 0), TSC_PICK_NONE);
	assert_int_equal(tsc_calib_choose(2892000, 0), TSC_PICK_CPUID);
	assert_int_equal(tsc_calib_choose(0, 2893000), TSC_PICK_MEASURED);
	assert_int_equal(tsc_calib_choose(2892000, 2893500), TSC_PICK_CPUID);
	/* an emulator's CPUID 0x15 (1 GHz) over a TSC that runs at the host's 2.9 GHz */
	assert_int_equal(tsc_calib_choose(1000000, 2900000), TSC_PICK_MEASURED_OVER_CPUID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid15),
		cmocka_unit_test(test_delta_wraps),
		cmocka_unit_test(test_khz),
		cmocka_unit_test(test_hpet_period),
		cmocka_unit_test(test_agree_and_choose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
