/* VT-d interrupt remapping formats, pure (drivers/vtd_ir.h): the IRTE uhv writes, the IRTA
 * value, IEC invalidation descriptors and the remappable MSI message. Host-tested
 * (test/unit/test_vtd_ir.c). */
#include <uhv/errno.h>
#include "vtd_ir.h"

int vtd_irte_check(const struct irq_remap_dest *d, bool eim)
{
	if (d->special && d->special != IRQ_REMAP_DLM_NMI && d->special != IRQ_REMAP_DLM_EXTINT)
		return -EINVAL;
	/* NMI and ExtINT carry no vector the CPU uses; NMI is edge only */
	if (!d->special && d->vector < 16)
		return -EINVAL;
	if (d->special && d->lowest_priority)
		return -EINVAL;
	if (d->special == IRQ_REMAP_DLM_NMI && d->level)
		return -EINVAL;
	if (!eim && d->dest_apic_id > 0xff)
		return -EINVAL;
	return 0;
}

struct vtd_entry128 vtd_irte(const struct irq_remap_dest *d, u16 sid, bool eim)
{
	u64 lo = VTD_IRTE_P | VTD_IRTE_V(d->vector) |
		 (eim ? VTD_IRTE_DST(d->dest_apic_id) : VTD_IRTE_DST_XAPIC(d->dest_apic_id & 0xff));
	if (d->dest_logical)
		lo |= VTD_IRTE_DM;
	/* lowest priority: one CPU of the destination set (RH 1); fixed: all of it (RH 0) */
	if (d->lowest_priority)
		lo |= VTD_IRTE_DLM(VTD_IRTE_DLM_LOWPRI) | VTD_IRTE_RH;
	else if (d->special)
		lo |= VTD_IRTE_DLM(d->special);
	/* TM: MSI and MSI-X are edge (0); an IOAPIC's level pin must have TM 1, matching its
	 * RTE, or the EOI never reaches the IOAPIC (VT-d spec 5.1.5.1). FPD 0: faults are
	 * recorded. */
	if (d->level)
		lo |= VTD_IRTE_TM;
	return (struct vtd_entry128){
		.lo = lo,
		/* SQ 0: all 16 bits of the requester id must match */
		.hi = VTD_IRTE_SID(sid) | VTD_IRTE_SQ(0) | VTD_IRTE_SVT(VTD_IRTE_SVT_SID),
	};
}

u64 vtd_irta(paddr_t pa, unsigned log2, bool eim)
{
	return (pa & VTD_ENTRY_ADDR_MASK) | (eim ? VTD_IRTA_EIME : 0) | ((log2 - 1) & 0xf);
}

struct vtd_entry128 vtd_qi_iec_global(void)
{
	return (struct vtd_entry128){ .lo = VTD_QI_TYPE_IEC };
}

struct vtd_entry128 vtd_qi_iec_index(unsigned index, unsigned im)
{
	return (struct vtd_entry128){
		.lo = VTD_QI_TYPE_IEC | VTD_QI_IEC_G_INDEX | ((u64)(im & 0x1f) << 27) |
		      ((u64)(index & 0xffff) << 32),
	};
}

void irq_remap_msi_msg(unsigned index, u64 *addr, u32 *data)
{
	*addr = MSI_ADDR_BASE | ((index & 0x7fff) << 5) | MSI_ADDR_IF_REMAP | MSI_ADDR_SHV |
		((index & 0x8000) ? MSI_ADDR_HANDLE_15 : 0);
	*data = 0;
}

int vtd_msi_index(u64 addr, u32 data)
{
	if (!(addr & MSI_ADDR_IF_REMAP))
		return -1;
	unsigned handle = (unsigned)((addr >> 5) & 0x7fff) | ((addr & MSI_ADDR_HANDLE_15) ? 0x8000 : 0);
	if (addr & MSI_ADDR_SHV)
		handle += data & 0xffff;
	return (int)(handle & 0xffff);
}
