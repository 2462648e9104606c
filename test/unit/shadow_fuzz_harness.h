/* Host fuzz of the shadow MMU (issue 18 item 4): the guest model, its TLB
 * model and the checks. test/unit/test_shadow_fuzz.c drives it with random
 * operations; the seams a new shadow design adapts are described at the top
 * of test/unit/shadow_fuzz_harness.c. */
#ifndef SHADOW_FUZZ_HARNESS_H
#define SHADOW_FUZZ_HARNESS_H
#include <stdbool.h>
#include <uhv/shadow.h>

struct arena;

/* Guest-physical memory: RAM A [0, 16M) at host 4G + gpa (2 MiB aligned in
 * host memory: large shadow leaves), its page tables in [1M, 2M) and data
 * frames in [2M, 16M); RAM B [64M, 68M) at host 8G + 4K (not 2 MiB aligned:
 * a guest large page there is shadowed by 4 KiB fragments); a pass-through
 * MMIO range mapped at the same host address; everything else is a hole
 * (SHADOW_MMIO for data, -EIO for page tables). */
#define FZ_RAM_A_SIZE	MiB(16)
#define FZ_RAM_A_HPA	GiB(4)
#define FZ_GPT_BASE	MiB(1)
#define FZ_DATA_BASE	MiB(2)
#define FZ_RAM_B_GPA	MiB(64)
#define FZ_RAM_B_SIZE	MiB(4)
#define FZ_RAM_B_HPA	(GiB(8) + KiB(4))
#define FZ_MMIO_GPA	0xfebf0000ULL
#define FZ_MMIO_SIZE	KiB(64)
#define FZ_HOLE_GPA	0x80000000ULL

/* guest page-table formats the fuzz builds (one table set each) */
enum fz_fmt { FZ_4LEVEL, FZ_PAE, FZ_32BIT, FZ_NFMT };

#define FZ_NAS		4	/* address spaces per format (processes) */
#define FZ_MAX_LEVELS	4
#define FZ_MAX_TABLES	96
#define FZ_TLB_MAX	4096
#define FZ_LOG		64	/* operations remembered for a failure report */

/* access kinds: what the guest does and how (gwalk access flags) */
#define FZ_CPL3		BIT(8)	/* with GWALK_IMPLICIT: a supervisor access at CPL 3 */

struct fz_table {
	u64 gpa;
	u8 fmt, level;
	bool kernel;		/* shared by every address space of its format */
};

/* One translation a real TLB may hold (SDM 4.10.2): made when the guest
 * used it, kept until INVLPG / MOV to CR3 / a flush drops it. */
struct fz_tlb {
	u64 asid;		/* PCID it was made with (0 with CR4.PCIDE=0) */
	u64 la, size, gpa;	/* guest page: linear base, size, guest-physical base */
	u64 eff;		/* effective PTE_RW / PTE_US / PTE_NX */
	bool dirty, global;
};

struct fz_stats {
	unsigned accesses, hits, fills, injects, spurious, mmio, eio;
	unsigned pt_writes, invlpgs, cr3_loads, flushes, mode_changes, checks, leaves_checked;
	unsigned tlb_justified;	/* leaves only a TLB entry allowed (stale, correctly kept) */
};

struct fuzz {
	u64 seed, rng;
	unsigned step;
	struct shadow sh;
	struct shadow_ops ops;
	struct arena *arena;
	paddr_t root;			/* what the VMCS guest CR3 field would hold */
	struct gwalk_mode mode;		/* the guest's paging state */
	enum gwalk_paging paging;
	enum fz_fmt fmt;		/* table set of the current (or last) paging mode */
	unsigned as;			/* current address space */
	bool split_heavy;		/* profile: large pages shadowed by fragments, few full flushes */
	struct fz_table tables[FZ_MAX_TABLES];
	unsigned ntables;
	u64 gpt_next;
	struct fz_tlb *tlb;
	unsigned ntlb;
	struct fz_stats st;
	char log[FZ_LOG][96];		/* the last operations, for the failure report */
	unsigned nlog;
};

u64 fz_rnd(struct fuzz *fz);
void fz_note(struct fuzz *fz, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fz_fail(struct fuzz *fz, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void fz_setup(struct fuzz *fz, u64 seed);
void fz_start(struct fuzz *fz, const struct gwalk_mode *m, unsigned max_roots);
void fz_teardown(struct fuzz *fz);

/* guest memory */
u64 fz_get(struct fuzz *fz, u64 gpa, unsigned size);
void fz_guest_pt_write(struct fuzz *fz, u64 gpa, u64 val, unsigned size);	/* THE seam */
bool fz_gpa_to_hpa(u64 gpa, u64 len, paddr_t *hpa);

/* architectural events: the TLB model first, then the shadow MMU */
void fz_access(struct fuzz *fz, u64 la, unsigned access);
void fz_invlpg(struct fuzz *fz, u64 la);
bool fz_load_cr3(struct fuzz *fz, u64 cr3, bool noflush);
/* PAE: the PDPTEs MOV to CR3 would load; false if it would #GP */
bool fz_pdptes(struct fuzz *fz, u64 cr3, u64 pdpte[4]);
bool fz_set_mode(struct fuzz *fz, const struct gwalk_mode *m);
void fz_flush(struct fuzz *fz, bool keep_global);

/* access rights (SDM 4.6.1) and the TLB model: shadow_fuzz_tlb.c */
bool fz_rights_allow(u64 eff, unsigned access, bool wp, bool smep, bool smap);
bool fz_paging_on(const struct fuzz *fz);
bool fz_hw_allows(const struct fuzz *fz, u64 eff, unsigned access);
bool fz_guest_allows(const struct fuzz *fz, u64 eff, unsigned access);
bool fz_is_write(unsigned access);
u64 fz_cur_pcid(const struct fuzz *fz);
void fz_tlb_add(struct fuzz *fz, u64 lin, const struct gwalk_result *w);
bool fz_tlb_allows(const struct fuzz *fz, u64 lin, u64 size, u64 gpa, unsigned access);
bool fz_tlb_denies(const struct fuzz *fz, u64 lin, unsigned access);
enum fz_tlb_drop { FZ_DROP_ALL, FZ_DROP_NONGLOBAL, FZ_DROP_PCID_NONGLOBAL };
void fz_tlb_drop(struct fuzz *fz, enum fz_tlb_drop what, u64 pcid);
void fz_tlb_invlpg(struct fuzz *fz, u64 lin);

/* every present leaf of the current shadow root is one the architecture allows */
void fz_check_leaves(struct fuzz *fz);
#endif
