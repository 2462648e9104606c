/* The control-register rules from the guest's side (issue 20): MOV to CR0/CR4 and WRMSR EFER
 * writes the SDM answers with #GP must get #GP, and the guest must go on. Under mem=shadow uhv
 * carries most of them out itself (vmx/cr_checks.c), under EPT the processor checks most; the
 * results must be the same both ways and natively.
 *
 * The guest is 32-bit: for the IA-32e checks it enters IA-32e mode (identity map of the first
 * GiB with 2 MiB pages) and runs its C code in compatibility mode on the flat 32-bit CS; only the
 * exception handlers (an IA-32e IDT holds 64-bit gates) and the 64-bit-mode probes are 64-bit
 * code. A fault resumes through the runtime's catch_fixup, as in 32-bit mode (guest/lib/trap.c).
 * Results are printed after IA-32e mode is left again. */
#include "selftest.h"

#define CR0_NW		(1u << 29)
#define CR0_CD		(1u << 30)
#define CR0_PG		(1u << 31)
#define CR0_PE		(1u << 0)
#define CR4_PAE		(1u << 5)
#define CR4_PCIDE	(1u << 17)
#define MSR_EFER	0xc0000080u
#define EFER_LME	(1u << 8)
#define EFER_LMA	(1u << 10)
#define CPUID_1_ECX_PCID	(1u << 17)
#define CPUID_80000001_EDX_LM	(1u << 29)

#define PTE_P_W		0x3ull
#define PTE_PS		0x80ull

#define SEL_CODE32	0x08
#define SEL_CODE64	0x18

struct desc_ptr {
	u16 limit;
	u32 base;
} __packed;

struct gate64 {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
} __packed;

static u64 pml4[512] __aligned(4096), pdpt[512] __aligned(4096), pd[512] __aligned(4096);
/* null, the runtime's 32-bit code and data (guest/lib/entry.asm), a 64-bit code segment */
static const u64 gdt[4] __aligned(8) = {
	0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull, 0x00af9b000000ffffull,
};
static struct gate64 idt64[32] __aligned(16);
extern const u32 lm_isr_table[32];

/* An exception in IA-32e mode: record it in the runtime's catcher and resume at catch_fixup
 * in the mode the fault came from; with no probe armed, resume in compatibility mode at
 * lm_rescue, which fails the test. Upper register halves are not defined after compatibility
 * mode: the 64-bit probes zero-extend what they use. */
asm(".pushsection .text\n"
    ".code64\n"
    "lm_isr_common:\n"
    "	pushq %rax\n"
    "	movl 8(%rsp), %eax\n"
    "	movl %eax, catch_vector(%rip)\n"
    "	movl 16(%rsp), %eax\n"
    "	movl %eax, catch_error(%rip)\n"
    "	movl catch_fixup(%rip), %eax\n"
    "	testl %eax, %eax\n"
    "	jz 1f\n"
    "	movq %rax, 24(%rsp)\n"
    "	movl $0, catch_fixup(%rip)\n"
    "	jmp 2f\n"
    "1:	movl $lm_rescue, %eax\n"
    "	movq %rax, 24(%rsp)\n"
    "	movq $0x08, 32(%rsp)\n"
    "2:	popq %rax\n"
    "	addq $16, %rsp\n"
    "	iretq\n"
    ".irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "lm_isr_\\v:\n"
    ".if (\\v == 8) || ((\\v >= 10) && (\\v <= 14)) || (\\v == 17) || (\\v == 21) || (\\v == 29) || (\\v == 30)\n"
    ".else\n"
    "	pushq $0\n"
    ".endif\n"
    "	pushq $\\v\n"
    "	jmp lm_isr_common\n"
    ".endr\n"
    ".code32\n"
    "lm_rescue:\n"
    "	call lm_unexpected\n"
    ".popsection\n"
    ".pushsection .rodata\n"
    ".globl lm_isr_table\n"
    "lm_isr_table:\n"
    ".irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "	.long lm_isr_\\v\n"
    ".endr\n"
    ".popsection\n");

__attribute__((used)) __noreturn static void lm_unexpected(void)
{
	/* still in IA-32e mode: the 64-bit IDT stays, the run ends here */
	test_fail("cr-lm-exception", "unexpected %s (error 0x%x) in IA-32e mode",
		  vector_name(catch_vector), catch_error);
	test_finish();
}

