/* Intercept policy and the checks behind emulated writes (see
 * <uhv/vmx_policy.h> and docs/vmx.md). Pure: no hardware access. */
#include <uhv/vmx_policy.h>
#include <uhv/cpu.h>
#include <uhv/hw/vmx.h>
#include <uhv/string.h>

/* ---- I/O ports ---- */

void vmx_io_bitmap_intercept(u8 *a, u8 *b, u16 port)
{
	u8 *bm = port < 0x8000 ? a : b;
	unsigned p = port & 0x7fff;

	bm[p / 8] |= 1U << (p % 8);
}

void vmx_io_bitmap_allow(u8 *a, u8 *b, u16 port)
{
	u8 *bm = port < 0x8000 ? a : b;
	unsigned p = port & 0x7fff;

	bm[p / 8] &= (u8)~(1U << (p % 8));
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
	memset(a, 0xff, VMX_IO_BITMAP_SIZE);
	memset(b, 0xff, VMX_IO_BITMAP_SIZE);
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

/* Features whose MSRs the MSR policy denies (vmx/msr_policy.c): hidden, so a kernel does not
 * try them. */
#define CPUID_1_ECX_DENIED	(BIT(2) | BIT(4) | BIT(7) | BIT(8) | BIT(15))
	/* DTES64, DS-CPL, EST (SpeedStep), TM2, PDCM (PERF_CAPABILITIES) */
#define CPUID_1_EDX_DENIED	(BIT(21) | BIT(22) | BIT(29))
	/* DS (debug store), ACPI and TM (thermal control); MCA stays, without banks */
#define CPUID_6_EAX_ARAT	BIT(2)	/* the APIC timer runs in deep C-states: no MSR */
#define CPUID_7_EBX_DENIED	(BIT(1) | BIT(14) | BIT(25))
	/* IA32_TSC_ADJUST, MPX (IA32_BNDCFGS), Processor Trace */
#define CPUID_7_EDX_DENIED	(BIT(5) | BIT(19))
	/* user interrupts (UINTR MSRs), architectural LBRs */
#define XSS_HIDDEN		(BIT(8) | BIT(13) | BIT(14) | BIT(15) | BIT(16))
	/* the supervisor XSAVE components other than PASID and CET (SDM 13.1) */

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
		r[C] &= ~(u32)(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_DENIED);
		r[D] &= ~(u32)CPUID_1_EDX_DENIED;
		r[C] |= (u32)CPUID_1_ECX_HYPERVISOR;
		if (r[C] & CPUID_1_ECX_XSAVE)
			set_bit_to(&r[C], CPUID_1_ECX_OSXSAVE, cfg->guest_cr4 & CR4_OSXSAVE);
		return;
	case 6:		/* thermal and power management: the platform's */
		r[A] &= CPUID_6_EAX_ARAT;
		r[B] = r[C] = r[D] = 0;
		return;
	case 0xa:	/* the PMU: its counters would count uhv too */
	case 0x14:	/* Processor Trace */
	case 0x1c:	/* architectural LBRs */
		r[A] = r[B] = r[C] = r[D] = 0;
		return;
	case 7:
		if (sub != 0)
			return;
		r[B] &= ~(u32)CPUID_7_EBX_DENIED;
		r[D] &= ~(u32)CPUID_7_EDX_DENIED;
		if (!cfg->invpcid)
			r[B] &= ~(u32)CPUID_7_EBX_INVPCID;
		if (!cfg->waitpkg)
			r[C] &= ~(u32)CPUID_7_ECX_WAITPKG;
		if (r[C] & CPUID_7_ECX_PKU)
			set_bit_to(&r[C], CPUID_7_ECX_OSPKE, cfg->guest_cr4 & CR4_PKE);
		return;
	case 0xd:
		if (sub == 1) {
			if (!cfg->xsaves)
				r[A] &= ~(u32)CPUID_D1_EAX_XSAVES;
			r[C] &= (u32)XSS_GUEST;	/* IA32_XSS bits 31:0; 63:32 reserved */
			r[D] = 0;
		} else if (sub < 32 && (BIT(sub) & XSS_HIDDEN)) {
			r[A] = r[B] = r[C] = r[D] = 0;	/* a supervisor state CPUID hides */
		}
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

#define APIC_BASE_BSP	BIT(8)
#define APIC_BASE_EXTD	BIT(10)
#define APIC_BASE_EN	BIT(11)

bool vmx_apic_base_write_ok(u64 old, u64 new, unsigned phys_bits, u32 x2apic)
{
	u64 valid = APIC_BASE_BSP | APIC_BASE_EN | ((BIT(phys_bits) - 1) & ~0xfffULL);

	if (x2apic & VMX_X2APIC_CAPABLE)
		valid |= APIC_BASE_EXTD;	/* else a reserved bit */
	if ((x2apic & VMX_X2APIC_LOCKED) && (old & APIC_BASE_EXTD) &&
	    (new & (APIC_BASE_EN | APIC_BASE_EXTD)) != (APIC_BASE_EN | APIC_BASE_EXTD))
		return false;	/* locked in x2APIC mode: neither xAPIC nor disabled */

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

/* CR4 bits of features the guest does not get: VMX (no nested VMX), SMX (GETSEC is #UD), user
 * interrupts (CPUID hides them, their MSRs are denied). Owned by uhv so setting one exits, and
 * then #GP as on a processor without the feature. */
#define CR4_HIDDEN	(CR4_VMXE | CR4_SMXE | CR4_UINTR)

u64 vmx_cr0_guest_host_mask(const struct vmx_cr_cfg *c)
{
	return (c->cr0_fixed0 & ~(u64)(CR0_PE | CR0_PG)) | ~c->cr0_fixed1;
}

u64 vmx_cr4_guest_host_mask(const struct vmx_cr_cfg *c)
{
	return c->cr4_fixed0 | ~c->cr4_fixed1 | CR4_HIDDEN;
}

u64 vmx_cr0_real(const struct vmx_cr_cfg *c, u64 view)
{
	return (view | (c->cr0_fixed0 & ~(u64)(CR0_PE | CR0_PG))) & c->cr0_fixed1;
}

u64 vmx_cr4_real(const struct vmx_cr_cfg *c, u64 view)
{
	return (view | c->cr4_fixed0) & c->cr4_fixed1;
}

struct cr_caps vmx_cr_caps(const struct vmx_cr_cfg *c, bool nx, unsigned maxphyaddr)
{
	return (struct cr_caps){
		.cr4_ok = c->cr4_fixed1 & ~(u64)CR4_HIDDEN,
		.efer_ok = EFER_SCE | EFER_LME | EFER_LMA | (nx ? EFER_NXE : 0),
		.maxphyaddr = maxphyaddr,
	};
}
