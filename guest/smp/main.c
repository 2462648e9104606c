/* smptest (issue #10): the CPUs the guest is given, and only those.
 *
 * Command line: cpus-expected=N (the MADT must list N CPUs), hostile=1 (first
 * try to start every CPU the MADT does not list), ipi=1 (a fixed IPI to each
 * started AP), treat-as-hidden=ID (pretend the MADT does not list that APIC
 * ID: natively a real CPU then answers, which shows smp-parked-sipi can fail),
 * sipi-vector=V (decimal: the APs' trampoline at page V, e.g. 0 = physical 0,
 * where a start at CS base 0, IP 0 must still count as a start).
 *
 * Checks: smp-madt, smp-apic, smp-parked-sipi (hostile=1), smp-start-aps,
 * smp-ipi (ipi=1). Timing is the TSC calibrated against PIT channel 2. */
#include "smp.h"

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_BSP		(1U << 8)
#define APIC_BASE_X2APIC	(1U << 10)
#define APIC_BASE_ENABLE	(1U << 11)

#define APIC_ID			0x020
#define APIC_VERSION		0x030
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_ESR		0x280
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310

#define SVR_ENABLE		(1U << 8)
#define SPURIOUS_VECTOR		0xff
#define IPI_VECTOR		0x40

#define ICR_FIXED		(0U << 8)
#define ICR_INIT		(5U << 8)
#define ICR_STARTUP		(6U << 8)
#define ICR_BUSY		(1U << 12)	/* delivery status: send pending */
#define ICR_ASSERT		(1U << 14)
#define ICR_ALL_BUT_SELF	(3U << 18)

/* ---- shared with the APs ------------------------------------------------------------------ */

static volatile u32 *lapic;
volatile u32 ap_count;			/* APs that reached ap_main */
volatile u32 ap_cpuid_id[AP_MAX];	/* by ticket: CPUID.1:EBX[31:24] */
volatile u32 ap_lapic_id[AP_MAX];	/* by ticket: local APIC ID register */
volatile u32 ap_uhv[AP_MAX];		/* by ticket: CPUID shows uhv (the AP is a vCPU) */
volatile u32 ap_fault;			/* 0x100 | vector of an AP's exception */
volatile u32 ap_fault_id;
volatile u32 ipi_seen[256];		/* by APIC ID */

struct gate {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
} __packed;

static struct gate ap_idt[256] __aligned(8);

/* The local APIC in the mode the guest found it (uhv keeps the firmware's): xAPIC registers in
 * the MMIO page, x2APIC registers as MSRs 0x800 + offset / 16 (SDM Vol. 3A 11.12.1). INIT keeps
 * x2APIC mode, so the APs use the same mode as the boot CPU. */
static bool x2;
#define X2APIC_MSR(reg)		(0x800 + (reg) / 16)
#define X2APIC_ICR		0x830

