// UNIT-SOURCES: test/unit/shadow_fuzz_harness.c test/unit/shadow_fuzz_tlb.c mm/shadow.c mm/gwalk.c mm/ptab.c mm/ptab_x86.c
/* Fuzz of the shadow MMU against the architecture (issue 18 item 4).
 *
 * A guest with FZ_NAS address spaces per paging format (4-level, PAE, 32-bit)
 * whose kernel halves share their lower tables, as real kernels do, runs
 * random operations: page-table stores (new entries, single-bit flips, A/D
 * clearing, and remaps of an address in use followed by a touch and an
 * INVLPG; all through the seam fz_guest_pt_write()), accesses (read / write /
 * fetch, user / supervisor / implicit, RFLAGS.AC), INVLPG, MOV to CR3 between
 * the address spaces (PCIDs, no-flush), CR4.PGE toggles, shadow_flush (INVPCID), CR0.WP /
 * CR4.SMEP / CR4.SMAP changes and paging-mode changes through paging off.
 * At every flush point every present leaf of the current shadow root must
 * be one the architecture allows (test/unit/shadow_fuzz_harness.c says what
 * that means); every access must give the guest's translation or its exact
 * #PF error code.
 *
 * make test runs a few fixed seeds. Longer runs / reproduction:
 *   UHV_SHADOW_FUZZ_SEED=0x1234   first seed (a failure prints the one to use)
 *   UHV_SHADOW_FUZZ_SEEDS=100     number of seeds from there
 *   UHV_SHADOW_FUZZ_STEPS=100000  operations per seed
 *   UHV_TEST_VERBOSE=1            counts per seed */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/ptab_x86.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include "arena.h"
#include "shadow_fuzz_harness.h"

#define DEFAULT_STEPS	6000

/* ---- the guest's table layout per format ------------------------------------------------ */

struct fmt_desc {
	const char *name;
	unsigned levels, esize, ibits;
	u16 idx[FZ_MAX_LEVELS][6];	/* the entries of a table the guest uses */
	u8 nidx[FZ_MAX_LEVELS];
	u8 ntab[FZ_MAX_LEVELS];		/* tables per level (top: one per address space) */
	u8 nkernel[FZ_MAX_LEVELS];	/* of which kernel tables (shared) */
	u16 kernel_from;		/* top-level index where the kernel half starts */
};

static const struct fmt_desc fmts[FZ_NFMT] = {
	[FZ_4LEVEL] = { "4-level", 4, 8, 9,
			{ { 0, 1, 2, 3, 256, 511 }, { 0, 1, 2, 511 }, { 0, 1, 511 }, { 0, 1, 256, 511 } },
			{ 6, 4, 3, 4 }, { 12, 8, 6, FZ_NAS }, { 4, 3, 2, 0 }, 256 },
	[FZ_PAE] = { "PAE", 3, 8, 9,
		     { { 0, 1, 2, 511 }, { 0, 1, 511 }, { 0, 3 } },
		     { 4, 3, 2 }, { 8, 6, FZ_NAS }, { 3, 2, 0 }, 3 },
	[FZ_32BIT] = { "32-bit", 2, 4, 10,
		       { { 0, 1, 2, 1023 }, { 0, 1, 768, 1023 } },
		       { 4, 4 }, { 8, FZ_NAS }, { 3, 0 }, 768 },
};

static unsigned top_level(enum fz_fmt f)
{
	return fmts[f].levels - 1;
}

static bool has_nx(enum fz_fmt f)
{
	return f != FZ_32BIT;
}

/* can a present entry with PS=1 at level map a page? */
static bool can_large(enum fz_fmt f, unsigned level)
{
	return level == 1 || (f == FZ_4LEVEL && level == 2);
}

static struct fz_table *pick_table(struct fuzz *fz, enum fz_fmt f, unsigned level, int kernel)
{
	struct fz_table *c[FZ_MAX_TABLES];
	unsigned n = 0;

	for (unsigned i = 0; i < fz->ntables; i++) {
		struct fz_table *t = &fz->tables[i];

		if (t->fmt == f && t->level == level && (kernel < 0 || t->kernel == kernel))
			c[n++] = t;
	}
	if (!n)
		return pick_table(fz, f, level, -1);
	return c[fz_rnd(fz) % n];
}

