/* The console poll without the VMX-preemption timer.
 *
 * uhv looks at the console (Ctrl-]) and the VT-d fault registers every console-poll period
 * while the guest runs, normally from the VMX-preemption timer (backend.c). On CPUs with a
 * timer erratum (<uhv/preempt_errata.h>), or with preempt-timer=off, it polls from the guest's
 * idle instructions instead: HLT and MWAIT exiting are turned on for the boot CPU, and
 *  - HLT with interrupts enabled: uhv waits in its place, polling every period, until the
 *    local APIC holds an interrupt for the guest (the guest takes it at VM entry, as it would
 *    have woken from HLT), an NMI came, or one period passed; then the guest continues after
 *    the HLT (a wake-up without an interrupt, which idle loops allow for: they look again
 *    and halt again). An interrupt that comes through the INTR pin (8259 in virtual-wire mode)
 *    is not in the APIC's IRR: it waits at most one period.
 *  - HLT with interrupts disabled: the CPU halts as it would natively (only NMI, INIT or SMI
 *    end that); nothing polls from then on, as nothing would wake it.
 *  - MWAIT: a poll when one is due, and the guest continues after the MWAIT, which MWAIT
 *    allows (a wake-up for an implementation-specific reason); its idle loop comes back.
 * The cost: one exit per guest HLT or MWAIT, and an idle CPU that spins in uhv instead of
 * sleeping (docs/debugging.md, "The console poll without the preemption timer"). A guest that
 * neither idles nor touches its UART is not polled at all. */
#define LOG_MODULE "debug"
#include <uhv/vmx_exit.h>
#include <uhv/vmx_event.h>
#include <uhv/vmcs.h>
#include <uhv/lapic.h>
#include <uhv/timer.h>
#include <uhv/log.h>
#include "debug_priv.h"

void dbg_idle_poll_setup(struct vm_debug *dbg, u64 ticks, const char *why)
{
	u32 want = CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING;

	if (!vmx_ctl_allowed(&vmx.caps, VMX_CTL_PROC, CPU_BASED_HLT_EXITING)) {
		pr_warn("console poll: not using the VMX-preemption timer (%s), and this CPU "
			"offers no HLT exiting: Ctrl-] is seen only when the guest touches its "
			"UART\n", why);
		return;
	}
	if (!vmx_ctl_allowed(&vmx.caps, VMX_CTL_PROC, CPU_BASED_MWAIT_EXITING))
		want &= ~(u32)CPU_BASED_MWAIT_EXITING;
	dbg->idle_proc = want & ~vmx.proc;	/* what this adds; the APs do without */
	vmx.proc |= want;
	dbg->idle_ticks = ticks;
	dbg->idle_poll = true;
	pr_info("console poll: not using the VMX-preemption timer (%s); polling from the "
		"guest's HLT%s exits instead (an idle guest CPU waits in uhv; a guest that "
		"spins is polled only when it touches its UART)\n", why,
		want & CPU_BASED_MWAIT_EXITING ? " and MWAIT" : "");
}

/* Wait in the guest's HLT: poll each period, end on an interrupt or NMI for it, or after
 * one period. */
static void halt_for_guest(struct vcpu *v, struct vm_debug *dbg)
{
	u64 end = rdtsc() + dbg->idle_ticks;

	for (;;) {
		if (lapic_irr_pending()) {
			dbg->idle_irq_wakes++;
			return;
		}
		if (v->nmi_pending || rdtsc() >= end)
			break;
		cpu_relax();
	}
	dbg->idle_next = rdtsc() + dbg->idle_ticks;
	dbg->idle_polls++;
	dbg_poll_tick(v);
}

bool vmx_debug_idle_exit(struct vcpu *v, bool mwait)
{
	struct vm_debug *dbg = &v->vm->dbg;

	if (!dbg->idle_poll || v->cpu != 0)
		return false;
	vmx_skip_instruction();
	if (mwait) {	/* a guest loop may come back at once: poll only when one is due */
		dbg->idle_mwaits++;
		if (rdtsc() >= dbg->idle_next) {
			dbg->idle_next = rdtsc() + dbg->idle_ticks;
			dbg->idle_polls++;
			dbg_poll_tick(v);
		}
		return true;
	}
	dbg->idle_halts++;
	if (!(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
		if (vmx.caps.activity_hlt)	/* as natively: only NMI, INIT or SMI end it */
			vmwrite(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
		return true;
	}
	halt_for_guest(v, dbg);
	return true;
}
