// UNIT-SOURCES: vm/mmio_policy.c mm/memmap.c
/* The MMIO policy table (vm/mmio_policy.c): which guest-physical ranges besides RAM a guest
 * reaches, each from a named rule; what no rule names (chipset registers, reserved ranges above
 * 1 MiB) is not in it; the unassigned range reported once; the ranges uhv keeps for itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/mmio_policy.h>
#include <uhv/guest.h>
#include <uhv/vmx_trap.h>
#include <uhv/errno.h>

static struct memmap_range st[64];
static struct memmap map;

/* A q35-like map: RAM, the EBDA and BIOS area reserved, ACPI tables and NVS at the top of low
 * RAM, firmware-reserved chipset ranges and the flash above 1 MiB. */
static void build_map(void)
{
	static const struct memmap_entry e820[] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0x7ee0000, 1 }, { 0x7fe0000, 0x10000, 3 }, { 0x7ff0000, 0x10000, 4 },
		{ 0xb0000000, 0x10000000, 2 },	/* ECAM, reserved by firmware */
		{ 0xfed1c000, 0x4000, 2 },	/* ICH9 RCBA */
		{ 0xfeffc000, 0x4000, 2 },
		{ 0xfffc0000, 0x40000, 2 },	/* flash */
	};
	assert_int_equal(memmap_init(&map, st, ARRAY_SIZE(st), e820, ARRAY_SIZE(e820)), 0);
}

static const struct mmio_platform plat = {
	.lapic = 0xfee00000, .ioapic = { 0xfec00000, 0xfec01000 }, .nioapic = 2,
	.hpet = 0xfed00000,
};

static void test_table(void **state)
{
	for (unsigned r = 0; r < MMIO_RULE_COUNT; r++) {
		assert_string_not_equal(mmio_rule_name(r), "?");
		assert_true(strlen(mmio_rule_reason(r)) > 20);
	}
	assert_string_equal(mmio_rule_name(MMIO_RULE_COUNT), "?");
}

static void test_build(void **state)
{
	static struct mmio_policy p;
	const struct { u64 gpa, size; unsigned rule; } want[] = {
		{ 0xfee00000, 0x1000, MMIO_RULE_LAPIC },
		/* no IOAPIC: emulated (trapped), never mapped for the guest */
		{ 0xfed00000, 0x1000, MMIO_RULE_HPET },
		{ 0xa0000, 0x20000, MMIO_RULE_VGA },
		{ 0xc0000, 0x40000, MMIO_RULE_ROM },
		{ 0x7fe0000, 0x10000, MMIO_RULE_ACPI },
		{ 0x7ff0000, 0x10000, MMIO_RULE_NVS },
		{ 0x9f000, 0x1000, MMIO_RULE_LOW_RESERVED },	/* the EBDA, rounded to pages */
		{ 0xf0000, 0x10000, MMIO_RULE_LOW_RESERVED },
	};

	build_map();
	assert_int_equal(mmio_policy_build(&p, &plat, &map), 0);
	assert_int_equal(p.n, ARRAY_SIZE(want));
	for (unsigned i = 0; i < p.n; i++) {
		assert_int_equal(p.r[i].gpa, want[i].gpa);
		assert_int_equal(p.r[i].size, want[i].size);
		assert_int_equal(p.r[i].rule, want[i].rule);
	}
	/* no rule names a reserved range above 1 MiB, nor chipset space */
	static const u64 denied[] = { 0xb0000000, 0xfed1c000, 0xfed30000, 0xfeffc000, 0xfffc0000,
				      0xfffff000, 0xfed01000, 0xfee01000, 0xe0000000, 0x100000 };
	for (unsigned i = 0; i < ARRAY_SIZE(denied); i++)
		assert_null(mmio_policy_find(&p, denied[i], 4));
	assert_non_null(mmio_policy_find(&p, 0xfee000f0, 4));
	assert_null(mmio_policy_find(&p, 0xfee00ffc, 8));	/* runs past the page */

	/* a reserved range across 1 MiB counts up to 1 MiB only */
	static const struct memmap_entry across[] = { { 0xe0000, 0x30000, 2 } };
	assert_int_equal(memmap_init(&map, st, ARRAY_SIZE(st), across, 1), 0);
	assert_int_equal(mmio_policy_build(&p, &(struct mmio_platform){ 0 }, &map), 0);
	assert_int_equal(p.n, 3);	/* VGA, ROM, the reserved part below 1 MiB */
	assert_int_equal(p.r[2].gpa + p.r[2].size, 0x100000);
}

