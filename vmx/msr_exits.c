/* RDMSR and WRMSR exits: what the MSR policy (vmx/msr_policy.c) does not let through natively.
 * An MSR no rule names gets #GP both ways, is counted, and is named on the console the first
 * time; the rules that emulate are carried out here. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/cpu.h>
#include <uhv/lapic.h>
#include <uhv/mmio_policy.h>
#include <uhv/log.h>
#include <uhv/vm.h>

/* Say once per emulation kind that a write was refused or dropped, so a guest that keeps
 * trying does not flood the console. */
static void note_once(struct vm *vm, enum msr_emul e, u32 msr, u64 val, const char *what)
{
	if (__atomic_fetch_or(&vm->msr_noted, 1U << e, __ATOMIC_RELAXED) & (1U << e))
		return;
	pr_warn("guest WRMSR %#x <- %#llx: %s (said once)\n", msr, val, what);
}

/* The access is refused: #GP, as a CPU without the MSR gives. Counted per rule (or per MSR
 * where no rule names it) and said the first time. */
static void deny(struct vcpu *v, u32 msr, const struct msr_rule *r, bool write)
{
	struct vm_denials *d = &v->vm->denied;

	vm_deny_count(write ? &d->msr_write_gp : &d->msr_read_gp);
	if (vm_denials_note_msr(v->vm, r ? r->first : msr, write)) {
		if (r && r->read == MSR_DENY && r->write == MSR_DENY)
			pr_warn("guest %s %#x (%s): %s: #GP (said once per rule)\n",
				write ? "WRMSR" : "RDMSR", msr, r->name, r->why);
		else
			pr_warn("guest %s %#x: no rule of the MSR policy allows it: #GP (said once "
				"per MSR)\n", write ? "WRMSR" : "RDMSR", msr);
	}
	vmx_inject_exception(VEC_GP, true, 0);
}

void vmx_handle_rdmsr(struct vcpu *v)
{
	u32 msr = (u32)v->gpr[GPR_RCX];
	const struct msr_rule *r = msr_rule_find(msr);
	u64 val;

	switch (r && r->read != MSR_DENY ? r->emul : MSR_EMUL_NONE) {
	case MSR_EMUL_FEATURE_CONTROL:
		/* locked, VMX off: what the guest may conclude from CPUID too */
		val = FEATURE_CONTROL_LOCKED;
		break;
	case MSR_EMUL_EFER:	/* mem=shadow: the guest sees its own NXE, not the real one */
		val = v->vm->mmu->guest_efer(v);
		break;
	case MSR_EMUL_MCG:	/* no banks, no machine check in progress */
		val = 0;
		break;
	case MSR_EMUL_XAPIC_DISABLE_STATUS:
		/* the lock the APIC_BASE write check applies: the hardware's, or the one
		 * test-x2apic=lock simulates; a CPU without the MSR gives #GP */
		if (!lapic_xapic_disable_status_present()) {
			deny(v, msr, NULL, false);
			return;
		}
		val = lapic_x2apic_locked() ? XAPIC_DISABLE_STATUS_LEGACY_XAPIC_DISABLED : 0;
		break;
	default:
		/* no rule, a rule that denies reads, or one uhv had to intercept (DEBUGCTL
		 * without the debug controls); also MSRs outside the bitmap ranges */
		deny(v, msr, r, false);
		return;
	}
	v->gpr[GPR_RAX] = (u32)val;
	v->gpr[GPR_RDX] = val >> 32;
	vmx_skip_instruction();
}


static bool wrmsr_apic_base(struct vm *vm, u32 msr, u64 val)
{
	u64 old = rdmsr(MSR_IA32_APIC_BASE);
	paddr_t base = val & (BIT(vmx.phys_bits) - 1) & ~0xfffULL;

	u32 x2apic = (lapic_x2apic_capable() ? VMX_X2APIC_CAPABLE : 0) |
		     (lapic_x2apic_locked() ? VMX_X2APIC_LOCKED : 0);

	if (!vmx_apic_base_write_ok(old, val, vmx.phys_bits, x2apic)) {
		if (x2apic & VMX_X2APIC_LOCKED)
			note_once(vm, MSR_EMUL_APIC_BASE, msr, val, "the x2APIC lock is set: "
				  "x2APIC mode cannot be left, #GP as on the hardware");
		return false;
	}
	/* The APIC page shadows whatever is at its address, for uhv too: never over uhv's
	 * memory, a VT-d register page or a range uhv emulates (ECAM). */
	if ((val & APIC_BASE_EN) && vm_gpa_is_uhvs(vm, base, PAGE_SIZE)) {
		pr_warn("guest tried to move the local APIC onto a range uhv keeps (%#llx): #GP\n",
			base);
		return false;
	}
	wrmsr(msr, val);
	return true;
}

