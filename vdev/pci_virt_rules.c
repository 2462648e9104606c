/* The guest's config-space policy for the passed-through NIC, as data: which header and
 * capability registers it may read and write and which ones uhv emulates, which capabilities it
 * sees at all, and the lookup of the rule that covers a config byte. vdev/pci_virt.c applies
 * them. Design: docs/nic-passthrough.md. */
#include <uhv/pci_virt.h>
#include "pci_virt_priv.h"

/* Status bits that are write-1-to-clear (PCI 3.0, 6.2.3): master data parity error, signaled and
 * received target abort, received master abort, signaled system error, detected parity error. */
#define STATUS_W1C		0xf900
/* The command bits the guest may change: I/O and memory decode, bus master, INTx disable. Not
 * special cycles, MWI, VGA snoop, parity error response, SERR# enable or fast back-to-back:
 * parity and SERR# reporting end in an NMI or machine check that belongs to uhv. */
#define COMMAND_GUEST_MASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_INTX_DISABLE)

#define R(o, s, a, m)		{ .off = (o), .size = (s), .action = PCI_VIRT_##a, .mask = (m) }
#define EMU(o, s, e, m, w)	{ .off = (o), .size = (s), .action = PCI_VIRT_EMULATE, \
				  .emu = PCI_VIRT_EMU_##e, .mask = (m), .w1c = (w) }

const struct pci_virt_rule pci_virt_header_rules[] = {
	R(0x00, 2, READ_ONLY, 0),			/* vendor ID */
	R(0x02, 2, READ_ONLY, 0),			/* device ID */
	EMU(0x04, 2, COMMAND, COMMAND_GUEST_MASK, 0),
	EMU(0x06, 2, STATUS, STATUS_W1C, STATUS_W1C),
	R(0x08, 4, READ_ONLY, 0),			/* revision, class code */
	R(0x0c, 1, ALLOW, 0xff),			/* cache line size */
	R(0x0d, 1, ALLOW, 0xff),			/* latency timer */
	R(0x0e, 1, READ_ONLY, 0),			/* header type */
	R(0x0f, 1, READ_ONLY, 0),			/* BIST: starting it takes the device away */
	EMU(0x10, 4, BAR, 0, 0),
	EMU(0x14, 4, BAR, 0, 0),
	EMU(0x18, 4, BAR, 0, 0),
	EMU(0x1c, 4, BAR, 0, 0),
	EMU(0x20, 4, BAR, 0, 0),
	EMU(0x24, 4, BAR, 0, 0),
	R(0x28, 4, READ_ONLY, 0),			/* CardBus CIS pointer */
	R(0x2c, 2, READ_ONLY, 0),			/* subsystem vendor ID */
	R(0x2e, 2, READ_ONLY, 0),			/* subsystem ID */
	R(0x30, 4, DENY, 0),				/* expansion ROM: none for the guest */
	EMU(0x34, 1, CAP_PTR, 0, 0),
	R(0x35, 3, READ_ONLY, 0),			/* reserved */
	R(0x38, 4, READ_ONLY, 0),			/* reserved */
	R(0x3c, 1, ALLOW, 0xff),			/* interrupt line: a scratch byte for the OS */
	R(0x3d, 1, READ_ONLY, 0),			/* interrupt pin */
	R(0x3e, 1, READ_ONLY, 0),			/* min grant */
	R(0x3f, 1, READ_ONLY, 0),			/* max latency */
};
const unsigned pci_virt_header_nrules = ARRAY_SIZE(pci_virt_header_rules);

/* Capability rules are relative to the capability. Every visible capability keeps its ID and
 * gets an emulated next pointer, so hidden capabilities drop out of the chain. */
#define CAP_HDR		R(0x00, 1, READ_ONLY, 0), EMU(0x01, 1, CAP_NEXT, 0, 0)

/* MSI: every register the guest programs is emulated (vdev/pci_virt_msi.c): the guest reads
 * what it wrote, the device gets a message only after uhv checked it (fixed or lowest priority,
 * the guest's CPUs), in the form uhv chooses (interrupt remapping). The pending bits are the
 * device's. */
static const struct pci_virt_rule msi32_rules[] = {
	CAP_HDR,
	EMU(0x02, 2, MSI, 0, 0),	/* message control */
	EMU(0x04, 4, MSI, 0, 0),	/* message address */
	EMU(0x08, 2, MSI, 0, 0),	/* message data */
	R(0x0a, 2, READ_ONLY, 0),	/* reserved (per-vector masking layout) */
	EMU(0x0c, 4, MSI, 0, 0),	/* mask bits */
	R(0x10, 4, READ_ONLY, 0),	/* pending bits */
};

static const struct pci_virt_rule msi64_rules[] = {
	CAP_HDR,
	EMU(0x02, 2, MSI, 0, 0),
	EMU(0x04, 4, MSI, 0, 0),
	EMU(0x08, 4, MSI, 0, 0),	/* message upper address */
	EMU(0x0c, 2, MSI, 0, 0),
	R(0x0e, 2, READ_ONLY, 0),
	EMU(0x10, 4, MSI, 0, 0),
	R(0x14, 4, READ_ONLY, 0),
};

/* MSI-X: enable and function mask go to the device as written (the device's table entries are
 * masked unless uhv accepted their message: passthrough/msix.c traps the table); the table size
 * is the number of entries uhv emulates; table and PBA location read-only. */
