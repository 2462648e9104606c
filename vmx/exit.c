/* The exit dispatcher (called by vmx/vmentry.asm), exit statistics, event
 * and the reports for fatal exits and failed VM entries. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/timer.h>
#include <uhv/platform.h>
#include <uhv/log.h>
#include <uhv/cpu.h>
#include <uhv/shadow_vmx.h>
#include <uhv/vm.h>
#include <uhv/passthrough.h>
#include <uhv/vmx_debug.h>
#include <uhv/vmx_smp.h>
#include <uhv/percpu.h>
#include <uhv/smp.h>
#include <uhv/kmem.h>

/* One handler per basic exit reason; reasons without one end the run with
 * a full report (vmx_handle_unhandled). Every slot is filled, so the hot path
 * needs no NULL check: the range default below is overridden entry by entry. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const vmx_exit_handler exit_handlers[VMX_MAX_EXIT_REASON + 1] = {
	[0 ... VMX_MAX_EXIT_REASON] = vmx_handle_unhandled,
	/* #BP/#DB for the GDB stub (debug/stepping.c), which passes #PF (mem=shadow) on to
	 * shadow_vmx_handle_exception */
	[EXIT_REASON_EXCEPTION_NMI] = vmx_handle_exception,
	[EXIT_REASON_TRIPLE_FAULT] = vmx_handle_triple_fault,
	[EXIT_REASON_INIT_SIGNAL] = vmx_handle_init,		/* vmx/vcpus.c */
	[EXIT_REASON_SIPI] = vmx_handle_sipi,			/* vmx/vcpus.c */
	[EXIT_REASON_CPUID] = vmx_handle_cpuid,
	[EXIT_REASON_GETSEC] = vmx_handle_vmx_insn,
	[EXIT_REASON_HLT] = vmx_handle_hlt,
	[EXIT_REASON_MWAIT] = vmx_handle_mwait,	/* console poll fallback: debug/idle_poll.c */
	[EXIT_REASON_INVD] = vmx_handle_invd,
	[EXIT_REASON_INVLPG] = shadow_vmx_handle_invlpg,	/* mem=shadow only */
	[EXIT_REASON_VMCALL] = vmx_handle_vmcall,
	[EXIT_REASON_VMCLEAR ... EXIT_REASON_VMXON] = vmx_handle_vmx_insn,
	[EXIT_REASON_CR_ACCESS] = vmx_handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = vmx_handle_io,
	[EXIT_REASON_RDMSR] = vmx_handle_rdmsr,
	[EXIT_REASON_WRMSR] = vmx_handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = vmx_handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = vmx_handle_ept_misconfig,
	[EXIT_REASON_INVEPT] = vmx_handle_vmx_insn,
	[EXIT_REASON_INVVPID] = vmx_handle_vmx_insn,
	[EXIT_REASON_VMFUNC] = vmx_handle_vmx_insn,
	[EXIT_REASON_XSETBV] = vmx_handle_xsetbv,
	[EXIT_REASON_MONITOR_TRAP_FLAG] = vmx_handle_mtf,		/* debug/stepping.c */
	[EXIT_REASON_PREEMPTION_TIMER] = vmx_handle_timer,	/* vmx/event.c, debug/backend.c */
};
#pragma GCC diagnostic pop

static __noreturn void entry_failure_exit(struct vcpu *v, u32 reason);

static inline u32 rdtsc_lo(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo;
}

/* Entry failures, reasons beyond the table, exit-reason flag bits. */
static __attribute__((noinline)) void dispatch_slow(struct vcpu *v, u32 reason)
{
	u32 basic = EXIT_REASON_BASIC(reason);
	vmx_exit_handler h = vmx_handle_unhandled;

	if (reason & EXIT_REASON_VM_ENTRY_FAILURE)
		entry_failure_exit(v, reason);
	if (basic <= VMX_MAX_EXIT_REASON)
		h = exit_handlers[basic];
	else
		basic = VMX_MAX_EXIT_REASON + 1;
	v->stats[basic].count++;
	h(v);
}

