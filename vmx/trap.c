/* The registry of trapped ports and MMIO ranges (see <uhv/vmx_trap.h>).
 * Small fixed tables: a handful of subsystems claim a few ranges each. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_trap.h>
#include <uhv/vmx_exit.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/errno.h>

/* Filled at boot before the guest runs, read on every trapped exit. */
static struct vmx_io_trap io_traps[VMX_TRAP_MAX_IO];
static unsigned nr_io;
static struct vmx_mmio_trap mmio_traps[VMX_TRAP_MAX_MMIO];
static unsigned nr_mmio;

int vmx_trap_io(u16 first, u16 last, vmx_io_fn fn, void *ctx, const char *name)
{
	if (!vmx.ready || first > last || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < nr_io; i++)
		if (first <= io_traps[i].last && last >= io_traps[i].first) {
			pr_err("ports %#x-%#x for %s: already claimed by %s\n", first, last, name,
			       io_traps[i].name);
			return -EBUSY;
		}
	if (nr_io == VMX_TRAP_MAX_IO)
		return -ENOSPC;
	io_traps[nr_io++] = (struct vmx_io_trap){ first, last, fn, ctx, name };
	u8 *a = phys_to_virt(vmx.io_bitmap_a_pa), *b = phys_to_virt(vmx.io_bitmap_b_pa);
	for (u32 p = first; p <= last; p++)
		vmx_io_bitmap_intercept(a, b, (u16)p);
	return 0;
}

int vmx_trap_mmio(u64 first, u64 last, vmx_mmio_fn fn, void *ctx, const char *name)
{
	if (first > last || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < nr_mmio; i++)
		if (first <= mmio_traps[i].last && last >= mmio_traps[i].first) {
			pr_err("MMIO %#llx-%#llx for %s: already claimed by %s\n",
			       first, last, name,
			       mmio_traps[i].name);
			return -EBUSY;
		}
	if (nr_mmio == VMX_TRAP_MAX_MMIO)
		return -ENOSPC;
	mmio_traps[nr_mmio++] = (struct vmx_mmio_trap){ first, last, fn, ctx, name };
	return 0;
}

const struct vmx_io_trap *vmx_trap_io_find(u16 port)
{
	for (unsigned i = 0; i < nr_io; i++)
		if (port >= io_traps[i].first && port <= io_traps[i].last)
			return &io_traps[i];
	return NULL;
}

const struct vmx_mmio_trap *vmx_trap_mmio_find(u64 gpa)
{
	for (unsigned i = 0; i < nr_mmio; i++)
		if (gpa >= mmio_traps[i].first && gpa <= mmio_traps[i].last)
			return &mmio_traps[i];
	return NULL;
}

void vmx_trap_print(void)
{
	for (unsigned i = 0; i < nr_io; i++)
		pr_info("trapped ports %#06x-%#06x: %s\n", io_traps[i].first, io_traps[i].last,
			io_traps[i].name);
	for (unsigned i = 0; i < nr_mmio; i++)
		pr_info("trapped MMIO %#llx-%#llx: %s\n", mmio_traps[i].first,
			mmio_traps[i].last, mmio_traps[i].name);
}