static u64 rnd_page(struct fuzz *fz, u64 base, u64 size)
{
	return base + (fz_rnd(fz) % (size / PAGE_SIZE)) * PAGE_SIZE;
}

/* a guest-physical frame for a leaf of size (4K, 2M, 4M, 1G) */
static u64 pick_frame(struct fuzz *fz, u64 size)
{
	unsigned r = fz_rnd(fz) % 100;

	if (size == GiB(1))
		return r < 70 ? 0 : GiB(1);
	if (size == KiB(4)) {
		if (r < 55)
			return rnd_page(fz, FZ_DATA_BASE, FZ_RAM_A_SIZE - FZ_DATA_BASE);
		if (r < 67)
			return rnd_page(fz, FZ_RAM_B_GPA, FZ_RAM_B_SIZE);
		if (r < 75)
			return rnd_page(fz, FZ_MMIO_GPA, FZ_MMIO_SIZE);
		if (r < 80)
			return rnd_page(fz, FZ_HOLE_GPA, MiB(1));
		return fz->tables[fz_rnd(fz) % fz->ntables].gpa;	/* its own tables */
	}
	if (fz->split_heavy)	/* large pages mostly shadowed by smaller leaves */
		r = r < 50 ? 70 : r < 80 ? 85 : r;
	if (r < 60)
		return size * (1 + fz_rnd(fz) % (FZ_RAM_A_SIZE / size - 1));
	if (r < 80)
		return FZ_RAM_B_GPA + (size == MiB(2) ? (fz_rnd(fz) % 2) * MiB(2) : 0);
	if (r < 90)
		return ALIGN_DOWN(FZ_MMIO_GPA, size);	/* partly pass-through MMIO */
	return FZ_HOLE_GPA;
}

static u64 leaf_size(enum fz_fmt f, unsigned level)
{
	if (f == FZ_32BIT)
		return level ? MiB(4) : KiB(4);
	return BIT(12 + 9 * level);
}

static u64 gen_leaf(struct fuzz *fz, enum fz_fmt f, unsigned level, bool kernel)
{
	u64 flags = PTE_P, r = fz_rnd(fz);

	flags |= (r % 10 < 7) ? PTE_RW : 0;
	flags |= (r / 10 % 10 < (kernel ? 2 : 8)) ? PTE_US : 0;
	flags |= (r / 100 % 4) ? PTE_A : 0;
	flags |= (r / 400 % 2) ? PTE_D : 0;
	flags |= (r / 800 % 10 < (kernel ? 7 : 1)) ? PTE_G : 0;
	flags |= has_nx(f) && (r / 8000 % 5 == 0) ? PTE_NX : 0;
	flags |= (r / 40000 % 20 == 0) ? PTE_PCD | PTE_PWT : 0;
	if (level)
		flags |= PTE_PS;
	if (r / 800000 % 40 == 0)	/* a reserved bit: RSVD faults */
		flags |= f == FZ_32BIT ? (level ? BIT(21) : 0) : level ? BIT(13) : BIT(45);
	return pick_frame(fz, leaf_size(f, level)) | flags;
}

/* a random entry for a table of format f at level */
static u64 gen_entry(struct fuzz *fz, enum fz_fmt f, unsigned level, bool kernel)
{
	unsigned r = fz_rnd(fz) % 100;
	u64 flags = PTE_P;

	if (r < 5)
		return fz_rnd(fz) & ~(u64)PTE_P & (fmts[f].esize == 4 ? 0xffffffffULL : ~0ULL);
	if (f == FZ_PAE && level == top_level(f))	/* a PDPTE: P and the address */
		return pick_table(fz, f, level - 1, kernel)->gpa | PTE_P |
		       (r == 99 ? PTE_RW : 0);	/* reserved: MOV to CR3 #GP */
	if (level == 0 || (can_large(f, level) && r < (level == 2 ? 20 : fz->split_heavy ? 70 : 35)))
		return gen_leaf(fz, f, level, kernel);
	flags |= (fz_rnd(fz) % 20) ? PTE_RW : 0;
	flags |= (fz_rnd(fz) % 10 < (kernel ? 2 : 9)) ? PTE_US : 0;
	flags |= (fz_rnd(fz) % 2) ? PTE_A : 0;
	flags |= has_nx(f) && fz_rnd(fz) % 20 == 0 ? PTE_NX : 0;
	return pick_table(fz, f, level - 1, kernel)->gpa | flags;
}

