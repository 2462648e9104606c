/* The hypervisor's own memory: the physical memory map, the pool uhv takes
 * for itself, and uhv's page tables (image W^X, direct map of RAM, MMIO UC
 * on demand). Everything not in the pool or the image is for the guest. */
#define LOG_MODULE "mm"
#include <uhv/kmem.h>
#include <uhv/mmio.h>
#include <uhv/memmap.h>
#include "frame.h"
#include <uhv/ptab.h>
#include <uhv/ptab_x86.h>
#include <uhv/mb2.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include <uhv/platform.h>
#include <uhv/options.h>
#include <uhv/test_hooks.h>
#include <uhv/pool_size.h>

#define MEMMAP_CAP	512

extern u8 __image_start[], __text_end[], __rodata_end[], __image_end[];

/* The machine's memory map and the pool allocator: one of each, set up by
 * kmem_init before anything allocates. */
static struct memmap_range memmap_storage[MEMMAP_CAP];
static struct memmap memmap;
static struct frame_range pool_storage[256];
static struct frame_allocator pool;
static struct ptab kernel_pt;
static u64 image_pa;
/* The default pool's rounding up to 2 MiB, which no share of it counts on: kmem_pool_grow takes
 * from it first. 0 with uhvmem=. */
static u64 default_slack;

const struct memmap *kmem_memmap(void) { return &memmap; }

#ifdef UHV_TEST_BUILD
static u64 test_low_reserved[2];	/* lowmem-reserve=: [base, end), test build only */

void test_hook_lowmem_reserve(const struct uhv_options *o)
{
	test_low_reserved[0] = o->lowmem_reserve[0];
	test_low_reserved[1] = o->lowmem_reserve[1];
}
#endif

static u64 image_size(void);

/* Bytes allocated for each enum kmem_use (kmem_footprint), and the high-water marks: of the
 * whole pool's use and of each use on its own (a shadow MMU frees and refills its tables, so the
 * end of a run may hold less than the run needed at its worst; uhvmem='s default is sized from
 * these peaks, docs/architecture.md "Memory map"). */
static u64 use_bytes[KMEM_USES], use_peak[KMEM_USES], used_total, used_peak;

static void count_use(enum kmem_use use, u64 bytes, bool alloc)
{
	unsigned u = use < KMEM_USES ? use : KMEM_OTHER;

	if (alloc) {
		use_bytes[u] += bytes;
		used_total += bytes;
	} else {
		use_bytes[u] -= bytes;
		used_total -= bytes;
	}
	use_peak[u] = MAX(use_peak[u], use_bytes[u]);
	used_peak = MAX(used_peak, used_total);
}

static paddr_t pt_alloc(void *ctx)
{
	return kmem_alloc_page();
}

static void *pt_p2v(void *ctx, paddr_t pa)
{
	return phys_to_virt(pa);
}

static const struct ptab_mem kernel_pt_mem = { .alloc_table = pt_alloc, .p2v = pt_p2v };

paddr_t kmem_alloc_for(enum kmem_use use, size_t npages, size_t align)
{
	paddr_t pa = npages == 1 && align <= PAGE_SIZE ? frame_alloc_4k(&pool)
						       : frame_alloc_contig(&pool, npages, align);
	if (pa) {
		memset(phys_to_virt(pa), 0, npages * PAGE_SIZE);
		count_use(use, npages * PAGE_SIZE, true);
	}
	return pa;
}

paddr_t kmem_alloc_page(void)
{
	return kmem_alloc_for(KMEM_OTHER, 1, PAGE_SIZE);
}

paddr_t kmem_alloc_pages(size_t npages, size_t align)
{
	return kmem_alloc_for(KMEM_OTHER, npages, align);
}

void kmem_free_for(enum kmem_use use, paddr_t pa, size_t size)
{
	if (frame_free(&pool, pa, size) < 0) {
		pr_warn("kmem_free(%#llx, %#zx): not an allocated block\n", pa, size);
		return;
	}
	count_use(use, ALIGN_UP(size, PAGE_SIZE), false);
}

void kmem_free(paddr_t pa, size_t size)
{
	kmem_free_for(KMEM_OTHER, pa, size);
}