/* The boot framebuffer is the guest's only when it was told about it (plat.fb_size set by
 * vm/mmio_setup.c for guest.screen_given): without it, the range stays unassigned. */
static void test_framebuffer(void **state)
{
	static struct mmio_policy p;
	struct mmio_platform fb = plat;

	build_map();
	assert_int_equal(mmio_policy_build(&p, &plat, &map), 0);
	assert_null(mmio_policy_find(&p, 0x80000000, 4));
	fb.fb = 0x80000000;
	fb.fb_size = 800 * 4 * 600 + 100;	/* not a whole number of pages */
	assert_int_equal(mmio_policy_build(&p, &fb, &map), 0);
	const struct mmio_range *r = mmio_policy_find(&p, 0x80000000, 4);
	assert_non_null(r);
	assert_int_equal(r->rule, MMIO_RULE_FRAMEBUFFER);
	assert_int_equal(r->size, ALIGN_UP(800 * 4 * 600 + 100, 4096));
	assert_null(mmio_policy_find(&p, 0x80000000 + r->size, 4));
	assert_string_equal(mmio_rule_name(MMIO_RULE_FRAMEBUFFER), "boot framebuffer");
}

/* SeaBIOS on q35 keeps its ACPI tables in a reserved range above 1 MiB (captured in
 * test/data/acpi/q35-seabios: FACS 0xffe0000, DSDT 0xffe0040, FACP..RSDT up to 0xffe2395), and
 * its SMBIOS table too: they get their pages, the ACPI ones merged into one range, and nothing
 * more of that reserved range; tables a range holds already need no rule of their own. */
static void test_acpi_tables(void **state)
{
	static const struct memmap_entry e820[] = {
		{ 0, 0x9fc00, 1 }, { 0x100000, 0xfedf000, 1 }, { 0xffdf000, 0x21000, 2 },
		{ 0x20000000, 0x10000, 3 },
	};
	static struct mmio_platform q35 = {
		.lapic = 0xfee00000, .ioapic = { 0xfec00000 }, .nioapic = 1, .hpet = 0xfed00000,
		.table = { { 0xffe2359, 60, MMIO_RULE_ACPI_TABLES },
			   { 0xffe20d9, 244, MMIO_RULE_ACPI_TABLES },
			   { 0xffe0040, 8345, MMIO_RULE_ACPI_TABLES },
			   { 0xffe0000, 64, MMIO_RULE_ACPI_TABLES },
			   { 0x20000100, 36, MMIO_RULE_ACPI_TABLES },
			   { 0xffdf000, 0x1f0, MMIO_RULE_SMBIOS },	/* SeaBIOS: SMBIOS up there */
			   { 0xf5000, 0x100, MMIO_RULE_SMBIOS } },	/* in the ROM window: no range */
		.ntables = 7,
	};
	static struct mmio_policy p;
	unsigned n = 0;

	assert_int_equal(memmap_init(&map, st, ARRAY_SIZE(st), e820, ARRAY_SIZE(e820)), 0);
	assert_int_equal(mmio_policy_build(&p, &q35, &map), 0);
	for (unsigned i = 0; i < p.n; i++) {
		if (p.r[i].rule != MMIO_RULE_ACPI_TABLES)
			continue;
		n++;
		assert_int_equal(p.r[i].gpa, 0xffe0000);
		assert_int_equal(p.r[i].size, 0x3000);
	}
	assert_int_equal(n, 1);
	assert_non_null(mmio_policy_find(&p, 0xffe2359, 60));
	assert_int_equal(mmio_policy_find(&p, 0xffdf000, 0x1f0)->rule, MMIO_RULE_SMBIOS);
	assert_null(mmio_policy_find(&p, 0xffe3000, 4));	/* the rest of the reserved range */
	assert_null(mmio_policy_find(&p, 0xfff0000, 4));
	assert_int_equal(mmio_policy_find(&p, 0xf5000, 0x100)->rule, MMIO_RULE_ROM);
	n = 0;
	for (unsigned i = 0; i < p.n; i++)
		n += p.r[i].rule == MMIO_RULE_SMBIOS;
	assert_int_equal(n, 1);
	assert_int_equal(mmio_policy_find(&p, 0x20000100, 36)->rule, MMIO_RULE_ACPI);
}

