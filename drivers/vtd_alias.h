/* DMA requester-id aliases (drivers/vtd_alias.c, pure): the ids a device's DMA can carry when
 * it reaches the remapping unit. Bridges to conventional PCI take over the transactions of the
 * devices below them, so the unit sees the bridge's id, or for a PCIe-to-PCI(-X) bridge the id
 * (secondary bus, device 0, function 0) (PCIe-to-PCI/PCI-X Bridge spec 1.0, 2.3). Every such
 * id needs a context entry pointing at the device's domain, or its DMA faults (reason 0x02). */
#ifndef UHV_VTD_ALIAS_H
#define UHV_VTD_ALIAS_H

#include <uhv/types.h>

enum vtd_bridge_kind {
	VTD_BRIDGE_PCIE_PORT,	/* PCIe root or switch port: requests keep their id */
	VTD_BRIDGE_PCIE_TO_PCI,	/* PCIe-to-PCI(-X) bridge: (secondary bus, 00.0) */
	VTD_BRIDGE_PCI,		/* conventional PCI-to-PCI (or PCI-to-PCIe) bridge: its own id */
};

struct vtd_alias_topo {
	/* The bridge whose secondary bus is seg:bus: its bus, devfn and kind. 0, or -ENOENT when
	 * no bridge leads there (a root bus). */
	int (*upstream)(void *ctx, u16 seg, u8 bus, u8 *br_bus, u8 *br_devfn,
			enum vtd_bridge_kind *kind);
	void *ctx;
};

#define VTD_MAX_ALIASES	8	/* the device's own id and one per conventional-PCI bridge above */

static inline u16 vtd_rid(u8 bus, u8 devfn) { return (u16)(bus << 8 | devfn); }

/* The requester ids of seg:bus:devfn's DMA: rids[0] is its own, then one per bridge on the way
 * up that replaces the id, nearest first, without repeats; the last one is what the unit sees.
 * Returns how many (1..max). */
unsigned vtd_dma_aliases(const struct vtd_alias_topo *t, u16 seg, u8 bus, u8 devfn, u16 *rids,
			 unsigned max);

#endif
