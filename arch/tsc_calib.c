/* The arithmetic of TSC calibration: pure, unit-tested (test/unit/test_tsc_calib.c). The
 * hardware reads are in arch/timer.c. */
#include <uhv/tsc_calib.h>

u64 tsc_calib_delta(u64 a, u64 b, unsigned bits)
{
	u64 mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;

	return (b - a) & mask;
}

u64 tsc_calib_khz(u64 tsc_ticks, u64 ref_ticks, u64 ref_hz)
{
	if (!ref_ticks || !ref_hz)
		return 0;
	/* tsc_ticks * ref_hz could overflow for long intervals: split the product */
	u64 q = tsc_ticks / ref_ticks, r = tsc_ticks % ref_ticks;
	return (q * ref_hz + r * ref_hz / ref_ticks) / 1000;
}

u64 tsc_calib_cpuid15_khz(u32 eax, u32 ebx, u32 ecx)
{
	if (!eax || !ebx || !ecx)
		return 0;
	return (u64)ecx * ebx / eax / 1000;
}

u64 tsc_calib_hpet_hz(u32 period_fs)
{
	if (!period_fs || period_fs > HPET_MAX_PERIOD_FS)
		return 0;
	return 1000000000000000ULL / period_fs;
}

bool tsc_calib_agree(u64 a, u64 b, unsigned permille)
{
	if (!b)
		return false;
	u64 diff = a > b ? a - b : b - a;
	return diff * 1000 <= b * permille;
}

enum tsc_calib_pick tsc_calib_choose(u64 cpuid_khz, u64 measured_khz)
{
	if (cpuid_khz && !measured_khz)
		return TSC_PICK_CPUID;
	if (!cpuid_khz)
		return measured_khz ? TSC_PICK_MEASURED : TSC_PICK_NONE;
	if (tsc_calib_agree(cpuid_khz, measured_khz, TSC_CPUID_TOLERANCE_PERMILLE))
		return TSC_PICK_CPUID;
	return TSC_PICK_MEASURED_OVER_CPUID;
}
