/* The SPCR table: the UART the firmware's console uses, as uhv's console when no legacy COM1
 * answers (docs/console.md). Only the 16550 kinds: other interface types (PL011, SBSA, ...) are
 * not on x86 machines, and uhv has no driver for them. */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

/* SPCR's baud rate codes; anything else means "as the firmware left it" */
static u32 spcr_baud(u8 code)
{
	switch (code) {
	case 3: return 9600;
	case 4: return 19200;
	case 6: return 57600;
	case 7: return 115200;
	default: return 0;
	}
}

/* Register stride from the GAS bit width (a register per byte or per dword), access width from
 * its access size (0, undefined: as wide as the stride). */
static int acpi_uart_layout(const char *table, const struct acpi_gas *g, struct acpi_spcr_info *out)
{
	if (g->bit_width != 0 && g->bit_width != 8 && g->bit_width != 32) {
		pr_warn("%s: register width %u bits; uhv drives 8- and 32-bit 16550 registers "
			"only: give console= (docs/console.md)\n", table, g->bit_width);
		return -EOPNOTSUPP;
	}
	out->shift = g->bit_width == 32 ? 2 : 0;
	switch (g->access_size) {
	case 0: out->access_bytes = g->bit_width == 32 ? 4 : 1; break;
	case 1: out->access_bytes = 1; break;
	case 3: out->access_bytes = 4; break;
	default:
		pr_warn("%s: access size %u (word/qword) is not supported: give console= "
			"(docs/console.md)\n", table, g->access_size);
		return -EOPNOTSUPP;
	}
	if (!out->mmio && (out->access_bytes != 1 || out->shift)) {
		pr_warn("%s: an I/O-port UART with %u-byte registers: give console= "
			"(docs/console.md)\n", table, out->access_bytes);
		return -EOPNOTSUPP;
	}
	return 0;
}

int acpi_uart_gas(const char *table, const struct acpi_gas *g, struct acpi_spcr_info *out)
{
	if ((g->space_id != ACPI_GAS_MEMORY && g->space_id != ACPI_GAS_IO) || !g->address ||
	    (g->space_id == ACPI_GAS_IO && g->address > 0xfff8)) {
		pr_warn("%s: base address %#llx in space %u is not a usable I/O port or memory "
			"address; not using it\n", table, g->address, g->space_id);
		return -EINVAL;
	}
	out->mmio = g->space_id == ACPI_GAS_MEMORY;
	out->address = g->address;
	return acpi_uart_layout(table, g, out);
}

int acpi_spcr_parse(const struct acpi_sdt_header *h, struct acpi_spcr_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENOENT;
	if (!acpi_sig_eq(h->signature, ACPI_SIG_SPCR) || h->length < ACPI_SPCR_MIN_SIZE) {
		pr_err("SPCR: not an SPCR table or too short (%u bytes); ignored\n", h->length);
		return -EINVAL;
	}
	const struct acpi_spcr *t = (const void *)h;
	out->interface_type = t->interface_type;
	if (t->interface_type != ACPI_DBG2_16550 && t->interface_type != ACPI_DBG2_16450 &&
	    t->interface_type != ACPI_DBG2_16550_GAS) {
		pr_warn("SPCR: interface type %#x is not a 16550; not using it (give console=, "
			"docs/console.md)\n", t->interface_type);
		return -EOPNOTSUPP;
	}
	int ret = acpi_uart_gas("SPCR", &t->base_address, out);
	if (ret < 0)
		return ret;
	out->baud = spcr_baud(t->baud_rate);
	if (t->pci_device_id != 0xffff && t->pci_vendor_id != 0xffff) {
		out->pci = true;
		out->pci_seg = t->pci_segment;
		out->pci_bus = t->pci_bus;
		out->pci_dev = t->pci_device;
		out->pci_fn = t->pci_function;
	}
	return 0;
}
