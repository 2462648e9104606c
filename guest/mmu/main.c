/* mmu: a guest that uses paging the way an OS does, for uhv's shadow MMU
 * (issue #6). Run in 32-bit paging and then in PAE paging (with NX):
 *
 * - faults: kernel and user (ring 3, entered with IRET, back with INT3 or the
 *   fault itself; the TSS gives the ring-0 stack) accesses to not-present,
 *   read-only, supervisor, NX and reserved-bit pages, CR0.WP=0, SMEP, SMAP;
 *   each prints "guest: mmu <mode> <name>: vec V err E cr2 C";
 * - A/D: the bits the processor sets after reads and writes, on 4 KiB and
 *   large pages, in kernel and user mode ("guest: mmu <mode> ad-...");
 * - fork: one process's address space copied into N-1 more, data pages shared
 *   copy-on-write (this guest's own #PF handler copies a page on the first
 *   write, or makes it writable for its last owner), CR3 switches between
 *   them for several rounds, an unmap and remap with INVLPG; the contents of
 *   every page and the fault counts are checked ("guest: mmu <mode> fork...").
 *
 * The "guest: mmu" lines must be identical natively, under EPT and under
 * shadow paging (test/system/61-shadow-mmu-native-compare.sh). Command line:
 * procs=N (2..64, default 8), rounds=R (default 4), pages=K (1..32, default 8),
 * bench=1 (only the fork workload, timed, PAE paging: bench/shadow.sh). */
#include "rt.h"

#define PTE_P		0x001ULL
#define PTE_W		0x002ULL
#define PTE_U		0x004ULL
#define PTE_A		0x020ULL
#define PTE_D		0x040ULL
#define PTE_PS		0x080ULL
#define PTE_G		0x100ULL
#define PTE_COW		0x200ULL	/* available bit: copy on write */
#define PTE_NX		(1ULL << 63)
#define PTE_RSVD_PAE	(1ULL << 51)	/* above MAXPHYADDR (<= 46 on the CPUs used) */
#define PDE4M_RSVD	(1ULL << 21)	/* 32-bit 4 MiB page: bits 21:(M-19) */

#define CR0_WP		(1U << 16)
#define CR0_PG		(1U << 31)
#define CR4_PSE		(1U << 4)
#define CR4_PAE		(1U << 5)
#define CR4_PGE		(1U << 7)
#define CR4_SMEP	(1U << 20)
#define CR4_SMAP	(1U << 21)
#define MSR_EFER	0xc0000080U
#define EFER_NXE	(1U << 11)

#define PAGE		4096U
#define KERNEL_MAP	(16U << 20)	/* identity, supervisor, global */
#define USER_BASE	0x40000000U	/* one page table's worth (2 MiB) of user space */
#define UCODE_VA	USER_BASE
#define USTACK_VA	(USER_BASE + 0x1000)
#define UDATA_VA	(USER_BASE + 0x10000)
#define MAX_PAGES	32
#define T_SUPER		(USER_BASE + 0x100000)	/* supervisor, RW */
#define T_RO_USER	(USER_BASE + 0x101000)	/* user, RO */
#define T_NP		(USER_BASE + 0x102000)	/* not present */
#define T_RO_SUPER	(USER_BASE + 0x103000)	/* supervisor, RO */
#define T_NX_USER	(USER_BASE + 0x104000)	/* the user code page: user, NX */
#define T_NX_SUPER	(USER_BASE + 0x105000)	/* the user code page: supervisor, NX */
#define T_AD		(USER_BASE + 0x106000)	/* user, RW: A/D checks */
#define T_RSVD		(USER_BASE + 0x107000)	/* PAE: a reserved bit set */
#define T_SUPER_CODE	(USER_BASE + 0x108000)	/* the user code page: supervisor */
#define T_UPDE		0x40400000U	/* PTE user, PDE supervisor */
#define T_LARGE		0x40c00000U	/* a 4 MiB (32-bit) / 2 MiB (PAE) page */
#define T_RSVD4M	0x41000000U	/* 32-bit: a 4 MiB page with a reserved bit */
#define LARGE_PA	(20U << 20)

#define POOL_PAGES	1280
#define MAX_PROCS	64

