// UNIT-SOURCES: acpi/dmar.c acpi/dmar_rmrr.c
/* DMAR parser: tables captured from QEMU (scripts/capture-dmar.py) and
 * hand-built tables for the cases QEMU never produces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/dmar.h>
#include <uhv/errno.h>
#include <uhv/memmap.h>
#include "log_capture.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static u8 *load(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "test/data/dmar/%s", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	u8 *buf = malloc(65536);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

/* A growing table under construction. */
struct tb {
	u8 b[65536];
	size_t n;
	size_t open;	/* offset of the structure being built (its length is patched) */
};

static void put8(struct tb *t, u8 v) { t->b[t->n++] = v; }
static void put16(struct tb *t, u16 v) { put8(t, v & 0xff); put8(t, v >> 8); }
static void put32(struct tb *t, u32 v) { put16(t, v & 0xffff); put16(t, v >> 16); }
static void put64(struct tb *t, u64 v) { put32(t, (u32)v); put32(t, (u32)(v >> 32)); }

static void tb_header(struct tb *t, u8 haw_bits, u8 flags)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, "DMAR", 4);
	t->b[8] = 1;				/* revision */
	memcpy(t->b + 10, "UHVTST", 6);
	t->b[DMAR_OFF_HAW] = haw_bits - 1;
	t->b[DMAR_OFF_FLAGS] = flags;
	t->n = DMAR_HEADER_LEN;
}

static void tb_close(struct tb *t)
{
	if (t->open) {
		u16 len = (u16)(t->n - t->open);
		t->b[t->open + 2] = len & 0xff;
		t->b[t->open + 3] = len >> 8;
		t->open = 0;
	}
}

static void tb_drhd(struct tb *t, u8 flags, u16 seg, u64 base)
{
	tb_close(t);
	t->open = t->n;
	put16(t, DMAR_TYPE_DRHD);
	put16(t, 0);
	put8(t, flags);
	put8(t, 0);
	put16(t, seg);
	put64(t, base);
}

static void tb_rmrr(struct tb *t, u16 seg, u64 base, u64 limit)
{
	tb_close(t);
	t->open = t->n;
	put16(t, DMAR_TYPE_RMRR);
	put16(t, 0);
	put16(t, 0);
	put16(t, seg);
	put64(t, base);
	put64(t, limit);
}

static void tb_atsr(struct tb *t, u8 flags, u16 seg)
{
	tb_close(t);
	t->open = t->n;
	put16(t, DMAR_TYPE_ATSR);
	put16(t, 0);
	put8(t, flags);
	put8(t, 0);
	put16(t, seg);
}

static void tb_rhsa(struct tb *t, u64 base, u32 domain)
{
	tb_close(t);
	t->open = t->n;
	put16(t, DMAR_TYPE_RHSA);
	put16(t, 0);
	put32(t, 0);
	put64(t, base);
	put32(t, domain);
}

static void tb_andd(struct tb *t, u8 devno, const char *name)
{
	tb_close(t);
	t->open = t->n;
	put16(t, DMAR_TYPE_ANDD);
	put16(t, 0);
	put8(t, 0);
	put8(t, 0);
	put8(t, 0);
	put8(t, devno);
	for (const char *c = name; *c; c++)
		put8(t, (u8)*c);
	put8(t, 0);
}

static void tb_raw_struct(struct tb *t, u16 type, size_t body)
{
	tb_close(t);
	t->open = t->n;
	put16(t, type);
	put16(t, 0);
	for (size_t i = 0; i < body; i++)
		put8(t, 0xa5);
}

/* scope with n path elements given as dev,fn,dev,fn,... */
static void tb_scope(struct tb *t, u8 type, u8 enum_id, u8 bus, unsigned n, ...)
{
	va_list ap;
	put8(t, type);
	put8(t, (u8)(DMAR_SCOPE_HDR_LEN + 2 * n));
	put8(t, 0);
	put8(t, 0);
	put8(t, enum_id);
	put8(t, bus);
	va_start(ap, n);
	for (unsigned i = 0; i < 2 * n; i++)
		put8(t, (u8)va_arg(ap, int));
	va_end(ap);
}

