/* What a guest sees of the exceptions uhv raises for an instruction it refused and of the
 * instructions it completes in the guest's place (issue 20, items 2 and 4; vmx/event.c): the
 * same as from the processor. Every check also runs natively, with the same expected values.
 *
 * - inject-gp-rf, inject-ud-rf: a fault pushes RFLAGS.RF=1 (SDM Vol. 3A 18.3.1.1): #GP for an
 *   EFER write with a reserved bit (uhv checks it), #UD for VMXON (uhv refuses it).
 * - inject-step-*: RFLAGS.TF over an instruction uhv emulates (CPUID, IN from its test port)
 *   gives the single-step #DB right after it, DR6.BS=1; after MOV SS too (one #DB, after the
 *   instruction that follows it).
 * - inject-rf-cleared: an instruction that completes clears RF: entered with RF=1 (IRET), a
 *   CPUID is followed by an instruction breakpoint that fires.
 * - inject-nmi-watchdog: a watchdog's NMIs (PIT channel 0 through an IOAPIC entry with NMI
 *   delivery mode) while the guest makes exits (CPUID, a refused WRMSR), and one while its NMI
 *   handler makes exits: every one arrives, the latter after the handler's IRET. */
#include "selftest.h"
#include "acpi.h"

#define MSR_EFER		0xc0000080u
#define EFER_RESERVED_1		(1u << 1)
#define RFLAGS_TF		(1u << 8)
#define RFLAGS_RF		(1u << 16)
#define DR6_BS			(1u << 14)
#define DR6_B0			(1u << 0)
#define DR6_CLEAR		0xffff0ff0u
#define VEC_DB			1

