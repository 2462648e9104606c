// UNIT-SOURCES: vdev/pci_virt.c vdev/pci_virt_rules.c vdev/pci_virt_msi.c vdev/msi.c drivers/pci.c
/* The guest's view of PCI config space (vdev/pci_virt.c) on an array-backed fake machine:
 * host bridge 00:00.0, the NIC 00:02.0 (32-bit, I/O and 64-bit BARs; PM, MSI 64-bit maskable,
 * MSI-X, PCIe and vendor capabilities), an LPC bridge 00:1f.0, a root port 00:1c.0 and a second
 * NIC 01:00.0 behind it. The fake implements writable masks and RW1C bits like hardware and
 * records every write, so the tests see exactly what reaches the devices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/pci_virt.h>
#include <uhv/errno.h>
#include "log_capture.h"

struct fake_fn {
	u8 bus, dev, fn;
	u32 cfg[1024];
	u32 wmask[1024];	/* writable bits */
	u32 w1c[1024];		/* write-1-to-clear bits */
};

#define MAX_FAKE 8

static struct {
	unsigned n;
	struct fake_fn f[MAX_FAKE];
	unsigned writes;
	unsigned bar_write_with_decode;
	u16 last_off;
} fake;

static struct fake_fn *fake_find(u8 bus, u8 dev, u8 fn)
{
	for (unsigned i = 0; i < fake.n; i++)
		if (fake.f[i].bus == bus && fake.f[i].dev == dev && fake.f[i].fn == fn)
			return &fake.f[i];
	return NULL;
}

static u32 fake_read(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	assert_int_equal(off & 3, 0);
	struct fake_fn *f = seg == 0 ? fake_find(bus, dev, fn) : NULL;
	return f && off < 4096 ? f->cfg[off / 4] : 0xffffffff;
}

static void fake_write(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 val)
{
	assert_int_equal(off & 3, 0);
	struct fake_fn *f = seg == 0 ? fake_find(bus, dev, fn) : NULL;
	fake.writes++;
	fake.last_off = off;
	if (!f || off >= 4096)
		return;
	unsigned i = off / 4;
	if (i >= 4 && i < 10) {
		/* the decode bit of this BAR's space (an upper half belongs to the BAR below) */
		bool upper = i > 4 && (f->cfg[i - 1] & 7) == 4;
		bool io = !upper && (f->cfg[i] & 1);
		if (f->cfg[1] & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))
			fake.bar_write_with_decode++;
	}
	u32 cleared = val & f->w1c[i];
	f->cfg[i] = ((f->cfg[i] & ~f->wmask[i]) | (val & f->wmask[i])) & ~cleared;
}

static const struct pci_cfg_ops fake_ops = {
	.read32 = fake_read, .write32 = fake_write, .ctx = &fake, .cfg_size = 4096, .name = "fake",
};

static struct fake_fn *add(u8 bus, u8 dev, u8 fn, u32 id, u32 class_rev, u8 ht, u16 cmd,
			   u16 status)
{
	struct fake_fn *f = &fake.f[fake.n++];
	memset(f, 0, sizeof(*f));
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->cfg[0] = id;
	f->cfg[1] = (u32)status << 16 | cmd;
	f->wmask[1] = 0x000007ff;
	f->w1c[1] = 0xf9000000;
	f->cfg[2] = class_rev;
	f->cfg[3] = (u32)ht << 16;
	f->wmask[3] = 0x0000ffff;
	f->wmask[15] = 0xff;
	return f;
}

static void bar32(struct fake_fn *f, int i, u32 value, u32 size)
{
	u32 flags = value & ((value & 1) ? 0x3 : 0xf);
	f->cfg[4 + i] = value;
	f->wmask[4 + i] = ~(size - 1) & ~flags & ((value & 1) ? 0xffff : 0xffffffff);
}

static void bar64(struct fake_fn *f, int i, u64 value, u64 size)
{
	f->cfg[4 + i] = (u32)value;
	f->wmask[4 + i] = (u32)~(size - 1) & ~0xfu;
	f->cfg[5 + i] = (u32)(value >> 32);
	f->wmask[5 + i] = 0xffffffff;
}

#define NIC_BAR0	0xfebc0000u
#define NIC_BAR1	0xc000u
#define NIC_BAR2	0xfe000000ull
#define NIC_ID		0x10d38086u

static struct pci pci;
static struct pci_dev pci_devs[16];

/* A fixed table is enough for the five functions here (test_pci tests the growing). */
static struct pci_dev *fixed_grow(struct pci *p, unsigned *cap)
{
	*cap = ARRAY_SIZE(pci_devs);
	return pci_devs;
}
static struct pci_virt pv;

struct moved { unsigned bar; u8 type; u64 old, new, size; };
static struct {
	unsigned ok_calls, moved_calls;
	u64 ok_base, ok_size;
	struct moved last;
} hv;

/* The hypervisor's idea of what the guest may use: MMIO in [0xe0000000, 0xf0000000) and above
 * 32 GiB, I/O ports 0x6000-0x6fff. */
static bool bar_ok(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 base,
		   u64 size)
{
	hv.ok_calls++;
	hv.ok_base = base;
	hv.ok_size = size;
	if (type == PCI_BAR_IO)
		return base >= 0x6000 && base + size <= 0x7000;
	return (base >= 0xe0000000 && base + size <= 0xf0000000) || base >= GiB(32);
}

static void bar_moved(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 old,
		      u64 new, u64 size)
{
	hv.moved_calls++;
	hv.last = (struct moved){ bar, type, old, new, size };
}

/* The guest's CPUs for the MSI checks: APIC IDs 0 and 2, uhv keeps others. */
static const u32 guest_apic_ids[] = { 0, 2 };
static struct {
	unsigned refused;
	const char *why;
} msi_hv;

