/* Events uhv gives the guest, and instructions it completes on the guest's behalf: the one
 * place that makes them look as the processor's own would (vmx/event.c). The rules are pure
 * functions here, unit-tested on the host (test/unit/test_vmx_event.c).
 *
 * - A fault pushes RFLAGS with RF=1, so that the handler's IRET re-runs the instruction without
 *   hitting its instruction breakpoint again (SDM Vol. 3A 18.3.1.1, 6.15). VM entry pushes the
 *   guest-state RFLAGS as it is, and an instruction's VM exit saved RF as it was before the
 *   instruction (Vol. 3C 28.3.3), so uhv sets RF itself before injecting a fault.
 * - An instruction that completes clears RF, ends blocking by STI and by MOV SS, and, with
 *   RFLAGS.TF=1 (and IA32_DEBUGCTL.BTF=0), raises the single-step #DB trap with DR6.BS=1 after
 *   it (Vol. 3A 18.3.1.4). uhv hands that trap to the processor through the pending debug
 *   exceptions field (BS, bit 14; Vol. 3C 25.4.2), which VM entry delivers before the next
 *   instruction, together with a #DB of a MOV SS that waited for this instruction (same field). */
#ifndef UHV_VMX_EVENT_H
#define UHV_VMX_EVENT_H

#include <uhv/types.h>
#include <uhv/hw/vmx.h>
#include <uhv/cpu.h>

#define DEBUGCTL_BTF		BIT(1)
#define PENDING_DBG_BS		BIT(14)	/* pending debug exceptions: single step (as DR6.BS) */

/* SDM Vol. 3A 6.15: the exception classes. Traps (#BP, #OF; #DB as uhv raises it: single step)
 * and aborts (#DF, #MC) push RF as it is; every other exception is a fault. An instruction-
 * breakpoint #DB is a fault that pushes RF=0: uhv never raises one. */
static inline bool vmx_exception_is_fault(unsigned vector)
{
	switch (vector) {
	case 1: case 3: case 4: case 8: case 18:
		return false;
	default:
		return vector < 32;
	}
}

/* The guest-state fields an instruction's completion or fault changes. */
struct vmx_insn_state {
	u64 rflags, intr, pending_dbg;
};

/* State after an instruction uhv completed (emulated or skipped) at state s; btf is
 * IA32_DEBUGCTL.BTF (TF then traps on taken branches only: uhv completes none). */
static inline struct vmx_insn_state vmx_after_instruction(struct vmx_insn_state s, bool btf)
{
	s.intr &= ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if ((s.rflags & RFLAGS_TF) && !btf)
		s.pending_dbg |= PENDING_DBG_BS;
	s.rflags &= ~(u64)RFLAGS_RF;
	return s;
}

/* State when hardware exception vector is injected at s: RF=1 for a fault; the shadow of STI
 * or MOV SS covered the instruction that faulted and ends with it. */
static inline struct vmx_insn_state vmx_before_exception(struct vmx_insn_state s,
							   unsigned vector)
{
	s.intr &= ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (vmx_exception_is_fault(vector))
		s.rflags |= RFLAGS_RF;
	return s;
}

/* An NMI can be injected at the next VM entry (SDM Vol. 3C 27.3.1.5, 27.6.1): no event already
 * being injected, no blocking by NMI or MOV SS, nor by STI (which blocks NMIs on some processors:
 * uhv waits it out as the guest's next instruction ends it), not in wait-for-SIPI. */
static inline bool vmx_nmi_injectable(u64 entry_info, u64 intr, u64 activity)
{
	return !(entry_info & INTR_INFO_VALID) &&
	       !(intr & (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_STI)) &&
	       activity != GUEST_ACTIVITY_WAIT_SIPI;
}

/* VMX-preemption timer value that brings uhv back when NMI injection is blocked now: 0 (exit
 * right after the injected event's delivery) when only that event is in the way, else a short
 * poll (the guest's own blocking ends after an instruction, or at its NMI handler's IRET). */
#define NMI_POLL_TICKS		64
static inline u32 vmx_nmi_window_ticks(u64 intr)
{
	if (intr & (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_STI))
		return NMI_POLL_TICKS;
	return 0;
}

struct vcpu;

#ifndef UHV_HOST_TEST
#include <uhv/vmcs.h>

/* vmx_complete_instruction's rare case: TF, RF or a shadow to end (vmx/event.c). */
void vmx_complete_instruction_slow(u64 rflags, u64 intr);

/* Complete an instruction uhv decoded or emulated: RIP to next_rip, then the rules of
 * vmx_after_instruction. Inline: the CPUID, I/O and VMCALL exits pay two VMREADs and one
 * VMWRITE here when TF, RF and the shadows are clear. */
static inline void vmx_complete_instruction(u64 next_rip)
{
	u64 rflags = vmread(VMCS_GUEST_RFLAGS);
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE);

	vmwrite(VMCS_GUEST_RIP, next_rip);
	if (__builtin_expect((rflags & (RFLAGS_TF | RFLAGS_RF)) ||
			     (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)), 0))
		vmx_complete_instruction_slow(rflags, intr);
}

/* Complete the exiting instruction: RIP past it (VM-exit instruction length). */
static inline void vmx_skip_instruction(void)
{
	vmx_complete_instruction(vmread(VMCS_GUEST_RIP) + vmread(VMCS_VM_EXIT_INSTRUCTION_LEN));
}
#endif
/* Inject a hardware exception on the next VM entry (RIP not advanced: the instruction
 * faults), with the rules of vmx_before_exception. The error code is dropped in real mode,
 * where the CPU delivers none. */
void vmx_inject_exception(unsigned vector, bool has_error, u32 error);
/* Give an intercepted event back to the guest as it was (its info, error code and, for
 * software events, instruction length): the processor saved RF for it already. */
void vmx_reinject_event(u32 info, u32 error, u32 insn_len);

/* Guest NMIs that came while the CPU ran uhv (set pending by vmx_nmi_in_root, in NMI context).
 * vmx/vmentry.asm calls vmx_deliver_pending_nmi on the way into the guest: it injects the NMI,
 * or arms an exit for when the guest can take it (the preemption timer: vmx_handle_timer).
 * vmx_nmi_rewind moves an NMI handler's return address that lies between that check and the VM
 * entry back to the check, so no NMI waits in nmi_pending while the guest runs. */
void vmx_deliver_pending_nmi(struct vcpu *v);
void vmx_nmi_rewind(u64 *rip);
void vmx_handle_timer(struct vcpu *v);	/* exit reason 52, the debugger's poll too */

#endif
