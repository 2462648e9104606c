/* Telling the INIT held off in wait-for-SIPI from the guest's own INIT (include/uhv/sipi_start.h).
 * Pure: vmx/vcpus.c reads the guest's RIP and CS base from the VMCS. */
#include <uhv/sipi_start.h>

void sipi_start_record(struct sipi_start *s, u8 vector)
{
	s->pending = true;
	s->cs_base = (u64)vector << 12;
}

bool sipi_start_init_was_held(struct sipi_start *s, u64 rip, u64 cs_base)
{
	/* The held INIT is taken before the first instruction (INIT outranks the fetch and any
	 * fault of it, SDM Vol. 3A 6.9), so the CPU is still where the SIPI put it. */
	bool held = s->pending && rip == 0 && cs_base == s->cs_base;

	sipi_start_clear(s);
	return held;
}

void sipi_start_clear(struct sipi_start *s)
{
	s->pending = false;
	s->cs_base = 0;
}
