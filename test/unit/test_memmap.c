// UNIT-SOURCES: mm/memmap.c
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/memmap.h>
#include <uhv/errno.h>
#include "log_capture.h"

#define E(b, l, t) { (b), (l), (t) }

static void check_sane(const struct memmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		assert_true(m->r[i].base < m->r[i].end);
		assert_int_equal(m->r[i].base % PAGE_SIZE, 0);
		assert_int_equal(m->r[i].end % PAGE_SIZE, 0);
		if (i) {
			assert_true(m->r[i - 1].end <= m->r[i].base);
			/* adjacent ranges of one type are merged */
			assert_false(m->r[i - 1].end == m->r[i].base &&
				     m->r[i - 1].type == m->r[i].type);
		}
	}
}

static void expect_range(const struct memmap *m, size_t i, u64 base, u64 end, u32 type)
{
	assert_true(i < m->n);
	assert_int_equal(m->r[i].base, base);
	assert_int_equal(m->r[i].end, end);
	assert_int_equal(m->r[i].type, type);
}

/* QEMU + SeaBIOS style e820 with 6 GiB of RAM, deliberately shuffled */
static const struct memmap_entry seabios[] = {
	E(0x100000000ULL, 0x80000000ULL, 1),
	E(0x0009fc00, 0x400, 2),
	E(0x00000000, 0x9fc00, 1),
	E(0x000f0000, 0x10000, 2),
	E(0x7ffe0000, 0x20000, 2),
	E(0x00100000, 0x7fee0000, 1),
	E(0xfeffc000, 0x4000, 2),
	E(0xfffc0000, 0x40000, 2),
};

static void test_init_seabios(void **state)
{
	struct memmap_range st[32];
	struct memmap m;

	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), seabios, ARRAY_SIZE(seabios)), 0);
	check_sane(&m);
	assert_int_equal(m.n, 8);
	expect_range(&m, 0, 0, 0x9f000, MEMMAP_AVAILABLE);	/* partial page dropped */
	expect_range(&m, 1, 0x9f000, 0xa0000, MEMMAP_RESERVED);	/* grown to the page */
	expect_range(&m, 2, 0xf0000, 0x100000, MEMMAP_RESERVED);
	expect_range(&m, 3, 0x100000, 0x7ffe0000, MEMMAP_AVAILABLE);
	expect_range(&m, 4, 0x7ffe0000, 0x80000000, MEMMAP_RESERVED);
	expect_range(&m, 5, 0xfeffc000, 0xff000000, MEMMAP_RESERVED);
	expect_range(&m, 6, 0xfffc0000, 0x100000000ULL, MEMMAP_RESERVED);
	expect_range(&m, 7, 0x100000000ULL, 0x180000000ULL, MEMMAP_AVAILABLE);
}

