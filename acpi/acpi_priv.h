/* Helpers shared by the ACPI table parsers in acpi/ (not part of <uhv/acpi.h>: nothing outside
 * this folder needs them). */
#ifndef UHV_ACPI_PRIV_H
#define UHV_ACPI_PRIV_H

#include <uhv/types.h>
#include <uhv/acpi.h>

/* Table signatures are 4 bytes without a terminating NUL. */
static inline bool acpi_sig_eq(const char *a, const char *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* A 16550's generic address structure (SPCR, DBG2) into out: space, address, stride and width.
 * 0, or -EINVAL / -EOPNOTSUPP, said naming the table (acpi/spcr.c). */
int acpi_uart_gas(const char *table, const struct acpi_gas *g, struct acpi_spcr_info *out);

#endif
