// UNIT-SOURCES: vmx/io_policy.c vmx/vmx_policy.c
/* The guest's port table (vmx/io_policy.c): the built I/O bitmaps against the rules port by
 * port, deny by default for every port no rule names, the per-byte decision for an access that
 * overlaps rules of different kinds, and the table failing closed. Facts as on Bochs (PIIX4 PM
 * at 0xb000) and QEMU q35 (ICH9 PMBASE 0x600). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/io_policy.h>
#include <uhv/vmx_policy.h>
#include <uhv/errno.h>
#include "log_capture.h"

static struct io_policy pol;
static u8 bm_a[VMX_IO_BITMAP_SIZE], bm_b[VMX_IO_BITMAP_SIZE];

static struct io_facts q35_facts(void)
{
	struct io_facts f = { 0 };

	f.at[IO_PM1A_EVT] = (struct io_range){ 0x600, 4 };
	f.at[IO_PM1A_CNT] = (struct io_range){ 0x604, 2 };
	f.at[IO_PM_TMR] = (struct io_range){ 0x608, 4 };
	f.at[IO_GPE0] = (struct io_range){ 0x620, 16 };
	f.at[IO_SMI_CMD] = (struct io_range){ 0xb2, 1 };
	f.at[IO_CONSOLE] = (struct io_range){ 0x3f8, 8 };
	f.nic[0] = (struct io_range){ 0xc000, 0x40 };
	f.nr_nic = 1;
	return f;
}

static struct io_facts bochs_facts(void)
{
	struct io_facts f = { 0 };

	f.at[IO_PM1A_EVT] = (struct io_range){ 0xb000, 4 };
	f.at[IO_PM1A_CNT] = (struct io_range){ 0xb004, 2 };
	f.at[IO_PM_TMR] = (struct io_range){ 0xb008, 4 };
	f.at[IO_SMI_CMD] = (struct io_range){ 0xb2, 1 };
	f.at[IO_CONSOLE] = (struct io_range){ 0x3f8, 8 };
	f.at[IO_GDB] = (struct io_range){ 0x2f8, 8 };
	return f;
}

/* Every port: the bitmap bit is clear exactly when a native rule names it, checked with the
 * SDM's reading of the bitmaps (vmx_io_bitmap_exits), not with the builder's own code. */
static void check_bitmaps_match(const struct io_policy *p)
{
	unsigned native = 0;

	io_policy_bitmaps(p, bm_a, bm_b);
	for (u32 port = 0; port <= 0xffff; port++) {
		const struct io_rule *r = io_policy_find(p, (u16)port);
		bool is_native = r && r->t == IO_NATIVE;

		native += is_native;
		if (vmx_io_bitmap_exits(bm_a, bm_b, (u16)port, 1) == is_native)
			fail_msg("port %#x: rule %s, bitmap %s", port,
				 r ? io_treatment_name(r->t) : "none (unassigned)",
				 is_native ? "intercepts" : "passes it");
	}
	/* the rules are sorted and disjoint: find agrees with a linear scan */
	for (unsigned i = 1; i < p->n; i++)
		assert_true(p->r[i - 1].last < p->r[i].first);
	assert_true(native > 0 && native < 0x400);
}

static void test_bitmaps_equal_table(void **state)
{
	struct io_facts f = q35_facts();

	assert_int_equal(io_policy_build(&pol, &f), 0);
	check_bitmaps_match(&pol);
	f = bochs_facts();
	assert_int_equal(io_policy_build(&pol, &f), 0);
	check_bitmaps_match(&pol);
}

static void test_named_ports(void **state)
{
	struct io_facts f = q35_facts();

	assert_int_equal(io_policy_build(&pol, &f), 0);
	io_policy_bitmaps(&pol, bm_a, bm_b);
	static const u16 native[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x43, 0x61,
				      0x80, 0x60, 0x3d4, 0x600, 0x603, 0x608, 0x60b, 0x620,
				      0x62f, 0xc000, 0xc03f };
	for (size_t i = 0; i < sizeof(native) / sizeof(native[0]); i++)
		assert_false(vmx_io_bitmap_exits(bm_a, bm_b, native[i], 1));
	/* filtered and emulated: intercepted, with a rule */
	static const u16 trapped[] = { 0x64, 0x70, 0x71, 0x92, 0x604, 0x605, 0xb2, 0xcf8, 0xcf9,
				       0xcff, 0x3f8, 0x3ff };
	for (size_t i = 0; i < sizeof(trapped) / sizeof(trapped[0]); i++) {
		const struct io_rule *r = io_policy_find(&pol, trapped[i]);
		assert_non_null(r);
		assert_int_not_equal(r->t, IO_NATIVE);
		assert_true(vmx_io_bitmap_exits(bm_a, bm_b, trapped[i], 1));
	}
}

