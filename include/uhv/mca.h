/* Machine checks in uhv (arch/mce.c, lib/mca.c): CR4.MCE is set on every CPU uhv runs, so an
 * error the hardware signals with #MC reaches uhv's handler instead of shutting the CPU down.
 * The handler reads and prints the machine-check banks (SDM Vol. 3B 16.3) and ends the run:
 * uhv does not try to recover (the guest's state may be what was corrupted). */
#ifndef UHV_MCA_H
#define UHV_MCA_H

#include <uhv/types.h>

struct trap_frame;

/* Set CR4.MCE on this CPU when it has #MC (CPUID.1:EDX.MCE). Returns the new CR4. */
u64 mce_enable_here(void);
/* The #MC handler (vector 18): report the banks of this CPU, stop the others, end the run. */
__noreturn void mce_handle(struct trap_frame *f);

/* ---- pure decoding (lib/mca.c, unit-tested) ---- */
/* IA32_MCG_STATUS as words ("RIPV EIPV MCIP"), "none" when 0. Returns the length (as snprintf). */
int mca_mcg_status_text(u64 mcg_status, char *buf, size_t size);
/* IA32_MCi_STATUS as words: flags, then the error class of the architectural code, e.g.
 * "VAL UC EN ADDRV PCC, memory controller error (code 0x009f, model 0x0001)". sdm_ser: MCG_CAP.SER_P
 * (S and AR mean something only then). */
int mca_bank_status_text(u64 status, bool ser_p, char *buf, size_t size);
/* The class of an architectural MCA error code (SDM Vol. 3B 16.9.1/16.9.2), e.g. "cache
 * hierarchy error". */
const char *mca_code_class(unsigned code);

#endif
