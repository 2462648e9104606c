/* Host fuzz of the shadow MMU (issue 18 item 4): guest model, TLB model, checks.
 *
 * THE SEAMS (what a new shadow design adapts; keep them the only places):
 *
 *  1. fz_guest_pt_write(): EVERY guest store to memory that may hold guest
 *     page tables. Today it is a plain store into the fake guest RAM: the
 *     shadow MMU learns of it only at the next INVLPG / MOV to CR3 / flush, as
 *     a TLB would. With write-protected guest tables it becomes "the store
 *     faults on the read-only shadow leaf and is emulated" (call the new
 *     shadow write-emulation API here instead of, or after, the store).
 *     Before the store it records in the TLB model every shadow leaf the
 *     guest's tables allow at that moment (a processor may cache any valid
 *     translation at any time, SDM 4.10.2.3), so a design that prefetches
 *     or keeps leaves unsynced until the next flush point is judged fairly.
 *  2. hw_lookup() / hw_for_each(): the processor's view of the shadow tables,
 *     walked from the root the API returns (fz->root) with the arena's p2v;
 *     they assume the x86 format with non-leaf entries that grant everything
 *     (include/uhv/shadow.h), 4 levels for 4-level guests, PAE otherwise.
 *  3. fz_access(): the processor's access on the shadow: through a leaf that
 *     allows it, or a #PF exit with the hardware error code to shadow_fill().
 *
 * The reference is the architecture (SDM Vol. 3A 4.10): every present shadow
 * leaf of the current root must map a frame inside guest RAM (or the
 * pass-through MMIO range), and every access the processor would let through
 * it must be one the guest's CURRENT tables allow (same frame, A set, D set
 * for writes, guest page at least as large as the leaf) OR one a TLB entry of
 * the model allows. The TLB model holds what the guest used (accesses) and
 * the leaves noted at seam 1; it drops entries exactly where the architecture
 * does: INVLPG (the page containing the address; global ones too), MOV to CR3
 * (non-global), CR4.PGE toggles, CR0.PG changes, shadow_flush (INVPCID). It
 * keeps them across CR0.WP / CR4.SMEP / SMAP changes (a TLB caches rights,
 * the check uses the current control bits; the model is in
 * test/unit/shadow_fuzz_tlb.c). Guest walks use mm/gwalk.c
 * (unit-tested on its own by test_gwalk.c); the rights rules applied to
 * shadow leaves and TLB entries are this file's own. */
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

#define ARENA_PA	GiB(1)
#define ARENA_PAGES	4096

static u8 *ram_a, *ram_b;	/* one fuzz at a time */

/* ---- log, random numbers, failure ------------------------------------------------- */

u64 fz_rnd(struct fuzz *fz)
{
	/* xorshift64* */
	fz->rng ^= fz->rng >> 12;
	fz->rng ^= fz->rng << 25;
	fz->rng ^= fz->rng >> 27;
	return fz->rng * 0x2545f4914f6cdd1dULL;
}

void fz_note(struct fuzz *fz, const char *fmt, ...)
{
	char *line = fz->log[fz->nlog++ % FZ_LOG];
	int n = snprintf(line, sizeof(fz->log[0]), "%6u ", fz->step);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(fz->log[0]) - n, fmt, ap);
	va_end(ap);
}

void fz_fail(struct fuzz *fz, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("shadow fuzz FAILED: seed %#llx step %u: %s\n", fz->seed, fz->step, msg);
	printf("  mode cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx; last operations:\n",
	       fz->mode.cr0, fz->mode.cr3, fz->mode.cr4, fz->mode.efer);
	for (unsigned i = fz->nlog > FZ_LOG ? fz->nlog - FZ_LOG : 0; i < fz->nlog; i++)
		printf("  %s\n", fz->log[i % FZ_LOG]);
	printf("  reproduce: UHV_SHADOW_FUZZ_SEED=%#llx build/unit/test_shadow_fuzz\n", fz->seed);
	fail_msg("shadow fuzz: seed %#llx step %u: %s", fz->seed, fz->step, msg);
}

/* ---- guest memory and the shadow's callbacks ------------------------------------------ */

static bool inside(u64 x, u64 len, u64 base, u64 size)
{
	return x >= base && x - base < size && len <= size - (x - base);
}

