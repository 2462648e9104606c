/* VT-d choices made from what a unit (CAP/ECAP) or the chipset says: queued or register-based
 * invalidation (vtd-inval=), and the write-buffer flush of units with CAP.RWBF or of chipsets
 * that need it without setting CAP.RWBF. Pure, or on a struct vtd_regio: host-tested. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/log.h>
#include "vtd_quirks.h"

#define PCI_VENDOR_INTEL	0x8086

bool vtd_inval_use_qi(u64 ecap, enum uhv_vtd_inval mode)
{
	return vtd_ecap_qi(ecap) && mode != UHV_VTD_INVAL_REG;
}

/* Host bridges (00:00.0) of Intel Mobile 4 Series / G4x chipsets: their unit needs a
 * write-buffer flush but leaves CAP.RWBF clear (Linux forces it for these, "rwbf_quirk"). */
static const u16 rwbf_quirk_bridges[] = { 0x2a40, 0x2e00, 0x2e10, 0x2e20, 0x2e30, 0x2e40,
					  0x2e90 };

bool vtd_need_wbf(u64 cap, u16 hb_vendor, u16 hb_device)
{
	if (vtd_cap_rwbf(cap))
		return true;
	if (hb_vendor != PCI_VENDOR_INTEL)
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(rwbf_quirk_bridges); i++)
		if (rwbf_quirk_bridges[i] == hb_device)
			return true;
	return false;
}

int vtd_write_buffer_flush(const struct vtd_regio *io, bool needed)
{
	if (!needed)
		return 0;
	u32 sts = io->rd32(io->ctx, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	io->wr32(io->ctx, VTD_GCMD, sts | VTD_GCMD_WBF);
	return io->wait32(io->ctx, VTD_GSTS, VTD_GSTS_WBFS, 0, "write-buffer flush");
}