static void tb_finish(struct tb *t)
{
	tb_close(t);
	t->b[4] = t->n & 0xff;
	t->b[5] = (t->n >> 8) & 0xff;
	t->b[6] = (t->n >> 16) & 0xff;
	t->b[7] = 0;
	t->b[9] = 0;
	u8 sum = 0;
	for (size_t i = 0; i < t->n; i++)
		sum += t->b[i];
	t->b[9] = (u8)-sum;
}

/* collects what the walk sees */
struct seen {
	unsigned drhd, rmrr, atsr, scopes;
	struct dmar_drhd d[8];
	struct dmar_rmrr r[8];
	struct dmar_atsr a[4];
	int stop_at_drhd;	/* return 42 from this drhd index (-1: never) */
};

static int seen_drhd(void *ctx, const struct dmar_drhd *d)
{
	struct seen *s = ctx;
	struct dmar_scope sc;
	size_t off = 0;
	if (s->drhd < 8)
		s->d[s->drhd] = *d;
	s->drhd++;
	while (dmar_scope_next(d->scopes, d->scopes_len, &off, &sc))
		s->scopes++;
	return (int)d->index == s->stop_at_drhd ? 42 : 0;
}

static int seen_rmrr(void *ctx, const struct dmar_rmrr *r)
{
	struct seen *s = ctx;
	if (s->rmrr < 8)
		s->r[s->rmrr] = *r;
	s->rmrr++;
	return 0;
}

static int seen_atsr(void *ctx, const struct dmar_atsr *a)
{
	struct seen *s = ctx;
	if (s->atsr < 4)
		s->a[s->atsr] = *a;
	s->atsr++;
	return 0;
}

static int walk(const struct dmar_table *t, struct seen *s)
{
	struct dmar_visitor v = { seen_drhd, seen_rmrr, seen_atsr, s };
	return dmar_walk(t, &v);
}

/* A fake PCI topology: a list of bridges with their bus ranges. */
struct fake_bridge { u8 bus, dev, fn, sec, sub; };
struct fake_pci { const struct fake_bridge *br; size_t n; unsigned calls; };

static int fake_bridge_buses(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u8 *sec, u8 *sub)
{
	struct fake_pci *p = ctx;
	p->calls++;
	for (size_t i = 0; i < p->n; i++)
		if (p->br[i].bus == bus && p->br[i].dev == dev && p->br[i].fn == fn) {
			*sec = p->br[i].sec;
			*sub = p->br[i].sub;
			return 0;
		}
	return -ENODEV;
}

#define DEVFN(d, f) ((u8)((d) << 3 | (f)))

/* ---- captured tables ----------------------------------------------------------------------- */

