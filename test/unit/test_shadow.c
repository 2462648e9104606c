// UNIT-SOURCES: mm/shadow.c mm/gwalk.c mm/ptab.c mm/ptab_x86.c
/* Shadow MMU core: hidden faults filled, true faults reported with the
 * guest's error code, dirty tracking through read-only leaves, INVLPG, the
 * CR3 root cache, PAE shadows for 32-bit / PAE / paging-off guests, and a
 * fuzz test that every shadow leaf stays inside guest RAM or allowed MMIO.
 *
 * Guest RAM: gpa [0, 32M) at hpa 4G + gpa (2 MiB aligned in host memory) and
 * gpa [64M, 68M) at hpa 8G + 4K + (gpa - 64M) (not 2 MiB aligned: 4 KiB
 * leaves only). Pass-through MMIO: gpa [0xfebf0000, 0xfec00000) at the same
 * hpa. Shadow tables: an arena at fake physical 1 GiB (below 4 GiB). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/shadow.h>
#include <uhv/ptab_x86.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include "arena.h"
#include "log_capture.h"

/* ---- guest memory ------------------------------------------------------------- */

#define RAM_A_SIZE	MiB(32)
#define RAM_A_HPA	GiB(4)
#define RAM_B_GPA	MiB(64)
#define RAM_B_SIZE	MiB(4)
#define RAM_B_HPA	(GiB(8) + KiB(4))
#define MMIO_GPA	0xfebf0000ULL
#define MMIO_SIZE	KiB(64)
#define GPT_BASE	MiB(1)		/* guest page tables are built from here */

static u8 *ram_a, *ram_b;
static u64 gpt_next;

/* [x, x+len) inside [base, base+size) */
static bool inside(u64 x, u64 len, u64 base, u64 size)
{
	return x >= base && x - base < size && len <= size - (x - base);
}

static void *gptr(u64 gpa, u64 len)
{
	if (gpa < RAM_A_SIZE && len <= RAM_A_SIZE - gpa)
		return ram_a + gpa;
	if (inside(gpa, len, RAM_B_GPA, RAM_B_SIZE))
		return ram_b + (gpa - RAM_B_GPA);
	return NULL;
}

static int s_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	void *p = gptr(gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int s_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	void *p = gptr(gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

static int s_ram_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	if (gpa < RAM_A_SIZE && len <= RAM_A_SIZE - gpa) {
		*hpa = RAM_A_HPA + gpa;
		return 0;
	}
	if (inside(gpa, len, RAM_B_GPA, RAM_B_SIZE)) {
		*hpa = RAM_B_HPA + (gpa - RAM_B_GPA);
		return 0;
	}
	return -ENOENT;
}

static int s_mmio_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	if (inside(gpa, len, MMIO_GPA, MMIO_SIZE)) {
		*hpa = gpa;
		return 0;
	}
	return -ENOENT;
}

static u64 gget64(u64 gpa) { u64 v; memcpy(&v, gptr(gpa, 8), 8); return v; }
static void gset64(u64 gpa, u64 v) { memcpy(gptr(gpa, 8), &v, 8); }
static u32 gget32(u64 gpa) { u32 v; memcpy(&v, gptr(gpa, 4), 4); return v; }
static void gset32(u64 gpa, u32 v) { memcpy(gptr(gpa, 4), &v, 4); }

static u64 gpt_alloc(void)
{
	u64 p = gpt_next;

	gpt_next += PAGE_SIZE;
	assert_true(gpt_next <= MiB(8));
	memset(gptr(p, PAGE_SIZE), 0, PAGE_SIZE);
	return p;
}

#define P	PTE_P
#define RW	PTE_RW
#define US	PTE_US
#define PS	PTE_PS
#define NX	PTE_NX
#define URW	(P | RW | US)

/* guest 4-level mapping of la -> gpa at level (0: 4K, 1: 2M, 2: 1G) */
static void gmap4(u64 cr3, u64 la, u64 gpa, u64 flags, unsigned level)
{
	u64 table = cr3 & PTE_ADDR_4K;

	for (unsigned l = 3; l > level; l--) {
		u64 ea = table + ((la >> (12 + 9 * l)) & 511) * 8;
		u64 e = gget64(ea);

		if (!(e & P)) {
			e = gpt_alloc() | URW;
			gset64(ea, e);
		}
		table = e & PTE_ADDR_4K;
	}
	gset64(table + ((la >> (12 + 9 * level)) & 511) * 8, gpa | flags | (level ? PS : 0));
}

/* guest 32-bit mapping: 4K, or 4M with large */
static void gmap32(u64 cr3, u64 la, u64 gpa, u32 flags, bool large)
{
	u64 pde = (cr3 & 0xfffff000) + ((la >> 22) & 1023) * 4;
	u32 e = gget32(pde);

	if (large) {
		gset32(pde, (u32)gpa | flags | PS);
		return;
	}
	if (!(e & P)) {
		e = (u32)gpt_alloc() | URW;
		gset32(pde, e);
	}
	gset32((e & 0xfffff000) + ((la >> 12) & 1023) * 4, (u32)gpa | flags);
}

/* guest PAE mapping below the PDPT at pdpt */
static void gmap_pae(u64 pdpt, u64 la, u64 gpa, u64 flags, bool large)
{
	u64 pdpte = pdpt + ((la >> 30) & 3) * 8;
	u64 e = gget64(pdpte), pde;

	if (!(e & P)) {
		e = gpt_alloc() | P;
		gset64(pdpte, e);
	}
	pde = (e & PTE_ADDR_4K) + ((la >> 21) & 511) * 8;
	if (large) {
		gset64(pde, gpa | flags | PS);
		return;
	}
	e = gget64(pde);
	if (!(e & P)) {
		e = gpt_alloc() | URW;
		gset64(pde, e);
	}
	gset64((e & PTE_ADDR_4K) + ((la >> 12) & 511) * 8, gpa | flags);
}

/* ---- shadow table memory ------------------------------------------------------------ */

#define ARENA_PA	GiB(1)
#define ARENA_PAGES	8192

static struct arena *arena;

static struct shadow_ops sops = {
	.read_gpa = s_read, .write_gpa = s_write, .ram_hpa = s_ram_hpa, .mmio_hpa = s_mmio_hpa,
	.host_1g = true,	/* .mem: the arena, set by setup */
};

static int setup(void **state)
{
	ram_a = calloc(1, RAM_A_SIZE);
	ram_b = calloc(1, RAM_B_SIZE);
	arena = arena_new(ARENA_PA, ARENA_PAGES, ARENA_FREE);
	sops.mem = &arena->mem;
	gpt_next = GPT_BASE;
	sops.host_1g = true;
	sops.mmio_hpa = s_mmio_hpa;
	log_capture_reset();
	return ram_a && ram_b ? 0 : -1;
}

