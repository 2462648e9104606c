// UNIT-SOURCES: vm/mem_layout.c vm/mmio_policy.c loader/guest_mem.c mm/memmap.c mm/ept.c mm/ptab.c mm/mtrr.c vmx/vmx_caps.c
/* The guest's memory layout and EPT from uhv's memory map: RAM (the low MiB,
 * boot information and modules included) identity-mapped, uhv's image and
 * pool and the VT-d register pages absent, of the rest only the ranges of the
 * MMIO policy (UC; ACPI/NVS WB): holes of the map and reserved ranges above
 * 1 MiB that no rule names are not mapped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vmx_guest_mem.h>
#include <uhv/mmio_policy.h>
#include <uhv/guest.h>
#include <uhv/errno.h>
#include "arena.h"
#include "log_capture.h"

#define ARENA_PA	0x7000000000ULL
#define ARENA_PAGES	512

static struct arena *arena;

static int setup(void **state)
{
	arena = arena_new(ARENA_PA, ARENA_PAGES, 0);
	return 0;
}

static int teardown(void **state)
{
	arena_del(arena);
	return 0;
}

/* A Bochs-like machine with 6 GiB (RAM above 4 GiB too), as kmem_init
 * leaves the map: low MiB, image, boot info, a module, pool. */
#define IMAGE		0x0fc00000ULL
#define IMAGE_LEN	0x6b000ULL
#define POOL		0x0ee00000ULL
#define POOL_LEN	0x00e00000ULL
#define MBI		0x00010000ULL
#define MODULE		0x001ad000ULL
#define DRHD		0xfed90000ULL

static struct memmap_range st[64];
static struct memmap map;

static void build_map(void)
{
	static const struct memmap_entry e820[] = {
		{ 0, 0x9f000, 1 }, { 0x9f000, 0x1000, 2 }, { 0xe8000, 0x18000, 2 },
		{ 0x100000, 0xfef0000, 1 }, { 0xfff0000, 0x10000, 3 },
		{ 0xfed90000, 0x1000, 2 },	/* a VT-d unit the firmware reserves */
		{ 0xfffc0000, 0x40000, 2 }, { 0x100000000ULL, 0x80000000ULL, 1 },
		{ 0x180000000ULL, 0x1000, 4 },
	};
	assert_int_equal(memmap_init(&map, st, ARRAY_SIZE(st), e820, ARRAY_SIZE(e820)), 0);
	assert_int_equal(memmap_reserve(&map, 0, MiB(1), MEMMAP_LOW), 0);
	assert_int_equal(memmap_reserve(&map, IMAGE, IMAGE_LEN, MEMMAP_HV_IMAGE), 0);
	assert_int_equal(memmap_reserve(&map, MBI, 0x1000, MEMMAP_BOOT_INFO), 0);
	assert_int_equal(memmap_reserve(&map, MODULE, 0xe000, MEMMAP_BOOT_MODULE), 0);
	assert_int_equal(memmap_reserve(&map, POOL, POOL_LEN, MEMMAP_HV_POOL), 0);
}

/* The MMIO policy of this machine: LAPIC, IOAPIC and HPET where PCs have them. */
static void build_policy(struct mmio_policy *p)
{
	const struct mmio_platform plat = { .lapic = 0xfee00000, .ioapic = { 0xfec00000 },
					    .nioapic = 1, .hpet = 0xfed00000 };

	assert_int_equal(mmio_policy_build(p, &plat, &map), 0);
}

/* The guest's memory regions the EPT maps: all but the reserved ones. */
static unsigned ram_regions(const struct guest *g)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->nr_mem; i++)
		n += g->mem[i].type != GUEST_MEM_RESERVED;
	return n;
}

static bool guest_memory(const struct guest *g, u64 gpa, u64 size)
{
	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];

		if (r->type != GUEST_MEM_RESERVED && gpa >= r->gpa && gpa + size <= r->gpa + r->size)
			return true;
	}
	return false;
}

