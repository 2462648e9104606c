/* NIC passthrough: the guest's view of device memory and ports. Every device's memory BARs are
 * out of the guest's EPT except the NIC's (uncached); the NIC's I/O BARs are native in the port
 * table, hidden devices' are unassigned there (they answer nothing); a guest that moves the
 * NIC's BARs is checked against the BAR-move policy (pci_virt_ops) and the EPT and the port
 * table follow. */
#define LOG_MODULE "nic"
#include <uhv/passthrough.h>
#include <uhv/vm.h>
#include <uhv/pci_virt.h>
#include <uhv/pci.h>
#include <uhv/acpi.h>
#include <uhv/vtd.h>
#include <uhv/guest.h>
#include <uhv/options.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/mmio_decode.h>
#include <uhv/gwalk.h>
#include <uhv/ept.h>
#include <uhv/mtrr.h>
#include <uhv/memmap.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include "passthrough_priv.h"

/* ---- the BAR-move policy (pci_virt_ops) ---------------------------------------------------- */

/* Does [base, base+size) of the given kind collide with a BAR of another function (or another
 * BAR of f)? The NIC's own BARs are taken from pci_virt's effective addresses. */
static bool hits_other_bar(struct passthrough *pt, const struct pci_virt_fn *f, unsigned bar,
			   bool mem, u64 base,
			   u64 size)
{
	for (unsigned i = 0; i < pt->pci->count; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		bool self = d->seg == f->seg && d->bus == f->bus && d->dev == f->dev &&
			    d->fn == f->fn;

		for (unsigned b = 0; b < d->nbars; b++) {
			u8 type = self ? f->bar[b].type : d->bar[b].type;
			u64 ob = self ? f->bar[b].base : d->bar[b].base;
			u64 os = self ? f->bar[b].size : d->bar[b].size;

			if (self && b == bar)
				continue;
			if (type == PCI_BAR_NONE || !ob || pt_is_mem_bar(type) != mem)
				continue;
			if (pt_overlaps(base, size, ob, os))
				return true;
		}
	}
	return false;
}

/* Behind a bridge a BAR decodes only inside the bridge's memory or prefetchable window
 * (PCI-to-PCI Bridge 1.2, 3.2.5.8-9): is [base, end) inside one of them? */
static bool in_bridge_window(struct passthrough *pt, const struct pci_virt_fn *f, u64 base, u64 end)
{
	const struct pci_dev *br = NULL;

	if (f->bus == 0)
		return true;	/* the root bus: the host bridge's windows are not described here */
	for (unsigned i = 0; i < pt->pci->count && !br; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		if (d->seg == f->seg && d->header_type == PCI_HEADER_BRIDGE &&
		    d->secondary_bus == f->bus)
			br = d;
	}
	if (!br)
		return false;
	const struct pci_cfg_ops *c = pt->pv.cfg;
	u32 mem = pci_read32(c, br, 0x20), pref = pci_read32(c, br, 0x24);
	u64 mb = (u64)(mem & 0xfff0) << 16, ml = (mem & 0xfff00000u) | 0xfffffULL;
	u64 pb = (u64)(pref & 0xfff0) << 16, pl = (pref & 0xfff00000u) | 0xfffffULL;
	if ((pref & 0xf) == 1) {	/* 64-bit prefetchable window: upper halves */
		pb |= (u64)pci_read32(c, br, 0x28) << 32;
		pl |= (u64)pci_read32(c, br, 0x2c) << 32;
	}
	return (mb <= ml && base >= mb && end - 1 <= ml) ||
	       (pb <= pl && base >= pb && end - 1 <= pl);
}

