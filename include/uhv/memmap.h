/* Normalized physical memory map: sorted, non-overlapping, page-aligned
 * ranges with a type, built from the firmware's (e820-style) map and then
 * refined by uhv as it claims memory for itself (image, boot data, pool).
 *
 * Storage is provided by the caller; real maps have 100-200 entries and each
 * reservation can add up to two, so a few hundred ranges is plenty. */
#ifndef UHV_MEMMAP_H
#define UHV_MEMMAP_H

#include <uhv/types.h>

enum memmap_type {
	/* firmware types, e820 numbering (anything else in the input = reserved) */
	MEMMAP_AVAILABLE = 1,
	MEMMAP_RESERVED = 2,
	MEMMAP_ACPI = 3,	/* ACPI reclaimable (tables) */
	MEMMAP_NVS = 4,		/* ACPI NVS: must survive sleep states */
	MEMMAP_BAD = 5,
	/* owners: available memory uhv has taken out of circulation */
	MEMMAP_LOW = 16,	/* the first MiB (real-mode structures, AP trampoline) */
	MEMMAP_HV_IMAGE,	/* uhv's loaded image */
	MEMMAP_HV_POOL,		/* uhv's own pool (frame allocator) */
	MEMMAP_BOOT_INFO,	/* multiboot information */
	MEMMAP_BOOT_MODULE,	/* multiboot modules (guest images) */
	MEMMAP_GUEST,		/* memory given to a guest */
};

/* Firmware input entry (e.g. from the multiboot2 memory map tag). */
struct memmap_entry {
	u64 base, len;
	u32 type;
};

/* One normalized range [base, end). */
struct memmap_range {
	u64 base, end;
	u32 type;		/* enum memmap_type */
};

struct memmap {
	struct memmap_range *r;
	size_t n, cap;
};

/* Build map in storage[capacity] from in[n], which may be unsorted and
 * overlapping. Overlaps resolve to the more restrictive type
 * (available < ACPI < reserved < NVS < bad); available ranges shrink to whole
 * pages, others grow to whole pages; adjacent ranges of one type merge.
 * Returns 0, -EINVAL or -ENOSPC (then the map is empty). */
int memmap_init(struct memmap *map, struct memmap_range *storage, size_t capacity,
		const struct memmap_entry *in, size_t n);

/* Mark the available parts of [base, base+len) (grown to whole pages) as
 * type, usually an owner. Parts that are not available (firmware-reserved,
 * already owned, holes) are left as they are. Returns 0, -EINVAL (type
 * AVAILABLE or bad range) or -ENOSPC (map unchanged). */
int memmap_reserve(struct memmap *map, u64 base, u64 len, enum memmap_type type);

/* Take size bytes aligned to align (power of two, at least 4 KiB is used)
 * from available memory ending at or below `below` (0: no limit), as type.
 * prefer_high takes the highest suitable place, else the lowest. Returns 0
 * and sets *base, -ENOMEM when nothing fits, -EINVAL or -ENOSPC. */
int memmap_carve(struct memmap *map, u64 size, u64 align, bool prefer_high, u64 below,
		 enum memmap_type type, u64 *base);

/* Bytes of the given type. */
u64 memmap_total(const struct memmap *map, enum memmap_type type);

/* Type at pa, or -ENOENT if pa is in a hole. */
int memmap_type_at(const struct memmap *map, u64 pa);

/* Is all of [base, base+len) of the given type (no holes)? */
bool memmap_range_is(const struct memmap *map, u64 base, u64 len, enum memmap_type type);

/* "available", "ACPI NVS", "uhv image", ... */
const char *memmap_type_name(u32 type);

/* Print the map as a table and a totals line on the console. */
void memmap_print(const struct memmap *map);

#endif