static void test_qemu_default(void **state)
{
	size_t len;
	u8 *buf = load("q35-iommu.bin", &len);
	struct dmar_table t;
	struct seen s = { .stop_at_drhd = -1 };

	log_capture_reset();
	assert_int_equal(dmar_parse(buf, len, &t), 0);
	assert_false(log_capture_contains("warning"));
	assert_int_equal(t.haw, 39);
	assert_int_equal(t.flags, DMAR_FLAG_INTR_REMAP);
	assert_int_equal(t.nr_drhd, 1);
	assert_int_equal(t.nr_rmrr, 0);
	assert_int_equal(t.nr_atsr, 0);
	assert_int_equal(walk(&t, &s), 0);
	assert_int_equal(s.drhd, 1);
	assert_int_equal(s.d[0].base, 0xfed90000);
	assert_int_equal(s.d[0].segment, 0);
	assert_int_equal(s.d[0].flags & DMAR_DRHD_INCLUDE_PCI_ALL, 0);

	/* IOAPIC first, then one endpoint per device present at boot */
	struct dmar_scope sc;
	size_t off = 0;
	assert_true(dmar_scope_next(s.d[0].scopes, s.d[0].scopes_len, &off, &sc));
	assert_int_equal(sc.type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(sc.enum_id, 0);
	assert_int_equal(sc.start_bus, 0xff);
	assert_int_equal(sc.path_len, 1);
	static const u8 expect[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 0x1f, 0 }, { 0x1f, 2 },
					{ 0x1f, 3 } };
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		assert_true(dmar_scope_next(s.d[0].scopes, s.d[0].scopes_len, &off, &sc));
		assert_int_equal(sc.type, DMAR_SCOPE_ENDPOINT);
		assert_int_equal(sc.start_bus, 0);
		assert_int_equal(sc.path_len, 1);
		assert_int_equal(dmar_scope_dev(&sc, 0), expect[i][0]);
		assert_int_equal(dmar_scope_fn(&sc, 0), expect[i][1]);
	}
	assert_false(dmar_scope_next(s.d[0].scopes, s.d[0].scopes_len, &off, &sc));

	/* the e1000 at 00:02.0 is behind unit 0; a hot-added 00:03.0 is behind none */
	struct dmar_drhd u;
	assert_int_equal(dmar_find_unit(&t, 0, 0, DEVFN(2, 0), NULL, &u), 0);
	assert_int_equal(u.base, 0xfed90000);
	assert_int_equal(dmar_find_unit(&t, 0, 0, DEVFN(3, 0), NULL, &u), -ENOENT);
	assert_int_equal(dmar_find_unit(&t, 1, 0, DEVFN(2, 0), NULL, &u), -ENOENT);
	/* the IOAPIC (id 0) by its scope: unit 0, source id ff:00.0 */
	u16 sid = 0;
	assert_int_equal(dmar_find_ioapic(&t, 0, NULL, &u, &sid), 0);
	assert_int_equal(u.base, 0xfed90000);
	assert_int_equal(sid, 0xff00);
	assert_int_equal(dmar_find_ioapic(&t, 1, NULL, &u, &sid), -ENOENT);

	log_capture_reset();
	dmar_print(&t);
	assert_true(log_capture_contains("39-bit DMA addresses, 1 unit(s)"));
	assert_true(log_capture_contains("registers 0xfed90000"));
	assert_true(log_capture_contains("ioapic   id 0  source ff:00.0"));
	assert_true(log_capture_contains("endpoint 00:1f.3"));
	free(buf);
}

static void test_qemu_root_port(void **state)
{
	size_t len;
	u8 *buf = load("q35-iommu-rp.bin", &len);
	struct dmar_table t;
	struct seen s = { .stop_at_drhd = -1 };

	assert_int_equal(dmar_parse(buf, len, &t), 0);
	assert_int_equal(walk(&t, &s), 0);
	struct dmar_scope sc;
	size_t off = 0;
	bool found = false;
	while (dmar_scope_next(s.d[0].scopes, s.d[0].scopes_len, &off, &sc))
		if (sc.type == DMAR_SCOPE_BRIDGE) {
			found = true;
			assert_int_equal(sc.start_bus, 0);
			assert_int_equal(sc.path_len, 1);
			assert_int_equal(dmar_scope_dev(&sc, 0), 0x1c);
			assert_int_equal(dmar_scope_fn(&sc, 0), 0);
		}
	assert_true(found);

	/* the e1000e at 01:00.0 sits below the root port 00:1c.0 (secondary bus 1) */
	static const struct fake_bridge br[] = { { 0, 0x1c, 0, 1, 1 } };
	struct fake_pci fp = { br, ARRAY_SIZE(br), 0 };
	struct dmar_pci_ops ops = { fake_bridge_buses, &fp };
	struct dmar_drhd u;
	assert_int_equal(dmar_find_unit(&t, 0, 1, DEVFN(0, 0), &ops, &u), 0);
	assert_int_equal(u.base, 0xfed90000);
	/* the root port itself is named too */
	assert_int_equal(dmar_find_unit(&t, 0, 0, DEVFN(0x1c, 0), &ops, &u), 0);
	/* bus 2 is not below it */
	assert_int_equal(dmar_find_unit(&t, 0, 2, DEVFN(0, 0), &ops, &u), -ENOENT);
	/* without config-space access the sub-hierarchy cannot be known */
	assert_int_equal(dmar_find_unit(&t, 0, 1, DEVFN(0, 0), NULL, &u), -ENOENT);
	free(buf);
}