/* ---- the asm side (user.asm) ---- */
extern char user_page[], u_read[], u_write[], u_call[], u_ret[];
int user_enter(u32 eip, u32 esp, u32 eax, u32 ebx);
__noreturn void user_return(int code);
void mmu_pf_stub(void);
void mmu_bp_stub(void);
u32 probe_read(u32 addr);
void probe_write(u32 addr, u32 val);
void probe_call(u32 addr);
volatile u32 probe_fixup;

/* ---- state (one CPU, one test at a time) ---- */
static bool pae;
static const char *mode_name;
static u8 pool[POOL_PAGES][PAGE] __aligned(PAGE);
static u16 refcnt[POOL_PAGES];
static unsigned pool_next;
static u32 kpd;		/* PAE: the kernel's page directory, shared */
static u32 ustack;	/* one user stack page, shared */
static u8 kstack[8192] __aligned(16);	/* ring-0 stack for exceptions from ring 3 */

struct as {
	u32 root;	/* CR3: page directory (32-bit) or PDPT (PAE) */
	u32 upd;	/* PAE: page directory for 1-2 GiB */
	u32 upt;	/* page table of the user area */
};
static struct as procs[MAX_PROCS];
static struct as *cur;

struct fault {
	int vec;
	u32 err, cr2;
};
static volatile struct fault last;
static u32 cow_faults, cow_copies, cow_reuses;

/* ---- GDT with ring 3 and a TSS ---- */
struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 regs[8];
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap;
} __packed;
static struct tss tss __aligned(64);
static u64 gdt[6] __aligned(8);

static u64 seg_desc(u32 base, u32 limit, u32 type_flags)
{
	return (limit & 0xffffULL) | ((u64)(base & 0xffffff) << 16) | ((u64)type_flags << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)(base >> 24) << 56);
}

struct idt_entry {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
} __packed;

static void set_gate(unsigned vec, void (*fn)(void), unsigned dpl)
{
	struct { u16 limit; u32 base; } __packed idtr;
	struct idt_entry *idt;
	u32 a = (u32)(uintptr_t)fn;

	asm volatile("sidt %0" : "=m"(idtr));
	idt = (struct idt_entry *)(uintptr_t)idtr.base;
	idt[vec] = (struct idt_entry){ .off_lo = a & 0xffff, .sel = 0x08,
				       .type = 0x8e | (dpl << 5), .off_hi = a >> 16 };
}

static void cpu_setup(void)
{
	struct { u16 limit; u32 base; } __packed gdtr = { sizeof(gdt) - 1, (u32)(uintptr_t)gdt };

	gdt[1] = seg_desc(0, 0xfffff, 0xc09a);	/* 0x08 kernel code */
	gdt[2] = seg_desc(0, 0xfffff, 0xc092);	/* 0x10 kernel data */
	gdt[3] = seg_desc(0, 0xfffff, 0xc0fa);	/* 0x18 user code, DPL 3 */
	gdt[4] = seg_desc(0, 0xfffff, 0xc0f2);	/* 0x20 user data, DPL 3 */
	gdt[5] = seg_desc((u32)(uintptr_t)&tss, sizeof(tss) - 1, 0x0089);	/* 0x28 TSS */
	tss.esp0 = (u32)(uintptr_t)(kstack + sizeof(kstack));
	tss.ss0 = 0x10;
	tss.iomap = sizeof(tss);	/* no I/O bitmap: ring 3 has no ports */
	asm volatile("lgdt %0\n\t"
		     "ljmp $0x08, $1f\n1:\n\t"
		     "mov $0x10, %%ax\n\tmov %%ax, %%ds\n\tmov %%ax, %%es\n\tmov %%ax, %%ss\n\t"
		     "mov $0x28, %%ax\n\tltr %%ax"
		     : : "m"(gdtr) : "eax", "memory");
	set_gate(14, mmu_pf_stub, 0);
	set_gate(3, mmu_bp_stub, 3);	/* INT3 from ring 3: back to the kernel */
}

/* ---- frames and page tables ---- */

static u32 alloc_page(void)
{
	if (pool_next == POOL_PAGES) {
		test_fail("mmu-pool", "out of page frames (%u)", POOL_PAGES);
		test_finish();
	}
	u8 *p = pool[pool_next];
	refcnt[pool_next++] = 1;
	memset(p, 0, PAGE);
	return (u32)(uintptr_t)p;
}

static unsigned frame_index(u32 pa)
{
	return (pa - (u32)(uintptr_t)pool) / PAGE;
}

