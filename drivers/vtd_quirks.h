/* VT-d decisions that depend on what a unit or chipset says about itself (drivers/vtd_quirks.c,
 * drivers/vtd_pmr.c), pure or on a struct vtd_regio: host-tested. */
#ifndef UHV_VTD_QUIRKS_H
#define UHV_VTD_QUIRKS_H

#include <uhv/types.h>
#include <uhv/options.h>
#include "vtd_regio.h"

/* Invalidate through the queue? Only where ECAP.QI, and not with vtd-inval=reg. */
bool vtd_inval_use_qi(u64 ecap, enum uhv_vtd_inval mode);

/* Does the unit need a write-buffer flush before it sees table updates? CAP.RWBF, or a host
 * bridge (00:00.0, vendor:device) of a chipset known to need it without saying so. */
bool vtd_need_wbf(u64 cap, u16 hb_vendor, u16 hb_device);
/* The flush itself where needed: GCMD.WBF (keeping the state bits), wait for GSTS.WBFS = 0. */
int vtd_write_buffer_flush(const struct vtd_regio *io, bool needed);

/* Protected-memory regions (PMEN, PLMBASE/LIMIT, PHMBASE/LIMIT), call with translation on:
 * where CAP.PLMR or CAP.PHMR say they exist and firmware left them enabled, print them,
 * clear PMEN.EPM and wait for PMEN.PRS to clear. 0 (also when there is nothing to do), or
 * -ETIMEDOUT (said: the regions stay protected). */
int vtd_pmr_disable(const struct vtd_regio *io, u64 cap);

#endif
