/* Paging inside the guest: 32-bit page tables with 4 MiB (PSE) and 4 KiB
 * pages, switching between two CR3s, INVLPG, write protection, a not-present
 * page fault, and turning paging off again. Under uhv with EPT none of this
 * should exit; with shadow paging all of it exercises uhv. */
#include "selftest.h"

#define P	(1U << 0)
#define W	(1U << 1)
#define PS	(1U << 7)
#define CR0_WP	(1U << 16)
#define CR0_PG	(1U << 31)
#define CR4_PSE	(1U << 4)

#define WIN	PAGING_WINDOW
#define WIN_IDX	(WIN >> 22)

static u32 pd1[1024] __aligned(4096), pd2[1024] __aligned(4096);
static u32 pt1[1024] __aligned(4096), pt2[1024] __aligned(4096);
static volatile u32 page_a[1024] __aligned(4096), page_b[1024] __aligned(4096);

static u32 addr(const volatile void *p)
{
	return (u32)(uintptr_t)p;
}

static void identity(u32 *pd)
{
	for (u32 i = 0; i < 1024; i++)
		pd[i] = (i << 22) | PS | W | P;
}

static u32 rd(u32 va)
{
	return *(volatile u32 *)(uintptr_t)va;
}

static void wr(u32 va, u32 v)
{
	*(volatile u32 *)(uintptr_t)va = v;
}

static void paging_on(u32 *pd)
{
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3(addr(pd));
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

void paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
}

u32 paging_on_with_window(u32 pa)
{
	identity(pd1);
	memset(pt1, 0, sizeof(pt1));
	pt1[0] = (pa & ~0xfffU) | W | P;
	pd1[WIN_IDX] = addr(pt1) | W | P;
	paging_on(pd1);
	invlpg(WIN);
	return WIN + (pa & 0xfff);
}

u32 paging_on_with_table_at(u32 pt_pa)
{
	identity(pd1);
	pd1[WIN_IDX] = (pt_pa & ~0xfffU) | W | P;	/* the window's page table: pt_pa */
	paging_on(pd1);
	invlpg(WIN);
	return WIN;
}

void check_paging(void)
{
	u32 v;
	int vec;

	if (!(cpuid(1, 0).edx & (1U << 3))) {
		test_skip("paging", "no PSE (4 MiB pages) in CPUID");
		return;
	}
	page_a[0] = 0xaaaa0001;
	page_b[0] = 0xbbbb0002;
	page_b[1] = 0xbbbb0003;

	/* pd1: identity + window -> page_a; pd2: identity + window -> page_b, a
	 * not-present page after it, a read-only page, and a 4 MiB alias of the
	 * 4 MiB page holding page_a */
	identity(pd1);
	identity(pd2);
	memset(pt1, 0, sizeof(pt1));
	memset(pt2, 0, sizeof(pt2));
	pt1[0] = addr(page_a) | W | P;
	pt2[0] = addr(page_b) | W | P;
	pt2[2] = addr(page_b) | P;	/* read-only */
	pd1[WIN_IDX] = addr(pt1) | W | P;
	pd2[WIN_IDX] = addr(pt2) | W | P;
	pd2[WIN_IDX + 1] = (addr(page_a) & ~0x3fffffU) | PS | W | P;

	paging_on(pd1);
	test_check("paging-on", read_cr0() & CR0_PG, "CR0 0x%x after setting PG", read_cr0());
	v = rd(WIN);
	test_check("paging-4k-map", v == 0xaaaa0001, "window read 0x%x, want page A's 0xaaaa0001",
		   v);
	wr(WIN + 4, 0x12345678);
	test_check("paging-write", page_a[1] == 0x12345678,
		   "write through the window did not reach page A (0x%x)", page_a[1]);

	write_cr3(addr(pd2));
	v = rd(WIN);
	test_check("paging-cr3-switch", v == 0xbbbb0002 && read_cr3() == addr(pd2),
		   "after CR3 switch window read 0x%x, want page B's 0xbbbb0002 (CR3 0x%x)", v,
		   read_cr3());
	v = rd(WIN + 0x400000 + (addr(page_a) & 0x3fffff));
	test_check("paging-4m-map", v == 0xaaaa0001, "4 MiB alias read 0x%x, want 0xaaaa0001", v);

	vec = try_read32(WIN + 0x1000, &v);
	test_check("paging-pf-not-present", vec == VEC_PF && catch_cr2 == WIN + 0x1000 &&
		   !(catch_error & 1), "read of an unmapped page gave %s, cr2 0x%x, error 0x%x",
		   vector_name(vec), catch_cr2, catch_error);
	vec = try_write32(WIN + 0x2000, 0x55);
	test_check("paging-pf-write-protect", vec == VEC_PF && catch_cr2 == WIN + 0x2000 &&
		   (catch_error & 3) == 3 && page_b[0] == 0xbbbb0002,
		   "write to a read-only page gave %s, cr2 0x%x, error 0x%x", vector_name(vec),
		   catch_cr2, catch_error);

	pt2[0] = addr(page_a) | W | P;
	invlpg(WIN);
	v = rd(WIN);
	test_check("paging-invlpg", v == 0xaaaa0001,
		   "after INVLPG window read 0x%x, want 0xaaaa0001", v);

	write_cr3(addr(pd1));
	pt1[0] = addr(page_b) | W | P;
	write_cr3(addr(pd1));	/* a CR3 load flushes the non-global TLB entries */
	v = rd(WIN + 4);
	test_check("paging-cr3-reload", v == 0xbbbb0003,
		   "after CR3 reload read 0x%x, want 0xbbbb0003", v);

	paging_off();
	test_check("paging-off", !(read_cr0() & CR0_PG) && page_a[0] == 0xaaaa0001,
		   "CR0 0x%x after clearing PG", read_cr0());
}