static void msi_cpus(void *ctx, struct msi_cpus *c)
{
	*c = (struct msi_cpus){ guest_apic_ids, 2, false };
}

static void msi_refused(void *ctx, const char *what, unsigned idx, const struct msi_msg *m,
			const char *why)
{
	msi_hv.refused++;
	msi_hv.why = why;
}

static const struct msi_ops msi_ops = { .cpus = msi_cpus, .refused = msi_refused };
static const struct pci_virt_ops hv_ops = { .bar_ok = bar_ok, .bar_moved = bar_moved,
					    .msi = &msi_ops };

static struct fake_fn *nic, *nic2, *lpc, *hb;

static void build(void)
{
	memset(&fake, 0, sizeof(fake));
	memset(&hv, 0, sizeof(hv));
	hb = add(0, 0, 0, 0x29c08086, 0x06000002, 0, 0x0006, 0);
	hb->cfg[0x60 / 4] = 0xb0000001;		/* PCIEXBAR, host bridge specific */
	hb->wmask[0x60 / 4] = 0xffffffff;

	nic = add(0, 2, 0, NIC_ID, 0x02000000, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_IO |
		  PCI_COMMAND_MASTER, 0x2000 /* received master abort, RW1C */);
	bar32(nic, 0, NIC_BAR0, 128 * 1024);
	bar32(nic, 1, NIC_BAR1 | 1, 32);
	bar64(nic, 2, NIC_BAR2 | 0xc, 16 * 1024);	/* 64-bit prefetchable */
	nic->cfg[0x30 / 4] = 0xfeb80000;		/* expansion ROM */
	nic->wmask[0x30 / 4] = 0xfffc0001;
	nic->cfg[15] = 0x010b;				/* INTA, line 11 */
	nic->cfg[0xf0 / 4] = 0x12345678;		/* device specific */
	nic->wmask[0xf0 / 4] = 0xffffffff;
	nic->cfg[0x100 / 4] = 0x14010001;		/* extended capability (AER) */
	/* capabilities: PM 0x40 -> MSI 0x50 -> MSI-X 0x70 -> PCIe 0x80 -> vendor 0xc0 */
	nic->cfg[1] |= PCI_STATUS_CAP_LIST << 16;
	nic->cfg[0x34 / 4] = 0x40;
	nic->cfg[0x40 / 4] = 0xc8235001;		/* PM, next 0x50 */
	nic->cfg[0x44 / 4] = 0x00000008;		/* PMCSR */
	nic->wmask[0x44 / 4] = 0x00000003;
	nic->cfg[0x50 / 4] = 0x01807005;		/* MSI, next 0x70, ctrl 0x0180: 64-bit, maskable */
	nic->wmask[0x50 / 4] = 0x00710000;
	for (int i = 0x54; i < 0x64; i += 4)
		nic->wmask[i / 4] = 0xffffffff;
	nic->cfg[0x70 / 4] = 0x00048011;		/* MSI-X, next 0x80 */
	nic->wmask[0x70 / 4] = 0xc0000000;
	nic->cfg[0x80 / 4] = 0x0002c010;		/* PCIe v2, next 0xc0 */
	nic->wmask[0x88 / 4] = 0x0000ffff;		/* device control (incl. FLR bit 15) */
	nic->cfg[0xc0 / 4] = 0x00000009;		/* vendor specific, end */

	lpc = add(0, 0x1f, 0, 0x29188086, 0x06010002, 0x80, 0x0007, 0);
	struct fake_fn *rp = add(0, 0x1c, 0, 0x29408086, 0x06040002, 1, 0x0007, 0);
	rp->cfg[6] = 0x00010100;			/* primary 0, secondary 1, subordinate 1 */
	nic2 = add(1, 0, 0, 0x100e8086, 0x02000000, 0, 0x0006, 0);
	bar32(nic2, 0, 0xfe800000, 128 * 1024);

	memset(&pci, 0, sizeof(pci));
	pci.grow = fixed_grow;
	assert_int_equal(pci_scan(&pci, &fake_ops, 0, 0, 255, 0), 5);
	log_capture_reset();
}

static int setup(void **state)
{
	build();
	pci_virt_init(&pv, &fake_ops, &hv_ops);
	assert_int_equal(pci_virt_setup_nic(&pv, &pci, pci_find_bdf(&pci, 0, 0, 2, 0)), 0);
	fake.writes = 0;
	fake.bar_write_with_decode = 0;
	return 0;
}

static u32 rd(u8 bus, u8 dev, u16 off, unsigned size)
{
	u32 v = 0xdeadbeef;
	assert_int_equal(pci_virt_access(&pv, 0, bus, dev, 0, off, size, false, &v), 0);
	return v;
}

static void wr(u8 bus, u8 dev, u16 off, unsigned size, u32 v)
{
	assert_int_equal(pci_virt_access(&pv, 0, bus, dev, 0, off, size, true, &v), 0);
}

#define NIC 0, 2

/* --- the tables themselves ------------------------------------------------------------------ */

static void check_rules(const struct pci_virt_rule *r, unsigned n, unsigned span, bool whole)
{
	u8 seen[256] = { 0 };
	for (unsigned i = 0; i < n; i++) {
		assert_true(r[i].size >= 1 && r[i].size <= 4);
		/* a register never straddles a dword: the write path relies on it */
		assert_true((r[i].off & 3) + r[i].size <= 4);
		assert_true(r[i].off + r[i].size <= span);
		if (r[i].action != PCI_VIRT_ALLOW && r[i].action != PCI_VIRT_EMULATE)
			assert_int_equal(r[i].mask, 0);
		if (r[i].action == PCI_VIRT_EMULATE)
			assert_int_not_equal(r[i].emu, PCI_VIRT_EMU_NONE);
		if (r[i].size < 4)	/* the mask fits the register */
			assert_int_equal(r[i].mask >> (8 * r[i].size), 0);
		for (unsigned b = r[i].off; b < r[i].off + r[i].size; b++) {
			assert_int_equal(seen[b], 0);	/* no overlap */
			seen[b] = 1;
		}
	}
	if (whole)
		for (unsigned b = 0; b < 0x40; b++)
			assert_int_equal(seen[b], 1);	/* the whole header is covered */
}

