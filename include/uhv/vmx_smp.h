/* Every CPU under VMX (vmx/vcpus.c, docs/smp.md). The boot CPU runs the guest's
 * first vCPU; every application processor uhv started (arch/ap_start.c) enters
 * vmx_ap_main() and, once the boot CPU has set VMX up, does VMXON. A CPU given
 * to the guest goes into VMX non-root operation in the wait-for-SIPI activity
 * state, where INIT and SIPI are VM exits (a SIPI starts it as a vCPU at the
 * SIPI vector in real mode); any other CPU is parked in VMX root in a HLT loop,
 * where the guest's INIT is blocked and its SIPI ignored. */
#ifndef UHV_VMX_SMP_H
#define UHV_VMX_SMP_H

#include <uhv/types.h>

struct percpu;
struct vcpu;
struct vm;
struct uhv_options;

/* The application processor's life under uhv, called by arch/ap_start.c on the
 * AP's own stack with its GDT/TSS/IDT and GS base loaded. Never returns. */
__noreturn void vmx_ap_main(struct percpu *pc);
/* The pool bytes vmx_ap_main takes per AP (for smp_start_aps, which checks they fit first). */
u64 vmx_ap_pool_bytes(void);

/* vmx_run_guest() on the boot CPU: v becomes vCPU 0 (index, APIC ID). */
void vmx_smp_boot_vcpu(struct vcpu *v);

/* vmx_run_guest(), after the boot CPU's VMCS is complete: decide which CPUs
 * the guest gets (cpus=), let every AP enter VMX (the guest's in wait-for-SIPI,
 * the others parked) and wait until each has. Returns 0, or a negative errno when an AP is not
 * under VMX (a guest could then start it outside uhv): the guest must not run. */
int vmx_smp_release_aps(struct vcpu *boot, const struct uhv_options *o);

/* This CPU's vCPU, or CPU n's (NULL when none). */
struct vcpu *vmx_this_vcpu(void);
struct vcpu *vmx_vcpu_of(unsigned cpu);

/* After a change to the guest's EPT: INVEPT here and on every other vCPU
 * (an INIT IPI makes each exit; the caller waits until all have flushed).
 * Returns how many other CPUs flushed on request (vCPUs in wait-for-SIPI
 * flush when started), or -ETIMEDOUT (the laggards are named). */
int vmx_smp_flush_ept(struct vm *vm);

/* A lock of the vm taken in exit handlers (vm->emul_lock for device emulation, the console's):
 * the wait serves other CPUs' INVEPT requests, so a CPU waiting here never holds up an EPT
 * flush and two CPUs never wait on each other. */
void vmx_lock(volatile u32 *l);
void vmx_unlock(volatile u32 *l);

/* VMX, an AP: per-CPU part of vmx_init() (vmx/vmx.c). */
int vmx_cpu_init(u64 *vmxon_pa, u64 *vmcs_pa);
/* The INIT state in wait-for-SIPI, a SIPI's real-mode start, an AP's VMCS
 * (vmx/vmcs_setup.c; the CPU's own VMCS must be current). */
void vmx_vcpu_init_state(struct vcpu *v);
void vmx_vcpu_sipi(u8 vector);
int vmx_setup_ap_vmcs(struct vcpu *v, u64 eptp);

/* Exit handlers: INIT signal (3) and start-up IPI (4). */
void vmx_handle_init(struct vcpu *v);
void vmx_handle_sipi(struct vcpu *v);

/* The host NMI handler (arch/exceptions.c) on a CPU running a vCPU: the NMI is the
 * guest's; pending for the guest (vmx/event.c), rip the interrupted code's (moved back
 * when it lay on the way into the guest). True when handled; false when this CPU runs
 * no guest (then the caller counts and ignores it). */
bool vmx_nmi_in_root(u64 *rip);

/* The end of a run: stop the other CPUs (arch/ap_start.c); per-CPU exit lines. */
void vmx_smp_stop_others(void);
void vmx_smp_print_stats(void);

#endif
