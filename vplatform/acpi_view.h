/* The guest's view of ACPI (vplatform/acpi_view.c): a copy of the root of the firmware's tables
 * with what the guest must not see taken out.
 *
 *  - DMAR (and AMD's IVRS) are dropped from the RSDT/XSDT: uhv owns the IOMMU, and a guest that
 *    finds it would program it behind uhv's back;
 *  - the MADT is replaced by a copy that lists only the CPUs given to the guest (cpus=: the
 *    boot CPU and APs uhv started; a CPU the guest does not know of is one it will not try to
 *    start), with the local-APIC NMI entries of the CPUs left out dropped too, and no
 *    multiprocessor-wakeup mailbox;
 *  - every other table (FADT, DSDT, FACS, SSDTs, HPET, MCFG, ...) stays where the firmware put
 *    it: the copies point at the originals, which the guest reaches through its memory map.
 *
 * The copy is one block: the RSDP (36 bytes, revision as the firmware's: 2 with an XSDT, else 0),
 * then the XSDT (if the firmware's root is one), the RSDT, the MADT; lengths and checksums are
 * recomputed, OEM fields kept (Linux matches quirks on them). Pure: tables are read through the
 * struct acpi's map callback, the block is built in a caller's buffer that the guest will see at
 * guest-physical address gpa. */
#ifndef UHV_ACPI_GUEST_H
#define UHV_ACPI_GUEST_H

#include <uhv/types.h>
#include <uhv/acpi.h>

#define ACPI_GUEST_MADT_WAKEUP	0x10	/* MADT multiprocessor wakeup structure (ACPI 6.4) */

struct acpi_guest_info {
	u64 rsdp_gpa, xsdt_gpa, rsdt_gpa, madt_gpa;	/* 0: not built */
	size_t size;		/* bytes of the block used */
	unsigned entries;	/* root table entries kept */
	unsigned dropped;	/* root table entries dropped (DMAR, IVRS) */
	unsigned cpus_kept;	/* MADT CPU entries of the guest's CPUs */
	unsigned cpus_dropped;	/* MADT CPU entries of other CPUs */
};

/* Bytes the block needs for a (an upper bound; 0 when a has no root table). */
size_t acpi_guest_size(const struct acpi *a);

/* Build the block into buf (cap bytes, 16-byte aligned) for guest-physical address gpa.
 * apic_ids[0..n_ids) are the (x2)APIC IDs of the guest's CPUs, the one it boots on first: their
 * LAPIC/x2APIC entries stay (in the firmware's order), with the NMI entries for all CPUs or for
 * one of them; every other CPU's entries go. Returns 0, -ENOENT (no root table, or no MADT entry
 * for one of the CPUs: message printed), -EINVAL (n_ids 0 or above ACPI_MAX_CPUS), -ENOSPC (cap
 * too small). */
int acpi_guest_build(const struct acpi *a, const u32 *apic_ids, unsigned n_ids, void *buf,
		     size_t cap, u64 gpa, struct acpi_guest_info *out);

#endif
