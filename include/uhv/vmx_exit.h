/* Inside the VMX runtime: the state shared by bring-up, VMCS setup and the
 * exit handlers, and the helpers handlers use. Not for other subsystems
 * (they use <uhv/vmx_run.h>). */
#ifndef UHV_VMX_EXIT_H
#define UHV_VMX_EXIT_H

#include <uhv/types.h>
#include <uhv/hw/vmx.h>
#include <uhv/vmx_caps.h>
#include <uhv/vmx_policy.h>
#include <uhv/vmx_run.h>
#include <uhv/vmcs.h>
#include <uhv/vmx_event.h>

struct vm;

/* The machine's VMX facts: what vmx_init() found and chose (the same on every CPU, the
 * capability MSRs are checked to match), written once at bring-up, read by the exit handlers.
 * What belongs to the guest (EPT, VPID, bitmaps, CPUID view) is in struct vm. */
struct vmx_global {
	bool ready;			/* VMX root operation, VMCS current */
	struct vmx_caps caps;
	struct vmx_caps_raw caps_raw;	/* as read on the boot CPU; every AP must match */
	struct vmx_cr_cfg cr;
	struct cr_caps cr_caps;		/* for the checks on emulated CR/EFER writes */
	u32 pin, proc, proc2, exit, entry;	/* control values (entry without IA-32e mode) */
	paddr_t vmxon_pa, vmcs_pa;
	unsigned phys_bits;		/* MAXPHYADDR */
	bool nx;
	u64 xcr0_supported;		/* CPUID.(0DH,0):EDX:EAX, 0 without XSAVE */
	u64 xss_supported;		/* CPUID.(0DH,1):EDX:ECX, IA32_XSS bits */
};
extern struct vmx_global vmx;

/* Exit handlers, one per basic exit reason (vmx/exit.c has the table). */
typedef void (*vmx_exit_handler)(struct vcpu *v);

void vmx_handle_cpuid(struct vcpu *v);
void vmx_handle_rdmsr(struct vcpu *v);
void vmx_handle_wrmsr(struct vcpu *v);
void vmx_handle_cr_access(struct vcpu *v);
void vmx_handle_xsetbv(struct vcpu *v);
void vmx_handle_io(struct vcpu *v);
void vmx_handle_vmcall(struct vcpu *v);
void vmx_handle_vmx_insn(struct vcpu *v);	/* VMX instructions, GETSEC: #UD */
void vmx_handle_invd(struct vcpu *v);
void vmx_handle_hlt(struct vcpu *v);
void vmx_handle_mwait(struct vcpu *v);
void vmx_handle_triple_fault(struct vcpu *v);
void vmx_handle_ept_violation(struct vcpu *v);
void vmx_handle_ept_misconfig(struct vcpu *v);
void vmx_handle_unhandled(struct vcpu *v);

/* The EPT-mode halves of <uhv/vm_mmu.h> that live with the other exit handlers. */
void vmx_ept_cr_access(struct vcpu *v);
bool vmx_ept_write_efer(struct vcpu *v, u64 val);
/* Drop cached translations for the vm's EPTP and VPID (before the first entry). */
void vmx_flush_tlbs(const struct vm *vm);

/* Called by vmx/vmentry.asm. */
void vmx_exit_dispatch(struct vcpu *v);
/* rflags after the failed instruction; resume: 0 VMLAUNCH, 1 VMRESUME */
__noreturn void vmx_entry_failed(struct vcpu *v, u64 rflags, u64 resume);
/* vmx/vmentry.asm: load the guest registers from v and VMLAUNCH; returns only
 * through vmx_entry_failed(). */
__noreturn void vmx_launch(struct vcpu *v);
extern char vmx_exit_entry[];	/* VMCS host RIP */

#define VEC_UD	6
#define VEC_GP	13

/* The report for a fatal exit: reason, qualification, guest RIP/CRs/GPRs. */
void vmx_report_exit(struct vcpu *v, const char *what);
/* Every guest-state field the VM-entry checks (SDM 27.3.1) look at. */
void vmx_dump_guest_state(void);
/* Print the exit statistics and end the run. */
__noreturn void vmx_stop(bool pass, const char *why);

#endif