static void test_init_overlaps(void **state)
{
	struct memmap_range st[32];
	struct memmap m;
	const struct memmap_entry in[] = {
		E(0x0, MiB(16), 1),		/* available, overlapped by everything below */
		E(MiB(2), MiB(1), 2),		/* reserved beats available */
		E(MiB(4), MiB(2), 3),		/* ACPI */
		E(MiB(5), MiB(2), 4),		/* NVS beats ACPI and available */
		E(MiB(8), KiB(4), 5),		/* bad */
		E(MiB(8), MiB(1), 2),		/* bad beats reserved */
		E(MiB(10), MiB(1), 7),		/* unknown (persistent memory) = reserved */
		E(MiB(11), MiB(1), 2),		/* merges with the previous */
		E(MiB(20), 0, 2),		/* empty: ignored */
		E(MiB(32), 0x800, 1),		/* less than a page available: ignored */
		E(~0ULL - MiB(1), MiB(8), 2),	/* runs past the top: cut */
	};

	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), in, ARRAY_SIZE(in)), 0);
	check_sane(&m);
	expect_range(&m, 0, 0, MiB(2), MEMMAP_AVAILABLE);
	expect_range(&m, 1, MiB(2), MiB(3), MEMMAP_RESERVED);
	expect_range(&m, 2, MiB(3), MiB(4), MEMMAP_AVAILABLE);
	expect_range(&m, 3, MiB(4), MiB(5), MEMMAP_ACPI);
	expect_range(&m, 4, MiB(5), MiB(7), MEMMAP_NVS);
	expect_range(&m, 5, MiB(7), MiB(8), MEMMAP_AVAILABLE);
	expect_range(&m, 6, MiB(8), MiB(8) + KiB(4), MEMMAP_BAD);
	expect_range(&m, 7, MiB(8) + KiB(4), MiB(9), MEMMAP_RESERVED);
	expect_range(&m, 8, MiB(9), MiB(10), MEMMAP_AVAILABLE);
	expect_range(&m, 9, MiB(10), MiB(12), MEMMAP_RESERVED);
	expect_range(&m, 10, MiB(12), MiB(16), MEMMAP_AVAILABLE);
	expect_range(&m, 11, ~0ULL - MiB(1) + 1 - KiB(4), ~0ULL - KiB(4) + 1, MEMMAP_RESERVED);
	assert_int_equal(m.n, 12);
	assert_int_equal(memmap_type_at(&m, MiB(5)), MEMMAP_NVS);
	assert_int_equal(memmap_type_at(&m, MiB(16)), -ENOENT);
	assert_int_equal(memmap_type_at(&m, 0), MEMMAP_AVAILABLE);
	assert_true(memmap_range_is(&m, MiB(12), MiB(4), MEMMAP_AVAILABLE));
	assert_false(memmap_range_is(&m, MiB(12), MiB(5), MEMMAP_AVAILABLE));	/* hole */
	assert_false(memmap_range_is(&m, MiB(1), MiB(2), MEMMAP_AVAILABLE));
	assert_int_equal(memmap_total(&m, MEMMAP_AVAILABLE), MiB(2 + 1 + 1 + 1 + 4));

	/* empty input */
	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), NULL, 0), 0);
	assert_int_equal(m.n, 0);
}

static void test_init_capacity(void **state)
{
	struct memmap_entry in[64];
	struct memmap_range st[64];
	struct memmap m;

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		in[i] = (struct memmap_entry){ i * MiB(1), KiB(512), i % 2 ? 1 : 2 };
	assert_int_equal(memmap_init(&m, st, 63, in, 64), -ENOSPC);
	assert_int_equal(m.n, 0);
	assert_int_equal(memmap_init(&m, st, 64, in, 64), 0);
	assert_int_equal(m.n, 64);
}

