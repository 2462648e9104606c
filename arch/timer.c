/* Time base: the TSC, its frequency found at boot from the first source that works.
 *
 * 1. CPUID leaf 0x15 (TSC/crystal ratio and the crystal's frequency, when ECX enumerates it):
 *    exact on the CPUs that report it, but emulators report a leaf their TSC does not follow
 *    (Bochs' TSC counts instructions), so it is believed only when a measurement (below)
 *    agrees within 1 %, or when nothing can be measured.
 * 2. A measurement (the median of three over CALIB_MS each) against the ACPI PM timer (FADT PM_TMR_BLK / X_PM_TMR_BLK,
 *    3.579545 MHz, 24 or 32 bits by TMR_VAL_EXT), else the HPET (ACPI HPET table, period from
 *    GCAP_ID), else PIT channel 2 (1.193182 MHz). Each reference must be seen counting: a
 *    counter that does not change over TSC_CALIB_STUCK_READS reads is absent or gated, and the next one
 *    is tried. The arithmetic is in tsc_calib.c. */
#define LOG_MODULE "timer"
#include <uhv/timer.h>
#include <uhv/tsc_calib.h>
#include <uhv/acpi.h>
#include <uhv/mmio.h>
#include <uhv/io.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/cpu.h>
#include <uhv/options.h>

#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61	/* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 output */
#define PIT_CMD_CH2_LOHI_MODE0	0xb0
#define PIT_CMD_LATCH_CH2	0x80
#define CALIB_MS	10

#define HPET_GCAP_ID		0x000	/* [63:32] COUNTER_CLK_PERIOD in fs */
#define HPET_GEN_CONF		0x010
#define HPET_GEN_CONF_ENABLE	BIT(0)
#define HPET_MAIN_COUNTER	0x0f0
#define HPET_MMIO_LEN		0x400

struct refclk {
	const char *name;
	u64 hz;
	unsigned bits;
	u64 (*read)(void *ctx);
};

/* Set once at boot by timer_init(). */
static u64 tsc_per_khz;
static u64 tsc_start;
static u16 pm_port;
static volatile u8 *hpet;

u64 tsc_khz(void) { return tsc_per_khz; }

static u64 pm_read(void *ctx) { return inl(pm_port); }
static u64 hpet_read(void *ctx) { return mmio_read32(hpet + HPET_MAIN_COUNTER); }

/* PIT channel 2 counts down; the inverted latched count counts up. */
static u64 pit_read(void *ctx)
{
	outb(PIT_CMD, PIT_CMD_LATCH_CH2);
	u8 lo = inb(PIT_CH2);
	u8 hi = inb(PIT_CH2);
	return (u16)~(lo | (u16)hi << 8);
}

static u64 read_tsc(void *ctx) { return rdtsc(); }

/* TSC kHz measured against rc over CALIB_MS, or 0 (with the reason logged) if rc does not
 * count. */
static u64 measure(const struct refclk *rc)
{
	const struct tsc_calib_ref r = { rc->hz, rc->bits, rc->read, read_tsc, NULL };
	struct tsc_calib_result res;

	tsc_calib_measure(&r, CALIB_MS, &res);
	if (res.stuck)
		pr_info("%s: does not count (same value %#llx over %u reads); not using it\n",
			rc->name, res.last, TSC_CALIB_STUCK_READS);
	else if (res.slow)
		pr_info("%s: counts too slowly (%llu of %llu ticks in %u reads); not using it\n",
			rc->name, res.ticks, rc->hz * CALIB_MS / 1000, TSC_CALIB_MAX_READS);
	return res.khz;
}

/* Three measurements, the median kept: one disturbed by an SMI (or an emulator's hiccup) is
 * outvoted, and a spread beyond 1 % is reported. */
static u64 measure_three(const struct refclk *rc)
{
	u64 m[3];

	for (unsigned i = 0; i < 3; i++)
		if (!(m[i] = measure(rc)))
			return 0;
	u64 lo = MIN(m[0], MIN(m[1], m[2])), hi = MAX(m[0], MAX(m[1], m[2]));
	if (!tsc_calib_agree(hi, lo, TSC_CPUID_TOLERANCE_PERMILLE))
		pr_warn("%s: three measurements disagree (%llu, %llu, %llu kHz); using the "
			"median\n", rc->name, m[0], m[1], m[2]);
	return tsc_calib_median3(m[0], m[1], m[2]);
}

