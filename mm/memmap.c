/* Normalized physical memory map (see include/uhv/memmap.h). */
#define LOG_MODULE "mm"
#include <uhv/memmap.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>

/* Highest page-aligned address we represent; ranges reaching past it are cut. */
#define MEMMAP_TOP	(~0ULL & ~(PAGE_SIZE - 1))

/* Overlap precedence for firmware types: higher wins. */
static unsigned rank(u32 type)
{
	switch (type) {
	case MEMMAP_AVAILABLE:
		return 0;
	case MEMMAP_ACPI:
		return 1;
	case MEMMAP_NVS:
		return 3;
	case MEMMAP_BAD:
		return 4;
	default:
		return 2;	/* reserved and anything unknown */
	}
}

static u32 firmware_type(u32 type)
{
	return type >= MEMMAP_AVAILABLE && type <= MEMMAP_BAD ? type : MEMMAP_RESERVED;
}

/* Page-align one input entry: available memory shrinks to whole pages (a
 * partial page is not usable), everything else grows (it must not be used). */
static bool norm_entry(const struct memmap_entry *e, u64 *base, u64 *end, u32 *type)
{
	u64 b = e->base, x;

	if (!e->len || b >= MEMMAP_TOP)
		return false;
	x = (e->len > MEMMAP_TOP - b) ? MEMMAP_TOP : b + e->len;
	*type = firmware_type(e->type);
	if (*type == MEMMAP_AVAILABLE) {
		b = ALIGN_UP(b, PAGE_SIZE);
		x = ALIGN_DOWN(x, PAGE_SIZE);
	} else {
		b = ALIGN_DOWN(b, PAGE_SIZE);
		x = x > MEMMAP_TOP - PAGE_SIZE ? MEMMAP_TOP : ALIGN_UP(x, PAGE_SIZE);
	}
	if (x <= b)
		return false;
	*base = b;
	*end = x;
	return true;
}

static int append(struct memmap *map, u64 base, u64 end, u32 type)
{
	struct memmap_range *last = map->n ? &map->r[map->n - 1] : NULL;

	if (last && last->end == base && last->type == type) {
		last->end = end;
		return 0;
	}
	if (map->n == map->cap)
		return -ENOSPC;
	map->r[map->n++] = (struct memmap_range){ base, end, type };
	return 0;
}

/* Sweep over the boundaries of all entries: between two consecutive
 * boundaries the type is that of the most restrictive covering entry.
 * O(n^2) with n ~ 200 and no scratch memory needed. */
int memmap_init(struct memmap *map, struct memmap_range *storage, size_t capacity,
		const struct memmap_entry *in, size_t n)
{
	u64 pos = MEMMAP_TOP;
	bool any = false;

	if (!map || !storage || (n && !in))
		return -EINVAL;
	map->r = storage;
	map->n = 0;
	map->cap = capacity;
	for (size_t i = 0; i < n; i++) {
		u64 b, e;
		u32 t;

		if (norm_entry(&in[i], &b, &e, &t)) {
			pos = MIN(pos, b);
			any = true;
		}
	}
	while (any) {
		u64 next = ~0ULL;	/* above any boundary */
		bool covered = false, more = false;
		u32 type = MEMMAP_AVAILABLE;

		for (size_t i = 0; i < n; i++) {
			u64 b, e;
			u32 t;

			if (!norm_entry(&in[i], &b, &e, &t))
				continue;
			if (b <= pos && pos < e) {
				if (!covered || rank(t) > rank(type))
					type = t;
				covered = true;
			}
			if (b > pos && b < next) {
				next = b;
				more = true;
			}
			if (e > pos && e < next) {
				next = e;
				more = true;
			}
		}
		if (!more)
			break;
		if (covered && append(map, pos, next, type)) {
			pr_err("memory map has more than %zu ranges; raise the storage size\n",
			       capacity);
			map->n = 0;
			return -ENOSPC;
		}
		pos = next;
	}
	return 0;
}

