/* NIC passthrough at run time (issue #5; design in docs/nic-passthrough.md, code in
 * passthrough/): which NIC the guest gets, its DMA domain, the guest's view of PCI
 * configuration space (ports 0xCF8-0xCFF and the ECAM window, both trapped and filtered by
 * vdev/pci_virt.c), the NIC's BARs in the guest's EPT (uncached) and every other device's
 * BARs out of it. */
#ifndef UHV_PASSTHROUGH_H
#define UHV_PASSTHROUGH_H

#include <uhv/types.h>
#include <uhv/acpi.h>
#include <uhv/pci_virt.h>
#include <uhv/vmx_trap.h>
#include <uhv/io_policy.h>
#include <uhv/msix_table.h>
#include <uhv/percpu.h>

struct vm;
struct pci;
struct pci_cfg_ops;
struct uhv_options;
struct acpi_mcfg_info;

/* Call after vm->mmu->setup_memory() and before vmx_run_guest(), where vm_build registers
 * traps.
 *  - The NIC: nic=BB:DD.F, else the first Ethernet controller; none is fine (the guest then sees
 *    no NIC).
 *  - Without active DMA remapping the NIC is refused (hidden, error line saying why and how to
 *    override) unless iommu=off was given explicitly, which passes it through with a loud
 *    warning. With VT-d it is attached to the guest's domain (vm->dma).
 *  - The guest sees the host bridge, the ISA/LPC bridge, the bridges on the way to the NIC and
 *    the NIC; every other function reads all-ones, its memory BARs are unmapped from the EPT
 *    and its I/O BARs are unassigned in the port table (reads all-ones, writes dropped).
 * Returns 0, or a negative errno when the nic= option names no usable function (said so). */
struct pt_ecam_win {
	u64 first, last;	/* guest-physical, = host-physical */
	u16 seg;
	u8 bus_start;
};

/* The NIC's interrupt messages (passthrough/irq.c): the policy pci_virt and the MSI-X table
 * use (struct msi_ops), and the interrupt-remapping entries the NIC's messages go through. */
struct pt_irq {
	struct msi_ops ops;
	u32 apic_ids[ACPI_MAX_CPUS];	/* the guest's CPUs (at most the MADT table), refreshed for each check */
	bool remap;			/* the NIC's unit remaps interrupts: every message gets an
					 * IRTE (irte_first + handle) */
	unsigned irte_first, irte_count;
	bool said;			/* the first refusal was reported */
};

/* The MSI-X table of the NIC (passthrough/msix.c): its page(s) of the BAR are out of the
 * guest's EPT and trapped; table accesses go to the emulation, the rest of the pages (other
 * registers, the PBA) to the device. */
struct pt_msix {
	bool active;			/* the table is trapped and the capability shown */
	u8 bar;				/* BIR */
	u64 table;			/* address of the table (GPA = HPA) */
	u32 table_len;			/* the device's entries * 16 */
	u64 first, last;		/* the trapped pages */
	volatile u8 *va;		/* uhv's mapping of them (UC) */
	struct msix_hw_ops hw;
	struct msix_table t;
	u64 exits;
};

/* The vm's passthrough state: set up once by nic_passthrough_setup before the guest runs, then
 * used by the trap handlers on VM exits, under the vm's emul_lock (vmx_lock). */
struct passthrough {
	struct vm *vm;			/* the owner */
	struct pci_virt_ops ops;	/* the BAR-move policy, with this state as context */
	const struct pci *pci;
	const struct acpi_mcfg_info *mcfg;
	const struct pci_dev *nic;	/* NULL: the guest has no NIC */
	const struct pci_dev *isa;	/* the ISA bridge the guest sees (PIRQ routing), or NULL */
	struct pci_virt pv;
	struct pt_ecam_win ecam[ACPI_MAX_ECAM];
	unsigned necam;
	u64 ecam_exits;
	struct pt_irq irq;
	struct pt_msix msix;
};

/* The NIC the nic= option names, else the first Ethernet controller (NULL: there is none, said
 * so). A nic= that names no function or a function that is no network controller is said in
 * one error line and gives *err < 0 (-ENODEV, -EINVAL). Guest mode, probe and vtd-selftest
 * all choose through this, so they read nic= alike. */
const struct pci_dev *nic_choose(const struct pci *pci, const struct uhv_options *o, int *err);

int nic_passthrough_setup(struct vm *vm, const struct pci *pci, const struct pci_cfg_ops *cfg,
			  const struct acpi_mcfg_info *mcfg);
/* End of run: the NIC's interrupt sources as the guest left them (MSI-X table: trapped accesses,
 * live entries, refusals; MSI: on or off). Nothing when the NIC has neither. */
void pt_irq_print_stats(const struct passthrough *pt);
/* The NIC's I/O BARs where the guest sees them (at most max): native ports of the port table. */
unsigned pt_nic_io_bars(struct passthrough *pt, struct io_range *out, unsigned max);

#endif
