/* Emulating one guest access to guest-physical space uhv does not map (vmx/mmio_emul.c): the
 * instruction at the guest's RIP is fetched through the guest's page tables, decoded
 * (<uhv/mmio_decode.h>, which also holds the refusal rule below), carried out against a
 * callback, and skipped. Used by the ECAM window (passthrough/config.c) and for unassigned
 * space (reads all-ones, writes dropped), in EPT and shadow mode alike.
 *
 * Exits that the instruction at RIP did not cause as a plain data access are refused (the
 * caller stops the guest with a report), never emulated: an exit during event delivery
 * (IDT-vectoring information valid: the access was the CPU pushing a frame or reading a
 * descriptor, and RIP names the interrupted instruction), an access by the guest's page walk
 * (exit qualification bit 7 set, bit 8 clear: SDM 28.2.3.2, the guest's paging structures are
 * in this space), one without a linear address (bit 7 clear), and instruction fetches. The SDM
 * gives no instruction to emulate for any of them; a guest that keeps its page tables, IDT or
 * stack in device space is broken or hostile, and re-injecting the event would only repeat the
 * exit. */
#ifndef UHV_MMIO_EMUL_H
#define UHV_MMIO_EMUL_H

#include <uhv/types.h>

struct vcpu;

/* One access of size bytes (1, 2, 4 or 8) at gpa: fill *val for a read, or take *val for a
 * write. Return 0, or a negative errno to stop the guest. */
typedef int (*mmio_emul_fn)(void *ctx, struct vcpu *v, u64 gpa, unsigned size, bool write,
			    u64 *val);

/* Emulate the access behind an EPT violation (or, in shadow mode, the #PF exit of an access the
 * shadow tables do not map) with exit qualification q (EPT-violation format). what names the
 * range in reports ("ECAM", "unassigned space"). Returns 0 when the access was carried out and
 * the instruction skipped, or a negative errno after a report (the caller stops the guest). */
int mmio_emulate(struct vcpu *v, u64 gpa, u64 q, const char *what, mmio_emul_fn fn, void *ctx);

/* An access to unassigned guest-physical space (no rule of the MMIO policy, no trap, not uhv's):
 * emulated as bare metal answers it, counted in vm->denied.mmio_unassigned, reported once per
 * unassigned range. Stops the guest when the access cannot be emulated. */
void vmx_mmio_unassigned(struct vcpu *v, u64 gpa, u64 q);

#endif
