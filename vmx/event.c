/* Events for the guest and instructions completed on its behalf (<uhv/vmx_event.h> has the
 * rules): every exception uhv injects, every instruction it skips or emulates, and the guest
 * NMIs that came while this CPU ran uhv go through here. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/vmx_smp.h>
#include <uhv/vcpu.h>
#include <uhv/vmx_debug.h>

/* Guest RFLAGS, interruptibility and pending debug exceptions: written back only what changed.
 * (The common exit, CPUID or I/O without TF, RF or a shadow, never gets here: the inline
 * vmx_complete_instruction in <uhv/vmx_event.h> tests for those first.) */
static void write_state(struct vmx_insn_state old, struct vmx_insn_state s)
{
	if (s.rflags != old.rflags)
		vmwrite(VMCS_GUEST_RFLAGS, s.rflags);
	if (s.intr != old.intr)
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE, s.intr);
	if (s.pending_dbg != old.pending_dbg)
		vmwrite(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, s.pending_dbg);
}

void vmx_complete_instruction_slow(u64 rflags, u64 intr)
{
	struct vmx_insn_state old = { .rflags = rflags, .intr = intr };
	bool btf = false;

	/* a single step to raise, perhaps on top of a MOV SS's pending #DB */
	if (rflags & RFLAGS_TF) {
		old.pending_dbg = vmread(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);
		btf = vmread(VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF;
	}
	write_state(old, vmx_after_instruction(old, btf));
}

void vmx_inject_exception(unsigned vector, bool has_error, u32 error)
{
	u32 info = vector | (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID;
	struct vmx_insn_state old = {
		.rflags = vmread(VMCS_GUEST_RFLAGS),
		.intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE),
	};

	/* no error codes in real mode (26.2.1.3) */
	if (has_error && (vmread(VMCS_GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_DELIVER_ERROR_CODE;
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO, info);
	write_state(old, vmx_before_exception(old, vector));
}

void vmx_reinject_event(u32 info, u32 error, u32 insn_len)
{
	u32 type = INTR_INFO_TYPE(info);

	if (info & INTR_INFO_DELIVER_ERROR_CODE)
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmwrite(VMCS_VM_ENTRY_INSTRUCTION_LEN, insn_len);
	/* bit 12 (NMI unblocking by IRET) is reserved in the entry field */
	vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO, info & ~(u32)INTR_INFO_NMI_UNBLOCKING_IRET);
}

/* ---- guest NMIs that came while this CPU ran uhv ---- */

/* The first instruction of each way into the guest that reads nmi_pending, and the VM-entry
 * instruction after it (vmx/vmentry.asm). */
extern const char vmx_launch_check[], vmx_launch_insn[], vmx_resume_check[], vmx_resume_insn[];

_Static_assert(__builtin_offsetof(struct vcpu, nmi_pending) == 128,
	       "vmx/vmentry.asm reads nmi_pending at offset 128");

void vmx_nmi_rewind(u64 *rip)
{
	if (*rip >= (u64)vmx_resume_check && *rip <= (u64)vmx_resume_insn)
		*rip = (u64)vmx_resume_check;
	else if (*rip >= (u64)vmx_launch_check && *rip <= (u64)vmx_launch_insn)
		*rip = (u64)vmx_launch_check;
}

/* No NMI-window exiting: it needs virtual NMIs, which need NMI exiting, and uhv leaves the
 * guest's NMIs to the processor (SDM Vol. 3C 26.2.1.1). A VMX-preemption timer exit brings uhv
 * back instead: a zero timer right after the delivery of the event being injected, before the
 * handler's first instruction (where the processor takes the NMI, Vol. 3C 27.7.4), a short
 * one while the guest blocks NMIs itself (its NMI handler, the shadow of STI or MOV SS), polled
 * until it takes the NMI. False without the timer. */
static bool arm_nmi_window(struct vcpu *v, u64 intr)
{
	if (!vmx_ctl_allowed(&vmx.caps, VMX_CTL_PIN, PIN_BASED_VMX_PREEMPTION_TIMER))
		return false;
	u64 pin = vmread(VMCS_PIN_BASED_VM_EXEC_CONTROLS);

	/* the debugger's console poll may run the timer already: then it only comes sooner */
	v->nmi_timer_own = !(pin & PIN_BASED_VMX_PREEMPTION_TIMER);
	if (v->nmi_timer_own)
		vmwrite(VMCS_PIN_BASED_VM_EXEC_CONTROLS, pin | PIN_BASED_VMX_PREEMPTION_TIMER);
	vmwrite(VMCS_VMX_PREEMPTION_TIMER_VALUE, vmx_nmi_window_ticks(intr));
	return true;
}

/* Called by vmx/vmentry.asm when nmi_pending is set, with NMIs enabled: one arriving from
 * here on sets it again, and the entry path comes back. */
void vmx_deliver_pending_nmi(struct vcpu *v)
{
	v->nmi_pending = 0;
	u64 info = vmread(VMCS_VM_ENTRY_INTERRUPTION_INFO);
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE);
	u64 act = vmread(VMCS_GUEST_ACTIVITY_STATE);

	if (vmx_nmi_injectable(info, intr, act)) {
		vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO,
			2 | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
		if (act == GUEST_ACTIVITY_HLT)
			vmwrite(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
		v->nmis_injected++;
		return;
	}
	/* wait-for-SIPI holds NMIs off until the CPU starts; the processor drops them there */
	if (v->nmi_window || act == GUEST_ACTIVITY_WAIT_SIPI || !arm_nmi_window(v, intr)) {
		v->nmis_dropped++;
		return;
	}
	v->nmi_window = true;
}

void vmx_handle_timer(struct vcpu *v)
{
	if (v->nmi_window) {
		v->nmi_window = false;
		v->nmi_pending = 1;	/* tried again on the way back into the guest */
		if (v->nmi_timer_own) {
			vmwrite(VMCS_PIN_BASED_VM_EXEC_CONTROLS,
				vmread(VMCS_PIN_BASED_VM_EXEC_CONTROLS) &
				~(u64)PIN_BASED_VMX_PREEMPTION_TIMER);
			return;
		}
	}
	vmx_handle_preemption_timer(v);	/* the debugger's poll (debug/backend.c) */
}
