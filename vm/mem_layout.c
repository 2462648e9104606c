/* The guest's memory layout from uhv's memory map (see
 * <uhv/vmx_guest_mem.h>). Pure: works on the map and the guest structure. */
#include <uhv/vmx_guest_mem.h>
#include <uhv/errno.h>
#include <uhv/string.h>

#define PLACEMENT_LOW_END	MiB(1)	/* offset placement moves guest RAM from here up */

/* The guest type of a memory map range, or 0 when the guest does not get it. */
static u32 guest_type(u32 mtype)
{
	switch (mtype) {
	case MEMMAP_AVAILABLE:
	case MEMMAP_LOW:
	case MEMMAP_BOOT_INFO:
	case MEMMAP_BOOT_MODULE:
	case MEMMAP_GUEST:
		return GUEST_MEM_RAM;
	case MEMMAP_ACPI:
		return GUEST_MEM_ACPI;
	case MEMMAP_NVS:
		return GUEST_MEM_NVS;
	case MEMMAP_RESERVED:
		return GUEST_MEM_RESERVED;
	default:		/* uhv's image and pool, bad memory */
		return 0;
	}
}

static int from_memmap_identity(struct guest *g, const struct memmap *map, bool keep_boot)
{
	g->nr_mem = 0;
	for (size_t i = 0; i < map->n; i++) {
		const struct memmap_range *r = &map->r[i];
		u32 t = guest_type(r->type);

		if (!keep_boot && (r->type == MEMMAP_BOOT_INFO || r->type == MEMMAP_BOOT_MODULE))
			t = 0;
		if (!t || r->end <= r->base)
			continue;
		if (g->nr_mem) {
			struct guest_region *p = &g->mem[g->nr_mem - 1];
			if (p->type == t && p->gpa + p->size == r->base) {
				p->size += r->end - r->base;
				continue;
			}
		}
		if (g->nr_mem == GUEST_MAX_REGIONS)
			return -ENOSPC;
		g->mem[g->nr_mem++] = (struct guest_region){
			.gpa = r->base, .size = r->end - r->base, .hpa = r->base, .type = t,
		};
	}
	return 0;
}

/* Offset placement. The RAM above 1 MiB, in address order, is one sequence of
 * T bytes (the "RAM line"); the guest-physical byte at line position x is
 * backed by the host byte at line position (x + rot) mod T, rot about T/2.
 * Guest and host sets are the same ranges, so the host memory is exactly the
 * RAM the identity layout would give, each byte used once; line position ->
 * address is strictly increasing, so no RAM byte above 1 MiB keeps its
 * address. */
struct line_span {
	u64 start, end;
};

/* Build scratch, too large for a stack: the layout is computed once, on the boot CPU, before
 * any vCPU runs (no guest state lives here afterwards). */
static struct line_span line[GUEST_MAX_REGIONS];
static struct guest_region ident[GUEST_MAX_REGIONS];

/* Host address of line position y, and the bytes left in its span. */
static u64 line_addr(const struct line_span *l, unsigned n, u64 y, u64 *left)
{
	for (unsigned i = 0; i < n; i++) {
		u64 len = l[i].end - l[i].start;

		if (y < len) {
			*left = len - y;
			return l[i].start + y;
		}
		y -= len;
	}
	*left = 0;
	return 0;
}