static void test_tables(void **state)
{
	check_rules(pci_virt_header_rules, pci_virt_header_nrules, 0x40, true);
	for (unsigned i = 0; i < pci_virt_cap_npolicies; i++)
		check_rules(pci_virt_cap_policies[i].rules, pci_virt_cap_policies[i].nrules, 0x40,
			    false);
	/* the decisions the design document states */
	u16 base;
	struct pci_virt_fn *f = pci_virt_find(&pv, 0, NIC, 0);
	assert_non_null(f);
	const struct pci_virt_rule *r = pci_virt_rule_at(f, 0x04, &base);
	assert_int_equal(r->action, PCI_VIRT_EMULATE);
	assert_int_equal(r->mask, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(pci_virt_rule_at(f, 0x30, &base)->action, PCI_VIRT_DENY);
	assert_int_equal(pci_virt_rule_at(f, 0x3c, &base)->action, PCI_VIRT_ALLOW);
	assert_int_equal(pci_virt_rule_at(f, 0x10, &base)->emu, PCI_VIRT_EMU_BAR);
	assert_null(pci_virt_rule_at(f, 0xf0, &base));		/* device specific: denied */
	r = pci_virt_rule_at(f, 0x74, &base);			/* MSI-X table offset/BIR */
	assert_int_equal(base, 0x70);
	assert_int_equal(r->action, PCI_VIRT_READ_ONLY);
	assert_int_equal(pci_virt_rule_at(f, 0x72, &base)->mask, 0xc000);
	r = pci_virt_rule_at(f, 0x5c, &base);			/* MSI 64-bit: data */
	assert_int_equal(base, 0x50);
	assert_int_equal(r->off, 0x0c);
	assert_int_equal(r->emu, PCI_VIRT_EMU_MSI);		/* checked, never written through */
	assert_int_equal(r->mask, 0);
}

/* --- which functions the guest sees ------------------------------------------------------------ */

static void test_hidden_reads_ones(void **state)
{
	assert_int_equal(rd(0, 0x1f, 0, 4), 0xffffffff);	/* LPC: present but hidden */
	assert_int_equal(rd(0, 0x1f, 0, 2), 0xffff);
	assert_int_equal(rd(0, 0x1f, 0x0e, 1), 0xff);
	assert_int_equal(rd(0, 5, 0, 4), 0xffffffff);		/* absent */
	assert_int_equal(rd(1, 0, 0, 4), 0xffffffff);		/* second NIC: hidden */
	u32 v;
	assert_int_equal(pci_virt_access(&pv, 1, 0, 2, 0, 0, 4, false, &v), 0);	/* segment 1 */
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pv.stats.hidden_reads, 6);
}

