/* What the guest asked for and did not get (docs/security.md). Each policy (MSRs, ports,
 * guest-physical space) counts its refusals here; the end-of-run statistics print them. Any
 * vCPU bumps the counters, with atomics. */
#ifndef UHV_VM_DENIALS_H
#define UHV_VM_DENIALS_H

#include <uhv/types.h>

#define VM_DENIED_MSRS	16	/* distinct denied MSRs named in the report (more are counted) */

struct vm_denied_msr {
	u32 msr;
	u32 reads, writes;
};

struct vm_denials {
	u64 msr_read_gp;	/* RDMSR of an MSR no rule names: #GP */
	u64 msr_write_gp;	/* WRMSR of an MSR no rule names, or a value its rule refuses: #GP */
	u64 msr_write_ignored;	/* WRMSR an emulating rule accepted and dropped */
	u64 io_unassigned;	/* port accesses no rule names: reads all-ones, writes dropped */
	u64 io_filtered;	/* accesses an emulating port rule changed or dropped */
	u64 mmio_unassigned;	/* accesses to guest-physical space no rule names (reads all-ones,
				 * writes dropped) */
	u64 msi_refused;	/* MSI/MSI-X messages of the NIC left masked (not fixed/lowest
				 * priority, not to the guest's CPUs: <uhv/msi.h>) */
	u64 ioapic_refused;	/* IOAPIC redirection entries refused (kept masked) */
	volatile u32 lock;	/* guards the list below (vmx_lock) */
	unsigned nr_msrs;
	struct vm_denied_msr msrs[VM_DENIED_MSRS];	/* which MSRs were denied, how often */
};

static inline void vm_deny_count(u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

struct vm;
/* Record a denied RDMSR/WRMSR under key (the first MSR of the rule that denied it, or the MSR
 * where no rule names it); true the first time for this key (say it then). */
bool vm_denials_note_msr(struct vm *vm, u32 key, bool write);
/* The end-of-run statistics (vm/denials.c): one line, then the denied MSRs. */
void vm_denials_print(const struct vm *vm);

#endif