static const struct pci_virt_rule msix_rules[] = {
	CAP_HDR,
	EMU(0x02, 2, MSIX_CTRL, 0xc000, 0),	/* message control: enable 15, function mask 14 */
	R(0x04, 4, READ_ONLY, 0),		/* table offset and BIR */
	R(0x08, 4, READ_ONLY, 0),		/* PBA offset and BIR */
};

/* Power management and PCI Express are shown but read-only: a D3 round trip may reset the BARs,
 * and PCIe device control holds function-level reset and the payload sizes firmware chose. */
static const struct pci_virt_rule ro_cap_rules[] = {
	CAP_HDR,
	R(0x02, 2, READ_ONLY, 0),
	R(0x04, 4, READ_ONLY, 0), R(0x08, 4, READ_ONLY, 0), R(0x0c, 4, READ_ONLY, 0),
	R(0x10, 4, READ_ONLY, 0), R(0x14, 4, READ_ONLY, 0), R(0x18, 4, READ_ONLY, 0),
	R(0x1c, 4, READ_ONLY, 0), R(0x20, 4, READ_ONLY, 0), R(0x24, 4, READ_ONLY, 0),
	R(0x28, 4, READ_ONLY, 0), R(0x2c, 4, READ_ONLY, 0), R(0x30, 4, READ_ONLY, 0),
	R(0x34, 4, READ_ONLY, 0), R(0x38, 4, READ_ONLY, 0),
};

/* Not listed, hence hidden: vendor-specific, and everything else. */
const struct pci_virt_cap_policy pci_virt_cap_policies[] = {
	{ PCI_CAP_ID_PM, PCI_VIRT_CAP_FIXED8, ro_cap_rules, ARRAY_SIZE(ro_cap_rules) },
	{ PCI_CAP_ID_MSI, PCI_VIRT_CAP_MSI32, msi32_rules, ARRAY_SIZE(msi32_rules) },
	{ PCI_CAP_ID_MSI, PCI_VIRT_CAP_MSI64, msi64_rules, ARRAY_SIZE(msi64_rules) },
	{ PCI_CAP_ID_PCIE, PCI_VIRT_CAP_PCIE, ro_cap_rules, ARRAY_SIZE(ro_cap_rules) },
	{ PCI_CAP_ID_MSIX, PCI_VIRT_CAP_MSIX, msix_rules, ARRAY_SIZE(msix_rules) },
};
const unsigned pci_virt_cap_npolicies = ARRAY_SIZE(pci_virt_cap_policies);

#undef R
#undef EMU

/* Functions the guest sees read-only get this one rule for every byte. */
static const struct pci_virt_rule ro_fn_rule = {
	.off = 0, .size = 4, .action = PCI_VIRT_READ_ONLY,
};

#define MSI_CTRL_64BIT		BIT(7)
#define MSI_CTRL_MASKABLE	BIT(8)

/* The policy and length of a capability at off with ID id whose message control (the upper
 * half of its first dword) is ctrl, or NULL (hidden). */
const struct pci_virt_cap_policy *pci_virt_cap_layout(u8 off, u8 id, u16 ctrl, u8 *len)
{
	u8 variant;

	switch (id) {
	case PCI_CAP_ID_PM:
		variant = PCI_VIRT_CAP_FIXED8;
		*len = 8;
		break;
	case PCI_CAP_ID_MSI:
		variant = (ctrl & MSI_CTRL_64BIT) ? PCI_VIRT_CAP_MSI64 : PCI_VIRT_CAP_MSI32;
		*len = (ctrl & MSI_CTRL_64BIT) ? 0x0e : 0x0a;
		if (ctrl & MSI_CTRL_MASKABLE)
			*len += 0x0a;
		break;
	case PCI_CAP_ID_MSIX:
		variant = PCI_VIRT_CAP_MSIX;
		*len = 12;
		break;
	case PCI_CAP_ID_PCIE:
		variant = PCI_VIRT_CAP_PCIE;
		*len = (ctrl & 0xf) >= 2 ? 0x3c : 0x24;
		break;
	default:
		return NULL;
	}
	if (off + *len > 256)
		*len = (u8)(256 - off);
	for (unsigned i = 0; i < pci_virt_cap_npolicies; i++) {
		const struct pci_virt_cap_policy *p = &pci_virt_cap_policies[i];
		if (p->id == id && p->variant == variant)
			return p;
	}
	return NULL;
}

static const struct pci_virt_rule *find_rule(const struct pci_virt_rule *rules, unsigned n,
					     u16 off)
{
	for (unsigned i = 0; i < n; i++)
		if (off >= rules[i].off && off < rules[i].off + rules[i].size)
			return &rules[i];
	return NULL;
}

const struct pci_virt_rule *pci_virt_rule_at(const struct pci_virt_fn *f, u16 off, u16 *base)
{
	*base = 0;
	if (!f || f->role == PCI_VIRT_HIDDEN)
		return NULL;
	if (f->role == PCI_VIRT_RO_FN) {
		*base = off & ~3;
		return &ro_fn_rule;
	}
	if (off < 0x40)
		return find_rule(pci_virt_header_rules, pci_virt_header_nrules, off);
	for (unsigned i = 0; i < f->ncaps; i++) {
		const struct pci_virt_cap *c = &f->caps[i];
		if (off >= c->off && off < c->off + c->len) {
			*base = c->off;
			return find_rule(c->policy->rules, c->policy->nrules, off - c->off);
		}
	}
	return NULL;
}