static u64 addr_mask(void)
{
	return pae ? 0x000ffffffffff000ULL : 0xfffff000ULL;
}

static void *pte_slot(const struct as *a, u32 va)
{
	unsigned i = (va - USER_BASE) >> 12;

	return pae ? (void *)((u64 *)(uintptr_t)a->upt + i) : (void *)((u32 *)(uintptr_t)a->upt + i);
}

static u64 get_pte(const struct as *a, u32 va)
{
	void *s = pte_slot(a, va);

	return pae ? *(volatile u64 *)s : *(volatile u32 *)s;
}

static void set_pte(const struct as *a, u32 va, u64 e)
{
	void *s = pte_slot(a, va);

	if (pae)
		*(volatile u64 *)s = e;
	else
		*(volatile u32 *)s = (u32)e;
}

/* page-directory entry for va (above USER_BASE) */
static void *pde_slot(const struct as *a, u32 va)
{
	if (pae)
		return (u64 *)(uintptr_t)a->upd + ((va >> 21) & 511);
	return (u32 *)(uintptr_t)a->root + (va >> 22);
}

static u64 get_pde(const struct as *a, u32 va)
{
	void *s = pde_slot(a, va);

	return pae ? *(volatile u64 *)s : *(volatile u32 *)s;
}

static void set_pde(const struct as *a, u32 va, u64 e)
{
	void *s = pde_slot(a, va);

	if (pae)
		*(volatile u64 *)s = e;
	else
		*(volatile u32 *)s = (u32)e;
}

static u32 user_page_pa(void)
{
	return (u32)(uintptr_t)user_page;
}

static u32 uaddr(const char *snippet)
{
	return UCODE_VA + (u32)(snippet - user_page);
}

static void as_init(struct as *a)
{
	a->upt = alloc_page();
	a->root = alloc_page();
	if (pae) {
		u64 *pdpt = (u64 *)(uintptr_t)a->root;

		a->upd = alloc_page();
		pdpt[0] = kpd | PTE_P;
		pdpt[1] = a->upd | PTE_P;
	} else {
		u32 *pd = (u32 *)(uintptr_t)a->root;

		for (u32 i = 0; i < KERNEL_MAP >> 22; i++)
			pd[i] = (i << 22) | PTE_PS | PTE_G | PTE_W | PTE_P;
	}
	set_pde(a, USER_BASE, a->upt | PTE_U | PTE_W | PTE_P);
	set_pte(a, UCODE_VA, user_page_pa() | PTE_U | PTE_P);
	set_pte(a, USTACK_VA, ustack | PTE_U | PTE_W | PTE_P);
}

static void switch_to(struct as *a)
{
	cur = a;
	write_cr3(a->root);
}

static bool has_nx, has_smep, has_smap;

static void paging_enter(bool use_pae)
{
	u32 cr4 = read_cr4() & ~(CR4_PAE | CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP);
	u64 efer;

	pae = use_pae;
	mode_name = pae ? "pae" : "32bit";
	pool_next = 0;
	memset(refcnt, 0, sizeof(refcnt));
	if (pae) {
		kpd = alloc_page();
		for (u32 i = 0; i < KERNEL_MAP >> 21; i++)
			((u64 *)(uintptr_t)kpd)[i] = ((u64)i << 21) | PTE_PS | PTE_G | PTE_W | PTE_P;
	}
	ustack = alloc_page();
	as_init(&procs[0]);
	write_cr4(cr4 | (pae ? CR4_PAE : CR4_PSE));
	if (pae && has_nx && try_rdmsr(MSR_EFER, &efer) < 0)
		try_wrmsr(MSR_EFER, efer | EFER_NXE);
	switch_to(&procs[0]);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
	write_cr4(read_cr4() | CR4_PGE);
}

static void paging_leave(void)
{
	u64 efer;

	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr0(read_cr0() & ~CR0_PG);
	if (try_rdmsr(MSR_EFER, &efer) < 0 && (efer & EFER_NXE))
		try_wrmsr(MSR_EFER, efer & ~(u64)EFER_NXE);
}

/* ---- faults ---- */

struct trap_frame {
	u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
	u32 vector, error;
	u32 eip, cs, eflags;
};

