// UNIT-SOURCES: drivers/vtd_quirks.c drivers/vtd_pmr.c drivers/vtd_alias.c drivers/vtd_takeover.c
/* VT-d decisions made on what a unit or chipset says (issue 17 item 4): queued or register
 * invalidation (vtd-inval=), the write-buffer flush (CAP.RWBF and the chipset quirk), turning
 * off protected-memory regions (QEMU has none: PMEN is read-only zero there, so this is the
 * only test of it), and the requester-id aliases of devices behind bridges. Register
 * sequences run on a fake register file that answers like a unit. */
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
#include "drivers/vtd_quirks.h"
#include "drivers/vtd_alias.h"
#include "drivers/vtd_takeover.h"
#include "log_capture.h"

#define QEMU_CAP	0x00d2008c22260206ULL
#define QEMU_ECAP	0x0000000000f00f4aULL
#define CAP_RWBF	(1ULL << 4)
#define CAP_PLMR	(1ULL << 5)
#define CAP_PHMR	(1ULL << 6)

/* ---- a fake unit ---------------------------------------------------------------------------- */

#define IRO	0xf0		/* QEMU's IOTLB registers: ECAP.IRO 0xf */

struct fake {
	u32 r[0x200 / 4];
	struct { unsigned off; u32 v; } log[64];	/* writes, in order */
	unsigned nlog;
	bool te_ever_cleared;		/* a GCMD write without TE while GSTS.TES */
	bool refuse;			/* invalidations complete with granularity 0 */
	unsigned writes;		/* register writes seen */
	unsigned gcmd_writes;
	u32 last_gcmd;
	int busy_polls;			/* WBFS / PRS stay set this many reads; < 0: forever */
	int left;
};

static u32 f_rd32(void *ctx, unsigned off)
{
	struct fake *f = ctx;
	if ((off == VTD_GSTS || off == VTD_PMEN) && f->left > 0 && --f->left == 0) {
		f->r[VTD_GSTS / 4] &= ~VTD_GSTS_WBFS;
		f->r[VTD_PMEN / 4] &= ~VTD_PMEN_PRS;
	}
	return f->r[off / 4];
}

static void f_wr32(void *ctx, unsigned off, u32 v)
{
	struct fake *f = ctx;
	f->writes++;
	if (f->nlog < 64) {
		f->log[f->nlog].off = off;
		f->log[f->nlog++].v = v;
	}
	if (off == VTD_CCMD + 4 || off == IRO + VTD_IOTLB + 4) {
		/* command bit done at once; actual granularity = requested (or 0: refused) */
		unsigned shift = off == VTD_CCMD + 4 ? 29 : 28, ag = off == VTD_CCMD + 4 ? 27 : 25;
		u32 gran = f->refuse ? 0 : (v >> shift) & 3;
		f->r[off / 4] = (v & ~BIT(31) & ~(3u << ag)) | gran << ag;
		return;
	}
	if (off == VTD_GCMD) {
		f->gcmd_writes++;
		f->last_gcmd = v;
		u32 *gsts = &f->r[VTD_GSTS / 4];
		if ((*gsts & VTD_GSTS_TES) && !(v & VTD_GCMD_TE))
			f->te_ever_cleared = true;
		*gsts = (*gsts & ~(VTD_GSTS_TES | VTD_GSTS_QIES)) |
			(v & (VTD_GCMD_TE | VTD_GCMD_QIE));
		if (v & VTD_GCMD_SRTP)
			*gsts |= VTD_GSTS_RTPS;
		if (v & VTD_GCMD_WBF) {
			f->r[VTD_GSTS / 4] |= VTD_GSTS_WBFS;
			f->left = f->busy_polls;
		}
		return;
	}
	if (off == VTD_PMEN) {
		f->r[off / 4] = v;
		if (!(v & VTD_PMEN_EPM))
			f->left = f->busy_polls;
		return;
	}
	f->r[off / 4] = v;
}

static int f_wait32(void *ctx, unsigned off, u32 mask, u32 want, const char *what)
{
	struct fake *f = ctx;
	for (int i = 0; i < 1000; i++)
		if ((f_rd32(f, off) & mask) == want)
			return 0;
	(void)what;
	return -ETIMEDOUT;
}

static struct fake F;
static struct vtd_regio IO = { f_rd32, f_wr32, f_wait32, &F, "unit 0 @0xfed90000" };

static int reset(void **state)
{
	memset(&F, 0, sizeof(F));
	F.busy_polls = 3;
	log_capture_reset();
	return 0;
}

/* ---- invalidation choice -------------------------------------------------------------------- */