static void test_qemu_aw48(void **state)
{
	size_t len;
	u8 *buf = load("q35-iommu-aw48.bin", &len);
	struct dmar_table t;
	assert_int_equal(dmar_parse(buf, len, &t), 0);
	assert_int_equal(t.haw, 48);
	assert_int_equal(t.nr_drhd, 1);
	free(buf);
}

/* ---- hand-built tables ----------------------------------------------------------------------- */

/* Many units and far more scopes than a small fixed array would hold. */
static void test_many_scopes(void **state)
{
	static struct tb t;
	struct dmar_table d;
	struct seen s = { .stop_at_drhd = -1 };

	tb_header(&t, 46, DMAR_FLAG_INTR_REMAP | DMAR_FLAG_X2APIC_OPT_OUT);
	/* unit 0: 8 buses x 32 devices = 256 endpoint scopes, each bus its own... the
	 * DMAR structure length is 16 bits, so 256 * 8 + 16 = 2064 bytes is fine */
	tb_drhd(&t, 0, 0, 0xfed91000);
	for (unsigned bus = 0x80; bus < 0x88; bus++)
		for (unsigned dev = 0; dev < 32; dev++)
			tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, (u8)bus, 1, dev, 0);
	/* units 1..6: one IOAPIC each */
	for (unsigned i = 1; i <= 6; i++) {
		tb_drhd(&t, 0, 0, 0xfed91000 + 0x1000ull * i);
		tb_scope(&t, DMAR_SCOPE_IOAPIC, (u8)(8 + i), 0xf0, 1, 0x1f, (int)i);
	}
	/* unit 7: everything else on segment 0 */
	tb_drhd(&t, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed90000);
	tb_scope(&t, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, 0x1f, 0);
	tb_scope(&t, DMAR_SCOPE_HPET, 0, 0, 1, 0x1f, 0);
	tb_finish(&t);

	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_int_equal(d.haw, 46);
	assert_int_equal(d.nr_drhd, 8);
	assert_int_equal(walk(&d, &s), 0);
	assert_int_equal(s.drhd, 8);
	assert_int_equal(s.scopes, 256 + 6 + 2);
	assert_int_equal(s.d[7].flags, DMAR_DRHD_INCLUDE_PCI_ALL);

	struct dmar_drhd u;
	assert_int_equal(dmar_find_unit(&d, 0, 0x87, DEVFN(31, 0), NULL, &u), 0);
	assert_int_equal(u.index, 0);
	/* function 1 of a listed device is not listed: goes to INCLUDE_PCI_ALL */
	assert_int_equal(dmar_find_unit(&d, 0, 0x87, DEVFN(31, 1), NULL, &u), 0);
	assert_int_equal(u.index, 7);
	assert_int_equal(dmar_find_unit(&d, 0, 0, DEVFN(2, 0), NULL, &u), 0);
	assert_int_equal(u.index, 7);
	assert_int_equal(dmar_find_unit(&d, 1, 0, DEVFN(2, 0), NULL, &u), -ENOENT);
	/* IOAPICs by enumeration id: each in its own unit, source f0:1f.i; INCLUDE_PCI_ALL does
	 * not cover an IOAPIC no scope names */
	u16 sid;
	assert_int_equal(dmar_find_ioapic(&d, 11, NULL, &u, &sid), 0);
	assert_int_equal(u.index, 3);
	assert_int_equal(sid, 0xf0f8 | 3);
	assert_int_equal(dmar_find_ioapic(&d, 2, NULL, &u, &sid), 0);
	assert_int_equal(u.index, 7);
	assert_int_equal(sid, 0xf0f8);
	assert_int_equal(dmar_find_ioapic(&d, 3, NULL, &u, &sid), -ENOENT);

	/* a visitor can stop the walk and its value comes back */
	struct seen s2 = { .stop_at_drhd = 3 };
	assert_int_equal(walk(&d, &s2), 42);
	assert_int_equal(s2.drhd, 4);
}

/* An INCLUDE_PCI_ALL unit listed first must not hide a later unit that names
 * the device explicitly. */
