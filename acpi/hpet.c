/* The HPET table: where the High Precision Event Timer's registers are. */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

int acpi_hpet_parse(const struct acpi_sdt_header *h, struct acpi_hpet_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENOENT;
	if (!acpi_sig_eq(h->signature, ACPI_SIG_HPET) || h->length < sizeof(struct acpi_hpet)) {
		pr_err("HPET: not an HPET table or too short (%u bytes)\n", h->length);
		return -EINVAL;
	}
	const struct acpi_hpet *t = (const void *)h;
	if (t->address.space_id != ACPI_GAS_MEMORY || t->address.address == 0) {
		pr_warn("HPET table gives no memory address (space %u); not using the HPET\n",
			t->address.space_id);
		return -EINVAL;
	}
	out->address = t->address.address;
	out->number = t->hpet_number;
	out->min_tick = t->min_clock_tick;
	return 0;
}