/* MOV to CR0 in 64-bit mode (CS.L=1): far jump to the 64-bit CS, probe, far return. */
static int try_write_cr0_64bit(u32 val)
{
	catch_vector = -1;
	asm volatile("ljmp %[cs64], $1f\n"
		     ".code64\n"
		     "1:	movl %%esp, %%esp\n"
		     "	movl %%edx, %%edx\n"
		     "	movl $2f, catch_fixup(%%rip)\n"
		     "	mov %%rdx, %%cr0\n"
		     "2:	movl $0, catch_fixup(%%rip)\n"
		     "	pushq %[cs32]\n"
		     "	movl $3f, %%eax\n"	/* an imm32 ELF32 can relocate */
		     "	pushq %%rax\n"
		     "	lretq\n"
		     ".code32\n"
		     "3:\n"
		     : : "d"(val), [cs64] "i"(SEL_CODE64), [cs32] "i"(SEL_CODE32) : "eax", "memory");
	return catch_vector;
}

static int try_write_cr0(u32 val)
{
	catch_vector = -1;
	asm volatile("movl $1f, catch_fixup\n"
		     "mov %0, %%cr0\n"
		     "1:	movl $0, catch_fixup\n" : : "r"(val) : "memory");
	return catch_vector;
}

static u64 rdmsr(u32 msr)
{
	u64 v = 0;

	try_rdmsr(msr, &v);
	return v;
}

/* The results, printed once the guest is out of IA-32e mode. */
struct result {
	const char *name;
	int vec;		/* what the probe got */
	int want;		/* VEC_GP or -1 */
	u32 after;		/* the register afterwards */
	u32 want_after;
};
static struct result res[12];
static unsigned nres;

static void note(const char *name, int vec, int want, u32 after, u32 want_after)
{
	if (nres < sizeof(res) / sizeof(res[0]))
		res[nres++] = (struct result){ name, vec, want, after, want_after };
}

/* The probe first, then the register it left (C leaves the order of arguments open). */
#define PROBE(name, probe, want, after, want_after) do {		\
		int vec_ = (probe);					\
		note(name, vec_, want, (after), want_after);		\
	} while (0)

static void report(void)
{
	for (unsigned i = 0; i < nres; i++) {
		struct result *r = &res[i];

		test_check(r->name, r->vec == r->want && r->after == r->want_after,
			   "got %s (want %s), then 0x%x (want 0x%x)", vector_name(r->vec),
			   vector_name(r->want), r->after, r->want_after);
	}
	nres = 0;
}

static void build_tables(void)
{
	for (unsigned i = 0; i < 512; i++)
		pd[i] = ((u64)i << 21) | PTE_PS | PTE_P_W;
	memset(pdpt, 0, sizeof(pdpt));
	memset(pml4, 0, sizeof(pml4));
	pdpt[0] = (u32)(uintptr_t)pd | PTE_P_W;
	pml4[0] = (u32)(uintptr_t)pdpt | PTE_P_W;
	for (unsigned i = 0; i < 32; i++) {
		u32 off = lm_isr_table[i];

		idt64[i] = (struct gate64){ .off_lo = off & 0xffff, .sel = SEL_CODE64,
					    .type = 0x8e, .off_mid = off >> 16 };
	}
}

/* The IA-32e part: from 32-bit protected mode, paging off, into compatibility mode and back. */
static void in_long_mode(bool pcid)
{
	struct desc_ptr old_gdt, old_idt;
	struct desc_ptr new_gdt = { sizeof(gdt) - 1, (u32)(uintptr_t)gdt };
	struct desc_ptr new_idt = { sizeof(idt64) - 1, (u32)(uintptr_t)idt64 };
	u32 cr0 = read_cr0(), cr4 = read_cr4(), cr3 = read_cr3(), top = (u32)(uintptr_t)pml4;
	u64 efer = rdmsr(MSR_EFER);

	build_tables();
	asm volatile("sgdt %0; sidt %1" : "=m"(old_gdt), "=m"(old_idt));
	asm volatile("lgdt %0; lidt %1" : : "m"(new_gdt), "m"(new_idt) : "memory");
	write_cr4(cr4 | CR4_PAE);
	write_cr3(top);
	try_wrmsr(MSR_EFER, efer | EFER_LME);
	write_cr0(cr0 | CR0_PG);	/* compatibility mode from here */

	note("cr-lm-active", -1, -1, (u32)rdmsr(MSR_EFER) & EFER_LMA, EFER_LMA);
	PROBE("cr-lm-clear-pae", try_write_cr4(read_cr4() & ~CR4_PAE), VEC_GP,
	     read_cr4() & CR4_PAE, CR4_PAE);
	PROBE("cr-lm-efer-lme-paging", try_wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(u64)EFER_LME),
	     VEC_GP, (u32)rdmsr(MSR_EFER) & EFER_LME, EFER_LME);
	PROBE("cr-lm-clear-pg-64bit", try_write_cr0_64bit(read_cr0() & ~CR0_PG), VEC_GP,
	     read_cr0() & CR0_PG, CR0_PG);
	if (pcid) {
		write_cr3(top | 0x8);	/* PWT: with PCIDE=1 it would be PCID 8 */
		PROBE("cr-lm-pcide-cr3", try_write_cr4(read_cr4() | CR4_PCIDE), VEC_GP,
		     read_cr4() & CR4_PCIDE, 0);
		write_cr3(top);
		write_cr4(read_cr4() | CR4_PCIDE);
		PROBE("cr-lm-clear-pg-pcide", try_write_cr0(read_cr0() & ~CR0_PG), VEC_GP,
		     read_cr0() & CR0_PG, CR0_PG);
		PROBE("cr-lm-clear-pg-pcide-64bit", try_write_cr0_64bit(read_cr0() & ~CR0_PG),
		     VEC_GP, read_cr0() & CR0_PG, CR0_PG);
		write_cr4(read_cr4() & ~CR4_PCIDE);
	}
	/* leaving IA-32e mode from compatibility mode is allowed */
	PROBE("cr-lm-leave", try_write_cr0(read_cr0() & ~CR0_PG), -1,
	     (u32)rdmsr(MSR_EFER) & EFER_LMA, 0);
	try_wrmsr(MSR_EFER, efer);
	write_cr3(cr3);
	write_cr4(cr4);
	asm volatile("lgdt %0; lidt %1" : : "m"(old_gdt), "m"(old_idt) : "memory");
	write_cr0(cr0);
}