static u64 msr_rd(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static void msr_wr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static u32 apic_rd(u32 reg)
{
	return x2 ? (u32)msr_rd(X2APIC_MSR(reg)) : lapic[reg / 4];
}

static void apic_wr(u32 reg, u32 v)
{
	if (x2)
		msr_wr(X2APIC_MSR(reg), v);
	else
		lapic[reg / 4] = v;
}

/* The ID register: x2APIC mode has the whole 32-bit ID, xAPIC mode bits 31:24. */
static u32 apic_id_reg(void)
{
	return x2 ? apic_rd(APIC_ID) : apic_rd(APIC_ID) >> 24;
}

static u32 cpuid_apic_id(void)
{
	return cpuid(1, 0).ebx >> 24;
}

/* As guest/lib's check at boot: the hypervisor bit and uhv's CPUID signature.
 * An AP that is not a vCPU of uhv runs outside VMX, with all of memory. */
static bool cpu_under_uhv(void)
{
	struct cpuid_r r = cpuid(1, 0);

	if (!(r.ecx & (1U << 31)))
		return false;
	r = cpuid(UHV_CPUID_LEAF, 0);
	return !memcmp(&r.ebx, "uhvu", 4) && !memcmp(&r.ecx, "hvuh", 4) &&
	       !memcmp(&r.edx, "vuhv", 4);
}

/* ---- time --------------------------------------------------------------------------------- */

static u32 tsc_per_ms;

static u64 us_to_tsc(u32 us)
{
	return udiv64((u64)us * (tsc_per_ms ? tsc_per_ms : 1000000), 1000, NULL);
}

static void delay_us(u32 us)
{
	u64 end = rdtsc() + us_to_tsc(us);

	while (rdtsc() < end)
		asm volatile("pause");
}

/* Wait until *v >= want or us pass. Returns the last value. */
static u32 wait_for(volatile u32 *v, u32 want, u32 us)
{
	u64 end = rdtsc() + us_to_tsc(us);

	/* port 0x80 as in an OS's I/O delay: under nested KVM on one host CPU a
	 * pure spin can keep the other vCPUs' threads from running at all */
	while (*v < want && rdtsc() < end)
		outb(0x80, 0);
	return *v;
}

/* ---- IPIs --------------------------------------------------------------------------------- */

static unsigned icr_stuck;

static void icr_idle(void)
{
	u64 end = rdtsc() + us_to_tsc(10000);

	while ((apic_rd(APIC_ICR_LO) & ICR_BUSY) && rdtsc() < end)
		asm volatile("pause");
	if (apic_rd(APIC_ICR_LO) & ICR_BUSY)
		icr_stuck++;
}

static void ipi(u32 dest, u32 lo)
{
	if (x2) {	/* one 64-bit write, destination in 63:32, no delivery status */
		apic_wr(APIC_ESR, 0);
		msr_wr(X2APIC_ICR, ((u64)dest << 32) | lo);
		return;
	}
	icr_idle();
	apic_wr(APIC_ESR, 0);
	apic_wr(APIC_ICR_HI, dest << 24);
	apic_wr(APIC_ICR_LO, lo);
	icr_idle();
}

/* INIT, 10 ms, SIPI, 200 us, SIPI, 200 us (SDM Vol. 3 "MP initialization")
 * to each of the n destinations; shorthand instead: all excluding self. */
static void init_sipi_sipi(const u32 *dest, unsigned n, bool all_but_self, u32 page)
{
	u32 sh = all_but_self ? ICR_ALL_BUT_SELF : 0, vec = page >> 12;

	for (unsigned i = 0; i < (all_but_self ? 1 : n); i++)
		ipi(all_but_self ? 0 : dest[i], sh | ICR_INIT | ICR_ASSERT);
	delay_us(10000);
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < (all_but_self ? 1 : n); i++)
			ipi(all_but_self ? 0 : dest[i], sh | ICR_STARTUP | ICR_ASSERT | vec);
		delay_us(200);
	}
}

/* ---- the APs ------------------------------------------------------------------------------ */

void ap_main(u32 ticket);
void ap_main(u32 ticket)
{
	struct { u16 limit; u32 base; } __packed idtr = { sizeof(ap_idt) - 1,
							  (u32)(uintptr_t)ap_idt };

	asm volatile("lidt %0" : : "m"(idtr));
	ap_cpuid_id[ticket] = cpuid_apic_id();
	ap_lapic_id[ticket] = apic_id_reg();
	ap_uhv[ticket] = cpu_under_uhv();
	apic_wr(APIC_TPR, 0);
	apic_wr(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);	/* INIT left it disabled */
	__atomic_fetch_add(&ap_count, 1, __ATOMIC_SEQ_CST);
	for (;;)
		asm volatile("sti; hlt; cli" ::: "memory");
}

void ap_ipi(void);
void ap_ipi(void)
{
	__atomic_fetch_add(&ipi_seen[(apic_id_reg()) & 0xff], 1, __ATOMIC_SEQ_CST);
	apic_wr(APIC_EOI, 0);
}

__noreturn void ap_exception(u32 vector);
__noreturn void ap_exception(u32 vector)
{
	ap_fault_id = apic_id_reg();
	ap_fault = 0x100 | vector;
	for (;;)
		asm volatile("cli; hlt");
}