/* Copy on write: a write to a present read-only page marked COW. */
static bool cow_fix(u32 cr2, u32 err)
{
	u64 e;
	u32 frame;

	if (!cur || cr2 < UDATA_VA || cr2 >= UDATA_VA + MAX_PAGES * PAGE || (err & 3) != 3)
		return false;
	e = get_pte(cur, cr2);
	if (!(e & PTE_COW))
		return false;
	frame = (u32)(e & addr_mask());
	if (refcnt[frame_index(frame)] > 1) {
		u32 copy = alloc_page();

		memcpy((void *)(uintptr_t)copy, (void *)(uintptr_t)frame, PAGE);
		refcnt[frame_index(frame)]--;
		e = (e & ~addr_mask() & ~(PTE_A | PTE_D)) | copy;
		cow_copies++;
	} else {
		cow_reuses++;
	}
	set_pte(cur, cr2, (e & ~PTE_COW) | PTE_W);
	invlpg(cr2);
	cow_faults++;
	return true;
}

void mmu_trap(struct trap_frame *f);
void mmu_trap(struct trap_frame *f)
{
	bool user = (f->cs & 3) == 3;
	u32 cr2 = f->vector == 14 ? read_cr2() : 0;

	if (f->vector == 3 && user)
		user_return(-1);	/* the snippet finished */
	if (f->vector == 14) {
		if (cow_fix(cr2, f->error))
			return;
		last.vec = 14;
		last.err = f->error;
		last.cr2 = cr2;
		if (user)
			user_return(14);
		if (probe_fixup) {
			f->eip = probe_fixup;
			probe_fixup = 0;
			return;
		}
	}
	printf("guest: unexpected exception %u at eip 0x%x (cs 0x%x), error code 0x%x, cr2 0x%x\n",
	       f->vector, f->eip, f->cs, f->error, cr2);
	test_fail("mmu-exceptions", "unexpected exception %u at 0x%x", f->vector, f->eip);
	test_finish();
}

static void fault_reset(void)
{
	last.vec = -1;
	last.err = 0;
	last.cr2 = 0;
}

static struct fault snap(void)
{
	return (struct fault){ last.vec, last.err, last.cr2 };
}

static struct fault k_read(u32 va)
{
	fault_reset();
	probe_read(va);
	return snap();
}

static struct fault k_write(u32 va, u32 v)
{
	fault_reset();
	probe_write(va, v);
	return snap();
}

static struct fault k_fetch(u32 va)
{
	fault_reset();
	probe_call(va);
	return snap();
}

static struct fault u_run(const char *snippet, u32 eax, u32 ebx)
{
	fault_reset();
	user_enter(uaddr(snippet), USTACK_VA + PAGE - 16, eax, ebx);
	return snap();
}

/* One line with the values (compared natively / EPT / shadow), one verdict. */
static void report(const char *name, struct fault f, int want_vec, u32 want_err, u32 want_cr2)
{
	char n[64];

	printf("guest: mmu %s %s: vec %d err 0x%x cr2 0x%x\n", mode_name, name, f.vec, f.err,
	       f.cr2);
	snprintf(n, sizeof(n), "mmu-%s-%s", mode_name, name);
	if (want_vec < 0)
		test_check(n, f.vec < 0, "faulted: vec %d err 0x%x cr2 0x%x", f.vec, f.err, f.cr2);
	else
		test_check(n, f.vec == want_vec && f.err == want_err && f.cr2 == want_cr2,
			   "vec %d err 0x%x cr2 0x%x, want vec %d err 0x%x cr2 0x%x", f.vec, f.err,
			   f.cr2, want_vec, want_err, want_cr2);
}

static void map_test_pages(const struct as *a)
{
	u32 up = user_page_pa();

	set_pte(a, T_SUPER, alloc_page() | PTE_W | PTE_P);
	set_pte(a, T_RO_USER, alloc_page() | PTE_U | PTE_P);
	set_pte(a, T_RO_SUPER, alloc_page() | PTE_P);
	set_pte(a, T_AD, alloc_page() | PTE_U | PTE_W | PTE_P);
	set_pte(a, T_SUPER_CODE, up | PTE_P);
	if (pae) {
		set_pte(a, T_NX_USER, up | PTE_U | PTE_P | (has_nx ? PTE_NX : 0));
		set_pte(a, T_NX_SUPER, up | PTE_P | (has_nx ? PTE_NX : 0));
		set_pte(a, T_RSVD, alloc_page() | PTE_U | PTE_W | PTE_P | PTE_RSVD_PAE);
	}
	/* a second page table under a supervisor-only PDE, with a user PTE */
	u32 pt2 = alloc_page();
	set_pde(a, T_UPDE, pt2 | PTE_W | PTE_P);
	if (pae)
		((u64 *)(uintptr_t)pt2)[0] = alloc_page() | PTE_U | PTE_W | PTE_P;
	else
		((u32 *)(uintptr_t)pt2)[0] = alloc_page() | PTE_U | PTE_W | PTE_P;
	/* a large page (D and A on a leaf PDE), and a 32-bit 4 MiB page with a
	 * reserved bit */
	set_pde(a, T_LARGE, LARGE_PA | PTE_PS | PTE_W | PTE_P);
	if (!pae)
		set_pde(a, T_RSVD4M, (KERNEL_MAP + (4U << 20)) | PDE4M_RSVD | PTE_PS | PTE_W | PTE_P);
	write_cr3(a->root);	/* the new entries: flush what the TLB may hold */
}