static int teardown(void **state)
{
	free(ram_a);
	free(ram_b);
	arena_del(arena);
	return 0;
}

/* ---- modes and helpers -------------------------------------------------------------- */

static struct gwalk_mode m4(u64 cr3)
{
	return (struct gwalk_mode){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3,
				    .cr4 = CR4_PAE | CR4_PGE,
				    .efer = EFER_LME | EFER_LMA | EFER_NXE, .maxphyaddr = 46,
				    .pdpe1gb = true };
}

static struct gwalk_mode m32(u64 cr3)
{
	return (struct gwalk_mode){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3, .cr4 = CR4_PSE,
				    .maxphyaddr = 40 };
}

static struct gwalk_mode mpae(u64 cr3)
{
	struct gwalk_mode m = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3, .cr4 = CR4_PAE,
				.efer = EFER_NXE, .maxphyaddr = 40 };
	struct gwalk_ops g = { .read_gpa = s_read };

	assert_int_equal(gwalk_load_pdptes(&g, cr3, m.maxphyaddr, m.pdpte), 0);
	return m;
}

static int fill(struct shadow *sh, u64 la, u32 pfec, unsigned cpl, struct shadow_fault *f)
{
	return shadow_fill(sh, la, pfec, gwalk_access_from_pfec(pfec, cpl, false), f);
}

static void expect_filled(struct shadow *sh, u64 la, u32 pfec, unsigned cpl)
{
	struct shadow_fault f;
	int r = fill(sh, la, pfec, cpl, &f);

	if (r != SHADOW_FILLED)
		fail_msg("fill la %#llx pfec %#x: %d (error code %#x)", la,
			 pfec, r, f.error_code);
}

static void expect_leaf(struct shadow *sh, u64 la, paddr_t hpa, u64 perm, unsigned level)
{
	paddr_t got;
	u64 attrs;
	unsigned lvl;

	if (shadow_lookup(sh, la, &got, &attrs, &lvl))
		fail_msg("la %#llx: no shadow leaf", la);
	assert_int_equal(got, hpa);
	assert_int_equal(attrs & (RW | US | NX), perm);
	assert_int_equal(lvl, level);
}

static void expect_none(struct shadow *sh, u64 la)
{
	assert_int_equal(shadow_lookup(sh, la, NULL, NULL, NULL), -ENOENT);
}

