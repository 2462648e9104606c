// UNIT-SOURCES: drivers/pci.c
/* PCI enumeration and BAR sizing on an array-backed fake config space: a q35-like bus 0 with a
 * multi-function device, a root port with a device behind it, a 64-bit prefetchable BAR, a 16-bit
 * I/O BAR, a capability chain, a device that answers on every function number without being
 * multi-function, and a bus reachable only by brute force. The fake checks that BARs are only
 * probed with decode disabled and that RW1C status bits are never written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/pci.h>
#include <uhv/errno.h>
#include "log_capture.h"

struct fake_fn {
	u8 bus, dev, fn;
	bool all_fns;		/* decodes every function number (not multi-function) */
	u32 cfg[64];
	u32 wmask[64];		/* writable bits per dword */
};

#define MAX_FAKE 16

struct fake {
	unsigned n;
	struct fake_fn f[MAX_FAKE];
	unsigned bar_write_with_decode;	/* BAR written while decode was on */
	unsigned status_w1c;		/* writes with status bits set */
	unsigned reads, writes;
};

static struct fake fake;

static struct fake_fn *fake_find(u8 bus, u8 dev, u8 fn)
{
	for (unsigned i = 0; i < fake.n; i++) {
		struct fake_fn *f = &fake.f[i];
		if (f->bus == bus && f->dev == dev && (f->fn == fn || f->all_fns))
			return f;
	}
	return NULL;
}

static u32 fake_read(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	assert_ptr_equal(ctx, &fake);
	assert_int_equal(off & 3, 0);
	fake.reads++;
	struct fake_fn *f = seg == 0 ? fake_find(bus, dev, fn) : NULL;
	if (!f || off >= 256)
		return 0xffffffff;
	return f->cfg[off / 4];
}

