/* Processors whose VMX-preemption timer must not be relied on (vmx/preempt_errata.c, pure).
 * Intel's specification updates for the Nehalem/Westmere families (and one Ivy Bridge Xeon E3)
 * describe errata under which the timer does not count down at the rate IA32_VMX_MISC[4:0]
 * states (BA86, AAX65, AAT59, AAU65, AAO95, AAN92, AAP86, AAM126, AAJ124, AAK139); Linux and
 * VirtualBox disable the timer on exactly these CPUID signatures. uhv then polls the console
 * and the VT-d fault registers from the guest's idle exits instead (docs/debugging.md). */
#ifndef UHV_PREEMPT_ERRATA_H
#define UHV_PREEMPT_ERRATA_H

#include <uhv/types.h>

/* cpuid1_eax: CPUID.01H:EAX (family, model, stepping; its reserved bits 15:14 and 31:28 are
 * ignored). Returns the erratum's processor family (for the log) or NULL when the timer is
 * believed to work. */
const char *preempt_timer_erratum(u32 cpuid1_eax);

#endif