static void set_gate(unsigned v, u32 handler)
{
	ap_idt[v] = (struct gate){ .off_lo = handler & 0xffff, .sel = 0x08,
				   .type = 0x8e, .off_hi = handler >> 16 };
}

static void ap_idt_build(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, v < 32 ? ap_exc_table[v] : (u32)(uintptr_t)ap_spurious_stub);
	set_gate(IPI_VECTOR, (u32)(uintptr_t)ap_ipi_stub);
}

/* ---- the guest's own memory below 1 MiB ------------------------------------------------- */

static bool overlaps(u32 a, u32 alen, u32 b, u32 blen)
{
	return a < b + blen && b < a + alen;
}

static bool usable_page(u32 p)
{
	bool ram = false;

	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1 && boot.mmap[i].base <= p &&
		    p + 4096 <= boot.mmap[i].base + boot.mmap[i].len)
			ram = true;
	if (!ram || overlaps(p, 4096, boot.info, boot.info_size))
		return false;
	for (unsigned i = 0; i < boot.nr_mods; i++)
		if (overlaps(p, 4096, boot.mods[i].start, boot.mods[i].end - boot.mods[i].start))
			return false;
	return true;
}

/* The highest RAM page below 0x9f000 (a SIPI vector below 0xa0) that is not
 * avoid, not the boot information and no module. 0 if none. */
static u32 low_page(u32 avoid)
{
	for (u32 p = 0x9e000; p >= 0x10000; p -= 0x1000)
		if (p != avoid && usable_page(p))
			return p;
	return 0;
}

/* ---- the checks --------------------------------------------------------------------------- */

static struct madt_cpus madt;
static int hidden_id = -1;	/* treat-as-hidden= */
static u32 self_id;

static long cmdline_num(const char *key, long dflt)
{
	char buf[24];
	long v = 0;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return dflt;
	for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* Listed in the MADT (enabled or online capable) and not treat-as-hidden. */
static bool listed(u32 id)
{
	if ((int)id == hidden_id)
		return false;
	for (unsigned i = 0; i < madt.nr; i++)
		if (madt.id[i] == id)
			return true;
	for (unsigned i = 0; i < madt.nr_capable; i++)
		if (madt.capable[i] == id)
			return true;
	return false;
}

static void id_list(char *buf, size_t size, const u32 *ids, unsigned n)
{
	size_t len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < n && len + 12 < size; i++)
		len += snprintf(buf + len, size - len, "%s%u", i ? " " : "", ids[i]);
}

static void check_madt(void)
{
	char err[160], ids[300];
	long want = cmdline_num("cpus-expected", -1);

	if (madt_read(&madt, err, sizeof(err))) {
		test_fail("smp-madt", "%s", err);
		return;
	}
	printf("guest: ACPI RSDP at 0x%x from %s, %s at 0x%x, MADT at 0x%x (local APIC 0x%x)\n",
	       madt.rsdp, madt.rsdp_from, madt.xsdt ? "XSDT" : "RSDT", madt.root, madt.madt,
	       madt.lapic_addr);
	id_list(ids, sizeof(ids), madt.id, madt.nr);
	printf("guest: cpus in MADT: %u (APIC IDs %s)\n", madt.nr, ids);
	if (madt.nr_capable) {
		id_list(ids, sizeof(ids), madt.capable, madt.nr_capable);
		printf("guest: online-capable (disabled) CPUs in MADT: %u (APIC IDs %s)\n",
		       madt.nr_capable, ids);
	}
	if (hidden_id >= 0) {
		bool in = false;

		for (unsigned i = 0; i < madt.nr; i++)
			in |= (int)madt.id[i] == hidden_id;
		printf("guest: treat-as-hidden=%d: APIC ID %d is treated as not in the MADT (it %s "
		       "listed)\n", hidden_id, hidden_id, in ? "is" : "is not");
	}
	bool self_in = false;

	for (unsigned i = 0; i < madt.nr; i++)
		self_in |= madt.id[i] == self_id;
	if (!self_in)
		test_fail("smp-madt", "the boot CPU's APIC ID %u is not in the MADT", self_id);
	else if (want >= 0)
		test_check("smp-madt", madt.nr == (unsigned long)want,
			   "MADT lists %u CPUs, cpus-expected=%ld", madt.nr, want);
	else
		test_ok("smp-madt");
}

