/* Between the guest's config-space policy tables (pci_virt_rules.c) and the engine that applies
 * them (pci_virt.c); not part of <uhv/pci_virt.h>: nothing else needs it. */
#ifndef UHV_PCI_VIRT_PRIV_H
#define UHV_PCI_VIRT_PRIV_H

#include <uhv/pci_virt.h>

/* The policy for the capability at config offset off with ID id, whose first dword's upper half
 * (MSI: message control) is ctrl, and its length in *len; NULL if the guest does not see it. */
const struct pci_virt_cap_policy *pci_virt_cap_layout(u8 off, u8 id, u16 ctrl, u8 *len);

/* The engine's access to the real config space (vdev/pci_virt.c). */
u32 pci_virt_real_read(const struct pci_virt *pv, const struct pci_virt_fn *f, u16 doff);
void pci_virt_real_write(const struct pci_virt *pv, const struct pci_virt_fn *f, u16 doff, u32 v);

/* MSI (vdev/pci_virt_msi.c): the guest's value of the register at coff of capability c (real:
 * the device's value of it), and a guest write of the whole register (v). */
u32 pci_virt_msi_read(const struct pci_virt_fn *f, const struct pci_virt_cap *c, u16 coff,
		      u32 real);
void pci_virt_msi_write(struct pci_virt *pv, struct pci_virt_fn *f, const struct pci_virt_cap *c,
			u16 coff, u32 v);

#endif
