/* The hypervisor's view of physical memory (mm/kmem.c).
 *
 * Virtual layout (x86-64, 4-level paging):
 *   0xffff800000000000  direct map of physical memory (DMAP_BASE + pa)
 *   0xffffffff80200000  the uhv image (text RX, rodata R, data/bss RW+NX)
 * All of RAM that the firmware reports is in the direct map (WB);
 * MMIO is added UC on demand by mmio_map(). */
#ifndef UHV_KMEM_H
#define UHV_KMEM_H

#include <uhv/types.h>

#define DMAP_BASE	0xffff800000000000ULL
#define KERNEL_VBASE	0xffffffff80000000ULL	/* image virtual = KERNEL_VBASE + 2 MiB + (pa - load base) */

static inline void *phys_to_virt(paddr_t pa) { return (void *)(uintptr_t)(DMAP_BASE + pa); }
paddr_t virt_to_phys(const void *va);	/* direct map or image address */

/* Frame allocation from the hypervisor's own pool (never given to the guest).
 * Returned memory is zeroed. 0 when out of memory. */
paddr_t kmem_alloc_page(void);
paddr_t kmem_alloc_pages(size_t npages, size_t align);
void kmem_free(paddr_t pa, size_t size);
/* Is [pa, pa+len) part of the hypervisor's own memory (image, pool, boot data
 * it keeps)? Used to keep it out of the guest's EPT and IOMMU domains. */
bool kmem_is_hypervisor(paddr_t pa, u64 len);

/* What the pool's memory is for: each allocation is counted under one use, so the end of boot
 * can say where uhv's memory went (kmem_footprint_print) and uhvmem= be sized from it. */
enum kmem_use {
	KMEM_OTHER,	/* uhv's own page tables, the VMX bitmaps, firmware-sized tables... */
	KMEM_PERCPU,	/* CPU stacks, VMXON and VMCS pages, vCPU exit stacks */
	KMEM_EPT,	/* the guest's EPT tables */
	KMEM_VTD,	/* VT-d root/context/page tables, invalidation queues, unit state */
	KMEM_SHADOW,	/* shadow page tables (mem=shadow) */
	KMEM_USES
};
/* As kmem_alloc_pages / kmem_free, counted under use (the plain calls count as KMEM_OTHER). */
paddr_t kmem_alloc_for(enum kmem_use use, size_t npages, size_t align);
void kmem_free_for(enum kmem_use use, paddr_t pa, size_t size);
/* Bytes the pool holds for each use, and the pool's size and free bytes. */
struct kmem_footprint {
	u64 use[KMEM_USES];
	u64 peak[KMEM_USES];	/* each use's high-water mark */
	u64 used_peak;		/* the whole pool's high-water mark (not the sum of peak[]) */
	u64 pool, free, image;
};
void kmem_footprint(struct kmem_footprint *f);
/* One line: "footprint: image I KiB; pool P KiB, used U KiB (per-CPU a, EPT b, VT-d c,
 * shadow d, other e KiB), free F KiB" (printed at the end of boot and of probe). */
void kmem_footprint_print(const char *when);
/* One line at the end of a run: "pool peak: used at most U KiB of P KiB (each use at its own
 * peak: ...)", the figures uhvmem='s default is derived from. */
void kmem_peak_print(void);
/* Make room for bytes more in the pool, for what (said in the line printed): first from the
 * default pool's rounding up to 2 MiB (no share counts on it), the rest as a new range of RAM
 * below 4 GiB, rounded up to 2 MiB. Before the guest's memory is laid out only. 0, or a negative
 * errno (said). */
int kmem_pool_grow(u64 bytes, const char *what);

struct mb2_info;
struct memmap;
struct ptab;
/* Build the memory map from the boot information, reserve what is in use,
 * carve the pool (pool_size 0 = automatic) and switch to uhv's page tables. */
int kmem_init(const struct mb2_info *mi, u64 mbi_pa, u64 load_base, u64 pool_size);
const struct memmap *kmem_memmap(void);
const struct ptab *kmem_page_tables(void);
/* Map firmware data (ACPI tables) that may lie outside RAM, read-only WB. */
const void *kmem_map_firmware(paddr_t pa, size_t len);

#endif
