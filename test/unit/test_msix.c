// UNIT-SOURCES: vdev/msix_table.c vdev/msi.c
/* The MSI/MSI-X message policy (vdev/msi.c) and the MSI-X table emulation (vdev/msix_table.c)
 * on a fake device table that records every write: which guest messages reach the device, in
 * which form (compatibility or remapped), the mask bits, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/msix_table.h>
#include <uhv/errno.h>
#include "log_capture.h"

#define NVEC 5

static struct {
	u32 table[NVEC * 4];
	unsigned writes;
	unsigned refused;
	const char *why;
	unsigned why_idx;
	bool remap;
	bool remap_fails;
	unsigned remap_calls;
	struct msi_req last;
	unsigned last_handle;
	bool all_cpus;
} dev;

static const u32 apic_ids[] = { 0, 2, 4 };

static void hw_write32(void *ctx, u32 off, u32 val)
{
	dev.table[off / 4] = val;
	dev.writes++;
}

static void cpus(void *ctx, struct msi_cpus *c)
{
	*c = (struct msi_cpus){ apic_ids, 3, dev.all_cpus };
}

static int remap(void *ctx, unsigned handle, const struct msi_req *r, struct msi_msg *hw)
{
	dev.remap_calls++;
	if (dev.remap_fails)
		return -ENOSPC;
	dev.last = *r;
	dev.last_handle = handle;
	/* remappable format of IRTE 100 + handle: handle in 19:5, IF, SHV */
	hw->addr = MSI_ADDR_BASE | ((100u + handle) << 5) | MSI_ADDR_IF_REMAP | BIT(3);
	hw->data = 0;
	return 0;
}

static void refused(void *ctx, const char *what, unsigned idx, const struct msi_msg *m,
		    const char *why)
{
	dev.refused++;
	dev.why = why;
	dev.why_idx = idx;
}

static const struct msix_hw_ops hw = { .write32 = hw_write32 };
static struct msi_ops ops = { .cpus = cpus, .refused = refused };
static struct msix_table t;

static int setup(void **state)
{
	memset(&dev, 0, sizeof(dev));
	for (unsigned i = 0; i < NVEC; i++)
		dev.table[4 * i] = 0xfee0f00c;	/* firmware's leftovers, live */
	ops.remap = NULL;
	msix_table_init(&t, NVEC, &hw, &ops);
	return 0;
}

static void w32(u32 off, u32 v)
{
	u64 x = v;
	assert_int_equal(msix_table_access(&t, off, 4, true, &x), 0);
}

static u32 r32(u32 off)
{
	u64 x = 0;
	assert_int_equal(msix_table_access(&t, off, 4, false, &x), 0);
	return (u32)x;
}

#define E(i, reg)	((i) * MSIX_ENTRY_SIZE + MSIX_ENTRY_##reg)
#define HW(i, reg)	dev.table[E(i, reg) / 4]

/* program entry i as Linux does: masked, address, data, unmask */
static void program(unsigned i, u32 addr, u32 data)
{
	w32(E(i, CTRL), 1);
	w32(E(i, ADDR_LO), addr);
	w32(E(i, ADDR_HI), 0);
	w32(E(i, DATA), data);
	w32(E(i, CTRL), 0);
}

