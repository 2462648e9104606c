// UNIT-SOURCES: drivers/vtd_ir_format.c drivers/vtd_fault.c
/* VT-d interrupt remapping formats (issue 16 item 1): the IRTE uhv writes (VT-d spec 9.10),
 * the IRTA value, IEC invalidation descriptors (6.5.2.7), the remappable MSI message (5.1.2.2)
 * and what a unit makes of a message (5.1.3), and interrupt fault records (FI = index). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vtd.h>
#include <uhv/errno.h>
#include "drivers/vtd_ir.h"

static void test_irte_fixed_physical_xapic(void **state)
{
	struct irq_remap_dest d = { .vector = 0xa5, .dest_apic_id = 3 };
	struct vtd_entry128 e = vtd_irte(&d, 0x0100, false);
	/* P, vector 23:16, DM/RH/TM/DLM 0, xAPIC destination in DST bits 15:8 (bits 47:40) */
	assert_int_equal(e.lo, 0x0000030000a50001ULL);
	/* SID 01:00.0, SQ 0, SVT 01 */
	assert_int_equal(e.hi, 0x0000000000040100ULL);
	assert_int_equal(vtd_irte_check(&d, false), 0);
}

static void test_irte_lowest_logical_eim(void **state)
{
	struct irq_remap_dest d = { .vector = 0x31, .dest_apic_id = 0x12345,
				    .lowest_priority = true, .dest_logical = true };
	struct vtd_entry128 e = vtd_irte(&d, 0x00f8, true);
	/* DM (2), RH (3), DLM 001 (bit 5), 32-bit destination */
	assert_int_equal(e.lo, 0x000123450031002dULL);
	assert_int_equal(e.lo >> 32, 0x12345);
	assert_false(e.lo & VTD_IRTE_TM);		/* edge */
	assert_false(e.lo & VTD_IRTE_IM);		/* remapped, not posted */
	assert_int_equal(e.hi & 0xffff, 0x00f8);
	assert_int_equal((e.hi >> 18) & 3, VTD_IRTE_SVT_SID);
	assert_int_equal(vtd_irte_check(&d, true), 0);
	/* the same destination without EIM does not fit in 8 bits */
	assert_int_equal(vtd_irte_check(&d, false), -EINVAL);
}

static void test_irte_check_vector(void **state)
{
	struct irq_remap_dest d = { .vector = 15, .dest_apic_id = 0 };
	assert_int_equal(vtd_irte_check(&d, false), -EINVAL);
	d.vector = 16;
	assert_int_equal(vtd_irte_check(&d, false), 0);
	d.dest_apic_id = 255;
	assert_int_equal(vtd_irte_check(&d, false), 0);
	d.dest_apic_id = 256;
	assert_int_equal(vtd_irte_check(&d, false), -EINVAL);
	assert_int_equal(vtd_irte_check(&d, true), 0);
}

static void test_irta(void **state)
{
	/* 1024 entries: S = 9; EIME bit 11 */
	assert_int_equal(vtd_irta(0x1234000, 10, false), 0x1234009);
	assert_int_equal(vtd_irta(0x1234000, 10, true), 0x1234809);
	assert_int_equal(vtd_irta(0x1234000, 16, false), 0x123400f);
}

static void test_iec_descriptors(void **state)
{
	struct vtd_entry128 g = vtd_qi_iec_global();
	assert_int_equal(g.lo, 0x4);
	assert_int_equal(g.hi, 0);
	struct vtd_entry128 i = vtd_qi_iec_index(5, 0);
	assert_int_equal(i.lo, 0x0000000500000014ULL);
	struct vtd_entry128 m = vtd_qi_iec_index(0x100, 3);
	assert_int_equal(m.lo, 0x0000010018000014ULL);
}