static void fake_write(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 val)
{
	assert_int_equal(off & 3, 0);
	fake.writes++;
	struct fake_fn *f = seg == 0 ? fake_find(bus, dev, fn) : NULL;
	if (!f || off >= 256)
		return;
	unsigned i = off / 4;
	u8 ht = (f->cfg[3] >> 16) & 0x7f;
	unsigned nbars = ht == 0 ? 6 : ht == 1 ? 2 : 0;
	if (i >= 4 && i < 4 + nbars && (f->cfg[1] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		fake.bar_write_with_decode++;
	if (i == 1 && (val >> 16))
		fake.status_w1c++;
	f->cfg[i] = (f->cfg[i] & ~f->wmask[i]) | (val & f->wmask[i]);
}

static const struct pci_cfg_ops fake_ops = {
	.read32 = fake_read,
	.write32 = fake_write,
	.ctx = &fake,
	.cfg_size = 256,
	.name = "fake",
};

static struct fake_fn *add(u8 bus, u8 dev, u8 fn, u16 vendor, u16 device, u32 class_rev,
			   u8 header_type, u16 command, u16 status)
{
	assert_true(fake.n < MAX_FAKE);
	struct fake_fn *f = &fake.f[fake.n++];
	memset(f, 0, sizeof(*f));
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->cfg[0] = (u32)device << 16 | vendor;
	f->cfg[1] = (u32)status << 16 | command;
	f->wmask[1] = 0x0000ffff;
	f->cfg[2] = class_rev;
	f->cfg[3] = (u32)header_type << 16;
	f->wmask[15] = 0xff;	/* interrupt line */
	return f;
}

/* BAR i: value with flag bits, size (power of two) */
static void bar32(struct fake_fn *f, int i, u32 value, u32 size)
{
	u32 flags = value & ((value & 1) ? 0x3 : 0xf);
	f->cfg[4 + i] = value;
	f->wmask[4 + i] = ~(size - 1) & ~flags & ((value & 1) ? ~3u : ~0xfu);
}

static void bar64(struct fake_fn *f, int i, u64 value, u64 size)
{
	u64 mask = ~(size - 1);
	f->cfg[4 + i] = (u32)value;
	f->wmask[4 + i] = (u32)mask & ~0xfu;
	f->cfg[5 + i] = (u32)(value >> 32);
	f->wmask[5 + i] = (u32)(mask >> 32);
}

static void irq(struct fake_fn *f, u8 line, u8 pin)
{
	f->cfg[15] = (u32)pin << 8 | line;
}

/* caps: list of (offset, id) pairs, chained in order */
static void caps(struct fake_fn *f, const u8 (*c)[2], int n)
{
	f->cfg[1] |= (u32)PCI_STATUS_CAP_LIST << 16;
	f->cfg[PCI_CAP_PTR / 4] = c[0][0];
	for (int i = 0; i < n; i++)
		f->cfg[c[i][0] / 4] = (u32)(i + 1 < n ? c[i + 1][0] : 0) << 8 | c[i][1];
}

static const u32 e1000_bar0 = 0xfebc0000;

static void build_machine(void)
{
	struct fake_fn *f;
	memset(&fake, 0, sizeof(fake));

	add(0, 0, 0, 0x8086, 0x29c0, 0x06000002, 0, 0x0006, 0);
	f = add(0, 2, 0, 0x8086, 0x100e, 0x02000003, 0, 0x0007, 0x2000 /* RW1C: master abort */);
	bar32(f, 0, e1000_bar0, 128 << 10);
	bar32(f, 1, 0xc001, 64);
	irq(f, 11, 1);

	f = add(0, 3, 0, 0x1af4, 0x1234, 0x01080002, 0, 0x0002, 0);
	bar32(f, 0, 0xfebd4000, 16 << 10);
	bar64(f, 2, 0x800000000ull | PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH, GiB(16));
	irq(f, 10, 1);
	caps(f, (const u8[][2]){ { 0x40, PCI_CAP_ID_PCIE }, { 0x50, PCI_CAP_ID_VNDR },
				 { 0x60, PCI_CAP_ID_MSI }, { 0x70, PCI_CAP_ID_MSIX } }, 4);

	/* answers on every function number but is single-function */
	f = add(0, 4, 0, 0x1234, 0x1111, 0x03000002, 0, 0x0003, 0);
	f->all_fns = true;
	bar32(f, 0, 0xfd000008, 16 << 20);	/* prefetchable mem32 */

	/* root port -> bus 1 */
	f = add(0, 0x1c, 0, 0x1b36, 0x000c, 0x06040000, 1, 0x0007, 0);
	bar32(f, 0, 0xfebd5000, 4096);
	f->cfg[PCI_PRIMARY_BUS / 4] = 0x00010100;	/* pri 0, sec 1, sub 1 */
	irq(f, 10, 1);
	caps(f, (const u8[][2]){ { 0x54, PCI_CAP_ID_PCIE }, { 0x48, PCI_CAP_ID_MSIX } }, 2);

	f = add(1, 0, 0, 0x8086, 0x10d3, 0x02000000, 0, 0x0007, 0);
	bar32(f, 0, 0xfe840000, 128 << 10);
	bar32(f, 1, 0xfe860000, 128 << 10);
	bar32(f, 2, 0x6001, 32);
	bar32(f, 3, 0xfe880000, 16 << 10);
	irq(f, 10, 1);
	caps(f, (const u8[][2]){ { 0xc8, PCI_CAP_ID_PM }, { 0xd0, PCI_CAP_ID_MSI },
				 { 0xe0, PCI_CAP_ID_PCIE }, { 0xa0, PCI_CAP_ID_MSIX } }, 4);

	/* multi-function 00:1f: fn 0, 2, 3 (fn 1 absent) */
	add(0, 0x1f, 0, 0x8086, 0x2918, 0x06010002, 0x80, 0x0007, 0);
	f = add(0, 0x1f, 2, 0x8086, 0x2922, 0x01060102, 0, 0x0007, 0);
	bar32(f, 4, 0xc041, 32);
	bar32(f, 5, 0xfebd6000, 4096);
	irq(f, 10, 1);
	caps(f, (const u8[][2]){ { 0x80, PCI_CAP_ID_MSI } }, 1);
	f = add(0, 0x1f, 3, 0x8086, 0x2930, 0x0c050002, 0, 0x0003, 0);
	/* 16-bit I/O decoder: upper half hardwired to 0 */
	f->cfg[4 + 4] = 0x0701;
	f->wmask[4 + 4] = 0x0000ffc0;
	irq(f, 10, 1);

	/* a bus no bridge leads to (another host bridge's root bus) */
	add(5, 0, 0, 0x8086, 0x0001, 0xff000000, 0, 0, 0);
}

static struct pci pci;

/* The table grows on the host heap as in uhv's pool (arch/main.c): twice the size each time, from
 * 4 entries; grow_limit > 0 refuses to grow beyond that many entries (the pool runs out). */
static unsigned grow_limit, grow_calls;

static struct pci_dev *host_grow(struct pci *p, unsigned *cap)
{
	unsigned want = p->cap ? p->cap * 2 : 4;

	grow_calls++;
	if (grow_limit && want > grow_limit)
		return NULL;
	struct pci_dev *d = realloc(p->devs, want * sizeof(*d));
	if (d)
		*cap = want;
	return d;
}

static void pci_reset(struct pci *p)
{
	free(p->devs);
	memset(p, 0, sizeof(*p));
	p->grow = host_grow;
	grow_limit = grow_calls = 0;
}

static u32 cfg_of(u8 bus, u8 dev, u8 fn, u16 off)
{
	return fake_find(bus, dev, fn)->cfg[off / 4];
}

static void test_enumerate(void **state)
{
	build_machine();
	pci_reset(&pci);
	log_capture_reset();
	int n = pci_scan(&pci, &fake_ops, 0, 0, 255, 0);
	assert_int_equal(n, 9);
	assert_int_equal(pci.count, 9);

	/* breadth-first: bus 0 in slot order, then bus 1 */
	static const u8 bdf[][3] = { { 0, 0, 0 }, { 0, 2, 0 }, { 0, 3, 0 }, { 0, 4, 0 },
				     { 0, 0x1c, 0 }, { 0, 0x1f, 0 }, { 0, 0x1f, 2 },
				     { 0, 0x1f, 3 }, { 1, 0, 0 } };
	for (unsigned i = 0; i < pci.count; i++) {
		assert_int_equal(pci.devs[i].bus, bdf[i][0]);
		assert_int_equal(pci.devs[i].dev, bdf[i][1]);
		assert_int_equal(pci.devs[i].fn, bdf[i][2]);
	}
	assert_null(pci_find_bdf(&pci, 0, 0, 4, 1));	/* not multi-function */
	assert_null(pci_find_bdf(&pci, 0, 0, 0x1f, 1));
	assert_null(pci_find_bdf(&pci, 0, 5, 0, 0));	/* unreachable without brute force */
	assert_true(pci_find_bdf(&pci, 0, 0, 0x1f, 0)->multifunction);

	/* the scan left every device as it found it */
	assert_int_equal(fake.bar_write_with_decode, 0);
	assert_int_equal(fake.status_w1c, 0);
	assert_int_equal(cfg_of(0, 2, 0, PCI_COMMAND), 0x20000007);
	assert_int_equal(cfg_of(0, 2, 0, PCI_BAR0), e1000_bar0);
	assert_int_equal(cfg_of(0, 3, 0, PCI_BAR0 + 8), 0x0000000c);
	assert_int_equal(cfg_of(0, 3, 0, PCI_BAR0 + 12), 0x8);
	assert_int_equal(cfg_of(0, 0x1f, 3, PCI_BAR0 + 16), 0x0701);
	assert_false(log_capture_contains("warning"));
}

static void test_bars(void **state)
{
	build_machine();
	pci_reset(&pci);
	pci_scan(&pci, &fake_ops, 0, 0, 255, 0);

	const struct pci_dev *d = pci_find_bdf(&pci, 0, 0, 2, 0);
	assert_non_null(d);
	assert_int_equal(d->vendor, 0x8086);
	assert_int_equal(d->device, 0x100e);
	assert_int_equal(d->class, 0x02);
	assert_int_equal(d->subclass, 0x00);
	assert_int_equal(d->revision, 3);
	assert_int_equal(d->nbars, 6);
	assert_int_equal(d->bar[0].type, PCI_BAR_MEM32);
	assert_int_equal(d->bar[0].base, 0xfebc0000);
	assert_int_equal(d->bar[0].size, 128 << 10);
	assert_false(d->bar[0].prefetch);
	assert_int_equal(d->bar[1].type, PCI_BAR_IO);
	assert_int_equal(d->bar[1].base, 0xc000);
	assert_int_equal(d->bar[1].size, 64);
	for (int i = 2; i < 6; i++)
		assert_int_equal(d->bar[i].type, PCI_BAR_NONE);
	assert_int_equal(d->irq_line, 11);
	assert_int_equal(d->irq_pin, 1);
	assert_int_equal(d->command, 7);
	assert_int_equal(d->cap_msi, 0);

	d = pci_find_bdf(&pci, 0, 0, 3, 0);
	assert_int_equal(d->bar[2].type, PCI_BAR_MEM64);
	assert_int_equal(d->bar[2].base, 0x800000000ull);
	assert_int_equal(d->bar[2].size, GiB(16));
	assert_true(d->bar[2].prefetch);
	assert_int_equal(d->bar[3].type, PCI_BAR_NONE);
	assert_int_equal(d->cap_pcie, 0x40);
	assert_int_equal(d->cap_msi, 0x60);
	assert_int_equal(d->cap_msix, 0x70);
	assert_int_equal(d->cap_pm, 0);
	assert_int_equal(pci_find_cap(&fake_ops, d, PCI_CAP_ID_VNDR, 0), 0x50);
	assert_int_equal(pci_find_cap(&fake_ops, d, PCI_CAP_ID_MSIX, 0x50), 0x70);
	assert_int_equal(pci_find_cap(&fake_ops, d, PCI_CAP_ID_PCIE, 0x40), 0);
	assert_int_equal(pci_find_cap(&fake_ops, d, PCI_CAP_ID_PM, 0), 0);

	d = pci_find_bdf(&pci, 0, 0, 4, 0);
	assert_int_equal(d->bar[0].type, PCI_BAR_MEM32);
	assert_true(d->bar[0].prefetch);
	assert_int_equal(d->bar[0].size, 16 << 20);

	d = pci_find_bdf(&pci, 0, 0, 0x1c, 0);
	assert_int_equal(d->header_type, PCI_HEADER_BRIDGE);
	assert_int_equal(d->nbars, 2);
	assert_int_equal(d->secondary_bus, 1);
	assert_int_equal(d->subordinate_bus, 1);
	assert_int_equal(d->bar[0].size, 4096);
	assert_int_equal(d->cap_pcie, 0x54);
	assert_int_equal(d->cap_msix, 0x48);

	d = pci_find_bdf(&pci, 0, 1, 0, 0);
	assert_int_equal(d->device, 0x10d3);
	assert_int_equal(d->bar[2].type, PCI_BAR_IO);
	assert_int_equal(d->bar[2].size, 32);
	assert_int_equal(d->bar[3].base, 0xfe880000);
	assert_int_equal(d->cap_pm, 0xc8);
	assert_int_equal(d->cap_msi, 0xd0);
	assert_int_equal(d->cap_pcie, 0xe0);
	assert_int_equal(d->cap_msix, 0xa0);

	d = pci_find_bdf(&pci, 0, 0, 0x1f, 3);
	assert_int_equal(d->bar[4].type, PCI_BAR_IO);
	assert_int_equal(d->bar[4].base, 0x700);
	assert_int_equal(d->bar[4].size, 64);
	assert_int_equal(d->command, 3);
}

static void test_find_and_print(void **state)
{
	build_machine();
	pci_reset(&pci);
	pci_scan(&pci, &fake_ops, 0, 0, 255, 0);

	assert_ptr_equal(pci_find_class(&pci, 0x02, 0x00, 0), pci_find_bdf(&pci, 0, 0, 2, 0));
	assert_ptr_equal(pci_find_class(&pci, 0x02, PCI_ANY, 1), pci_find_bdf(&pci, 0, 1, 0, 0));
	assert_null(pci_find_class(&pci, 0x02, PCI_ANY, 2));
	assert_ptr_equal(pci_find_class(&pci, PCI_CLASS_BRIDGE, PCI_SUBCLASS_PCI_BRIDGE, 0),
			 pci_find_bdf(&pci, 0, 0, 0x1c, 0));
	assert_ptr_equal(pci_find_id(&pci, 0x8086, 0x10d3, 0), pci_find_bdf(&pci, 0, 1, 0, 0));
	assert_null(pci_find_id(&pci, 0x8086, 0x10d3, 1));

	assert_string_equal(pci_class_name(0x02, 0x00), "Ethernet");
	assert_string_equal(pci_class_name(0x02, 0x80), "Network");
	assert_string_equal(pci_class_name(0x06, 0x04), "PCI bridge");
	assert_string_equal(pci_class_name(0x0c, 0x05), "SMBus");
	assert_string_equal(pci_class_name(0x01, 0x08), "NVM");
	assert_string_equal(pci_class_name(0x42, 0x00), "unknown");

	log_capture_reset();
	pci_print(&pci);
	assert_true(log_capture_contains("uhv pci: 9 PCI functions (config access: fake)\n"));
	assert_true(log_capture_contains("uhv pci: 00:02.0 8086:100e class 0200 (Ethernet) "
					 "BAR0 mem32 0xfebc0000/128K BAR1 io 0xc000/64 "
					 "irq 11 INTA\n"));
	assert_true(log_capture_contains("00:03.0 1af4:1234 class 0108 (NVM) BAR0 mem32 "
					 "0xfebd4000/16K BAR2 mem64 pref 0x800000000/16G "
					 "irq 10 INTA caps PCIe,MSI,MSI-X\n"));
	assert_true(log_capture_contains("00:04.0 1234:1111 class 0300 (VGA) BAR0 mem32 pref "
					 "0xfd000000/16M\n"));
	assert_true(log_capture_contains("00:1c.0 1b36:000c class 0604 (PCI bridge) BAR0 mem32 "
					 "0xfebd5000/4K bus 01-01 irq 10 INTA caps PCIe,MSI-X\n"));
	assert_true(log_capture_contains("00:00.0 8086:29c0 class 0600 (Host bridge)\n"));
	assert_true(log_capture_contains("01:00.0 8086:10d3 class 0200 (Ethernet)"));

	char small[16];
	int n = pci_format_dev(pci_find_bdf(&pci, 0, 0, 2, 0), small, sizeof(small));
	assert_int_equal(n, 15);
	assert_string_equal(small, "00:02.0 8086:10");
}

static void test_scan_all_buses(void **state)
{
	build_machine();
	pci_reset(&pci);
	assert_int_equal(pci_scan(&pci, &fake_ops, 0, 0, 255, PCI_SCAN_ALL_BUSES), 10);
	assert_non_null(pci_find_bdf(&pci, 0, 5, 0, 0));
	assert_string_equal(pci_class_name(0xff, 0), "Unassigned");

	/* a bus range that excludes bus 1 */
	pci_reset(&pci);
	assert_int_equal(pci_scan(&pci, &fake_ops, 0, 0, 0, 0), 8);
	assert_null(pci_find_bdf(&pci, 0, 1, 0, 0));
	assert_int_equal(pci_scan(&pci, &fake_ops, 0, 1, 0, 0), -EINVAL);
}

static void test_bad_bridges_and_caps(void **state)
{
	build_machine();
	/* a second bridge claiming bus 1 again, and one whose secondary bus is unassigned */
	struct fake_fn *f = add(0, 0x1d, 0, 0x1b36, 0x000c, 0x06040000, 1, 0, 0);
	f->cfg[PCI_PRIMARY_BUS / 4] = 0x00010100;
	f = add(0, 0x1e, 0, 0x1b36, 0x000c, 0x06040000, 1, 0, 0);
	f->cfg[PCI_PRIMARY_BUS / 4] = 0;
	/* a capability list that loops */
	f = add(1, 1, 0, 0x1af4, 0x9999, 0x02000000, 0, 0, 0);
	caps(f, (const u8[][2]){ { 0x40, PCI_CAP_ID_MSI } }, 1);
	f->cfg[0x40 / 4] = 0x4000 | PCI_CAP_ID_MSI;
	/* a 64-bit BAR in the last slot, next to a 64-bit BAR that is fine */
	bar64(f, 3, 0x4, 4096);
	f->cfg[9] = 0x4;
	f->wmask[9] = 0xfffff000;

	pci_reset(&pci);
	log_capture_reset();
	assert_int_equal(pci_scan(&pci, &fake_ops, 0, 0, 255, 0), 12);
	assert_true(log_capture_contains("00:1e.0: bridge has secondary bus 0"));
	assert_true(log_capture_contains("01:01.0: capability list longer than 48 entries"));
	assert_true(log_capture_contains("01:01.0: BAR5 claims 64 bits but is the last BAR"));
	const struct pci_dev *d = pci_find_bdf(&pci, 0, 1, 1, 0);
	assert_int_equal(d->cap_msi, 0x40);
	assert_int_equal(d->bar[3].type, PCI_BAR_MEM64);
	assert_int_equal(d->bar[3].size, 4096);
	assert_int_equal(d->bar[4].type, PCI_BAR_NONE);
	assert_int_equal(d->bar[5].type, PCI_BAR_NONE);
	assert_int_equal(pci_find_cap(&fake_ops, d, PCI_CAP_ID_MSIX, 0), 0);
}

/* More functions than the old fixed table held (1024): the table grows as the scan finds them */
static void test_many_functions(void **state)
{
	static struct pci big;

	/* every slot answers on all 8 function numbers and claims to be multi-function */
	memset(&fake, 0, sizeof(fake));
	for (int d = 0; d < MAX_FAKE; d++)
		add(0, d, 0, 0x1234, 0x5678, 0x02000000, 0x80, 0, 0)->all_fns = true;
	pci_reset(&big);
	log_capture_reset();
	/* results accumulate across calls (e.g. one call per segment or root bus), bus by bus,
	 * MAX_FAKE * 8 functions each: 1280 in all */
	unsigned bus = 0;
	for (; bus < 10; bus++) {
		for (int d = 0; d < MAX_FAKE; d++)
			fake.f[d].bus = (u8)bus;
		assert_int_equal(pci_scan(&big, &fake_ops, 0, (u8)bus, (u8)bus, 0),
				 (bus + 1) * MAX_FAKE * 8);
	}
	assert_int_equal(big.count, 10 * MAX_FAKE * 8);
	assert_true(big.cap >= big.count);
	assert_int_equal(big.overflow, 0);
	assert_int_equal(big.devs[1279].bus, 9);
	assert_int_equal(big.devs[1279].dev, MAX_FAKE - 1);
	assert_int_equal(big.devs[1279].fn, 7);
	assert_false(log_capture_contains("not recorded"));
	pci_reset(&big);
}

/* No memory for more: the scan fails closed and says how many it holds and what to do */
static void test_overflow(void **state)
{
	static struct pci big;

	memset(&fake, 0, sizeof(fake));
	for (int d = 0; d < MAX_FAKE; d++)
		add(0, d, 0, 0x1234, 0x5678, 0x02000000, 0x80, 0, 0)->all_fns = true;
	pci_reset(&big);
	grow_limit = MAX_FAKE * 8;
	log_capture_reset();
	assert_int_equal(pci_scan(&big, &fake_ops, 0, 0, 0, 0), MAX_FAKE * 8);
	for (int d = 0; d < MAX_FAKE; d++)
		fake.f[d].bus = 1;
	assert_int_equal(pci_scan(&big, &fake_ops, 0, 1, 1, 0), -ENOSPC);
	assert_int_equal(big.count, MAX_FAKE * 8);
	assert_int_equal(big.overflow, MAX_FAKE * 8);
	char want[200];
	snprintf(want, sizeof(want), "PCI functions: no memory to record more than %d (%zu bytes "
		 "each), 01:00.0 and later ones not recorded; uhv will not start the guest (boot "
		 "with a larger uhvmem=)", MAX_FAKE * 8, sizeof(struct pci_dev));
	assert_true(log_capture_contains(want));
	/* no grow function at all: nothing is recorded, the scan still fails closed */
	pci_reset(&big);
	big.grow = NULL;
	assert_int_equal(pci_scan(&big, &fake_ops, 0, 1, 1, 0), -ENOSPC);
	assert_int_equal(big.count, 0);
	pci_reset(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumerate),
		cmocka_unit_test(test_bars),
		cmocka_unit_test(test_find_and_print),
		cmocka_unit_test(test_scan_all_buses),
		cmocka_unit_test(test_bad_bridges_and_caps),
		cmocka_unit_test(test_many_functions),
		cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
