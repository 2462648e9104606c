/* What the policies refused, for the end-of-run statistics (<uhv/vm_denials.h>). */
#define LOG_MODULE "vmx"
#include <uhv/vm.h>
#include <uhv/vmx_smp.h>
#include <uhv/msr_policy.h>
#include <uhv/log.h>

bool vm_denials_note_msr(struct vm *vm, u32 msr, bool write)
{
	struct vm_denials *d = &vm->denied;
	struct vm_denied_msr *m = NULL;
	bool first = false;

	vmx_lock(&d->lock);
	for (unsigned i = 0; i < d->nr_msrs && !m; i++)
		if (d->msrs[i].msr == msr)
			m = &d->msrs[i];
	if (!m && d->nr_msrs < VM_DENIED_MSRS) {
		m = &d->msrs[d->nr_msrs++];
		*m = (struct vm_denied_msr){ .msr = msr };
		first = true;
	}
	if (m)
		*(write ? &m->writes : &m->reads) += 1;
	vmx_unlock(&d->lock);
	return first;	/* beyond the list: counted in the totals, not named again */
}

void vm_denials_print(const struct vm *vm)
{
	const struct vm_denials *d = &vm->denied;

	pr_info("denied by policy: MSR reads %llu, writes %llu (#GP), writes ignored %llu; "
		"ports unassigned %llu, filtered %llu; MMIO unassigned %llu; interrupt messages "
		"refused %llu\n",
		d->msr_read_gp, d->msr_write_gp, d->msr_write_ignored, d->io_unassigned,
		d->io_filtered, d->mmio_unassigned, d->msi_refused);
	vm_ioapic_print(vm);
	for (unsigned i = 0; i < d->nr_msrs; i++) {
		const struct msr_rule *r = msr_rule_find(d->msrs[i].msr);

		pr_info("  denied MSR %#x%s%s%s: %u reads, %u writes\n", d->msrs[i].msr,
			r ? " (" : "", r ? r->name : "", r ? ")" : "", d->msrs[i].reads,
			d->msrs[i].writes);
	}
}
