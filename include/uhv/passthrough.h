/* NIC passthrough at run time (issue #5; design in docs/nic-passthrough.md, code in
 * vmx/passthrough.c): which NIC the guest gets, its DMA domain, the guest's view of PCI
 * configuration space (ports 0xCF8-0xCFF and the ECAM window, both trapped and filtered by
 * drivers/pci_virt.c), the NIC's BARs in the guest's EPT (uncached) and every other device's
 * BARs out of it. */
#ifndef UHV_PASSTHROUGH_H
#define UHV_PASSTHROUGH_H

#include <uhv/types.h>

struct guest;
struct pci;
struct pci_cfg_ops;
struct uhv_options;
struct acpi_mcfg_info;

/* Call after guest_setup_ept() and before vmx_run_guest(), where kmain registers traps.
 *  - The NIC: nic=BB:DD.F, else the first Ethernet controller; none is fine (the guest then sees
 *    no NIC).
 *  - Without active DMA remapping the NIC is refused (hidden, error line saying why and how to
 *    override) unless iommu=off was given explicitly, which passes it through with a loud
 *    warning. With VT-d it is attached to the guest's domain (vtd_guest_domain()).
 *  - The guest sees the host bridge, the ISA/LPC bridge, the bridges on the way to the NIC and
 *    the NIC; every other function reads all-ones, its memory BARs are unmapped from the EPT
 *    and its I/O BARs are trapped (reads all-ones, writes dropped).
 * Returns 0, or a negative errno when the nic= option names no usable function (said so). */
int nic_passthrough_setup(struct guest *g, const struct pci *pci, const struct pci_cfg_ops *cfg,
			  const struct uhv_options *opt, const struct acpi_mcfg_info *mcfg);

#endif