static void test_include_all_first(void **state)
{
	static struct tb t;
	struct dmar_table d;
	struct dmar_drhd u;

	tb_header(&t, 39, 0);
	tb_drhd(&t, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed90000);
	tb_drhd(&t, 0, 0, 0xfed91000);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 2, 0);
	tb_finish(&t);
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_int_equal(dmar_find_unit(&d, 0, 0, DEVFN(2, 0), NULL, &u), 0);
	assert_int_equal(u.base, 0xfed91000);
	assert_int_equal(dmar_find_unit(&d, 0, 0, DEVFN(3, 0), NULL, &u), 0);
	assert_int_equal(u.base, 0xfed90000);
}

/* Multi-element paths through two bridges, bridge scopes and RMRR/ATSR. */
static void test_paths_rmrr_atsr(void **state)
{
	static struct tb t;
	struct dmar_table d;
	struct seen s = { .stop_at_drhd = -1 };

	tb_header(&t, 39, 0);
	tb_drhd(&t, 0, 0, 0xfed90000);
	/* endpoint 00:1c.0 -> bus 2, 02:00.0 -> bus 3, device 03:00.1 */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 3, 0x1c, 0, 0, 0, 0, 1);
	/* a whole sub-hierarchy behind 00:1d.0 (buses 5..9) */
	tb_scope(&t, DMAR_SCOPE_BRIDGE, 0, 0, 1, 0x1d, 0);
	tb_rmrr(&t, 0, 0x7e000000, 0x7e0fffff);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x14, 0);	/* USB */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x1a, 0);
	tb_rmrr(&t, 0, 0x7f000000, 0x7f7fffff);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x02, 0);	/* IGD */
	tb_atsr(&t, 0, 0);
	tb_scope(&t, DMAR_SCOPE_BRIDGE, 0, 0, 1, 0x1c, 0);
	tb_rhsa(&t, 0xfed90000, 0);
	tb_andd(&t, 1, "\\_SB.PCI0.UA00");
	tb_raw_struct(&t, 0x77, 12);		/* a future type: skipped */
	tb_finish(&t);

	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_false(log_capture_contains("warning"));
	assert_int_equal(d.nr_drhd, 1);
	assert_int_equal(d.nr_rmrr, 2);
	assert_int_equal(d.nr_atsr, 1);
	assert_int_equal(d.nr_other, 3);
	assert_int_equal(walk(&d, &s), 0);
	assert_int_equal(s.rmrr, 2);
	assert_int_equal(s.r[0].base, 0x7e000000);
	assert_int_equal(s.r[0].limit, 0x7e0fffff);
	assert_int_equal(s.r[1].index, 1);
	assert_int_equal(s.atsr, 1);
	assert_int_equal(s.a[0].flags, 0);

	static const struct fake_bridge br[] = {
		{ 0, 0x1c, 0, 2, 3 }, { 2, 0, 0, 3, 3 }, { 0, 0x1d, 0, 5, 9 },
	};
	struct fake_pci fp = { br, ARRAY_SIZE(br), 0 };
	struct dmar_pci_ops ops = { fake_bridge_buses, &fp };

	struct dmar_scope sc;
	struct dmar_scope_target tg;
	size_t off = 0;
	assert_true(dmar_scope_next(s.d[0].scopes, s.d[0].scopes_len, &off, &sc));
	assert_int_equal(sc.path_len, 3);
	assert_int_equal(dmar_scope_resolve(0, &sc, &ops, &tg), 0);
	assert_int_equal(tg.bus, 3);
	assert_int_equal(tg.devfn, DEVFN(0, 1));
	assert_false(tg.has_range);
	/* a path through a missing bridge cannot be resolved */
	assert_int_equal(dmar_scope_resolve(0, &sc, NULL, &tg), -ENODEV);
	assert_true(dmar_scope_next(s.d[0].scopes, s.d[0].scopes_len, &off, &sc));
	assert_int_equal(dmar_scope_resolve(0, &sc, &ops, &tg), 0);
	assert_true(tg.has_range);
	assert_int_equal(tg.sec_bus, 5);
	assert_int_equal(tg.sub_bus, 9);

	struct dmar_drhd u;
	assert_int_equal(dmar_find_unit(&d, 0, 3, DEVFN(0, 1), &ops, &u), 0);
	assert_int_equal(dmar_find_unit(&d, 0, 3, DEVFN(0, 0), &ops, &u), -ENOENT);
	assert_int_equal(dmar_find_unit(&d, 0, 7, DEVFN(4, 2), &ops, &u), 0);
	assert_int_equal(dmar_find_unit(&d, 0, 10, DEVFN(0, 0), &ops, &u), -ENOENT);

	/* RMRR scopes name their devices */
	assert_true(dmar_scopes_match(0, s.r[0].scopes, s.r[0].scopes_len, 0, DEVFN(0x1a, 0), NULL));
	assert_false(dmar_scopes_match(0, s.r[0].scopes, s.r[0].scopes_len, 0, DEVFN(2, 0), NULL));

	log_capture_reset();
	dmar_print(&d);
	assert_true(log_capture_contains("endpoint 00:1c.0/00.0/00.1"));
	assert_true(log_capture_contains("bridge   00:1d.0"));
	assert_true(log_capture_contains("reserved region 1: [0x7f000000, 0x7f7fffff]"));
	assert_true(log_capture_contains("ATS root ports"));
}

