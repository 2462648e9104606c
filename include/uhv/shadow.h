/* Shadow MMU core (issue #6, mem=shadow): tables the processor walks instead
 * of the guest's own, mapping guest-linear addresses straight to host-physical
 * frames of guest RAM. Pure logic on callbacks; the VMX exit handlers call it
 * (CR3 loads, CR0/CR4/EFER writes, INVLPG, intercepted #PF). The design and
 * the VMCS settings it relies on are in docs/shadow.md.
 *
 * - The shadow tables are always PAE (3 levels, the first 4 GiB) or 4/5-level
 *   tables built with ptab (mm/ptab.c): a guest with paging off, 32-bit or PAE
 *   paging runs with CR4.PAE=1 on a PAE shadow; a 4/5-level guest on a
 *   4/5-level shadow.
 * - Filled lazily: a #PF exit re-walks the guest's tables (mm/gwalk.c); a
 *   hidden fault (the guest maps it, the shadow not yet) is filled, a true
 *   fault is returned for injection with the guest's exact error code.
 * - No write protection of guest page tables: shadow entries are dropped on
 *   INVLPG and MOV to CR3 as the architecture lets the TLB drop them, and
 *   the guest must invalidate after changing its tables anyway (SDM 4.10.4).
 * - A leaf is writable only when the guest's D flag is set, so the first
 *   write faults and sets D. Leaves point only to guest RAM (or to a
 *   pass-through MMIO range the caller allows, mapped UC). */
#ifndef UHV_SHADOW_H
#define UHV_SHADOW_H

#include <uhv/types.h>
#include <uhv/ptab.h>
#include <uhv/gwalk.h>

#define SHADOW_MAX_ROOTS	16
#define SHADOW_SPLIT_PAGES	8	/* split guest large pages remembered per root */

/* Software-available bits (11:9, ignored by the processor in PAE and 4/5-level
 * entries) of a shadow leaf: the guest's page size, so that INVLPG drops every
 * shadow leaf made from one guest page, and whether the guest page is global. */
#define SHADOW_PTE_GLOBAL	BIT(9)
#define SHADOW_PTE_GSIZE_SHIFT	10
/* guest page size: 0 4K, 1 2M, 2 4M, 3 1G */
#define SHADOW_PTE_GSIZE_MASK	(3ULL << SHADOW_PTE_GSIZE_SHIFT)

struct shadow_ops {
	/* guest-physical memory, for the guest's page tables */
	int (*read_gpa)(void *ctx, u64 gpa, void *buf, size_t len);
	int (*write_gpa)(void *ctx, u64 gpa, const void *buf, size_t len);
	/* 0 and *hpa if guest-physical [gpa, gpa+len) is guest RAM backed by
	 * host-physical [*hpa, *hpa+len) (contiguous), else negative */
	int (*ram_hpa)(void *ctx, u64 gpa, u64 len, paddr_t *hpa);
	/* optional (may be NULL): 0 and *hpa if the guest may map the
	 * non-RAM [gpa, gpa+len) directly, uncached (a pass-through BAR) */
	int (*mmio_hpa)(void *ctx, u64 gpa, u64 len, paddr_t *hpa);
	void *ctx;
	/* shadow table pages: alloc_table, free_table (required: roots are
	 * freed on eviction), p2v. A PAE shadow's root must lie below 4 GiB
	 * (PAE CR3 is 32 bits): uhv's pool is, and shadow_* fail with -ENOMEM
	 * if an allocator returns a higher page for a PAE root. */
	const struct ptab_mem *mem;
	bool host_1g;		/* the processor has 1 GiB pages: 4/5-level shadows use them */
};

struct shadow_root {
	struct ptab pt;
	bool used;
	enum gwalk_paging paging;	/* the guest paging mode the root was made for */
	u64 key;			/* guest CR3 bits that select the address space */
	u64 last_use;			/* LRU clock */
	/* Guest large pages the root holds smaller shadow leaves of (fragments:
	 * MMIO, ROM, RAM not contiguous in host memory), so that INVLPG finds
	 * them at every offset (issue 18): up to SHADOW_SPLIT_PAGES by base and
	 * SHADOW_PTE_GSIZE code; beyond that, splinters has a bit per guest page
	 * size (1 << code) whose fragments may be anywhere. Both are upper
	 * bounds, reset when every leaf of the root is dropped. */
	struct { u64 base; u8 code; } split[SHADOW_SPLIT_PAGES];
	unsigned nr_split;
	u8 splinters;
};

