/* CPU registers, MSRs and CPUID. */
#ifndef UHV_CPU_H
#define UHV_CPU_H

#include <uhv/types.h>

struct cpuid_regs { u32 eax, ebx, ecx, edx; };

static inline struct cpuid_regs cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;
	asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#define DEFINE_CR(n) \
	static inline u64 read_cr##n(void) { u64 v; asm volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(u64 v) { asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline u64 read_rflags(void) { u64 v; asm volatile("pushfq; popq %0" : "=r"(v)); return v; }
static inline void cpu_relax(void) { asm volatile("pause" ::: "memory"); }
static inline void clflush(const volatile void *p) { asm volatile("clflush (%0)" : : "r"(p) : "memory"); }
static inline void mfence(void) { asm volatile("mfence" ::: "memory"); }
static inline void wbinvd(void) { asm volatile("wbinvd" ::: "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void invlpg(const void *va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* CR0 / CR4 bits (SDM Vol. 3A 2.5) */
#define CR0_PE	BIT(0)
#define CR0_MP	BIT(1)
#define CR0_EM	BIT(2)
#define CR0_TS	BIT(3)
#define CR0_ET	BIT(4)
#define CR0_NE	BIT(5)
#define CR0_WP	BIT(16)
#define CR0_AM	BIT(18)
#define CR0_NW	BIT(29)
#define CR0_CD	BIT(30)
#define CR0_PG	BIT(31)

#define CR4_VME		BIT(0)
#define CR4_PVI		BIT(1)
#define CR4_TSD		BIT(2)
#define CR4_DE		BIT(3)
#define CR4_PSE		BIT(4)
#define CR4_PAE		BIT(5)
#define CR4_MCE		BIT(6)
#define CR4_PGE		BIT(7)
#define CR4_PCE		BIT(8)
#define CR4_OSFXSR	BIT(9)
#define CR4_OSXMMEXCPT	BIT(10)
#define CR4_UMIP	BIT(11)
#define CR4_LA57	BIT(12)
#define CR4_VMXE	BIT(13)
#define CR4_SMXE	BIT(14)
#define CR4_FSGSBASE	BIT(16)
#define CR4_PCIDE	BIT(17)
#define CR4_OSXSAVE	BIT(18)
#define CR4_SMEP	BIT(20)
#define CR4_SMAP	BIT(21)
#define CR4_PKE		BIT(22)

/* MSRs (SDM Vol. 4) */
#define MSR_IA32_APIC_BASE		0x01b
#define MSR_IA32_FEATURE_CONTROL	0x03a
#define MSR_IA32_BIOS_SIGN_ID		0x08b
#define MSR_IA32_MTRRCAP		0x0fe
#define MSR_IA32_SYSENTER_CS		0x174
#define MSR_IA32_SYSENTER_ESP		0x175
#define MSR_IA32_SYSENTER_EIP		0x176
#define MSR_IA32_MCG_STATUS		0x17a
#define MSR_IA32_MISC_ENABLE		0x1a0
#define MSR_IA32_DEBUGCTL		0x1d9
#define MSR_IA32_MTRR_PHYSBASE0		0x200
#define MSR_IA32_MTRR_FIX64K_00000	0x250
#define MSR_IA32_MTRR_FIX16K_80000	0x258
#define MSR_IA32_MTRR_FIX16K_A0000	0x259
#define MSR_IA32_MTRR_FIX4K_C0000	0x268
#define MSR_IA32_PAT			0x277
#define MSR_IA32_MTRR_DEF_TYPE		0x2ff
#define MSR_IA32_VMX_BASIC		0x480
#define MSR_IA32_XSS			0xda0
#define MSR_IA32_EFER			0xc0000080
#define MSR_IA32_STAR			0xc0000081
#define MSR_IA32_LSTAR			0xc0000082
#define MSR_IA32_FMASK			0xc0000084
#define MSR_IA32_FS_BASE		0xc0000100
#define MSR_IA32_GS_BASE		0xc0000101
#define MSR_IA32_KERNEL_GS_BASE		0xc0000102

#define EFER_SCE	BIT(0)
#define EFER_LME	BIT(8)
#define EFER_LMA	BIT(10)
#define EFER_NXE	BIT(11)

#define RFLAGS_TF	BIT(8)
#define RFLAGS_IF	BIT(9)
#define RFLAGS_RF	BIT(16)

/* CPUID feature bits used by uhv */
#define CPUID_1_ECX_VMX		BIT(5)
#define CPUID_1_ECX_X2APIC	BIT(21)
#define CPUID_1_ECX_XSAVE	BIT(26)
#define CPUID_1_ECX_HYPERVISOR	BIT(31)
#define CPUID_80000001_EDX_NX	BIT(20)
#define CPUID_80000001_EDX_PDPE1GB BIT(26)

#endif
