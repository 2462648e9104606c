/* Time: the TSC, its frequency from CPUID 0x15, the ACPI PM timer, the HPET or the PIT at boot
 * (arch/timer.c). */
#ifndef UHV_TIMER_H
#define UHV_TIMER_H

#include <uhv/types.h>

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

u64 tsc_khz(void);
u64 time_us(void);		/* microseconds since calibration */
void udelay(u64 us);

/* The one way to wait for hardware: poll done(ctx) until it returns true or
 * timeout_us passes. Returns 0 or -ETIMEDOUT; never asserts, never hangs. */
struct acpi;
struct uhv_options;
/* After ACPI discovery (the PM timer and HPET come from its tables; a may be NULL). Returns 0,
 * or -ENODEV when no source worked (1 GHz assumed, said loudly). o: the test variant's
 * tsc-skip-pm. */
int timer_init(const struct acpi *a, const struct uhv_options *o);

int wait_until(bool (*done)(void *ctx), void *ctx, u64 timeout_us);

#endif
