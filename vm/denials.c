/* The end-of-run line that says what the guest was refused (<uhv/vm_denials.h>). */
#define LOG_MODULE "vmx"
#include <uhv/vm.h>
#include <uhv/log.h>

void vm_denials_print(const struct vm *vm)
{
	const struct vm_denials *d = &vm->denied;

	pr_info("denied by policy: MSR reads %llu, writes %llu (#GP), writes ignored %llu; "
		"ports unassigned %llu, filtered %llu; MMIO unassigned %llu\n",
		d->msr_read_gp, d->msr_write_gp, d->msr_write_ignored, d->io_unassigned,
		d->io_filtered, d->mmio_unassigned);
}
