/* VT-d interrupt remapping, the formats (drivers/vtd_ir_format.c, pure, host-tested in
 * test/unit/test_vtd_ir.c) and what the driver files share about it (drivers/vtd_ir.c).
 * VT-d spec chapter 5 (interrupt remapping), 9.10 (IRTE), 6.5.2.7 (IEC invalidation),
 * 11.4.4 / 11.4.30 (GCMD/GSTS, IRTA). The rest of uhv uses <uhv/irq_remap.h>. */
#ifndef UHV_VTD_IR_H
#define UHV_VTD_IR_H

#include <uhv/types.h>
#include <uhv/vtd.h>
#include <uhv/irq_remap.h>

/* IRTE, remapped format (VT-d spec 9.10), low half */
#define VTD_IRTE_P		BIT(0)		/* present */
#define VTD_IRTE_FPD		BIT(1)		/* fault processing disable */
#define VTD_IRTE_DM		BIT(2)		/* destination mode: 1 logical */
#define VTD_IRTE_RH		BIT(3)		/* redirection hint */
#define VTD_IRTE_TM		BIT(4)		/* trigger mode: 1 level */
#define VTD_IRTE_DLM(m)		((u64)(m) << 5)	/* delivery mode, bits 7:5 */
#define VTD_IRTE_DLM_FIXED	0
#define VTD_IRTE_DLM_LOWPRI	1
#define VTD_IRTE_IM		BIT(15)		/* IRTE mode: 1 posted */
#define VTD_IRTE_V(v)		((u64)(v) << 16)	/* vector, bits 23:16 */
#define VTD_IRTE_DST(d)		((u64)(d) << 32)	/* destination id, bits 63:32 */
/* xAPIC mode (no EIM): the unit reads the 8-bit APIC ID from DST bits 15:8 */
#define VTD_IRTE_DST_XAPIC(id)	VTD_IRTE_DST((u32)(id) << 8)
/* high half */
#define VTD_IRTE_SID(s)		((u64)(s))		/* source id, bits 79:64 */
#define VTD_IRTE_SQ(q)		((u64)(q) << 16)	/* source-id qualifier, 81:80 */
#define VTD_IRTE_SVT(t)		((u64)(t) << 18)	/* source validation type, 83:82 */
#define VTD_IRTE_SVT_NONE	0
#define VTD_IRTE_SVT_SID	1	/* requester id must equal SID (under SQ's mask) */
#define VTD_IRTE_SVT_BUS	2	/* requester's bus within [SID 15:8, SID 7:0] */

/* IRTA: table address | EIME (bit 11) | S (bits 3:0, 2^(S+1) entries) */
#define VTD_IRTA_EIME		BIT(11)
#define VTD_IRTA_S_MAX		15

/* IEC invalidation descriptor (type 4): G (bit 4: 1 index-selective), IM (31:27), IIDX (47:32) */
#define VTD_QI_IEC_G_INDEX	BIT(4)

/* Fault reasons of the interrupt kind: 0x20..0x27 (VT-d spec, non-recoverable fault reasons) */
#define VTD_FR_IR_FIRST		0x20
#define VTD_FR_IR_LAST		0x2f
#define VTD_FR_IR_INDEX_OVER	0x21
#define VTD_FR_IR_NOT_PRESENT	0x22
#define VTD_FR_IR_COMPAT	0x25
#define VTD_FR_IR_SID		0x26

/* Is the destination expressible? xAPIC mode: an 8-bit APIC ID (or logical mask); EIM: 32 bits.
 * Vector 16..255 (0..15 are reserved/illegal for fixed and lowest-priority delivery). */
int vtd_irte_check(const struct irq_remap_dest *d, bool eim);
/* The present, remapped-format, edge-triggered IRTE for d, usable only by requester id sid. */
struct vtd_entry128 vtd_irte(const struct irq_remap_dest *d, u16 sid, bool eim);
/* IRTA value for a table of 2^log2 entries (log2 1..16) at pa. */
u64 vtd_irta(paddr_t pa, unsigned log2, bool eim);
/* IEC invalidation: everything, or the 2^im entries from index (index aligned to that). */
struct vtd_entry128 vtd_qi_iec_global(void);
struct vtd_entry128 vtd_qi_iec_index(unsigned index, unsigned im);
/* The interrupt index a remappable-format message selects (handle + subhandle when SHV), or -1
 * for a compatibility-format message: what the unit does with it (VT-d spec 5.1.3). */
int vtd_msi_index(u64 addr, u32 data);

/* drivers/vtd_ir.c, for the self-test: GSTS of the unit remapping seg:bus:devfn (0: none). */
u32 vtd_ir_gsts(u16 seg, u8 bus, u8 devfn);
#define VTD_IR_TABLE_ENTRIES	1024	/* 2^VTD_IRT_LOG2 (drivers/vtd_priv.h) */

#endif
