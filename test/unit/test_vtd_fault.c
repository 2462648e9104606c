// UNIT-SOURCES: drivers/vtd_fault.c
/* VT-d fault records: the record QEMU produced for a read of an unmapped
 * page (docs/emulators.md section 2), hand-built records for the other fields,
 * reason texts and the print-once log. */
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

static void test_qemu_read_fault(void **state)
{
	/* FSTS=0x2, FRCD0 hi=0xc0ffff06_00000010, lo=iova */
	struct vtd_fault f;
	vtd_fault_decode(0x3fe000, 0xc0ffff0600000010ULL, &f);
	assert_true(f.valid);
	assert_int_equal(f.sid, 0x0010);
	assert_int_equal(f.reason, 6);
	assert_int_equal(f.access, VTD_ACCESS_READ);
	assert_int_equal(f.addr, 0x3fe000);
	assert_int_equal(f.at, 0);
	/* QEMU leaves PV bits set without PP: not a PASID */
	assert_false(f.pasid_present);
	assert_int_equal(f.pasid, 0);

	char buf[256];
	vtd_fault_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "DMA read of 0x3fe000 by 00:02.0 blocked: reason 0x06, read from "
				 "a page without read permission (not mapped)");
}

/* nictest's hostile DMA under nested KVM (test/system/54-nic-nested-hostile-dma.sh): the
 * e1000 at 00:01.0 (source id 0x0008) writes an RX buffer and reads a TX buffer at uhv's own
 * address. The records as QEMU 7.2's vtd_record_frcd() builds them (PV all ones for "no PASID",
 * PP clear, T set for reads only) decode to the lines that uhv printed in that run. */
static void test_qemu_nested_dma_attack(void **state)
{
	struct vtd_fault w, r;
	char buf[256];

	vtd_fault_decode(0xfc7a000, 0x80ffff0500000008ULL, &w);
	assert_true(w.valid);
	assert_int_equal(w.sid, 0x0008);
	assert_int_equal(w.access, VTD_ACCESS_WRITE);
	assert_false(w.pasid_present);
	vtd_fault_format(&w, buf, sizeof(buf));
	assert_string_equal(buf, "DMA write of 0xfc7a000 by 00:01.0 blocked: reason 0x05, write to "
				 "a page without write permission (not mapped for writing)");

	/* the TX ring at the next page: a read of the descriptor, offset bits dropped */
	vtd_fault_decode(0xfc7b010, 0xc0ffff0600000008ULL, &r);
	assert_int_equal(r.access, VTD_ACCESS_READ);
	assert_int_equal(r.addr, 0xfc7b000);
	vtd_fault_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "DMA read of 0xfc7b000 by 00:01.0 blocked: reason 0x06, read from "
				 "a page without read permission (not mapped)");

	/* a write and a read of the same page are two kinds: each is printed once */
	struct vtd_fault_seen seen[4];
	struct vtd_fault_log log;
	vtd_fault_log_init(&log, seen, 4);
	vtd_fault_decode(0xfc7a000, 0xc0ffff0600000008ULL, &r);
	assert_int_equal(vtd_fault_log_record(&log, &w), 1);
	assert_int_equal(vtd_fault_log_record(&log, &r), 1);
	assert_int_equal(vtd_fault_log_record(&log, &w), 2);
	assert_int_equal(log.total, 3);
}

static void test_fields(void **state)
{
	struct vtd_fault f;

	/* write, reason 5, SID 01:00.0, low bits of fault info ignored */
	vtd_fault_decode(0x12345678abcULL, BIT(63) | (5ULL << 32) | 0x0100, &f);
	assert_true(f.valid);
	assert_int_equal(f.access, VTD_ACCESS_WRITE);
	assert_int_equal(f.sid, 0x0100);
	assert_int_equal(f.addr, 0x12345678000ULL);

	/* record not valid (F clear) */
	vtd_fault_decode(0, 0x0000000200000010ULL, &f);
	assert_false(f.valid);
	assert_int_equal(f.reason, 2);

	/* T2:T1 encodings of newer hardware */
	vtd_fault_decode(0, BIT(63) | BIT(28), &f);
	assert_int_equal(f.access, VTD_ACCESS_PAGE_REQ);
	vtd_fault_decode(0, BIT(63) | BIT(62) | BIT(28), &f);
	assert_int_equal(f.access, VTD_ACCESS_ATOMIC);

	/* PASID, execute, privileged, address type */
	vtd_fault_decode(0x1000, BIT(63) | (2ULL << 60) | (0x12345ULL << 40) | (0x0cULL << 32) |
			 BIT(31) | BIT(30) | BIT(29) | 0xfff9, &f);
	assert_true(f.pasid_present);
	assert_int_equal(f.pasid, 0x12345);
	assert_true(f.exe);
	assert_true(f.priv);
	assert_int_equal(f.at, 2);
	assert_int_equal(f.reason, 0x0c);
	char buf[256];
	vtd_fault_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "DMA write of 0x1000 by ff:1f.1 pasid 0x12345 (execute) "
				 "(privileged) blocked: reason 0x0c, reserved bits set in a "
				 "second-level page-table entry");

	/* a small buffer is never overrun */
	char small[16];
	memset(small, 'x', sizeof(small));
	int n = vtd_fault_format(&f, small, 10);
	assert_true(n > 10);
	assert_int_equal(strlen(small), 9);
	assert_int_equal(small[10], 'x');
}