/* tables in use = the roots' tables (nothing leaked) */
static size_t tables_in_use(const struct shadow *sh)
{
	size_t n = 0;

	for (unsigned i = 0; i < sh->max_roots; i++)
		if (sh->roots[i].used)
			n += ptab_table_count(&sh->roots[i].pt);
	return n;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_hidden_fault_and_dirty(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0x00007fff12345000ULL, pte;
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;
	u64 attrs;

	gmap4(cr3, la, 0x200000, URW, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	assert_int_equal(root, sh.cur->pt.root);
	expect_none(&sh, la);
	/* user read: mapped read-only (D clear), user, executable */
	assert_int_equal(fill(&sh, la + 0x10, PFEC_U, 3, &f), SHADOW_FILLED);
	expect_leaf(&sh, la + 0x10, RAM_A_HPA + 0x200010, US, 0);
	pte = gget64(f.walk.leaf_gpa);
	assert_int_equal(pte, 0x200000 | URW | PTE_A);
	/* the first write faults in hardware (read-only leaf) and sets D */
	assert_int_equal(fill(&sh, la, PFEC_P | PFEC_W | PFEC_U, 3, &f), SHADOW_FILLED);
	assert_int_equal(f.walk.gpa, 0x200000);
	expect_leaf(&sh, la, RAM_A_HPA + 0x200000, RW | US, 0);
	assert_true(gget64(f.walk.leaf_gpa) & PTE_D);
	/* the shadow presets A and D: the processor never writes shadow entries */
	assert_int_equal(shadow_lookup(&sh, la, NULL, &attrs, NULL), 0);
	assert_int_equal(attrs & (PTE_A | PTE_D), PTE_A | PTE_D);
	/* the same fault again with the shadow unchanged: it is the
	 * processor's own verdict and goes to the guest */
	assert_int_equal(fill(&sh, la, PFEC_P | PFEC_W | PFEC_U, 3, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_W | PFEC_U);
	assert_int_equal(f.cr2, la);
	assert_int_equal(sh.stats.reflects, 1);
	/* a read of a page whose D is already set maps it writable at once */
	gmap4(cr3, la + PAGE_SIZE, 0x201000, URW | PTE_D | NX, 0);
	expect_filled(&sh, la + PAGE_SIZE, 0, 0);
	expect_leaf(&sh, la + PAGE_SIZE, RAM_A_HPA + 0x201000, RW | US | NX, 0);
	assert_int_equal(sh.stats.fills, 3);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_true_faults(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0xffffffff80000000ULL;
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;

	gmap4(cr3, la, 0x300000, P | RW | PTE_A | PTE_D, 0);	/* supervisor page */
	gmap4(cr3, la + PAGE_SIZE, 0x301000, P | US | NX, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	/* not present */
	assert_int_equal(fill(&sh, la + 2 * PAGE_SIZE, PFEC_W, 0, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_W);
	assert_int_equal(f.cr2, la + 2 * PAGE_SIZE);
	/* user access to a supervisor page */
	assert_int_equal(fill(&sh, la + 8, PFEC_U, 3, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_U);
	assert_int_equal(f.cr2, la + 8);
	/* user write to a read-only page; fetch from an XD page */
	assert_int_equal(fill(&sh, la + PAGE_SIZE, PFEC_U | PFEC_W, 3, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_U | PFEC_W);
	assert_int_equal(fill(&sh, la + PAGE_SIZE, PFEC_U | PFEC_ID, 3, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_U | PFEC_ID);
	/* reserved bit: the processor's own error code never has RSVD (shadow
	 * entries have none), the guest's does */
	gmap4(cr3, la + 3 * PAGE_SIZE, 0x302000 | BIT(50), URW, 0);
	assert_int_equal(fill(&sh, la + 3 * PAGE_SIZE, 0, 0, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_RSVD);
	/* nothing was mapped, nothing was marked accessed */
	expect_none(&sh, la);
	expect_none(&sh, la + PAGE_SIZE);
	assert_int_equal(sh.stats.injects, 5);
	assert_int_equal(sh.stats.fills, 0);
	/* the guest's tables outside RAM */
	gset64(cr3, 0x7f000000 | URW);
	assert_int_equal(fill(&sh, 0x1000, 0, 0, &f), -EIO);
	assert_int_equal(f.gpa, 0x7f000000);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_large_pages(void **state)
{
	u64 cr3 = gpt_alloc();
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;

	gmap4(cr3, 0x40000000, 0x400000, URW | PTE_D, 1);		/* 2M in RAM A */
	gmap4(cr3, 0x80000000, 0, URW | PTE_D, 2);		/* 1G over RAM A and more */
	gmap4(cr3, 0x40200000, RAM_B_GPA, URW | PTE_D, 1);		/* 2M in RAM B */
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0x40012345, PFEC_W, 0);
	expect_leaf(&sh, 0x40000000, RAM_A_HPA + 0x400000, RW | US, 1);
	/* only 32M of the 1G guest page is RAM: 2M leaves there, none beyond */
	expect_filled(&sh, 0x80600000 + 0x1234, 0, 0);
	expect_leaf(&sh, 0x80600000, RAM_A_HPA + 0x600000, RW | US, 1);
	assert_int_equal(fill(&sh, 0x80000000 + MiB(40), 0, 0, &f), SHADOW_MMIO);
	assert_int_equal(f.gpa, MiB(40));
	expect_none(&sh, 0x80000000 + MiB(40));
	/* RAM B is not 2 MiB aligned in host memory: 4K leaves */
	expect_filled(&sh, 0x40200000 + 0x3456, 0, 0);
	expect_leaf(&sh, 0x40203000, RAM_B_HPA + 0x3000, RW | US, 0);
	expect_none(&sh, 0x40204000);
	/* without host 1 GiB pages the shadow stops at 2 MiB */
	shadow_destroy(&sh);
	sops.host_1g = false;
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	assert_int_equal(sh.cur->pt.max_leaf_level, 1);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_mmio(void **state)
{
	u64 cr3 = gpt_alloc();
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;
	u64 attrs;

	gmap4(cr3, 0x10000000, MMIO_GPA + 0x2000, URW | PTE_D | PTE_PAT, 0);
	gmap4(cr3, 0x10001000, 0xfee00000, URW | PTE_D, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0x10000004, PFEC_W, 0);
	expect_leaf(&sh, 0x10000000, MMIO_GPA + 0x2000, RW | US, 0);
	assert_int_equal(shadow_lookup(&sh, 0x10000000, NULL, &attrs, NULL), 0);
	assert_int_equal(attrs & (PTE_PCD | PTE_PWT | PTE_PAT), PTE_PCD | PTE_PWT);	/* UC */
	assert_int_equal(fill(&sh, 0x10001030, PFEC_W, 0, &f), SHADOW_MMIO);
	assert_int_equal(f.gpa, 0xfee00030);
	assert_int_equal(f.walk.gpa, 0xfee00030);
	assert_int_equal(sh.stats.mmio, 1);
	expect_none(&sh, 0x10001000);
	/* without an MMIO callback nothing is mapped directly */
	sops.mmio_hpa = NULL;
	shadow_invlpg(&sh, 0x10000000);
	assert_int_equal(fill(&sh, 0x10000000, PFEC_W, 0, &f), SHADOW_MMIO);
	expect_none(&sh, 0x10000000);
	shadow_destroy(&sh);
}

static void test_invlpg(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0x7000000000ULL;
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	paddr_t root;
	size_t tables;

	for (unsigned i = 0; i < 3; i++) {
		gmap4(cr3, la + i * PAGE_SIZE, 0x500000 + i * PAGE_SIZE, URW, 0);
	}
	gmap4(cr3, la + MiB(2), 0x600000, URW, 1);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	for (unsigned i = 0; i < 3; i++)
		expect_filled(&sh, la + i * PAGE_SIZE, 0, 0);
	expect_filled(&sh, la + MiB(2), 0, 0);
	tables = tables_in_use(&sh);
	assert_int_equal(arena->in_use, tables);
	shadow_invlpg(&sh, la + PAGE_SIZE + 0x123);
	expect_leaf(&sh, la, RAM_A_HPA + 0x500000, US, 0);
	expect_none(&sh, la + PAGE_SIZE);
	expect_leaf(&sh, la + 2 * PAGE_SIZE, RAM_A_HPA + 0x502000, US, 0);
	expect_leaf(&sh, la + MiB(2), RAM_A_HPA + 0x600000, US, 1);
	assert_int_equal(tables_in_use(&sh), tables);
	/* INVLPG anywhere in a large page drops it */
	shadow_invlpg(&sh, la + MiB(3));
	expect_none(&sh, la + MiB(2));
	expect_leaf(&sh, la, RAM_A_HPA + 0x500000, US, 0);
	/* INVLPG of an unmapped address changes nothing */
	shadow_invlpg(&sh, 0x1234000);
	expect_leaf(&sh, la + 2 * PAGE_SIZE, RAM_A_HPA + 0x502000, US, 0);
	/* the guest changed its PTE and invalidated: the new mapping shows */
	gmap4(cr3, la, 0x700000, URW, 0);
	shadow_invlpg(&sh, la);
	expect_filled(&sh, la, 0, 0);
	expect_leaf(&sh, la, RAM_A_HPA + 0x700000, US, 0);
	assert_int_equal(sh.stats.invlpgs, 4);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* Issue 18: a guest 2 MiB / 4 MiB page that no single host leaf backs (RAM not
 * 2 MiB-aligned in host memory, pass-through MMIO) is shadowed by 4 KiB
 * leaves. INVLPG of any address in the guest page must drop all of them,
 * also those at other offsets than the INVLPG address, and also when the
 * guest's entry no longer maps a large page (SDM: INVLPG invalidates every
 * TLB entry for the page containing the address, whatever its size). */
static void test_invlpg_splintered_large(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0x7000000000ULL, mla = 0x7040000000ULL;
	u64 end = la + MiB(2) - PAGE_SIZE, mend = mla + (MMIO_GPA - 0xfea00000ULL);
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	paddr_t root;

	gmap4(cr3, la, RAM_B_GPA, URW | PTE_D, 1);	/* host-unaligned RAM */
	gmap4(cr3, mla, 0xfea00000ULL, URW | PTE_D, 1);	/* over the MMIO range */
	gmap4(cr3, la + MiB(4), 0x300000, URW | PTE_D, 0);	/* an unrelated 4 KiB page */
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, end + 0x10, 0, 0);
	expect_leaf(&sh, end, RAM_B_HPA + MiB(2) - PAGE_SIZE, RW | US, 0);
	expect_filled(&sh, mend, 0, 0);
	expect_leaf(&sh, mend, MMIO_GPA, RW | US, 0);
	expect_filled(&sh, la + MiB(4), 0, 0);
	/* repoint both at 2 MiB-aligned RAM, INVLPG the pages' starts (never
	 * touched, so no shadow leaf there) */
	gmap4(cr3, la, 0x400000, URW | PTE_D, 1);
	gmap4(cr3, mla, 0x600000, URW | PTE_D, 1);
	shadow_invlpg(&sh, la);
	shadow_invlpg(&sh, mla + 0x5000);
	expect_none(&sh, end);
	expect_none(&sh, mend);
	expect_leaf(&sh, la + MiB(4), RAM_A_HPA + 0x300000, RW | US, 0);
	expect_filled(&sh, end, 0, 0);
	expect_leaf(&sh, la, RAM_A_HPA + 0x400000, RW | US, 1);
	/* large page -> table: the old page's fragments go too */
	gmap4(cr3, mla, 0xfea00000ULL, URW | PTE_D, 1);
	expect_filled(&sh, mend, 0, 0);
	{
		u64 pt = gpt_alloc();
		u64 pd = gget64((cr3 & PTE_ADDR_4K) + ((mla >> 39) & 511) * 8) & PTE_ADDR_4K;

		pd = gget64(pd + ((mla >> 30) & 511) * 8) & PTE_ADDR_4K;
		gset64(pd + ((mla >> 21) & 511) * 8, pt | URW);
		gset64(pt + ((mend >> 12) & 511) * 8, 0x700000 | URW | PTE_D);
	}
	shadow_invlpg(&sh, mla);
	expect_none(&sh, mend);
	expect_filled(&sh, mend, 0, 0);
	expect_leaf(&sh, mend, RAM_A_HPA + 0x700000, RW | US, 0);
	/* a guest 4 KiB page's INVLPG keeps its neighbours, splinters or not */
	shadow_invlpg(&sh, la + MiB(4) + PAGE_SIZE);
	expect_leaf(&sh, la + MiB(4), RAM_A_HPA + 0x300000, RW | US, 0);
	expect_leaf(&sh, mend, RAM_A_HPA + 0x700000, RW | US, 0);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* more split guest pages than a root remembers one by one: still found */
static void test_invlpg_split_many(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0x7000000000ULL;
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	paddr_t root;
	unsigned n = SHADOW_SPLIT_PAGES + 3;

	for (unsigned i = 0; i < n; i++)
		gmap4(cr3, la + i * MiB(2), RAM_B_GPA + (i & 1) * MiB(2), URW | PTE_D, 1);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	for (unsigned i = 0; i < n; i++)
		expect_filled(&sh, la + i * MiB(2) + 0x1ff000 - i * PAGE_SIZE, 0, 0);
	assert_int_equal(sh.cur->nr_split, SHADOW_SPLIT_PAGES);
	for (unsigned i = 0; i < n; i++) {
		gmap4(cr3, la + i * MiB(2), 0x400000, URW | PTE_D, 1);
		shadow_invlpg(&sh, la + i * MiB(2) + i * PAGE_SIZE);
		expect_none(&sh, la + i * MiB(2) + 0x1ff000 - i * PAGE_SIZE);
		if (i + 1 < n)	/* the next page's fragment stays */
			expect_leaf(&sh, la + (i + 1) * MiB(2) + 0x1ff000 - (i + 1) * PAGE_SIZE,
				    RAM_B_HPA + ((i + 1) & 1) * MiB(2) + 0x1ff000 -
				    (i + 1) * PAGE_SIZE, RW | US, 0);
	}
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* the same for a 32-bit guest's 4 MiB page: 1024 fragments in two shadow tables */
static void test_invlpg_splintered_4m(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0xc0400000ULL;
	struct gwalk_mode m = m32(cr3);
	struct shadow sh;
	paddr_t root;

	gmap32(cr3, la, RAM_B_GPA, URW | PTE_D, true);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, la + 0x3ff000, 0, 0);
	expect_filled(&sh, la + 0x1000, 0, 0);
	expect_leaf(&sh, la + 0x3ff000, RAM_B_HPA + 0x3ff000, RW | US, 0);
	gmap32(cr3, la, MiB(12), URW | PTE_D, true);
	shadow_invlpg(&sh, la + 0x2000);	/* neither fragment's page */
	expect_none(&sh, la + 0x3ff000);
	expect_none(&sh, la + 0x1000);
	expect_filled(&sh, la + 0x3ff000, 0, 0);
	expect_leaf(&sh, la + 0x200000, RAM_A_HPA + MiB(14), RW | US, 1);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* a 32-bit guest runs on a PAE shadow: PDPTEs hold only P and the address,
 * 4 MiB guest pages become two 2 MiB leaves that INVLPG drops together */
static void test_32bit_guest(void **state)
{
	u64 cr3 = gpt_alloc();
	struct gwalk_mode m = m32(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;
	u64 *pdpt;

	gmap32(cr3, 0xc0001000, 0x801000, URW, false);
	gmap32(cr3, 0xc0400000, MiB(12), URW | PTE_D, true);	/* 4M at gpa 12M */
	gmap32(cr3, 0x00400000, MiB(16), P | RW | PTE_D, true);	/* supervisor 4M at 16M */
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	assert_true(root < GiB(4));
	assert_int_equal(sh.cur->pt.levels, 3);
	expect_filled(&sh, 0xc0001234, PFEC_W | PFEC_U, 3);
	expect_leaf(&sh, 0xc0001000, RAM_A_HPA + 0x801000, RW | US, 0);
	expect_filled(&sh, 0xc0600000, 0, 0);
	expect_leaf(&sh, 0xc0600000, RAM_A_HPA + MiB(14), RW | US, 1);
	expect_filled(&sh, 0xc0400000, 0, 0);
	expect_leaf(&sh, 0xc0400000, RAM_A_HPA + MiB(12), RW | US, 1);
	/* 32-bit paging: no XD, and no I/D in the guest's error code */
	assert_int_equal(fill(&sh, 0x00400000, PFEC_U | PFEC_ID, 3, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_U);
	/* the PDPTEs: P and address only (reserved bits would fail VM entry) */
	pdpt = arena_p2v(arena, root);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pdpt[i] & ~PTE_ADDR_4K, (pdpt[i] & P) ? P : 0);
	assert_true(pdpt[3] & P);
	/* INVLPG in one half of the 4 MiB page drops both halves */
	shadow_invlpg(&sh, 0xc0612345);
	expect_none(&sh, 0xc0400000);
	expect_none(&sh, 0xc0600000);
	expect_leaf(&sh, 0xc0001000, RAM_A_HPA + 0x801000, RW | US, 0);
	/* linear addresses are 32 bits */
	expect_leaf(&sh, 0xffffffffc0001000ULL, RAM_A_HPA + 0x801000, RW | US, 0);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_pae_guest(void **state)
{
	u64 pdpt = gpt_alloc() + 0x40;
	struct gwalk_mode m;
	struct shadow sh;
	paddr_t root, root2;
	u64 *spdpt, pd[4];
	struct gwalk_ops g = { .read_gpa = s_read };

	gmap_pae(pdpt, 0x80001000, 0x901000, URW | NX, false);
	gmap_pae(pdpt, 0x40200000, 0xa00000, URW | PTE_D, true);
	m = mpae(pdpt);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0x80001000, PFEC_W, 0);
	expect_leaf(&sh, 0x80001000, RAM_A_HPA + 0x901000, RW | US | NX, 0);
	expect_filled(&sh, 0x40300000, 0, 0);
	expect_leaf(&sh, 0x40200000, RAM_A_HPA + 0xa00000, RW | US, 1);
	spdpt = arena_p2v(arena, root);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(spdpt[i] & ~PTE_ADDR_4K, (spdpt[i] & P) ? P : 0);
	/* the guest removes a PDPTE and reloads CR3: the PDPTE registers change */
	gset64(pdpt + 8, 0);
	assert_int_equal(gwalk_load_pdptes(&g, pdpt, 40, pd), 0);
	assert_int_equal(shadow_load_cr3(&sh, pdpt, pd, &root2), 0);
	assert_int_equal(root2, root);
	expect_none(&sh, 0x40200000);
	struct shadow_fault f;
	assert_int_equal(fill(&sh, 0x40300000, 0, 0, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, 0);
	assert_int_equal(shadow_load_cr3(&sh, pdpt, NULL, &root2), -EINVAL);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_paging_off(void **state)
{
	struct gwalk_mode m = { .cr0 = CR0_PE, .maxphyaddr = 36 };
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;

	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	assert_true(root < GiB(4));
	/* identity, 2 MiB leaves, everything allowed for every ring (VM86 too) */
	expect_filled(&sh, 0x123456, PFEC_W | PFEC_U, 3);
	expect_leaf(&sh, 0x123456, RAM_A_HPA + 0x123456, RW | US, 1);
	expect_filled(&sh, RAM_B_GPA + 0x5000, PFEC_ID, 0);
	expect_leaf(&sh, RAM_B_GPA + 0x5000, RAM_B_HPA + 0x5000, RW | US, 0);
	expect_filled(&sh, MMIO_GPA, 0, 0);
	expect_leaf(&sh, MMIO_GPA, MMIO_GPA, RW | US, 0);
	assert_int_equal(fill(&sh, 0xfee00000, PFEC_W, 0, &f), SHADOW_MMIO);
	assert_int_equal(f.gpa, 0xfee00000);
	/* a CR3 load with paging off changes nothing */
	assert_int_equal(shadow_load_cr3(&sh, 0x5000, NULL, &root), 0);
	expect_leaf(&sh, 0x123456, RAM_A_HPA + 0x123456, RW | US, 1);
	/* turning paging on (32-bit) replaces the identity shadow */
	u64 cr3 = gpt_alloc();
	gmap32(cr3, 0x400000, 0x600000, URW, false);
	m = m32(cr3);
	assert_int_equal(shadow_set_mode(&sh, &m, &root), 0);
	expect_none(&sh, 0x123456);
	expect_filled(&sh, 0x400000, 0, 0);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x600000, US, 0);
	assert_int_equal(shadow_roots_used(&sh), 1);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_root_cache_lru(void **state)
{
	u64 cr3[4];
	struct gwalk_mode m;
	struct shadow sh;
	paddr_t root[4], r;

	for (unsigned i = 0; i < 4; i++) {
		cr3[i] = gpt_alloc();
		gmap4(cr3[i], 0x400000, 0x200000 + i * PAGE_SIZE, URW, 0);
	}
	m = m4(cr3[0]);
	assert_int_equal(shadow_init(&sh, &sops, 2, &m, &root[0]), 0);
	expect_filled(&sh, 0x400000, 0, 0);
	assert_int_equal(shadow_load_cr3(&sh, cr3[1], NULL, &root[1]), 0);
	assert_true(root[1] != root[0]);
	expect_none(&sh, 0x400000);
	expect_filled(&sh, 0x400000, 0, 0);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x201000, US, 0);
	/* back to cr3[0]: a hit, the same root, its non-global leaves gone */
	assert_int_equal(shadow_load_cr3(&sh, cr3[0], NULL, &r), 0);
	assert_int_equal(r, root[0]);
	expect_none(&sh, 0x400000);
	expect_filled(&sh, 0x400000, 0, 0);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x200000, US, 0);
	assert_int_equal(sh.stats.hits, 1);
	assert_int_equal(sh.stats.misses, 2);
	/* cr3[2]: the cache is full, cr3[1] is least recently used */
	assert_int_equal(shadow_load_cr3(&sh, cr3[2], NULL, &root[2]), 0);
	assert_int_equal(sh.stats.evictions, 1);
	assert_int_equal(shadow_roots_used(&sh), 2);
	assert_int_equal(shadow_load_cr3(&sh, cr3[0], NULL, &r), 0);
	assert_int_equal(r, root[0]);
	assert_int_equal(sh.stats.hits, 2);
	/* cr3[1] comes back as a miss and evicts cr3[2] */
	assert_int_equal(shadow_load_cr3(&sh, cr3[1], NULL, &r), 0);
	assert_int_equal(sh.stats.misses, 4);
	assert_int_equal(sh.stats.evictions, 2);
	assert_int_equal(shadow_load_cr3(&sh, cr3[0], NULL, &r), 0);
	assert_int_equal(r, root[0]);
	assert_int_equal(sh.stats.hits, 3);
	assert_int_equal(arena->in_use, tables_in_use(&sh));
	/* CR3 low bits (PWT/PCD) are not part of the key without PCIDE */
	assert_int_equal(shadow_load_cr3(&sh, cr3[0] | 0x18, NULL, &r), 0);
	assert_int_equal(r, root[0]);
	assert_int_equal(sh.stats.hits, 4);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* A CR3 load that hits the cache drops the leaves but keeps the table pages
 * (refilled right away); a flush or a mode change frees them. */
static void test_cr3_reload_keeps_tables(void **state)
{
	u64 cr3 = gpt_alloc();
	struct gwalk_mode m;
	struct shadow sh;
	paddr_t root, r;
	size_t before;

	gmap4(cr3, 0x400000, 0x200000, URW, 0);
	m = m4(cr3);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0x400000, 0, 0);
	before = arena->in_use;
	assert_true(before >= 4);	/* root + three tables */
	assert_int_equal(shadow_load_cr3(&sh, cr3, NULL, &r), 0);
	assert_int_equal(r, root);
	expect_none(&sh, 0x400000);
	assert_int_equal(arena->in_use, before);
	expect_filled(&sh, 0x400000, 0, 0);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x200000, US, 0);
	assert_int_equal(arena->in_use, before);
	shadow_flush(&sh, false);
	expect_none(&sh, 0x400000);
	assert_int_equal(arena->in_use, 1);
	assert_int_equal(arena->in_use, tables_in_use(&sh));
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_global_and_pcid(void **state)
{
	u64 cr3 = gpt_alloc();
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	paddr_t root, r;
	u64 attrs;

	gmap4(cr3, 0xffffffff81000000ULL, 0x300000, P | RW | PTE_G | PTE_D, 0);
	gmap4(cr3, 0x400000, 0x301000, URW, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0xffffffff81000000ULL, 0, 0);
	expect_filled(&sh, 0x400000, 0, 0);
	assert_int_equal(shadow_lookup(&sh, 0xffffffff81000000ULL, NULL, &attrs, NULL), 0);
	assert_true(attrs & SHADOW_PTE_GLOBAL);
	assert_false(attrs & PTE_G);	/* the processor's G is never used */
	/* MOV to CR3 keeps global translations */
	assert_int_equal(shadow_load_cr3(&sh, cr3, NULL, &r), 0);
	expect_leaf(&sh, 0xffffffff81000000ULL, RAM_A_HPA + 0x300000, RW, 0);
	expect_none(&sh, 0x400000);
	assert_int_equal(arena->in_use, tables_in_use(&sh));
	/* INVPCID single-context keeps them too, all-context does not */
	shadow_flush(&sh, true);
	expect_leaf(&sh, 0xffffffff81000000ULL, RAM_A_HPA + 0x300000, RW, 0);
	shadow_flush(&sh, false);
	expect_none(&sh, 0xffffffff81000000ULL);
	assert_int_equal(arena->in_use, shadow_roots_used(&sh));
	/* toggling CR4.PGE flushes everything */
	expect_filled(&sh, 0xffffffff81000000ULL, 0, 0);
	m.cr4 &= ~CR4_PGE;
	assert_int_equal(shadow_set_mode(&sh, &m, &r), 0);
	expect_none(&sh, 0xffffffff81000000ULL);
	/* without PGE the G bit means nothing */
	expect_filled(&sh, 0xffffffff81000000ULL, 0, 0);
	assert_int_equal(shadow_load_cr3(&sh, cr3, NULL, &r), 0);
	expect_none(&sh, 0xffffffff81000000ULL);
	/* PCIDs: each PCID is its own root; bit 63 keeps the translations */
	m.cr4 |= CR4_PCIDE;
	m.cr3 = cr3 | 1;
	assert_int_equal(shadow_set_mode(&sh, &m, &r), 0);
	expect_filled(&sh, 0x400000, 0, 0);
	assert_int_equal(shadow_load_cr3(&sh, cr3 | 2, NULL, &root), 0);
	assert_true(root != r);
	expect_none(&sh, 0x400000);
	assert_int_equal(shadow_load_cr3(&sh, cr3 | 1 | BIT(63), NULL, &root), 0);
	assert_int_equal(root, r);
	assert_int_equal(sh.mode.cr3, cr3 | 1);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x301000, US, 0);
	assert_int_equal(shadow_load_cr3(&sh, cr3 | 1, NULL, &root), 0);
	expect_none(&sh, 0x400000);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_set_mode(void **state)
{
	u64 cr3 = gpt_alloc();
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	paddr_t root, r;

	gmap4(cr3, 0x400000, 0x301000, URW, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0x400000, 0, 0);
	/* CR0.TS, CR4.OSFXSR, PKRU: no effect on translations */
	m.cr0 |= CR0_TS;
	m.cr4 |= CR4_OSFXSR;
	m.pkru = 0x55;
	assert_int_equal(shadow_set_mode(&sh, &m, &r), 0);
	assert_int_equal(r, root);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x301000, US, 0);
	assert_int_equal(sh.mode.pkru, 0x55);
	/* CR0.WP, CR4.SMEP, EFER.NXE: everything goes */
	m.cr4 |= CR4_SMEP;
	assert_int_equal(shadow_set_mode(&sh, &m, &r), 0);
	expect_none(&sh, 0x400000);
	assert_int_equal(shadow_roots_used(&sh), 1);
	assert_int_equal(arena->in_use, 1);
	shadow_destroy(&sh);
}

/* CR0.WP=0: supervisor writes to read-only pages are allowed; the processor
 * runs with WP=1, so the shadow makes such pages supervisor-only writable */
static void test_wp0(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0x400000;
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;

	m.cr0 &= ~CR0_WP;
	m.cr4 |= CR4_SMEP;
	gmap4(cr3, la, 0x301000, P | US, 0);		/* user, read-only */
	gmap4(cr3, la + PAGE_SIZE, 0x302000, P, 0);	/* supervisor, read-only */
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, la, PFEC_W, 0);
	expect_leaf(&sh, la, RAM_A_HPA + 0x301000, RW | NX, 0);
	/* a user read faults on the supervisor-only leaf and gets the
	 * guest's user, read-only view */
	expect_filled(&sh, la, PFEC_P | PFEC_U, 3);
	expect_leaf(&sh, la, RAM_A_HPA + 0x301000, US, 0);
	/* a user write is a true fault */
	assert_int_equal(fill(&sh, la, PFEC_P | PFEC_U | PFEC_W, 3, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_U | PFEC_W);
	/* supervisor page: writable, stays supervisor, no NX needed */
	expect_filled(&sh, la + PAGE_SIZE, PFEC_W, 0);
	expect_leaf(&sh, la + PAGE_SIZE, RAM_A_HPA + 0x302000, RW, 0);
	/* with WP=1 the same write is a true fault */
	m.cr0 |= CR0_WP;
	assert_int_equal(shadow_set_mode(&sh, &m, &root), 0);
	assert_int_equal(fill(&sh, la + PAGE_SIZE, PFEC_W, 0, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_W);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* SMAP: an implicit supervisor access at CPL 0 looks like an explicit one in
 * the error code; the shadow already matches the guest, so the processor's
 * verdict is passed on */
static void test_smap_reflect(void **state)
{
	u64 cr3 = gpt_alloc(), la = 0x400000;
	struct gwalk_mode m = m4(cr3);
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;

	m.cr4 |= CR4_SMAP;
	gmap4(cr3, la, 0x301000, URW | PTE_D, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	/* explicit with AC=0: a true fault */
	assert_int_equal(shadow_fill(&sh, la, 0, 0, &f), SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P);
	/* with AC=1: filled */
	assert_int_equal(shadow_fill(&sh, la, 0, GWALK_AC, &f), SHADOW_FILLED);
	expect_leaf(&sh, la, RAM_A_HPA + 0x301000, RW | US, 0);
	/* the processor faults again (it was an implicit access): reflected,
	 * I/D removed when the guest has neither SMEP nor NXE */
	assert_int_equal(shadow_fill(&sh, la, PFEC_P | PFEC_W, GWALK_AC | GWALK_WRITE, &f),
			 SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P | PFEC_W);
	m.efer &= ~EFER_NXE;
	assert_int_equal(shadow_set_mode(&sh, &m, &root), 0);
	assert_int_equal(shadow_fill(&sh, la, 0, GWALK_AC | GWALK_FETCH, &f), SHADOW_FILLED);
	assert_int_equal(shadow_fill(&sh, la, PFEC_P | PFEC_ID, GWALK_AC | GWALK_FETCH, &f),
			 SHADOW_INJECT);
	assert_int_equal(f.error_code, PFEC_P);
	shadow_destroy(&sh);
}

static void test_out_of_memory(void **state)
{
	u64 cr3a = gpt_alloc(), cr3b = gpt_alloc();
	struct gwalk_mode m = m4(cr3a);
	struct shadow sh;
	paddr_t root;

	gmap4(cr3a, 0x400000, 0x301000, URW, 0);
	gmap4(cr3b, 0x400000, 0x302000, URW, 0);
	gmap4(cr3b, 0x7f0000000000ULL, 0x303000, URW, 0);
	assert_int_equal(shadow_init(&sh, &sops, 4, &m, &root), 0);
	expect_filled(&sh, 0x400000, 0, 0);	/* root + 3 tables */
	assert_int_equal(shadow_load_cr3(&sh, cr3b, NULL, &root), 0);
	expect_filled(&sh, 0x400000, 0, 0);	/* 4 more */
	arena->limit = 9;
	/* needs 3 tables, 1 left: the other root is reclaimed */
	expect_filled(&sh, 0x7f0000000000ULL, 0, 0);
	assert_int_equal(shadow_roots_used(&sh), 1);
	expect_leaf(&sh, 0x400000, RAM_A_HPA + 0x302000, US, 0);
	/* nothing else to reclaim: the current root is emptied and refilled */
	arena->limit = arena->in_use;
	gmap4(cr3b, 0x3f0000000000ULL, 0x304000, URW, 0);
	expect_filled(&sh, 0x3f0000000000ULL, 0, 0);
	expect_none(&sh, 0x400000);
	/* and when even that is not enough */
	arena->limit = 1;
	shadow_flush(&sh, false);
	arena->limit = 2;
	struct shadow_fault f;
	assert_int_equal(fill(&sh, 0x400000, 0, 0, &f), -ENOMEM);
	/* a cache miss with no memory for a root */
	arena->limit = arena->in_use;
	assert_int_equal(shadow_load_cr3(&sh, cr3a, NULL, &root), 0);	/* reclaims cr3b's */
	arena->limit = 0;
	assert_int_equal(shadow_load_cr3(&sh, cr3b, NULL, &root), -ENOMEM);
	assert_null(sh.cur);
	assert_int_equal(fill(&sh, 0x400000, 0, 0, &f), -EINVAL);
	arena->limit = ARENA_PAGES;
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

/* table pages handed out above 4 GiB (same arena, shifted addresses) */
#define HIGH_OFF	GiB(16)

static paddr_t t_alloc_high(void *ctx)
{
	paddr_t pa = arena_alloc(ctx);

	return pa ? pa + HIGH_OFF : 0;
}

static void t_free_high(void *ctx, paddr_t pa)
{
	arena_free(ctx, pa - HIGH_OFF);
}

static void *t_p2v_high(void *ctx, paddr_t pa)
{
	return arena_p2v(ctx, pa - HIGH_OFF);
}

static void test_bad_setup(void **state)
{
	struct gwalk_mode m = { .cr0 = CR0_PE, .maxphyaddr = 36 };
	struct shadow sh;
	paddr_t root;
	struct ptab_mem hmem = { .alloc_table = t_alloc_high, .free_table = t_free_high,
				 .p2v = t_p2v_high, .ctx = arena };
	struct shadow_ops o = sops;

	/* a PAE shadow root must be below 4 GiB; 4-level roots may be anywhere */
	o.mem = &hmem;
	assert_int_equal(shadow_init(&sh, &o, 4, &m, &root), -ENOMEM);
	assert_true(log_capture_contains("above 4 GiB"));
	assert_int_equal(arena->in_use, 0);
	m = m4(gpt_alloc());
	assert_int_equal(shadow_init(&sh, &o, 4, &m, &root), 0);
	assert_true(root > GiB(4));
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
	/* arguments */
	hmem.free_table = NULL;
	assert_int_equal(shadow_init(&sh, &o, 4, &m, &root), -EINVAL);
	assert_int_equal(shadow_init(&sh, &sops, 0, &m, &root), -EINVAL);
	assert_int_equal(shadow_init(&sh, &sops, SHADOW_MAX_ROOTS + 1, &m, &root), -EINVAL);
	o = sops;
	o.ram_hpa = NULL;
	assert_int_equal(shadow_init(&sh, &o, 4, &m, &root), -EINVAL);
}

/* ---- fuzz: random guest tables, every leaf stays inside guest RAM / MMIO ------------------- */

static u64 rnd_state;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static bool host_range_ok(paddr_t hpa, u64 size)
{
	return inside(hpa, size, RAM_A_HPA, RAM_A_SIZE) ||
	       inside(hpa, size, RAM_B_HPA, RAM_B_SIZE) || inside(hpa, size, MMIO_GPA, MMIO_SIZE);
}

static int check_leaf(void *ctx, u64 va, paddr_t pa, u64 size, u64 attrs, unsigned level)
{
	if (!host_range_ok(pa, size))
		fail_msg("shadow leaf va %#llx -> hpa %#llx size %#llx outside guest RAM / MMIO",
			 va, pa, size);
	(*(size_t *)ctx)++;
	return 0;
}

/* random guest page-table pages in [GPT_BASE, GPT_BASE + npages * 4K) */
#define FUZZ_TABLES	64

static u64 random_target(void)
{
	switch (rnd() % 6) {
	case 0:	return GPT_BASE + (rnd() % FUZZ_TABLES) * PAGE_SIZE;	/* a table */
	case 1:	return GPT_BASE + (rnd() % FUZZ_TABLES) * PAGE_SIZE;
	case 2:	return rnd() % RAM_A_SIZE;				/* RAM A */
	case 3:	return RAM_B_GPA + rnd() % (RAM_B_SIZE + MiB(2));	/* RAM B, after */
	case 4:	return MMIO_GPA - MiB(1) + rnd() % MiB(4);		/* around MMIO */
	default: return rnd() & 0xfffffffffULL;			/* anywhere (36 bits) */
	}
}

static void fuzz_tables(bool entries32)
{
	for (u64 t = 0; t < FUZZ_TABLES; t++) {
		u64 base = GPT_BASE + t * PAGE_SIZE;

		for (unsigned i = 0; i < (entries32 ? 1024u : 512u); i++) {
			u64 flags = rnd() & (RW | US | PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_G |
					     PTE_PAT_LARGE);
			u64 target = random_target() & PTE_ADDR_4K;
			u64 e;

			if (rnd() % 5)
				flags |= P;
			if (rnd() % 4)
				flags |= RW | US;	/* mostly permissive, so walks get deep */
			if (rnd() % 8 == 0) {
				flags |= PS;
				if (rnd() % 4)	/* mostly an aligned large page */
					target &= ~(rnd() % 2 ? MiB(4) - 1 : GiB(1) - 1);
			}
			if (rnd() % 32 == 0)
				flags |= BIT(13 + rnd() % 9);	/* reserved in large pages */
			if (!entries32 && rnd() % 8 == 0)
				flags |= NX;
			if (!entries32 && rnd() % 32 == 0)
				flags |= BIT(40 + rnd() % 12);	/* above MAXPHYADDR */
			e = target | flags;
			if (entries32)
				gset32(base + i * 4, (u32)e);
			else
				gset64(base + i * 8, e);
		}
	}
}

static void fuzz_mode(struct gwalk_mode m, u64 seed)
{
	struct shadow sh;
	struct shadow_fault f;
	paddr_t root;
	bool entries32 = gwalk_paging(m.cr0, m.cr4, m.efer) == GWALK_PAGING_32;
	unsigned counts[4] = { 0 };
	size_t leaves = 0;
	struct gwalk_ops g = { .read_gpa = s_read };

	rnd_state = seed;
	fuzz_tables(entries32);
	if (gwalk_paging(m.cr0, m.cr4, m.efer) == GWALK_PAGING_PAE)
		for (unsigned t = 0; t < FUZZ_TABLES; t++)	/* valid PDPTs everywhere */
			for (unsigned i = 0; i < 4; i++)
				gset64(GPT_BASE + t * PAGE_SIZE + i * 8, rnd() % 5 == 0 ? 0 :
				       (GPT_BASE + (rnd() % FUZZ_TABLES) * PAGE_SIZE) | P);
	if (gwalk_paging(m.cr0, m.cr4, m.efer) == GWALK_PAGING_PAE)
		assert_int_equal(gwalk_load_pdptes(&g, m.cr3, m.maxphyaddr, m.pdpte), 0);
	assert_int_equal(shadow_init(&sh, &sops, 3, &m, &root), 0);
	for (unsigned it = 0; it < 20000; it++) {
		u64 la = rnd();
		u32 pfec = rnd() & (PFEC_W | PFEC_U | PFEC_ID | PFEC_P);
		unsigned cpl = (pfec & PFEC_U) ? 3 : (rnd() % 2) * 3;
		int r;

		if (gwalk_paging(m.cr0, m.cr4, m.efer) == GWALK_PAGING_4LEVEL && (la >> 47) & 1)
			la |= 0xffff000000000000ULL;
		else if (gwalk_paging(m.cr0, m.cr4, m.efer) == GWALK_PAGING_4LEVEL)
			la &= 0x0000ffffffffffffULL;
		r = shadow_fill(&sh, la, pfec, gwalk_access_from_pfec(pfec, cpl, rnd() & 1), &f);
		assert_true(r == SHADOW_FILLED || r == SHADOW_INJECT || r == SHADOW_MMIO ||
			    r == -EIO);
		counts[r < 0 ? 3 : r]++;
		if (r == SHADOW_FILLED) {
			/* the leaf maps la to the guest's gpa */
			paddr_t hpa, want;

			assert_int_equal(shadow_lookup(&sh, la, &hpa, NULL, NULL), 0);
			if (s_ram_hpa(NULL, f.walk.gpa, 1, &want))
				assert_int_equal(s_mmio_hpa(NULL, f.walk.gpa, 1, &want), 0);
			assert_int_equal(hpa, want);
		}
		if (it % 1000 == 999)
			for (unsigned i = 0; i < sh.max_roots; i++)
				if (sh.roots[i].used)
					assert_int_equal(ptab_for_each(&sh.roots[i].pt, check_leaf,
								       &leaves), 0);
		switch (rnd() % 64) {
		case 0:
			shadow_invlpg(&sh, la);
			break;
		case 1:
			m.cr3 = GPT_BASE + (rnd() % FUZZ_TABLES) * PAGE_SIZE;
			if (gwalk_paging(m.cr0, m.cr4, m.efer) == GWALK_PAGING_PAE &&
			    gwalk_load_pdptes(&g, m.cr3, m.maxphyaddr, m.pdpte))
				break;
			assert_int_equal(shadow_load_cr3(&sh, m.cr3, m.pdpte, &root), 0);
			break;
		case 2:
			/* the walker's A/D updates changed the tables: scramble one */
			gset64(GPT_BASE + (rnd() % FUZZ_TABLES) * PAGE_SIZE + (rnd() % 512) * 8,
			       (random_target() & PTE_ADDR_4K) | (rnd() & 0xfff));
			break;
		}
	}
	for (unsigned i = 0; i < sh.max_roots; i++)
		if (sh.roots[i].used)
			assert_int_equal(ptab_for_each(&sh.roots[i].pt, check_leaf, &leaves), 0);
	assert_int_equal(arena->in_use, tables_in_use(&sh));
	if (getenv("UHV_TEST_VERBOSE"))
		printf("fuzz: filled %u injected %u mmio %u eio %u, %zu leaves, "
		       "hits %llu misses %llu\n",
		       counts[0], counts[1], counts[2], counts[3], leaves,
		       sh.stats.hits, sh.stats.misses);
	assert_true(counts[0] > 50 && counts[1] > 50 && counts[2] > 0);
	shadow_destroy(&sh);
	assert_int_equal(arena->in_use, 0);
}

static void test_fuzz_4level(void **state)
{
	struct gwalk_mode m = m4(GPT_BASE);

	m.maxphyaddr = 40;
	fuzz_mode(m, 0x9e3779b97f4a7c15ULL);
}

static void test_fuzz_32bit(void **state)
{
	fuzz_mode(m32(GPT_BASE), 0x2545f4914f6cdd1dULL);
}

static void test_fuzz_pae(void **state)
{
	struct gwalk_mode m = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = GPT_BASE, .cr4 = CR4_PAE,
				.efer = EFER_NXE, .maxphyaddr = 40 };

	fuzz_mode(m, 0x6a09e667f3bcc909ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hidden_fault_and_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_true_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invlpg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_cache_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr3_reload_keeps_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_and_pcid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wp0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smap_reflect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invlpg_splintered_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invlpg_splintered_4m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invlpg_split_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_4level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_pae, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
