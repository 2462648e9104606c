/* Taking over a VT-d unit that firmware left translating (drivers/vtd_takeover.c). */
#ifndef UHV_VTD_TAKEOVER_H
#define UHV_VTD_TAKEOVER_H

#include <uhv/types.h>
#include "vtd_regio.h"

struct vtd_takeover {
	u64 stale_ticks;	/* SRTP issued .. global invalidation done: firmware's cached
				 * translations may still be used (never untranslated DMA) */
	u64 total_ticks;	/* the whole takeover */
	bool stopped_qi;	/* firmware's invalidation queue was stopped first */
};

/* With GSTS.TES set by firmware: point the unit at root (an empty root table: everything
 * blocked) while TE stays on, then invalidate the context cache and IOTLB globally through the
 * registers (after stopping firmware's queue: a unit ignores the registers while QIE is set),
 * with a write-buffer flush first where wbf. Translation is never turned off, so no DMA is
 * untranslated at any time (VT-d spec 10.4.4, 6.5: the root table may be changed while
 * translation is enabled, followed by global invalidations). now() counts time (TSC ticks).
 * 0, -ETIMEDOUT or -EIO (said what); out is filled either way. */
int vtd_takeover(const struct vtd_regio *io, u64 cap, u64 ecap, paddr_t root, bool wbf,
		 u64 (*now)(void), struct vtd_takeover *out);

#endif
