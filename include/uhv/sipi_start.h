/* A vCPU's start by the guest's SIPI, as far as the INIT that may follow it is concerned
 * (vmx/sipi_start.c, pure; used by vmx/vcpus.c).
 *
 * INIT is blocked while a CPU waits for SIPI (SDM Vol. 3C 26.2, "Other causes of VM exits"):
 * the guest's INIT of INIT-SIPI-SIPI, sent while the AP still waits, is held and arrives as an
 * INIT exit right after the SIPI has started the AP, before its first instruction. Natively the
 * INIT would have hit the waiting CPU and changed nothing, so uhv must ignore that one INIT and
 * treat every later one as the guest's reset of the CPU. Whether a start is pending is its own
 * flag: the start address cannot say it, since SIPI vector 0 starts at CS base 0, IP 0. */
#ifndef UHV_SIPI_START_H
#define UHV_SIPI_START_H

#include <uhv/types.h>

struct sipi_start {
	bool pending;		/* a SIPI started the CPU and no INIT exit has come since */
	u64 cs_base;		/* where it started: vector * 4 KiB, at IP 0 */
};

/* At a SIPI exit that starts the CPU in real mode at vector * 4 KiB. */
void sipi_start_record(struct sipi_start *s, u8 vector);

/* At an INIT exit the guest caused, with the guest's RIP and CS base as the exit left them:
 * true if it is the INIT held off while the CPU waited (the CPU has not run an instruction
 * since the SIPI: it is still at the start address), to be ignored. Either way the start is no
 * longer pending: a second INIT is the guest's. */
bool sipi_start_init_was_held(struct sipi_start *s, u64 rip, u64 cs_base);

/* At any other reset of the CPU to wait-for-SIPI: nothing is pending. */
void sipi_start_clear(struct sipi_start *s);

#endif
