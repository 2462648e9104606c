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

static void sample(const struct tsc_calib_ref *r, u64 *ref, u64 *tsc)
{
	u64 best = ~0ULL;

	for (unsigned i = 0; i < TSC_CALIB_SAMPLE_TRIES; i++) {
		u64 t0 = r->tsc(r->ctx);
		u64 v = r->read(r->ctx);
		u64 t1 = r->tsc(r->ctx);
		if (t1 - t0 < best) {
			best = t1 - t0;
			*ref = v;
			*tsc = t0 + (t1 - t0) / 2;
		}
	}
}

void tsc_calib_measure(const struct tsc_calib_ref *r, u32 ms, struct tsc_calib_result *out)
{
	u64 want = r->hz * ms / 1000, ref0, tsc0, ref1, tsc1;
	u32 same = 0, reads = 0;

	*out = (struct tsc_calib_result){ 0 };
	sample(r, &ref0, &tsc0);
	/* from ref0 on: a value read before it would count as a whole wrap-around */
	u64 last = ref0, now = ref0;
	while (tsc_calib_delta(ref0, now, r->bits) < want) {
		now = r->read(r->ctx);
		if (now != last) {
			last = now;
			same = 0;
		} else if (++same >= TSC_CALIB_STUCK_READS) {
			out->stuck = true;
			break;
		}
		if (++reads >= TSC_CALIB_MAX_READS) {
			out->slow = true;
			break;
		}
	}
	out->last = now;
	if (out->stuck || out->slow) {
		out->ticks = tsc_calib_delta(ref0, now, r->bits);
		return;
	}
	sample(r, &ref1, &tsc1);
	out->ticks = tsc_calib_delta(ref0, ref1, r->bits);
	out->khz = tsc_calib_khz(tsc1 - tsc0, out->ticks, r->hz);
}

u64 tsc_calib_median3(u64 a, u64 b, u64 c)
{
	if (a > b) {
		u64 t = a; a = b; b = t;
	}
	/* a <= b: the median is b unless c lies below it */
	if (c < b)
		return c > a ? c : a;
	return b;
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
