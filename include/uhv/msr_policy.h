/* Which MSRs the guest may touch, and how (docs/security.md, "MSRs"). Deny by default: an MSR
 * no rule names exits on RDMSR and WRMSR and gets #GP, as on a CPU without it. A rule says, per
 * direction, whether the guest reaches the hardware (the bitmap bit is clear: no exit) or uhv
 * emulates the access; the reason is beside each rule in vmx/msr_policy.c.
 *
 * Pure: the table, the bitmap built from it and the checks behind emulated accesses, so the host
 * unit test (test/unit/test_msr_policy.c) covers them. vmx/msr_exits.c applies them. */
#ifndef UHV_MSR_POLICY_H
#define UHV_MSR_POLICY_H

#include <uhv/types.h>

/* ---- MSR bitmaps (SDM Vol. 3C 25.6.9) ---- */
#define VMX_MSR_BITMAP_SIZE	4096
/* read bitmap for MSRs 0-0x1fff at 0, for 0xc0000000-0xc0001fff at 1024, write bitmaps at 2048
 * and 3072; MSRs outside both ranges always exit */
#define VMX_MSR_LOW_END		0x2000U
#define VMX_MSR_HIGH_BASE	0xc0000000U
#define VMX_MSR_HIGH_END	0xc0002000U

/* One direction (read or write) of an MSR. */
enum msr_access {
	MSR_DENY,		/* exits; #GP (what no rule names gets) */
	MSR_NATIVE,		/* no exit: the guest reaches the hardware MSR */
	MSR_EMULATE,		/* exits; uhv carries it out as the rule's emulation says */
};

/* How uhv emulates an access a rule marks MSR_EMULATE. */
enum msr_emul {
	MSR_EMUL_NONE,
	MSR_EMUL_FEATURE_CONTROL,	/* reads: locked, VMX off */
	MSR_EMUL_EFER,			/* writes checked, into the VMCS (mem=shadow: reads too) */
	MSR_EMUL_APIC_BASE,		/* writes checked: never onto a range uhv keeps */
	MSR_EMUL_MTRR,			/* writes dropped: the MTRRs are uhv's */
	MSR_EMUL_MISC_ENABLE,		/* reads: the hardware's; writes that change it dropped */
	MSR_EMUL_BIOS_SIGN_ID,		/* writes of 0 (before CPUID) carried out, others dropped */
	MSR_EMUL_XSS,			/* writes checked: no state CPUID hides (Processor Trace) */
	MSR_EMUL_MCG,			/* MCG_CAP/MCG_STATUS: an MCA without banks */
	MSR_EMUL_POWER_CTL,		/* writes dropped: package power policy */
	MSR_EMUL_XAPIC_DISABLE_STATUS,	/* reads: the x2APIC lock uhv enforces (or #GP) */
	MSR_EMUL_COUNT
};

struct msr_rule {
	u32 first, last;		/* inclusive */
	u8 read, write;			/* enum msr_access */
	u8 emul;			/* enum msr_emul, when either direction is MSR_EMULATE */
	const char *name;		/* as the SDM names the MSR(s) */
	const char *why;		/* the reason the guest may have it */
};

/* The rule for msr, or NULL: no rule, denied both ways. (Some rules deny both ways too: they
 * name an MSR a guest could use against the machine, with the reason.) */
const struct msr_rule *msr_rule_find(u32 msr);
/* The table itself, for the unit test and the boot report. */
const struct msr_rule *msr_rules(unsigned *n);
/* How an access is treated (MSR_DENY when no rule names msr). */
enum msr_access msr_access_of(u32 msr, bool write);

/* Does a read (write) of msr make the guest exit with this bitmap? */
bool vmx_msr_bitmap_exits(const u8 *bitmap, u32 msr, bool write);
/* Make accesses to msr exit. Returns 0, or -EINVAL for an MSR outside the bitmap ranges (those
 * always exit). */
int vmx_msr_bitmap_intercept(u8 *bitmap, u32 msr, bool read, bool write);
/* Fill a bitmap from the table: every bit set (exit) except the MSR_NATIVE directions. Returns
 * the number of MSRs with at least one native direction. */
unsigned vmx_msr_policy_build(u8 *bitmap);

/* ---- checks behind emulated writes ---- */

/* WRMSR IA32_MISC_ENABLE (cur = the hardware's value): true when val changes only what the
 * guest may change, the CPUID limit (bit 22) and XD disable from 1 to 0; every other bit (fast
 * strings, thermal control, SpeedStep, setting XD disable) belongs to uhv and the package, and
 * such a write is dropped. */
bool msr_misc_enable_write_ok(u64 cur, u64 val);
/* The supervisor XSAVE states (IA32_XSS bits, SDM 13.1) the guest may use: PASID and CET, whose
 * MSRs are per-thread state. Processor Trace (8), HDC (13), user interrupts (14), LBRs (15) and
 * HWP (16) would let XRSTORS load MSRs the policy denies; CPUID hides them. */
#define XSS_GUEST	(BIT(10) | BIT(11) | BIT(12))
/* WRMSR IA32_XSS: valid when val sets only states of XSS_GUEST the CPU supports. */
bool msr_xss_write_ok(u64 val, u64 supported);

#endif