static void *gptr(u64 gpa, u64 len)
{
	if (inside(gpa, len, 0, FZ_RAM_A_SIZE))
		return ram_a + gpa;
	if (inside(gpa, len, FZ_RAM_B_GPA, FZ_RAM_B_SIZE))
		return ram_b + (gpa - FZ_RAM_B_GPA);
	return NULL;
}

/* guest-physical [gpa, gpa+len) <-> buf; -EFAULT outside guest RAM */
static int g_copy(u64 gpa, void *buf, size_t len, bool to_guest)
{
	u8 *p = gptr(gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(to_guest ? p : buf, to_guest ? buf : p, len);
	return 0;
}

static int g_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	return g_copy(gpa, buf, len, false);
}

/* the processor's A/D updates (the shadow's walk), not a guest store */
static int g_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	return g_copy(gpa, (void *)buf, len, true);
}

bool fz_gpa_to_hpa(u64 gpa, u64 len, paddr_t *hpa)
{
	if (inside(gpa, len, 0, FZ_RAM_A_SIZE))
		*hpa = FZ_RAM_A_HPA + gpa;
	else if (inside(gpa, len, FZ_RAM_B_GPA, FZ_RAM_B_SIZE))
		*hpa = FZ_RAM_B_HPA + (gpa - FZ_RAM_B_GPA);
	else
		return false;
	return true;
}

static int g_ram_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	return fz_gpa_to_hpa(gpa, len, hpa) ? 0 : -ENOENT;
}

static int g_mmio_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	if (!inside(gpa, len, FZ_MMIO_GPA, FZ_MMIO_SIZE))
		return -ENOENT;
	*hpa = gpa;
	return 0;
}

/* host range of a shadow leaf -> guest-physical, false if not guest RAM / MMIO */
static bool hpa_to_gpa(paddr_t hpa, u64 len, u64 *gpa)
{
	if (inside(hpa, len, FZ_RAM_A_HPA, FZ_RAM_A_SIZE))
		*gpa = hpa - FZ_RAM_A_HPA;
	else if (inside(hpa, len, FZ_RAM_B_HPA, FZ_RAM_B_SIZE))
		*gpa = FZ_RAM_B_GPA + (hpa - FZ_RAM_B_HPA);
	else if (inside(hpa, len, FZ_MMIO_GPA, FZ_MMIO_SIZE))
		*gpa = hpa;
	else
		return false;
	return true;
}

u64 fz_get(struct fuzz *fz, u64 gpa, unsigned size)
{
	u64 v = 0;

	if (g_read(NULL, gpa, &v, size))
		fz_fail(fz, "harness: read of %#llx outside guest RAM", gpa);
	return v;
}

static const struct gwalk_ops ref_ops = { .read_gpa = g_read };	/* no A/D */

static u64 linear(const struct fuzz *fz, u64 la)
{
	return fz->paging >= GWALK_PAGING_4LEVEL ? la : la & 0xffffffffULL;
}

/* ---- the processor's view of the shadow tables (seam 2) ------------------------------------ */

struct hw_leaf {
	u64 la, size;
	paddr_t hpa;
	u64 eff;	/* effective PTE_RW / PTE_US / PTE_NX over the shadow path */
};

static bool shadow_long(const struct fuzz *fz)
{
	return fz->paging >= GWALK_PAGING_4LEVEL;
}

static const u64 *stab(struct fuzz *fz, paddr_t pa)
{
	return fz->arena->mem.p2v(fz->arena, pa & PTE_ADDR_4K);
}

static u64 combine(u64 eff, u64 e)
{
	return (eff & (e | ~(PTE_RW | PTE_US))) | (e & PTE_NX);
}

static bool hw_lookup(struct fuzz *fz, u64 lin, struct hw_leaf *l)
{
	unsigned level = shadow_long(fz) ? 3 : 2;
	paddr_t table = fz->root;
	u64 eff = PTE_RW | PTE_US;

	for (;; level--) {
		unsigned shift = 12 + 9 * level;
		bool pae_top = !shadow_long(fz) && level == 2;
		u64 e = stab(fz, table)[(lin >> shift) & (pae_top ? 3 : 511)];

		if (!(e & PTE_P))
			return false;
		if (!pae_top)	/* PDPTE registers carry no rights */
			eff = combine(eff, e);
		if (level == 0 || (!pae_top && (e & PTE_PS))) {
			l->size = BIT(shift);
			l->la = lin & ~(l->size - 1);
			l->hpa = e & PTE_ADDR_4K & ~(l->size - 1);
			l->eff = eff;
			return true;
		}
		table = e & PTE_ADDR_4K;
	}
}