static u32 read_dr6(void)
{
	u32 v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static void write_dr6(u32 v) { asm volatile("mov %0, %%dr6" : : "r"(v)); }
static void write_dr0(u32 v) { asm volatile("mov %0, %%dr0" : : "r"(v)); }
static void write_dr7(u32 v) { asm volatile("mov %0, %%dr7" : : "r"(v)); }

static void check_fault_rf(const char *name, const char *what, int vec, int want)
{
	test_check(name, vec == want && (catch_eflags & RFLAGS_RF) && catch_error == 0,
		   "%s: %s (want %s), pushed RFLAGS 0x%x (want RF, bit 16, set), error code 0x%x",
		   what, vector_name(vec), vector_name(want), catch_eflags, catch_error);
}

static void check_faults(void)
{
	u64 efer;
	struct cpuid_r x = cpuid(0x80000000u, 0);
	bool has_efer = x.eax >= 0x80000001u && (cpuid(0x80000001u, 0).edx & (1u << 29 | 1u << 20));

	if (!has_efer || try_rdmsr(MSR_EFER, &efer) >= 0) {
		test_skip("inject-gp-rf", "no IA32_EFER");
	} else {
		catch_eflags = catch_error = 0;
		int vec = try_wrmsr(MSR_EFER, efer | EFER_RESERVED_1);
		check_fault_rf("inject-gp-rf", "WRMSR EFER with reserved bit 1", vec, VEC_GP);
	}
	catch_eflags = catch_error = 0;
	check_fault_rf("inject-ud-rf", "VMXON with CR4.VMXE=0", try_vmx(VMXON), VEC_UD);
}

/* TF set by POPF: the trap comes after the instruction that follows (SDM Vol. 3A 18.3.1.4).
 * want is the address after the probed instruction, got where the #DB trap came. */
enum step_probe { STEP_CPUID, STEP_IN, STEP_MOVSS_CPUID };

static int single_step(enum step_probe p, u32 *want, u32 *dr6)
{
	u32 a = 0, b, c = 0, d;

	write_dr6(DR6_CLEAR);
	catch_vector = -1;
	catch_eip = 0;
	switch (p) {
	case STEP_CPUID:
		asm volatile("movl $2f, %[fx]\n\tmovl $1f, %[w]\n\t"
			     "pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
			     "cpuid\n1:\tnop\n2:\tmovl $0, %[fx]"
			     : [fx] "=m"(catch_fixup), [w] "=m"(*want), "+a"(a), "=b"(b), "+c"(c),
			       "=d"(d) : : "memory");
		break;
	case STEP_IN:
		asm volatile("movl $2f, %[fx]\n\tmovl $1f, %[w]\n\t"
			     "pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
			     "inl %%dx, %%eax\n1:\tnop\n2:\tmovl $0, %[fx]"
			     : [fx] "=m"(catch_fixup), [w] "=m"(*want), "=a"(a)
			     : "d"(UHV_TEST_PORT) : "memory");
		break;
	case STEP_MOVSS_CPUID:
		/* the trap after MOV SS waits for the next instruction: one #DB, after CPUID */
		asm volatile("movl $2f, %[fx]\n\tmovl $1f, %[w]\n\tmovw %%ss, %%si\n\t"
			     "pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\tmovw %%si, %%ss\n\t"
			     "cpuid\n1:\tnop\n2:\tmovl $0, %[fx]"
			     : [fx] "=m"(catch_fixup), [w] "=m"(*want), "+a"(a), "=b"(b), "+c"(c),
			       "=d"(d) : : "esi", "memory");
		break;
	}
	*dr6 = read_dr6();
	write_dr6(DR6_CLEAR);
	return catch_vector;
}

static void check_steps(void)
{
	static const char *const names[] = { "inject-step-cpuid", "inject-step-in",
					     "inject-step-movss" };
	static const char *const what[] = { "CPUID", "IN from port 0x510", "MOV SS; CPUID" };

	for (unsigned p = STEP_CPUID; p <= STEP_MOVSS_CPUID; p++) {
		u32 want = 0, dr6 = 0;
		int vec = single_step(p, &want, &dr6);

		test_check(names[p], vec == VEC_DB && catch_eip == want && (dr6 & DR6_BS),
			   "TF over %s: %s at 0x%x (want #DB at 0x%x, right after it), DR6 0x%x "
			   "(want BS, bit 14)", what[p], vector_name(vec), catch_eip, want, dr6);
	}
}

/* IRET with RF=1 onto CPUID; an execute breakpoint (DR0) on the instruction after it. */
static void check_rf_cleared(void)
{
	u32 a = 0, b, c = 0, d, bp;

	asm volatile("movl $1f, %0" : "=r"(bp));
	write_dr6(DR6_CLEAR);
	write_dr0(bp);
	write_dr7(1u << 0 | 1u << 8);	/* L0, execute, 1 byte; LE */
	catch_vector = -1;
	catch_eip = 0;
	asm volatile("movl $2f, %[fx]\n\t"
		     "pushfl\n\torl $0x10000, (%%esp)\n\tpushl %%cs\n\tpushl $0f\n\tiretl\n"
		     "0:\tcpuid\n1:\tnop\n2:\tmovl $0, %[fx]"
		     : [fx] "=m"(catch_fixup), "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
	write_dr7(0);
	u32 dr6 = read_dr6();

	write_dr6(DR6_CLEAR);
	test_check("inject-rf-cleared", catch_vector == VEC_DB && catch_eip == bp && (dr6 & DR6_B0),
		   "CPUID entered with RF=1, breakpoint on the next instruction at 0x%x: %s at 0x%x, "
		   "DR6 0x%x (want #DB there, B0)", bp, vector_name(catch_vector), catch_eip, dr6);
}

/* ---- NMI watchdog ---- */

#define LAPIC_BASE		0xfee00000u
#define IOAPIC_DEFAULT		0xfec00000u
#define IOREDTBL(n)		(0x10 + 2 * (n))
#define REDIR_NMI		(4u << 8)
#define REDIR_MASKED		(1u << 16)
#define PIT_CH0			0x40
#define PIT_MODE		0x43
#define WATCHDOG_ROUNDS		20
#define WATCHDOG_COUNT		600	/* PIT ticks (~0.5 ms) to each NMI */

static volatile u32 nmis, nmi_exits, nested;
static volatile bool in_nmi;
static u32 tsc_ms;

static void pit_one_shot(u16 count)
{
	outb(PIT_MODE, 0x30);		/* channel 0, lobyte/hibyte, mode 0: OUT0 rises at 0 */
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
}

/* The first NMI of a round arms the next one and makes exits until well after it came: that
 * one waits for this handler's IRET (NMIs are blocked in it), as on the processor. */
static void nmi_handler(u32 eip)
{
	(void)eip;
	nested += in_nmi;
	in_nmi = true;
	if (++nmis & 1) {
		u64 t0 = rdtsc();

		pit_one_shot(WATCHDOG_COUNT);
		while (rdtsc() - t0 < 2ull * tsc_ms)
			nmi_exits += cpuid(0, 0).eax != 0;
	}
	in_nmi = false;
}

static u32 ioapic_rw(u32 base, u32 reg, bool write, u32 val)
{
	volatile u32 *sel = (volatile u32 *)(uintptr_t)base;
	volatile u32 *win = (volatile u32 *)(uintptr_t)(base + 0x10);

	*sel = reg;
	if (write)
		*win = val;
	return *win;
}

/* The IOAPIC and the pin of ISA IRQ 0 from the MADT (type 1, type 2 entries). */
static u32 pit_pin(u32 *ioapic)
{
	struct acpi_root r;
	char err[100];
	u32 pin = 0;

	*ioapic = IOAPIC_DEFAULT;
	if (acpi_root_find(&r, err, sizeof(err)) < 0)
		return pin;
	const struct acpi_sdt_header *h = acpi_table_find(&r, "APIC");
	if (!h)
		return pin;
	const u8 *p = (const u8 *)h, *end = p + h->length;
	u32 gsi_base = 0;

	for (p += 44; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] == 1 && p[1] >= 12) {
			memcpy(ioapic, p + 4, 4);
			memcpy(&gsi_base, p + 8, 4);
		} else if (p[0] == 2 && p[1] >= 10 && p[3] == 0) {
			memcpy(&pin, p + 4, 4);
		}
	}
	return pin - gsi_base;
}

