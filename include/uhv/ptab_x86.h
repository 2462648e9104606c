/* x86-64 paging entries (SDM Vol. 3A, 4.5 "4-level paging and 5-level
 * paging") as a ptab format, for the hypervisor's own page tables.
 *
 * Attributes passed to ptab_map() and reported by ptab_lookup() /
 * ptab_for_each() are the flag bits of a 4 KiB PTE: PTE_P is always added,
 * PTE_PS must not be given (leaf_entry sets it for 2M/1G leaves), and the PAT
 * bit is given at its 4 KiB position (PTE_PAT, bit 7); the format moves it to
 * bit 12 (PTE_PAT_LARGE) in large leaves and back when reading them.
 *
 * Non-leaf entries are always P|RW|A with US and NX clear, so the leaves
 * alone decide permissions for tables this builder made. US stays clear
 * because uhv has no user mode: every page is supervisor-only. */
#ifndef UHV_PTAB_X86_H
#define UHV_PTAB_X86_H

#include <uhv/types.h>
#include <uhv/ptab.h>

#define PTE_P		BIT(0)	/* present */
#define PTE_RW		BIT(1)	/* writable */
#define PTE_US		BIT(2)	/* user accessible */
#define PTE_PWT		BIT(3)	/* page-level write-through */
#define PTE_PCD		BIT(4)	/* page-level cache disable */
#define PTE_A		BIT(5)	/* accessed */
#define PTE_D		BIT(6)	/* dirty (leaves only) */
#define PTE_PS		BIT(7)	/* page size: large leaf (PDPTE / PDE only) */
#define PTE_PAT		BIT(7)	/* PAT index bit in a 4 KiB PTE (same bit as PS) */
#define PTE_G		BIT(8)	/* global (leaves only, CR4.PGE) */
#define PTE_PAT_LARGE	BIT(12)	/* PAT index bit in a 2 MiB / 1 GiB leaf */
#define PTE_NX		BIT(63)	/* execute disable (IA32_EFER.NXE) */

#define PTE_ADDR_4K	0x000ffffffffff000ULL	/* bits 51:12 */
#define PTE_ADDR_2M	0x000fffffffe00000ULL	/* bits 51:21 */
#define PTE_ADDR_1G	0x000fffffc0000000ULL	/* bits 51:30 */
/* flag bits of a 4 KiB PTE: 11:0 and 63:52 (ignored bits, protection key, NX) */
#define PTE_FLAGS	(~PTE_ADDR_4K)

/* Common attribute sets for the hypervisor's own mappings (PAT entry 0 = WB,
 * PCD|PWT = entry 3 = UC with the reset PAT). */
#define PTE_ATTR_TEXT	(PTE_P | PTE_G)				/* read + execute */
#define PTE_ATTR_RODATA	(PTE_P | PTE_G | PTE_NX)		/* read only */
#define PTE_ATTR_DATA	(PTE_P | PTE_RW | PTE_G | PTE_NX)	/* read + write */
#define PTE_ATTR_MMIO	(PTE_P | PTE_RW | PTE_PCD | PTE_PWT | PTE_NX)	/* uncached */

/* Format for ptab_init(pt, &ptab_x86_fmt, mem, 4 (or 5 with LA57), 2). */
extern const struct ptab_fmt ptab_x86_fmt;

/* W^X check of a table using ptab_x86_fmt. Walks every leaf with the
 * effective permissions of its whole path (RW and US only if every level
 * has them, NX if any level has it; CR0.WP=1 assumed, so supervisor writes
 * honour RW) and calls report (may be NULL) for each leaf that is both
 * writable and executable, with those effective flags. Returns the number of
 * such leaves, or -EINVAL if pt does not use ptab_x86_fmt. */
int ptab_x86_check_wx(const struct ptab *pt, void (*report)(void *ctx, u64 va, u64 size, u64 attrs),
		      void *ctx);

#endif
