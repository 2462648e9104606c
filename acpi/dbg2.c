/* The DBG2 table: the firmware's debug ports. Its first 16550 serial port is a console source
 * after SPCR (arch/console.c); the rest (USB, network, 1394 debug ports, other UARTs) is
 * skipped. */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

static bool is_16550(const struct acpi_dbg2_device *d)
{
	return d->port_type == ACPI_DBG2_PORT_SERIAL &&
	       (d->port_subtype == ACPI_DBG2_16550 || d->port_subtype == ACPI_DBG2_16450 ||
		d->port_subtype == ACPI_DBG2_16550_GAS);
}

int acpi_dbg2_parse(const struct acpi_sdt_header *h, struct acpi_spcr_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENOENT;
	if (!acpi_sig_eq(h->signature, ACPI_SIG_DBG2) || h->length < sizeof(struct acpi_dbg2)) {
		pr_err("DBG2: not a DBG2 table or too short (%u bytes); ignored\n", h->length);
		return -EINVAL;
	}
	const struct acpi_dbg2 *t = (const void *)h;
	u64 off = t->info_offset;
	for (u32 i = 0; i < t->info_count; i++) {
		const struct acpi_dbg2_device *d = (const void *)((const u8 *)h + off);
		if (off + sizeof(*d) > h->length || d->length < sizeof(*d) ||
		    off + d->length > h->length) {
			pr_err("DBG2: device %u at offset %llu runs past the table (%u bytes); "
			       "ignored\n", i, off, h->length);
			return -EINVAL;
		}
		if (is_16550(d) && d->register_count >= 1 &&
		    d->base_address_offset + sizeof(struct acpi_gas) <= d->length) {
			struct acpi_gas g;
			memcpy(&g, (const u8 *)d + d->base_address_offset, sizeof(g));
			out->interface_type = (u8)d->port_subtype;
			return acpi_uart_gas("DBG2", &g, out);	/* no baud field: keep */
		}
		off += d->length;
	}
	return -ENODEV;
}