static void test_check(void **state)
{
	struct msi_cpus c = { apic_ids, 3, false };
	struct msi_req r;
	struct { u64 addr; u32 data; const char *why; } cases[] = {
		{ 0xfee02000, 0x0041, NULL },
		{ 0xfee04008, 0x0141, NULL },			/* RH + lowest priority */
		{ 0xfee02008, 0x0041, "redirection hint without lowest-priority delivery" },
		{ 0xfee01000, 0x0041, "destination APIC ID is not one of the guest's CPUs" },
		{ 0xfeeff000, 0x0041, "physical broadcast destination 0xff" },
		{ 0xfee02004, 0x0041, "logical destination while uhv keeps CPUs the guest does "
				      "not have" },
		{ 0xfee02010, 0x0041, "remappable-format address (interrupt remapping entries "
				      "are uhv's)" },
		{ 0xfee02020, 0x0041, "reserved address bits 11:5 set (extended destination ID)" },
		{ 0xfec00000, 0x0041, "address outside the interrupt window 0xfeexxxxx" },
		{ 0x1fee02000ull, 0x0041, "address above 4 GiB (not the interrupt window "
					  "0xfeexxxxx)" },
		{ 0xfee02000, 0x0241, "delivery mode other than fixed or lowest priority (SMI, "
				      "NMI, INIT, ExtINT or reserved)" },	/* SMI */
		{ 0xfee02000, 0x0441, "delivery mode other than fixed or lowest priority (SMI, "
				      "NMI, INIT, ExtINT or reserved)" },	/* NMI */
		{ 0xfee02000, 0x0541, "delivery mode other than fixed or lowest priority (SMI, "
				      "NMI, INIT, ExtINT or reserved)" },	/* INIT */
		{ 0xfee02000, 0x0741, "delivery mode other than fixed or lowest priority (SMI, "
				      "NMI, INIT, ExtINT or reserved)" },	/* ExtINT */
		{ 0xfee02000, 0x8041, "level-triggered message" },
		{ 0xfee02000, 0x10041, "reserved data bits set" },
		{ 0xfee02000, 0x000f, "illegal vector 0-15" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct msi_msg m = { cases[i].addr, cases[i].data };
		const char *why = msi_check(&m, &c, &r);
		if (!cases[i].why) {
			assert_null(why);
			continue;
		}
		if (!why)
			fail_msg("case %u (%#llx, %#x) accepted, expected: %s", i,
				 (unsigned long long)cases[i].addr, cases[i].data, cases[i].why);
		assert_string_equal(why, cases[i].why);
	}
	/* logical destinations only while the guest owns every CPU */
	c.all = true;
	struct msi_msg m = { 0xfee0300c, 0x0141 };
	assert_null(msi_check(&m, &c, &r));
	assert_true(r.logical && r.lowest && r.redirect);
	assert_int_equal(r.dest, 3);
	struct msi_msg back = msi_compat_msg(&r);
	assert_int_equal(back.addr, 0xfee0300c);
	assert_int_equal(back.data, 0x0141);
	m.addr = 0xfee00004;
	assert_string_equal(msi_check(&m, &c, &r), "logical destination 0 (no CPU)");
	/* the re-encoded message drops what the guest may not choose (bit 14 "level") */
	m = (struct msi_msg){ 0xfee04000, 0x4061 };
	assert_null(msi_check(&m, &c, &r));
	back = msi_compat_msg(&r);
	assert_int_equal(back.addr, 0xfee04000);
	assert_int_equal(back.data, 0x0061);
}

static void test_init_masks(void **state)
{
	for (unsigned i = 0; i < NVEC; i++) {
		assert_int_equal(HW(i, CTRL), MSIX_CTRL_MASKBIT);
		assert_int_equal(r32(E(i, CTRL)), MSIX_CTRL_MASKBIT);
		assert_int_equal(r32(E(i, ADDR_LO)), 0);
	}
	assert_int_equal(dev.writes, NVEC);
}

static void test_program_and_mask(void **state)
{
	program(1, 0xfee02000, 0x0045);
	assert_int_equal(dev.refused, 0);
	assert_int_equal(HW(1, ADDR_LO), 0xfee02000);
	assert_int_equal(HW(1, ADDR_HI), 0);
	assert_int_equal(HW(1, DATA), 0x0045);
	assert_int_equal(HW(1, CTRL), 0);
	assert_int_equal(r32(E(1, DATA)), 0x45);
	/* per-vector mask and unmask reach the device; nothing else is rewritten */
	unsigned w = dev.writes;
	w32(E(1, CTRL), 1);
	assert_int_equal(HW(1, CTRL), 1);
	w32(E(1, CTRL), 0);
	assert_int_equal(HW(1, CTRL), 0);
	assert_int_equal(dev.writes, w + 2);
	/* unmasking again: nothing to do */
	w32(E(1, CTRL), 0);
	assert_int_equal(dev.writes, w + 2);
	/* a masked entry is rewritten without checks; the device keeps the old message */
	w32(E(1, CTRL), 1);
	w32(E(1, DATA), 0x0445);			/* NMI */
	assert_int_equal(dev.refused, 0);
	assert_int_equal(HW(1, DATA), 0x0045);
	assert_int_equal(r32(E(1, DATA)), 0x0445);
	/* unmasked with the NMI: refused, stays masked on the device */
	w32(E(1, CTRL), 0);
	assert_int_equal(dev.refused, 1);
	assert_int_equal(dev.why_idx, 1);
	assert_int_equal(t.refused, 1);
	assert_int_equal(HW(1, CTRL), 1);
	assert_int_equal(HW(1, DATA), 0x0045);
	assert_int_equal(r32(E(1, CTRL)), 0);		/* the guest sees its own view */
	/* fixed again: the entry goes live */
	w32(E(1, DATA), 0x0046);
	assert_int_equal(HW(1, DATA), 0x0046);
	assert_int_equal(HW(1, CTRL), 0);
	/* a live entry changed to another CPU of uhv's: masked on the device at once */
	w32(E(1, ADDR_LO), 0xfee01000);
	assert_int_equal(dev.refused, 2);
	assert_int_equal(HW(1, CTRL), 1);
	assert_int_equal(HW(1, ADDR_LO), 0xfee02000);
	/* other entries untouched */
	assert_int_equal(HW(0, CTRL), 1);
	assert_int_equal(HW(2, CTRL), 1);
}

static void test_qword_and_bad_sizes(void **state)
{
	u64 x = 0xfee04000ull;
	assert_int_equal(msix_table_access(&t, E(3, ADDR_LO), 8, true, &x), 0);
	x = 0x0000000000000051ull;		/* data 0x51, vector control 0: unmask */
	assert_int_equal(msix_table_access(&t, E(3, DATA), 8, true, &x), 0);
	assert_int_equal(HW(3, ADDR_LO), 0xfee04000);
	assert_int_equal(HW(3, DATA), 0x51);
	assert_int_equal(HW(3, CTRL), 0);
	assert_int_equal(msix_table_access(&t, E(3, DATA), 8, false, &x), 0);
	assert_int_equal(x, 0x51);
	/* bytes and words: reads of the view, writes dropped */
	x = 0xff;
	unsigned w = dev.writes;
	assert_int_equal(msix_table_access(&t, E(3, DATA), 1, true, &x), -EINVAL);
	assert_int_equal(msix_table_access(&t, E(3, DATA) + 4, 8, true, &x), -EINVAL);
	assert_int_equal(dev.writes, w);
	assert_int_equal(msix_table_access(&t, E(3, ADDR_LO) + 2, 2, false, &x), 0);
	assert_int_equal(x, 0xfee0);
	assert_int_equal(t.bad_accesses, 3);
	/* beyond the entries: reads 0, writes dropped */
	assert_int_equal(r32(E(NVEC, ADDR_LO)), 0);
	w32(E(NVEC, CTRL), 0);
	assert_int_equal(dev.writes, w);
}

static void test_remapped(void **state)
{
	ops.remap = remap;
	program(2, 0xfee04000, 0x0161);
	assert_int_equal(dev.remap_calls, 1);
	assert_int_equal(dev.last_handle, MSI_HANDLE_MSIX(2));
	assert_int_equal(dev.last.vector, 0x61);
	assert_int_equal(dev.last.dest, 4);
	assert_true(dev.last.lowest);
	assert_false(dev.last.logical);
	/* the device holds the remappable message, never the guest's */
	assert_int_equal(HW(2, ADDR_LO), MSI_ADDR_BASE | (103u << 5) | 0x18);
	assert_int_equal(HW(2, DATA), 0);
	assert_int_equal(HW(2, CTRL), 0);
	assert_int_equal(r32(E(2, ADDR_LO)), 0xfee04000);
	/* a new vector and CPU on a live entry: only the IRTE changes, no mask */
	unsigned w = dev.writes;
	w32(E(2, DATA), 0x0062);
	assert_int_equal(dev.remap_calls, 2);
	assert_int_equal(dev.last.vector, 0x62);
	assert_int_equal(dev.writes, w);
	/* no IRTE: refused and masked */
	dev.remap_fails = true;
	w32(E(2, DATA), 0x0063);
	assert_int_equal(dev.refused, 1);
	assert_string_equal(dev.why, "no interrupt-remapping entry could be written for it");
	assert_int_equal(HW(2, CTRL), 1);
	/* a refused message never reaches remap */
	dev.remap_fails = false;
	unsigned calls = dev.remap_calls;
	w32(E(2, DATA), 0x0563);			/* INIT */
	assert_int_equal(dev.remap_calls, calls);
	assert_int_equal(HW(2, CTRL), 1);
}

static void test_many_vectors(void **state)
{
	assert_int_equal(msix_table_visible(2048), MSIX_MAX_VECTORS);
	assert_int_equal(msix_table_visible(5), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_check, setup),
		cmocka_unit_test_setup(test_init_masks, setup),
		cmocka_unit_test_setup(test_program_and_mask, setup),
		cmocka_unit_test_setup(test_qword_and_bad_sizes, setup),
		cmocka_unit_test_setup(test_remapped, setup),
		cmocka_unit_test_setup(test_many_vectors, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