typedef void (*leaf_fn)(struct fuzz *fz, const struct hw_leaf *l);

static void hw_walk(struct fuzz *fz, paddr_t table, unsigned level, u64 base, u64 eff, leaf_fn fn)
{
	bool pae_top = !shadow_long(fz) && level == 2;
	const u64 *t = stab(fz, table);
	unsigned shift = 12 + 9 * level;

	for (unsigned i = 0; i < (pae_top ? 4u : 512u); i++) {
		u64 e = t[i], la = base + ((u64)i << shift);
		u64 x = pae_top ? eff : combine(eff, e);

		if (!(e & PTE_P))
			continue;
		if (level == 0 || (!pae_top && (e & PTE_PS))) {
			struct hw_leaf l = { .la = la, .size = BIT(shift), .eff = x,
					     .hpa = e & PTE_ADDR_4K & ~(BIT(shift) - 1) };

			if (shadow_long(fz) && (la & BIT(47)))
				l.la |= 0xffff000000000000ULL;
			fn(fz, &l);
		} else {
			hw_walk(fz, e & PTE_ADDR_4K, level - 1, la, x, fn);
		}
	}
}

static void hw_for_each(struct fuzz *fz, leaf_fn fn)
{
	hw_walk(fz, fz->root, shadow_long(fz) ? 3 : 2, 0, PTE_RW | PTE_US, fn);
}

/* ---- judging a shadow leaf ---------------------------------------------------------------------- */

/* The guest's current tables allow access at the leaf's lin to gpa. */
static bool current_allows(const struct fuzz *fz, int wrc, const struct gwalk_result *w,
			   u64 size, u64 gpa, unsigned access)
{
	if (wrc || w->gpa != gpa)
		return false;
	if (!fz_paging_on(fz))
		return true;	/* linear = physical, no A/D */
	return w->page_size >= size && (w->flags & PTE_A) &&
	       (!fz_is_write(access) || (w->flags & PTE_D)) && fz_guest_allows(fz, w->flags, access);
}

static const unsigned leaf_kinds[] = {
	GWALK_AC, GWALK_AC | GWALK_WRITE, GWALK_FETCH,
	GWALK_USER, GWALK_USER | GWALK_WRITE, GWALK_USER | GWALK_FETCH,
};

/* 0: the current tables allow every access the processor lets through the
 * leaf; 1: some only a TLB entry allows; -1: neither (*bad: the access) */
static int judge_leaf(struct fuzz *fz, const struct hw_leaf *l, struct gwalk_result *w,
		      unsigned *bad)
{
	u64 gpa;
	int wrc, verdict = 0;

	if (!hpa_to_gpa(l->hpa, l->size, &gpa))
		fz_fail(fz, "shadow leaf la %#llx -> hpa %#llx size %#llx is outside guest RAM",
			l->la, l->hpa, l->size);
	wrc = gwalk(&ref_ops, &fz->mode, l->la, GWALK_AC | GWALK_NO_AD, w);
	for (unsigned i = 0; i < ARRAY_SIZE(leaf_kinds); i++) {
		unsigned k = leaf_kinds[i];

		if (!fz_hw_allows(fz, l->eff, k) || current_allows(fz, wrc, w, l->size, gpa, k))
			continue;
		if (!fz_tlb_allows(fz, linear(fz, l->la), l->size, gpa, k)) {
			*bad = k;
			return -1;
		}
		verdict = 1;
	}
	return verdict;
}

static const char *kind_name(unsigned access)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "%s %s%s%s", (access & GWALK_FETCH) ? "fetch" :
		 fz_is_write(access) ? "write" : "read",
		 (access & GWALK_USER) ? "user" : "supervisor",
		 (access & GWALK_IMPLICIT) ? " implicit" : "", (access & GWALK_AC) ? " AC" : "");
	return buf;
}

static void check_leaf(struct fuzz *fz, const struct hw_leaf *l)
{
	struct gwalk_result w;
	unsigned bad = 0;
	int v = judge_leaf(fz, l, &w, &bad);

	fz->st.leaves_checked++;
	if (v < 0)
		fz_fail(fz, "stale or too wide shadow leaf: la %#llx size %#llx hpa %#llx rights "
			"%#llx lets a %s through; the guest's tables say gpa %#llx size %#llx "
			"flags %#llx (no translation: ec %#x), and no TLB entry allows it",
			l->la, l->size, l->hpa, l->eff, kind_name(bad), w.gpa, w.page_size,
			w.flags, w.error_code);
	fz->st.tlb_justified += v;
}

