/* Every CPU under VMX (vmx/smp.c, docs/smp.md). The boot CPU runs the guest's
 * first vCPU; every application processor uhv started (arch/smp.c) enters
 * vmx_ap_main() and, once the boot CPU has set VMX up, goes into VMX non-root
 * operation in the wait-for-SIPI activity state. From there INIT and SIPI
 * are VM exits: a SIPI to a CPU given to the guest starts it as a vCPU at
 * the SIPI vector in real mode, a SIPI to a parked CPU is ignored. */
#ifndef UHV_VMX_SMP_H
#define UHV_VMX_SMP_H

#include <uhv/types.h>

struct percpu;

/* The application processor's life under uhv, called by arch/smp.c on the
 * AP's own stack with its GDT/TSS/IDT and GS base loaded. Never returns. */
__noreturn void vmx_ap_main(struct percpu *pc);

#endif