/* ---- broken tables: a clear error, never a crash ------------------------------------------------ */

static void build_small(struct tb *t)
{
	tb_header(t, 39, 0);
	tb_drhd(t, 0, 0, 0xfed90000);
	tb_scope(t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 2, 0);
	tb_scope(t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 3, 0);
	tb_finish(t);
}

static void test_truncated_buffer(void **state)
{
	static struct tb t;
	struct dmar_table d;
	build_small(&t);

	/* every prefix of the table fails cleanly (the header says it is longer) */
	for (size_t n = 0; n < t.n; n++) {
		log_capture_reset();
		assert_int_equal(dmar_parse(t.b, n, &d), -EINVAL);
		assert_true(log_capture_contains("ERROR"));
	}
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_int_equal(dmar_parse(NULL, 100, &d), -EINVAL);
}

static void test_truncated_structures(void **state)
{
	static struct tb t;
	struct dmar_table d;

	/* header length cut inside the second scope: structure runs past the end */
	build_small(&t);
	t.b[4] = (u8)(t.n - 3);
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);
	assert_true(log_capture_contains("runs past the end of the table"));

	/* structure length shorter than a DRHD's fixed part */
	build_small(&t);
	t.b[DMAR_HEADER_LEN + 2] = 12;
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);
	assert_true(log_capture_contains("DRHD at table offset 48: length 12"));

	/* structure length 0 would loop forever */
	build_small(&t);
	t.b[DMAR_HEADER_LEN + 2] = 0;
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);

	/* scope length not 6 + 2n */
	build_small(&t);
	t.b[DMAR_HEADER_LEN + 16 + 1] = 7;
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);
	assert_true(log_capture_contains("invalid length 7"));

	/* scope with an empty path */
	build_small(&t);
	t.b[DMAR_HEADER_LEN + 16 + 1] = 6;
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);

	/* last scope longer than what is left of its structure */
	build_small(&t);
	t.b[DMAR_HEADER_LEN + 16 + 8 + 1] = 10;
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);
	assert_true(log_capture_contains("device scope 1 (length 10) runs past"));

	/* 3 stray bytes after the last structure */
	build_small(&t);
	t.n += 3;
	tb_finish(&t);
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);
	assert_true(log_capture_contains("stray"));
}

static void test_bad_contents(void **state)
{
	static struct tb t;
	struct dmar_table d;

	/* wrong signature */
	build_small(&t);
	memcpy(t.b, "APIC", 4);
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);

	/* register base 0 */
	tb_header(&t, 39, 0);
	tb_drhd(&t, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0);
	tb_finish(&t);
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);
	assert_true(log_capture_contains("not a page address"));

	/* RMRR with limit below base */
	tb_header(&t, 39, 0);
	tb_rmrr(&t, 0, 0x2000, 0x1000);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 2, 0);
	tb_finish(&t);
	assert_int_equal(dmar_parse(t.b, t.n, &d), -EINVAL);

	/* unaligned RMRR: accepted with a warning */
	tb_header(&t, 39, 0);
	tb_rmrr(&t, 0, 0x1800, 0x27ff);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 2, 0);
	tb_finish(&t);
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_true(log_capture_contains("not page aligned"));

	/* bad checksum: warning only */
	build_small(&t);
	t.b[9] ^= 0x55;
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_true(log_capture_contains("checksum"));

	/* unknown scope type: warned about and skipped by the iterator */
	tb_header(&t, 39, 0);
	tb_drhd(&t, 0, 0, 0xfed90000);
	tb_scope(&t, 0x42, 0, 0, 1, 2, 0);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 3, 0);
	tb_finish(&t);
	log_capture_reset();
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_true(log_capture_contains("unknown type 66"));
	struct seen s = { .stop_at_drhd = -1 };
	walk(&d, &s);
	assert_int_equal(s.scopes, 1);

	/* a table with no units at all is valid (and means: nothing to do) */
	tb_header(&t, 39, 0);
	tb_finish(&t);
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);
	assert_int_equal(d.nr_drhd, 0);
}