/* A PAE shadow's PDPTEs are loaded at VM entry, which fails on a present
 * one with a reserved bit (2:1, 8:5, 63:52 here): docs/shadow.md. */
static void check_pdptes(struct fuzz *fz)
{
	const u64 rsvd = 0x6ULL | 0x1e0ULL | ~((1ULL << 52) - 1);
	const u64 *pdpt = stab(fz, fz->root);

	for (unsigned i = 0; i < 4; i++)
		if ((pdpt[i] & PTE_P) && (pdpt[i] & rsvd))
			fz_fail(fz, "PAE shadow PDPTE %u is %#llx: reserved bits, VM entry fails", i,
				pdpt[i]);
}

void fz_check_leaves(struct fuzz *fz)
{
	fz->st.checks++;
	if (!shadow_long(fz))
		check_pdptes(fz);
	hw_for_each(fz, check_leaf);
}

/* a leaf the current tables allow could be in a TLB now: note it */
static void note_leaf(struct fuzz *fz, const struct hw_leaf *l)
{
	struct gwalk_result w;
	unsigned bad;

	if (judge_leaf(fz, l, &w, &bad) == 0 && w.page_size)
		fz_tlb_add(fz, linear(fz, l->la), &w);
}

/* ---- seam 1: guest stores to page-table memory --------------------------------------------------- */

void fz_guest_pt_write(struct fuzz *fz, u64 gpa, u64 val, unsigned size)
{
	void *p = gptr(gpa, size);

	if (!p)
		fz_fail(fz, "harness: page-table store to %#llx outside guest RAM", gpa);
	if (fz_paging_on(fz))
		hw_for_each(fz, note_leaf);
	memcpy(p, &val, size);
	fz->st.pt_writes++;
}

/* ---- seam 3: accesses ------------------------------------------------------------------------------ */

/* the processor's #PF error code on the shadow: it runs with NXE=1, so a
 * fetch always reports I/D; an implicit access is a supervisor access */
static u32 hw_pfec(bool present, unsigned access)
{
	return (present ? PFEC_P : 0) | (fz_is_write(access) ? PFEC_W : 0) |
	       ((access & GWALK_USER) && !(access & GWALK_IMPLICIT) ? PFEC_U : 0) |
	       ((access & GWALK_FETCH) ? PFEC_ID : 0);
}

/* the processor let the access at lin through leaf l */
static void access_through(struct fuzz *fz, u64 la, unsigned access, const struct hw_leaf *l)
{
	u64 lin = linear(fz, la), gpa;
	struct gwalk_result w;
	paddr_t hpa;
	int wrc;

	if (!hpa_to_gpa(l->hpa + (lin - l->la), 1, &gpa))
		fz_fail(fz, "%s at %#llx reaches hpa %#llx outside guest RAM", kind_name(access),
			la, l->hpa + (lin - l->la));
	if (shadow_lookup(&fz->sh, la, &hpa, NULL, NULL) || hpa != l->hpa + (lin - l->la))
		fz_fail(fz, "shadow_lookup(%#llx) disagrees with the shadow tables (%#llx)", la,
			l->hpa + (lin - l->la));
	wrc = gwalk(&ref_ops, &fz->mode, la, access | GWALK_NO_AD, &w);
	if (current_allows(fz, wrc, &w, fz_paging_on(fz) ? l->size : 0, gpa, access)) {
		fz_tlb_add(fz, lin, &w);
		return;
	}
	if (!fz_tlb_allows(fz, lin, l->size, gpa, access))
		fz_fail(fz, "%s at %#llx went through shadow leaf hpa %#llx (gpa %#llx) rights "
			"%#llx; the guest's tables say rc %d gpa %#llx flags %#llx ec %#x and no "
			"TLB entry allows it", kind_name(access), la, l->hpa, gpa, l->eff, wrc,
			w.gpa, w.flags, w.error_code);
}

