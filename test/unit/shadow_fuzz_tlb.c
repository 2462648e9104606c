/* Host fuzz of the shadow MMU: access rights and the TLB model (see the
 * description at the top of test/unit/shadow_fuzz_harness.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <uhv/ptab_x86.h>
#include <uhv/cpu.h>
#include "shadow_fuzz_harness.h"

/* ---- access rights --------------------------------------------------------------------------- */

/* SDM 4.6.1 for effective rights eff (data accesses honour wp; smep / smap
 * as CR4 says). Protection keys are not fuzzed. */
bool fz_rights_allow(u64 eff, unsigned access, bool wp, bool smep, bool smap)
{
	bool fetch = access & GWALK_FETCH, write = !fetch && (access & GWALK_WRITE);
	bool implicit = access & GWALK_IMPLICIT;
	bool user = (access & GWALK_USER) && !implicit, upage = eff & PTE_US;

	if (fetch)
		return !(eff & PTE_NX) && (user ? upage : !(upage && smep));
	if (user)
		return upage && (!write || (eff & PTE_RW));
	if (upage && smap && (implicit || !(access & GWALK_AC)))
		return false;
	return !write || !wp || (eff & PTE_RW);
}

bool fz_paging_on(const struct fuzz *fz)
{
	return fz->paging != GWALK_PAGING_OFF;
}

/* the processor runs the guest with CR0.WP=1, EFER.NXE=1 and the guest's
 * SMEP / SMAP (none with paging off): docs/shadow.md */
bool fz_hw_allows(const struct fuzz *fz, u64 eff, unsigned access)
{
	bool on = fz_paging_on(fz);

	return fz_rights_allow(eff, access, true, on && (fz->mode.cr4 & CR4_SMEP),
			    on && (fz->mode.cr4 & CR4_SMAP));
}

bool fz_guest_allows(const struct fuzz *fz, u64 eff, unsigned access)
{
	return !fz_paging_on(fz) ||
	       fz_rights_allow(eff, access, fz->mode.cr0 & CR0_WP, fz->mode.cr4 & CR4_SMEP,
			    fz->mode.cr4 & CR4_SMAP);
}

bool fz_is_write(unsigned access)
{
	return !(access & GWALK_FETCH) && (access & GWALK_WRITE);
}

/* ---- the TLB model ------------------------------------------------------------------------------ */

/* the current PCID (SDM 4.10.1: 000H with CR4.PCIDE=0) */
u64 fz_cur_pcid(const struct fuzz *fz)
{
	return (fz->mode.cr4 & CR4_PCIDE) ? fz->mode.cr3 & 0xfff : 0;
}

void fz_tlb_add(struct fuzz *fz, u64 lin, const struct gwalk_result *w)
{
	struct fz_tlb t;

	if (!fz_paging_on(fz))
		return;		/* no TLB is involved in paging off */
	t = (struct fz_tlb){ .asid = fz_cur_pcid(fz), .size = w->page_size,
			     .la = lin & ~(w->page_size - 1),
			     .eff = w->flags & (PTE_RW | PTE_US | PTE_NX),
			     .dirty = w->flags & PTE_D,
			     .global = (w->flags & PTE_G) && (fz->mode.cr4 & CR4_PGE) };
	t.gpa = w->gpa - (lin - t.la);
	for (unsigned i = 0; i < fz->ntlb; i++) {
		struct fz_tlb *o = &fz->tlb[i];

		if (o->asid == t.asid && o->la == t.la && o->size == t.size && o->gpa == t.gpa &&
		    o->eff == t.eff && o->global == t.global) {
			o->dirty |= t.dirty;
			return;
		}
	}
	if (fz->ntlb == FZ_TLB_MAX)
		fz_fail(fz, "harness: TLB model full (%u entries)", fz->ntlb);
	fz->tlb[fz->ntlb++] = t;
}

static bool tlb_visible(const struct fuzz *fz, const struct fz_tlb *t)
{
	return t->global || t->asid == fz_cur_pcid(fz);
}

/* a TLB entry allows access at lin to gpa through a leaf of size */
bool fz_tlb_allows(const struct fuzz *fz, u64 lin, u64 size, u64 gpa, unsigned access)
{
	for (unsigned i = 0; i < fz->ntlb; i++) {
		const struct fz_tlb *t = &fz->tlb[i];

		if (tlb_visible(fz, t) && lin - t->la < t->size && t->size >= size &&
		    t->gpa + (lin - t->la) == gpa && fz_guest_allows(fz, t->eff, access) &&
		    (!fz_is_write(access) || t->dirty))
			return true;
	}
	return false;
}

/* a TLB entry for lin that denies access (a spurious #PF, SDM 4.10.4.3) */
bool fz_tlb_denies(const struct fuzz *fz, u64 lin, unsigned access)
{
	for (unsigned i = 0; i < fz->ntlb; i++) {
		const struct fz_tlb *t = &fz->tlb[i];

		if (tlb_visible(fz, t) && lin - t->la < t->size &&
		    (!fz_guest_allows(fz, t->eff, access) || (fz_is_write(access) && !t->dirty)))
			return true;
	}
	return false;
}


/* FZ_DROP_PCID_NONGLOBAL: the non-global entries of PCID pcid */
void fz_tlb_drop(struct fuzz *fz, enum fz_tlb_drop what, u64 pcid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fz->ntlb; i++) {
		const struct fz_tlb *t = &fz->tlb[i];

		if ((what == FZ_DROP_NONGLOBAL && t->global) ||
		    (what == FZ_DROP_PCID_NONGLOBAL && (t->global || t->asid != pcid)))
			fz->tlb[n++] = *t;
	}
	fz->ntlb = n;
}

void fz_tlb_invlpg(struct fuzz *fz, u64 lin)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fz->ntlb; i++)
		if (!(tlb_visible(fz, &fz->tlb[i]) && lin - fz->tlb[i].la < fz->tlb[i].size))
			fz->tlb[n++] = fz->tlb[i];
	fz->ntlb = n;
}
