/* The FADT (signature FACP): the DSDT's address, the SCI, the PM timer, the PM1 event and control
 * blocks (power-off), the GPE blocks, SMI_CMD and the reset register (the I/O port policy). */
#define LOG_MODULE "acpi"
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include "acpi_priv.h"

/* An X_ GAS (ACPI 2.0+) wins over the 32-bit block address when the table holds it and it names
 * a nonzero I/O port. */
static void x_port(const struct acpi_sdt_header *h, const struct acpi_gas *g, u16 *port)
{
	size_t end = (size_t)((const u8 *)g - (const u8 *)h) + sizeof(*g);

	if (h->length >= end && g->space_id == ACPI_GAS_IO && g->address)
		*port = (u16)g->address;
}

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
	out->pm1a_evt_port = (u16)f->pm1a_evt_blk;
	out->pm1b_evt_port = (u16)f->pm1b_evt_blk;
	out->pm1_evt_len = f->pm1_evt_len;
	out->gpe0_port = f->gpe0_blk_len ? (u16)f->gpe0_blk : 0;
	out->gpe1_port = f->gpe1_blk_len ? (u16)f->gpe1_blk : 0;
	out->gpe0_len = out->gpe0_port ? f->gpe0_blk_len : 0;
	out->gpe1_len = out->gpe1_port ? f->gpe1_blk_len : 0;
	out->smi_cmd = (u16)f->smi_cmd;
	out->acpi_enable = f->acpi_enable;
	out->acpi_disable = f->acpi_disable;
	x_port(h, &f->x_pm_tmr_blk, &out->pm_timer_port);	/* X_PM_TMR_BLK (ACPI 2.0+) */
	x_port(h, &f->x_pm1a_cnt_blk, &out->pm1a_cnt_port);
	x_port(h, &f->x_pm1b_cnt_blk, &out->pm1b_cnt_port);
	x_port(h, &f->x_pm1a_evt_blk, &out->pm1a_evt_port);
	x_port(h, &f->x_pm1b_evt_blk, &out->pm1b_evt_port);
	if (out->gpe0_len)
		x_port(h, &f->x_gpe0_blk, &out->gpe0_port);
	if (out->gpe1_len)
		x_port(h, &f->x_gpe1_blk, &out->gpe1_port);
	return 0;
}