static void test_inval_choice(void **state)
{
	assert_true(vtd_inval_use_qi(QEMU_ECAP, UHV_VTD_INVAL_AUTO));
	assert_true(vtd_inval_use_qi(QEMU_ECAP, UHV_VTD_INVAL_QI));
	assert_false(vtd_inval_use_qi(QEMU_ECAP, UHV_VTD_INVAL_REG));
	/* no queue: registers whatever is asked */
	assert_false(vtd_inval_use_qi(QEMU_ECAP & ~2ULL, UHV_VTD_INVAL_AUTO));
	assert_false(vtd_inval_use_qi(QEMU_ECAP & ~2ULL, UHV_VTD_INVAL_QI));
}

/* ---- write-buffer flush ----------------------------------------------------------------------- */

static void test_wbf_decision(void **state)
{
	assert_false(vtd_need_wbf(QEMU_CAP, 0x8086, 0x29c0));		/* QEMU q35 */
	assert_true(vtd_need_wbf(QEMU_CAP | CAP_RWBF, 0x8086, 0x29c0));
	/* Mobile 4 Series / G4x host bridges need it without CAP.RWBF */
	assert_true(vtd_need_wbf(QEMU_CAP, 0x8086, 0x2a40));
	assert_true(vtd_need_wbf(QEMU_CAP, 0x8086, 0x2e10));
	assert_true(vtd_need_wbf(QEMU_CAP, 0x8086, 0x2e90));
	assert_false(vtd_need_wbf(QEMU_CAP, 0x1022, 0x2a40));		/* same id, not Intel */
	assert_false(vtd_need_wbf(QEMU_CAP, 0xffff, 0xffff));		/* no host bridge read */
}

static void test_wbf_sequence(void **state)
{
	/* not needed: the registers are not touched */
	assert_int_equal(vtd_write_buffer_flush(&IO, false), 0);
	assert_int_equal(F.writes, 0);
	/* needed: one GCMD write with WBF, keeping TE and QIE, waited for until WBFS clears */
	F.r[VTD_GSTS / 4] = VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_RTPS;
	assert_int_equal(vtd_write_buffer_flush(&IO, true), 0);
	assert_int_equal(F.gcmd_writes, 1);
	assert_int_equal(F.last_gcmd, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_WBF);
	assert_int_equal(F.r[VTD_GSTS / 4] & VTD_GSTS_WBFS, 0);
	/* a unit that never finishes: an error, not a hang */
	F.busy_polls = -1;
	assert_int_equal(vtd_write_buffer_flush(&IO, true), -ETIMEDOUT);
}

/* ---- protected-memory regions ------------------------------------------------------------------ */

static void test_pmr_absent(void **state)
{
	/* QEMU: CAP.PLMR = PHMR = 0, PMEN is reserved: never written */
	F.r[VTD_PMEN / 4] = VTD_PMEN_EPM;	/* even if it read as set */
	assert_int_equal(vtd_pmr_disable(&IO, QEMU_CAP), 0);
	assert_int_equal(F.writes, 0);
}

static void test_pmr_off_already(void **state)
{
	assert_int_equal(vtd_pmr_disable(&IO, QEMU_CAP | CAP_PLMR | CAP_PHMR), 0);
	assert_int_equal(F.writes, 0);
	assert_false(log_capture_contains("protected"));
}

static void test_pmr_disabled(void **state)
{
	F.r[VTD_PMEN / 4] = VTD_PMEN_EPM | VTD_PMEN_PRS;
	F.r[VTD_PLMBASE / 4] = 0x100000;
	F.r[VTD_PLMLIMIT / 4] = 0x7fffffff;
	F.r[VTD_PHMBASE / 4] = 0;
	F.r[VTD_PHMBASE / 4 + 1] = 0x1;
	F.r[VTD_PHMLIMIT / 4] = 0xffffffff;
	F.r[VTD_PHMLIMIT / 4 + 1] = 0x1;
	assert_int_equal(vtd_pmr_disable(&IO, QEMU_CAP | CAP_PLMR | CAP_PHMR), 0);
	assert_int_equal(F.r[VTD_PMEN / 4] & (VTD_PMEN_EPM | VTD_PMEN_PRS), 0);
	assert_int_equal(F.writes, 1);
	assert_true(log_capture_contains("unit 0 @0xfed90000: firmware left the protected "
					 "low-memory region on: [0x100000, 0x7fffffff]"));
	assert_true(log_capture_contains("high-memory region on: [0x100000000, 0x1ffffffff]"));
	assert_true(log_capture_contains("protected memory regions turned off (PMEN.PRS clear)"));
}