/* Outside IA-32e mode, paging off. */
static void in_protected_mode(void)
{
	u32 cr0 = read_cr0(), cr4 = read_cr4();
	u64 efer = rdmsr(MSR_EFER);

	PROBE("cr-pcide-not-long", try_write_cr4(cr4 | CR4_PCIDE), VEC_GP,
	     read_cr4() & CR4_PCIDE, 0);
	PROBE("cr-pg-without-pe", try_write_cr0((cr0 & ~CR0_PE) | CR0_PG), VEC_GP,
	     read_cr0() & (CR0_PE | CR0_PG), CR0_PE);
	/* CR0 unchanged: natively it may start with CD=NW=1 (the reset value) */
	PROBE("cr-nw-without-cd", try_write_cr0((cr0 & ~CR0_CD) | CR0_NW), VEC_GP,
	     read_cr0() & (CR0_CD | CR0_NW), cr0 & (CR0_CD | CR0_NW));
	write_cr4(cr4 & ~CR4_PAE);
	try_wrmsr(MSR_EFER, efer | EFER_LME);
	PROBE("cr-pg-lme-without-pae", try_write_cr0(cr0 | CR0_PG), VEC_GP,
	     read_cr0() & CR0_PG, 0);
	try_wrmsr(MSR_EFER, efer);
	write_cr4(cr4);
}

/* realmode=1 on the command line: leave protected mode for a moment (paging off, interrupts off)
 * and come back. Natively and under EPT (unrestricted guest) that works; under mem=shadow uhv
 * must stop the run saying what the guest tried (60-shadow-selftest.sh). */
static void real_mode_round_trip(void)
{
	u32 tmp;

	asm volatile("mov %%cr0, %0\n"
		     "andl $~1, %0\n"
		     "mov %0, %%cr0\n"		/* real mode, CS still cached as 32-bit */
		     "orl $1, %0\n"
		     "mov %0, %%cr0\n"
		     "ljmp %[cs32], $1f\n"
		     "1:\n"
		     : "=&r"(tmp) : [cs32] "i"(SEL_CODE32) : "memory");
	test_check("cr-real-mode-round-trip", read_cr0() & CR0_PE, "CR0 0x%x", read_cr0());
}

void check_cr_rules(void)
{
	char word[4];
	bool lm = cpuid(0x80000000, 0).eax >= 0x80000001 &&
		  (cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_LM);
	bool pcid = cpuid(1, 0).ecx & CPUID_1_ECX_PCID;

	if (cmdline_get("realmode", word, sizeof(word)) && !(read_cr0() & CR0_PG))
		real_mode_round_trip();
	if (read_cr0() & CR0_PG) {
		test_skip("cr-rules", "paging is on");
		return;
	}
	if (!lm) {
		test_skip("cr-rules", "no long mode (CPUID 80000001H:EDX[29])");
		return;
	}
	in_protected_mode();
	report();
	in_long_mode(pcid);
	report();
	if (!pcid)
		test_skip("cr-lm-pcide", "no PCID (CPUID 1:ECX[17])");
	/* still alive, back in 32-bit protected mode with paging off */
	test_check("cr-rules-alive", !(read_cr0() & CR0_PG) &&
		   !(rdmsr(MSR_EFER) & (EFER_LME | EFER_LMA)), "CR0 0x%x EFER 0x%llx",
		   read_cr0(), rdmsr(MSR_EFER));
}