static void test_regions(void **state)
{
	static struct guest g;

	build_map();
	assert_int_equal(guest_mem_from_memmap(&g, &map, UHV_PLACEMENT_IDENTITY), 0);
	/* low MiB, boot info and module merge into RAM; image and pool split it */
	const struct { u64 gpa, end; u32 type; } want[] = {
		{ 0, 0x9f000, GUEST_MEM_RAM },
		{ 0x9f000, 0xa0000, GUEST_MEM_RESERVED },
		{ 0xe8000, 0x100000, GUEST_MEM_RESERVED },
		{ 0x100000, POOL, GUEST_MEM_RAM },
		{ IMAGE + IMAGE_LEN, 0xfff0000, GUEST_MEM_RAM },
		{ 0xfff0000, 0x10000000, GUEST_MEM_ACPI },
		{ DRHD, DRHD + 0x1000, GUEST_MEM_RESERVED },
		{ 0xfffc0000, 0x100000000ULL, GUEST_MEM_RESERVED },
		{ 0x100000000ULL, 0x180000000ULL, GUEST_MEM_RAM },
		{ 0x180000000ULL, 0x180001000ULL, GUEST_MEM_NVS },
	};
	assert_int_equal(g.nr_mem, ARRAY_SIZE(want));
	for (unsigned i = 0; i < g.nr_mem; i++) {
		assert_int_equal(g.mem[i].gpa, want[i].gpa);
		assert_int_equal(g.mem[i].hpa, want[i].gpa);
		assert_int_equal(g.mem[i].gpa + g.mem[i].size, want[i].end);
		assert_int_equal(g.mem[i].type, want[i].type);
	}
	assert_string_equal(guest_mem_type_name(GUEST_MEM_NVS), "ACPI NVS");
}

struct lookup {
	bool mapped;
	paddr_t hpa;
	u8 memtype, perms;
};

static struct lookup look(const struct ptab *pt, u64 gpa)
{
	struct lookup l = { 0 };
	u64 attrs;

	if (ptab_lookup(pt, gpa, &l.hpa, &attrs, NULL) == 0) {
		l.mapped = true;
		l.memtype = (attrs & EPT_MT_MASK) >> EPT_MT_SHIFT;
		l.perms = attrs & EPT_RWX;
	}
	return l;
}

static void test_ept(void **state)
{
	static struct guest g;
	struct ept_hole extra[] = { { .hpa = DRHD, .size = PAGE_SIZE } };
	struct ept_hole holes[8];
	struct ept_region regions[64];
	struct vmx_caps caps = { 0 };
	struct ptab pt;

	build_map();
	assert_int_equal(guest_mem_from_memmap(&g, &map, UHV_PLACEMENT_IDENTITY), 0);
	int nh = guest_mem_holes(&map, extra, 1, holes, ARRAY_SIZE(holes));
	assert_int_equal(nh, 3);	/* pool, image (map order), DRHD */
	assert_int_equal(holes[0].hpa, POOL);
	assert_int_equal(holes[1].hpa, IMAGE);
	assert_int_equal(holes[2].hpa, DRHD);
	assert_int_equal(guest_mem_holes(&map, extra, 1, holes, 2), -ENOSPC);

	static struct mmio_policy pol;
	build_policy(&pol);
	int nr = guest_mem_ept_regions(&g, &pol, false, regions, ARRAY_SIZE(regions));
	/* the table first, then RAM: every region is a named rule's range or RAM of g */
	assert_int_equal(nr, (int)(pol.n + ram_regions(&g)));
	for (int i = 0; i < nr; i++) {
		if ((unsigned)i < pol.n) {
			assert_int_equal(regions[i].gpa, pol.r[i].gpa);
			assert_int_equal(regions[i].hpa, pol.r[i].gpa);
			assert_int_equal(regions[i].size, pol.r[i].size);
			assert_string_not_equal(mmio_rule_name(pol.r[i].rule), "?");
		} else {
			assert_true(guest_memory(&g, regions[i].gpa, regions[i].size));
		}
	}
	assert_int_equal(guest_mem_ept_regions(&g, &pol, false, regions, 4), -ENOSPC);

	caps.ept_vpid = VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_WB | VMX_EPT_PDE_2M |
			VMX_EPT_PDPTE_1G | VMX_EPT_INVEPT | VMX_EPT_INVEPT_SINGLE_CONTEXT;
	struct ept_build_cfg cfg = { .caps = &caps, .holes = holes, .nholes = nh };
	assert_int_equal(ept_build(&pt, &arena->mem, &cfg, regions, nr), 0);

	/* guest RAM: identity, RWX, WB */
	static const u64 ram[] = { 0, 0x1000, 0x9e000, MBI, MODULE, 0x100000, POOL - 0x1000,
				   IMAGE + IMAGE_LEN, 0xffef000, 0x100000000ULL, 0x17ffff000ULL };
	for (size_t i = 0; i < ARRAY_SIZE(ram); i++) {
		struct lookup l = look(&pt, ram[i]);
		assert_true(l.mapped);
		assert_int_equal(l.hpa, ram[i]);
		assert_int_equal(l.perms, EPT_RWX);
		assert_int_equal(l.memtype, MTRR_TYPE_WB);
	}
	/* uhv: every page of the image and the pool is absent */
	for (u64 a = POOL; a < IMAGE + IMAGE_LEN; a += PAGE_SIZE)
		assert_false(look(&pt, a).mapped);
	/* the VT-d registers are absent even though the firmware reserved them */
	assert_false(look(&pt, DRHD).mapped);
	/* the policy's ranges: UC */
	static const u64 mmio[] = { 0x9f000, 0xa0000, 0xb8000, 0xc0000, 0xe8000, 0xff000,
				    0xfed00000, 0xfee00000 };
	for (size_t i = 0; i < ARRAY_SIZE(mmio); i++) {
		struct lookup l = look(&pt, mmio[i]);
		assert_true(l.mapped);
		assert_int_equal(l.hpa, mmio[i]);
		assert_int_equal(l.memtype, MTRR_TYPE_UC);
	}
	/* no rule names them: PCI space, chipset registers (ICH9 RCBA, TXT public space),
	 * firmware-reserved ranges above 1 MiB (the flash), the space between */
	/* (and the IOAPIC: emulated, its page trapped, never mapped) */
	static const u64 unassigned[] = { 0x10000000, 0xe0000000, 0xfec00000, 0xfec01000,
					  0xfed1c000,
					  0xfed30000, DRHD - 0x1000, DRHD + 0x1000, 0xfee01000,
					  0xfffc0000, 0xfffff000 };
	for (size_t i = 0; i < ARRAY_SIZE(unassigned); i++)
		assert_false(look(&pt, unassigned[i]).mapped);
	/* ACPI tables and NVS are RAM: WB */
	assert_int_equal(look(&pt, 0xfff0000).memtype, MTRR_TYPE_WB);
	assert_int_equal(look(&pt, 0x180000000ULL).memtype, MTRR_TYPE_WB);
	/* nothing beyond what the map lists above 4 GiB */
	assert_false(look(&pt, 0x180001000ULL).mapped);
	assert_false(look(&pt, 0x200000000ULL).mapped);
	/* every page below 4 GiB: mapped exactly when it is RAM or a rule's, and not uhv's */
	for (u64 a = 0; a < GiB(4); a += PAGE_SIZE) {
		bool want = (guest_memory(&g, a, PAGE_SIZE) || mmio_policy_find(&pol, a, PAGE_SIZE)) &&
			    !(a >= POOL && a < IMAGE + IMAGE_LEN) && a != DRHD;
		if (look(&pt, a).mapped != want)
			fail_msg("page %#llx: mapped %d, the table says %d", (unsigned long long)a,
				 !want, want);
	}
	/* large leaves were used: far fewer tables than 4 KiB mappings would need */
	assert_true(ptab_table_count(&pt) < 16);

	/* with MTRRs every region asks for their types */
	nr = guest_mem_ept_regions(&g, &pol, true, regions, ARRAY_SIZE(regions));
	for (int i = 0; i < nr; i++)
		assert_int_equal(regions[i].memtype, EPT_MT_FROM_MTRR);
}

