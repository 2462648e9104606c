/* Taking over a VT-d unit that firmware left with translation enabled (GSTS.TES): a
 * pre-boot DMA protection, a boot loader or a previous kernel (kexec) may leave it so.
 * Turning TE off to start afresh, as uhv did, opens a window in which every device's DMA is
 * untranslated and reaches all memory, uhv's included, until uhv turns TE on again. Here TE
 * stays on: the new (empty) root table is latched with SRTP and everything cached is
 * invalidated globally, so DMA is translated by firmware's tables until the SRTP and blocked by
 * uhv's from the invalidation on; the only gap is that cached firmware translations may be
 * used until the invalidation completes (measured, reported). Register sequence on a struct
 * vtd_regio: host-tested on a fake unit. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include "vtd_quirks.h"
#include "vtd_takeover.h"

/* 64-bit command registers: the command bit (63) is bit 31 of the upper half */
#define HI(off)		((off) + 4)
#define CMD_BIT_HI	BIT(31)

static int gcmd_state(const struct vtd_regio *io, u32 set, u32 clear, unsigned sts_off,
		      u32 sts_bit, u32 want, const char *what)
{
	u32 sts = io->rd32(io->ctx, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	io->wr32(io->ctx, VTD_GCMD, (sts & ~clear) | set);
	return io->wait32(io->ctx, sts_off, sts_bit, want, what);
}

/* Global invalidation through CCMD or IOTLB: write, wait for the command bit to clear, check
 * that the actual granularity (CAIG 60:59 / IAIG 58:57, upper-half bits 28:27 / 26:25) is
 * not 0 (refused). */
static int reg_invalidate(const struct vtd_regio *io, unsigned off, u64 cmd, unsigned ag_shift,
			  const char *what)
{
	vtd_regio_wr64(io, off, cmd);
	int err = io->wait32(io->ctx, HI(off), CMD_BIT_HI, 0, what);
	if (err)
		return err;
	if (((vtd_regio_rd64(io, off) >> ag_shift) & 3) == 0) {
		pr_err("%s: %s refused by the unit\n", io->name, what);
		return -EIO;
	}
	return 0;
}

int vtd_takeover(const struct vtd_regio *io, u64 cap, u64 ecap, paddr_t root, bool wbf,
		 u64 (*now)(void), struct vtd_takeover *out)
{
	u64 t0 = now(), t1 = t0;
	int err = 0;

	*out = (struct vtd_takeover){ 0 };
	/* firmware's queue: stopped, or the register invalidation below is ignored */
	if (io->rd32(io->ctx, VTD_GSTS) & VTD_GSTS_QIES) {
		out->stopped_qi = true;
		err = gcmd_state(io, 0, VTD_GCMD_QIE, VTD_GSTS, VTD_GSTS_QIES, 0,
				 "firmware's invalidation queue stop");
	}
	if (!err) {
		vtd_regio_wr64(io, VTD_RTADDR, root | VTD_RTADDR_TTM_LEGACY);
		t1 = now();
		/* SRTP with the state bits as they are: TE stays set */
		err = gcmd_state(io, VTD_GCMD_SRTP, 0, VTD_GSTS, VTD_GSTS_RTPS, VTD_GSTS_RTPS,
				 "root table pointer (translation kept on)");
	}
	if (!err)
		err = vtd_write_buffer_flush(io, wbf);
	if (!err)
		err = reg_invalidate(io, VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_CIRG_GLOBAL, 59,
				     "global context-cache invalidation");
	if (!err) {
		u64 drain = (vtd_cap_drd(cap) ? VTD_IOTLB_DR : 0) |
			    (vtd_cap_dwd(cap) ? VTD_IOTLB_DW : 0);
		err = reg_invalidate(io, vtd_ecap_iro(ecap) + VTD_IOTLB,
				     VTD_IOTLB_IVT | VTD_IOTLB_IIRG_GLOBAL | drain, 57,
				     "global IOTLB invalidation");
	}
	u64 t2 = now();
	out->stale_ticks = t2 - t1;
	out->total_ticks = t2 - t0;
	return err;
}
