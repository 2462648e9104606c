/* The table of processors with a VMX-preemption timer erratum: pure, unit-tested
 * (test/unit/test_preempt_errata.c). Signatures are CPUID.01H:EAX with the reserved bits clear:
 * extended family/model, type, family, model, stepping. */
#include <uhv/preempt_errata.h>

#define CPUID1_RESERVED_MASK	((0x3U << 14) | (0xfU << 28))

static const struct {
	u32 signature;
	const char *what;
} errata[] = {
	{ 0x000206e6, "Xeon 7500 (Nehalem-EX D0, erratum BA86)" },
	{ 0x00020652, "Core i3/i5/i7 Westmere C2 (errata AAT59, AAU65, AAX65)" },
	{ 0x00020655, "Core i3/i5 Westmere K0 (erratum AAU65)" },
	{ 0x000106e5, "Core i5/i7, Xeon 3400 (Lynnfield B1, errata AAN92, AAO95, AAP86)" },
	{ 0x000106a0, "Xeon 3500 (Bloomfield C0, erratum AAM126)" },
	{ 0x000106a1, "Xeon 3500 (Bloomfield C1, erratum AAM126)" },
	{ 0x000106a4, "Core i7-900 (Bloomfield C0, erratum AAJ124)" },
	{ 0x000106a5, "Core i7-900, Xeon 3500/5500 (D0, errata AAJ124, AAK139, AAM126)" },
	{ 0x000306a8, "Xeon E3-1200 v2 (Ivy Bridge)" },
};

const char *preempt_timer_erratum(u32 cpuid1_eax)
{
	u32 sig = cpuid1_eax & ~CPUID1_RESERVED_MASK;

	for (size_t i = 0; i < sizeof(errata) / sizeof(errata[0]); i++)
		if (errata[i].signature == sig)
			return errata[i].what;
	return NULL;
}