static void check_faults(void)
{
	const struct as *a = cur;
	u32 ret_off = (u32)(u_ret - user_page);
	bool id = pae && has_nx;	/* I/D reported on fetches */

	map_test_pages(a);
	/* user mode */
	report("user-read-supervisor", u_run(u_read, T_SUPER + 8, 0), 14, 0x5, T_SUPER + 8);
	report("user-write-supervisor", u_run(u_write, T_SUPER + 12, 1), 14, 0x7, T_SUPER + 12);
	report("user-read-not-present", u_run(u_read, T_NP + 16, 0), 14, 0x4, T_NP + 16);
	report("user-write-not-present", u_run(u_write, T_NP + 20, 1), 14, 0x6, T_NP + 20);
	report("user-write-read-only", u_run(u_write, T_RO_USER + 24, 1), 14, 0x7, T_RO_USER + 24);
	report("user-read-read-only", u_run(u_read, T_RO_USER + 28, 0), -1, 0, 0);
	report("user-read-pde-supervisor", u_run(u_read, T_UPDE + 32, 0), 14, 0x5, T_UPDE + 32);
	report("user-fetch-supervisor", u_run(u_call, T_SUPER_CODE + ret_off, 0), 14,
	       id ? 0x15 : 0x5, T_SUPER_CODE + ret_off);
	report("user-fetch-user", u_run(u_call, UCODE_VA + ret_off, 0), -1, 0, 0);
	/* kernel mode */
	report("kernel-read-not-present", k_read(T_NP + 36), 14, 0x0, T_NP + 36);
	report("kernel-write-not-present", k_write(T_NP + 40, 1), 14, 0x2, T_NP + 40);
	report("kernel-write-read-only", k_write(T_RO_SUPER + 44, 1), 14, 0x3, T_RO_SUPER + 44);
	report("kernel-write-user-read-only", k_write(T_RO_USER + 48, 1), 14, 0x3,
	       T_RO_USER + 48);
	report("kernel-read-user", k_read(T_AD + 52), -1, 0, 0);
	write_cr0(read_cr0() & ~CR0_WP);
	report("kernel-write-read-only-wp0", k_write(T_RO_SUPER + 56, 0x5a), -1, 0, 0);
	u64 e = get_pte(a, T_RO_SUPER);
	u32 val = *(volatile u32 *)(uintptr_t)(T_RO_SUPER + 56);
	printf("guest: mmu %s wp0-write: pte A=%u D=%u W=%u value 0x%x\n", mode_name,
	       !!(e & PTE_A), !!(e & PTE_D), !!(e & PTE_W), val);
	write_cr0(read_cr0() | CR0_WP);
	report("kernel-write-read-only-wp1-again", k_write(T_RO_SUPER + 60, 1), 14, 0x3,
	       T_RO_SUPER + 60);
	if (pae) {
		report("kernel-read-reserved-bit", k_read(T_RSVD + 64), 14, 0x9, T_RSVD + 64);
		report("user-write-reserved-bit", u_run(u_write, T_RSVD + 68, 1), 14, 0xf,
		       T_RSVD + 68);
	} else {
		report("kernel-read-reserved-bit-4m", k_read(T_RSVD4M + 64), 14, 0x9, T_RSVD4M + 64);
	}
	if (pae && has_nx) {
		report("user-fetch-nx", u_run(u_call, T_NX_USER + ret_off, 0), 14, 0x15,
		       T_NX_USER + ret_off);
		report("kernel-fetch-nx", k_fetch(T_NX_SUPER + ret_off), 14, 0x11,
		       T_NX_SUPER + ret_off);
		report("user-read-nx", u_run(u_read, T_NX_USER + 4, 0), -1, 0, 0);
	}
	if (has_smep) {
		write_cr4(read_cr4() | CR4_SMEP);
		report("kernel-fetch-user-smep", k_fetch(UCODE_VA + ret_off), 14, 0x11,
		       UCODE_VA + ret_off);
		report("kernel-fetch-supervisor-smep", k_fetch(T_SUPER_CODE + ret_off), -1, 0, 0);
		write_cr4(read_cr4() & ~CR4_SMEP);
	}
	if (has_smap) {
		write_cr4(read_cr4() | CR4_SMAP);
		report("kernel-read-user-smap", k_read(T_AD + 72), 14, 0x1, T_AD + 72);
		report("kernel-write-user-smap", k_write(T_AD + 76, 1), 14, 0x3, T_AD + 76);
		asm volatile("stac" ::: "memory");
		report("kernel-read-user-smap-ac", k_read(T_AD + 80), -1, 0, 0);
		asm volatile("clac" ::: "memory");
		write_cr4(read_cr4() & ~CR4_SMAP);
	}
}