static void merge_neighbours(struct memmap *map)
{
	size_t out = 0;

	for (size_t i = 0; i < map->n; i++) {
		if (out && map->r[out - 1].end == map->r[i].base &&
		    map->r[out - 1].type == map->r[i].type)
			map->r[out - 1].end = map->r[i].end;
		else
			map->r[out++] = map->r[i];
	}
	map->n = out;
}

static void insert_at(struct memmap *map, size_t pos, struct memmap_range r)
{
	for (size_t i = map->n; i > pos; i--)
		map->r[i] = map->r[i - 1];
	map->r[pos] = r;
	map->n++;
}

int memmap_reserve(struct memmap *map, u64 base, u64 len, enum memmap_type type)
{
	u64 end;
	size_t splits = 0;

	if (type == MEMMAP_AVAILABLE || base >= MEMMAP_TOP || len > MEMMAP_TOP - base)
		return -EINVAL;
	if (!len)
		return 0;
	end = base + len;
	base = ALIGN_DOWN(base, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);

	/* count first so that -ENOSPC leaves the map untouched */
	for (size_t i = 0; i < map->n; i++) {
		const struct memmap_range *r = &map->r[i];

		if (r->type != MEMMAP_AVAILABLE)
			continue;
		splits += r->base < base && base < r->end;
		splits += r->base < end && end < r->end;
	}
	if (map->n + splits > map->cap)
		return -ENOSPC;

	for (size_t i = 0; i < map->n; i++) {
		struct memmap_range *r = &map->r[i];

		if (r->type != MEMMAP_AVAILABLE || r->end <= base || r->base >= end)
			continue;
		if (r->base < base) {	/* keep the available head */
			insert_at(map, i + 1, (struct memmap_range){ base, r->end, r->type });
			map->r[i].end = base;
			continue;	/* the tail is handled as entry i + 1 */
		}
		if (r->end > end) {	/* keep the available tail */
			insert_at(map, i + 1, (struct memmap_range){ end, r->end, r->type });
			r = &map->r[i];
			r->end = end;
		}
		r->type = type;
	}
	merge_neighbours(map);
	return 0;
}

int memmap_carve(struct memmap *map, u64 size, u64 align, bool prefer_high, u64 below,
		 enum memmap_type type, u64 *base)
{
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || (align & (align - 1)) ||
	    type == MEMMAP_AVAILABLE)
		return -EINVAL;
	align = MAX(align, PAGE_SIZE);
	if (!below || below > MEMMAP_TOP)
		below = MEMMAP_TOP;

	for (size_t k = 0; k < map->n; k++) {
		const struct memmap_range *r = &map->r[prefer_high ? map->n - 1 - k : k];
		u64 lo = r->base, hi = MIN(r->end, below), b;

		if (r->type != MEMMAP_AVAILABLE || hi <= lo || hi - lo < size)
			continue;
		if (prefer_high) {
			b = ALIGN_DOWN(hi - size, align);
			if (b < lo)
				continue;
		} else {
			if (lo > MEMMAP_TOP - (align - 1))
				continue;
			b = ALIGN_UP(lo, align);
			if (b > hi - size)
				continue;
		}
		int err = memmap_reserve(map, b, size, type);

		if (err)
			return err;
		*base = b;
		return 0;
	}
	return -ENOMEM;
}

u64 memmap_total(const struct memmap *map, enum memmap_type type)
{
	u64 sum = 0;

	for (size_t i = 0; i < map->n; i++)
		if (map->r[i].type == (u32)type)
			sum += map->r[i].end - map->r[i].base;
	return sum;
}

int memmap_type_at(const struct memmap *map, u64 pa)
{
	size_t lo = 0, hi = map->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pa < map->r[mid].base)
			hi = mid;
		else if (pa >= map->r[mid].end)
			lo = mid + 1;
		else
			return map->r[mid].type;
	}
	return -ENOENT;
}

