/* Time base: the TSC, calibrated once against PIT channel 2.
 *
 * CPUID's frequency leaves cannot be trusted (Bochs reports 3.5 GHz while
 * its TSC counts one tick per instruction), so measure: gate PIT channel 2
 * for a known number of its 1.193182 MHz ticks and count TSC ticks meanwhile. */
#define LOG_MODULE "timer"
#include <uhv/timer.h>
#include <uhv/io.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/cpu.h>

#define PIT_HZ		1193182
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61	/* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 output */
#define CALIB_MS	10

/* Set once at boot by timer_init(). */
static u64 tsc_per_khz;
static u64 tsc_start;

u64 tsc_khz(void) { return tsc_per_khz; }

int timer_init(void)
{
	u16 count = PIT_HZ * CALIB_MS / 1000;
	u8 gate = inb(PIT_GATE);
	outb(PIT_GATE, (gate & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, 0xb0);			/* ch2, lo/hi, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	u64 t0 = rdtsc();
	u64 spins = 0;
	/* OUT2 goes high at terminal count; bound the loop in case there is no PIT */
	while (!(inb(PIT_GATE) & 0x20) && ++spins < 100000000ULL)
		;
	u64 t1 = rdtsc();
	outb(PIT_GATE, gate);
	if (!(inb(PIT_GATE) & 0x20) && spins >= 100000000ULL) {
		tsc_per_khz = 1000000;	/* assume 1 GHz rather than stop */
		pr_warn("PIT did not count; assuming a 1 GHz TSC (timeouts may be off)\n");
		return -ENODEV;
	}
	tsc_per_khz = (t1 - t0) / CALIB_MS;
	if (tsc_per_khz == 0)
		tsc_per_khz = 1;
	tsc_start = rdtsc();
	pr_info("TSC %llu.%03llu MHz (calibrated against the PIT over %d ms)\n",
		(tsc_per_khz / 1000), (tsc_per_khz % 1000),
		CALIB_MS);
	return 0;
}

u64 time_us(void)
{
	return (rdtsc() - tsc_start) * 1000 / tsc_per_khz;
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us * tsc_per_khz / 1000;
	while (rdtsc() < end)
		cpu_relax();
}

int wait_until(bool (*done)(void *ctx), void *ctx, u64 timeout_us)
{
	u64 end = rdtsc() + timeout_us * tsc_per_khz / 1000;
	for (;;) {
		if (done(ctx))
			return 0;
		if (rdtsc() >= end)
			return done(ctx) ? 0 : -ETIMEDOUT;
		cpu_relax();
	}
}
