/* Helpers shared by the ACPI table parsers in acpi/ (not part of <uhv/acpi.h>: nothing outside
 * this folder needs them). */
#ifndef UHV_ACPI_PRIV_H
#define UHV_ACPI_PRIV_H

#include <uhv/types.h>

/* Table signatures are 4 bytes without a terminating NUL. */
static inline bool acpi_sig_eq(const char *a, const char *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

#endif