static const char *mem_bar_refusal(struct passthrough *pt, const struct pci_virt_fn *f,
				   unsigned bar, u64 base, u64 size)
{
	u64 end = base + size;
	u64 pb = ALIGN_DOWN(base, PAGE_SIZE), pe = ALIGN_UP(end, PAGE_SIZE);
	const struct memmap *map = kmem_memmap();

	if (end < base || end > BIT(vmx.phys_bits))
		return "beyond the physical address width";
	/* a sub-page BAR may move inside its page only: the page is mapped for it already */
	if (!IS_ALIGNED(base, PAGE_SIZE) &&
	    (size >= PAGE_SIZE || pb != ALIGN_DOWN(f->bar[bar].base, PAGE_SIZE)))
		return "not page aligned";
	if (kmem_is_hypervisor(pb, pe - pb))
		return "uhv's own memory";
	if (pb < MiB(1))
		return "the legacy area below 1 MiB";
	for (size_t i = 0; i < map->n; i++)
		if (pt_overlaps(pb, pe - pb, map->r[i].base, map->r[i].end - map->r[i].base))
			return "RAM or firmware memory (in the memory map)";
	if (pt_overlaps(pb, pe - pb, PLATFORM_MMIO_BASE, PLATFORM_MMIO_END - PLATFORM_MMIO_BASE))
		return "the chipset's IOAPIC/HPET/VT-d/LAPIC/flash range 0xfec00000-0xffffffff";
	for (unsigned i = 0; i < pt->necam; i++)
		if (pt_overlaps(pb, pe - pb, pt->ecam[i].first,
		    pt->ecam[i].last + 1 - pt->ecam[i].first))
			return "the ECAM window";
	if (hits_other_bar(pt, f, bar, true, pb, pe - pb))
		return "another device's MMIO";
	if (!in_bridge_window(pt, f, base, end))
		return "outside the memory windows of the bridge above the device";
	return NULL;
}

static const char *io_bar_refusal(struct passthrough *pt, const struct pci_virt_fn *f,
				  unsigned bar, u64 base, u64 size)
{
	u16 con = pt->vm->opt->console_port;

	if (base + size > 0x10000)
		return "beyond the 64 Ki I/O ports";
	if (base < ISA_PORT_END)
		return "the ISA ports below 0x1000";
	if (pt_overlaps(base, size, CFG_PORT_FIRST, CFG_PORT_LAST - CFG_PORT_FIRST + 1))
		return "the PCI configuration ports";
	if (pt_overlaps(base, size, con, 8))
		return "uhv's console UART";
	if (hits_other_bar(pt, f, bar, false, base, size))
		return "another device's ports";
	/* the NIC's ports become native: none may be a port the table traps or passes */
	const struct io_rule *own = io_policy_find(&pt->vm->io, (u16)f->bar[bar].base);
	if (io_policy_overlap(&pt->vm->io, (u16)base, base + size - 1,
			      own && own->where == IO_NIC_BAR ? own : NULL))
		return "ports the port table names";
	return NULL;
}

bool pt_bar_ok(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 base,
		   u64 size)
{
	struct passthrough *pt = ctx;
	const char *why = type == PCI_BAR_IO ? io_bar_refusal(pt, f, bar, base, size) :
		!pt->vm->mmu->uses_eptp ? "moving a memory BAR is not supported with mem=shadow" :
		pt->msix.active && bar == pt->msix.bar ?
		"it holds the MSI-X table, which uhv traps where it is" :
		mem_bar_refusal(pt, f, bar, base, size);

	if (why)
		pr_warn("%02x:%02x.%u BAR%u -> %#llx (size %#llx) refused: %s\n", f->bus, f->dev,
			f->fn, bar, base, size, why);
	return !why;
}

static int map_mem_bar(struct vm *vm, u64 base, u64 size, bool map)
{
	u64 pb = ALIGN_DOWN(base, PAGE_SIZE), pe = ALIGN_UP(base + size, PAGE_SIZE);

	return map ? vm->mmu->map_mmio(vm, pb, pe - pb, "NIC BAR") :
		vm->mmu->unmap_mmio(vm, pb, pe - pb);
}

void pt_bar_moved(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 old,
		      u64 new, u64 size)
{
	struct passthrough *pt = ctx;

	/* The NIC's I/O BARs are native in the port table: the table and the bitmaps follow
	 * (bar_ok kept the new range off every other rule). */
	if (!pt_is_mem_bar(type)) {
		int ret = old ? vm_io_nic_bar_moved(pt->vm, (u16)old, (u16)new) : -ENOENT;
		if (ret < 0)
			pr_err("moving the NIC's I/O BAR%u from %#llx to %#llx in the port table "
			       "failed (%s): its ports stay unassigned\n", bar, old, new,
			       errno_name(ret));
		return;
	}
	int e1 = map_mem_bar(pt->vm, old, size, false), e2 = map_mem_bar(pt->vm, new, size, true);
	pt->vm->mmu->flush(pt->vm);
	if (e1 < 0 || e2 < 0)
		pr_err("moving the EPT mapping of BAR%u from %#llx to %#llx failed (%s)\n", bar,
		       old, new, errno_name(e1 < 0 ? e1 : e2));
}


