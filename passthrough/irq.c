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
#include "passthrough_priv.h"

static void guest_cpus(void *ctx, struct msi_cpus *c)
{
	struct passthrough *pt = ctx;
	unsigned n = smp_guest_apic_ids(pt->irq.apic_ids, UHV_MAX_CPUS);

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

void pt_irq_print_stats(const struct passthrough *pt)
{
	const struct pt_msix *x = &pt->msix;
	unsigned live = 0;

	if (!x->active)
		return;
	for (unsigned i = 0; i < x->t.nvec; i++)
		live += !x->t.e[i].hw_masked;
	pr_info("MSI-X: %llu trapped accesses to the table page, %u of %u entries live, %llu "
		"refused, %llu bad-size accesses%s\n", x->exits, live, x->t.nvec, x->t.refused,
		x->t.bad_accesses, pt->irq.remap ? " (remapped)" : " (compatibility format)");
}
