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

/* A machine in a model: every read (of the counter or the TSC) takes read_ns of time; the
 * counter counts hz from start, wrapping at 2^bits, and stops counting if stuck. */
struct model {
	u64 ns;			/* time now */
	u64 read_ns;
	u64 tsc_khz;
	u64 hz, start;
	unsigned bits;
	bool stuck;
};

static u64 model_read(void *ctx)
{
	struct model *m = ctx;
	m->ns += m->read_ns;
	if (m->stuck)
		return 0xffff;
	return tsc_calib_delta(0, m->start + m->ns * m->hz / 1000000000ULL, m->bits);
}

static u64 model_tsc(void *ctx)
{
	struct model *m = ctx;
	m->ns += 10;
	return 1000000000ULL + m->ns * m->tsc_khz / 1000000ULL;
}

static void run_model(struct model *m, u32 ms, struct tsc_calib_result *res)
{
	const struct tsc_calib_ref r = { m->hz, m->bits, model_read, model_tsc, m };
	tsc_calib_measure(&r, ms, res);
}

static void test_measure_pm_timer(void **state)
{
	(void)state;
	/* a 2.9 GHz TSC against the 24-bit PM timer; each read 1 us, so the counter moves
	 * between any two reads (the first read used to end the loop at once: a "wrap") */
	struct model m = { .read_ns = 1000, .tsc_khz = 2900000, .hz = ACPI_PM_TIMER_HZ,
			   .start = 0x123456, .bits = 24 };
	struct tsc_calib_result res;
	run_model(&m, 10, &res);
	assert_false(res.stuck);
	assert_false(res.slow);
	assert_true(res.ticks >= ACPI_PM_TIMER_HZ / 100);
	assert_true(tsc_calib_agree(res.khz, 2900000, 2));	/* within 0.2 % */
	/* it took about 10 ms, not more */
	assert_true(m.ns >= 10000000 && m.ns < 10200000);
}

static void test_measure_across_wrap(void **state)
{
	(void)state;
	/* the 24-bit counter wraps in the middle of the interval */
	struct model m = { .read_ns = 700, .tsc_khz = 200000, .hz = ACPI_PM_TIMER_HZ,
			   .start = 0xffff00, .bits = 24 };
	struct tsc_calib_result res;
	run_model(&m, 10, &res);
	assert_true(tsc_calib_agree(res.khz, 200000, 2));
	/* the PIT: 16 bits wrap every 55 ms, a 10 ms interval is fine from anywhere */
	struct model p = { .read_ns = 3000, .tsc_khz = 3400000, .hz = PIT_HZ,
			   .start = 0xfff0, .bits = 16 };
	run_model(&p, 10, &res);
	assert_true(tsc_calib_agree(res.khz, 3400000, 2));
}

static void test_measure_stuck(void **state)
{
	(void)state;
	/* a gated PIT reads the same forever: given up after TSC_CALIB_STUCK_READS reads */
	struct model m = { .read_ns = 1000, .tsc_khz = 2000000, .hz = PIT_HZ, .bits = 16,
			   .stuck = true };
	struct tsc_calib_result res;
	run_model(&m, 10, &res);
	assert_true(res.stuck);
	assert_int_equal(res.khz, 0);
	assert_int_equal(res.last, 0xffff);
	assert_true(m.ns < (TSC_CALIB_STUCK_READS + 100) * 1000ULL);
}

static void test_measure_slow(void **state)
{
	(void)state;
	/* a counter at 200 Hz read every 100 ns: it changes every 50000 reads (not stuck), but
	 * 10 s worth would take 1e8 reads: given up after TSC_CALIB_MAX_READS */
	struct model m = { .read_ns = 100, .tsc_khz = 2000000, .hz = 200, .bits = 32 };
	struct tsc_calib_result res;
	run_model(&m, 10000, &res);
	assert_false(res.stuck);
	assert_true(res.slow);
	assert_int_equal(res.khz, 0);
}

static void test_median3(void **state)
{
	(void)state;
	assert_int_equal(tsc_calib_median3(1, 2, 3), 2);
	assert_int_equal(tsc_calib_median3(3, 2, 1), 2);
	assert_int_equal(tsc_calib_median3(2, 3, 1), 2);
	assert_int_equal(tsc_calib_median3(2, 1, 3), 2);
	assert_int_equal(tsc_calib_median3(1, 3, 2), 2);
	assert_int_equal(tsc_calib_median3(3, 1, 2), 2);
	assert_int_equal(tsc_calib_median3(5, 5, 1), 5);
	/* one disturbed measurement of three is outvoted */
	assert_int_equal(tsc_calib_median3(200000, 262499, 199998), 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid15),
		cmocka_unit_test(test_delta_wraps),
		cmocka_unit_test(test_khz),
		cmocka_unit_test(test_hpet_period),
		cmocka_unit_test(test_agree_and_choose),
		cmocka_unit_test(test_median3),
		cmocka_unit_test(test_measure_pm_timer),
		cmocka_unit_test(test_measure_across_wrap),
		cmocka_unit_test(test_measure_stuck),
		cmocka_unit_test(test_measure_slow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