static bool kernel_index(enum fz_fmt f, unsigned level, unsigned idx)
{
	return level == top_level(f) && idx >= fmts[f].kernel_from;
}

/* store e at index idx of table t; kernel entries of a top-level table
 * go to every address space's top table (kernels keep them in sync) */
static void put_entry(struct fuzz *fz, const struct fz_table *t, unsigned idx, u64 e, bool sync)
{
	unsigned esize = fmts[t->fmt].esize;

	if (!sync || !kernel_index(t->fmt, t->level, idx)) {
		fz_guest_pt_write(fz, t->gpa + idx * esize, e, esize);
		return;
	}
	for (unsigned i = 0; i < fz->ntables; i++)
		if (fz->tables[i].fmt == t->fmt && fz->tables[i].level == t->level)
			fz_guest_pt_write(fz, fz->tables[i].gpa + idx * esize, e, esize);
}

static const struct fz_table *root_table(struct fuzz *fz, enum fz_fmt f, unsigned as)
{
	for (unsigned i = 0; i < fz->ntables; i++)
		if (fz->tables[i].fmt == f && fz->tables[i].level == top_level(f) && !as--)
			return &fz->tables[i];
	fail_msg("no root");
	return NULL;
}

static void build_tables(struct fuzz *fz)
{
	for (unsigned f = 0; f < FZ_NFMT; f++)
		for (unsigned level = 0; level < fmts[f].levels; level++)
			for (unsigned i = 0; i < fmts[f].ntab[level]; i++) {
				struct fz_table *t = &fz->tables[fz->ntables++];

				assert_true(fz->ntables <= FZ_MAX_TABLES);
				*t = (struct fz_table){ .gpa = fz->gpt_next, .fmt = f, .level = level,
							.kernel = i < fmts[f].nkernel[level] };
				fz->gpt_next += PAGE_SIZE;
			}
	for (unsigned i = 0; i < fz->ntables; i++) {
		struct fz_table *t = &fz->tables[i];
		bool top = t->level == top_level(t->fmt);

		for (unsigned j = 0; j < fmts[t->fmt].nidx[t->level]; j++) {
			unsigned idx = fmts[t->fmt].idx[t->level][j];
			bool kernel = top ? kernel_index(t->fmt, t->level, idx) : t->kernel;

			/* the first root's kernel entries are copied to the others */
			if (top && kernel && t != root_table(fz, t->fmt, 0))
				continue;
			put_entry(fz, t, idx, gen_entry(fz, t->fmt, t->level, kernel), top);
		}
	}
}

/* ---- modes ------------------------------------------------------------------------------------ */

static struct gwalk_mode base_mode(struct fuzz *fz, enum fz_fmt f, u64 cr3)
{
	struct gwalk_mode m = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3, .maxphyaddr = 40,
				.pdpe1gb = true };

	if (fz_rnd(fz) % 4 == 0)	/* supervisor writes through read-only pages */
		m.cr0 &= ~(u64)CR0_WP;
	else if (fz_rnd(fz) % 2)
		m.cr4 |= CR4_SMEP | (fz_rnd(fz) % 2 ? CR4_SMAP : 0);

	switch (f) {
	case FZ_4LEVEL:
		m.cr4 |= CR4_PAE | CR4_PGE | CR4_PSE | (fz_rnd(fz) % 2 ? CR4_PCIDE : 0);
		m.efer = EFER_LME | EFER_LMA | EFER_NXE;
		break;
	case FZ_PAE:
		m.cr4 |= CR4_PAE | CR4_PGE;
		m.efer = fz_rnd(fz) % 4 ? EFER_NXE : 0;
		break;
	default:
		m.cr4 |= CR4_PSE | CR4_PGE;
		break;
	}
	return m;
}

/* with CR4.PCIDE=1 address space as runs with PCID as + 1, sometimes with
 * a second one (as + 1 + FZ_NAS; Linux's PTI gives each mm two) */
static u64 root_cr3(struct fuzz *fz, enum fz_fmt f, unsigned as, u64 cr4)
{
	u64 pcid = as + 1 + (fz_rnd(fz) % 4 ? 0 : FZ_NAS);

	return root_table(fz, f, as)->gpa | ((cr4 & CR4_PCIDE) ? pcid : 0);
}