/* An RMRR over uhv's memory is refused, whatever its scope (issue 14, item 8c); one next to it
 * is mapped page-aligned. */
static void test_rmrr_over_uhv(void **state)
{
	struct memmap_range r[] = {
		{ .base = 0x100000, .end = 0x800000, .type = MEMMAP_AVAILABLE },
		{ .base = 0x800000, .end = 0xa00000, .type = MEMMAP_HV_IMAGE },
		{ .base = 0xa00000, .end = 0xc00000, .type = MEMMAP_HV_POOL },
		{ .base = 0xc00000, .end = 0xd00000, .type = MEMMAP_RESERVED },
	};
	struct memmap map = { .r = r, .n = ARRAY_SIZE(r), .cap = ARRAY_SIZE(r) };
	struct dmar_rmrr rm = { .base = 0xc00100, .limit = 0xc01fff };
	paddr_t lo, hi;

	(void)state;
	assert_int_equal(dmar_rmrr_pages(&rm, &map, &lo, &hi), 0);
	assert_int_equal(lo, 0xc00000);
	assert_int_equal(hi, 0xc02000);
	rm = (struct dmar_rmrr){ .base = 0x9ff000, .limit = 0x9fffff };	/* uhv's image */
	assert_int_equal(dmar_rmrr_pages(&rm, &map, &lo, &hi), -EPERM);
	rm = (struct dmar_rmrr){ .base = 0x7ff000, .limit = 0x800fff };	/* straddles it */
	assert_int_equal(dmar_rmrr_pages(&rm, &map, &lo, &hi), -EPERM);
	rm = (struct dmar_rmrr){ .base = 0xbff800, .limit = 0xbff900 };	/* pool, unaligned */
	assert_int_equal(dmar_rmrr_pages(&rm, &map, &lo, &hi), -EPERM);
	rm = (struct dmar_rmrr){ .base = 0x200000, .limit = 0x1fffff };	/* inverted */
	assert_int_equal(dmar_rmrr_pages(&rm, &map, &lo, &hi), -EINVAL);
}

/* ---- RMRRs per device (issue 17 item 4): each device gets the regions that name it, no other;
 * a device with a region over uhv gets none ---------------------------------------------------- */

struct rmrr_seen { unsigned n; u16 rid[8]; paddr_t lo[8], hi[8]; unsigned idx[8]; };

static int seen_dev(void *ctx, u16 seg, u8 bus, u8 devfn)
{
	struct rmrr_seen *s = ctx;
	s->rid[s->n++] = (u16)(bus << 8 | devfn);
	return 0;
}

static int seen_region(void *ctx, const struct dmar_rmrr *r, paddr_t lo, paddr_t hi)
{
	struct rmrr_seen *s = ctx;
	s->idx[s->n] = r->index;
	s->lo[s->n] = lo;
	s->hi[s->n++] = hi;
	return 0;
}