static void test_reason_texts(void **state)
{
	assert_non_null(strstr(vtd_fault_reason_text(1), "root entry not present"));
	assert_non_null(strstr(vtd_fault_reason_text(2), "context entry not present"));
	assert_non_null(strstr(vtd_fault_reason_text(4), "address width"));
	assert_non_null(strstr(vtd_fault_reason_text(5), "write"));
	assert_non_null(strstr(vtd_fault_reason_text(0xd), "translation type"));
	assert_non_null(strstr(vtd_fault_reason_text(0x22), "not present"));
	assert_string_equal(vtd_fault_reason_text(0), "reserved fault reason");
	assert_string_equal(vtd_fault_reason_text(0x0e), "reserved fault reason");
	assert_string_equal(vtd_fault_reason_text(0x1f), "reserved fault reason");
	assert_non_null(strstr(vtd_fault_reason_text(0x30), "scalable-mode"));
	assert_non_null(strstr(vtd_fault_reason_text(0xff), "scalable-mode"));
	for (unsigned r = 0; r < 256; r++)
		assert_non_null(vtd_fault_reason_text((u8)r));
	assert_string_equal(vtd_access_name(VTD_ACCESS_READ), "read");
	assert_string_equal(vtd_access_name(VTD_ACCESS_WRITE), "write");
}

static void test_fsts(void **state)
{
	char buf[128];
	vtd_fsts_format(0x2, buf, sizeof(buf));
	assert_string_equal(buf, "0x2 PPF(fault pending) fri=0");
	vtd_fsts_format(0x0313, buf, sizeof(buf));
	assert_string_equal(buf, "0x313 PFO(fault overflow) PPF(fault pending) IQE(queue error) fri=3");
	vtd_fsts_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0x0");
	char small[8];
	vtd_fsts_format(0x73, small, sizeof(small));
	assert_int_equal(strlen(small), 7);
}

static void test_fault_log(void **state)
{
	struct vtd_fault_seen seen[2];
	struct vtd_fault_log log;
	struct vtd_fault a, b, c, d;

	vtd_fault_log_init(&log, seen, ARRAY_SIZE(seen));
	vtd_fault_decode(0x1000, 0xc000000600000010ULL, &a);
	vtd_fault_decode(0x1000, 0x8000000500000010ULL, &b);	/* same page, write */
	vtd_fault_decode(0x2000, 0xc000000600000010ULL, &c);	/* other page */
	vtd_fault_decode(0x3000, 0xc000000600000018ULL, &d);

	assert_int_equal(vtd_fault_log_record(&log, &a), 1);
	assert_int_equal(vtd_fault_log_record(&log, &a), 2);
	assert_int_equal(vtd_fault_log_record(&log, &b), 1);
	assert_int_equal(vtd_fault_log_record(&log, &a), 3);
	/* full: the first untracked kind is reported new, later ones not */
	assert_int_equal(vtd_fault_log_record(&log, &c), 1);
	assert_int_equal(vtd_fault_log_record(&log, &d), 2);
	assert_int_equal(vtd_fault_log_record(&log, &b), 2);
	assert_int_equal(log.total, 7);
	assert_int_equal(log.untracked, 2);
	assert_int_equal(log.used, 2);
	assert_int_equal(seen[0].count, 3);
	/* counts per kind; untracked kinds read as never seen */
	assert_int_equal(vtd_fault_log_count(&log, &a), 3);
	assert_int_equal(vtd_fault_log_count(&log, &b), 2);
	assert_int_equal(vtd_fault_log_count(&log, &c), 0);
}

static void test_fault_log_count(void **state)
{
	struct vtd_fault_seen seen[4];
	struct vtd_fault_log log;
	struct vtd_fault rd, wr, other_src, probe;

	vtd_fault_log_init(&log, seen, ARRAY_SIZE(seen));
	vtd_fault_decode(0x4000100000ULL, 0xc000000600000010ULL, &rd);
	vtd_fault_decode(0x4000100000ULL, 0x8000000500000010ULL, &wr);
	vtd_fault_decode(0x4000100000ULL, 0xc000000600000018ULL, &other_src);
	assert_int_equal(vtd_fault_log_count(&log, &rd), 0);
	vtd_fault_log_record(&log, &rd);
	vtd_fault_log_record(&log, &rd);
	vtd_fault_log_record(&log, &wr);
	assert_int_equal(vtd_fault_log_count(&log, &rd), 2);
	assert_int_equal(vtd_fault_log_count(&log, &wr), 1);
	assert_int_equal(vtd_fault_log_count(&log, &other_src), 0);
	/* a query by address matches anywhere in the page */
	probe = rd;
	probe.addr = 0x4000100abcULL;
	assert_int_equal(vtd_fault_log_count(&log, &probe), 2);
	probe.addr = 0x4000101000ULL;
	assert_int_equal(vtd_fault_log_count(&log, &probe), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_read_fault),
		cmocka_unit_test(test_qemu_nested_dma_attack),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_reason_texts),
		cmocka_unit_test(test_fsts),
		cmocka_unit_test(test_fault_log),
		cmocka_unit_test(test_fault_log_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
