/* What the guest may do directly and what uhv intercepts: MSR and I/O
 * bitmaps, CPUID adjustments, and the checks uhv applies when it carries out
 * an intercepted MSR, XSETBV or control-register write on the guest's behalf.
 *
 * Pure (vmx/vmx_policy.c): decisions only, no hardware access, so the host
 * unit test (test/unit/test_vmx_policy.c) covers them. The exit handlers in
 * vmx/exit_handlers.c apply them. The policy itself is described in
 * docs/vmx.md. */
#ifndef UHV_VMX_POLICY_H
#define UHV_VMX_POLICY_H

#include <uhv/types.h>
#include <uhv/cr_checks.h>

/* ---- MSRs: <uhv/msr_policy.h> ---- */
#include <uhv/msr_policy.h>

/* ---- I/O bitmaps (25.6.4): A covers ports 0-0x7fff, B 0x8000-0xffff ---- */
#define VMX_IO_BITMAP_SIZE	4096
#define UHV_TEST_PORT		0x510	/* IN reads 0x75687600 | access size; OUT ignored */
#define UHV_TEST_PORT_VALUE	0x75687600U

void vmx_io_bitmap_intercept(u8 *a, u8 *b, u16 port);
void vmx_io_bitmap_allow(u8 *a, u8 *b, u16 port);
/* Does an access of size bytes at port exit (any of its ports intercepted;
 * wrapping past 0xffff exits, as the SDM says)? */
bool vmx_io_bitmap_exits(const u8 *a, const u8 *b, u16 port, unsigned size);
/* Deny by default: every port exits. The port table (<uhv/io_policy.h>) then
 * opens the native ones (vm_io_policy_apply, once the vm's traps are known). */
void vmx_io_policy_build(u8 *a, u8 *b);

/* ---- CPUID (what the guest sees) ---- */
#define UHV_CPUID_MAX_LEAF	0x40000000U	/* highest hypervisor leaf uhv answers */

struct vmx_cpuid_cfg {
	u64 guest_cr4;		/* the guest's real CR4 (OSXSAVE, OSPKE are reported from it) */
	bool rdtscp;		/* "enable RDTSCP" is on (else RDTSCP is hidden) */
	bool invpcid;		/* "enable INVPCID" */
	bool xsaves;		/* "enable XSAVES/XRSTORS" */
	bool waitpkg;		/* "enable user wait and pause" */
};

/* Does vmx_cpuid_adjust() change anything for leaf? (Inline: the CPUID
 * exit handler skips the call for all other leaves.) */
#define VMX_CPUID_ADJUSTED_BASIC	(BIT(1) | BIT(6) | BIT(7) | BIT(0xa) | BIT(0xd) | \
					 BIT(0x14) | BIT(0x1c))
static inline bool vmx_cpuid_leaf_adjusted(u32 leaf)
{
	if (__builtin_expect(leaf < 32, 1))	/* the basic leaves: inline, one shift */
		return ((u32)VMX_CPUID_ADJUSTED_BASIC >> leaf) & 1;
	return leaf == 0x80000001 || (leaf >> 28) == 4;
}
/* Does leaf need cfg->guest_cr4 (so the caller can skip reading it)? */
bool vmx_cpuid_needs_cr4(u32 leaf);
/* Turn what CPUID returned on the host into what the guest sees:
 * VMX and SMX hidden, the hypervisor bit set, OSXSAVE/OSPKE from the guest's
 * CR4, features whose instructions a VM-execution control turns into #UD
 * hidden when that control is off, features whose MSRs the MSR policy denies
 * hidden (debug store, thermal and power management,
 * TSC_ADJUST, MPX, Processor Trace, the PMU, architectural LBRs, user
 * interrupts, supervisor XSAVE states other than PASID and CET), and the
 * leaves 0x40000000-0x4fffffff answered by uhv ("uhvuhvuhvuhv" at 0x40000000,
 * zeros above). */
void vmx_cpuid_adjust(u32 leaf, u32 subleaf, u32 regs[4], const struct vmx_cpuid_cfg *cfg);

/* ---- checks on values uhv writes for the guest ---- */

/* WRMSR IA32_APIC_BASE: reserved bits, valid xAPIC/x2APIC mode change
 * (SDM Vol. 3A 11.12.5). The caller still checks that the new base is not
 * uhv's memory. phys_bits = MAXPHYADDR; x2apic = VMX_X2APIC_* flags: the CPU
 * implements x2APIC (else EXTD is reserved), the x2APIC lock is set (then
 * clearing EXTD or EN is refused: IA32_XAPIC_DISABLE_STATUS). uhv carries the
 * write out in VMX root, so what the CPU would #GP must be refused here. */
#define VMX_X2APIC_CAPABLE	BIT(0)
#define VMX_X2APIC_LOCKED	BIT(1)
bool vmx_apic_base_write_ok(u64 old, u64 new, unsigned phys_bits, u32 x2apic);
/* XSETBV XCR0: returns true when v is a valid XCR0 for a CPU supporting the
 * components in supported (CPUID.(EAX=0DH,ECX=0):EDX:EAX). */
bool vmx_xcr0_valid(u64 v, u64 supported);

/* ---- CR0 / CR4 with guest/host masks and read shadows (25.6.6) ---- */

/* The fixed bits of VMX operation, from IA32_VMX_CR0/CR4_FIXED0/1. */
struct vmx_cr_cfg {
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* The bits uhv owns: the guest reads the shadow for them, and a MOV that
 * would give one of them a value other than the shadow's exits. CR0: the
 * bits VMX forces (NE; PE and PG are free with unrestricted guest). CR4:
 * VMXE, SMXE, UINTR (features CPUID hides) and everything FIXED1 does not
 * allow. */
u64 vmx_cr0_guest_host_mask(const struct vmx_cr_cfg *c);
u64 vmx_cr4_guest_host_mask(const struct vmx_cr_cfg *c);
/* The real CR0/CR4 for what the guest wants (its view, = read shadow). */
u64 vmx_cr0_real(const struct vmx_cr_cfg *c, u64 guest_view);
u64 vmx_cr4_real(const struct vmx_cr_cfg *c, u64 guest_view);
/* What the guest's processor offers, for the checks of <uhv/cr_checks.h>: CR4 as FIXED1 allows
 * less the bits of features CPUID hides (VMXE, SMXE, UINTR); EFER SCE, LME, LMA, and NXE when
 * the CPU has NX. */
struct cr_caps vmx_cr_caps(const struct vmx_cr_cfg *c, bool nx, unsigned maxphyaddr);

#endif