/* ---- accessed and dirty flags ---- */

static void ad_line(const char *name, u32 va, unsigned want_pde_a, unsigned want_a,
		    unsigned want_d, bool large)
{
	u64 pde = get_pde(cur, va), pte = large ? pde : get_pte(cur, va);
	unsigned pa = !!(pde & PTE_A), a = !!(pte & PTE_A), d = !!(pte & PTE_D);
	char n[64];

	printf("guest: mmu %s %s: pde A=%u, leaf A=%u D=%u\n", mode_name, name, pa, a, d);
	snprintf(n, sizeof(n), "mmu-%s-%s", mode_name, name);
	test_check(n, pa == want_pde_a && a == want_a && d == want_d,
		   "pde A=%u leaf A=%u D=%u, want %u %u %u", pa, a, d, want_pde_a, want_a, want_d);
}

/* clear A/D of va's PDE and PTE, and drop what the TLB holds for it */
static void ad_clear(u32 va, bool large)
{
	set_pde(cur, va, get_pde(cur, va) & ~(PTE_A | (large ? PTE_D : 0)));
	if (!large)
		set_pte(cur, va, get_pte(cur, va) & ~(PTE_A | PTE_D));
	invlpg(va);
}

static void check_ad(void)
{
	ad_clear(T_AD, false);
	ad_line("ad-untouched", T_AD, 0, 0, 0, false);
	k_read(T_AD + 4);
	ad_line("ad-kernel-read", T_AD, 1, 1, 0, false);
	k_write(T_AD + 4, 7);
	ad_line("ad-kernel-write", T_AD, 1, 1, 1, false);
	ad_clear(T_AD, false);
	u_run(u_read, T_AD + 8, 0);
	ad_line("ad-user-read", T_AD, 1, 1, 0, false);
	u_run(u_write, T_AD + 8, 9);
	ad_line("ad-user-write", T_AD, 1, 1, 1, false);
	ad_clear(T_AD, false);
	u_run(u_write, T_AD + 12, 3);
	ad_line("ad-user-write-first", T_AD, 1, 1, 1, false);
	ad_clear(T_LARGE, true);
	k_read(T_LARGE + 0x1000);
	ad_line("ad-large-read", T_LARGE, 1, 1, 0, true);
	k_write(T_LARGE + 0x2000, 5);
	ad_line("ad-large-write", T_LARGE, 1, 1, 1, true);
	/* a clean page written again after its D was cleared (and INVLPG) */
	k_write(T_AD + 16, 1);
	set_pte(cur, T_AD, get_pte(cur, T_AD) & ~PTE_D);
	invlpg(T_AD);
	k_read(T_AD + 16);
	ad_line("ad-redirty-read", T_AD, 1, 1, 0, false);
	k_write(T_AD + 16, 2);
	ad_line("ad-redirty-write", T_AD, 1, 1, 1, false);
}

/* ---- fork, copy on write, context switches ---- */

static u32 procs_n = 8, rounds = 4, pages = 8;

static u32 word_of(u32 p, u32 i, u32 r)
{
	return (p << 16) | (i << 8) | r;
}