/* leave paging (CR0.PG=0), touch a few addresses, enter format f */
static void change_mode(struct fuzz *fz, enum fz_fmt f)
{
	struct gwalk_mode off = fz->mode, m;
	unsigned as = fz_rnd(fz) % FZ_NAS;

	off.cr0 &= ~(u64)CR0_PG;
	off.efer &= ~(u64)EFER_LMA;
	fz_note(fz, "mode: paging off");
	fz_set_mode(fz, &off);
	for (unsigned i = 0; i < 3; i++) {
		static const u64 bases[] = { FZ_DATA_BASE, FZ_RAM_B_GPA, FZ_MMIO_GPA, FZ_HOLE_GPA };
		u64 la = bases[fz_rnd(fz) % 4] + (fz_rnd(fz) % MiB(1));

		fz_note(fz, "access %#llx (paging off)", la);
		fz_access(fz, la, (fz_rnd(fz) % 2) ? GWALK_WRITE : GWALK_USER);
	}
	m = base_mode(fz, f, 0);
	m.cr3 = root_cr3(fz, f, as, m.cr4);
	if (f == FZ_PAE && !fz_pdptes(fz, m.cr3, m.pdpte)) {
		/* the guest fixes its PDPT (a reserved bit) rather than take the #GP */
		for (unsigned i = 0; i < 4; i++) {
			u64 e = fz_get(fz, m.cr3 + i * 8, 8);

			if (e & PTE_P)
				fz_guest_pt_write(fz, m.cr3 + i * 8, e & (0xfffffff000ULL | PTE_P), 8);
		}
		assert_true(fz_pdptes(fz, m.cr3, m.pdpte));
	}
	fz->fmt = f;
	fz->as = as;
	fz_note(fz, "mode: %s, cr3 %#llx (as %u)", fmts[f].name, m.cr3, as);
	fz_set_mode(fz, &m);
}

/* ---- operations ------------------------------------------------------------------------------ */

/* a linear address the current format's tables may map */
static u64 gen_la(struct fuzz *fz)
{
	const struct fmt_desc *d = &fmts[fz->fmt];
	u64 la = fz_rnd(fz) & 0xfff;

	for (unsigned level = 0; level < d->levels; level++)
		la |= (u64)d->idx[level][fz_rnd(fz) % d->nidx[level]] << (12 + d->ibits * level);
	if (fz->fmt == FZ_4LEVEL && (la & BIT(47)))
		la |= 0xffff000000000000ULL;
	return la;
}

static bool kernel_la(const struct fuzz *fz, u64 la)
{
	return fz->fmt == FZ_4LEVEL ? (la >> 47) & 1 : (la & 0xffffffffULL) >= 0xc0000000ULL;
}

/* user accesses mostly to the user half, as programs make them */
static unsigned gen_access(struct fuzz *fz, u64 la)
{
	unsigned r = fz_rnd(fz) % 100, a;

	a = r < 20 ? GWALK_FETCH : r < 55 ? GWALK_WRITE : 0;
	r = fz_rnd(fz) % 100;
	if (r < (kernel_la(fz, la) ? 10 : 60))
		a |= GWALK_USER;
	else if (r < 55 && !(a & GWALK_FETCH))
		a |= GWALK_IMPLICIT;
	if (fz_rnd(fz) % 2)
		a |= GWALK_AC;
	return a;
}

static const char *access_name(unsigned a)
{
	return (a & GWALK_FETCH) ? "fetch" : (a & GWALK_WRITE) ? "write" : "read";
}