struct shadow_stats {
	u64 hits, misses, evictions;	/* root cache, counted at CR3 loads / mode changes */
	/* shadow_fill outcomes (injects include reflects) */
	u64 fills, injects, reflects, mmio;
	u64 invlpgs, flushes;
};

struct shadow {
	const struct shadow_ops *ops;
	struct gwalk_ops gops;
	struct gwalk_mode mode;		/* the guest's paging state */
	enum gwalk_paging paging;
	struct shadow_root roots[SHADOW_MAX_ROOTS];
	unsigned max_roots;
	struct shadow_root *cur;	/* root the guest runs on */
	u64 clock;
	struct shadow_stats stats;
};

/* shadow_fill() results (negative: errno) */
#define SHADOW_FILLED	0	/* hidden fault fixed (or nothing to do): resume the guest */
#define SHADOW_INJECT	1	/* inject #PF: out->error_code, CR2 = out->cr2 */
#define SHADOW_MMIO	2	/* the guest's translation reaches out->gpa, not RAM: emulate */

struct shadow_fault {
	u32 error_code;		/* SHADOW_INJECT */
	u64 cr2;		/* SHADOW_INJECT */
	u64 gpa;		/* SHADOW_MMIO: guest-physical address of the access */
	struct gwalk_result walk;	/* SHADOW_FILLED / SHADOW_MMIO: the guest's translation */
};

/* Set up an empty shadow MMU with a cache of max_roots (1..SHADOW_MAX_ROOTS)
 * roots and activate mode (the guest's paging state at start). *root is the
 * shadow root for the VMCS guest CR3 field. -EINVAL, -ENOMEM. */
int shadow_init(struct shadow *sh, const struct shadow_ops *ops, unsigned max_roots,
		const struct gwalk_mode *mode, paddr_t *root);

/* Free every table. */
void shadow_destroy(struct shadow *sh);

/* MOV to CR3 (or a task switch): the guest now uses cr3 (and, with PAE
 * paging, the PDPTEs the caller loaded with gwalk_load_pdptes(); NULL
 * otherwise). Drops the non-global translations of that address space,
 * except when CR4.PCIDE=1 and bit 63 of cr3 is set. *root: new guest CR3. */
int shadow_load_cr3(struct shadow *sh, u64 cr3, const u64 *pdpte, paddr_t *root);

/* The guest changed CR0, CR4 or EFER (or PKRU / PDPTEs reloaded by CR0/CR4
 * writes): mode is its whole new paging state. If anything that shapes
 * translations changed (CR0.PG/WP, CR4.PAE/PSE/PGE/SMEP/SMAP/PKE/LA57/PCIDE,
 * EFER.NXE/LMA, PDPTEs), every shadow table is dropped (as the TLB is
 * flushed); changes of CR3 go through shadow_load_cr3(). *root: guest CR3. */
int shadow_set_mode(struct shadow *sh, const struct gwalk_mode *mode, paddr_t *root);

/* A #PF exit at linear address la with the processor's error code pfec;
 * access: gwalk_access_from_pfec(pfec, cpl, RFLAGS.AC) or better knowledge.
 * Returns SHADOW_FILLED, SHADOW_INJECT, SHADOW_MMIO, or -EIO (a guest
 * paging-structure entry is not in guest RAM: out->gpa), -ENOMEM. */
int shadow_fill(struct shadow *sh, u64 la, u32 pfec, unsigned access, struct shadow_fault *out);

/* INVLPG la (also INVPCID individual-address): drop the shadow leaves made
 * from the guest page containing la, in every cached root. */
void shadow_invlpg(struct shadow *sh, u64 la);

/* Drop every shadow translation (CR4.PGE toggled, INVPCID all-context);
 * keep_global: drop only non-global ones (INVPCID single-context). */
void shadow_flush(struct shadow *sh, bool keep_global);

/* The current root's leaf for la: 0 and hpa / attrs (ptab_x86 attribute
 * convention) / level, or -ENOENT. For tests and diagnostics. */
int shadow_lookup(const struct shadow *sh, u64 la, paddr_t *hpa, u64 *attrs, unsigned *level);

/* Root tables in use by the cache (for tests / statistics). */
unsigned shadow_roots_used(const struct shadow *sh);

#endif
