/* Finding the ACPI tables the guest was given: the RSDP from the multiboot2 ACPI tags (uhv gives
 * its own copy there), else from the EBDA and 0xe0000-0xfffff as on a PC; then RSDT/XSDT and a
 * table by signature (guest/lib/acpi.c, used by smptest and the selftest). */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include "rt.h"
#include <uhv/hw/acpi_tables.h>

struct acpi_root {
	u32 rsdp;		/* where the RSDP was found */
	const char *rsdp_from;	/* "multiboot2 tag 15", "EBDA", ... */
	u32 root;		/* RSDT or XSDT address */
	bool xsdt;
};

/* Returns 0, or -1 with why in err. */
int acpi_root_find(struct acpi_root *r, char *err, size_t errlen);
/* The first table with this signature the root lists (checksum checked), or NULL. */
const struct acpi_sdt_header *acpi_table_find(const struct acpi_root *r, const char sig[4]);

#endif
