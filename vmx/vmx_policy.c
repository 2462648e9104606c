/* Intercept policy and the checks behind emulated writes (see
 * <uhv/vmx_policy.h> and docs/vmx.md). Pure: no hardware access. */
#include <uhv/vmx_policy.h>
#include <uhv/cpu.h>
#include <uhv/hw/vmx.h>

/* ---- MSRs ---- */

static bool is_mtrr(u32 msr)
{
	return (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * 16) ||
	       msr == MSR_IA32_MTRR_FIX64K_00000 || msr == MSR_IA32_MTRR_FIX16K_80000 ||
	       msr == MSR_IA32_MTRR_FIX16K_A0000 ||
	       (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr < MSR_IA32_MTRR_FIX4K_C0000 + 8) ||
	       msr == MSR_IA32_MTRR_DEF_TYPE;
}

enum vmx_msr_class vmx_msr_classify(u32 msr)
{
	if (msr >= VMX_MSR_LOW_END && (msr < VMX_MSR_HIGH_BASE || msr >= VMX_MSR_HIGH_END))
		return VMX_MSR_UNKNOWN;
	if (msr == MSR_IA32_FEATURE_CONTROL)
		return VMX_MSR_FEATURE_CONTROL;
	if ((msr >= MSR_IA32_VMX_BASIC && msr <= MSR_IA32_VMX_LAST) ||
	    msr == MSR_IA32_SMM_MONITOR_CTL)
		return VMX_MSR_VMX_CAP;
	if (msr == MSR_IA32_EFER)
		return VMX_MSR_EFER;
	if (msr == MSR_IA32_APIC_BASE)
		return VMX_MSR_APIC_BASE;
	if (is_mtrr(msr))
		return VMX_MSR_MTRR;
	return VMX_MSR_PASS;
}

/* Byte offset of msr's bit in the read bitmap, or -1 outside the ranges. */
static int msr_bit(u32 msr)
{
	if (msr < VMX_MSR_LOW_END)
		return (int)msr;
	if (msr >= VMX_MSR_HIGH_BASE && msr < VMX_MSR_HIGH_END)
		return (int)(msr - VMX_MSR_HIGH_BASE) + 1024 * 8;
	return -1;
}

bool vmx_msr_bitmap_exits(const u8 *bm, u32 msr, bool write)
{
	int bit = msr_bit(msr);

	if (bit < 0)
		return true;
	if (write)
		bit += 2048 * 8;
	return bm[bit / 8] & (1U << (bit % 8));
}

int vmx_msr_bitmap_intercept(u8 *bm, u32 msr, bool read, bool write)
{
	int bit = msr_bit(msr);

	if (bit < 0)
		return -22;	/* -EINVAL without dragging errno.h into a policy file */
	if (read)
		bm[bit / 8] |= 1U << (bit % 8);
	if (write)
		bm[(bit + 2048 * 8) / 8] |= 1U << (bit % 8);
	return 0;
}

static void policy_range(u8 *bm, u32 first, u32 end)
{
	for (u32 msr = first; msr < end; msr++) {
		enum vmx_msr_class c = vmx_msr_classify(msr);

		if (c == VMX_MSR_PASS)
			continue;
		bool rd = c == VMX_MSR_FEATURE_CONTROL || c == VMX_MSR_VMX_CAP;
		vmx_msr_bitmap_intercept(bm, msr, rd, true);
	}
}

void vmx_msr_policy_build(u8 *bm)
{
	policy_range(bm, 0, VMX_MSR_LOW_END);
	policy_range(bm, VMX_MSR_HIGH_BASE, VMX_MSR_HIGH_END);
}

/* ---- I/O ports ---- */

void vmx_io_bitmap_intercept(u8 *a, u8 *b, u16 port)
{
	u8 *bm = port < 0x8000 ? a : b;
	unsigned p = port & 0x7fff;

	bm[p / 8] |= 1U << (p % 8);
}