/* a guest store to one of its page-table entries */
static void op_pt_write(struct fuzz *fz)
{
	enum fz_fmt f = fz_rnd(fz) % 10 ? fz->fmt : fz_rnd(fz) % FZ_NFMT;
	const struct fz_table *t = pick_table(fz, f, fz_rnd(fz) % fmts[f].levels, -1);
	unsigned idx = fmts[f].idx[t->level][fz_rnd(fz) % fmts[f].nidx[t->level]];
	unsigned esize = fmts[f].esize, r = fz_rnd(fz) % 100;
	bool kernel = t->level == top_level(f) ? kernel_index(f, t->level, idx) : t->kernel;
	u64 old = fz_get(fz, t->gpa + idx * esize, esize), e;

	if (r < 40) {
		e = gen_entry(fz, f, t->level, kernel);
	} else if (r < 80) {	/* flip one bit: rights, presence, A/D, G, NX, PS */
		static const u64 bits[] = { PTE_P, PTE_RW, PTE_US, PTE_A, PTE_D, PTE_G, PTE_NX,
					    PTE_PS, PTE_RW, PTE_US };

		e = old ^ bits[fz_rnd(fz) % ARRAY_SIZE(bits)];
		if (f == FZ_PAE && t->level == top_level(f))
			e = old ^ PTE_P;
	} else {		/* page aging / write-back: clear A or D */
		e = old & ~(u64)(fz_rnd(fz) % 2 ? PTE_A : PTE_D);
	}
	if (esize == 4)
		e &= 0xffffffffULL;
	fz_note(fz, "store %s table %#llx[%u] (level %u): %#llx -> %#llx", fmts[f].name, t->gpa, idx,
		t->level, old, e);
	put_entry(fz, t, idx, e, fz_rnd(fz) % 5);
}

static void op_access(struct fuzz *fz, u64 la)
{
	unsigned a = gen_access(fz, la);

	fz_note(fz, "%s %s%s%s %#llx", access_name(a), (a & GWALK_USER) ? "user" : "sup",
		(a & GWALK_IMPLICIT) ? " implicit" : "", (a & GWALK_AC) ? " AC" : "", la);
	fz_access(fz, la, a);
}

/* Where the current tables' walk for la reads its entries: ea[level] for
 * the levels it reaches; returns the lowest level reached. */
static unsigned walk_path(struct fuzz *fz, u64 la, u64 ea[FZ_MAX_LEVELS])
{
	const struct fmt_desc *d = &fmts[fz->fmt];
	u64 table = fz->mode.cr3 & (fz->fmt == FZ_PAE ? 0xffffffe0ULL : 0xfffffff000ULL);
	unsigned level = top_level(fz->fmt);

	for (;; level--) {
		u64 e;

		ea[level] = table + ((la >> (12 + d->ibits * level)) & (BIT(d->ibits) - 1)) * d->esize;
		e = fz_get(fz, ea[level], d->esize);
		if (level == 0 || !(e & PTE_P) || ((e & PTE_PS) && can_large(fz->fmt, level)))
			return level;
		table = e & 0xfffffff000ULL;
		if (table + PAGE_SIZE > FZ_RAM_A_SIZE)
			return level;	/* not a table the fuzz reads */
	}
}

/* The guest changes one entry on la's current walk, then often touches la
 * (or elsewhere in its large page) and invalidates it, as kernels do when
 * they remap a page: the stores that matter to the shadow's leaves. */
static void op_remap(struct fuzz *fz, u64 la)
{
	u64 ea[FZ_MAX_LEVELS], old, e;
	unsigned low, top = top_level(fz->fmt), level, r, esize = fmts[fz->fmt].esize;

	if (fz_rnd(fz) % 2)
		op_access(fz, la);	/* the page is in use */
	low = walk_path(fz, la, ea);
	level = fz_rnd(fz) % 5 < 3 ? low : low + fz_rnd(fz) % (top - low + 1);

	if (fz->fmt == FZ_PAE && level == top)
		level = low;	/* PDPTEs change only at the next MOV to CR3 */
	old = fz_get(fz, ea[level], esize);
	e = fz_rnd(fz) % 2 ? gen_entry(fz, fz->fmt, level, kernel_la(fz, la)) : old ^ PTE_RW;
	if (esize == 4)
		e &= 0xffffffffULL;
	fz_note(fz, "remap %#llx: level %u entry at %#llx: %#llx -> %#llx", la, level, ea[level],
		old, e);
	fz_guest_pt_write(fz, ea[level], e, esize);
	r = fz_rnd(fz) % 10;
	if (r < 8)	/* mostly la itself, else elsewhere in its large page */
		op_access(fz, la ^ (r < 6 ? 0 : (fz_rnd(fz) % 512) << 12));
	if (fz_rnd(fz) % 10 < 7) {
		fz_note(fz, "invlpg %#llx", la);
		fz_invlpg(fz, la);
	}
}