/* Deny by default: ports no rule names are intercepted and have no rule. */
static void test_unnamed_ports_denied(void **state)
{
	struct io_facts f = q35_facts();

	assert_int_equal(io_policy_build(&pol, &f), 0);
	io_policy_bitmaps(&pol, bm_a, bm_b);
	static const u16 denied[] = { 0x00, 0x0f, 0x81, 0xc0, 0x2f8, 0x1f0, 0x1f7, 0x3f7,
				      0x72, 0x73, 0xb3, 0x510, 0x60c, 0x630, 0xcf7, 0xc040,
				      0x8000, 0xffff, 0xe9 };
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		assert_null(io_policy_find(&pol, denied[i]));
		assert_true(vmx_io_bitmap_exits(bm_a, bm_b, denied[i], 1));
	}
	u16 lo, hi;
	unsigned g = io_policy_gap(&pol, 0x630, &lo, &hi);
	assert_int_equal(lo, 0x630);	/* after GPE0 0x620-0x62f */
	assert_true(hi >= 0x630 && hi < 0xc000);
	assert_int_equal(io_policy_gap(&pol, 0x631, &lo, &hi), g);
	assert_int_not_equal(io_policy_gap(&pol, 0x2f8, &lo, &hi), g);
	assert_int_equal(io_policy_gap(&pol, 0xffff, &lo, &hi), pol.n);
	assert_int_equal(hi, 0xffff);
}

/* The finding of issue 14: outl at PM1a_CNT - 2 covers two PM1_EN bytes (native) and both
 * PM1a_CNT bytes (filtered); a word at 0x3f7 covers an unassigned port and COM1. Each byte has
 * its own rule, and no access with a non-native byte may be carried out as a whole. */
static void test_partial_overlap_per_byte(void **state)
{
	struct io_facts f = q35_facts();
	const struct io_rule *b[4];

	assert_int_equal(io_policy_build(&pol, &f), 0);
	io_policy_bitmaps(&pol, bm_a, bm_b);
	io_policy_bytes(&pol, 0x602, 4, b);
	assert_int_equal(b[0]->t, IO_NATIVE);
	assert_int_equal(b[1]->t, IO_NATIVE);
	assert_int_equal(b[2]->t, IO_FILTERED);
	assert_int_equal(b[2]->where, IO_PM1A_CNT);
	assert_ptr_equal(b[2], b[3]);
	assert_true(vmx_io_bitmap_exits(bm_a, bm_b, 0x602, 4));	/* so uhv sees it */

	io_policy_bytes(&pol, 0x3f7, 2, b);
	assert_null(b[0]);
	assert_int_equal(b[1]->where, IO_CONSOLE);

	/* across 0xffff: the CPU exits (SDM), the bytes go on at port 0 */
	io_policy_bytes(&pol, 0xfffe, 4, b);
	assert_null(b[0]);
	assert_null(b[1]);
	assert_null(b[2]);	/* port 0: DMA controller, unassigned */
	assert_true(vmx_io_bitmap_exits(bm_a, bm_b, 0xfffe, 4));
	/* a native rule's bytes alone stay native (no exit) */
	assert_false(vmx_io_bitmap_exits(bm_a, bm_b, 0x600, 4));
	assert_false(vmx_io_bitmap_exits(bm_a, bm_b, 0x608, 4));
}