/* The emulated writes. Returns false for #GP. */
static bool emulate_write(struct vcpu *v, const struct msr_rule *r, u32 msr, u64 val)
{
	struct vm *vm = v->vm;

	switch (r->emul) {
	case MSR_EMUL_EFER:
		return vm->mmu->write_efer(v, val);
	case MSR_EMUL_APIC_BASE:
		return wrmsr_apic_base(vm, msr, val);
	case MSR_EMUL_MTRR:
		/* The MTRRs also set uhv's memory types; with EPT the guest's
		 * accesses take their type from EPT, so dropping is harmless. */
		vm_deny_count(&vm->denied.msr_write_ignored);
		note_once(vm, r->emul, msr, val, "MTRR write dropped (the MTRRs are uhv's)");
		return true;
	case MSR_EMUL_POWER_CTL:
		vm_deny_count(&vm->denied.msr_write_ignored);
		note_once(vm, r->emul, msr, val, "MSR_POWER_CTL write dropped (package power "
			  "policy stays the firmware's)");
		return true;
	case MSR_EMUL_MISC_ENABLE:
		if (msr_misc_enable_write_ok(rdmsr(msr), val)) {
			wrmsr(msr, val);
			return true;
		}
		vm_deny_count(&vm->denied.msr_write_ignored);
		note_once(vm, r->emul, msr, val, "IA32_MISC_ENABLE change dropped (only the CPUID "
			  "limit and clearing XD disable are the guest's)");
		return true;
	case MSR_EMUL_BIOS_SIGN_ID:
		if (val == 0) {
			wrmsr(msr, 0);
			return true;
		}
		vm_deny_count(&vm->denied.msr_write_ignored);
		note_once(vm, r->emul, msr, val, "IA32_BIOS_SIGN_ID write other than 0 dropped");
		return true;
	case MSR_EMUL_MCG:
		/* MCG_STATUS: 0 clears what the guest's handler saw (nothing); MCG_CAP is
		 * read-only, as is any other value (SDM 17.3.1.2) */
		return msr == MSR_IA32_MCG_STATUS && val == 0;
	case MSR_EMUL_XSS:
		if (!vm->cpuid.xsaves || !msr_xss_write_ok(val, vmx.xss_supported))
			return false;
		wrmsr(msr, val);
		return true;
	default:
		return false;
	}
}

void vmx_handle_wrmsr(struct vcpu *v)
{
	u32 msr = (u32)v->gpr[GPR_RCX];
	u64 val = (v->gpr[GPR_RDX] << 32) | (u32)v->gpr[GPR_RAX];
	const struct msr_rule *r = msr_rule_find(msr);

	if (!r || r->write != MSR_EMULATE) {
		deny(v, msr, r, true);
		return;
	}
	if (!emulate_write(v, r, msr, val)) {
		vm_deny_count(&v->vm->denied.msr_write_gp);
		vmx_inject_exception(VEC_GP, true, 0);
		return;
	}
	vmx_skip_instruction();
}

/* ept_mmu.write_efer: the guest's EFER is in the VMCS. */
bool vmx_ept_write_efer(struct vcpu *v, u64 val)
{
	/* the rules need CR0.PG only, which EPT mode never owns: the real CR0's */
	struct cr_state s = { .cr0 = vmread(VMCS_GUEST_CR0),
			      .efer = vmread(VMCS_GUEST_IA32_EFER) };

	if (efer_write_check(&s, &vmx.cr_caps, val) != CR_OK)
		return false;
	vmwrite(VMCS_GUEST_IA32_EFER, efer_written(&s, val));
	return true;
}