/* The hot path: one VMREAD, one table lookup, one call. Handler time is
 * counted in 32-bit TSC deltas (a handler never takes 2^32 ticks). */
void vmx_exit_dispatch(struct vcpu *v)
{
	u32 t0 = rdtsc_lo();
	u32 reason = (u32)vmread(VMCS_EXIT_REASON);

	if (__builtin_expect(reason > VMX_MAX_EXIT_REASON, 0)) {
		dispatch_slow(v, reason);
		return;
	}
	v->stats[reason].count++;
	exit_handlers[reason](v);
	v->stats[reason].tsc += (u32)(rdtsc_lo() - t0);
}

/* Exits on the calling CPU (the guest asks through a hypercall on its vCPU). */
u64 vmx_exit_count(u32 reason)
{
	const struct vcpu *v = vmx_this_vcpu();
	u64 n = 0;

	if (!v)
		return 0;
	if (reason != ~0U)
		return reason <= VMX_MAX_EXIT_REASON ? v->stats[reason].count : 0;
	for (unsigned i = 0; i < VMX_NR_EXIT_STATS; i++)
		n += v->stats[i].count;
	return n;
}

/* The table sums every CPU; a line per CPU follows when more than one had exits. */
void vmx_print_stats(void)
{
	u64 total = 0, ticks = 0, count[VMX_NR_EXIT_STATS] = { 0 }, tsc[VMX_NR_EXIT_STATS] = { 0 };
	unsigned busy = 0;

	for (unsigned c = 0; c < smp_cpu_slots(); c++) {
		const struct vcpu *v = vmx_vcpu_of(c);
		u64 n = 0;

		if (!v)
			continue;
		for (unsigned i = 0; i < VMX_NR_EXIT_STATS; i++) {
			count[i] += v->stats[i].count;
			tsc[i] += v->stats[i].tsc;
			n += v->stats[i].count;
		}
		busy += n != 0;
	}
	for (unsigned i = 0; i < VMX_NR_EXIT_STATS; i++) {
		total += count[i];
		ticks += tsc[i];
	}
	pr_info("exit statistics: %llu exits, %llu TSC ticks in handlers\n", total, ticks);
	for (unsigned i = 0; i < VMX_NR_EXIT_STATS; i++) {
		if (!count[i])
			continue;
		pr_info("  %2u %-24s %10llu exits %12llu ticks %8llu per exit\n", i,
			i <= VMX_MAX_EXIT_REASON ? vmx_exit_reason_name(i) : "(other)",
			count[i], tsc[i], (tsc[i] / count[i]));
	}
	if (busy > 1)
		vmx_smp_print_stats();
	struct vm *vm = vm_current();
	if (vm && vm->mmu->print_stats)
		vm->mmu->print_stats(vm);
	if (vm)
		vm_denials_print(vm);
	if (vm)
		pt_irq_print_stats(&vm->pt);
	kmem_peak_print();
}

__noreturn void vmx_stop(bool pass, const char *why)
{
	static u32 ending;

	/* one CPU ends the run; another that gets here too just stops */
	if (__atomic_exchange_n(&ending, 1, __ATOMIC_ACQ_REL))
		smp_stop_this_cpu();
	vmx_smp_stop_others();	/* the guest's other vCPUs stop before the report */
	struct vm *vm = vm_current();
	if (vm)			/* an attached GDB hears that the guest is gone */
		vmx_debug_guest_gone(vm, pass);
	vmx_print_stats();
	platform_exit(pass, why);
}

/* ---- reports ---- */

static u64 rd(u64 field)
{
	u64 v = 0;

	vmread_checked(field, &v);
	return v;
}