bool vmx_io_bitmap_exits(const u8 *a, const u8 *b, u16 port, unsigned size)
{
	if ((u32)port + size > 0x10000)
		return true;
	for (unsigned i = 0; i < size; i++) {
		unsigned p = port + i;
		const u8 *bm = p < 0x8000 ? a : b;

		if (bm[(p & 0x7fff) / 8] & (1U << (p % 8)))
			return true;
	}
	return false;
}

void vmx_io_policy_build(u8 *a, u8 *b)
{
#ifdef UHV_TEST_BUILD	/* the test variant's port (vmx/test_hooks.c); production has none */
	vmx_io_bitmap_intercept(a, b, UHV_TEST_PORT);
#endif
}

/* ---- CPUID ---- */

#define CPUID_1_ECX_SMX		BIT(6)
#define CPUID_1_ECX_OSXSAVE	BIT(27)
#define CPUID_7_EBX_INVPCID	BIT(10)
#define CPUID_7_ECX_PKU		BIT(3)
#define CPUID_7_ECX_OSPKE	BIT(4)
#define CPUID_7_ECX_WAITPKG	BIT(5)
#define CPUID_D1_EAX_XSAVES	BIT(3)
#define CPUID_80000001_EDX_RDTSCP BIT(27)

/* "uhvuhvuhvuhv" as EBX, ECX, EDX */
#define UHV_SIG_EBX	0x75766875U	/* "uhvu" */
#define UHV_SIG_ECX	0x68757668U	/* "hvuh" */
#define UHV_SIG_EDX	0x76687576U	/* "vuhv" */

bool vmx_cpuid_needs_cr4(u32 leaf)
{
	return leaf == 1 || leaf == 7;
}

static void set_bit_to(u32 *r, u32 bit, bool on)
{
	*r = on ? *r | bit : *r & ~bit;
}

void vmx_cpuid_adjust(u32 leaf, u32 sub, u32 r[4], const struct vmx_cpuid_cfg *cfg)
{
	enum { A, B, C, D };

	switch (leaf) {
	case 1:
		r[C] &= ~(u32)(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX);
		r[C] |= (u32)CPUID_1_ECX_HYPERVISOR;
		if (r[C] & CPUID_1_ECX_XSAVE)
			set_bit_to(&r[C], CPUID_1_ECX_OSXSAVE, cfg->guest_cr4 & CR4_OSXSAVE);
		return;
	case 7:
		if (sub != 0)
			return;
		if (!cfg->invpcid)
			r[B] &= ~(u32)CPUID_7_EBX_INVPCID;
		if (!cfg->waitpkg)
			r[C] &= ~(u32)CPUID_7_ECX_WAITPKG;
		if (r[C] & CPUID_7_ECX_PKU)
			set_bit_to(&r[C], CPUID_7_ECX_OSPKE, cfg->guest_cr4 & CR4_PKE);
		return;
	case 0xd:
		if (sub == 1 && !cfg->xsaves)
			r[A] &= ~(u32)CPUID_D1_EAX_XSAVES;
		return;
	case 0x80000001:
		if (!cfg->rdtscp)
			r[D] &= ~(u32)CPUID_80000001_EDX_RDTSCP;
		return;
	}
	if (leaf >= UHV_CPUID_MAX_LEAF && leaf < 0x50000000U) {
		r[A] = r[B] = r[C] = r[D] = 0;
		if (leaf == UHV_CPUID_MAX_LEAF) {
			r[A] = UHV_CPUID_MAX_LEAF;
			r[B] = UHV_SIG_EBX;
			r[C] = UHV_SIG_ECX;
			r[D] = UHV_SIG_EDX;
		}
	}
}

/* ---- checked writes ---- */

bool vmx_efer_write_ok(u64 old, u64 new, bool nx, bool cr0_pg, u64 *out)
{
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA | (nx ? EFER_NXE : 0);

	if (new & ~allowed)
		return false;
	if (cr0_pg && ((new ^ old) & EFER_LME))
		return false;	/* LME cannot change while paging is on */
	*out = (new & ~EFER_LMA) | (old & EFER_LMA);
	return true;
}

