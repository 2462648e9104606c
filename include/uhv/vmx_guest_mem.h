/* The guest's physical memory: which host ranges it gets and how its EPT
 * maps them (identity: guest-physical = host-physical).
 *
 *  - RAM the firmware reports, minus uhv's image and pool, is guest RAM; the
 *    low MiB, the boot information and the modules count as RAM (the guest
 *    owns the real-mode structures, and the loader has taken what it needs);
 *  - ACPI, NVS and firmware-reserved ranges appear in the guest's memory map
 *    as such; the EPT maps, besides RAM, only the ranges of the MMIO policy
 *    (<uhv/mmio_policy.h>: LAPIC, IOAPIC, HPET, VGA/ROM window, ACPI and NVS,
 *    reserved below 1 MiB); everything else is unassigned and exits;
 *  - uhv's own memory and the VT-d register pages are holes: never mapped.
 * Memory types come from the host MTRRs when they are enabled; otherwise RAM
 * (and ACPI/NVS, which are RAM) is WB and everything else UC.
 *
 * Pure (vm/mem_layout.c); the runtime part is vmx/ept_setup.c. */
#ifndef UHV_VMX_GUEST_MEM_H
#define UHV_VMX_GUEST_MEM_H

#include <uhv/types.h>
#include <uhv/guest.h>
#include <uhv/memmap.h>
#include <uhv/ept.h>
#include <uhv/options.h>
#include <uhv/mtrr.h>
#include <uhv/ptab.h>
#include <uhv/mmio_policy.h>

/* Fill g->mem (and nr_mem) from the memory map, merging neighbours of the
 * same guest type. Returns 0 or -ENOSPC (more than GUEST_MAX_REGIONS).
 *
 * UHV_PLACEMENT_OFFSET: the same guest-physical layout, but every RAM byte
 * above 1 MiB is backed by a different host RAM byte: the RAM above 1 MiB,
 * taken in address order as one line of T bytes, is rotated by about T/2
 * (2 MiB-aligned when T allows) between guest and host. Regions are split
 * where the rotation or a host range boundary falls, so a guest RAM range may
 * become several regions with unrelated host addresses. The boot information
 * and the modules are left out of guest memory altogether (holes): the loader
 * copies the modules in (LOADER_NOT_IN_GUEST), and their host bytes must
 * survive that copy. The low MiB stays identity-mapped. */
int guest_mem_from_memmap(struct guest *g, const struct memmap *map, enum uhv_placement placement);

/* uhv's image and pool ranges from the map, followed by extra[] (e.g. the
 * VT-d register pages). Returns the number of holes or -ENOSPC. */
int guest_mem_holes(const struct memmap *map, const struct ept_hole *extra, size_t nextra,
		    struct ept_hole *out, size_t cap);

/* EPT regions for g: every range of the MMIO policy (RWX, identity), then
 * every RAM, ACPI and NVS region of g->mem (RWX; mapped last, so they win an
 * overlap). Reserved regions and holes only where the policy names them. use_mtrr:
 * memory type EPT_MT_FROM_MTRR everywhere; else WB for RAM/ACPI/NVS and UC
 * for the rest. Returns the number of regions or -ENOSPC. */
int guest_mem_ept_regions(const struct guest *g, const struct mmio_policy *policy,
			  bool use_mtrr, struct ept_region *out, size_t cap);

/* The memory map type name of a guest region type ("RAM", "ACPI", ...). */
const char *guest_mem_type_name(u32 type);

/* Runtime (vmx/ept_setup.c): the EPT half of <uhv/vm_mmu.h> (ept_mmu). */

#define VM_EPT_MAX_HOLES	32	/* uhv's memory ranges and up to 16 VT-d register pages */

/* The guest's EPT, built from vm->guest.mem by ept_mmu.setup_memory; changed at run time only
 * by map_mmio/unmap_mmio under the vm's emul_lock. */
struct vm_ept {
	struct ptab pt;
	u64 eptp;			/* 0 until built */
	struct mtrr_state host_mtrr;	/* memory types of host memory */
	struct ept_build_cfg cfg;	/* the build's configuration, reused for later mappings */
	struct ept_hole holes[VM_EPT_MAX_HOLES];	/* never mapped: uhv, VT-d registers */
};

#endif