/* uhv puts the guest's ACPI copy in guest RAM and gives that region type ACPI: the host map
 * calls it RAM, so no ACPI rule names it, yet the guest must read it (and in offset placement its
 * host address differs). */
static void test_ept_guest_acpi_copy(void **state)
{
	static struct guest g;
	static struct mmio_policy pol;
	struct ept_region regions[64];

	build_map();
	assert_int_equal(guest_mem_from_memmap(&g, &map, UHV_PLACEMENT_IDENTITY), 0);
	assert_int_equal(g.mem[0].gpa, 0);
	g.mem[0].size = 0x9e000 - 0x1000;
	memmove(&g.mem[2], &g.mem[1], sizeof(g.mem[0]) * (g.nr_mem - 1));
	g.mem[1] = (struct guest_region){ 0x9d000, 0x1000, 0x5000000, GUEST_MEM_ACPI };
	g.nr_mem++;
	build_policy(&pol);
	assert_null(mmio_policy_find(&pol, 0x9d000, PAGE_SIZE));
	int nr = guest_mem_ept_regions(&g, &pol, false, regions, ARRAY_SIZE(regions));
	bool found = false;
	for (int i = 0; i < nr; i++)
		found |= regions[i].gpa == 0x9d000 && regions[i].hpa == 0x5000000 &&
			 regions[i].memtype == MTRR_TYPE_WB;
	assert_true(found);
}

static void test_too_many(void **state)
{
	static struct memmap_range big[2 * GUEST_MAX_REGIONS + 8];
	static struct memmap_entry e[GUEST_MAX_REGIONS + 2];
	static struct guest g;
	struct memmap m;

	/* alternating RAM / reserved pages: one guest region each */
	for (unsigned i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct memmap_entry){ 0x100000 + 0x2000ULL * i, 0x1000, 1 };
	assert_int_equal(memmap_init(&m, big, ARRAY_SIZE(big), e, ARRAY_SIZE(e)), 0);
	assert_int_equal(guest_mem_from_memmap(&g, &m, UHV_PLACEMENT_IDENTITY), -ENOSPC);
}