/* shadow_fill() said SHADOW_INJECT: the guest's processor faults the same way */
static void check_inject(struct fuzz *fz, u64 la, unsigned access, int wrc,
			 const struct gwalk_result *w, const struct shadow_fault *f)
{
	u64 lin = linear(fz, la);
	bool id = (access & GWALK_FETCH) && ((fz->mode.cr4 & CR4_SMEP) ||
		   (fz->paging != GWALK_PAGING_32 && (fz->mode.efer & EFER_NXE)));
	u32 spurious = hw_pfec(true, access) & ~(id ? 0 : PFEC_ID);

	if (f->cr2 != lin)
		fz_fail(fz, "injected #PF for %#llx with CR2 %#llx", la, f->cr2);
	if (wrc == -EFAULT && f->error_code == w->error_code)
		return;
	if (wrc == 0 && f->error_code == spurious && fz_tlb_denies(fz, lin, access)) {
		fz->st.spurious++;
		return;
	}
	fz_fail(fz, "%s at %#llx: shadow injects #PF ec %#x, the guest's tables say rc %d "
		"ec %#x gpa %#llx", kind_name(access), la, f->error_code, wrc, w->error_code,
		w->gpa);
}

static void check_exit(struct fuzz *fz, u64 la, unsigned access, int r, int wrc,
		       const struct gwalk_result *w, const struct shadow_fault *f)
{
	paddr_t h;
	bool ram, passthrough;

	switch (r) {
	case SHADOW_INJECT:
		fz->st.injects++;
		check_inject(fz, la, access, wrc, w, f);
		return;
	case SHADOW_MMIO:
		fz->st.mmio++;
		ram = fz_gpa_to_hpa(f->gpa, 1, &h);
		passthrough = !g_mmio_hpa(NULL, f->gpa & ~0xfffULL, PAGE_SIZE, &h);
		if (wrc || w->gpa != f->gpa || ram || passthrough)
			fz_fail(fz, "%s at %#llx: SHADOW_MMIO gpa %#llx, the guest's tables say "
				"rc %d gpa %#llx", kind_name(access), la, f->gpa, wrc, w->gpa);
		return;
	case -EIO:
		fz->st.eio++;
		if (wrc != -EIO || w->bad_gpa != f->gpa)
			fz_fail(fz, "%s at %#llx: -EIO at %#llx, the guest's walk says rc %d (%#llx)",
				kind_name(access), la, f->gpa, wrc, w->bad_gpa);
		return;
	default:
		fz_fail(fz, "%s at %#llx: shadow_fill returned %d (guest walk rc %d)",
			kind_name(access), la, r, wrc);
	}
}

void fz_access(struct fuzz *fz, u64 la, unsigned access)
{
	unsigned cpl = (access & (GWALK_USER | GWALK_IMPLICIT)) ? 3 : 0;

	fz->st.accesses++;
	for (unsigned round = 0; round < 3; round++) {
		struct hw_leaf l;
		bool present = hw_lookup(fz, linear(fz, la), &l);
		struct shadow_fault f;
		struct gwalk_result w;
		u32 pfec;
		int r, wrc;

		if (present && fz_hw_allows(fz, l.eff, access)) {
			fz->st.hits += round == 0;
			access_through(fz, la, access, &l);
			return;
		}
		pfec = hw_pfec(present, access);
		wrc = gwalk(&ref_ops, &fz->mode, la, access | GWALK_NO_AD, &w);
		r = shadow_fill(&fz->sh, la, pfec,
				gwalk_access_from_pfec(pfec, cpl, access & GWALK_AC), &f);
		if (r != SHADOW_FILLED) {
			check_exit(fz, la, access, r, wrc, &w, &f);
			return;
		}
		fz->st.fills++;
	}
	fz_fail(fz, "%s at %#llx still faults after 3 SHADOW_FILLED", kind_name(access), la);
}

/* ---- flush points ---------------------------------------------------------------------------------- */

void fz_invlpg(struct fuzz *fz, u64 la)
{
	fz->st.invlpgs++;
	if (fz_paging_on(fz))
		fz_tlb_invlpg(fz, linear(fz, la));
	shadow_invlpg(&fz->sh, la);
	fz_check_leaves(fz);
}

bool fz_pdptes(struct fuzz *fz, u64 cr3, u64 pdpte[4])
{
	return gwalk_load_pdptes(&ref_ops, cr3, 40, pdpte) == 0;
}

/* MOV to CR3 (noflush: bit 63 with CR4.PCIDE=1); false when the guest
 * would get #GP (a reserved PAE PDPTE bit) */
