/* DMA requester-id aliases: which ids a device's DMA carries at the remapping unit, walking the
 * bridges above it (the rules Linux's pci_for_each_dma_alias and QEMU's
 * pci_device_iommu_address_space also follow). Pure: the topology comes from callbacks. */
#include <uhv/errno.h>
#include "vtd_alias.h"

static unsigned add_rid(u16 *rids, unsigned n, unsigned max, u16 rid)
{
	for (unsigned i = 0; i < n; i++)
		if (rids[i] == rid)
			return n;
	if (n < max)
		rids[n++] = rid;
	return n;
}

unsigned vtd_dma_aliases(const struct vtd_alias_topo *t, u16 seg, u8 bus, u8 devfn, u16 *rids,
			 unsigned max)
{
	unsigned n = 0;

	if (!max)
		return 0;
	rids[n++] = vtd_rid(bus, devfn);
	/* at most 255 hops: a loop in broken bus numbering ends here too */
	for (unsigned hop = 0; hop < 255 && t && t->upstream; hop++) {
		u8 br_bus, br_devfn;
		enum vtd_bridge_kind kind;
		if (t->upstream(t->ctx, seg, bus, &br_bus, &br_devfn, &kind))
			break;
		if (kind == VTD_BRIDGE_PCIE_TO_PCI)
			n = add_rid(rids, n, max, vtd_rid(bus, 0));
		else if (kind == VTD_BRIDGE_PCI)
			n = add_rid(rids, n, max, vtd_rid(br_bus, br_devfn));
		if (br_bus == bus)
			break;
		bus = br_bus;
	}
	return n;
}