static void test_hidden_writes_dropped(void **state)
{
	u32 before = lpc->cfg[1];
	wr(0, 0x1f, PCI_COMMAND, 2, 0);
	wr(0, 0x1f, 0x10, 4, 0xffffffff);
	wr(1, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(fake.writes, 0);
	assert_int_equal(lpc->cfg[1], before);
	assert_int_equal(pv.stats.hidden_writes, 3);
}

static void test_host_bridge_read_only(void **state)
{
	assert_int_equal(rd(0, 0, 0, 4), 0x29c08086);
	assert_int_equal(rd(0, 0, 0x60, 4), 0xb0000001);	/* all of it readable */
	wr(0, 0, 0x60, 4, 0xe0000001);				/* PCIEXBAR moved: dropped */
	wr(0, 0, PCI_COMMAND, 2, 0);
	assert_int_equal(fake.writes, 0);
	assert_int_equal(hb->cfg[0x60 / 4], 0xb0000001);
	assert_int_equal(pv.stats.denied_writes, 2);
}

/* A read-only function with a writable window (an ISA bridge's PIRQ routing):
 * only the window's bytes reach the device. */
static void test_ro_writable_window(void **state)
{
	char text[80];
	struct pci_virt_fn *f = pci_virt_find(&pv, 0, 0, 0, 0);
	assert_string_equal(pci_virt_access_text(f, text, sizeof(text)), "read-only");
	assert_int_equal(pci_virt_allow_writes(&pv, 0, 0, 0, 0, 0x60, 2), 0);
	/* the boot log says which bytes stay writable (issue 20: it said "read-only") */
	assert_string_equal(pci_virt_access_text(f, text, sizeof(text)),
			    "read-only but for config bytes 0x60-0x61");
	assert_int_equal(pci_virt_allow_writes(&pv, 0, 0, 0, 0, 0x68, 4), 0);
	assert_int_equal(pci_virt_allow_writes(&pv, 0, 0, 0, 0, 0x7f, 1), 0);
	assert_string_equal(pci_virt_access_text(f, text, sizeof(text)),
			    "read-only but for config bytes 0x60-0x61, 0x68-0x6b, 0x7f-0x7f");
	assert_int_equal(pci_virt_allow_writes(&pv, 0, 0, 0, 0, 0x10, 4), -EINVAL);
	assert_int_equal(pci_virt_allow_writes(&pv, 0, 0, 9, 0, 0x60, 4), -EINVAL);
	wr(0, 0, 0x60, 4, 0xe0ab0000);	/* only bytes 0x60, 0x61 may change */
	assert_int_equal(hb->cfg[0x60 / 4], 0xb0000000);
	assert_int_equal(pv.stats.denied_writes, 1);	/* the rest was refused, and counted */
	wr(0, 0, 0x61, 1, 0x12);
	assert_int_equal(hb->cfg[0x60 / 4], 0xb0001200);
	wr(0, 0, 0x62, 1, 0x34);	/* outside the window: dropped */
	assert_int_equal(hb->cfg[0x60 / 4], 0xb0001200);
	wr(0, 0, PCI_COMMAND, 2, 0);	/* the header stays read-only */
	assert_int_equal(pv.stats.denied_writes, 3);
}

static void test_setup_through_bridge(void **state)
{
	pci_virt_init(&pv, &fake_ops, &hv_ops);
	assert_int_equal(pci_virt_setup_nic(&pv, &pci, pci_find_bdf(&pci, 0, 1, 0, 0)), 0);
	assert_int_equal(pv.nfn, 3);
	assert_int_equal(rd(0, 0, 0, 4), 0x29c08086);		/* host bridge */
	assert_int_equal(rd(0, 0x1c, 0x18, 4), 0x00010100);	/* root port, read-only */
	assert_int_equal(rd(1, 0, 0, 4), 0x100e8086);		/* the NIC */
	assert_int_equal(rd(0, 2, 0, 4), 0xffffffff);		/* the other NIC: hidden */
	wr(0, 0x1c, 0x18, 4, 0x00020200);			/* renumbering: dropped */
	assert_int_equal(rd(0, 0x1c, 0x18, 4), 0x00010100);
	assert_int_equal(pci_virt_add(&pv, pci_find_bdf(&pci, 0, 1, 0, 0), PCI_VIRT_RO_FN),
			 -EEXIST);
	assert_int_equal(pci_virt_add(&pv, pci_find_bdf(&pci, 0, 0, 0x1c, 0),
				      PCI_VIRT_PASSTHROUGH), -EINVAL);	/* a bridge */
	assert_int_equal(pci_virt_add(&pv, pci_find_bdf(&pci, 0, 0, 0x1f, 0), PCI_VIRT_HIDDEN),
			 -EINVAL);
}

/* --- the NIC's header -------------------------------------------------------------------------- */

static void test_header_policy(void **state)
{
	assert_int_equal(rd(NIC, 0, 4), NIC_ID);
	wr(NIC, 0, 4, 0x12345678);				/* IDs: read-only */
	assert_int_equal(rd(NIC, 0, 4), NIC_ID);
	assert_int_equal(fake.writes, 0);

	assert_int_equal(rd(NIC, 0x30, 4), 0);			/* no ROM for the guest */
	wr(NIC, 0x30, 4, 0xffffffff);
	assert_int_equal(nic->cfg[0x30 / 4], 0xfeb80000);
	assert_int_equal(fake.writes, 0);

	assert_int_equal(rd(NIC, 0xf0, 4), 0);			/* device specific: denied */
	wr(NIC, 0xf0, 4, 0);
	assert_int_equal(nic->cfg[0xf0 / 4], 0x12345678);
	assert_int_equal(rd(NIC, 0x100, 4), 0);			/* extended space: end of list */
	assert_int_equal(fake.writes, 0);

	wr(NIC, 0x3c, 1, 0x2b);					/* interrupt line: allowed */
	assert_int_equal(nic->cfg[15] & 0xffff, 0x012b);
	assert_int_equal(rd(NIC, 0x3c, 2), 0x012b);
	wr(NIC, 0x3d, 1, 0x04);					/* pin: read-only */
	assert_int_equal(rd(NIC, 0x3d, 1), 1);
	wr(NIC, 0x0c, 2, 0x4010);				/* cache line, latency */
	assert_int_equal(nic->cfg[3] & 0xffff, 0x4010);
	wr(NIC, 0x0f, 1, 0x40);					/* BIST start: dropped */
	assert_int_equal(nic->cfg[3] >> 24, 0);
}

static void test_command_and_status(void **state)
{
	u16 start = PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER;

	assert_int_equal(rd(NIC, PCI_COMMAND, 2), start);
	assert_int_equal(rd(NIC, PCI_STATUS, 2), 0x2000 | PCI_STATUS_CAP_LIST);
	/* everything: only decode, bus master and INTx disable reach the device */
	wr(NIC, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(nic->cfg[1] & 0xffff, start | PCI_COMMAND_INTX_DISABLE);
	/* ... and the RW1C status bit was not cleared by the command write */
	assert_int_equal(nic->cfg[1] >> 16, 0x2000 | PCI_STATUS_CAP_LIST);
	wr(NIC, PCI_COMMAND, 2, 0);
	assert_int_equal(nic->cfg[1] & 0xffff, 0);
	wr(NIC, PCI_COMMAND, 2, BIT(8) | BIT(6));		/* SERR#, parity: refused */
	assert_int_equal(nic->cfg[1] & 0xffff, 0);
	/* a byte write to the command's upper half (INTx disable) */
	wr(NIC, PCI_COMMAND + 1, 1, 0x04);
	assert_int_equal(nic->cfg[1] & 0xffff, PCI_COMMAND_INTX_DISABLE);
	/* the guest clears the status error bit: written through as 1 */
	wr(NIC, PCI_STATUS, 2, 0x2000);
	assert_int_equal(nic->cfg[1] >> 16, PCI_STATUS_CAP_LIST);
	assert_int_equal(nic->cfg[1] & 0xffff, PCI_COMMAND_INTX_DISABLE);
	/* a dword write covering both */
	nic->cfg[1] |= 0x2000u << 16;
	wr(NIC, PCI_COMMAND, 4, PCI_COMMAND_MEMORY);
	assert_int_equal(nic->cfg[1], (0x2000u | PCI_STATUS_CAP_LIST) << 16 | PCI_COMMAND_MEMORY);
	assert_int_equal(fake.bar_write_with_decode, 0);
}

static void test_capabilities(void **state)
{
	assert_int_equal(rd(NIC, PCI_CAP_PTR, 1), 0x40);
	assert_int_equal(rd(NIC, 0x40, 2), 0x5001);		/* PM -> MSI */
	assert_int_equal(rd(NIC, 0x50, 2), 0x7005);		/* MSI -> MSI-X */
	assert_int_equal(rd(NIC, 0x70, 2), 0x8011);		/* MSI-X -> PCIe */
	assert_int_equal(rd(NIC, 0x80, 2), 0x0010);		/* PCIe -> end (vendor skipped) */
	assert_int_equal(rd(NIC, 0x51, 1), 0x70);
	assert_int_equal(rd(NIC, 0x70, 4), 0x00048011);		/* MSI-X: 5 entries */
	assert_int_equal(rd(NIC, 0xc0, 4), 0);			/* vendor hidden */
	assert_int_equal(rd(NIC, 0x80, 4), 0x00020010);		/* PCIe: cap register visible */

	unsigned w = fake.writes;
	wr(NIC, 0x88, 2, 0x8000);				/* PCIe FLR: dropped */
	wr(NIC, 0x44, 2, 0x0003);				/* PM D3: dropped */
	wr(NIC, 0x41, 1, 0x00);					/* next pointer: dropped */
	wr(NIC, 0x74, 4, 0x1000);				/* MSI-X table offset: dropped */
	assert_int_equal(fake.writes, w);
	assert_int_equal(nic->cfg[0x88 / 4], 0);
	assert_int_equal(nic->cfg[0x44 / 4], 8);
	/* MSI-X enable and function mask go to the device; the table size is uhv's */
	wr(NIC, 0x72, 2, 0xffff);
	assert_int_equal(nic->cfg[0x70 / 4], 0xc0048011);
	struct pci_virt_fn *f = pci_virt_find(&pv, 0, NIC, 0);
	f->msix_nvec = 3;
	assert_int_equal(rd(NIC, 0x72, 2), 0xc002);
	/* hidden again when uhv cannot trap the table */
	assert_int_equal(pci_virt_cap_hide(f, PCI_CAP_ID_MSIX), 0);
	assert_int_equal(rd(NIC, 0x51, 1), 0x80);
	assert_int_equal(rd(NIC, 0x70, 4), 0);
	assert_int_equal(pci_virt_cap_hide(f, PCI_CAP_ID_MSIX), -ENOENT);
}

/* MSI (64-bit, maskable at 0x50): the guest reads what it wrote; the device gets a message only
 * while the guest's is enabled, unmasked and acceptable, and then uhv's encoding of it. */
static void test_msi(void **state)
{
	memset(&msi_hv, 0, sizeof(msi_hv));
	/* added as after reset: MSI off, the vector masked in the device */
	assert_int_equal(nic->cfg[0x50 / 4] >> 16, 0x0180);
	assert_int_equal(nic->cfg[0x60 / 4], 0xffffffff);
	assert_int_equal(rd(NIC, 0x52, 2), 0x0180);		/* one message capable */

	wr(NIC, 0x54, 4, 0xfee02000);				/* APIC ID 2, physical */
	wr(NIC, 0x58, 4, 0);
	wr(NIC, 0x5c, 2, 0x0451);				/* NMI delivery mode */
	wr(NIC, 0x60, 4, 0);					/* unmask */
	assert_int_equal(msi_hv.refused, 0);			/* not enabled yet: unchecked */
	wr(NIC, 0x52, 2, 0x0071);				/* enable, MME 7 */
	assert_int_equal(rd(NIC, 0x52, 2), 0x0181);		/* MME stays 0 */
	assert_int_equal(rd(NIC, 0x5c, 2), 0x0451);		/* the guest reads what it wrote */
	assert_int_equal(msi_hv.refused, 1);
	assert_string_equal(msi_hv.why, "delivery mode other than fixed or lowest priority "
			    "(SMI, NMI, INIT, ExtINT or reserved)");
	assert_int_equal(pv.stats.msi_refused, 1);
	assert_int_equal(nic->cfg[0x50 / 4] >> 16, 0x0181);	/* enabled, but masked */
	assert_int_equal(nic->cfg[0x60 / 4] & 1, 1);
	assert_int_equal(nic->cfg[0x5c / 4] & 0xffff, 0);	/* never the NMI */

	wr(NIC, 0x5c, 2, 0x0051);				/* fixed, vector 0x51 */
	assert_int_equal(nic->cfg[0x54 / 4], 0xfee02000);
	assert_int_equal(nic->cfg[0x58 / 4], 0);
	assert_int_equal(nic->cfg[0x5c / 4] & 0xffff, 0x0051);
	assert_int_equal(nic->cfg[0x60 / 4] & 1, 0);		/* live */

	wr(NIC, 0x54, 4, 0xfee01000);				/* APIC ID 1: uhv's CPU */
	assert_int_equal(msi_hv.refused, 2);
	assert_string_equal(msi_hv.why, "destination APIC ID is not one of the guest's CPUs");
	assert_int_equal(nic->cfg[0x60 / 4] & 1, 1);
	assert_int_equal(nic->cfg[0x54 / 4], 0xfee02000);	/* the old message, masked */
	assert_int_equal(rd(NIC, 0x54, 4), 0xfee01000);

	wr(NIC, 0x60, 4, 1);					/* masked: rewrite freely */
	wr(NIC, 0x54, 4, 0xfee0000c);				/* APIC ID 0, RH + logical */
	assert_int_equal(msi_hv.refused, 2);
	wr(NIC, 0x54, 4, 0xfee00000);
	wr(NIC, 0x5c, 2, 0x0160);				/* lowest priority, 0x60 */
	wr(NIC, 0x60, 4, 0);
	assert_int_equal(msi_hv.refused, 2);
	assert_int_equal(nic->cfg[0x54 / 4], 0xfee00000);
	assert_int_equal(nic->cfg[0x5c / 4] & 0xffff, 0x0160);
	assert_int_equal(nic->cfg[0x60 / 4] & 1, 0);
	wr(NIC, 0x52, 2, 0);					/* disable */
	assert_int_equal(nic->cfg[0x50 / 4] >> 16, 0x0180);
	assert_int_equal(nic->cfg[0x60 / 4] & 1, 1);
}

static void test_only_hidden_caps(void **state)
{
	build();
	nic->cfg[0x34 / 4] = 0xc0;				/* only vendor specific */
	pci_virt_init(&pv, &fake_ops, &hv_ops);
	assert_int_equal(pci_virt_add(&pv, pci_find_bdf(&pci, 0, 0, 2, 0), PCI_VIRT_PASSTHROUGH),
			 0);
	assert_int_equal(rd(NIC, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(rd(NIC, PCI_CAP_PTR, 1), 0);
	assert_true(log_capture_contains("capability 0x9 at 0xc0 hidden"));
}

/* --- BARs ---------------------------------------------------------------------------------------- */

static void test_bar_sizing_32(void **state)
{
	wr(NIC, PCI_COMMAND, 2, 0);				/* decode off, as an OS sizes */
	unsigned w = fake.writes;
	wr(NIC, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(NIC, 0x10, 4), 0xfffe0000);	/* 128 KiB, mem32 */
	assert_int_equal(nic->cfg[4], NIC_BAR0);		/* the device keeps its BAR */
	wr(NIC, 0x10, 4, NIC_BAR0);
	assert_int_equal(rd(NIC, 0x10, 4), NIC_BAR0);
	wr(NIC, 0x14, 4, 0xffffffff);				/* I/O, 32 ports */
	assert_int_equal(rd(NIC, 0x14, 4), 0x0000ffe1);
	wr(NIC, 0x14, 4, NIC_BAR1);
	assert_int_equal(rd(NIC, 0x14, 4), NIC_BAR1 | 1);
	wr(NIC, 0x20, 4, 0xffffffff);				/* not implemented */
	assert_int_equal(rd(NIC, 0x20, 4), 0);
	assert_int_equal(fake.writes, w);
	/* byte-wise: the low byte of BAR0 holds only flags */
	wr(NIC, 0x13, 1, 0xff);
	assert_int_equal(rd(NIC, 0x10, 4), 0xff000000 | (NIC_BAR0 & 0x00ffffff));
	wr(NIC, 0x13, 1, NIC_BAR0 >> 24);
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(hv.ok_calls, 0);
	assert_int_equal(hv.moved_calls, 0);
	assert_int_equal(nic->cfg[4], NIC_BAR0);
}

static void test_bar_sizing_64(void **state)
{
	wr(NIC, PCI_COMMAND, 2, 0);
	wr(NIC, 0x18, 4, 0xffffffff);
	wr(NIC, 0x1c, 4, 0xffffffff);
	assert_int_equal(rd(NIC, 0x18, 4), 0xffffc00c);		/* 16 KiB, 64-bit, prefetchable */
	assert_int_equal(rd(NIC, 0x1c, 4), 0xffffffff);
	wr(NIC, 0x18, 4, (u32)NIC_BAR2);
	assert_int_equal(rd(NIC, 0x18, 4), (u32)NIC_BAR2 | 0xc);
	assert_int_equal(rd(NIC, 0x1c, 4), 0xffffffff);		/* upper half still sizing */
	wr(NIC, 0x1c, 4, 0);
	assert_int_equal(rd(NIC, 0x1c, 4), 0);
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(hv.ok_calls, 0);
	assert_int_equal(nic->cfg[6], (u32)NIC_BAR2 | 0xc);
	assert_int_equal(nic->cfg[7], 0);
}

static void test_bar_sizing_with_decode_on(void **state)
{
	/* some OSes size live BARs: the all-ones pattern is never taken for an address */
	wr(NIC, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(NIC, 0x10, 4), 0xfffe0000);
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(hv.ok_calls, 0);
	wr(NIC, 0x10, 4, NIC_BAR0);
	assert_int_equal(hv.ok_calls, 0);
	assert_int_equal(nic->cfg[4], NIC_BAR0);
	assert_int_equal(pv.stats.bar_moves + pv.stats.bar_refused, 0);
}

static void test_bar_move_allowed(void **state)
{
	wr(NIC, PCI_COMMAND, 2, 0);
	wr(NIC, 0x10, 4, 0xe0000000);
	assert_int_equal(hv.ok_calls, 0);			/* decode off: nothing yet */
	assert_int_equal(nic->cfg[4], NIC_BAR0);
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(hv.ok_calls, 1);
	assert_int_equal(hv.ok_base, 0xe0000000);
	assert_int_equal(hv.ok_size, 128 * 1024);
	assert_int_equal(hv.moved_calls, 1);
	assert_int_equal(hv.last.bar, 0);
	assert_int_equal(hv.last.type, PCI_BAR_MEM32);
	assert_int_equal(hv.last.old, NIC_BAR0);
	assert_int_equal(hv.last.new, 0xe0000000);
	assert_int_equal(nic->cfg[4], 0xe0000000);		/* the device follows (GPA = HPA) */
	assert_int_equal(nic->cfg[1] & 0xffff, PCI_COMMAND_MEMORY);
	assert_int_equal(fake.bar_write_with_decode, 0);	/* BAR written before decode on */
	assert_int_equal(rd(NIC, 0x10, 4), 0xe0000000);
	assert_true(log_capture_contains("guest moved BAR0 (mem32, size 0x20000) from 0xfebc0000 "
					 "to 0xe0000000"));

	/* a live 32-bit BAR rewritten with decode on takes effect at once */
	wr(NIC, 0x10, 4, 0xe0020000);
	assert_int_equal(hv.moved_calls, 2);
	assert_int_equal(nic->cfg[4], 0xe0020000);

	/* I/O BAR into the allowed port range */
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr(NIC, 0x14, 4, 0x6040);
	assert_int_equal(hv.moved_calls, 2);			/* I/O decode is off */
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(hv.moved_calls, 3);
	assert_int_equal(hv.last.type, PCI_BAR_IO);
	assert_int_equal(hv.last.old, NIC_BAR1);
	assert_int_equal(nic->cfg[5], 0x6041);
	assert_int_equal(pv.stats.bar_moves, 3);
}

static void test_bar_move_refused(void **state)
{
	/* onto RAM (1 MiB), with decode on */
	wr(NIC, 0x10, 4, 0x00100000);
	assert_int_equal(hv.ok_calls, 1);
	assert_int_equal(hv.moved_calls, 0);
	assert_int_equal(nic->cfg[4], NIC_BAR0);
	assert_int_equal(rd(NIC, 0x10, 4), NIC_BAR0);		/* reads back where it stays */
	assert_true(log_capture_contains("which it may not use; the BAR stays at 0xfebc0000"));
	/* with decode off, refused when decode is turned on */
	wr(NIC, PCI_COMMAND, 2, 0);
	wr(NIC, 0x10, 4, 0xfee00000);				/* the local APIC */
	assert_int_equal(rd(NIC, 0x10, 4), 0xfee00000);		/* like hardware until then */
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(hv.ok_calls, 2);
	assert_int_equal(nic->cfg[4], NIC_BAR0);
	assert_int_equal(rd(NIC, 0x10, 4), NIC_BAR0);
	/* I/O ports outside the guest's */
	wr(NIC, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	wr(NIC, 0x14, 4, 0x0cf8);
	assert_int_equal(nic->cfg[5], NIC_BAR1 | 1);
	assert_int_equal(pv.stats.bar_refused, 3);
	assert_int_equal(hv.moved_calls, 0);

	/* no hypervisor callbacks: nothing moves */
	pci_virt_init(&pv, &fake_ops, NULL);
	assert_int_equal(pci_virt_add(&pv, pci_find_bdf(&pci, 0, 0, 2, 0), PCI_VIRT_PASSTHROUGH),
			 0);
	wr(NIC, 0x10, 4, 0xe0000000);
	assert_int_equal(nic->cfg[4], NIC_BAR0);
	assert_int_equal(pv.stats.bar_refused, 1);
}

static void test_bar_move_64(void **state)
{
	/* live: the lower half alone is not an address yet */
	wr(NIC, 0x18, 4, 0x0000000c);
	assert_int_equal(hv.ok_calls, 0);
	wr(NIC, 0x1c, 4, 0x8);					/* 32 GiB */
	assert_int_equal(hv.ok_calls, 1);
	assert_int_equal(hv.ok_base, GiB(32));
	assert_int_equal(hv.moved_calls, 1);
	assert_int_equal(hv.last.type, PCI_BAR_MEM64);
	assert_int_equal(hv.last.bar, 2);
	assert_int_equal(hv.last.old, NIC_BAR2);
	assert_int_equal(hv.last.new, GiB(32));
	assert_int_equal(nic->cfg[6], 0x0000000c);
	assert_int_equal(nic->cfg[7], 8);
	assert_int_equal(fake.bar_write_with_decode, 0);	/* decode off around the halves */
	assert_int_equal(nic->cfg[1] & 0xffff,
			 PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	assert_int_equal(rd(NIC, 0x1c, 4), 8);
	/* refused: 4 GiB - 16 KiB lies in neither range */
	wr(NIC, 0x1c, 4, 0);
	wr(NIC, 0x18, 4, 0xffffc000);
	assert_int_equal(hv.ok_calls, 2);		/* 0x0000000000000000|c after the hi write */
	assert_int_equal(nic->cfg[7], 8);
}

/* --- 0xCF8 / 0xCFC ------------------------------------------------------------------------------- */

static u32 port_rd(u16 port, unsigned size)
{
	u32 v = 0xdeadbeef;
	assert_int_equal(pci_virt_port(&pv, port, size, false, &v), 0);
	return v;
}

static int port_wr(u16 port, unsigned size, u32 v)
{
	return pci_virt_port(&pv, port, size, true, &v);
}

static u32 cf8(u8 bus, u8 dev, u8 fn, u8 reg)
{
	return 0x80000000u | (u32)bus << 16 | (u32)dev << 11 | (u32)fn << 8 | reg;
}

static void test_cf8_decoding(void **state)
{
	assert_int_equal(port_wr(0xcf8, 4, cf8(0, 2, 0, 0)), 0);
	assert_int_equal(port_rd(0xcf8, 4), cf8(0, 2, 0, 0));
	assert_int_equal(port_rd(0xcfc, 4), NIC_ID);
	assert_int_equal(port_rd(0xcfc, 2), 0x8086);
	assert_int_equal(port_rd(0xcfe, 2), 0x10d3);
	assert_int_equal(port_rd(0xcfd, 1), 0x80);
	assert_int_equal(port_rd(0xcff, 1), 0x10);
	/* misaligned: a word at 0xCFF has one config byte, a dword at 0xCFD three */
	assert_int_equal(port_rd(0xcff, 2), 0xff10);
	assert_int_equal(port_rd(0xcfd, 4), 0xff10d380);

	/* the enable bit */
	port_wr(0xcf8, 4, cf8(0, 2, 0, 0) & ~0x80000000u);
	assert_int_equal(port_rd(0xcfc, 4), 0xffffffff);
	assert_int_equal(port_wr(0xcfc, 4, 0), 0);
	assert_int_equal(fake.writes, 0);
	/* reserved bits 30:24 and 1:0 read as 0 */
	port_wr(0xcf8, 4, 0xffffffff);
	assert_int_equal(port_rd(0xcf8, 4), 0x80fffffc);
	/* register offset from bits 7:2 plus the port's low bits */
	port_wr(0xcf8, 4, cf8(0, 2, 0, 0x3c));
	assert_int_equal(port_rd(0xcfd, 1), 1);			/* interrupt pin */
	port_wr(0xcfc, 1, 0x05);				/* interrupt line */
	assert_int_equal(nic->cfg[15] & 0xffff, 0x0105);
	port_wr(0xcf8, 4, cf8(0, 2, 0, 0x04));
	port_wr(0xcfd, 1, 0x04);				/* INTx disable, byte access */
	assert_int_equal(nic->cfg[1] & 0xffff, PCI_COMMAND_MEMORY | PCI_COMMAND_IO |
			 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	port_wr(0xcfe, 2, 0x2000);				/* status W1C at 0xCFE */
	assert_int_equal(nic->cfg[1] >> 16, PCI_STATUS_CAP_LIST);
	/* byte or word accesses to 0xCF8 are not CONFIG_ADDRESS */
	port_wr(0xcf8, 1, 0);
	port_wr(0xcf8, 2, 0);
	assert_int_equal(port_rd(0xcf8, 4), cf8(0, 2, 0, 0x04));
	assert_int_equal(port_rd(0xcfa, 2), 0xffff);
	/* function and bus fields; hidden and absent functions */
	port_wr(0xcf8, 4, cf8(0, 0x1f, 0, 0));
	assert_int_equal(port_rd(0xcfc, 4), 0xffffffff);
	port_wr(0xcfc, 4, 0);
	port_wr(0xcf8, 4, cf8(0, 2, 1, 0));
	assert_int_equal(port_rd(0xcfc, 4), 0xffffffff);
	port_wr(0xcf8, 4, cf8(0, 0, 0, 0));
	assert_int_equal(port_rd(0xcfc, 4), 0x29c08086);
	/* reset control */
	assert_int_equal(port_wr(0xcf9, 1, 0x02), 0);
	assert_int_equal(port_rd(0xcf9, 1), 0x02);
	assert_int_equal(port_wr(0xcf9, 1, 0x06), PCI_VIRT_RESET);
	/* not ours, bad sizes */
	u32 v = 0;
	assert_int_equal(pci_virt_port(&pv, 0xcf7, 1, false, &v), -EINVAL);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pci_virt_port(&pv, 0xd00, 1, false, &v), -EINVAL);
	assert_int_equal(pci_virt_port(&pv, 0xcfc, 3, false, &v), -EINVAL);
}

/* --- ECAM ---------------------------------------------------------------------------------------- */

static u64 ecam(u8 bus, u8 dev, u8 fn, u16 reg)
{
	return (u64)bus << 20 | (u64)dev << 15 | (u64)fn << 12 | reg;
}

static void test_ecam(void **state)
{
	u32 v;

	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 2, 0, 0), 4, false, &v), 0);
	assert_int_equal(v, NIC_ID);
	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 2, 0, 0x3d), 1, false, &v), 0);
	assert_int_equal(v, 1);
	/* unaligned dword across two registers' dwords: 0x3e..0x41 */
	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 2, 0, 0x3e), 4, false, &v), 0);
	assert_int_equal(v, 0x50010000);		/* min_gnt, max_lat 0; PM id 1, next 0x50 */
	v = 0x33;
	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 2, 0, 0x3c), 1, true, &v), 0);
	assert_int_equal(nic->cfg[15] & 0xff, 0x33);
	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 0x1f, 0, 0), 4, false, &v), 0);
	assert_int_equal(v, 0xffffffff);
	/* a window starting at bus 1: offset bus 0 is bus 1 */
	assert_int_equal(pci_virt_ecam(&pv, 0, 1, ecam(0, 0, 0, 0), 4, false, &v), 0);
	assert_int_equal(v, 0xffffffff);		/* 01:00.0 hidden in this setup */
	assert_int_equal(pci_virt_ecam(&pv, 0, 1, ecam(255, 0, 0, 0), 4, false, &v), -EINVAL);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 2, 0, 0xffe), 4, false, &v), -EINVAL);
	assert_int_equal(pci_virt_ecam(&pv, 0, 0, ecam(0, 2, 0, 0), 8, false, &v), -EINVAL);
	assert_int_equal(pci_virt_access(&pv, 0, 0, 2, 0, 0, 3, false, &v), -EINVAL);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pci_virt_access(&pv, 0, 0, 2, 0, 4094, 4, true, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tables, setup),
		cmocka_unit_test_setup(test_hidden_reads_ones, setup),
		cmocka_unit_test_setup(test_hidden_writes_dropped, setup),
		cmocka_unit_test_setup(test_host_bridge_read_only, setup),
		cmocka_unit_test_setup(test_ro_writable_window, setup),
		cmocka_unit_test_setup(test_setup_through_bridge, setup),
		cmocka_unit_test_setup(test_header_policy, setup),
		cmocka_unit_test_setup(test_command_and_status, setup),
		cmocka_unit_test_setup(test_capabilities, setup),
		cmocka_unit_test_setup(test_msi, setup),
		cmocka_unit_test_setup(test_only_hidden_caps, setup),
		cmocka_unit_test_setup(test_bar_sizing_32, setup),
		cmocka_unit_test_setup(test_bar_sizing_64, setup),
		cmocka_unit_test_setup(test_bar_sizing_with_decode_on, setup),
		cmocka_unit_test_setup(test_bar_move_allowed, setup),
		cmocka_unit_test_setup(test_bar_move_refused, setup),
		cmocka_unit_test_setup(test_bar_move_64, setup),
		cmocka_unit_test_setup(test_cf8_decoding, setup),
		cmocka_unit_test_setup(test_ecam, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
