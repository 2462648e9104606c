/* Between the guest's config-space policy tables (pci_virt_rules.c) and the engine that applies
 * them (pci_virt.c); not part of <uhv/pci_virt.h>: nothing else needs it. */
#ifndef UHV_PCI_VIRT_PRIV_H
#define UHV_PCI_VIRT_PRIV_H

#include <uhv/pci_virt.h>

/* The policy for the capability at config offset off with ID id, whose first dword's upper half
 * (MSI: message control) is ctrl, and its length in *len; NULL if the guest does not see it. */
const struct pci_virt_cap_policy *pci_virt_cap_layout(u8 off, u8 id, u16 ctrl, u8 *len);

#endif
