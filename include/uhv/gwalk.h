/* Guest page-table walker: translates a guest linear address the way the
 * processor would (SDM Vol. 3A chapter 4) and, when it would not, returns the
 * exact page-fault error code. Pure: guest-physical memory is reached through
 * callbacks, so the walker is host-tested (test/unit/test_gwalk.c) and used by
 * the shadow MMU (mm/shadow.c) and by instruction emulation.
 *
 * Paging modes (SDM 4.1.1): none (CR0.PG=0), 32-bit (CR4.PAE=0, 4 KiB pages
 * and 4 MiB pages with CR4.PSE, PSE-36 addresses up to 40 bits), PAE (4 KiB /
 * 2 MiB; the four PDPTEs come from the caller, as the processor loads them at
 * MOV to CR3 / CR0 / CR4, see gwalk_load_pdptes()), 4-level and 5-level (4 KiB,
 * 2 MiB, 1 GiB). Access rights (SDM 4.6): U/S, R/W with CR0.WP, XD with
 * IA32_EFER.NXE, SMEP, SMAP with RFLAGS.AC and implicit supervisor accesses,
 * protection keys (CR4.PKE with PKRU; not PKS). */
#ifndef UHV_GWALK_H
#define UHV_GWALK_H

#include <uhv/types.h>

/* page-fault error code (SDM Vol. 3A 4.7) */
#define PFEC_P		BIT(0)	/* 0: not present, 1: protection or reserved bit */
#define PFEC_W		BIT(1)	/* the access was a write */
#define PFEC_U		BIT(2)	/* the access was a user-mode access */
#define PFEC_RSVD	BIT(3)	/* a reserved bit was set in a paging-structure entry */
#define PFEC_ID		BIT(4)	/* fetch (reported with SMEP, or PAE/4-level + NXE) */
#define PFEC_PK		BIT(5)	/* protection-key violation */

enum gwalk_paging {
	GWALK_PAGING_OFF,	/* CR0.PG=0: linear = physical (32 bits) */
	GWALK_PAGING_32,	/* CR0.PG=1, CR4.PAE=0 */
	GWALK_PAGING_PAE,	/* CR0.PG=1, CR4.PAE=1, EFER.LMA=0 */
	GWALK_PAGING_4LEVEL,	/* CR0.PG=1, CR4.PAE=1, EFER.LMA=1, CR4.LA57=0 */
	GWALK_PAGING_5LEVEL,	/* ... CR4.LA57=1 */
};

/* The guest's paging state, as the guest sees it (CR0/CR4 read shadows, the
 * guest's own CR3 and EFER), and the processor features it is given. */
struct gwalk_mode {
	u64 cr0, cr3, cr4, efer;
	u64 pdpte[4];		/* PAE paging: the PDPTE registers */
	u32 pkru;		/* CR4.PKE: the guest's PKRU */
	u8 maxphyaddr;		/* CPUID 80000008H:EAX[7:0] as given to the guest (32..52) */
	bool pdpe1gb;		/* CPUID 80000001H:EDX.Page1GB as given to the guest */
};

/* Access flags for gwalk(). A user-mode access is one made at CPL 3 that is
 * not implicit; implicit supervisor accesses (GDT/LDT/IDT/TSS) are
 * supervisor-mode whatever the CPL, and SMAP never lets them reach user pages. */
#define GWALK_WRITE	BIT(0)
#define GWALK_USER	BIT(1)	/* CPL 3 */
#define GWALK_FETCH	BIT(2)	/* instruction fetch (GWALK_WRITE is then ignored) */
#define GWALK_IMPLICIT	BIT(3)	/* implicit supervisor-mode access */
#define GWALK_AC	BIT(4)	/* RFLAGS.AC was 1 */
#define GWALK_NO_AD	BIT(5)	/* do not set A / D flags in the guest's tables */

struct gwalk_ops {
	/* read / write guest-physical [gpa, gpa+len); 0 or negative errno
	 * (e.g. the range is not guest RAM). write_gpa may be NULL: then walks
	 * behave as with GWALK_NO_AD. */
	int (*read_gpa)(void *ctx, u64 gpa, void *buf, size_t len);
	int (*write_gpa)(void *ctx, u64 gpa, const void *buf, size_t len);
	void *ctx;
};

struct gwalk_result {
	u64 gpa;		/* guest-physical address of the linear address */
	u64 page_size;		/* 4 KiB, 2 MiB, 4 MiB or 1 GiB (4 KiB with paging off) */
	/* effective access rights over all levels (SDM 4.6): PTE_RW and PTE_US
	 * if every level has them, PTE_NX if any level has XD and EFER.NXE=1;
	 * and the leaf's PTE_PWT, PTE_PCD, PTE_PAT (at its 4 KiB position,
	 * bit 7, whatever the page size), PTE_G, PTE_A, PTE_D after the walk's
	 * own A/D update. Paging off: PTE_RW | PTE_US. */
	u64 flags;
	unsigned pkey;		/* leaf protection key (4/5-level with CR4.PKE), else 0 */
	u64 leaf_gpa;		/* where the leaf entry is (0 with paging off) */
	u32 error_code;		/* gwalk() returned -EFAULT: the #PF error code (CR2 = la) */
	u64 bad_gpa;		/* gwalk() returned -EIO: the entry it could not read / write */
};

enum gwalk_paging gwalk_paging(u64 cr0, u64 cr4, u64 efer);

/* Walk the guest's tables for an access to linear address la.
 * Returns 0 with res filled (translation allowed; A flags set in every entry
 * used and D in the leaf on a write, unless GWALK_NO_AD),
 * -EFAULT when the processor would raise #PF (res->error_code; nothing is
 * written to guest memory), -EIO when a paging-structure entry is not readable
 * guest memory (res->bad_gpa), -EINVAL for a bad mode (maxphyaddr out of
 * range) or a non-canonical la (the processor raises #GP / #SS, not #PF). */
int gwalk(const struct gwalk_ops *ops, const struct gwalk_mode *mode, u64 la, unsigned access,
	  struct gwalk_result *res);

/* PAE paging: what MOV to CR3 (and MOV to CR0/CR4 that enters PAE paging or
 * changes CR0.CD/NW/PG, CR4.PAE/PGE/PSE/SMEP) loads into the PDPTE registers
 * (SDM 4.4.1). Returns 0 with pdpte[] filled, -EINVAL when a present PDPTE
 * has a reserved bit set (bits 2:1, 8:5, 63:MAXPHYADDR): the instruction then
 * raises #GP(0) and changes nothing; -EIO when the table is not guest memory. */
int gwalk_load_pdptes(const struct gwalk_ops *ops, u64 cr3, unsigned maxphyaddr, u64 pdpte[4]);

/* Access flags for a #PF the processor reported (error code pfec) at CPL cpl
 * with RFLAGS.AC = ac: a supervisor-mode access at CPL 3 is implicit. Valid for
 * the I/D bit only if the processor was running with NXE or SMEP (the shadow
 * MMU always runs the guest with EFER.NXE=1, see docs/shadow.md). */
unsigned gwalk_access_from_pfec(u32 pfec, unsigned cpl, bool ac);

#endif
