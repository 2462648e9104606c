/* Running the guest under VMX: bring-up, the VMCS, the exit path
 * (vmx/vmx.c, vmx/vmcs_setup.c, vmx/vmentry.asm, vmx/exit.c). See docs/vmx.md.
 *
 * Order in vm_build (vm/vm.c): loader_load_ex(), vmx_init(), vm->mmu->setup_memory(), the
 * traps; vm_run() then calls vmx_run_guest(). */
#ifndef UHV_VMX_RUN_H
#define UHV_VMX_RUN_H

#include <uhv/types.h>
#include <uhv/guest.h>
#include <uhv/hw/vmx.h>
#include <uhv/vcpu.h>

struct uhv_options;
struct vm;

/* Check that the CPU has VT-x with EPT and unrestricted guest and that the
 * firmware allows it (IA32_FEATURE_CONTROL; enabled and locked here when the
 * firmware left it unlocked), compute the VM-execution, VM-exit and VM-entry
 * controls from the capability MSRs, fix CR0/CR4 for VMX operation, enter
 * VMX root operation and make a VMCS current. Returns 0, or -ENODEV (no VMX,
 * or disabled by the firmware) / -EOPNOTSUPP (a required feature is missing)
 * / -ENOMEM / -EIO, after printing what is missing and what to do. */
int vmx_init(const struct uhv_options *o, struct vm *vm);

/* Fill the VMCS from g->boot and launch the guest. Does not return when the
 * launch works: the guest's shutdown hypercall (or a fatal exit) ends the run
 * through platform_exit(). Returns a negative errno when the guest could not
 * be started (after printing why). */
int vmx_run_guest(struct vm *vm);

/* Exit statistics: count and TSC ticks (handler time) by exit reason. */
void vmx_print_stats(void);
/* Exits of one basic exit reason so far, or of all reasons for ~0U. */
u64 vmx_exit_count(u32 reason);

#endif