static void print_event(const char *what, u32 info, u32 error)
{
	if (!(info & INTR_INFO_VALID))
		return;
	u32 type = INTR_INFO_TYPE(info), vec = info & INTR_INFO_VECTOR_MASK;
	pr_err("  %s: %#x = %s vector %u%s%s", what, info, vmx_event_type_name(type), vec,
	       type == INTR_TYPE_HARD_EXCEPTION ? " " : "",
	       type == INTR_TYPE_HARD_EXCEPTION ? vmx_exception_name(vec) : "");
	if (info & INTR_INFO_DELIVER_ERROR_CODE)
		log_raw(", error code %#x", error);
	log_raw("\n");
}

void vmx_report_exit(struct vcpu *v, const char *what)
{
	u32 reason = (u32)rd(VMCS_EXIT_REASON);
	u32 basic = EXIT_REASON_BASIC(reason);
	const u64 *r = v->gpr;

	pr_err("%s: exit reason %u (%s), qualification %#llx, instruction length %llu\n", what,
	       basic, vmx_exit_reason_name(basic), rd(VMCS_EXIT_QUALIFICATION),
	       rd(VMCS_VM_EXIT_INSTRUCTION_LEN));
	pr_err("  guest RIP %#llx RSP %#llx RFLAGS %#llx CS %#llx (base %#llx, access rights %#llx)\n",
	       rd(VMCS_GUEST_RIP), rd(VMCS_GUEST_RSP), rd(VMCS_GUEST_RFLAGS),
	       rd(VMCS_GUEST_CS_SELECTOR), rd(VMCS_GUEST_CS_BASE),
	       rd(VMCS_GUEST_CS_ACCESS_RIGHTS));
	pr_err("  CR0 %#llx (guest sees %#llx) CR3 %#llx CR4 %#llx (guest sees %#llx) EFER %#llx\n",
	       rd(VMCS_GUEST_CR0), rd(VMCS_CR0_READ_SHADOW), rd(VMCS_GUEST_CR3),
	       rd(VMCS_GUEST_CR4), rd(VMCS_CR4_READ_SHADOW),
	       rd(VMCS_GUEST_IA32_EFER));
	pr_err("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n", r[GPR_RAX],
	       r[GPR_RBX], r[GPR_RCX], r[GPR_RDX]);
	pr_err("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n", r[GPR_RSI],
	       r[GPR_RDI], r[GPR_RBP], r[GPR_R8]);
	pr_err("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n", r[GPR_R9],
	       r[GPR_R10], r[GPR_R11], r[GPR_R12]);
	pr_err("  R13 %016llx R14 %016llx R15 %016llx\n", r[GPR_R13], r[GPR_R14],
	       r[GPR_R15]);
	if (basic == EXIT_REASON_EPT_VIOLATION || basic == EXIT_REASON_EPT_MISCONFIG)
		pr_err("  guest-physical address %#llx, guest-linear address %#llx\n",
		       rd(VMCS_GUEST_PHYSICAL_ADDR), rd(VMCS_GUEST_LINEAR_ADDR));
	print_event("exit interruption", (u32)rd(VMCS_VM_EXIT_INTERRUPTION_INFO),
		    (u32)rd(VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE));
	print_event("IDT vectoring (event being delivered)", (u32)rd(VMCS_IDT_VECTORING_INFO),
		    (u32)rd(VMCS_IDT_VECTORING_ERROR_CODE));
	pr_err("  interruptibility %#llx, activity state %llu, %llu exits so far\n",
	       rd(VMCS_GUEST_INTERRUPTIBILITY_STATE), rd(VMCS_GUEST_ACTIVITY_STATE),
	       vmx_exit_count(~0U));
}

static void dump_seg(const char *name, unsigned i)
{
	u64 ar = rd(VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * i);

	pr_err("  %-4s selector %#06llx base %#018llx limit %#010llx access rights %#07llx%s\n", name,
	       rd(VMCS_GUEST_ES_SELECTOR + 2 * i), rd(VMCS_GUEST_ES_BASE + 2 * i),
	       rd(VMCS_GUEST_ES_LIMIT + 2 * i), ar,
	       ar & VMX_AR_UNUSABLE ? " (unusable)" : "");
}