void kmem_footprint(struct kmem_footprint *f)
{
	struct frame_stats st;

	frame_stats(&pool, &st);
	memcpy(f->use, use_bytes, sizeof(f->use));
	memcpy(f->peak, use_peak, sizeof(f->peak));
	f->used_peak = used_peak;
	f->pool = st.total;
	f->free = st.free;
	f->image = ALIGN_UP(image_size(), PAGE_SIZE);
}

void kmem_footprint_print(const char *when)
{
	struct kmem_footprint f;

	kmem_footprint(&f);
	pr_info("footprint %s: image %llu KiB; pool %llu KiB, used %llu KiB (per-CPU %llu, EPT "
		"%llu, VT-d %llu, shadow %llu, other %llu KiB), free %llu KiB\n", when,
		f.image >> 10, f.pool >> 10, (f.pool - f.free) >> 10, f.use[KMEM_PERCPU] >> 10,
		f.use[KMEM_EPT] >> 10, f.use[KMEM_VTD] >> 10, f.use[KMEM_SHADOW] >> 10,
		f.use[KMEM_OTHER] >> 10, f.free >> 10);
}

void kmem_peak_print(void)
{
	struct kmem_footprint f;

	kmem_footprint(&f);
	pr_info("pool peak: used at most %llu KiB of %llu KiB (each use at its own peak: per-CPU "
		"%llu, EPT %llu, VT-d %llu, shadow %llu, other %llu KiB)\n", f.used_peak >> 10,
		f.pool >> 10, f.peak[KMEM_PERCPU] >> 10, f.peak[KMEM_EPT] >> 10,
		f.peak[KMEM_VTD] >> 10, f.peak[KMEM_SHADOW] >> 10, f.peak[KMEM_OTHER] >> 10);
}

paddr_t virt_to_phys(const void *va)
{
	u64 v = (u64)(uintptr_t)va;
	if (v >= KERNEL_VBASE)
		return image_pa + (v - (u64)(uintptr_t)__image_start);
	return v - DMAP_BASE;
}

bool kmem_is_hypervisor(paddr_t pa, u64 len)
{
	for (size_t i = 0; i < memmap.n; i++) {
		const struct memmap_range *r = &memmap.r[i];
		if (r->type != MEMMAP_HV_IMAGE && r->type != MEMMAP_HV_POOL)
			continue;
		if (pa < r->end && pa + len > r->base)
			return true;
	}
	return false;
}

static u64 image_size(void)
{
	return (u64)(__image_end - __image_start);
}

static int build_memmap(const struct mb2_info *mi, u64 mbi_pa)
{
	static struct mb2_mem_range ranges[MEMMAP_CAP];
	static struct memmap_entry entries[MEMMAP_CAP];
	int n = mb2_mem_ranges(mi, ranges, MEMMAP_CAP);
	if (n == -ENOENT) {
		pr_err("the boot loader passed no memory map (neither tag 6 nor tag 17); "
		       "boot uhv with GRUB's multiboot2 command, without keeping EFI boot services\n");
		return n;
	}
	if (n < 0) {
		pr_err("the memory map has more than %d ranges\n", MEMMAP_CAP);
		return n;
	}
	for (int i = 0; i < n; i++)
		entries[i] = (struct memmap_entry){ ranges[i].base, ranges[i].len, ranges[i].type };
	int ret = memmap_init(&memmap, memmap_storage, MEMMAP_CAP, entries, n);
	if (ret < 0)
		return ret;
	if (memmap_total(&memmap, MEMMAP_AVAILABLE) == 0) {
		pr_err("the memory map lists no available RAM; the boot loader or firmware is at fault\n");
		return -ENOMEM;
	}

#ifdef UHV_TEST_BUILD
	/* lowmem-reserve=: as if the firmware's map had it reserved (UEFI may keep low pages);
	 * the boot information the loader put there is kept first (a loader would not have put
	 * it in reserved memory), it stays in uhv's direct map */
	if (test_low_reserved[1] > test_low_reserved[0]) {
		pr_info("lowmem-reserve: [%#llx-%#llx) marked firmware-reserved\n",
			test_low_reserved[0], test_low_reserved[1]);
		memmap_reserve(&memmap, ALIGN_DOWN(mbi_pa, PAGE_SIZE),
			       ALIGN_UP(mbi_pa + mi->total_size, PAGE_SIZE) -
			       ALIGN_DOWN(mbi_pa, PAGE_SIZE), MEMMAP_BOOT_INFO);
		memmap_reserve(&memmap, test_low_reserved[0],
			       test_low_reserved[1] - test_low_reserved[0], MEMMAP_RESERVED);
	}
#endif
	/* Take out of circulation what is in use now. */
	memmap_reserve(&memmap, 0, MiB(1), MEMMAP_LOW);
	memmap_reserve(&memmap, image_pa, ALIGN_UP(image_size(), PAGE_SIZE), MEMMAP_HV_IMAGE);
	memmap_reserve(&memmap, ALIGN_DOWN(mbi_pa, PAGE_SIZE),
		       ALIGN_UP(mbi_pa + mi->total_size, PAGE_SIZE) - ALIGN_DOWN(mbi_pa, PAGE_SIZE),
		       MEMMAP_BOOT_INFO);
	for (u32 i = 0; i < mi->nr_modules; i++) {
		const struct mb2_module *m = &mi->modules[i];
		if (m->start < image_pa + image_size() && m->end > image_pa) {
			pr_err("module %u [%#x-%#x) overlaps uhv's image [%#llx-%#llx); "
			       "the boot loader placed it wrongly\n", i, m->start, m->end,
			       image_pa, (image_pa + image_size()));
			return -EINVAL;
		}
		memmap_reserve(&memmap, ALIGN_DOWN((u64)m->start, PAGE_SIZE),
			       ALIGN_UP((u64)m->end, PAGE_SIZE) - ALIGN_DOWN((u64)m->start, PAGE_SIZE),
			       MEMMAP_BOOT_MODULE);
	}
	return 0;
}

