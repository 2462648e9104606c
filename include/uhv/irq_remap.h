/* VT-d interrupt remapping as the rest of uhv uses it (drivers/vtd_ir.c; docs/interrupts.md).
 *
 * uhv owns interrupt remapping on every DRHD unit with ECAP.IR: one interrupt-remapping table
 * (IRT) per unit in uhv's own memory, compatibility-format interrupts blocked (GSTS.CFIS
 * clear), so a device's interrupt reaches a CPU only through an IRTE uhv wrote. A device is
 * named as in vtd_attach_device (segment, bus, devfn: its own id); the IRTE's source check uses
 * the requester id the unit sees for it (vtd_dma_requester: a bridge to conventional PCI above
 * it replaces the id), so only that device, or the devices sharing its alias, may use the entry.
 *
 * Indices are per unit (the unit covering the device); a device gets a block of consecutive
 * indices with irq_remap_alloc and programs the message irq_remap_msi_msg gives for the first
 * one: for multi-message MSI the device adds the message number to the data, which the unit adds
 * to the handle (SHV = 1); for MSI-X each vector gets the message of its own index.
 *
 * Any CPU may call these (a VM exit): the allocator and the unit's invalidation queue are under
 * the unit's lock; one index is changed by one caller at a time (the code that owns the device).
 * irq_remap_set / irq_remap_mask return after the unit's interrupt-entry cache dropped the old
 * entry (IEC invalidation through the invalidation queue and a wait descriptor, up to 1 s before
 * -ETIMEDOUT): from then on the device's interrupts use the new entry. */
#ifndef UHV_IRQ_REMAP_H
#define UHV_IRQ_REMAP_H

#include <uhv/types.h>

/* The unit covering seg:bus:devfn has interrupt remapping on (owned by uhv). */
bool irq_remap_active(u16 seg, u8 bus, u8 devfn);

/* count consecutive free indices on the device's unit, all not present; *first is the first.
 * 0, -ENODEV (no unit remaps this device's interrupts), -EINVAL (count 0 or above
 * IRQ_REMAP_MAX_BLOCK), -ENOSPC (table full). */
#define IRQ_REMAP_MAX_BLOCK	2048	/* an MSI-X table's largest size */
int irq_remap_alloc(u16 seg, u8 bus, u8 devfn, unsigned count, unsigned *first);
/* Give the indices back: the entries are made not present first (and the cache invalidated). */
void irq_remap_free(u16 seg, u8 bus, u8 devfn, unsigned first, unsigned count);

/* Where an interrupt goes: vector 16..255, an APIC ID (physical) or a logical destination,
 * fixed or lowest-priority delivery, edge-triggered. The fields after dest_logical are for
 * IOAPIC entries (zero for MSI/MSI-X): level trigger, and NMI or ExtINT delivery (the vector
 * is then not checked: the CPU ignores it). */
struct irq_remap_dest {
	u8 vector;
	u32 dest_apic_id;	/* physical: APIC ID; logical: the logical destination */
	bool lowest_priority;	/* delivery mode 001 (with redirection hint), else fixed */
	bool dest_logical;	/* destination mode logical, else physical */
	bool level;		/* trigger mode level (IOAPIC level-triggered pins) */
	u8 special;		/* 0, or IRQ_REMAP_DLM_NMI / IRQ_REMAP_DLM_EXTINT */
};
#define IRQ_REMAP_DLM_NMI	4	/* delivery mode 100 */
#define IRQ_REMAP_DLM_EXTINT	7	/* delivery mode 111 */

/* Write IRTE index (from irq_remap_alloc for this device) as present: d's vector to d's
 * destination, SVT/SQ/SID so only the device's requester id may use it. In xAPIC mode the
 * destination must be an 8-bit APIC ID (the unit reads bits 15:8 of DST); with EIM any 32-bit
 * x2APIC ID. Returns after the IEC invalidation. 0, -ENODEV, -EINVAL (vector < 16, index not
 * allocated to this device's unit, destination too wide), -EIO/-ETIMEDOUT (invalidation failed:
 * said what). */
int irq_remap_set(u16 seg, u8 bus, u8 devfn, unsigned index, const struct irq_remap_dest *d);
/* Make IRTE index not present (its interrupts are then blocked with an IR fault, reason 0x22),
 * IEC invalidated before return. 0 or as irq_remap_set. */
int irq_remap_mask(u16 seg, u8 bus, u8 devfn, unsigned index);

/* The remappable-format MSI message for index (VT-d spec 5.1.2.2): address 0xFEE00000 with
 * bit 4 = 1 (remappable), handle[14:0] in bits 19:5, handle[15] in bit 2, SHV (bit 3) = 1;
 * data 0 (the subhandle: a multi-message MSI adds its message number). The upper address is 0. */
#define MSI_ADDR_BASE		0xfee00000u
#define MSI_ADDR_IF_REMAP	BIT(4)	/* interrupt format: remappable */
#define MSI_ADDR_SHV		BIT(3)	/* subhandle valid: data[15:0] is added to the handle */
#define MSI_ADDR_HANDLE_15	BIT(2)
void irq_remap_msi_msg(unsigned index, u64 *addr, u32 *data);

/* ---- IOAPICs (vdev/vioapic_hw.c, docs/interrupts.md "IOAPIC") ----
 * An IOAPIC is named by its I/O APIC id (MADT) and found in a DRHD's device scope of type
 * IOAPIC (enumeration id = that id), which also gives its source id (the requester id its
 * interrupt messages carry: 0xff00 in QEMU q35's DMAR, 0xf0f8 on many Intel boards). The same
 * index rules as above; the IRTE's source check is that source id. */
/* The unit naming ioapic_id in its scope remaps interrupts: 0 and *sid; -ENODEV (no unit
 * names it, or its unit does not remap). */
int irq_remap_ioapic(u8 ioapic_id, u16 *sid);
int irq_remap_ioapic_alloc(u8 ioapic_id, unsigned count, unsigned *first);
int irq_remap_ioapic_set(u8 ioapic_id, unsigned index, const struct irq_remap_dest *d);
/* True when some unit remaps interrupts and blocks compatibility format (CFI clear). */
bool irq_remap_compat_blocked(void);
/* Let compatibility-format interrupts through on every remapping unit (GSTS.CFIS), as
 * vtd-ir-compat=allow does; why is said in one loud line. For an IOAPIC that cannot be remapped
 * (no DRHD scope names it, table full): blocking its interrupts would break the guest. */
void irq_remap_compat_allow(const char *why);

#endif