static bool check_apic(void)
{
	u64 base = 0;

	if (try_rdmsr(MSR_APIC_BASE, &base) >= 0) {
		test_fail("smp-apic", "RDMSR IA32_APIC_BASE raised %s", vector_name(catch_vector));
		return false;
	}
	printf("guest: IA32_APIC_BASE 0x%llx (%s, %s, %s)\n", base,
	       base & APIC_BASE_BSP ? "BSP" : "not BSP",
	       base & APIC_BASE_ENABLE ? "enabled" : "disabled",
	       base & APIC_BASE_X2APIC ? "x2APIC mode" : "xAPIC mode");
	if (!(base & APIC_BASE_ENABLE)) {
		test_fail("smp-apic", "local APIC disabled (IA32_APIC_BASE 0x%llx)", base);
		return false;
	}
	x2 = base & APIC_BASE_X2APIC;
	lapic = phys((u32)base & 0xfffff000);
	apic_wr(APIC_SVR, (apic_rd(APIC_SVR) & ~0xffU) | SVR_ENABLE | SPURIOUS_VECTOR);
	u32 id = apic_id_reg(), ver = apic_rd(APIC_VERSION);

	printf("guest: local APIC at 0x%x: ID %u, version 0x%x, SVR 0x%x; CPUID APIC ID %u\n",
	       (u32)base & 0xfffff000, id, ver, apic_rd(APIC_SVR), self_id);
	return test_check("smp-apic", id == self_id && (ver & 0xff) != 0xff,
			  "local APIC ID %u (CPUID says %u), version 0x%x", id, self_id, ver);
}

static void check_parked(u32 page)
{
	u32 targets[256], n = 0, max = 15, answered[TRAMP_NR_SLOTS] = { 0 }, nr_ans = 0;
	u32 bad[TRAMP_NR_SLOTS] = { 0 }, nr_bad = 0, junk = 0, nr_native = 0;
	volatile u32 *count = phys(page + TRAMP_COUNT), *slot = phys(page + TRAMP_SLOTS);
	char buf[300];

	for (unsigned i = 0; i < madt.nr; i++)
		if (madt.id[i] + 4 > max)
			max = madt.id[i] + 4;
	if (max > 0xfe)
		max = 0xfe;	/* 0xff is the xAPIC broadcast */
	for (u32 id = 0; id <= max; id++)
		if (id != self_id && !listed(id))
			targets[n++] = id;

	memset(phys(page), 0, 4096);
	memcpy(phys(page), hostile_tramp, hostile_tramp_end - hostile_tramp);
	id_list(buf, sizeof(buf), targets, n);
	printf("guest: hostile: INIT-SIPI-SIPI (vector 0x%x, trampoline at 0x%x) to %u APIC IDs "
	       "not in the MADT: %s\n", page >> 12, page, n, buf);
	init_sipi_sipi(targets, n, false, page);
	delay_us(20000);
	printf("guest: hostile: %u CPUs ran the trampoline so far; now INIT-SIPI-SIPI to all "
	       "excluding self\n", *count);
	init_sipi_sipi(NULL, 0, true, page);
	delay_us(200000);

	u32 c = *count;
	for (u32 i = 0; i < c && i < TRAMP_NR_SLOTS; i++) {
		u32 v = slot[i];

		if ((v & 0xffff0000) != HOSTILE_MARK) {
			junk++;
			continue;
		}
		answered[nr_ans++] = v & 0xff;
		nr_native += !(v & SLOT_HV);
		if (!listed(v & 0xff) || (v & 0xff) == self_id)
			bad[nr_bad++] = v & 0xff;
	}
	id_list(buf, sizeof(buf), answered, nr_ans);
	printf("guest: hostile: %u CPUs ran the trampoline%s%s\n", c, nr_ans ? ", APIC IDs " : "",
	       buf);
	if (under_uhv && nr_native)
		printf("guest: hostile: %u of them ran without a hypervisor (CPUID.1:ECX[31] clear): "
		       "outside VMX, with all of memory\n", nr_native);
	if (nr_ans > nr_bad)
		printf("guest: hostile: the listed CPUs among them are the guest's own (started by "
		       "the all-excluding-self SIPI): fine\n");
	if (icr_stuck)
		printf("guest: hostile: the ICR stayed busy %u times\n", icr_stuck);
	id_list(buf, sizeof(buf), bad, nr_bad);
	test_check("smp-parked-sipi", !nr_bad && !junk && c <= TRAMP_NR_SLOTS,
		   "CPUs not in the MADT ran the trampoline: APIC IDs %s (%u entries, %u "
		   "unmarked)", nr_bad ? buf : "none", c, junk);
}