/* The table fills up: an error, never a silently shorter table. */
static void test_full(void **state)
{
	static struct memmap_entry e[MMIO_POLICY_MAX];
	static struct mmio_policy p;

	for (unsigned i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct memmap_entry){ 0x1000000 + 0x2000ULL * i, 0x1000, 3 };
	assert_int_equal(memmap_init(&map, st, ARRAY_SIZE(st), e, ARRAY_SIZE(e)), 0);
	assert_int_equal(mmio_policy_build(&p, &plat, &map), -ENOSPC);
}

static void test_gap(void **state)
{
	static struct mmio_policy p;
	static struct guest g;
	u64 lo, hi;

	build_map();
	assert_int_equal(mmio_policy_build(&p, &plat, &map), 0);
	g.mem[0] = (struct guest_region){ 0x100000, 0x7ee0000, 0x100000, GUEST_MEM_RAM };
	g.mem[1] = (struct guest_region){ 0xfed1c000, 0x4000, 0xfed1c000, GUEST_MEM_RESERVED };
	g.nr_mem = 2;
	/* RCBA and TXT lie in one unassigned range: between the HPET and the LAPIC (a reserved
	 * region of the guest's memory map is no assignment) */
	mmio_policy_gap(&p, &g, 0xfed1c000, &lo, &hi);
	assert_int_equal(lo, 0xfed01000);
	assert_int_equal(hi, 0xfee00000);
	mmio_policy_gap(&p, &g, 0xfed30000, &lo, &hi);
	assert_int_equal(lo, 0xfed01000);
	/* above the NVS up to the HPET: the IOAPIC page is emulated, no native range (its trap
	 * keeps it out of the unassigned path) */
	mmio_policy_gap(&p, &g, 0xb0000000, &lo, &hi);
	assert_int_equal(lo, 0x8000000);
	assert_int_equal(hi, 0xfed00000);
	/* above the LAPIC: to the end of the address space */
	mmio_policy_gap(&p, &g, 0xff000000, &lo, &hi);
	assert_int_equal(lo, 0xfee01000);
	assert_int_equal(hi, ~0ULL);
}

static void test_uhv(void **state)
{
	static struct vm_traps traps;
	const struct ept_hole holes[] = { { 0x0ee00000, 0x1000000 }, { 0xfed90000, 0x1000 } };

	traps.mmio[0] = (struct vmx_mmio_trap){ .first = 0xb0000000, .last = 0xbfffffff };
	traps.nr_mmio = 1;
	assert_true(mmio_hits_uhv(holes, 2, &traps, 0x0ee00000, 0x1000));
	assert_true(mmio_hits_uhv(holes, 2, &traps, 0x0fdff000, 0x1000));	/* last page */
	assert_true(mmio_hits_uhv(holes, 2, &traps, 0x0edff000, 0x2000));	/* straddles */
	assert_false(mmio_hits_uhv(holes, 2, &traps, 0x0edff000, 0x1000));	/* just below */
	assert_false(mmio_hits_uhv(holes, 2, &traps, 0x0fe00000, 0x1000));	/* just above */
	assert_true(mmio_hits_uhv(holes, 2, &traps, 0xfed90000, 0x1000));	/* VT-d page */
	assert_true(mmio_hits_uhv(holes, 2, &traps, 0xbffff000, 0x1000));	/* ECAM */
	assert_false(mmio_hits_uhv(holes, 2, &traps, 0xc0000000, 0x1000));
	assert_false(mmio_hits_uhv(holes, 2, &traps, 0xfee00000, 0x1000));
	assert_false(mmio_hits_uhv(holes, 2, NULL, 0xb0000000, 0x1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_framebuffer),
		cmocka_unit_test(test_acpi_tables),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_uhv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
