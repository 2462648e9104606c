/* The guest's view of ACPI (arch/acpi_guest.c): a copy of the root of the firmware's tables
 * with what the guest must not see taken out.
 *
 *  - DMAR (and AMD's IVRS) are dropped from the RSDT/XSDT: uhv owns the IOMMU, and a guest that
 *    finds it would program it behind uhv's back;
 *  - the MADT is replaced by a copy that lists only the CPU the guest runs on (uhv runs a
 *    single-CPU guest: others would get INIT/SIPI from it), with the local-APIC NMI entries of
 *    the CPUs left out dropped too, and no multiprocessor-wakeup mailbox;
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
	unsigned cpus_dropped;	/* MADT CPU entries of other CPUs */
};

/* Bytes the block needs for a (an upper bound; 0 when a has no root table). */
size_t acpi_guest_size(const struct acpi *a);

/* Build the block into buf (cap bytes, 16-byte aligned) for guest-physical address gpa. bsp_apic_id
 * is the (x2)APIC ID of the CPU the guest runs on. Returns 0, -ENOENT (no root table, or no MADT
 * entry for that CPU: message printed), -ENOSPC (cap too small). */
int acpi_guest_build(const struct acpi *a, u32 bsp_apic_id, void *buf, size_t cap, u64 gpa,
		     struct acpi_guest_info *out);

/* SLP_TYP values of the S5 (soft-off) state from the DSDT's \_S5 package (AML:
 * NameOp "_S5_" PackageOp PkgLength NumElements, then byte/zero/one constants): *typ_a for
 * PM1a_CNT, *typ_b for PM1b_CNT. Returns 0, or -ENOENT when the DSDT has no _S5 object this
 * simple reader understands. */
int acpi_dsdt_s5(const struct acpi_sdt_header *dsdt, u8 *typ_a, u8 *typ_b);

#endif