void vmx_dump_guest_state(void)
{
	static const char *const segs[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
	u64 cr0 = rd(VMCS_GUEST_CR0), cr4 = rd(VMCS_GUEST_CR4);
	bool ug = rd(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROLS) & SECONDARY_EXEC_UNRESTRICTED_GUEST;

	pr_err("guest state (SDM 27.3.1 checks these):\n");
	pr_err("  CR0 %#llx CR3 %#llx CR4 %#llx DR7 %#llx\n", cr0, rd(VMCS_GUEST_CR3),
	       cr4, rd(VMCS_GUEST_DR7));
	if (vmx_cr0_fixed(&vmx.caps, cr0, ug) != cr0)
		pr_err("  CR0 does not respect IA32_VMX_CR0_FIXED0/1 (%#llx/%#llx)%s\n",
		       vmx.caps.cr0_fixed0, vmx.caps.cr0_fixed1,
		       ug ? " (PE/PG exempt: unrestricted guest)" : "");
	if (vmx_cr4_fixed(&vmx.caps, cr4) != cr4)
		pr_err("  CR4 does not respect IA32_VMX_CR4_FIXED0/1 (%#llx/%#llx)\n",
		       vmx.caps.cr4_fixed0, vmx.caps.cr4_fixed1);
	pr_err("  RIP %#llx RSP %#llx RFLAGS %#llx\n", rd(VMCS_GUEST_RIP),
	       rd(VMCS_GUEST_RSP), rd(VMCS_GUEST_RFLAGS));
	pr_err("  IA32_EFER %#llx IA32_PAT %#llx IA32_DEBUGCTL %#llx SYSENTER_CS %#llx\n",
	       rd(VMCS_GUEST_IA32_EFER), rd(VMCS_GUEST_IA32_PAT),
	       rd(VMCS_GUEST_IA32_DEBUGCTL), rd(VMCS_GUEST_IA32_SYSENTER_CS));
	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
		dump_seg(segs[i], i);
	pr_err("  GDTR base %#llx limit %#llx, IDTR base %#llx limit %#llx\n",
	       rd(VMCS_GUEST_GDTR_BASE), rd(VMCS_GUEST_GDTR_LIMIT),
	       rd(VMCS_GUEST_IDTR_BASE), rd(VMCS_GUEST_IDTR_LIMIT));
	pr_err("  interruptibility %#llx activity %llu pending debug %#llx VMCS link %#llx\n",
	       rd(VMCS_GUEST_INTERRUPTIBILITY_STATE), rd(VMCS_GUEST_ACTIVITY_STATE),
	       rd(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS), rd(VMCS_VMCS_LINK_POINTER));
	pr_err("  PDPTEs %#llx %#llx %#llx %#llx\n", rd(VMCS_GUEST_PDPTE0),
	       rd(VMCS_GUEST_PDPTE1), rd(VMCS_GUEST_PDPTE2), rd(VMCS_GUEST_PDPTE3));
	pr_err("  controls: pin %#llx primary %#llx secondary %#llx exit %#llx entry %#llx, "
	       "entry interruption info %#llx, EPTP %#llx\n",
	       rd(VMCS_PIN_BASED_VM_EXEC_CONTROLS),
	       rd(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS),
	       rd(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROLS),
	       rd(VMCS_PRIMARY_VM_EXIT_CONTROLS), rd(VMCS_VM_ENTRY_CONTROLS),
	       rd(VMCS_VM_ENTRY_INTERRUPTION_INFO), rd(VMCS_EPT_POINTER));
}

static void check_controls(void)
{
	vmx_ctl_check(&vmx.caps, VMX_CTL_PIN, (u32)rd(VMCS_PIN_BASED_VM_EXEC_CONTROLS), true);
	vmx_ctl_check(&vmx.caps, VMX_CTL_PROC, (u32)rd(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS),
		      true);
	vmx_ctl_check(&vmx.caps, VMX_CTL_PROC2,
		      (u32)rd(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROLS), true);
	vmx_ctl_check(&vmx.caps, VMX_CTL_EXIT, (u32)rd(VMCS_PRIMARY_VM_EXIT_CONTROLS), true);
	vmx_ctl_check(&vmx.caps, VMX_CTL_ENTRY, (u32)rd(VMCS_VM_ENTRY_CONTROLS), true);
}

static void dump_host_state(void)
{
	pr_err("host state: CR0 %#llx CR3 %#llx CR4 %#llx RSP %#llx RIP %#llx EFER %#llx PAT %#llx\n",
	       rd(VMCS_HOST_CR0), rd(VMCS_HOST_CR3), rd(VMCS_HOST_CR4),
	       rd(VMCS_HOST_RSP), rd(VMCS_HOST_RIP), rd(VMCS_HOST_IA32_EFER),
	       rd(VMCS_HOST_IA32_PAT));
	pr_err("  CS %#llx SS %#llx DS %#llx ES %#llx FS %#llx GS %#llx TR %#llx\n",
	       rd(VMCS_HOST_CS_SELECTOR), rd(VMCS_HOST_SS_SELECTOR),
	       rd(VMCS_HOST_DS_SELECTOR), rd(VMCS_HOST_ES_SELECTOR),
	       rd(VMCS_HOST_FS_SELECTOR), rd(VMCS_HOST_GS_SELECTOR),
	       rd(VMCS_HOST_TR_SELECTOR));
	pr_err("  FS base %#llx GS base %#llx TR base %#llx GDTR base %#llx IDTR base %#llx\n",
	       rd(VMCS_HOST_FS_BASE), rd(VMCS_HOST_GS_BASE), rd(VMCS_HOST_TR_BASE),
	       rd(VMCS_HOST_GDTR_BASE), rd(VMCS_HOST_IDTR_BASE));
}

__noreturn void vmx_entry_failed(struct vcpu *v, u64 rflags, u64 resume)
{
	const char *insn = resume ? "VMRESUME" : "VMLAUNCH";

	if (rflags & 1) {	/* CF */
		pr_err("%s failed: VMfailInvalid (no valid current VMCS)\n", insn);
		vmx_stop(false, "VM entry failed");
	}
	u32 err = (u32)rd(VMCS_VM_INSTRUCTION_ERROR);
	pr_err("%s failed: VM-instruction error %u: %s\n", insn, err, vmx_instr_error_text(err));
	if (err == VMXERR_ENTRY_INVALID_CONTROL_FIELD)
		check_controls();
	if (err == VMXERR_ENTRY_INVALID_HOST_STATE_FIELD)
		dump_host_state();
	vmx_dump_guest_state();
	vmx_stop(false, "VM entry failed");
}

static __noreturn void entry_failure_exit(struct vcpu *v, u32 reason)
{
	static const char *const quals[] = {
		[ENTRY_FAIL_QUAL_DEFAULT] = "a guest-state check",
		[1] = "?",
		[ENTRY_FAIL_QUAL_PDPTE] = "loading the PDPTEs",
		[ENTRY_FAIL_QUAL_NMI_INJECTION] = "NMI injection while NMIs are blocked",
		[ENTRY_FAIL_QUAL_VMCS_LINK_POINTER] = "the VMCS link pointer",
	};
	u32 basic = EXIT_REASON_BASIC(reason);
	u64 q = rd(VMCS_EXIT_QUALIFICATION);

	pr_err("VM entry failed while loading guest state: exit reason %u (%s), qualification %llu",
	       basic, vmx_exit_reason_name(basic), q);
	if (basic == EXIT_REASON_INVALID_GUEST_STATE && q < ARRAY_SIZE(quals))
		log_raw(" (%s)", quals[q]);
	if (basic == EXIT_REASON_MSR_LOADING)
		log_raw(" (MSR-load entry %llu)", q);
	log_raw("\n");
	vmx_dump_guest_state();
	(void)v;
	vmx_stop(false, "VM entry failed: invalid guest state");
}
