/* VMX capabilities: decoding the IA32_VMX_* MSRs and computing VM-execution,
 * VM-exit and VM-entry control values from them (SDM Vol. 3D Appendix A,
 * Vol. 3C 25.5 "Algorithms for determining VMX capabilities").
 *
 * Pure logic (vmx/vmx_caps.c): the runtime reads the MSRs with
 * vmx_caps_read(), passing an rdmsr callback, and everything else works on
 * the raw values, so host tests feed the values measured on Bochs and nested
 * KVM (docs/emulators.md sections 4 and 8). */
#ifndef UHV_VMX_CAPS_H
#define UHV_VMX_CAPS_H

#include <uhv/types.h>
#include <uhv/hw/vmx.h>

/* The capability MSRs as read. An MSR the CPU does not have (see the comments
 * in <uhv/hw/vmx_msr.h>) is 0 here. */
struct vmx_caps_raw {
	u64 basic;
	u64 pinbased, procbased, exit, entry;				/* 0x481-0x484 */
	u64 misc;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 vmcs_enum;
	u64 procbased2;
	u64 ept_vpid_cap;
	u64 true_pinbased, true_procbased, true_exit, true_entry;	/* 0x48d-0x490 */
	u64 vmfunc;
};

/* Read every capability MSR that exists, in the order the SDM allows (an
 * MSR is only read when the ones before say it exists, since reading a
 * missing MSR faults). */
void vmx_caps_read(struct vmx_caps_raw *raw, u64 (*rdmsr_fn)(void *ctx, u32 msr), void *ctx);

/* The five 32-bit control fields whose settings a capability MSR reports. */
enum vmx_ctl {
	VMX_CTL_PIN,		/* PIN_BASED_* */
	VMX_CTL_PROC,		/* CPU_BASED_* */
	VMX_CTL_PROC2,		/* SECONDARY_EXEC_* */
	VMX_CTL_EXIT,		/* VM_EXIT_* */
	VMX_CTL_ENTRY,		/* VM_ENTRY_* */
	VMX_CTL_COUNT
};

/* Allowed settings of one control field. */
struct vmx_ctl_cap {
	u32 must1;		/* allowed-0 settings (low half): bit set -> control must be 1 */
	u32 may1;		/* allowed-1 settings (high half): bit clear -> control must be 0 */
	u32 default1;		/* "default1" bits of the non-TRUE MSR (their setting for
				 * software that does not know them) */
	u32 msr;		/* the MSR these came from (TRUE_ one when BASIC bit 55) */
};

struct vmx_caps {
	/* IA32_VMX_BASIC */
	u32 revision_id;
	u32 vmcs_size;
	u8 vmcs_memtype;		/* 6 = WB */
	bool addr32_only;		/* VMXON/VMCS/bitmap addresses must be < 4 GiB */
	bool dual_monitor;
	bool ins_outs_info;
	bool true_ctls;
	bool no_errcode_check;		/* exceptions injectable without error-code consistency */

	struct vmx_ctl_cap ctl[VMX_CTL_COUNT];

	/* IA32_VMX_MISC */
	u8 preemption_timer_shift;	/* timer rate: TSC >> shift */
	bool store_lma;
	bool activity_hlt, activity_shutdown, activity_wait_sipi;
	bool vmwrite_any_field;
	bool inject_zero_len;
	u32 cr3_targets;
	u32 max_msr_list;		/* recommended maximum entries per MSR list */
	u32 mseg_revision;

	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 vmcs_max_index;		/* highest index (bits 9:1 of an encoding) */

	/* IA32_VMX_EPT_VPID_CAP, raw (bits in <uhv/hw/vmx_msr.h> VMX_EPT_*, VMX_VPID_*);
	 * 0 unless EPT or VPID may be enabled */
	u64 ept_vpid;
	u64 vmfunc;
};