/* procs[1..n-1] from procs[0]: the user area's data pages are shared,
 * read-only and COW in all of them */
static void fork_all(void)
{
	struct as *parent = &procs[0];

	for (u32 i = 0; i < pages; i++) {
		u32 va = UDATA_VA + i * PAGE, f = alloc_page();

		((u32 *)(uintptr_t)f)[1023] = 0xc0de0000 | i;
		set_pte(parent, va, f | PTE_U | PTE_W | PTE_P);
	}
	for (u32 p = 1; p < procs_n; p++) {
		struct as *c = &procs[p];

		as_init(c);
		for (u32 i = 0; i < pages; i++) {
			u32 va = UDATA_VA + i * PAGE;
			u64 e = get_pte(parent, va);

			if (e & PTE_W) {
				e = (e & ~PTE_W) | PTE_COW;
				set_pte(parent, va, e);
				invlpg(va);	/* the parent is the current address space */
			}
			refcnt[frame_index((u32)(e & addr_mask()))]++;
			set_pte(c, va, e & ~(PTE_A | PTE_D));
		}
	}
}

static u32 run_rounds(void)
{
	u32 sum = 0;

	for (u32 r = 0; r < rounds; r++)
		for (u32 p = 0; p < procs_n; p++) {
			switch_to(&procs[p]);
			for (u32 i = 0; i < pages; i++) {
				volatile u32 *w = (volatile u32 *)(uintptr_t)(UDATA_VA + i * PAGE);

				w[r] = word_of(p, i, r);
				sum += w[r] + w[1023];
			}
		}
	return sum;
}

static void check_fork(bool bench)
{
	u32 t0, sum, bad = 0, bad_p = 0, bad_i = 0;
	u64 e0[3] = { 0 }, e1[3] = { 0 };
	static const u32 reasons[3] = { 28, 0, 14 };	/* CR access, #PF, INVLPG */

	cow_faults = cow_copies = cow_reuses = 0;
	fork_all();
	if (under_uhv)
		for (int k = 0; k < 3; k++)
			e0[k] = (u32)hc(UHV_HC_EXIT_COUNT, reasons[k], 0);
	t0 = (u32)rdtsc();
	sum = run_rounds();
	t0 = (u32)rdtsc() - t0;
	if (under_uhv)
		for (int k = 0; k < 3; k++)
			e1[k] = (u32)hc(UHV_HC_EXIT_COUNT, reasons[k], 0);
	/* every process sees its own words and the shared initial word */
	for (u32 p = 0; p < procs_n; p++) {
		switch_to(&procs[p]);
		for (u32 i = 0; i < pages; i++) {
			volatile u32 *w = (volatile u32 *)(uintptr_t)(UDATA_VA + i * PAGE);

			for (u32 r = 0; r < rounds; r++)
				if (w[r] != word_of(p, i, r) && !bad++) {
					bad_p = p;
					bad_i = i;
				}
			if (w[1023] != (0xc0de0000 | i) && !bad++) {
				bad_p = p;
				bad_i = i;
			}
		}
	}
	switch_to(&procs[0]);
	if (bench)
		printf("guest: bench mmu %s procs %u pages %u rounds %u: %u ticks, exits cr %llu "
		       "pf %llu invlpg %llu, cow %u\n", mode_name, procs_n, pages, rounds, t0,
		       e1[0] - e0[0], e1[1] - e0[1], e1[2] - e0[2], cow_faults);
	printf("guest: mmu %s fork: %u processes x %u pages, %u rounds: cow faults %u (copies %u, "
	       "reuses %u), checksum 0x%x\n", mode_name, procs_n, pages, rounds, cow_faults,
	       cow_copies, cow_reuses, sum);
	char n[40];
	snprintf(n, sizeof(n), "mmu-%s-fork", mode_name);
	test_check(n, !bad && cow_faults == procs_n * pages &&
		   cow_copies == (procs_n - 1) * pages && cow_reuses == pages,
		   "%u bad words (first: process %u page %u), %u cow faults (%u copies, %u reuses)",
		   bad, bad_p, bad_i, cow_faults, cow_copies, cow_reuses);
}

