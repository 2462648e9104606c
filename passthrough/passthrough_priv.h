/* Private to passthrough/: what the NIC-passthrough files share (<uhv/passthrough.h> is the
 * interface to the rest of uhv). */
#ifndef UHV_PASSTHROUGH_PRIV_H
#define UHV_PASSTHROUGH_PRIV_H

#include <uhv/passthrough.h>
#include <uhv/pci.h>

#define CLASS_NETWORK		0x02
#define SUBCLASS_ETHERNET	0x00
#define SUBCLASS_ISA_BRIDGE	0x01
#define CFG_PORT_FIRST		0xcf8
#define CFG_PORT_LAST		0xcff
/* The chipset's fixed MMIO at the top of the 32-bit space: IOAPIC (0xfec00000), HPET
 * (0xfed00000), VT-d registers, LAPIC and the MSI window (0xfee00000), firmware flash. Firmware
 * never puts a BAR there, and the guest may not either. */
#define PLATFORM_MMIO_BASE	0xfec00000ULL
#define PLATFORM_MMIO_END	GiB(4)
/* Ports below 0x1000 are ISA: PIC, PIT, keyboard controller, RTC, DMA, COM/LPT ports. */
#define ISA_PORT_END		0x1000

static inline bool pt_overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static inline bool pt_is_mem_bar(u8 type)
{
	return type == PCI_BAR_MEM32 || type == PCI_BAR_MEM64;
}

static inline bool pt_is_nic(const struct passthrough *pt, const struct pci_dev *d)
{
	return pt->nic && d == pt->nic;
}

/* passthrough/bars.c: the BAR-move policy (pci_virt_ops) and the guest's view of device memory */
bool pt_bar_ok(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 base, u64 size);
void pt_bar_moved(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 old, u64 new,
		  u64 size);
/* Every function's memory BARs out of the EPT, then the NIC's back in, uncached. */
int pt_setup_device_memory(struct passthrough *pt);

/* passthrough/config.c: the guest's PCI configuration mechanisms (vmx_trap handlers) */
int pt_cfg_port(void *ctx, u16 port, unsigned size, bool in, u32 *val);
int pt_ecam_access(void *ctx, struct vcpu *v, u64 gpa, u64 q);

/* passthrough/irq.c: the message policy's hypervisor side (pt->irq.ops), before the NIC is
 * added to pci_virt */
void pt_irq_init(struct passthrough *pt);
/* ... and once the NIC is in pci_virt: where its VT-d unit remaps interrupts, one IRTE per
 * message source (MSI, each MSI-X entry) and ops.remap set; said either way */
void pt_irq_attach(struct passthrough *pt);

/* passthrough/msix.c: trap the NIC's MSI-X table and show the capability, or hide it (said
 * why). After pt_setup_device_memory (the table pages come out of the NIC's mapping). */
void pt_msix_setup(struct passthrough *pt);

#endif