static void test_msi_message(void **state)
{
	u64 addr;
	u32 data;
	irq_remap_msi_msg(1, &addr, &data);
	/* 0xFEE00000 | handle 1 << 5 | IF (4) | SHV (3) */
	assert_int_equal(addr, 0xfee00038);
	assert_int_equal(data, 0);
	irq_remap_msi_msg(0x7fff, &addr, &data);
	assert_int_equal(addr, 0xfeeffff8);
	irq_remap_msi_msg(0x8001, &addr, &data);
	assert_int_equal(addr, 0xfee0003c);		/* handle 15 in bit 2 */
	/* round trip, and the subhandle a multi-message MSI adds */
	for (unsigned idx = 0; idx < 0x10000; idx += 0x111) {
		irq_remap_msi_msg(idx, &addr, &data);
		assert_int_equal(vtd_msi_index(addr, data), idx);
	}
	irq_remap_msi_msg(8, &addr, &data);
	assert_int_equal(vtd_msi_index(addr, data | 3), 11);
	/* compatibility format: bit 4 clear */
	assert_int_equal(vtd_msi_index(0xfee00000, 0x41), -1);
	/* the frame dwords of the self-test's DMA to 0xFEE00000: 0x10 is index 0 without SHV */
	assert_int_equal(vtd_msi_index(0xfee00010, 0x12345678), 0);
	assert_int_equal(vtd_msi_index(0xfee00014, 0), 0x8000);
	assert_int_equal(vtd_msi_index(0xfee00018, 0x000a), 10);
}

/* Decode a record, compare its line, return it. */
static struct vtd_fault decodes_to(u64 lo, u64 hi, const char *line)
{
	struct vtd_fault f;
	char buf[256];
	vtd_fault_decode(lo, hi, &f);
	vtd_fault_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, line);
	return f;
}

/* Interrupt fault records as a unit writes them (QEMU 9's vtd_report_ir_fault: FI = index << 48,
 * a write, the requester's id): decoded with the index, printed as interrupt requests. */
static void test_ir_fault_records(void **state)
{
	struct vtd_fault f = decodes_to(0x0002000000000000ULL, 0x8000002200000100ULL,
		"interrupt request (index 2) by 01:00.0 blocked: reason 0x22, interrupt "
		"remapping table entry not present");
	assert_true(f.valid && f.ir);
	assert_int_equal(f.ir_index, 2);
	assert_int_equal(f.reason, 0x22);
	assert_int_equal(f.sid, 0x0100);
	assert_int_equal(f.access, VTD_ACCESS_WRITE);
	/* T set (QEMU marks non-writes so): still an interrupt request */
	f = decodes_to(0, 0xc000002500000010ULL, "interrupt request (index 0) by 00:02.0 "
		       "blocked: reason 0x25, compatibility-format interrupt blocked");
	assert_true(f.ir);
	f = decodes_to(0x7fff000000000000ULL, 0x8000002100000010ULL, "interrupt request (index "
		       "32767) by 00:02.0 blocked: reason 0x21, interrupt index beyond the "
		       "remapping table");
	assert_int_equal(f.ir_index, 0x7fff);
	decodes_to(0x0005000000000000ULL, 0x8000002600000008ULL, "interrupt request (index 5) "
		   "by 00:01.0 blocked: reason 0x26, interrupt from a source not allowed by its "
		   "remapping table entry");
	/* DMA faults keep their format */
	f = decodes_to(0x3fe000, 0xc0ffff0600000010ULL, "DMA read of 0x3fe000 by 00:02.0 "
		       "blocked: reason 0x06, read from a page without read permission (not mapped)");
	assert_false(f.ir);
}

/* Each index is its own kind in the print-once log (the page address holds FI). */
static void test_ir_fault_log_kinds(void **state)
{
	struct vtd_fault_seen seen[4];
	struct vtd_fault_log log;
	struct vtd_fault a, b;
	vtd_fault_log_init(&log, seen, 4);
	vtd_fault_decode(0x0002000000000000ULL, 0x8000002200000100ULL, &a);
	vtd_fault_decode(0x0003000000000000ULL, 0x8000002200000100ULL, &b);
	assert_int_equal(vtd_fault_log_record(&log, &a), 1);
	assert_int_equal(vtd_fault_log_record(&log, &a), 2);
	assert_int_equal(vtd_fault_log_record(&log, &b), 1);
	assert_int_equal(seen[0].addr >> 48, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irte_fixed_physical_xapic),
		cmocka_unit_test(test_irte_lowest_logical_eim),
		cmocka_unit_test(test_irte_check_vector),
		cmocka_unit_test(test_irta),
		cmocka_unit_test(test_iec_descriptors),
		cmocka_unit_test(test_msi_message),
		cmocka_unit_test(test_ir_fault_records),
		cmocka_unit_test(test_ir_fault_log_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
