/* bench: RDTSC-timed loops of operations that exit to uhv: CPUID (leaf 0),
 * VMCALL (UHV_HC_VERSION) and a read of the intercepted uhv test port 0x510.
 * Prints TSC ticks per iteration and, under uhv, the exits each loop caused.
 * Natively CPUID and port 0x80 are timed instead and VMCALL is skipped.
 * Command line: iters=N (default 10000). In Bochs the TSC counts
 * instructions, so the numbers there are instruction counts, not time. */
#include "rt.h"

#define EXIT_REASON_CPUID	10
#define EXIT_REASON_VMCALL	18
#define EXIT_REASON_IO		30

static u32 iters = 10000;

static u32 exits(u32 reason)
{
	return under_uhv ? (u32)hc(UHV_HC_EXIT_COUNT, reason, 0) : 0;
}

static void report(const char *name, u64 ticks, u64 base, u32 nexits, u32 reason)
{
	u32 rem;
	u64 per = udiv64(ticks > base ? ticks - base : 0, iters, &rem);

	printf("guest: bench %s: %llu ticks/iteration (%u iterations", name, per, iters);
	if (under_uhv)
		printf(", %u exits", nexits);
	printf(")\n");
	if (under_uhv) {
		char n[40];

		snprintf(n, sizeof(n), "bench-%s-exits", name);
		/* the counting hypercall itself is one VMCALL exit */
		u32 want = iters + (reason == EXIT_REASON_VMCALL ? 1 : 0);
		test_check(n, nexits == want, "%u exits for %u iterations", nexits, iters);
	}
}

void guest_main(void)
{
	char opt[16];
	u64 t0, t1, base;
	u32 e0, e1;
	u32 eax;

	if (cmdline_get("iters", opt, sizeof(opt))) {
		u32 v = 0;

		for (const char *p = opt; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (*p - '0');
		if (v)
			iters = v;
	}

	/* loop overhead: an empty timed loop */
	t0 = rdtsc();
	for (u32 i = 0; i < iters; i++)
		asm volatile("" ::: "memory");
	t1 = rdtsc();
	base = t1 - t0;

	e0 = exits(EXIT_REASON_CPUID);
	t0 = rdtsc();
	for (u32 i = 0; i < iters; i++)
		cpuid(0, 0);
	t1 = rdtsc();
	e1 = exits(EXIT_REASON_CPUID);
	report("cpuid", t1 - t0, base, e1 - e0, EXIT_REASON_CPUID);

	if (under_uhv) {
		e0 = exits(EXIT_REASON_VMCALL);
		t0 = rdtsc();
		for (u32 i = 0; i < iters; i++)
			hypercall(UHV_HC_VERSION, 0, 0, 0, 0);
		t1 = rdtsc();
		e1 = exits(EXIT_REASON_VMCALL);
		report("vmcall", t1 - t0, base, e1 - e0, EXIT_REASON_VMCALL);
	} else if (try_vmcall(UHV_HC_VERSION, &eax) >= 0) {
		printf("guest: bench vmcall: skipped (not under uhv: VMCALL raised %s)\n",
		       vector_name(catch_vector));
	} else {
		printf("guest: bench vmcall: skipped (not under uhv)\n");
	}

	u16 port = under_uhv ? UHV_TEST_PORT : 0x80;
	e0 = exits(EXIT_REASON_IO);
	t0 = rdtsc();
	for (u32 i = 0; i < iters; i++)
		inl(port);
	t1 = rdtsc();
	e1 = exits(EXIT_REASON_IO);
	report(under_uhv ? "io-0x510" : "io-0x80", t1 - t0, base, e1 - e0, EXIT_REASON_IO);
}