static void check_nmi_watchdog(void)
{
	u32 ioapic, pin = pit_pin(&ioapic);
	u32 apic_id = lapic_id();	/* xAPIC: the MMIO register; x2APIC: its MSR */
	unsigned late = 0;
	u64 efer = 0;
	bool efer_ok = try_rdmsr(MSR_EFER, &efer) < 0;

	tsc_ms = pit_tsc_per_ms();
	if (!tsc_ms) {
		test_skip("inject-nmi-watchdog", "the PIT does not count");
		return;
	}
	nmis = nmi_exits = nested = 0;
	trap_nmi_hook = nmi_handler;
	ioapic_rw(ioapic, IOREDTBL(pin) + 1, true, apic_id << 24);
	ioapic_rw(ioapic, IOREDTBL(pin), true, REDIR_NMI);	/* edge, active high, unmasked */
	for (unsigned i = 0; i < WATCHDOG_ROUNDS; i++) {
		u32 want = nmis + 2;
		u64 t0 = rdtsc();

		pit_one_shot(WATCHDOG_COUNT);
		/* exits until both came: one in three a fault uhv injects (#GP) */
		for (unsigned n = 0; nmis < want && rdtsc() - t0 < 20ull * tsc_ms; n++) {
			if (n % 3 == 2 && efer_ok)
				try_wrmsr(MSR_EFER, efer | EFER_RESERVED_1);
			else
				cpuid(0, 0);
		}
		late += nmis < want;
		while (nmis < want && rdtsc() - t0 < 40ull * tsc_ms)	/* a late one */
			;
		nmis = want;	/* a lost one fails the round, not the ones after it */
	}
	ioapic_rw(ioapic, IOREDTBL(pin), true, REDIR_MASKED);
	trap_nmi_hook = NULL;
	test_check("inject-nmi-watchdog", late == 0 && nested == 0,
		   "%u of %u rounds lost an NMI (two watchdog NMIs each, from IOAPIC 0x%x pin %u, "
		   "the second while the handler of the first makes %u exits); %u NMIs came "
		   "inside the NMI handler", late, WATCHDOG_ROUNDS, ioapic, pin, nmi_exits, nested);
}

void check_inject(void)
{
	check_faults();
	check_steps();
	check_rf_cleared();
	check_nmi_watchdog();
}
