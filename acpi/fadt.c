/* The FADT (signature FACP): the DSDT's address, the SCI, the PM timer, the PM1 control ports
 * (power-off) and the reset register. */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

int acpi_fadt_parse(const struct acpi_sdt_header *h, struct acpi_fadt_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return -ENOENT;
	if (!acpi_sig_eq(h->signature, ACPI_SIG_FADT) || h->length < ACPI_FADT_V1_SIZE) {
		pr_err("FADT: not a FACP table or too short (%u bytes)\n", h->length);
		return -EINVAL;
	}
	const struct acpi_fadt *f = (const void *)h;
	out->revision = h->revision;
	out->sci_irq = f->sci_int;
	out->pm_timer_port = f->pm_tmr_len == 4 ? (u16)f->pm_tmr_blk : 0;
	out->flags = f->flags;
	out->pm_timer_32bit = f->flags & ACPI_FADT_F_TMR_VAL_EXT;
	out->dsdt = f->dsdt;
	/* IAPC_BOOT_ARCH is reserved (0) in ACPI 1.0 tables. */
	if (h->revision >= 2)
		out->boot_arch = f->iapc_boot_arch;
	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_firmware_ctrl)) {
		out->reset_supported = f->flags & ACPI_FADT_F_RESET_REG_SUP;
		out->reset_reg = f->reset_reg;
		out->reset_value = f->reset_value;
	}
	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_pm1a_evt_blk) && f->x_dsdt)
		out->dsdt = f->x_dsdt;
	/* PM1x_CNT (where SLP_TYP/SLP_EN go): the 64-bit GAS wins when it names an I/O port */
	out->pm1a_cnt_port = (u16)f->pm1a_cnt_blk;
	out->pm1b_cnt_port = (u16)f->pm1b_cnt_blk;
	out->pm1_cnt_len = f->pm1_cnt_len;
	if (h->length >= __builtin_offsetof(struct acpi_fadt, x_pm1b_cnt_blk) +
			 sizeof(struct acpi_gas)) {
		if (f->x_pm1a_cnt_blk.space_id == ACPI_GAS_IO && f->x_pm1a_cnt_blk.address)
			out->pm1a_cnt_port = (u16)f->x_pm1a_cnt_blk.address;
		if (f->x_pm1b_cnt_blk.space_id == ACPI_GAS_IO && f->x_pm1b_cnt_blk.address)
			out->pm1b_cnt_port = (u16)f->x_pm1b_cnt_blk.address;
	}
	return 0;
}
