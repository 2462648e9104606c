/* What the guest asked for and did not get (docs/security.md). Each policy (MSRs, ports,
 * guest-physical space) counts its refusals here; the end-of-run statistics print them. Any
 * vCPU bumps the counters, with atomics. */
#ifndef UHV_VM_DENIALS_H
#define UHV_VM_DENIALS_H

#include <uhv/types.h>

struct vm_denials {
	u64 msr_read_gp;	/* RDMSR of an MSR no rule names: #GP */
	u64 msr_write_gp;	/* WRMSR of an MSR no rule names, or a value its rule refuses: #GP */
	u64 msr_write_ignored;	/* WRMSR an emulating rule accepted and dropped */
	u64 io_unassigned;	/* port accesses no rule names: reads all-ones, writes dropped */
	u64 io_filtered;	/* accesses an emulating port rule changed or dropped */
	u64 mmio_unassigned;	/* accesses to guest-physical space no rule names (reads all-ones,
				 * writes dropped) */
};

static inline void vm_deny_count(u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

struct vm;
/* One line for the end-of-run statistics (vm/denials.c). */
void vm_denials_print(const struct vm *vm);

#endif
