/* The IOAPIC is uhv's to mediate (docs/interrupts.md "IOAPIC"): the guest programs redirection
 * entries as on bare metal, and uhv refuses the ones no guest may have. On the last pin of the
 * first IOAPIC (unused by the PC devices):
 *  - ioapic-fixed: a fixed, edge entry to this CPU reads back as written (unmasked);
 *  - ioapic-smi, ioapic-init: delivery mode SMI / INIT unmasked reads back masked (uhv kept it
 *    masked on the hardware: with the IOAPIC mapped natively it read back unmasked and was
 *    live);
 *  - ioapic-foreign-dest: a fixed entry to APIC ID 0xfe (no CPU of the guest) reads back masked.
 * The entry is masked again at the end. Only under uhv (natively the SMI entry would be live). */
#include "selftest.h"
#include "acpi.h"

#define IOAPIC_DEFAULT		0xfec00000u
#define IOAPIC_VER		0x01
#define REDTBL_LO(n)		(0x10 + 2 * (n))
#define REDTBL_HI(n)		(0x11 + 2 * (n))
#define RTE_MASKED		(1u << 16)
#define RTE_RO			((1u << 12) | (1u << 14))	/* delivery status, remote IRR */
#define RTE_SMI			(2u << 8)
#define RTE_INIT		(5u << 8)
#define TEST_VECTOR		0x45u

static u32 base = IOAPIC_DEFAULT;

static u32 rd(u32 reg)
{
	*(volatile u32 *)(uintptr_t)base = reg;
	return *(volatile u32 *)(uintptr_t)(base + 0x10);
}

static void wr(u32 reg, u32 val)
{
	*(volatile u32 *)(uintptr_t)base = reg;
	*(volatile u32 *)(uintptr_t)(base + 0x10) = val;
}

/* The first IOAPIC of the MADT (type 1 entry), else the default. */
static void find_ioapic(void)
{
	struct acpi_root r;
	char err[100];

	if (acpi_root_find(&r, err, sizeof(err)) < 0)
		return;
	const struct acpi_sdt_header *h = acpi_table_find(&r, "APIC");
	if (!h)
		return;
	for (const u8 *p = (const u8 *)h + 44, *end = (const u8 *)h + h->length;
	     p + 2 <= end && p[1] >= 2; p += p[1])
		if (p[0] == 1 && p[1] >= 12) {
			memcpy(&base, p + 4, 4);
			return;
		}
}

/* Program pin (masked first, high then low, as Linux does) and read the low half back. */
static u32 program(unsigned pin, u32 dest, u32 lo)
{
	wr(REDTBL_LO(pin), RTE_MASKED);
	wr(REDTBL_HI(pin), dest << 24);
	wr(REDTBL_LO(pin), lo);
	return rd(REDTBL_LO(pin)) & ~RTE_RO;
}

void check_ioapic(void)
{
	static const char *const names[] = { "ioapic-fixed", "ioapic-smi", "ioapic-init",
					     "ioapic-foreign-dest" };
	if (!under_uhv) {
		for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
			test_skip(names[i], NOT_UHV);
		return;
	}
	find_ioapic();
	unsigned pin = ((rd(IOAPIC_VER) >> 16) & 0xff);	/* the last entry */
	u32 me = lapic_id();	/* MSR 0x802 in x2APIC mode: the xAPIC page is not decoded */
	u32 lo = program(pin, me, TEST_VECTOR);
	u32 hi = rd(REDTBL_HI(pin));

	test_check(names[0], lo == TEST_VECTOR && hi == me << 24,
		   "IOAPIC 0x%x pin %u: fixed vector 0x%x to APIC ID %u read back low 0x%x high "
		   "0x%x", base, pin, TEST_VECTOR, me, lo, hi);
	lo = program(pin, me, RTE_SMI | TEST_VECTOR);
	test_check(names[1], lo == (RTE_MASKED | RTE_SMI | TEST_VECTOR),
		   "SMI entry read back 0x%x, want 0x%x (refused: masked)", lo,
		   RTE_MASKED | RTE_SMI | TEST_VECTOR);
	lo = program(pin, me, RTE_INIT);
	test_check(names[2], lo == (RTE_MASKED | RTE_INIT),
		   "INIT entry read back 0x%x, want 0x%x (refused: masked)", lo,
		   RTE_MASKED | RTE_INIT);
	lo = program(pin, 0xfe, TEST_VECTOR);
	test_check(names[3], lo == (RTE_MASKED | TEST_VECTOR) || me == 0xfe,
		   "entry to APIC ID 0xfe read back 0x%x, want 0x%x (refused: masked)", lo,
		   RTE_MASKED | TEST_VECTOR);
	wr(REDTBL_LO(pin), RTE_MASKED);
}
