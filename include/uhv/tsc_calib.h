/* The arithmetic of TSC calibration (arch/tsc_calib.c, pure; arch/timer.c reads the hardware):
 * CPUID leaf 0x15's ratio, a measurement against a reference counter that wraps (the 24- or
 * 32-bit ACPI PM timer, the HPET, PIT channel 2), and the choice between what CPUID says and
 * what was measured. */
#ifndef UHV_TSC_CALIB_H
#define UHV_TSC_CALIB_H

#include <uhv/types.h>

#define ACPI_PM_TIMER_HZ	3579545ULL	/* ACPI 4.8.3.3: 3.579545 MHz */
#define PIT_HZ			1193182ULL
#define HPET_MAX_PERIOD_FS	100000000U	/* HPET 1.0a 2.3.4: at most 100 ns */

/* Ticks from a to b of a counter that counts up and wraps at 2^bits (bits 1..64). */
u64 tsc_calib_delta(u64 a, u64 b, unsigned bits);

/* TSC kHz from tsc_ticks counted while a ref_hz reference advanced ref_ticks; 0 when
 * ref_ticks or ref_hz is 0. */
u64 tsc_calib_khz(u64 tsc_ticks, u64 ref_ticks, u64 ref_hz);

/* CPUID.15H (SDM Vol. 2A CPUID, "Time Stamp Counter and Nominal Core Crystal Clock"):
 * EAX = denominator, EBX = numerator of TSC/crystal, ECX = crystal Hz. Returns TSC kHz, or 0
 * when any of the three is 0 (not enumerated: the ratio alone does not give a frequency). */
u64 tsc_calib_cpuid15_khz(u32 eax, u32 ebx, u32 ecx);

/* HPET GCAP_ID[63:32] COUNTER_CLK_PERIOD (femtoseconds per tick) -> Hz; 0 when the period is
 * 0 or above the 100 ns the HPET specification allows (a broken or absent HPET). */
u64 tsc_calib_hpet_hz(u32 period_fs);

/* Do a and b differ by at most permille thousandths of b? (false when b is 0) */
bool tsc_calib_agree(u64 a, u64 b, unsigned permille);

/* A reference counter to measure the TSC against: it counts up at hz and wraps at 2^bits;
 * read and tsc read it and the TSC (the kernel's inl/MMIO and rdtsc; the unit test's model). */
struct tsc_calib_ref {
	u64 hz;
	unsigned bits;
	u64 (*read)(void *ctx);
	u64 (*tsc)(void *ctx);
	void *ctx;
};

/* A counter that has not changed over this many reads is not counting (on hardware a read
 * takes ~1 us and every reference ticks at >= 1.19 MHz; in Bochs a read is a few dozen
 * instructions). TSC_CALIB_MAX_READS bounds a counter that ticks too slowly to finish. */
#define TSC_CALIB_STUCK_READS	100000U
#define TSC_CALIB_MAX_READS	50000000U
#define TSC_CALIB_SAMPLE_TRIES	8

struct tsc_calib_result {
	u64 khz;		/* 0: failed, see the two below */
	bool stuck;		/* the counter did not change over TSC_CALIB_STUCK_READS reads */
	bool slow;		/* it changed, but had not advanced ms worth in MAX_READS reads */
	u64 last;		/* its last value */
	u64 ticks;		/* reference ticks advanced */
};

/* Count TSC ticks while r advances ms milliseconds' worth of ticks. Each end is a reference
 * read between two TSC reads, the tightest of TSC_CALIB_SAMPLE_TRIES, taken at the middle (an
 * SMI or, in an emulator, a descheduled vCPU between the reads would skew it). */
void tsc_calib_measure(const struct tsc_calib_ref *r, u32 ms, struct tsc_calib_result *out);

/* The middle one of three measurements (one disturbed by an SMI, or an emulator's hiccup,
 * is outvoted). */
u64 tsc_calib_median3(u64 a, u64 b, u64 c);

enum tsc_calib_pick {
	TSC_PICK_NONE,		/* no figure at all */
	TSC_PICK_CPUID,		/* CPUID 0x15, alone or confirmed by the measurement */
	TSC_PICK_MEASURED,	/* the measurement, CPUID absent */
	TSC_PICK_MEASURED_OVER_CPUID,	/* CPUID disagrees with the measurement: measurement */
};

/* How far CPUID may be from a measurement and still be believed: 1 %. */
#define TSC_CPUID_TOLERANCE_PERMILLE	10

/* cpuid_khz / measured_khz: 0 = not available. CPUID's exact ratio wins when nothing measured
 * it or the measurement confirms it; a measurement that disagrees wins (emulators report a
 * leaf 0x15 their TSC does not follow). */
enum tsc_calib_pick tsc_calib_choose(u64 cpuid_khz, u64 measured_khz);

#endif