static void test_pmr_low_only_stuck(void **state)
{
	F.r[VTD_PMEN / 4] = VTD_PMEN_EPM | VTD_PMEN_PRS;
	F.busy_polls = -1;
	assert_int_equal(vtd_pmr_disable(&IO, QEMU_CAP | CAP_PLMR), -ETIMEDOUT);
	assert_false(log_capture_contains("high-memory"));
	assert_true(log_capture_contains("the protected memory regions stay on"));
}

/* ---- taking over from firmware ------------------------------------------------------------------ */

static u64 clock_now;
static u64 fake_now(void) { return clock_now += 100; }

static int find_write(unsigned off, u32 mask, unsigned from)
{
	for (unsigned i = from; i < F.nlog; i++)
		if (F.log[i].off == off && (F.log[i].v & mask) == mask)
			return (int)i;
	return -1;
}

static void test_takeover(void **state)
{
	struct vtd_takeover t;
	/* firmware: TE and QIE on, its root table somewhere */
	F.r[VTD_GSTS / 4] = VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_RTPS;
	F.r[VTD_RTADDR / 4] = 0x7f000000;
	assert_int_equal(vtd_takeover(&IO, QEMU_CAP | CAP_RWBF, QEMU_ECAP, 0x5000000000ULL, true,
				      fake_now, &t), 0);
	/* translation never off, and still on */
	assert_false(F.te_ever_cleared);
	assert_true(F.r[VTD_GSTS / 4] & VTD_GSTS_TES);
	assert_false(F.r[VTD_GSTS / 4] & VTD_GSTS_QIES);
	assert_true(t.stopped_qi);
	/* new root table in RTADDR (legacy mode) */
	assert_int_equal(F.r[VTD_RTADDR / 4], 0);
	assert_int_equal(F.r[VTD_RTADDR / 4 + 1], 0x50);
	/* order: queue stopped, RTADDR, SRTP (with TE), WBF, global CCMD, global IOTLB */
	int qie = find_write(VTD_GCMD, VTD_GCMD_TE, 0);
	assert_int_equal(qie, 0);
	assert_false(F.log[0].v & VTD_GCMD_QIE);
	int rt = find_write(VTD_RTADDR + 4, 0, (unsigned)qie + 1);
	int srtp = find_write(VTD_GCMD, VTD_GCMD_SRTP | VTD_GCMD_TE, (unsigned)qie + 1);
	int wbf = find_write(VTD_GCMD, VTD_GCMD_WBF | VTD_GCMD_TE, 0);
	int cc = find_write(VTD_CCMD + 4, BIT(31) | BIT(29), 0);	/* ICC, CIRG global */
	int tlb = find_write(IRO + VTD_IOTLB + 4, BIT(31) | BIT(28) | BIT(17) | BIT(16), 0);
	assert_true(rt > qie && srtp > rt && wbf > srtp && cc > wbf && tlb > cc);
	assert_int_equal(F.nlog, (unsigned)tlb + 1);
	/* time: SRTP .. end of the IOTLB invalidation, within the whole */
	assert_true(t.stale_ticks > 0 && t.stale_ticks < t.total_ticks);
}

static void test_takeover_no_queue_no_wbf(void **state)
{
	struct vtd_takeover t;
	F.r[VTD_GSTS / 4] = VTD_GSTS_TES;
	assert_int_equal(vtd_takeover(&IO, QEMU_CAP, QEMU_ECAP, 0x1000, false, fake_now, &t), 0);
	assert_false(t.stopped_qi);
	assert_false(F.te_ever_cleared);
	assert_int_equal(find_write(VTD_GCMD, VTD_GCMD_WBF, 0), -1);
	assert_int_equal(F.gcmd_writes, 1);			/* SRTP only */
}

static void test_takeover_refused(void **state)
{
	struct vtd_takeover t;
	F.r[VTD_GSTS / 4] = VTD_GSTS_TES;
	F.refuse = true;
	assert_int_equal(vtd_takeover(&IO, QEMU_CAP, QEMU_ECAP, 0x1000, false, fake_now, &t), -EIO);
	assert_true(log_capture_contains("global context-cache invalidation refused by the unit"));
	assert_false(F.te_ever_cleared);
}

/* ---- requester-id aliases ---------------------------------------------------------------------- */

/* bus -> the bridge above it; QEMU's layouts of test 46 plus a deeper one */
struct topo_bridge { u8 sec, bus, devfn; enum vtd_bridge_kind kind; };
static const struct topo_bridge *T;
static unsigned TN;