static void op_cr3(struct fuzz *fz)
{
	unsigned as = fz_rnd(fz) % FZ_NAS;
	u64 cr3 = root_cr3(fz, fz->fmt, as, fz->mode.cr4);
	bool noflush = (fz->mode.cr4 & CR4_PCIDE) && fz_rnd(fz) % 2;

	fz_note(fz, "mov cr3 %#llx%s (as %u)", cr3, noflush ? " no-flush" : "", as);
	if (fz_load_cr3(fz, cr3, noflush))
		fz->as = as;
}

/* MOV to CR0 / CR4 flipping WP, PGE, SMEP or SMAP */
static void op_cr_bits(struct fuzz *fz)
{
	struct gwalk_mode m = fz->mode;
	unsigned r = fz_rnd(fz) % 4;

	if (r == 0)
		m.cr0 ^= CR0_WP;
	else
		m.cr4 ^= r == 1 ? CR4_PGE : r == 2 ? CR4_SMEP : CR4_SMAP;
	/* CR0.WP=0 with SMAP is the documented deviation (docs/shadow.md) */
	if (!(m.cr0 & CR0_WP) && (m.cr4 & CR4_SMAP))
		return;
	/* PAE: a MOV to CR4 changing PGE / SMEP reloads the PDPTEs */
	if (fz->fmt == FZ_PAE && r && r < 3 && !fz_pdptes(fz, m.cr3, m.pdpte))
		return;
	fz_note(fz, "cr0 %#llx cr4 %#llx", m.cr0, m.cr4);
	fz_set_mode(fz, &m);
}

/* linear addresses the guest used lately: its working set */
#define NRECENT	16

static void step(struct fuzz *fz, u64 *recent)
{
	unsigned r = fz_rnd(fz) % 1000;
	bool on = fz->mode.cr0 & CR0_PG;
	u64 la = fz_rnd(fz) % 2 ? gen_la(fz) : recent[fz_rnd(fz) % NRECENT];

	/* split-heavy: fewer full flushes, so a root collects many split pages */
	if (fz->split_heavy && r >= 950 && r < 975)
		r = 0;
	if (fz->split_heavy && r >= 995 && r < 999)
		r = 990;
	if (!on && r >= 820) {
		change_mode(fz, fz->fmt);
	} else if (r < 580) {
		op_access(fz, la);
		recent[fz_rnd(fz) % NRECENT] = la;
	} else if (r < 700) {
		op_pt_write(fz);
	} else if (r < 820) {
		op_remap(fz, la);
	} else if (r < 910) {
		/* often another 4 KiB of the same 2 / 4 MiB page: large pages
		 * split into fragments must go whole (issue 18) */
		if (fz_rnd(fz) % 2)
			la ^= (fz_rnd(fz) % (fz->fmt == FZ_32BIT ? 1024 : 512)) << 12;
		fz_note(fz, "invlpg %#llx", la);
		fz_invlpg(fz, la);
	} else if (r < 950) {
		op_cr3(fz);
	} else if (r < 960) {
		bool keep = fz_rnd(fz) % 2;

		fz_note(fz, "flush%s", keep ? " non-global" : "");
		fz_flush(fz, keep);
	} else if (r < 975) {
		op_cr_bits(fz);
	} else if (r < 995) {
		fz_check_leaves(fz);	/* also between flush points */
	} else {
		unsigned f = fz_rnd(fz) % 10;

		change_mode(fz, f < 6 ? FZ_4LEVEL : f < 8 ? FZ_PAE : FZ_32BIT);
	}
}

