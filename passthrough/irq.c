/* NIC passthrough: the hypervisor side of the NIC's interrupt messages (docs/interrupts.md).
 * The policy itself is pure (vdev/msi.c); this file gives it the guest's CPUs, counts and
 * reports its refusals, and, where the NIC's VT-d unit remaps interrupts, writes the IRTE a
 * checked message goes through. */
#define LOG_MODULE "nic"
#include <uhv/passthrough.h>
#include <uhv/vm.h>
#include <uhv/smp.h>
#include <uhv/percpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/pci.h>
#include <uhv/pci_virt.h>
#include <uhv/irq_remap.h>
#include "passthrough_priv.h"

static void guest_cpus(void *ctx, struct msi_cpus *c)
{
	struct passthrough *pt = ctx;
	unsigned n = smp_guest_apic_ids(pt->irq.apic_ids, ACPI_MAX_CPUS);

	/* every CPU uhv knows is the guest's, and none is outside uhv's control: a logical
	 * destination (matched against the LDRs the guest writes) reaches only the guest */
	*c = (struct msi_cpus){ pt->irq.apic_ids, n,
		n == smp_cpu_slots() && smp_cpus_outside() == 0 };
}

static void refused(void *ctx, const char *what, unsigned idx, const struct msi_msg *m,
		    const char *why)
{
	struct passthrough *pt = ctx;

	vm_deny_count(&pt->vm->denied.msi_refused);
	if (pt->irq.said)
		return;
	pt->irq.said = true;
	pr_warn("the guest's %s %u for the NIC (address %#llx, data %#x) is refused: %s; the "
		"vector stays masked in the device (said once, every refusal is counted in the "
		"statistics)\n", what, idx, m->addr, m->data, why);
}

void pt_irq_init(struct passthrough *pt)
{
	pt->irq.ops = (struct msi_ops){ .cpus = guest_cpus, .refused = refused, .ctx = pt };
}

/* ---- interrupt remapping: one IRTE per message source ---- */

static int remap(void *ctx, unsigned handle, const struct msi_req *r, struct msi_msg *hw)
{
	struct passthrough *pt = ctx;
	const struct pci_dev *d = pt->nic;
	struct irq_remap_dest dst = { .vector = r->vector, .dest_apic_id = r->dest,
		.lowest_priority = r->lowest, .dest_logical = r->logical };
	unsigned index = pt->irq.irte_first + handle;
	int err;

	if (handle >= pt->irq.irte_count)
		return -ENOSPC;
	err = irq_remap_set(d->seg, d->bus, (u8)(d->dev << 3 | d->fn), index, &dst);
	if (err < 0)
		return err;
	irq_remap_msi_msg(index, &hw->addr, &hw->data);
	return 0;
}

void pt_irq_attach(struct passthrough *pt)
{
	const struct pci_dev *d = pt->nic;
	const struct pci_virt_fn *f = d ? pci_virt_find(&pt->pv, d->seg, d->bus, d->dev, d->fn) :
		NULL;
	const struct pci_virt_cap *c = f ? pci_virt_cap_find(f, PCI_CAP_ID_MSIX) : NULL;
	u8 devfn = d ? (u8)(d->dev << 3 | d->fn) : 0;
	unsigned count = 1;
	int err;

	if (!d || !irq_remap_active(d->seg, d->bus, devfn)) {
		if (d)
			pr_info("%02x:%02x.%u: no interrupt remapping for the NIC: its MSI/MSI-X "
				"messages are checked and given to it in compatibility format\n",
				d->bus, d->dev, d->fn);
		return;
	}
	if (c)
		count += msix_table_visible(((pci_read32(pt->pv.cfg, d, c->off) >> 16) &
					     0x7ffu) + 1);
	/* from here on every message needs an IRTE: the unit blocks compatibility format */
	pt->irq.remap = true;
	pt->irq.ops.remap = remap;
	err = irq_remap_alloc(d->seg, d->bus, devfn, count, &pt->irq.irte_first);
	if (err < 0) {
		pr_err("%02x:%02x.%u: no %u interrupt-remapping entries for the NIC (%s): its MSI "
		       "and MSI-X vectors stay masked\n", d->bus, d->dev, d->fn, count,
		       errno_name(err));
		return;
	}
	pt->irq.irte_count = count;
	pr_info("%02x:%02x.%u: interrupt remapping: IRTEs %u-%u for the NIC's MSI and MSI-X "
		"messages\n", d->bus, d->dev, d->fn, pt->irq.irte_first,
		pt->irq.irte_first + count - 1);
}

void pt_irq_print_stats(const struct passthrough *pt)
{
	const struct pt_msix *x = &pt->msix;
	unsigned live = 0;

	if (!x->active)
		return;
	for (unsigned i = 0; i < x->t.nvec; i++)
		live += !x->t.e[i].hw_masked;
	pr_info("MSI-X: %llu trapped accesses to the table page, %llu messages programmed, %u of "
		"%u entries live at the end, %llu refused, %llu bad-size accesses%s\n", x->exits,
		x->t.programmed, live, x->t.nvec, x->t.refused, x->t.bad_accesses,
		pt->irq.remap ? " (through IRTEs)" : " (compatibility format)");
}
