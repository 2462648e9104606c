/* INVLPG of a 2 MiB page that uhv's shadow MMU (mem=shadow) cannot back with
 * one host leaf (issue 18): the page at guest-physical 0 holds the BIOS ROM
 * (passed through, 0xC0000-0xFFFFF), so its shadow is 4 KiB fragments. The
 * guest reads the ROM through it, repoints the PDE at a RAM page, INVLPGs the
 * page's START (an address it never touched) and reads the same address
 * again: per the SDM, INVLPG of any address in a large page invalidates the
 * whole page, so the RAM must show. PAE paging (2 MiB pages), identity map
 * elsewhere; under EPT nothing here exits. */
#include "selftest.h"

#define P		1ull
#define W		2ull
#define PS		0x80ull
#define CR0_PG		(1u << 31)
#define CR4_PAE		(1u << 5)
#define CPUID_1_EDX_PAE	(1u << 6)

#define VA		0xd0000000u	/* the test page's linear address */
#define OFF		0xffff0u	/* near the ROM's end: the reset vector */
#define MARK		0x5a17a5e1u

static u64 pdpt[4] __aligned(32);
static u64 pd[4][512] __aligned(4096);

/* a 2 MiB-aligned RAM page above 4 MiB from the memory map, or 0 */
static u32 ram_page(void)
{
	for (unsigned i = 0; i < boot.nr_mmap; i++) {
		const struct mmap_range *m = &boot.mmap[i];
		u64 pa = (m->base + 0x1fffffu) & ~0x1fffffull;

		if (pa < 0x400000u)
			pa = 0x400000u;
		if (m->type == 1 && pa + 0x200000u <= m->base + m->len && pa + 0x200000u <= VA)
			return (u32)pa;
	}
	return 0;
}

static void set_pde(u32 va, u64 pa)
{
	pd[va >> 30][(va >> 21) & 511] = pa | PS | W | P;
}

void check_shadow_invlpg(void)
{
	volatile u32 *ram, *win = (volatile u32 *)(uintptr_t)(VA + OFF);
	u32 page = ram_page(), rom, saved, seen;

	if (!(cpuid(1, 0).edx & CPUID_1_EDX_PAE) || !page) {
		test_skip("shadow-invlpg-large", page ? "no PAE in CPUID" : "no 2 MiB RAM page");
		return;
	}
	ram = (volatile u32 *)(uintptr_t)(page + OFF);
	for (u32 i = 0; i < 2048; i++)
		set_pde(i << 21, (u64)i << 21);
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (u32)(uintptr_t)pd[i] | P;
	set_pde(VA, 0);		/* the 2 MiB page holding the BIOS ROM */
	saved = *ram;
	*ram = MARK;

	write_cr4(read_cr4() | CR4_PAE);
	write_cr3((u32)(uintptr_t)pdpt);
	write_cr0(read_cr0() | CR0_PG);
	rom = *win;		/* a shadow leaf for this 4 KiB of ROM only */
	set_pde(VA, page);
	invlpg(VA);		/* the page's start, never touched */
	seen = *win;
	paging_off();
	write_cr4(read_cr4() & ~CR4_PAE);
	*ram = saved;

	if (rom == MARK) {
		test_skip("shadow-invlpg-large", "the ROM holds the test's marker");
		return;
	}
	test_check("shadow-invlpg-large", seen == MARK,
		   "after repointing the 2 MiB PDE from the ROM (read 0x%x) to RAM at 0x%x and "
		   "INVLPG of the page start, read 0x%x, want the RAM's 0x%x", rom, page, seen,
		   MARK);
}