static u32 start_aps(u32 page)
{
	u32 aps[AP_MAX], n = 0, got = 0, outside = 0;
	volatile u32 *arrived = phys(page + TRAMP_COUNT);
	char buf[300];

	for (unsigned i = 0; i < madt.nr; i++)
		if (madt.id[i] != self_id && listed(madt.id[i]) && madt.id[i] < 0xff && n < AP_MAX)
			aps[n++] = madt.id[i];
	ap_idt_build();
	ap_count = 0;
	ap_ticket = 0;
	for (unsigned i = 0; i < AP_MAX; i++)
		ap_cpuid_id[i] = ap_lapic_id[i] = 0xffffffff;
	memset(phys(page), 0, 4096);
	memcpy(phys(page), ap_tramp, ap_tramp_end - ap_tramp);
	id_list(buf, sizeof(buf), aps, n);
	printf("guest: starting %u APs (vector 0x%x, trampoline at 0x%x): APIC IDs %s\n", n,
	       page >> 12, page, n ? buf : "none");
	if (n) {
		init_sipi_sipi(aps, n, false, page);
		u64 t0 = rdtsc();
		wait_for(&ap_count, n, 10000000);
		printf("guest: APs checked in after %u ms\n",
		       (u32)udiv64(rdtsc() - t0, tsc_per_ms ? tsc_per_ms : 1000000, NULL));
		delay_us(10000);	/* a CPU that starts twice shows in the counts */
	}

	/* every AP once, with its own ID */
	bool ok = !ap_fault && *arrived == n && ap_ticket == n && ap_count == n;
	for (u32 t = 0; t < ap_count && t < AP_MAX; t++) {
		bool known = false;

		for (u32 i = 0; i < n; i++)
			known |= aps[i] == ap_lapic_id[t];
		if (ap_uhv[t] != under_uhv)
			outside++;
		if (known && ap_cpuid_id[t] == ap_lapic_id[t] && ap_uhv[t] == under_uhv) {
			got++;
		} else {
			ok = false;
			printf("guest: AP ticket %u: CPUID APIC ID %u, local APIC ID %u, %s MADT, "
			       "CPUID %s uhv\n", t, ap_cpuid_id[t], ap_lapic_id[t],
			       known ? "in the" : "not in the", ap_uhv[t] ? "shows" : "does not show");
		}
	}
	u32 ids[AP_MAX] = { 0 };
	for (u32 t = 0; t < ap_count && t < AP_MAX; t++)
		ids[t] = ap_lapic_id[t];
	id_list(buf, sizeof(buf), ids, ap_count < AP_MAX ? ap_count : AP_MAX);
	printf("guest: aps started: %u of %u (CPUs running: %u of %u)%s%s\n", got, n, got + 1,
	       n + 1, ap_count ? ", checked in: APIC IDs " : "", buf);
	if (ap_fault)
		printf("guest: AP with APIC ID %u took exception %u (%s)\n", ap_fault_id,
		       ap_fault & 0xff, vector_name(ap_fault & 0xff));
	for (u32 t = 0; t < ap_count && t < AP_MAX; t++) {
		if (ap_cpuid_id[t] != ap_lapic_id[t])
			printf("guest: AP ticket %u: CPUID APIC ID %u, local APIC ID %u\n", t,
			       ap_cpuid_id[t], ap_lapic_id[t]);
		if (ap_uhv[t] != under_uhv)
			printf("guest: AP with APIC ID %u %s\n", ap_lapic_id[t], under_uhv ?
			       "does not see uhv in CPUID: it runs outside VMX, not as a vCPU" :
			       "sees uhv in CPUID although the boot CPU does not");
	}
	test_check("smp-start-aps", ok && got == n,
		   "%u of %u APs started right (trampoline entered %u times, %u tickets, %u in "
		   "ap_main, %u %s uhv)", got, n, *arrived, ap_ticket, ap_count, outside,
		   under_uhv ? "outside" : "under");
	return got;
}