#define APIC_BASE_BSP	BIT(8)
#define APIC_BASE_EXTD	BIT(10)
#define APIC_BASE_EN	BIT(11)

bool vmx_apic_base_write_ok(u64 old, u64 new, unsigned phys_bits)
{
	u64 valid = APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN |
		    ((BIT(phys_bits) - 1) & ~0xfffULL);

	if (new & ~valid)
		return false;
	bool old_x2 = (old & APIC_BASE_EN) && (old & APIC_BASE_EXTD);
	bool new_en = new & APIC_BASE_EN, new_extd = new & APIC_BASE_EXTD;
	bool old_off = !(old & APIC_BASE_EN);

	if (new_extd && !new_en)
		return false;	/* invalid state */
	if (old_x2 && new_en && !new_extd)
		return false;	/* x2APIC -> xAPIC must go through disabled */
	if (old_off && new_en && new_extd)
		return false;	/* disabled -> x2APIC must go through xAPIC */
	return true;
}

#define XCR0_X87	BIT(0)
#define XCR0_SSE	BIT(1)
#define XCR0_AVX	BIT(2)
#define XCR0_BNDREGS	BIT(3)
#define XCR0_BNDCSR	BIT(4)
#define XCR0_AVX512	(BIT(5) | BIT(6) | BIT(7))
#define XCR0_TILECFG	BIT(17)
#define XCR0_TILEDATA	BIT(18)

bool vmx_xcr0_valid(u64 v, u64 supported)
{
	if (!(v & XCR0_X87) || (v & ~supported))
		return false;
	if ((v & XCR0_AVX) && !(v & XCR0_SSE))
		return false;
	if (!(v & XCR0_BNDREGS) != !(v & XCR0_BNDCSR))
		return false;
	if ((v & XCR0_AVX512) && ((v & XCR0_AVX512) != XCR0_AVX512 || !(v & XCR0_AVX)))
		return false;
	if (!(v & XCR0_TILECFG) != !(v & XCR0_TILEDATA))
		return false;
	return true;
}

/* ---- CR0 / CR4 ---- */

u64 vmx_cr0_guest_host_mask(const struct vmx_cr_cfg *c)
{
	return (c->cr0_fixed0 & ~(u64)(CR0_PE | CR0_PG)) | ~c->cr0_fixed1;
}

u64 vmx_cr4_guest_host_mask(const struct vmx_cr_cfg *c)
{
	return c->cr4_fixed0 | ~c->cr4_fixed1 | CR4_VMXE | CR4_SMXE;
}

u64 vmx_cr0_real(const struct vmx_cr_cfg *c, u64 view)
{
	return (view | (c->cr0_fixed0 & ~(u64)(CR0_PE | CR0_PG))) & c->cr0_fixed1;
}

u64 vmx_cr4_real(const struct vmx_cr_cfg *c, u64 view)
{
	return (view | c->cr4_fixed0) & c->cr4_fixed1;
}

bool vmx_cr0_write_ok(u64 v)
{
	if (v >> 32)
		return false;
	if ((v & CR0_PG) && !(v & CR0_PE))
		return false;
	return !((v & CR0_NW) && !(v & CR0_CD));
}

bool vmx_cr4_write_ok(const struct vmx_cr_cfg *c, u64 old, u64 v, bool long_mode, u64 cr3)
{
	u64 forbidden = CR4_VMXE | CR4_SMXE | ~c->cr4_fixed1;

	if (v & forbidden)
		return false;
	if (long_mode && !(v & CR4_PAE))
		return false;
	if ((v & CR4_PCIDE) && !long_mode)
		return false;
	if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) && (cr3 & 0xfff))
		return false;
	if (long_mode && ((v ^ old) & CR4_LA57))
		return false;
	return true;
}
