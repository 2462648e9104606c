/* Guest-physical space no rule gives the guest (docs/security.md, "Guest-physical space
 * (MMIO)"): a read returns all-ones of its size, a write is dropped, each access exits to uhv
 * (the exit count grows), and the guest runs on. The addresses are unassigned on every machine
 * the tests use: 0xFED1C000 is ICH9's RCBA on q35 (chipset registers) and nothing on Bochs'
 * i440fx, 0xFED30000 is TXT public space, and the highest firmware-reserved range of the memory
 * map above 1 MiB (the BIOS flash on SeaBIOS and Bochs). The LAPIC and the VGA window, which
 * rules name, are reached without an exit. */
#include "selftest.h"

#define EXIT_ALL	0xffffffffu
#define RCBA		0xfed1c000u
#define TXT_PUBLIC	0xfed30000u
#define LAPIC_VERSION	0xfee00030u
#define VGA_TEXT	0xb8000u
#define MMAP_RESERVED	2

static u32 exits(void)
{
	return (u32)hc(UHV_HC_EXIT_COUNT, EXIT_ALL, 0);
}

/* The exits one access costs beyond the hypercall that reads the count. */
static u32 base_exits;

static u32 extra_exits(u32 before)
{
	return exits() - before - base_exits;
}

static u32 read32(u32 a)
{
	return *(volatile u32 *)(uintptr_t)a;
}

static void write32(u32 a, u32 v)
{
	*(volatile u32 *)(uintptr_t)a = v;
}

/* 8- and 16-bit loads into a register with known upper bits: all-ones of the access size only */
static u32 read8_merge(u32 a)
{
	u32 v = 0x12345678;

	asm volatile("movb (%1), %%al" : "+a"(v) : "r"(a) : "memory");
	return v;
}

static u32 read16_merge(u32 a)
{
	u32 v = 0x12345678;

	asm volatile("movw (%1), %%ax" : "+a"(v) : "r"(a) : "memory");
	return v;
}

static void check_unassigned(const char *name, u32 a)
{
	u32 n0 = exits();
	u32 v = read32(a);
	u32 n = extra_exits(n0);

	test_check(name, v == 0xffffffffu && n == 1,
		   "read of unassigned 0x%x: 0x%x (want 0xffffffff), %u exits (want 1: uhv answers)",
		   a, v, n);
}

/* The highest reserved range of the guest's memory map in [1 MiB, 4 GiB), or 0. */
static u32 reserved_above_1m(void)
{
	u32 best = 0;

	for (unsigned i = 0; i < boot.nr_mmap; i++) {
		u64 b = boot.mmap[i].base;

		if (boot.mmap[i].type == MMAP_RESERVED && b >= 0x100000 && b < 0x100000000ULL &&
		    b > best)
			best = (u32)b;
	}
	return best;
}

void check_deny_mmio(void)
{
	u32 n0, v, n;

	if (!under_uhv) {
		test_skip("deny-mmio", NOT_UHV);
		return;
	}
	n0 = exits();
	base_exits = exits() - n0;

	check_unassigned("deny-mmio-rcba-read", RCBA);
	check_unassigned("deny-mmio-txt-read", TXT_PUBLIC);

	n0 = exits();
	write32(TXT_PUBLIC + 8, 0x5a5a5a5a);
	v = read32(TXT_PUBLIC + 8);
	n = extra_exits(n0);
	test_check("deny-mmio-write-dropped", v == 0xffffffffu && n == 2,
		   "write then read of 0x%x: reads 0x%x (want 0xffffffff), %u exits (want 2)",
		   TXT_PUBLIC + 8, v, n);

	v = read8_merge(RCBA);
	test_check("deny-mmio-read8", v == 0x123456ffu, "movb from unassigned: eax 0x%x, want "
		   "0x123456ff", v);
	v = read16_merge(RCBA);
	test_check("deny-mmio-read16", v == 0x1234ffffu, "movw from unassigned: eax 0x%x, want "
		   "0x1234ffff", v);

	u32 rsv = reserved_above_1m();
	if (rsv)
		check_unassigned("deny-mmio-reserved-read", rsv);
	else
		test_skip("deny-mmio-reserved-read", "no reserved range above 1 MiB in the map");

	/* what rules name is reached natively: no exit (once shadow paging has mapped it) */
	(void)read32(LAPIC_VERSION);
	(void)read32(VGA_TEXT);
	n0 = exits();
	v = read32(LAPIC_VERSION);
	(void)read32(VGA_TEXT);
	n = extra_exits(n0);
	if (x2apic_mode())	/* the xAPIC page is not decoded then: the MSR says it */
		v = lapic_version();
	test_check("deny-mmio-allowed-native", n == 0 && v != 0xffffffffu,
		   "LAPIC version register 0x%x, %u exits for LAPIC + VGA reads (want 0)", v, n);

	test_check("deny-mmio-alive", hc(UHV_HC_EXIT_COUNT, EXIT_ALL, 0) > 0,
		   "hypercalls no longer answer after the unassigned accesses");
}
