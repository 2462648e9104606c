/* VT-d fault reporting, the hardware side: reading and clearing a unit's fault recording
 * registers, printing each kind of fault once and counting the repeats, and the queries the
 * self-test and the end-of-run summary use. The record decoder and the print-once log are pure
 * and live in vtd_fault.c. */
#define LOG_MODULE "vtd"
#include <uhv/errno.h>
#include <uhv/log.h>
#include "vtd_priv.h"

void vtd_clear_faults(struct vtd_unit *u, bool report_leftovers)
{
	unsigned fro = vtd_cap_fro(u->cap), nfr = vtd_cap_nfr(u->cap);
	u32 fsts = rd32(u, VTD_FSTS);

	for (unsigned i = 0; i < nfr; i++) {
		unsigned off = fro + i * VTD_FRCD_SIZE;
		u64 hi = rd64(u, off + VTD_FRCD_HI);
		if (!(hi & BIT(63)))
			continue;
		u64 lo = rd64(u, off + VTD_FRCD_LO);
		struct vtd_fault f;
		vtd_fault_decode(lo, hi, &f);
		u64 n = vtd_fault_log_record(&vtd.flog, &f);
		char buf[256];
		vtd_fault_format(&f, buf, sizeof(buf));
		/* A device stuck in a DMA loop faults thousands of times a second:
		 * print each kind once, count the rest (vtd_fault_summary). */
		if (report_leftovers)
			pr_warn("%s: fault left over from before uhv: %s\n", u->name, buf);
		else if (n == 1)
			pr_err("%s: fault #%llu: %s (printed once; repeats are counted)\n", u->name,
			       vtd.flog.total, buf);
		else
			pr_debug("%s: fault #%llu: repeat %llu of: %s\n", u->name,
				 vtd.flog.total, n, buf);
		/* F is RW1C in the upper dword. Until it is clear, hardware may
		 * drop further faults (QEMU drops all from the same source). */
		wr32(u, off + VTD_FRCD_HI + 4, (u32)(BIT(63) >> 32));
	}
	if (fsts & VTD_FSTS_PFO)
		pr_warn("%s: fault records overflowed; some faults were not recorded\n", u->name);
	if (fsts & VTD_FSTS_W1C_MASK)
		wr32(u, VTD_FSTS, fsts & VTD_FSTS_W1C_MASK);
}

void vtd_poll_faults(void)
{
	if (!vtd.active)
		return;
	for (unsigned i = 0; i < vtd.nr_units; i++) {
		struct vtd_unit *u = &vtd.units[i];
		if (rd32(u, VTD_FSTS) & (VTD_FSTS_PPF | VTD_FSTS_PFO))
			vtd_clear_faults(u, false);
	}
}

u64 vtd_fault_count(void)
{
	return vtd.flog.total;
}

void vtd_fault_summary(void)
{
	for (size_t i = 0; i < vtd.flog.used; i++) {
		const struct vtd_fault_seen *s = &vtd.flog.seen[i];
		if (s->reason >= 0x20 && s->reason <= 0x2f) {
			/* interrupt faults keep the index in FI bits 63:48 */
			pr_info("fault summary: interrupt request (index %llu) by %02x:%02x.%x reason "
				"%#04x seen %llu time(s)\n", s->addr >> 48, s->sid >> 8,
				(s->sid >> 3) & 0x1f, s->sid & 7, s->reason, s->count);
			continue;
		}
		pr_info("fault summary: %s of %#llx by %02x:%02x.%x reason %#04x seen %llu "
			"time(s)\n", vtd_access_name(s->access), s->addr, s->sid >> 8,
			(s->sid >> 3) & 0x1f, s->sid & 7, s->reason, s->count);
	}
	if (vtd.flog.untracked)
		pr_info("fault summary: %llu more of kinds not tracked\n",
			vtd.flog.untracked);
}

u64 vtd_fault_kind_count(u16 sid, u8 reason, enum vtd_access access, u64 addr)
{
	struct vtd_fault f = { .valid = true, .sid = sid, .reason = reason, .access = access,
			       .addr = addr & ~(PAGE_SIZE - 1) };
	return vtd_fault_log_count(&vtd.flog, &f);
}

int vtd_last_fault(struct vtd_fault_seen *out)
{
	if (!vtd.flog.used)
		return -ENOENT;
	*out = vtd.flog.seen[vtd.flog.used - 1];
	return 0;
}