static u64 env_u64(const char *name, u64 def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static void run_seed(u64 seed, unsigned steps)
{
	static const unsigned roots[] = { 2, 3, 5, SHADOW_MAX_ROOTS };
	static struct fuzz fz;
	struct gwalk_mode m;
	u64 recent[NRECENT] = { 0 };

	fz_setup(&fz, seed);
	fz.split_heavy = seed % 3 == 1;
	build_tables(&fz);
	fz.fmt = FZ_4LEVEL;
	m = base_mode(&fz, fz.fmt, 0);
	m.cr3 = root_cr3(&fz, fz.fmt, 0, m.cr4);
	fz_start(&fz, &m, roots[fz_rnd(&fz) % ARRAY_SIZE(roots)]);
	for (fz.step = 0; fz.step < steps; fz.step++)
		step(&fz, recent);
	fz_check_leaves(&fz);
	if (getenv("UHV_TEST_VERBOSE"))
		printf("seed %#llx: %u accesses (%u hits, %u fills, %u injects of which %u "
		       "spurious, %u mmio, %u eio), %u stores, %u invlpg, %u cr3, %u flushes, "
		       "%u mode changes, %u checks of %u leaves (%u kept stale, allowed by the TLB "
		       "model)\n", seed, fz.st.accesses, fz.st.hits, fz.st.fills, fz.st.injects,
		       fz.st.spurious, fz.st.mmio, fz.st.eio, fz.st.pt_writes, fz.st.invlpgs,
		       fz.st.cr3_loads, fz.st.flushes, fz.st.mode_changes, fz.st.checks,
		       fz.st.leaves_checked, fz.st.tlb_justified);
	/* the fuzz reaches what it is for */
	assert_true(fz.st.fills > steps / 20 && fz.st.injects > steps / 40 && fz.st.mmio > 0);
	assert_true(fz.st.tlb_justified > 0 && fz.st.hits > steps / 100);
	fz_teardown(&fz);
}

static void test_shadow_fuzz(void **state)
{
	static const u64 seeds[] = { 0x5eed0001, 0x5eed0002, 0x5eed0003, 0x115, 0x3005, 0x3009 };
	unsigned steps = env_u64("UHV_SHADOW_FUZZ_STEPS", DEFAULT_STEPS);
	u64 first = env_u64("UHV_SHADOW_FUZZ_SEED", 0);
	unsigned n = env_u64("UHV_SHADOW_FUZZ_SEEDS", first ? 1 : ARRAY_SIZE(seeds));

	for (unsigned i = 0; i < n; i++)
		run_seed(first ? first + i : seeds[i % ARRAY_SIZE(seeds)], steps);
}

/* Found by the fuzz (seed 0x106b, step 36, before the fix in shadow_fill):
 * a read through a guest 2 MiB page makes a 2 MiB shadow leaf; the guest
 * replaces the page by a page table (no INVLPG yet, as it may), a write at
 * the page's start faults and maps a 4 KiB leaf there. ptab_map split the
 * old 2 MiB leaf to make room and kept the other 511 pieces; INVLPG of the
 * page then dropped only the new 4 KiB leaf, and the old page stayed
 * readable at 0x1000 after the guest invalidated it. */
static void test_fill_inside_stale_large_leaf(void **state)
{
	static struct fuzz fz;
	const u64 pml4 = FZ_GPT_BASE, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE,
		  pt = pd + PAGE_SIZE, urwa = PTE_P | PTE_RW | PTE_US | PTE_A;
	struct gwalk_mode m = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = pml4,
				.cr4 = CR4_PAE | CR4_PGE, .efer = EFER_LME | EFER_LMA | EFER_NXE,
				.maxphyaddr = 40 };
	paddr_t hpa;

	fz_setup(&fz, 0);
	fz_guest_pt_write(&fz, pml4, pdpt | urwa, 8);
	fz_guest_pt_write(&fz, pdpt, pd | urwa, 8);
	fz_guest_pt_write(&fz, pd, MiB(14) | PTE_P | PTE_US | PTE_A | PTE_D | PTE_PS, 8);
	fz_start(&fz, &m, 4);
	fz_access(&fz, 0x1000, 0);
	assert_int_equal(shadow_lookup(&fz.sh, 0x1000, &hpa, NULL, NULL), 0);
	assert_int_equal(hpa, FZ_RAM_A_HPA + MiB(14) + 0x1000);
	fz_guest_pt_write(&fz, pt, 0xbcf000 | urwa | PTE_D, 8);
	fz_guest_pt_write(&fz, pd, pt | urwa, 8);
	fz_access(&fz, 0, GWALK_WRITE);
	fz_invlpg(&fz, 0);	/* checks every leaf: nothing of the old page may stay */
	assert_int_equal(shadow_lookup(&fz.sh, 0x1000, &hpa, NULL, NULL), -ENOENT);
	fz_teardown(&fz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_inside_stale_large_leaf),
		cmocka_unit_test(test_shadow_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