/* Decode raw values. Returns 0, or -EINVAL when the values are inconsistent
 * (VMCS size 0 or over 4 KiB, revision 0, CR fixed bits contradicting each
 * other), which means the MSRs were not read correctly. */
int vmx_caps_decode(const struct vmx_caps_raw *raw, struct vmx_caps *caps);

/* Is the 1-setting of bit in control field ctl allowed? */
static inline bool vmx_ctl_allowed(const struct vmx_caps *caps, enum vmx_ctl ctl, u32 bit)
{
	return (caps->ctl[ctl].may1 & bit) == bit;
}

/* What a VMM wants for one control field:
 *   required  must be 1; missing ones are reported by name and make the
 *             computation fail;
 *   optional  1 when the CPU allows it;
 *   clear     known controls the VMM wants 0 when the CPU allows it
 *             (default1 controls such as CPU_BASED_CR3_LOAD_EXITING).
 * Every other bit gets its default setting (1 for default1 bits), which the
 * SDM asks of software that does not know a control. */
struct vmx_ctl_want {
	u32 required;
	u32 optional;
	u32 clear;
};

/* Compute the value for control field ctl. Returns 0 and *out, or
 * -EOPNOTSUPP after logging one error per required bit that is not allowed
 * (naming the control, its bit and the capability MSR). Secondary controls
 * only act when the primary value has CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
 * which the caller requires in its VMX_CTL_PROC want. */
int vmx_ctl_compute(const struct vmx_caps *caps, enum vmx_ctl ctl, const struct vmx_ctl_want *want,
		    u32 *out);

/* Does value respect the allowed settings of ctl? Logs each violating bit by
 * name when log is true. Returns 0 or -EINVAL. */
int vmx_ctl_check(const struct vmx_caps *caps, enum vmx_ctl ctl, u32 value, bool log);

/* "enable EPT", "monitor trap flag", ...; NULL for an unnamed (reserved) bit.
 * bit is a bit number 0..31. */
const char *vmx_ctl_bit_name(enum vmx_ctl ctl, unsigned bit);
/* "pin-based", "primary processor-based", ... */
const char *vmx_ctl_field_name(enum vmx_ctl ctl);
/* "IA32_VMX_TRUE_PROCBASED_CTLS" etc.; "?" for other numbers */
const char *vmx_msr_name(u32 msr);

/* EPT/VPID requirements of uhv: EPT with a 4-level walk, WB (or UC) for the
 * paging structures, INVEPT with single- or all-context, unrestricted guest.
 * Logs each missing feature with its MSR and bit and returns -EOPNOTSUPP;
 * missing 2M/1G pages, A/D flags or INVVPID are warnings (0). */
int vmx_caps_check_ept(const struct vmx_caps *caps);

/* Largest EPT leaf the CPU allows: 2 (1 GiB), 1 (2 MiB) or 0 (4 KiB). */
unsigned vmx_caps_ept_max_leaf_level(const struct vmx_caps *caps);

/* Can VPIDs be used (control allowed and INVVPID with single- or
 * all-context)? A VMM that cannot invalidate must not tag. */
bool vmx_caps_vpid_usable(const struct vmx_caps *caps);

/* Force the bits that CR0/CR4 must have in VMX operation (FIXED0 set,
 * ~FIXED1 clear). For a guest with unrestricted guest, PE and PG may be 0
 * (SDM 26.3.1.1), so they are not forced. */
u64 vmx_cr0_fixed(const struct vmx_caps *caps, u64 cr0, bool unrestricted_guest);
u64 vmx_cr4_fixed(const struct vmx_caps *caps, u64 cr4);

/* Print the decoded capabilities (pr_info). */
void vmx_caps_print(const struct vmx_caps *caps);
/* Print the names of the bits set in value (a chosen control value), after
 * title, wrapped (pr_info). */
void vmx_ctl_print(const char *title, enum vmx_ctl ctl, u32 value);

#endif