static u64 measure_pit(const struct refclk *rc)
{
	u8 gate = inb(PIT_GATE);

	outb(PIT_GATE, (gate & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);	/* count 0 = 65536: wraps every 55 ms */
	outb(PIT_CH2, 0);
	outb(PIT_CH2, 0);
	u64 khz = measure_three(rc);
	outb(PIT_GATE, gate);
	return khz;
}

static u64 measure_hpet(const struct refclk *rc)
{
	u64 conf = mmio_read64(hpet + HPET_GEN_CONF);

	if (!(conf & HPET_GEN_CONF_ENABLE))	/* firmware left it stopped: run it meanwhile */
		mmio_write64(hpet + HPET_GEN_CONF, conf | HPET_GEN_CONF_ENABLE);
	u64 khz = measure_three(rc);
	if (!(conf & HPET_GEN_CONF_ENABLE))
		mmio_write64(hpet + HPET_GEN_CONF, conf);
	return khz;
}

/* Measure against the first reference that counts; *used names it. */
static u64 measure_first(const struct acpi *a, bool skip_pm, const char **used)
{
	struct acpi_fadt_info fadt;
	struct acpi_hpet_info hi;

	if (a && !skip_pm && acpi_fadt_parse(acpi_find_table(a, ACPI_SIG_FADT, 0), &fadt) == 0 &&
	    fadt.pm_timer_port) {
		const struct refclk pm = { "ACPI PM timer", ACPI_PM_TIMER_HZ,
					   fadt.pm_timer_32bit ? 32 : 24, pm_read };
		pm_port = fadt.pm_timer_port;
		u64 khz = measure_three(&pm);
		if (khz) {
			*used = pm.name;
			return khz;
		}
	}
	if (a && acpi_hpet_parse(acpi_find_table(a, ACPI_SIG_HPET, 0), &hi) == 0 &&
	    (hpet = mmio_map(hi.address, HPET_MMIO_LEN)) != NULL) {
		u32 period = (u32)(mmio_read64(hpet + HPET_GCAP_ID) >> 32);
		const struct refclk hp = { "HPET", tsc_calib_hpet_hz(period), 32, hpet_read };
		u64 khz = hp.hz ? measure_hpet(&hp) : 0;
		if (!hp.hz)
			pr_info("HPET: counter period %u fs is not valid; not using it\n", period);
		if (khz) {
			*used = hp.name;
			return khz;
		}
	}
	const struct refclk pit = { "PIT", PIT_HZ, 16, pit_read };
	*used = pit.name;
	return measure_pit(&pit);
}

static void print_choice(enum tsc_calib_pick pick, struct cpuid_regs l15, u64 measured,
			 const char *used)
{
	u64 k = tsc_per_khz;

	switch (pick) {
	case TSC_PICK_CPUID:
		pr_info("TSC %llu.%03llu MHz (CPUID 0x15: crystal %u kHz x %u/%u%s%s%s)\n",
			k / 1000, k % 1000, l15.ecx / 1000, l15.ebx, l15.eax,
			measured ? "; the " : "", measured ? used : "",
			measured ? " agrees within 1 %" : "; nothing to check it against");
		break;
	case TSC_PICK_MEASURED_OVER_CPUID:
		pr_warn("CPUID 0x15 says %llu kHz but the %s measures %llu kHz: CPUID does not "
			"describe this TSC (an emulator?); using the measurement\n",
			tsc_calib_cpuid15_khz(l15.eax, l15.ebx, l15.ecx), used, measured);
		/* fall through */
	case TSC_PICK_MEASURED:
		pr_info("TSC %llu.%03llu MHz (%s over %d ms)\n", k / 1000, k % 1000, used,
			CALIB_MS);
		break;
	case TSC_PICK_NONE:
		pr_err("no way to learn the TSC frequency: CPUID 0x15 gives none, and no ACPI PM "
		       "timer, HPET or PIT counts. Assuming 1 GHz: every timeout (INIT-SIPI, VT-d, "
		       "console poll) is off by the ratio of the real frequency to 1 GHz\n");
		break;
	}
}

int timer_init(const struct acpi *a, const struct uhv_options *o)
{
	struct cpuid_regs l15 = { 0 };
	const char *used = "";
	bool skip_pm = false;

#ifdef UHV_TEST_BUILD
	skip_pm = o->tsc_skip_pm;
	if (skip_pm)
		pr_info("tsc-skip-pm: not using the ACPI PM timer (test)\n");
#endif
	if (cpuid(0, 0).eax >= 0x15)
		l15 = cpuid(0x15, 0);
	u64 from_cpuid = tsc_calib_cpuid15_khz(l15.eax, l15.ebx, l15.ecx);
	u64 measured = measure_first(a, skip_pm, &used);
	enum tsc_calib_pick pick = tsc_calib_choose(from_cpuid, measured);

	tsc_per_khz = pick == TSC_PICK_CPUID ? from_cpuid : pick == TSC_PICK_NONE ? 1000000 :
		      measured;
	tsc_start = rdtsc();
	print_choice(pick, l15, measured, used);
	return pick == TSC_PICK_NONE ? -ENODEV : 0;
}

/* Before timer_init (and if it found nothing) time runs as if at 1 GHz. */
static u64 khz_or_default(void) { return tsc_per_khz ? tsc_per_khz : 1000000; }

u64 time_us(void)
{
	return (rdtsc() - tsc_start) * 1000 / khz_or_default();
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us * khz_or_default() / 1000;
	while (rdtsc() < end)
		cpu_relax();
}

int wait_until(bool (*done)(void *ctx), void *ctx, u64 timeout_us)
{
	u64 end = rdtsc() + timeout_us * khz_or_default() / 1000;
	for (;;) {
		if (done(ctx))
			return 0;
		if (rdtsc() >= end)
			return done(ctx) ? 0 : -ETIMEDOUT;
		cpu_relax();
	}
}
