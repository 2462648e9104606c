/* VT-d protected-memory regions (VT-d spec 10.4.16-10.4.20). Firmware (or a measured launch)
 * may leave PMEN.EPM set so that untranslated DMA into [PLMBASE, PLMLIMIT] and [PHMBASE,
 * PHMLIMIT] is blocked whatever the translation tables say. Once uhv's translation is on,
 * those regions are what the tables make them; leaving them protected would only block DMA
 * the guest's domain allows (the guest's RAM may lie there). So they are turned off after
 * TE is set, never before: in between, DMA stays blocked by one or the other. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include "vtd_quirks.h"

int vtd_pmr_disable(const struct vtd_regio *io, u64 cap)
{
	/* without PLMR and PHMR, PMEN is reserved (QEMU: reads 0, ignores writes) */
	if (!vtd_cap_plmr(cap) && !vtd_cap_phmr(cap))
		return 0;
	u32 pmen = io->rd32(io->ctx, VTD_PMEN);
	if (!(pmen & (VTD_PMEN_EPM | VTD_PMEN_PRS)))
		return 0;
	if (vtd_cap_plmr(cap))
		pr_info("%s: firmware left the protected low-memory region on: [%#x, %#x]\n",
			io->name, io->rd32(io->ctx, VTD_PLMBASE), io->rd32(io->ctx, VTD_PLMLIMIT));
	if (vtd_cap_phmr(cap))
		pr_info("%s: firmware left the protected high-memory region on: [%#llx, %#llx]\n",
			io->name, vtd_regio_rd64(io, VTD_PHMBASE),
			vtd_regio_rd64(io, VTD_PHMLIMIT));
	io->wr32(io->ctx, VTD_PMEN, pmen & ~VTD_PMEN_EPM);
	int err = io->wait32(io->ctx, VTD_PMEN, VTD_PMEN_PRS, 0, "protected memory disable");
	if (err) {
		pr_warn("%s: the protected memory regions stay on: devices cannot DMA into them, "
			"whatever their domain maps\n", io->name);
		return err;
	}
	pr_info("%s: protected memory regions turned off (PMEN.PRS clear); translation alone "
		"decides what devices reach\n", io->name);
	return 0;
}