static int carve_pool(u64 want)
{
	u64 avail = memmap_total(&memmap, MEMMAP_AVAILABLE);
	struct pool_default d;
	u64 size = want ? want : pool_default_size(avail, &d);
	u64 base;

	if (!want)
		default_slack = d.total - (d.boot + d.shadow + d.ram);
	if (!want)
		pr_info("pool: %llu KiB by default (no uhvmem=): %u x boot peak %llu KiB = %llu, %u x "
			"shadow share %llu KiB = %llu, %llu KiB per GiB of RAM = %llu, rounded up to "
			"2 MiB; the CPUs' share is added once the MADT is read\n", size >> 10,
			POOL_MARGIN, POOL_BOOT_PEAK >> 10, d.boot >> 10, POOL_MARGIN,
			POOL_SHADOW_SHARE >> 10, d.shadow >> 10, POOL_PER_GIB >> 10, d.ram >> 10);
	/* Below 4 GiB: the boot page tables reach only that far, and the pool
	 * holds the page tables that replace them. */
	int ret = memmap_carve(&memmap, size, MiB(2), true, GiB(4), MEMMAP_HV_POOL, &base);
	if (ret < 0) {
		pr_err("cannot find %llu MiB of contiguous RAM below 4 GiB for uhv's pool%s\n",
		       (size >> 20), want ? " (uhvmem= is too large)" : "");
		return ret;
	}
	frame_init(&pool, pool_storage, ARRAY_SIZE(pool_storage));
	return frame_add_range(&pool, base, size);
}

int kmem_pool_grow(u64 bytes, const char *what)
{
	u64 size, base, slack = MIN(bytes, default_slack);
	int ret;

	if (!bytes)
		return 0;
	default_slack -= slack;
	if (slack == bytes) {
		pr_info("pool: %llu KiB for %s fit in the default's rounding up to 2 MiB\n",
			bytes >> 10, what);
		return 0;
	}
	size = ALIGN_UP(bytes - slack, MiB(2));
	/* below 4 GiB as the pool itself (VMX structures on CPUs limited to 32-bit addresses) */
	ret = memmap_carve(&memmap, size, MiB(2), true, GiB(4), MEMMAP_HV_POOL, &base);
	if (!ret)
		ret = frame_add_range(&pool, base, size);
	if (ret < 0) {
		pr_warn("cannot add %llu KiB to uhv's pool for %s (%s): it must come from the pool "
			"as it is\n", size >> 10, what, errno_name(ret));
		return ret;
	}
	pr_info("pool: %llu KiB added at %#llx for %s (%llu KiB needed, %llu KiB of them in the "
		"default's rounding)\n", size >> 10, base, what, bytes >> 10, slack >> 10);
	return 0;
}