static int place_offset(struct guest *g)
{
	unsigned n = 0, nident = g->nr_mem;
	u64 total = 0, rot, x = 0;

	memcpy(ident, g->mem, sizeof(ident[0]) * nident);
	for (unsigned i = 0; i < nident; i++) {
		const struct guest_region *r = &ident[i];
		u64 start = MAX(r->gpa, PLACEMENT_LOW_END), end = r->gpa + r->size;

		if (r->type != GUEST_MEM_RAM || end <= start)
			continue;
		line[n++] = (struct line_span){ start, end };
		total += end - start;
	}
	rot = total / 2 >= MiB(2) ? ALIGN_DOWN(total / 2, MiB(2)) : ALIGN_DOWN(total / 2, PAGE_SIZE);
	if (!rot)
		return 0;	/* too little RAM to move anything */
	g->nr_mem = 0;
	for (unsigned i = 0; i < nident; i++) {
		const struct guest_region *r = &ident[i];
		u64 gpa = r->gpa, end = r->gpa + r->size;

		if (r->type == GUEST_MEM_RAM && gpa < PLACEMENT_LOW_END) {	/* the low MiB stays */
			u64 lend = MIN(end, PLACEMENT_LOW_END);

			if (g->nr_mem == GUEST_MAX_REGIONS)
				return -ENOSPC;
			g->mem[g->nr_mem++] = (struct guest_region){
				.gpa = gpa, .size = lend - gpa, .hpa = gpa, .type = r->type,
			};
			gpa = lend;
		}
		if (r->type != GUEST_MEM_RAM) {
			if (g->nr_mem == GUEST_MAX_REGIONS)
				return -ENOSPC;
			g->mem[g->nr_mem++] = *r;
			continue;
		}
		while (gpa < end) {
			u64 y = (x + rot) % total, left;
			u64 hpa = line_addr(line, n, y, &left);
			u64 len = MIN(MIN(end - gpa, left), total - y);

			if (g->nr_mem == GUEST_MAX_REGIONS)
				return -ENOSPC;
			g->mem[g->nr_mem++] = (struct guest_region){
				.gpa = gpa, .size = len, .hpa = hpa, .type = GUEST_MEM_RAM,
			};
			gpa += len;
			x += len;
		}
	}
	return 0;
}

int guest_mem_from_memmap(struct guest *g, const struct memmap *map, enum uhv_placement placement)
{
	bool offset = placement == UHV_PLACEMENT_OFFSET;
	int ret = from_memmap_identity(g, map, !offset);

	if (ret < 0 || !offset)
		return ret;
	return place_offset(g);
}

int guest_mem_holes(const struct memmap *map, const struct ept_hole *extra, size_t nextra,
		    struct ept_hole *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < map->n; i++) {
		const struct memmap_range *r = &map->r[i];

		if (r->type != MEMMAP_HV_IMAGE && r->type != MEMMAP_HV_POOL)
			continue;
		if (n == cap)
			return -ENOSPC;
		out[n++] = (struct ept_hole){ .hpa = r->base, .size = r->end - r->base };
	}
	for (size_t i = 0; i < nextra; i++) {
		if (n == cap)
			return -ENOSPC;
		out[n++] = extra[i];
	}
	return (int)n;
}

/* Memory type without the MTRRs: firmware tables are RAM (WB), device space UC. */
static u8 fixed_type(unsigned rule)
{
	return rule == MMIO_RULE_ACPI || rule == MMIO_RULE_NVS || rule == MMIO_RULE_ACPI_TABLES ?
	       MTRR_TYPE_WB : MTRR_TYPE_UC;
}

int guest_mem_ept_regions(const struct guest *g, const struct mmio_policy *policy,
			  bool use_mtrr, struct ept_region *out, size_t cap)
{
	size_t n = 0;

	/* The policy's ranges first: a RAM region mapped after them wins where they meet */
	for (unsigned i = 0; i < policy->n; i++) {
		const struct mmio_range *r = &policy->r[i];

		if (n == cap)
			return -ENOSPC;
		out[n++] = (struct ept_region){
			.gpa = r->gpa, .hpa = r->gpa, .size = r->size, .perms = EPT_RWX,
			.memtype = use_mtrr ? EPT_MT_FROM_MTRR : fixed_type(r->rule),
		};
	}
	/* The guest's memory: RAM, and ACPI/NVS regions (the firmware's, which the ACPI rules
	 * name too, and the guest's own ACPI copy, which uhv carves out of its RAM). Reserved
	 * regions only where a rule names them (below 1 MiB): on real machines firmware marks
	 * chipset registers and the flash reserved */
	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];

		if (r->type == GUEST_MEM_RESERVED)
			continue;
		if (n == cap)
			return -ENOSPC;
		out[n++] = (struct ept_region){
			.gpa = r->gpa, .hpa = r->hpa, .size = r->size, .perms = EPT_RWX,
			.memtype = use_mtrr ? EPT_MT_FROM_MTRR : MTRR_TYPE_WB,
		};
	}
	return (int)n;
}

const char *guest_mem_type_name(u32 type)
{
	switch (type) {
	case GUEST_MEM_RAM: return "RAM";
	case GUEST_MEM_RESERVED: return "reserved";
	case GUEST_MEM_ACPI: return "ACPI";
	case GUEST_MEM_NVS: return "ACPI NVS";
	default: return "?";
	}
}