static void test_reserve(void **state)
{
	struct memmap_range st[32];
	struct memmap m;

	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), seabios, ARRAY_SIZE(seabios)), 0);
	/* the first MiB: only its available parts change owner */
	assert_int_equal(memmap_reserve(&m, 0, MiB(1), MEMMAP_LOW), 0);
	expect_range(&m, 0, 0, 0x9f000, MEMMAP_LOW);
	expect_range(&m, 1, 0x9f000, 0xa0000, MEMMAP_RESERVED);
	expect_range(&m, 2, 0xf0000, 0x100000, MEMMAP_RESERVED);
	/* image at 2 MiB, not page-sized: grows to whole pages */
	assert_int_equal(memmap_reserve(&m, MiB(2) + 0x10, 0x123450, MEMMAP_HV_IMAGE), 0);
	expect_range(&m, 3, MiB(1), MiB(2), MEMMAP_AVAILABLE);
	expect_range(&m, 4, MiB(2), MiB(2) + 0x124000, MEMMAP_HV_IMAGE);
	expect_range(&m, 5, MiB(2) + 0x124000, 0x7ffe0000, MEMMAP_AVAILABLE);
	/* boot info right after, and a module adjacent to it */
	assert_int_equal(memmap_reserve(&m, MiB(4), KiB(8), MEMMAP_BOOT_INFO), 0);
	assert_int_equal(memmap_reserve(&m, MiB(4) + KiB(8), MiB(3), MEMMAP_BOOT_MODULE), 0);
	/* overlapping an existing owner: the existing owner stays */
	assert_int_equal(memmap_reserve(&m, MiB(4), MiB(1), MEMMAP_GUEST), 0);
	assert_int_equal(memmap_type_at(&m, MiB(4)), MEMMAP_BOOT_INFO);
	assert_int_equal(memmap_type_at(&m, MiB(4) + KiB(8)), MEMMAP_BOOT_MODULE);
	/* an identical second reservation changes nothing */
	size_t n = m.n;
	assert_int_equal(memmap_reserve(&m, MiB(2), 0x124000, MEMMAP_HV_IMAGE), 0);
	assert_int_equal(m.n, n);
	check_sane(&m);
	assert_int_equal(memmap_total(&m, MEMMAP_HV_IMAGE), 0x124000);
	assert_int_equal(memmap_total(&m, MEMMAP_BOOT_INFO), KiB(8));
	assert_int_equal(memmap_total(&m, MEMMAP_BOOT_MODULE), MiB(3));
	assert_int_equal(memmap_total(&m, MEMMAP_LOW), 0x9f000);
	assert_int_equal(memmap_total(&m, MEMMAP_AVAILABLE),
			 0x7ffe0000 - MiB(1) - 0x124000 - KiB(8) - MiB(3) + GiB(2));
	/* reserving across a reserved hole keeps the firmware part */
	assert_int_equal(memmap_reserve(&m, 0x7ff00000, MiB(2), MEMMAP_GUEST), 0);
	assert_int_equal(memmap_type_at(&m, 0x7ffe0000), MEMMAP_RESERVED);
	assert_int_equal(memmap_type_at(&m, 0x7ffdf000), MEMMAP_GUEST);
	check_sane(&m);

	assert_int_equal(memmap_reserve(&m, 0, MiB(1), MEMMAP_AVAILABLE), -EINVAL);
	assert_int_equal(memmap_reserve(&m, ~0ULL - 10, 100, MEMMAP_GUEST), -EINVAL);
	assert_int_equal(memmap_reserve(&m, MiB(50), 0, MEMMAP_GUEST), 0);
}

static void test_reserve_nospc(void **state)
{
	struct memmap_range st[5];	/* the last one is a guard */
	struct memmap_range copy[5];
	struct memmap m;
	const struct memmap_entry in[] = { E(0, GiB(1), 1), E(GiB(1), MiB(1), 2) };

	memset(st, 0xa5, sizeof(st));
	assert_int_equal(memmap_init(&m, st, 4, in, ARRAY_SIZE(in)), 0);
	assert_int_equal(memmap_reserve(&m, MiB(10), MiB(1), MEMMAP_HV_IMAGE), 0);	/* 4 ranges */
	memcpy(copy, st, sizeof(st));
	assert_int_equal(memmap_reserve(&m, MiB(20), MiB(1), MEMMAP_GUEST), -ENOSPC);
	assert_int_equal(memmap_reserve(&m, 0, MiB(1), MEMMAP_LOW), -ENOSPC);	/* one split */
	assert_int_equal(memmap_reserve(&m, MiB(12), MiB(1), MEMMAP_LOW), -ENOSPC);
	assert_int_equal(memmap_reserve(&m, MiB(500), GiB(1) - MiB(500), MEMMAP_LOW), -ENOSPC);
	assert_int_equal(m.n, 4);
	assert_memory_equal(copy, st, sizeof(st));
	/* needing no split still works when full */
	assert_int_equal(memmap_reserve(&m, MiB(11), GiB(1) - MiB(11), MEMMAP_GUEST), 0);
	assert_int_equal(memmap_reserve(&m, 0, MiB(10), MEMMAP_LOW), 0);
	expect_range(&m, 0, 0, MiB(10), MEMMAP_LOW);
	expect_range(&m, 2, MiB(11), GiB(1), MEMMAP_GUEST);
	assert_int_equal(m.n, 4);
}