static int topo_up(void *ctx, u16 seg, u8 bus, u8 *br_bus, u8 *br_devfn,
		   enum vtd_bridge_kind *kind)
{
	for (unsigned i = 0; i < TN; i++)
		if (T[i].sec == bus) {
			*br_bus = T[i].bus;
			*br_devfn = T[i].devfn;
			*kind = T[i].kind;
			return 0;
		}
	return -ENOENT;
}

static unsigned aliases(const struct topo_bridge *t, unsigned n, u8 bus, u8 devfn, u16 *rids)
{
	struct vtd_alias_topo topo = { topo_up, NULL };
	T = t;
	TN = n;
	return vtd_dma_aliases(&topo, 0, bus, devfn, rids, VTD_MAX_ALIASES);
}

#define DEVFN(d, f) ((d) << 3 | (f))

static void test_aliases(void **state)
{
	u16 r[VTD_MAX_ALIASES];
	/* root port 00:1c.0 -> bus 1, PCIe-to-PCI bridge 01:00.0 -> bus 2, NIC 02:01.0 */
	const struct topo_bridge pcie_pci[] = {
		{ 1, 0, DEVFN(0x1c, 0), VTD_BRIDGE_PCIE_PORT },
		{ 2, 1, DEVFN(0, 0), VTD_BRIDGE_PCIE_TO_PCI },
	};
	assert_int_equal(aliases(pcie_pci, 2, 2, DEVFN(1, 0), r), 2);
	assert_int_equal(r[0], 0x0208);
	assert_int_equal(r[1], 0x0200);				/* secondary bus, 00.0 */
	/* the device at 02:00.0 is its own alias */
	assert_int_equal(aliases(pcie_pci, 2, 2, DEVFN(0, 0), r), 1);
	/* conventional PCI bridge 01:00.0 instead: the bridge's own id */
	const struct topo_bridge pci[] = {
		{ 1, 0, DEVFN(0x1c, 0), VTD_BRIDGE_PCIE_PORT },
		{ 2, 1, DEVFN(0, 0), VTD_BRIDGE_PCI },
	};
	assert_int_equal(aliases(pci, 2, 2, DEVFN(1, 0), r), 2);
	assert_int_equal(r[1], 0x0100);
	/* behind PCIe ports only (the e1000e of test 40): no alias */
	assert_int_equal(aliases(pcie_pci, 2, 1, DEVFN(0, 0), r), 1);
	assert_int_equal(r[0], 0x0100);
	/* on a root bus */
	assert_int_equal(aliases(pcie_pci, 2, 0, DEVFN(2, 0), r), 1);
	/* two conventional bridges below a PCIe-to-PCI bridge: nearest first, the unit sees the
	 * last (03:00.0, the secondary bus of the PCIe-to-PCI bridge) */
	const struct topo_bridge deep[] = {
		{ 1, 0, DEVFN(0x1c, 0), VTD_BRIDGE_PCIE_PORT },
		{ 3, 1, DEVFN(0, 0), VTD_BRIDGE_PCIE_TO_PCI },
		{ 4, 3, DEVFN(2, 0), VTD_BRIDGE_PCI },
		{ 5, 4, DEVFN(3, 0), VTD_BRIDGE_PCI },
	};
	assert_int_equal(aliases(deep, 4, 5, DEVFN(7, 1), r), 4);
	assert_int_equal(r[0], 0x0539);
	assert_int_equal(r[1], 0x0418);
	assert_int_equal(r[2], 0x0310);
	assert_int_equal(r[3], 0x0300);
	/* a bridge loop (broken bus numbers) ends */
	const struct topo_bridge loop[] = {
		{ 2, 3, DEVFN(0, 0), VTD_BRIDGE_PCI },
		{ 3, 2, DEVFN(0, 0), VTD_BRIDGE_PCI },
	};
	assert_int_equal(aliases(loop, 2, 2, DEVFN(1, 0), r), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_inval_choice, reset),
		cmocka_unit_test_setup(test_wbf_decision, reset),
		cmocka_unit_test_setup(test_wbf_sequence, reset),
		cmocka_unit_test_setup(test_pmr_absent, reset),
		cmocka_unit_test_setup(test_pmr_off_already, reset),
		cmocka_unit_test_setup(test_pmr_disabled, reset),
		cmocka_unit_test_setup(test_pmr_low_only_stuck, reset),
		cmocka_unit_test_setup(test_aliases, reset),
		cmocka_unit_test_setup(test_takeover, reset),
		cmocka_unit_test_setup(test_takeover_no_queue_no_wbf, reset),
		cmocka_unit_test_setup(test_takeover_refused, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