static void test_fails_closed(void **state)
{
	struct io_facts f = q35_facts();

	/* a firmware block on a fixed rule's ports: refused, named */
	f.at[IO_GPE1] = (struct io_range){ 0xcf0, 16 };
	log_capture_reset();
	assert_int_equal(io_policy_build(&pol, &f), -EEXIST);
	assert_true(log_capture_contains("PCI configuration mechanism #1"));
	assert_true(log_capture_contains("overlaps ACPI GPE1 block (0xcf0-0xcff)"));

	/* every NIC BAR fits (IO_POLICY_MAX is checked against the table at build time) */
	f = q35_facts();
	f.nr_nic = IO_NIC_MAX_BARS;
	for (unsigned i = 0; i < IO_NIC_MAX_BARS; i++)
		f.nic[i] = (struct io_range){ (u16)(0xd000 + 0x100 * i), 0x10 };
	assert_int_equal(io_policy_build(&pol, &f), 0);
	check_bitmaps_match(&pol);

	/* a range past 0xffff */
	f = q35_facts();
	f.nic[0] = (struct io_range){ 0xfff0, 0x20 };
	log_capture_reset();
	assert_int_equal(io_policy_build(&pol, &f), -EINVAL);
	assert_true(log_capture_contains("runs past port 0xffff"));
}

static void test_nic_bar_move(void **state)
{
	struct io_facts f = q35_facts();

	assert_int_equal(io_policy_build(&pol, &f), 0);
	assert_int_equal(io_policy_move_nic_bar(&pol, 0xc000, 0xd000), 0);
	assert_null(io_policy_find(&pol, 0xc000));
	assert_int_equal(io_policy_find(&pol, 0xd03f)->where, IO_NIC_BAR);
	check_bitmaps_match(&pol);
	/* onto the PM block: refused, nothing changes */
	assert_int_equal(io_policy_move_nic_bar(&pol, 0xd000, 0x5f0), -EEXIST);
	assert_int_equal(io_policy_find(&pol, 0xd000)->where, IO_NIC_BAR);
	assert_int_equal(io_policy_find(&pol, 0x604)->where, IO_PM1A_CNT);
	assert_int_equal(io_policy_move_nic_bar(&pol, 0xc000, 0xe000), -ENOENT);
	assert_non_null(io_policy_overlap(&pol, 0x5f0, 0x62f, NULL));
	assert_null(io_policy_overlap(&pol, 0xe000, 0xe03f, NULL));
}

/* The traps against the table: uhv does not start the guest when they disagree, or when the trap
 * table overflowed. */
static void test_claims_checked(void **state)
{
	struct io_facts f = bochs_facts();
	const struct io_claim ok[] = {
		{ 0x64, 0x64, "kbc" }, { 0x70, 0x71, "rtc" }, { 0x92, 0x92, "port a" },
		{ 0xb004, 0xb005, "pm1a" }, { 0xb2, 0xb2, "smi" }, { 0xcf8, 0xcff, "pci" },
		{ 0x3f8, 0x3ff, "console" }, { 0x2f8, 0x2ff, "gdb" },
	};
	struct io_claim c[sizeof(ok) / sizeof(ok[0]) + 1];
	unsigned n = sizeof(ok) / sizeof(ok[0]);

	assert_int_equal(io_policy_build(&pol, &f), 0);
	memcpy(c, ok, sizeof(ok));
	assert_int_equal(io_policy_check_claims(&pol, c, n, false), 0);

	log_capture_reset();
	assert_int_equal(io_policy_check_claims(&pol, c, n, true), -ENOSPC);
	assert_true(log_capture_contains("I/O trap table overflowed"));

	/* a trap on an unassigned port (the old hidden-device traps) or on a native one */
	c[n] = (struct io_claim){ 0xc000, 0xc00f, "hidden PCI device" };
	log_capture_reset();
	assert_int_equal(io_policy_check_claims(&pol, c, n + 1, false), -EINVAL);
	assert_true(log_capture_contains("hidden PCI device traps port 0xc000, which the port "
					 "table does not name"));
	c[n] = (struct io_claim){ 0x40, 0x40, "pit" };
	assert_int_equal(io_policy_check_claims(&pol, c, n + 1, false), -EINVAL);

	/* a filtered rule nobody handles */
	log_capture_reset();
	assert_int_equal(io_policy_check_claims(&pol, c + 1, n - 1, false), -EINVAL);
	assert_true(log_capture_contains("has no handler at port 0x64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmaps_equal_table),
		cmocka_unit_test(test_named_ports),
		cmocka_unit_test(test_unnamed_ports_denied),
		cmocka_unit_test(test_partial_overlap_per_byte),
		cmocka_unit_test(test_fails_closed),
		cmocka_unit_test(test_nic_bar_move),
		cmocka_unit_test(test_claims_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