/* OVMF-like fragmented map (free RAM 1-8 MiB, NVS 8-9 MiB, ...) */
static const struct memmap_entry ovmf[] = {
	E(0x0, 0xa0000, 1),
	E(0x100000, 0x700000, 1),
	E(0x800000, 0x100000, 4),
	E(0x900000, 0x7e00000, 1),
	E(0x8700000, 0x100000, 2),
	E(0x8800000, 0x37000000 - 0x8800000, 1),
	E(0x37000000, 0x200000, 3),
	E(0x37200000, 0x8000000, 1),
	E(0x3f200000, 0x800000, 4),
	E(0x3fa00000, 0x600000, 2),
	E(0xffc00000, 0x400000, 2),
	E(0x100000000ULL, GiB(3), 1),
};

static void test_carve(void **state)
{
	struct memmap_range st[64];
	struct memmap m;
	u64 base;

	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), ovmf, ARRAY_SIZE(ovmf)), 0);
	check_sane(&m);
	assert_int_equal(memmap_reserve(&m, 0, MiB(1), MEMMAP_LOW), 0);

	/* highest: top of RAM above 4G */
	assert_int_equal(memmap_carve(&m, MiB(64), MiB(2), true, 0, MEMMAP_HV_POOL, &base), 0);
	assert_int_equal(base, GiB(4) + GiB(3) - MiB(64));
	/* highest below 4 GiB: the top of 0x37200000-0x3f200000 */
	assert_int_equal(memmap_carve(&m, MiB(16), MiB(2), true, GiB(4), MEMMAP_GUEST, &base), 0);
	assert_int_equal(base, 0x3f200000 - MiB(16));
	/* lowest, 2 MiB aligned, 8 MiB: 1-8 MiB is too small, skips the NVS */
	assert_int_equal(memmap_carve(&m, MiB(8), MiB(2), false, 0, MEMMAP_GUEST, &base), 0);
	assert_int_equal(base, MiB(10));
	/* lowest 4K page: at 1 MiB (the low MiB is reserved) */
	assert_int_equal(memmap_carve(&m, KiB(4), 0, false, 0, MEMMAP_BOOT_INFO, &base), 0);
	assert_int_equal(base, MiB(1));
	/* below-limit that cuts the range: highest page below 2 MiB */
	assert_int_equal(memmap_carve(&m, KiB(4), KiB(4), true, MiB(2), MEMMAP_BOOT_INFO, &base),
			 0);
	assert_int_equal(base, MiB(2) - KiB(4));
	/* too big */
	assert_int_equal(memmap_carve(&m, GiB(4), MiB(2), true, 0, MEMMAP_GUEST, &base), -ENOMEM);
	assert_int_equal(memmap_carve(&m, MiB(1), MiB(1), true, MiB(1), MEMMAP_GUEST, &base),
			 -ENOMEM);
	/* bad arguments */
	assert_int_equal(memmap_carve(&m, 100, 0, true, 0, MEMMAP_GUEST, &base), -EINVAL);
	assert_int_equal(memmap_carve(&m, MiB(1), 3 * PAGE_SIZE, true, 0, MEMMAP_GUEST, &base),
			 -EINVAL);
	assert_int_equal(memmap_carve(&m, MiB(1), 0, true, 0, MEMMAP_AVAILABLE, &base), -EINVAL);
	check_sane(&m);
	assert_int_equal(memmap_total(&m, MEMMAP_HV_POOL), MiB(64));
	assert_int_equal(memmap_total(&m, MEMMAP_GUEST), MiB(24));
	assert_int_equal(memmap_total(&m, MEMMAP_NVS), MiB(1) + MiB(8));
}