int pt_setup_device_memory(struct passthrough *pt)
{
	unsigned hidden = 0;
	int ret;

	if (!pt->vm->mmu->uses_eptp) {
		/* Shadow paging maps only guest RAM and an allow-list of MMIO, so
		 * hidden devices' BARs and ECAM are unreachable already: add the
		 * NIC's BARs to the list. */
		const struct pci_virt_fn *f = pt->nic ? pci_virt_find(&pt->pv, pt->nic->seg,
						pt->nic->bus, pt->nic->dev, pt->nic->fn) : NULL;
		for (unsigned b = 0; f && b < f->nbars; b++) {
			u64 pb = ALIGN_DOWN(f->bar[b].base, PAGE_SIZE);
			u64 pe = ALIGN_UP(f->bar[b].base + f->bar[b].size, PAGE_SIZE);
			if (!pt_is_mem_bar(f->bar[b].type) || !f->bar[b].base)
				continue;
			ret = pt->vm->mmu->map_mmio(pt->vm, pb, pe - pb, "NIC BAR");
			if (ret < 0)
				return ret;
			pr_info("shadow paging: NIC BAR%u [%#llx-%#llx) may be mapped by the guest\n",
				b, pb, pe);
		}
		return 0;
	}
	for (unsigned i = 0; i < pt->pci->count; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		for (unsigned b = 0; b < d->nbars; b++) {
			const struct pci_bar *bar = &d->bar[b];
			if (!pt_is_mem_bar(bar->type) || !bar->base || !bar->size)
				continue;
			if (guest_is_ram(&pt->vm->guest, ALIGN_DOWN(bar->base, PAGE_SIZE),
			    PAGE_SIZE)) {
				pr_warn("%02x:%02x.%u BAR%u at %#llx lies in guest RAM: left "
					"alone\n", d->bus, d->dev, d->fn, b, bar->base);
				continue;
			}
			ret = map_mem_bar(pt->vm, bar->base, bar->size, false);
			if (ret < 0)
				return ret;
			if (!pt_is_nic(pt, d))
				hidden++;
		}
	}
	for (unsigned i = 0; i < pt->necam; i++) {
		ret = pt->vm->mmu->unmap_mmio(pt->vm, pt->ecam[i].first,
					      pt->ecam[i].last + 1 - pt->ecam[i].first);
		if (ret < 0)
			return ret;
	}
	if (pt->nic) {
		const struct pci_virt_fn *f = pci_virt_find(&pt->pv, pt->nic->seg, pt->nic->bus,
							    pt->nic->dev, pt->nic->fn);
		for (unsigned b = 0; f && b < f->nbars; b++) {
			if (!pt_is_mem_bar(f->bar[b].type) || !f->bar[b].base)
				continue;
			ret = map_mem_bar(pt->vm, f->bar[b].base, f->bar[b].size, true);
			if (ret < 0)
				return ret;
			pr_info("EPT: NIC BAR%u [%#llx-%#llx) mapped uncached\n", b,
				f->bar[b].base, (f->bar[b].base + f->bar[b].size));
		}
	}
	pt->vm->mmu->flush(pt->vm);
	pr_info("EPT: %u memory BARs of hidden devices and %u ECAM window(s) unmapped; LAPIC, "
		"HPET, firmware areas stay mapped (the IOAPIC is emulated)\n", hidden, pt->necam);
	return 0;
}

unsigned pt_nic_io_bars(struct passthrough *pt, struct io_range *out, unsigned max)
{
	const struct pci_virt_fn *f = pt->nic ? pci_virt_find(&pt->pv, pt->nic->seg, pt->nic->bus,
							     pt->nic->dev, pt->nic->fn) : NULL;
	unsigned n = 0;

	for (unsigned b = 0; f && b < f->nbars && n < max; b++) {
		const struct pci_virt_bar *bar = &f->bar[b];
		if (bar->type != PCI_BAR_IO || !bar->base || !bar->size ||
		    bar->base + bar->size > 0x10000)
			continue;
		out[n++] = (struct io_range){ (u16)bar->base, (u16)bar->size };
	}
	return n;
}
