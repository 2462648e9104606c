// UNIT-SOURCES: mm/pool_size.c
/* uhvmem='s default (mm/pool_size.c): the shares are the measured peaks times the margin, the
 * RAM share grows per GiB begun, the total is rounded up to 2 MiB and never below the shares'
 * sum; and the default holds the shadow-mode Linux boot's measured peak, 2000 KiB in all (70-
 * linux-guest, "pool peak" line), with the margin. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/pool_size.h>

static void test_shares(void **state)
{
	struct pool_default d;

	(void)state;
	u64 total = pool_default_size(MiB(256), &d);
	assert_int_equal(d.boot, POOL_MARGIN * POOL_BOOT_PEAK);
	assert_int_equal(d.shadow, POOL_MARGIN * POOL_SHADOW_SHARE);
	assert_int_equal(d.ram, POOL_PER_GIB);		/* 256 MiB: one GiB begun */
	assert_int_equal(total, d.total);
	assert_int_equal(total % MiB(2), 0);
	assert_true(total >= d.boot + d.shadow + d.ram);
	assert_true(total < d.boot + d.shadow + d.ram + MiB(2));
	assert_int_equal(pool_default_size(MiB(256), NULL), total);
}

static void test_ram_share(void **state)
{
	struct pool_default d;

	(void)state;
	pool_default_size(GiB(64), &d);
	assert_int_equal(d.ram, 64 * POOL_PER_GIB);
	pool_default_size(GiB(64) + 1, &d);
	assert_int_equal(d.ram, 65 * POOL_PER_GIB);
	pool_default_size(0, &d);
	assert_int_equal(d.ram, 0);
	assert_true(pool_default_size(GiB(1024), NULL) > pool_default_size(GiB(1), NULL));
}

/* The figures measured at fb20f5f (docs/architecture.md "Memory map"): a new shadow MMU or more
 * tables must come with new measurements, not a default below what a boot needs. */
static void test_holds_measured_peaks(void **state)
{
	(void)state;
	assert_true(POOL_SHADOW_SHARE >= KiB(1920));	/* shadow tables, Linux mem=shadow */
	assert_true(POOL_BOOT_PEAK >= KiB(780));	/* EPT + VT-d + other, nested Linux */
	assert_true(pool_default_size(MiB(256), NULL) >= POOL_MARGIN * KiB(2000));
	assert_true(POOL_MARGIN >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_ram_share),
		cmocka_unit_test(test_holds_measured_peaks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
