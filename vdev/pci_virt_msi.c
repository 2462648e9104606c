/* The MSI capability of the passed-through NIC (docs/interrupts.md, "MSI"): the guest programs
 * message control, address, data and the mask bit as on bare metal and reads back what it
 * wrote; the device gets a message only while the guest's is live (enabled, not masked) and
 * msi_route accepted it, and then the message uhv chose (compatibility format re-encoded, or
 * the remappable format of an IRTE). Otherwise the device's vector stays masked (per-vector
 * masking) or its MSI stays off. One message only: multiple message capable reads 0, because
 * with interrupt remapping each message needs an IRTE of its own and the device numbers them
 * by adding to the data (SHV), and drivers that want several vectors use MSI-X. */
#include <uhv/pci_virt.h>
#include "pci_virt_priv.h"

#define MSI_CTRL_ENABLE		BIT(0)
#define MSI_CTRL_MMC		(7u << 1)	/* multiple message capable */
#define MSI_CTRL_MME		(7u << 4)	/* multiple message enable */
#define MSI_CTRL_64BIT		BIT(7)
#define MSI_CTRL_MASKABLE	BIT(8)
#define MSI_CTRL		0x02
#define MSI_ADDR_LO		0x04

/* Register offsets in the capability (0: not there), from its length (pci_virt_cap_layout). */
struct msi_layout {
	u8 addr_hi, data, mask;
};

static struct msi_layout layout(const struct pci_virt_cap *c)
{
	bool is64 = c->policy->variant == PCI_VIRT_CAP_MSI64;
	bool maskable = c->len > (is64 ? 0x0e : 0x0a);

	return (struct msi_layout){
		.addr_hi = is64 ? 0x08 : 0,
		.data = is64 ? 0x0c : 0x08,
		.mask = maskable ? (is64 ? 0x10 : 0x0c) : 0,
	};
}

u32 pci_virt_msi_read(const struct pci_virt_fn *f, const struct pci_virt_cap *c, u16 coff,
		      u32 real)
{
	const struct pci_virt_msi *m = &f->msi;
	struct msi_layout l = layout(c);

	if (coff == MSI_CTRL)
		return (real & ~(MSI_CTRL_ENABLE | MSI_CTRL_MMC | MSI_CTRL_MME)) |
		       (m->enable ? MSI_CTRL_ENABLE : 0);
	if (coff == MSI_ADDR_LO)
		return m->addr_lo;
	if (l.addr_hi && coff == l.addr_hi)
		return m->addr_hi;
	if (coff == l.data)
		return m->data & 0xffff;
	if (l.mask && coff == l.mask)
		return m->mask;
	return 0;
}

static const struct msi_ops no_msi_ops;	/* no CPUs: every message is refused */

/* The device's message-control enable bit (MME always 0). */
static void hw_enable(struct pci_virt *pv, struct pci_virt_fn *f, const struct pci_virt_cap *c,
		      bool on)
{
	u32 dw0 = pci_virt_real_read(pv, f, c->off);
	u32 want = (dw0 & ~((MSI_CTRL_ENABLE | MSI_CTRL_MME) << 16)) |
		   (on ? MSI_CTRL_ENABLE << 16 : 0);

	if (want != dw0)
		pci_virt_real_write(pv, f, c->off, want);
}

/* Bring the device's MSI in line with the guest's. */
static void msi_sync(struct pci_virt *pv, struct pci_virt_fn *f, const struct pci_virt_cap *c)
{
	struct pci_virt_msi *m = &f->msi;
	struct msi_layout l = layout(c);
	const struct msi_ops *ops = pv->ops && pv->ops->msi ? pv->ops->msi : &no_msi_ops;
	struct msi_msg guest = { (u64)m->addr_hi << 32 | m->addr_lo, m->data & 0xffff }, hw;
	bool want = m->enable && !(l.mask && (m->mask & 1));
	bool live = want && !msi_route(ops, "MSI", 0, MSI_HANDLE_MSI, &guest, &hw);
	bool changed = live && (!m->hw_valid || m->hw.addr != hw.addr || m->hw.data != hw.data);

	if (want && !live)
		pv->stats.msi_refused++;
	/* quiet the device whenever it must not send, and (maskable) while its message
	 * changes: it holds an interrupt pending meanwhile. Without a mask bit, a live message
	 * is rewritten in place as Linux does: both halves are checked ones, so even a torn
	 * message goes to one of the guest's vectors and CPUs, and turning MSI off for the
	 * rewrite could lose an interrupt. */
	if (l.mask && (!live || changed))
		pci_virt_real_write(pv, f, c->off + l.mask, ~0u);
	else if (!l.mask && !live)
		hw_enable(pv, f, c, false);
	if (changed) {
		pci_virt_real_write(pv, f, c->off + MSI_ADDR_LO, (u32)hw.addr);
		if (l.addr_hi)
			pci_virt_real_write(pv, f, c->off + l.addr_hi, (u32)(hw.addr >> 32));
		u32 dw = pci_virt_real_read(pv, f, c->off + l.data);
		pci_virt_real_write(pv, f, c->off + l.data, (dw & 0xffff0000u) | (hw.data & 0xffff));
		m->hw = hw;
		m->hw_valid = true;
	}
	/* maskable: the enable bit follows the guest, the mask bit does the rest; otherwise
	 * enable is the only way to keep the device quiet */
	hw_enable(pv, f, c, l.mask ? m->enable : live);
	if (l.mask && live)
		pci_virt_real_write(pv, f, c->off + l.mask, ~1u);
}

void pci_virt_msi_write(struct pci_virt *pv, struct pci_virt_fn *f, const struct pci_virt_cap *c,
			u16 coff, u32 v)
{
	struct pci_virt_msi *m = &f->msi;
	struct msi_layout l = layout(c);

	if (coff == MSI_CTRL)
		m->enable = v & MSI_CTRL_ENABLE;	/* MME stays 0: one message */
	else if (coff == MSI_ADDR_LO)
		m->addr_lo = v & ~3u;
	else if (l.addr_hi && coff == l.addr_hi)
		m->addr_hi = v;
	else if (coff == l.data)
		m->data = v & 0xffff;
	else if (l.mask && coff == l.mask)
		m->mask = v & 1;	/* one vector: the other bits are reserved */
	else
		return;
	msi_sync(pv, f, c);
}
