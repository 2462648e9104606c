/* NIC passthrough: the MSI-X table (docs/interrupts.md, "MSI-X"). The table's page(s) of the
 * BAR are taken out of the guest's EPT and trapped; an access to the table is decoded
 * (vmx/mmio_emul.c) and handed to the table emulation (vdev/msix_table.c), which programs the
 * device's real entries through uhv's own mapping of the page; an access to the rest of those
 * pages (registers that share the page, the PBA) is carried out on the device as the guest
 * made it. The table's BAR may not move (bar_ok): the trap is at its address. Without a table
 * uhv can trap (shadow paging, a table outside its BAR) the capability stays hidden. */
#define LOG_MODULE "nic"
#include <uhv/passthrough.h>
#include <uhv/vm.h>
#include <uhv/pci_virt.h>
#include <uhv/pci.h>
#include <uhv/mmio.h>
#include <uhv/mmio_emul.h>
#include <uhv/vmx_trap.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include "passthrough_priv.h"

#define MSIX_CAP_CTRL		0x02
#define MSIX_CAP_TABLE		0x04	/* offset 31:3, BIR 2:0 */
#define MSIX_CTRL_TABLE_SIZE	0x7ffu
#define MSIX_BIR_MASK		0x7u

static void table_write32(void *ctx, u32 off, u32 val)
{
	struct pt_msix *x = ctx;

	mmio_write32(x->va + (x->table - x->first) + off, val);
}

/* An access to the trapped pages outside the table: the device's registers, as the guest
 * made it (sizes 1-8, the CPU's own access). */
static void forward(struct pt_msix *x, u64 gpa, unsigned size, bool write, u64 *val)
{
	volatile u8 *p = x->va + (gpa - x->first);

	if (write) {
		switch (size) {
		case 1: *(volatile u8 *)p = (u8)*val; break;
		case 2: *(volatile u16 *)p = (u16)*val; break;
		case 4: mmio_write32(p, (u32)*val); break;
		default: mmio_write64(p, *val); break;
		}
		return;
	}
	switch (size) {
	case 1: *val = *(volatile u8 *)p; break;
	case 2: *val = *(volatile u16 *)p; break;
	case 4: *val = mmio_read32(p); break;
	default: *val = mmio_read64(p); break;
	}
}

static int msix_rw(void *ctx, struct vcpu *v, u64 gpa, unsigned size, bool write, u64 *val)
{
	struct pt_msix *x = ctx;

	if (gpa >= x->table && gpa + size <= x->table + x->table_len)
		msix_table_access(&x->t, (u32)(gpa - x->table), size, write, val);
	else if (gpa < x->table + x->table_len && gpa + size > x->table)
		*val = write ? *val : ~0ULL;	/* straddles the table's edge: dropped */
	else
		forward(x, gpa, size, write, val);
	return 0;
}

static int msix_trap(void *ctx, struct vcpu *v, u64 gpa, u64 q)
{
	struct pt_msix *x = ctx;

	x->exits++;
	return mmio_emulate(v, gpa, q, "MSI-X table page", msix_rw, ctx);
}

/* Why the table cannot be trapped, or NULL (pt->msix located). */
static const char *locate(struct passthrough *pt, const struct pci_virt_fn *f,
			  const struct pci_virt_cap *c, unsigned *nvec)
{
	u32 dw0 = pci_read32(pt->pv.cfg, pt->nic, c->off);
	u32 tbl = pci_read32(pt->pv.cfg, pt->nic, c->off + MSIX_CAP_TABLE);
	struct pt_msix *x = &pt->msix;
	const struct pci_virt_bar *b;

	*nvec = ((dw0 >> 16) & MSIX_CTRL_TABLE_SIZE) + 1;
	x->bar = tbl & MSIX_BIR_MASK;
	if (x->bar >= f->nbars || !pt_is_mem_bar(f->bar[x->bar].type) || !f->bar[x->bar].base)
		return "its table is not in a memory BAR";
	b = &f->bar[x->bar];
	x->table = b->base + (tbl & ~MSIX_BIR_MASK);
	x->table_len = *nvec * MSIX_ENTRY_SIZE;
	if ((tbl & ~MSIX_BIR_MASK) + (u64)x->table_len > b->size)
		return "its table does not fit in its BAR";
	if (!pt->vm->mmu->uses_eptp)
		return "mem=shadow does not trap device memory";
	x->first = ALIGN_DOWN(x->table, PAGE_SIZE);
	x->last = ALIGN_UP(x->table + x->table_len, PAGE_SIZE) - 1;
	return NULL;
}

static int trap_table(struct passthrough *pt, unsigned nvec)
{
	struct pt_msix *x = &pt->msix;
	struct vm *vm = pt->vm;
	u64 len = x->last + 1 - x->first;
	int err;

	x->va = mmio_map(x->first, len);
	if (!x->va)
		return -ENOMEM;
	err = vm->mmu->unmap_mmio(vm, x->first, len);
	if (err < 0)
		return err;
	vm->mmu->flush(vm);
	err = vmx_trap_mmio(vm, x->first, x->last, msix_trap, x, "NIC MSI-X table (emulated)");
	if (err < 0) {
		vm->mmu->map_mmio(vm, x->first, len, "NIC BAR");
		vm->mmu->flush(vm);
		return err;
	}
	x->hw = (struct msix_hw_ops){ .write32 = table_write32, .ctx = x };
	msix_table_init(&x->t, nvec, &x->hw, &pt->irq.ops);
	return 0;
}

void pt_msix_setup(struct passthrough *pt)
{
	const struct pci_dev *d = pt->nic;
	struct pci_virt_fn *f = d ? pci_virt_find(&pt->pv, d->seg, d->bus, d->dev, d->fn) : NULL;
	const struct pci_virt_cap *c = f ? pci_virt_cap_find(f, PCI_CAP_ID_MSIX) : NULL;
	unsigned nvec;
	const char *why;
	int err = 0;

	if (!c)
		return;
	why = locate(pt, f, c, &nvec);
	if (!why) {
		err = trap_table(pt, nvec);
		why = err < 0 ? "the table page could not be trapped" : NULL;
	}
	if (why) {
		pr_warn("%02x:%02x.%u: MSI-X hidden from the guest: %s%s%s\n", d->bus, d->dev,
			d->fn, why, err < 0 ? " " : "", err < 0 ? errno_name(err) : "");
		pci_virt_cap_hide(f, PCI_CAP_ID_MSIX);
		return;
	}
	pt->msix.active = true;
	f->msix_nvec = (u16)pt->msix.t.nvec;
	pr_info("%02x:%02x.%u: MSI-X table of %u entries at %#llx (BAR%u), page(s) "
		"%#llx-%#llx trapped%s\n", d->bus, d->dev, d->fn, nvec, pt->msix.table,
		pt->msix.bar, pt->msix.first, pt->msix.last,
		nvec > pt->msix.t.nvec ? "; the guest is shown the first 256" : "");
}