static void test_print(void **state)
{
	struct memmap_range st[64];
	struct memmap m;
	u64 base;

	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), ovmf, ARRAY_SIZE(ovmf)), 0);
	assert_int_equal(memmap_reserve(&m, 0, MiB(1), MEMMAP_LOW), 0);
	assert_int_equal(memmap_reserve(&m, MiB(2), KiB(1000), MEMMAP_HV_IMAGE), 0);
	assert_int_equal(memmap_carve(&m, MiB(32), MiB(2), true, 0, MEMMAP_HV_POOL, &base), 0);
	log_capture_reset();
	memmap_print(&m);
	assert_true(log_capture_contains("uhv mm: physical memory map, 15 ranges:"));
	assert_true(log_capture_contains("0x0000000000800000  0x0000000000900000       1 MiB  ACPI NVS\n"));
	assert_true(log_capture_contains("0x0000000000200000  0x00000000002fa000    1000 KiB  uhv image\n"));
	assert_true(log_capture_contains("0x0000000000000000  0x00000000000a0000     640 KiB  low memory (uhv)\n"));
	assert_true(log_capture_contains("usable "));
	assert_true(log_capture_contains("reserved for uhv 34408 KiB (uhv image 1000 KiB, uhv pool 32 MiB, low memory (uhv) 640 KiB)"));
	assert_true(log_capture_contains("ACPI NVS 9 MiB"));
	assert_true(log_capture_contains("ACPI reclaimable 2 MiB"));
	/* inexact sizes get one decimal */
	struct memmap_entry odd[] = { E(0, MiB(1) + KiB(512), 1) };
	assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), odd, 1), 0);
	log_capture_reset();
	memmap_print(&m);
	assert_true(log_capture_contains("1.5 MiB  available"));
}

/* ---- random inputs against a page-granular model ---------------------------------- */

#define NPAGES 256

static unsigned model_rank(u32 t)
{
	return t == 1 ? 0 : t == 3 ? 1 : t == 4 ? 3 : t == 5 ? 4 : 2;
}

static u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void compare(const struct memmap *m, const u32 *model)
{
	check_sane(m);
	for (u64 p = 0; p < NPAGES; p++) {
		int t = memmap_type_at(m, p * PAGE_SIZE);

		if (!model[p])
			assert_int_equal(t, -ENOENT);
		else
			assert_int_equal(t, model[p]);
	}
}

static void test_random_vs_model(void **state)
{
	struct memmap_entry in[40];
	struct memmap_range st[300];
	struct memmap m;
	u32 model[NPAGES];

	for (int round = 0; round < 300; round++) {
		size_t n = 1 + rnd() % ARRAY_SIZE(in);

		memset(model, 0, sizeof(model));
		for (size_t i = 0; i < n; i++) {
			u64 b = rnd() % NPAGES, l = 1 + rnd() % 40;
			u32 t = 1 + rnd() % 7;
			u32 mt = t > 5 ? 2 : t;

			if (b + l > NPAGES)
				l = NPAGES - b;
			in[i] = (struct memmap_entry){ b * PAGE_SIZE, l * PAGE_SIZE, t };
			for (u64 p = b; p < b + l; p++)
				if (!model[p] || model_rank(mt) > model_rank(model[p]))
					model[p] = mt;
		}
		assert_int_equal(memmap_init(&m, st, ARRAY_SIZE(st), in, n), 0);
		compare(&m, model);
		for (int k = 0; k < 8; k++) {
			u64 b = rnd() % NPAGES, l = 1 + rnd() % 30;
			u32 owner = MEMMAP_LOW + rnd() % 6;

			if (b + l > NPAGES)
				l = NPAGES - b;
			assert_int_equal(memmap_reserve(&m, b * PAGE_SIZE, l * PAGE_SIZE, owner), 0);
			for (u64 p = b; p < b + l; p++)
				if (model[p] == MEMMAP_AVAILABLE)
					model[p] = owner;
			compare(&m, model);
		}
		u64 base, pages = 1 + rnd() % 4;
		int err = memmap_carve(&m, pages * PAGE_SIZE, 0, rnd() % 2, 0, MEMMAP_HV_POOL, &base);
		if (err == 0) {
			for (u64 p = base / PAGE_SIZE; p < base / PAGE_SIZE + pages; p++) {
				assert_int_equal(model[p], MEMMAP_AVAILABLE);
				model[p] = MEMMAP_HV_POOL;
			}
		} else {
			assert_int_equal(err, -ENOMEM);
		}
		compare(&m, model);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_seabios),
		cmocka_unit_test(test_init_overlaps),
		cmocka_unit_test(test_init_capacity),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_reserve_nospc),
		cmocka_unit_test(test_carve),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
