/* The MSI-X table of the passed-through NIC as the guest sees it (docs/interrupts.md, "MSI-X").
 * uhv traps the table's page(s) of the BAR; each guest access to an entry lands here. The guest's
 * view of every entry (address, data, vector control) is kept apart from the device's real
 * entry: the device's entry is unmasked only while the guest's entry is unmasked and holds a
 * message msi_route accepted, and then carries the message uhv chose (re-encoded compatibility
 * format, or the remappable format of an IRTE). A masked entry may be rewritten freely; the
 * check happens when the entry is live. Because uhv mirrors the mask bit into the device's
 * entry, the device holds a masked vector's interrupt pending (PBA) and sends it on unmask
 * itself (PCI Local Bus 3.0, 6.8.2.9). The function mask and MSI-X enable (message control) go
 * to the device unchanged through config space (vdev/pci_virt.c).
 * Pure: the device's table through struct msix_hw_ops, the policy through struct msi_ops. */
#ifndef UHV_MSIX_TABLE_H
#define UHV_MSIX_TABLE_H

#include <uhv/types.h>
#include <uhv/msi.h>

#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_ADDR_LO	0x0
#define MSIX_ENTRY_ADDR_HI	0x4
#define MSIX_ENTRY_DATA		0x8
#define MSIX_ENTRY_CTRL		0xc	/* vector control */
#define MSIX_CTRL_MASKBIT	BIT(0)
/* Entries uhv keeps a view of; a device with more is shown this many (table size in message
 * control), the rest stay masked. 256 covers the 1G/10G NICs (igb 25, ixgbe 64, i40e 129). */
#define MSIX_MAX_VECTORS	256

struct msix_entry {
	u32 addr_lo, addr_hi, data, ctrl;	/* the guest's view */
	struct msi_msg hw;			/* the message the device's entry holds */
	bool hw_valid;				/* hw is known (written by uhv) */
	bool hw_masked;				/* the device's mask bit */
};

/* The device's table, as offsets from its start. */
struct msix_hw_ops {
	void (*write32)(void *ctx, u32 off, u32 val);
	void *ctx;
};

struct msix_table {
	unsigned nvec;				/* entries the guest sees */
	const struct msix_hw_ops *hw;
	const struct msi_ops *msi;
	u64 refused;				/* live entries left masked (bad message) */
	u64 programmed;				/* messages written into device entries */
	u64 bad_accesses;			/* not a dword/qword access at its own alignment */
	struct msix_entry e[MSIX_MAX_VECTORS];
};

/* nvec entries (at most MSIX_MAX_VECTORS), every one masked in the device and reset in the
 * guest's view (address and data 0, masked), as after a function reset. */
void msix_table_init(struct msix_table *t, unsigned nvec, const struct msix_hw_ops *hw,
		     const struct msi_ops *msi);

/* A guest access at byte off of the table: dword or qword at its own alignment (PCI 3.0
 * 6.8.2: other accesses are undefined; reads of other sizes give the view's bytes, writes of
 * other sizes are dropped and return -EINVAL; both are counted in bad_accesses). A read beyond
 * nvec entries gives 0; a write there is dropped. */
int msix_table_access(struct msix_table *t, u32 off, unsigned size, bool write, u64 *val);

/* Entries to show of a device that has n: MIN(n, MSIX_MAX_VECTORS). */
static inline unsigned msix_table_visible(unsigned n)
{
	return n < MSIX_MAX_VECTORS ? n : MSIX_MAX_VECTORS;
}

#endif