bool memmap_range_is(const struct memmap *map, u64 base, u64 len, enum memmap_type type)
{
	u64 end = base + len, pos = base;

	if (end < base)
		return false;
	for (size_t i = 0; i < map->n && pos < end; i++) {
		const struct memmap_range *r = &map->r[i];

		if (r->end <= pos)
			continue;
		if (r->base > pos || r->type != (u32)type)
			return false;
		pos = r->end;
	}
	return pos >= end;
}

const char *memmap_type_name(u32 type)
{
	switch (type) {
	case MEMMAP_AVAILABLE:
		return "available";
	case MEMMAP_RESERVED:
		return "reserved";
	case MEMMAP_ACPI:
		return "ACPI reclaimable";
	case MEMMAP_NVS:
		return "ACPI NVS";
	case MEMMAP_BAD:
		return "bad";
	case MEMMAP_LOW:
		return "low memory (uhv)";
	case MEMMAP_HV_IMAGE:
		return "uhv image";
	case MEMMAP_HV_POOL:
		return "uhv pool";
	case MEMMAP_BOOT_INFO:
		return "boot info";
	case MEMMAP_BOOT_MODULE:
		return "boot module";
	case MEMMAP_GUEST:
		return "guest";
	default:
		return "?";
	}
}

/* "636 KiB", "7 MiB", "1.5 GiB": the largest unit, one decimal if inexact. */
static const char *size_str(char *buf, size_t len, u64 bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u + 1 < ARRAY_SIZE(unit) && bytes >= (1ULL << (10 * (u + 1))))
		u++;
	u64 whole = bytes >> (10 * u), rem = bytes & ((1ULL << (10 * u)) - 1);

	if (rem)
		ksnprintf(buf, len, "%llu.%llu %s", whole,
			  ((rem * 10) >> (10 * u)), unit[u]);
	else
		ksnprintf(buf, len, "%llu %s", whole, unit[u]);
	return buf;
}

void memmap_print(const struct memmap *map)
{
	static const u32 owners[] = { MEMMAP_HV_IMAGE, MEMMAP_HV_POOL, MEMMAP_BOOT_INFO,
				      MEMMAP_BOOT_MODULE, MEMMAP_LOW };
	char sz[24], line[320];
	u64 uhv = 0;
	size_t n;

	pr_info("physical memory map, %zu ranges:\n", map->n);
	log_raw("  %-18s  %-18s  %10s  %s\n", "base", "end", "size", "type");
	for (size_t i = 0; i < map->n; i++) {
		const struct memmap_range *r = &map->r[i];

		log_raw("  %#018llx  %#018llx  %10s  %s\n", r->base,
			r->end, size_str(sz, sizeof(sz), r->end - r->base),
			memmap_type_name(r->type));
	}
	for (size_t i = 0; i < ARRAY_SIZE(owners); i++)
		uhv += memmap_total(map, owners[i]);
	n = ksnprintf(line, sizeof(line), "usable %llu MiB, reserved for uhv %llu KiB (",
		      (memmap_total(map, MEMMAP_AVAILABLE) >> 20),
		      (uhv >> 10));
	for (size_t i = 0, first = 1; i < ARRAY_SIZE(owners); i++) {
		u64 t = memmap_total(map, owners[i]);

		if (!t)
			continue;
		n += ksnprintf(line + n, sizeof(line) - n, "%s%s %s", first ? "" : ", ",
			       memmap_type_name(owners[i]), size_str(sz, sizeof(sz), t));
		n = MIN(n, sizeof(line) - 1);
		first = 0;
	}
	pr_info("%s)\n", line);
	n = ksnprintf(line, sizeof(line), "guest %s", size_str(sz, sizeof(sz),
		      memmap_total(map, MEMMAP_GUEST)));
	for (u32 t = MEMMAP_RESERVED; t <= MEMMAP_BAD; t++) {
		n += ksnprintf(line + n, sizeof(line) - n, ", %s %s", memmap_type_name(t),
			       size_str(sz, sizeof(sz), memmap_total(map, t)));
		n = MIN(n, sizeof(line) - 1);
	}
	pr_info("%s\n", line);
}