static int map_image(void)
{
	u64 start = (u64)(uintptr_t)__image_start;
	struct { u8 *from, *to; u64 attrs; } parts[] = {
		{ __image_start, __text_end, PTE_ATTR_TEXT },
		{ __text_end, __rodata_end, PTE_ATTR_RODATA },
		{ __rodata_end, __image_end, PTE_ATTR_DATA },
	};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		u64 va = (u64)(uintptr_t)parts[i].from;
		u64 size = ALIGN_UP((u64)(uintptr_t)parts[i].to, PAGE_SIZE) - va;
		int ret = ptab_map(&kernel_pt, va, image_pa + (va - start), size, parts[i].attrs);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* RAM, ACPI data and everything uhv carved out of RAM; not firmware-reserved
 * ranges (those may be MMIO and are mapped UC on demand). */
static int map_direct(void)
{
	for (size_t i = 0; i < memmap.n; i++) {
		const struct memmap_range *r = &memmap.r[i];
		if (r->type == MEMMAP_RESERVED || r->type == MEMMAP_BAD)
			continue;
		int ret = ptab_map(&kernel_pt, DMAP_BASE + r->base, r->base, r->end - r->base,
				   PTE_ATTR_DATA);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void wx_report(void *ctx, u64 va, u64 size, u64 attrs)
{
	pr_err("W^X violation: %#llx (+%#llx) is writable and executable\n",
	       va, size);
}

int kmem_init(const struct mb2_info *mi, u64 mbi_pa, u64 load_base, u64 pool_size)
{
	image_pa = load_base;
	int ret = build_memmap(mi, mbi_pa);
	if (ret < 0)
		return ret;
	ret = carve_pool(pool_size);
	if (ret < 0)
		return ret;
	memmap_print(&memmap);

	bool gb_pages = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
	ret = ptab_init(&kernel_pt, &ptab_x86_fmt, &kernel_pt_mem, 4, gb_pages ? 2 : 1);
	if (!ret)
		ret = map_image();
	if (!ret)
		ret = map_direct();
	if (ret < 0) {
		pr_err("building uhv's page tables failed (%s)\n", errno_name(ret));
		return ret;
	}
	int wx = ptab_x86_check_wx(&kernel_pt, wx_report, NULL);
	pr_info("page tables: %zu table pages, %s pages in the direct map; W^X check: %d writable+executable mappings\n",
		ptab_table_count(&kernel_pt), gb_pages ? "1G/2M/4K" : "2M/4K", wx);
	if (wx != 0)
		return -EFAULT;
	write_cr3(kernel_pt.root);
	return 0;
}

void *mmio_map(paddr_t pa, size_t len)
{
	u64 base = ALIGN_DOWN(pa, PAGE_SIZE);
	u64 end = ALIGN_UP(pa + len, PAGE_SIZE);
	if (!len || end <= base)
		return NULL;
	if (ptab_map(&kernel_pt, DMAP_BASE + base, base, end - base, PTE_ATTR_MMIO) < 0)
		return NULL;
	for (u64 a = base; a < end; a += PAGE_SIZE)
		invlpg(phys_to_virt(a));
	return phys_to_virt(pa);
}

/* Firmware tables in reserved ranges: read them through a WB read-only map. */
const void *kmem_map_firmware(paddr_t pa, size_t len)
{
	u64 base = ALIGN_DOWN(pa, PAGE_SIZE);
	u64 end = ALIGN_UP(pa + len, PAGE_SIZE);
	paddr_t have;
	if (!len || end <= base)
		return NULL;
	for (u64 a = base; a < end; a += PAGE_SIZE)
		if (ptab_lookup(&kernel_pt, DMAP_BASE + a, &have, NULL, NULL) < 0) {
			if (ptab_map(&kernel_pt, DMAP_BASE + a, a, PAGE_SIZE, PTE_ATTR_RODATA) < 0)
				return NULL;
			invlpg(phys_to_virt(a));
		}
	return phys_to_virt(pa);
}

const struct ptab *kmem_page_tables(void) { return &kernel_pt; }
