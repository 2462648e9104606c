/* A VT-d unit's registers as callbacks, so the register sequences that are decisions
 * (protected-memory regions, write-buffer flush, taking over from firmware) run on the host
 * against a fake register file (test/unit/test_vtd_quirks.c) and in uhv against the unit
 * (vtd_unit_regio() in drivers/vtd.c). */
#ifndef UHV_VTD_REGIO_H
#define UHV_VTD_REGIO_H

#include <uhv/types.h>

struct vtd_regio {
	u32 (*rd32)(void *ctx, unsigned off);
	void (*wr32)(void *ctx, unsigned off, u32 v);
	/* poll until (rd32(off) & mask) == want, bounded; 0, or -ETIMEDOUT (said what) */
	int (*wait32)(void *ctx, unsigned off, u32 mask, u32 want, const char *what);
	void *ctx;
	const char *name;	/* "unit 0 @0xfed90000", for messages */
};

static inline u64 vtd_regio_rd64(const struct vtd_regio *io, unsigned off)
{
	u32 lo = io->rd32(io->ctx, off), hi = io->rd32(io->ctx, off + 4);
	return ((u64)hi << 32) | lo;
}

static inline void vtd_regio_wr64(const struct vtd_regio *io, unsigned off, u64 v)
{
	io->wr32(io->ctx, off, (u32)v);
	io->wr32(io->ctx, off + 4, (u32)(v >> 32));
}

#endif
