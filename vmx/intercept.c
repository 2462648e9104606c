/* The registry of trapped ports and MMIO ranges (see <uhv/vmx_trap.h>).
 * Small fixed tables: a handful of subsystems claim a few ranges each; a full
 * I/O table stops the vm from running (fail closed). */
#define LOG_MODULE "vmx"
#include <uhv/vmx_trap.h>
#include <uhv/vmx_exit.h>
#include <uhv/vm.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/errno.h>


int vmx_trap_io(struct vm *vm, u16 first, u16 last, vmx_io_fn fn, void *ctx, const char *name)
{
	if (!vmx.ready || first > last || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < vm->traps.nr_io; i++)
		if (first <= vm->traps.io[i].last && last >= vm->traps.io[i].first) {
			pr_err("ports %#x-%#x for %s: already claimed by %s\n", first, last, name,
			       vm->traps.io[i].name);
			return -EBUSY;
		}
	if (vm->traps.nr_io == VMX_TRAP_MAX_IO) {
		/* fail closed: a port uhv meant to handle would otherwise be left to the table's
		 * default, and the caller may not stop */
		vm->traps.io_full = true;
		pr_err("the I/O trap table (VMX_TRAP_MAX_IO, %d entries) is full: ports %#x-%#x "
		       "for %s cannot be trapped; uhv will not start the guest\n", VMX_TRAP_MAX_IO,
		       first, last, name);
		return -ENOSPC;
	}
	vm->traps.io[vm->traps.nr_io++] = (struct vmx_io_trap){ first, last, fn, ctx, name };
	u8 *a = phys_to_virt(vm->io_bitmap_a_pa), *b = phys_to_virt(vm->io_bitmap_b_pa);
	for (u32 p = first; p <= last; p++)
		vmx_io_bitmap_intercept(a, b, (u16)p);
	return 0;
}

int vmx_trap_mmio(struct vm *vm, u64 first, u64 last, vmx_mmio_fn fn, void *ctx, const char *name)
{
	if (first > last || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < vm->traps.nr_mmio; i++)
		if (first <= vm->traps.mmio[i].last && last >= vm->traps.mmio[i].first) {
			pr_err("MMIO %#llx-%#llx for %s: already claimed by %s\n",
			       first, last, name,
			       vm->traps.mmio[i].name);
			return -EBUSY;
		}
	if (vm->traps.nr_mmio == VMX_TRAP_MAX_MMIO)
		return -ENOSPC;
	vm->traps.mmio[vm->traps.nr_mmio++] = (struct vmx_mmio_trap){ first, last, fn, ctx, name };
	return 0;
}

const struct vmx_io_trap *vmx_trap_io_find(const struct vm *vm, u16 port)
{
	for (unsigned i = 0; i < vm->traps.nr_io; i++)
		if (port >= vm->traps.io[i].first && port <= vm->traps.io[i].last)
			return &vm->traps.io[i];
	return NULL;
}

const struct vmx_mmio_trap *vmx_trap_mmio_find(const struct vm *vm, u64 gpa)
{
	for (unsigned i = 0; i < vm->traps.nr_mmio; i++)
		if (gpa >= vm->traps.mmio[i].first && gpa <= vm->traps.mmio[i].last)
			return &vm->traps.mmio[i];
	return NULL;
}

void vmx_trap_print(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->traps.nr_io; i++)
		pr_info("trapped ports %#06x-%#06x: %s\n", vm->traps.io[i].first, vm->traps.io[i].last,
			vm->traps.io[i].name);
	for (unsigned i = 0; i < vm->traps.nr_mmio; i++)
		pr_info("trapped MMIO %#llx-%#llx: %s\n", vm->traps.mmio[i].first,
			vm->traps.mmio[i].last, vm->traps.mmio[i].name);
}