/* The memory map type of every byte of host [hpa, hpa+size), or 0 if mixed. */
static u32 host_type(u64 hpa, u64 size)
{
	for (size_t i = 0; i < map.n; i++)
		if (hpa >= map.r[i].base && hpa < map.r[i].end)
			return hpa + size <= map.r[i].end ? map.r[i].type : 0;
	return 0;
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* placement=offset: same GPA layout less boot information and modules; every
 * RAM byte above 1 MiB elsewhere, in RAM the guest may have, used once. */
static void test_offset(void **state)
{
	static struct guest id, g;
	u64 id_high = 0, high = 0;

	build_map();
	assert_int_equal(guest_mem_from_memmap(&id, &map, UHV_PLACEMENT_IDENTITY), 0);
	assert_int_equal(guest_mem_from_memmap(&g, &map, UHV_PLACEMENT_OFFSET), 0);
	assert_true(g.nr_mem > id.nr_mem);
	for (unsigned i = 0; i < id.nr_mem; i++)
		if (id.mem[i].type == GUEST_MEM_RAM && id.mem[i].gpa >= MiB(1))
			id_high += id.mem[i].size;
	for (unsigned i = 0; i < g.nr_mem; i++) {
		const struct guest_region *r = &g.mem[i];

		assert_true(r->size > 0);
		assert_true(IS_ALIGNED(r->gpa | r->hpa | r->size, PAGE_SIZE));
		if (i)	/* sorted, non-overlapping */
			assert_true(g.mem[i - 1].gpa + g.mem[i - 1].size <= r->gpa);
		/* the same guest-physical layout: inside an identity region of its type */
		assert_true(guest_is_ram(&id, r->gpa, r->size) == (r->type == GUEST_MEM_RAM));
		/* never the boot information or a module (the loader copies those in) */
		assert_false(overlaps(r->gpa, r->size, MODULE, 0xe000));
		if (r->type != GUEST_MEM_RAM) {
			assert_int_equal(r->hpa, r->gpa);
			continue;
		}
		/* host RAM the guest may have: available or the low MiB, not uhv's, not boot data */
		u32 t = host_type(r->hpa, r->size);
		assert_true(t == MEMMAP_AVAILABLE || t == MEMMAP_LOW);
		assert_false(overlaps(r->hpa, r->size, IMAGE, IMAGE_LEN));
		assert_false(overlaps(r->hpa, r->size, POOL, POOL_LEN));
		if (r->gpa >= MiB(1)) {
			assert_true(r->hpa >= MiB(1));
			assert_true(r->gpa != r->hpa);
			/* not merely a region shifted onto itself: no byte keeps its address */
			assert_false(r->hpa < r->gpa + r->size && r->gpa < r->hpa + r->size &&
				     r->hpa == r->gpa);
			high += r->size;
		} else {
			assert_int_equal(r->hpa, r->gpa);
		}
		for (unsigned j = 0; j < i; j++)	/* no host memory shared */
			if (g.mem[j].type == GUEST_MEM_RAM)
				assert_false(overlaps(r->hpa, r->size, g.mem[j].hpa, g.mem[j].size));
	}
	/* all of it: the identity RAM above 1 MiB less the module (the boot
	 * information is in the low MiB here, which stays as it is) */
	assert_int_equal(host_type(MBI, 0x1000), MEMMAP_LOW);
	assert_int_equal(high, id_high - 0xe000);
	/* the GPA -> HPA translation of a byte above 4 GiB differs, and EPT regions carry it */
	static struct ept_region er[GUEST_MAX_REGIONS + 64];
	static struct mmio_policy pol;
	build_policy(&pol);
	int n = guest_mem_ept_regions(&g, &pol, false, er, ARRAY_SIZE(er));
	assert_int_equal(n, (int)(pol.n + ram_regions(&g)));
	for (unsigned i = 0, k = pol.n; i < g.nr_mem; i++)
		if (g.mem[i].type != GUEST_MEM_RESERVED)
			assert_int_equal(er[k++].hpa, g.mem[i].hpa);
}

/* Too little RAM above 1 MiB to move: the layout stays identity. */
static void test_offset_tiny(void **state)
{
	static struct memmap_range r[8];
	static const struct memmap_entry e[] = { { 0, 0x9f000, 1 }, { 0x100000, 0x1000, 1 } };
	static struct guest g;
	struct memmap m;

	assert_int_equal(memmap_init(&m, r, ARRAY_SIZE(r), e, ARRAY_SIZE(e)), 0);
	assert_int_equal(guest_mem_from_memmap(&g, &m, UHV_PLACEMENT_OFFSET), 0);
	assert_int_equal(g.nr_mem, 2);
	assert_int_equal(g.mem[1].hpa, 0x100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions),
		cmocka_unit_test_setup_teardown(test_ept, setup, teardown),
		cmocka_unit_test(test_ept_guest_acpi_copy),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_offset_tiny),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