bool fz_load_cr3(struct fuzz *fz, u64 cr3, bool noflush)
{
	bool pcide = fz->mode.cr4 & CR4_PCIDE;
	u64 pdpte[4];
	int err;

	if (fz->paging == GWALK_PAGING_PAE) {
		if (!fz_pdptes(fz, cr3, pdpte))
			return false;
		memcpy(fz->mode.pdpte, pdpte, sizeof(pdpte));
	}
	fz->st.cr3_loads++;
	/* PCIDE=0: every non-global entry; else those of the new PCID unless noflush */
	if (!pcide)
		fz_tlb_drop(fz, FZ_DROP_NONGLOBAL, 0);
	else if (!noflush)
		fz_tlb_drop(fz, FZ_DROP_PCID_NONGLOBAL, cr3 & 0xfff);
	fz->mode.cr3 = cr3;
	err = shadow_load_cr3(&fz->sh, cr3 | (pcide && noflush ? BIT(63) : 0), fz->paging == GWALK_PAGING_PAE ? pdpte : NULL,
			      &fz->root);
	if (err)
		fz_fail(fz, "shadow_load_cr3(%#llx): %d", cr3, err);
	fz_check_leaves(fz);
	return true;
}

/* MOV to CR0 / CR4 / EFER: m is the whole new state (PAE: PDPTEs loaded by
 * the caller). The TLB is flushed when CR0.PG or CR4.PGE changes or the
 * paging mode does (SDM 4.10.4.1); WP / SMEP / SMAP changes keep it. */
bool fz_set_mode(struct fuzz *fz, const struct gwalk_mode *m)
{
	enum gwalk_paging p = gwalk_paging(m->cr0, m->cr4, m->efer);
	int err;

	fz->st.mode_changes++;
	if (p != fz->paging || ((m->cr4 ^ fz->mode.cr4) & (CR4_PGE | CR4_PCIDE)) ||
	    ((m->cr0 ^ fz->mode.cr0) & CR0_PG))
		fz_tlb_drop(fz, FZ_DROP_ALL, 0);
	fz->mode = *m;
	fz->paging = p;
	err = shadow_set_mode(&fz->sh, m, &fz->root);
	if (err)
		fz_fail(fz, "shadow_set_mode: %d", err);
	fz_check_leaves(fz);
	return true;
}

/* INVPCID all-context (keep_global false) / single-context (the current PCID) */
void fz_flush(struct fuzz *fz, bool keep_global)
{
	fz->st.flushes++;
	fz_tlb_drop(fz, keep_global ? FZ_DROP_PCID_NONGLOBAL : FZ_DROP_ALL, fz_cur_pcid(fz));
	shadow_flush(&fz->sh, keep_global);
	fz_check_leaves(fz);
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

void fz_setup(struct fuzz *fz, u64 seed)
{
	*fz = (struct fuzz){ .seed = seed, .rng = seed ^ 0x9e3779b97f4a7c15ULL,
			     .gpt_next = FZ_GPT_BASE };
	if (!fz->rng)
		fz->rng = 1;
	ram_a = calloc(1, FZ_RAM_A_SIZE);
	ram_b = calloc(1, FZ_RAM_B_SIZE);
	fz->tlb = calloc(FZ_TLB_MAX, sizeof(*fz->tlb));
	assert_true(ram_a && ram_b && fz->tlb);
	fz->arena = arena_new(ARENA_PA, ARENA_PAGES, ARENA_FREE);
	fz->ops = (struct shadow_ops){ .read_gpa = g_read, .write_gpa = g_write,
				       .ram_hpa = g_ram_hpa, .mmio_hpa = g_mmio_hpa,
				       .mem = &fz->arena->mem, .host_1g = true, .ctx = fz };
}

/* start the shadow MMU in mode m (tables built, PDPTEs loaded) */
void fz_start(struct fuzz *fz, const struct gwalk_mode *m, unsigned max_roots)
{
	fz->mode = *m;
	fz->paging = gwalk_paging(m->cr0, m->cr4, m->efer);
	if (shadow_init(&fz->sh, &fz->ops, max_roots, m, &fz->root))
		fz_fail(fz, "shadow_init failed");
}

void fz_teardown(struct fuzz *fz)
{
	shadow_destroy(&fz->sh);
	if (fz->arena->in_use)
		fz_fail(fz, "%zu shadow table pages leaked", fz->arena->in_use);
	arena_del(fz->arena);
	free(ram_a);
	free(ram_b);
	free(fz->tlb);
	ram_a = ram_b = NULL;
}