/* a COW fault taken in ring 3, fixed, and the user write completed */
static void check_user_cow(void)
{
	struct as *a = &procs[1], *b = &procs[2];
	u32 va = UDATA_VA + PAGE + 100 * 4, before = cow_faults;
	u64 e;

	/* make the page shared and COW again in a and b */
	switch_to(b);
	e = get_pte(b, va);
	set_pte(a, va, (e & ~(PTE_W | PTE_A | PTE_D)) | PTE_COW);
	set_pte(b, va, (e & ~PTE_W) | PTE_COW);
	refcnt[frame_index((u32)(e & addr_mask()))]++;
	invlpg(va);
	switch_to(a);
	struct fault f = u_run(u_write, va, 0x600d);
	u32 mine = *(volatile u32 *)(uintptr_t)va;
	switch_to(b);
	u32 theirs = *(volatile u32 *)(uintptr_t)va;
	switch_to(&procs[0]);
	printf("guest: mmu %s user-cow: vec %d, cow faults %u, value 0x%x, other process 0x%x\n",
	       mode_name, f.vec, cow_faults - before, mine, theirs);
	char n[40];
	snprintf(n, sizeof(n), "mmu-%s-user-cow", mode_name);
	test_check(n, f.vec < 0 && cow_faults == before + 1 && mine == 0x600d && theirs != 0x600d,
		   "vec %d, %u cow faults, value 0x%x, other 0x%x", f.vec, cow_faults - before,
		   mine, theirs);
}

/* unmap a page with INVLPG, fault on it, map another frame, see it */
static void check_unmap(void)
{
	struct as *a = &procs[procs_n - 1];
	u32 va = UDATA_VA + 2 * PAGE;
	u32 f = alloc_page();

	((u32 *)(uintptr_t)f)[5] = 0x4e57;
	switch_to(a);
	(void)*(volatile u32 *)(uintptr_t)va;	/* in the TLB / shadow now */
	u64 old = get_pte(a, va);
	set_pte(a, va, 0);
	invlpg(va);
	report("unmap-read", k_read(va + 20), 14, 0x0, va + 20);
	report("unmap-user-write", u_run(u_write, va + 24, 1), 14, 0x6, va + 24);
	set_pte(a, va, f | PTE_U | PTE_W | PTE_P);
	invlpg(va);
	u32 v = *(volatile u32 *)(uintptr_t)(va + 20);
	printf("guest: mmu %s remap: read 0x%x\n", mode_name, v);
	char n[40];
	snprintf(n, sizeof(n), "mmu-%s-remap", mode_name);
	test_check(n, v == 0x4e57, "read 0x%x after remap, want 0x4e57", v);
	set_pte(a, va, old);
	invlpg(va);
	switch_to(&procs[0]);
}

static u32 opt_u32(const char *key, u32 def, u32 lo, u32 hi)
{
	char buf[16];
	u32 v = 0;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return def;
	for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v < lo ? lo : v > hi ? hi : v;
}

static void run_mode(bool use_pae, bool bench)
{
	paging_enter(use_pae);
	printf("guest: paging on (%s): CR0 0x%x CR4 0x%x\n", mode_name, read_cr0(), read_cr4());
	if (!bench) {
		check_faults();
		check_ad();
	}
	check_fork(bench);
	if (!bench) {
		check_user_cow();
		check_unmap();
	}
	paging_leave();
}

void guest_main(void)
{
	struct cpuid_r r1 = cpuid(1, 0), r7 = { 0 };
	char buf[8];
	bool bench = cmdline_get("bench", buf, sizeof(buf)) != NULL;

	if (cpuid(0, 0).eax >= 7)
		r7 = cpuid(7, 0);
	has_nx = cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).edx & (1U << 20));
	has_smep = r7.ebx & (1U << 7);
	has_smap = r7.ebx & (1U << 20);
	procs_n = opt_u32("procs", 8, 3, MAX_PROCS);
	rounds = opt_u32("rounds", 4, 1, 1000);
	pages = opt_u32("pages", 8, 2, MAX_PAGES);
	printf("guest: mmu features: pse %u pae %u pge %u nx %u smep %u smap %u\n",
	       !!(r1.edx & (1U << 3)), !!(r1.edx & (1U << 6)), !!(r1.edx & (1U << 13)), has_nx,
	       has_smep, has_smap);
	if (!(r1.edx & (1U << 3)) || !(r1.edx & (1U << 6)) || !(r1.edx & (1U << 13))) {
		test_skip("mmu", "the CPU lacks PSE, PAE or PGE");
		return;
	}
	cpu_setup();
	if (!bench)
		run_mode(false, false);
	run_mode(true, bench);
}