/* Two fixed IPIs to each started AP: the second arrives only after the AP's
 * EOI for the first. */
static void check_ipi(void)
{
	u32 n = ap_count < AP_MAX ? ap_count : AP_MAX, ok = 0;
	char buf[300];
	size_t len = 0;

	buf[0] = 0;
	for (u32 t = 0; t < n; t++) {
		u32 id = ap_lapic_id[t] & 0xff, seen;

		ipi_seen[id] = 0;
		ipi(id, ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
		seen = wait_for(&ipi_seen[id], 1, 50000);
		if (seen == 1) {
			ipi(id, ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
			seen = wait_for(&ipi_seen[id], 2, 50000);
		}
		if (seen == 2)
			ok++;
		else if (len + 40 < sizeof(buf))
			len += snprintf(buf + len, sizeof(buf) - len, " APIC ID %u got %u of 2;",
					id, seen);
	}
	printf("guest: ipi: vector 0x%x twice to each of %u APs: %u answered both\n", IPI_VECTOR,
	       n, ok);
	test_check("smp-ipi", ok == n && !ap_fault, "%s%s", buf,
		   ap_fault ? " an AP took an exception" : "");
}

/* ept-flush=1 (under uhv): uhv's EPT flush on every CPU (test hook 6, the path an EPT
 * change takes) must reach each started AP, halted in "sti; hlt", and come back
 * acknowledged: smp-ept-flush. */
static void check_ept_flush(void)
{
	int n = hypercall(UHV_HC_TEST_HOOK, UHV_HOOK_EPT_FLUSH, 0, 0, 0).eax;

	test_check("smp-ept-flush", n == (int)ap_count, "uhv flushed on %d other CPU(s), "
		   "%u AP(s) running", n, ap_count);
}

void guest_main(void)
{
	bool hostile = cmdline_num("hostile", 0) != 0, do_ipi = cmdline_num("ipi", 0) != 0;
	u32 hpage, apage;

	hidden_id = (int)cmdline_num("treat-as-hidden", -1);
	self_id = cpuid_apic_id();
	tsc_per_ms = pit_tsc_per_ms();
	printf("guest: TSC %u ticks per ms (PIT channel 2)\n", tsc_per_ms);
	if (!tsc_per_ms)
		printf("guest: warning: PIT channel 2 never counted down; assuming 1 GHz\n");
	check_madt();
	if (!madt.nr || !check_apic()) {
		test_skip("smp-parked-sipi", "no MADT or no usable local APIC");
		test_skip("smp-start-aps", "no MADT or no usable local APIC");
		return;
	}
	hpage = low_page(0);
	apage = low_page(hpage);
	if (!hpage || !apage) {
		test_fail("smp-low-memory", "no two free RAM pages below 0x9f000 for trampolines");
		return;
	}
	long vec = cmdline_num("sipi-vector", -1);
	if (vec >= 0) {
		apage = (u32)vec << 12;
		/* vector 0 is page 0: the real-mode IVT, which this protected-mode guest never uses */
		if (vec > 0x9e || apage == hpage || !usable_page(apage)) {
			test_fail("smp-low-memory", "sipi-vector=%ld: page 0x%x is not free RAM below "
				  "0x9f000", vec, apage);
			return;
		}
	}
	if (hostile)
		check_parked(hpage);
	else
		test_skip("smp-parked-sipi", "no hostile=1");
	start_aps(apage);
	if (!do_ipi)
		test_skip("smp-ipi", "no ipi=1");
	else if (!ap_count)
		test_skip("smp-ipi", "no AP started");
	else
		check_ipi();
	if (cmdline_num("ept-flush", 0))
		check_ept_flush();
}