static void test_rmrr_per_device(void **state)
{
	static struct tb t;
	struct dmar_table d;
	struct memmap_range mr[] = {
		{ .base = 0x100000, .end = 0x800000, .type = MEMMAP_AVAILABLE },
		{ .base = 0x800000, .end = 0xa00000, .type = MEMMAP_HV_IMAGE },
		{ .base = 0xa00000, .end = 0xc00000, .type = MEMMAP_HV_POOL },
	};
	struct memmap map = { .r = mr, .n = ARRAY_SIZE(mr), .cap = ARRAY_SIZE(mr) };
	static const struct fake_bridge br[] = { { 0, 0x1c, 0, 2, 3 } };
	struct fake_pci fp = { br, ARRAY_SIZE(br), 0 };
	struct dmar_pci_ops ops = { fake_bridge_buses, &fp };

	(void)state;
	tb_header(&t, 39, 0);
	tb_drhd(&t, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed90000);
	tb_rmrr(&t, 0, 0x7c000000, 0x7c01ffff);				/* 0: USB, 00:14.0 */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x14, 0);
	tb_rmrr(&t, 0, 0x7d000000, 0x7fffffff);				/* 1: IGD, 00:02.0 */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x02, 0);
	tb_rmrr(&t, 0, 0xe8000, 0xeffff);				/* 2: USB again + 02:00.0 */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x14, 0);
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 2, 0x1c, 0, 0, 0);
	tb_rmrr(&t, 0, 0x9ff000, 0x9fffff);				/* 3: 00:1a.0, over uhv */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x1a, 0);
	tb_rmrr(&t, 0, 0x7e000000, 0x7e0fffff);				/* 4: 00:1a.0, fine */
	tb_scope(&t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, 0x1a, 0);
	tb_finish(&t);
	assert_int_equal(dmar_parse(t.b, t.n, &d), 0);

	/* every named device once, in table order */
	struct rmrr_seen s = { 0 };
	assert_int_equal(dmar_rmrr_devices(&d, &ops, seen_dev, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.rid[0], DEVFN(0x14, 0));
	assert_int_equal(s.rid[1], DEVFN(0x02, 0));
	assert_int_equal(s.rid[2], 0x200);
	assert_int_equal(s.rid[3], DEVFN(0x1a, 0));

	/* USB: its two regions, not the IGD's */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dmar_rmrr_regions(&d, 0, 0, DEVFN(0x14, 0), &ops, &map, seen_region, &s,
					   NULL), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.idx[0], 0);
	assert_int_equal(s.lo[0], 0x7c000000);
	assert_int_equal(s.hi[0], 0x7c020000);
	assert_int_equal(s.idx[1], 2);
	assert_int_equal(s.lo[1], 0xe8000);
	assert_int_equal(s.hi[1], 0xf0000);
	/* IGD: only its own */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dmar_rmrr_regions(&d, 0, 0, DEVFN(0x02, 0), &ops, &map, seen_region, &s,
					   NULL), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.idx[0], 1);
	/* behind the root port (path 1c.0/00.0): region 2 only */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dmar_rmrr_regions(&d, 0, 2, 0, &ops, &map, seen_region, &s, NULL), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.idx[0], 2);
	/* a device no RMRR names: nothing; another segment: nothing */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dmar_rmrr_regions(&d, 0, 0, DEVFN(0x1f, 0), &ops, &map, seen_region, &s,
					   NULL), 0);
	assert_int_equal(dmar_rmrr_regions(&d, 1, 0, DEVFN(0x14, 0), &ops, &map, seen_region, &s,
					   NULL), 0);
	assert_int_equal(s.n, 0);
	/* 00:1a.0: one region over uhv's image -> refused, none mapped (not even region 4) */
	struct dmar_rmrr bad;
	assert_int_equal(dmar_rmrr_regions(&d, 0, 0, DEVFN(0x1a, 0), &ops, &map, seen_region, &s,
					   &bad), -EPERM);
	assert_int_equal(s.n, 0);
	assert_int_equal(bad.index, 3);
	assert_int_equal(bad.base, 0x9ff000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_default),
		cmocka_unit_test(test_rmrr_over_uhv),
		cmocka_unit_test(test_rmrr_per_device),
		cmocka_unit_test(test_qemu_root_port),
		cmocka_unit_test(test_qemu_aw48),
		cmocka_unit_test(test_many_scopes),
		cmocka_unit_test(test_include_all_first),
		cmocka_unit_test(test_paths_rmrr_atsr),
		cmocka_unit_test(test_truncated_buffer),
		cmocka_unit_test(test_truncated_structures),
		cmocka_unit_test(test_bad_contents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
