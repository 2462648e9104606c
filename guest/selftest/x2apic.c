/* The local APIC mode the guest finds (issue 16, item 3): uhv keeps the mode firmware left, so the
 * guest must see a consistent picture of it. Checks:
 * - x2apic-mode: IA32_APIC_BASE says x2APIC only where CPUID.1:ECX[21] says the CPU has it;
 *   prints the mode as `guest: local APIC in ... mode` for the system tests to compare;
 * - x2apic-id: in x2APIC mode the ID register (MSR 0x802) equals CPUID leaf 0xB's x2APIC ID; in
 *   xAPIC mode the x2APIC MSRs give #GP (the processor's own answer: uhv passes them through);
 * - x2apic-no-way-back: x2APIC -> xAPIC directly is #GP (SDM Vol. 3A 11.12.5) and changes nothing;
 * - x2apic-lock: where IA32_XAPIC_DISABLE_STATUS says locked, x2APIC -> disabled is #GP too.
 * Run natively the same checks hold (the CPU's own rules). */
#include "selftest.h"

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_EXTD		(1ULL << 10)
#define APIC_BASE_EN		(1ULL << 11)
#define MSR_XAPIC_DISABLE_STATUS	0xbd
#define LEGACY_XAPIC_DISABLED	1ULL
#define MSR_X2APIC_ID		0x802
#define MSR_X2APIC_VERSION	0x803
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define LAPIC_MMIO_ID		0xfee00020u

bool x2apic_mode(void)
{
	u64 base = 0;

	return try_rdmsr(MSR_APIC_BASE, &base) < 0 && (base & APIC_BASE_EN) &&
	       (base & APIC_BASE_EXTD);
}

u32 lapic_id(void)
{
	u64 id = 0;

	if (x2apic_mode())
		return try_rdmsr(MSR_X2APIC_ID, &id) < 0 ? (u32)id : ~0u;
	return *(volatile u32 *)(uintptr_t)LAPIC_MMIO_ID >> 24;
}

u32 lapic_version(void)
{
	u64 v = ~0ULL;

	if (x2apic_mode()) {
		try_rdmsr(MSR_X2APIC_VERSION, &v);
		return (u32)v;
	}
	return *(volatile u32 *)(uintptr_t)(LAPIC_MMIO_ID + 0x10);
}

/* The x2APIC ID CPUID reports: leaf 0xB EDX where the leaf exists, else the initial APIC ID. */
static u32 cpuid_x2apic_id(void)
{
	if (cpuid(0, 0).eax >= 0xb && cpuid(0xb, 0).ebx)
		return cpuid(0xb, 0).edx;
	return cpuid(1, 0).ebx >> 24;
}

static void check_id(bool x2)
{
	u64 id = 0;
	int vec = try_rdmsr(MSR_X2APIC_ID, &id);

	if (x2)
		test_check("x2apic-id", vec < 0 && id == cpuid_x2apic_id(),
			   "RDMSR x2APIC ID: %s, ID %llu; CPUID says %u",
			   vec < 0 ? "ok" : vector_name(vec), id, cpuid_x2apic_id());
	else
		test_check("x2apic-id", vec == VEC_GP,
			   "RDMSR x2APIC ID (0x802) in xAPIC mode gave %s, want #GP",
			   vec < 0 ? "no fault" : vector_name(vec));
}

/* Try a mode change that must #GP; put the base back if it went through after all. */
static void check_refused(const char *name, u64 base, u64 attempt, const char *what)
{
	u64 now = 0;
	int vec = try_wrmsr(MSR_APIC_BASE, attempt);

	try_rdmsr(MSR_APIC_BASE, &now);
	if (now != base) {
		try_wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_EXTD);	/* via xAPIC if disabled */
		try_wrmsr(MSR_APIC_BASE, base);
	}
	test_check(name, vec == VEC_GP && now == base, "x2APIC -> %s gave %s (IA32_APIC_BASE "
		   "0x%llx, was 0x%llx)", what, vec < 0 ? "no fault" : vector_name(vec), now, base);
}

void check_x2apic(void)
{
	u64 base = 0, lock = 0;
	bool capable = cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC;

	if (try_rdmsr(MSR_APIC_BASE, &base) >= 0) {
		test_fail("x2apic-mode", "RDMSR IA32_APIC_BASE faulted");
		return;
	}
	bool x2 = (base & APIC_BASE_EN) && (base & APIC_BASE_EXTD);
	bool have_lock_msr = try_rdmsr(MSR_XAPIC_DISABLE_STATUS, &lock) < 0;
	bool locked = have_lock_msr && (lock & LEGACY_XAPIC_DISABLED);

	printf("guest: local APIC in %s mode (IA32_APIC_BASE 0x%llx, CPUID.1:ECX[21] %u, "
	       "IA32_XAPIC_DISABLE_STATUS %s)\n", !(base & APIC_BASE_EN) ? "disabled" :
	       x2 ? "x2APIC" : "xAPIC", base, capable, !have_lock_msr ? "absent" :
	       locked ? "locked" : "not locked");
	test_check("x2apic-mode", (base & APIC_BASE_EN) && (!x2 || capable),
		   "IA32_APIC_BASE 0x%llx with CPUID.1:ECX[21] = %u", base, capable);
	check_id(x2);
	if (!x2) {
		test_skip("x2apic-no-way-back", "xAPIC mode");
		test_skip("x2apic-lock", "xAPIC mode");
		return;
	}
	check_refused("x2apic-no-way-back", base, base & ~APIC_BASE_EXTD, "xAPIC");
	if (locked)
		check_refused("x2apic-lock", base, base & ~(APIC_BASE_EXTD | APIC_BASE_EN),
			      "disabled (locked)");
	else
		test_skip("x2apic-lock", "x2APIC not locked");
}
