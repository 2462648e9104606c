/* Memory walk: write an address-derived pattern over all RAM the memory map
 * gives the guest (below 4 GiB, paging off), then read it all back. Under
 * uhv this proves every page is mapped, distinct (no aliasing) and not shared
 * with uhv: a write into uhv's memory would crash it or be read back wrong.
 * The guest's image, its boot information and its modules are skipped.
 * Command line: memwalk=off, or memwalk=STRIDE in bytes (default 64). */
#include "selftest.h"

#define MAX_EXCL	(GUEST_MAX_MODULES + 4)
#define PATTERN		0xa5a5a5a5u

struct span {
	u64 start, end;
};

static struct span excl[MAX_EXCL];
static unsigned nr_excl;

static void exclude(u64 start, u64 end)
{
	if (end <= start || nr_excl == MAX_EXCL)
		return;
	/* insertion sort by start */
	unsigned i = nr_excl++;
	while (i && excl[i - 1].start > start) {
		excl[i] = excl[i - 1];
		i--;
	}
	excl[i] = (struct span){ start & ~3ULL, (end + 3) & ~3ULL };
}

static u32 parse_u32(const char *s)
{
	u32 v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

/* Call fn on each piece of RAM below 4 GiB that is not excluded. */
static u64 for_each_span(bool (*fn)(u64 start, u64 end, u32 stride), u32 stride, bool *ok)
{
	u64 covered = 0;

	for (unsigned i = 0; i < boot.nr_mmap; i++) {
		const struct mmap_range *r = &boot.mmap[i];
		u64 a = (r->base + 3) & ~3ULL, b = r->base + r->len;

		if (r->type != 1)
			continue;
		if (b > 0x100000000ULL)
			b = 0x100000000ULL;
		for (unsigned e = 0; e < nr_excl && a < b; e++) {
			if (excl[e].end <= a || excl[e].start >= b)
				continue;
			if (a < excl[e].start) {
				*ok &= fn(a, excl[e].start, stride);
				covered += excl[e].start - a;
			}
			a = excl[e].end;
		}
		if (a < b) {
			*ok &= fn(a, b, stride);
			covered += b - a;
		}
	}
	return covered;
}

static u32 bad_addr, bad_val;

static bool fill(u64 start, u64 end, u32 stride)
{
	for (u64 a = start; a + 4 <= end; a += stride)
		*(volatile u32 *)(uintptr_t)a = (u32)a ^ PATTERN;
	return true;
}

static bool verify(u64 start, u64 end, u32 stride)
{
	for (u64 a = start; a + 4 <= end; a += stride) {
		u32 v = *(volatile u32 *)(uintptr_t)a;

		if (v != ((u32)a ^ PATTERN)) {
			bad_addr = a;
			bad_val = v;
			return false;
		}
	}
	return true;
}

void check_memwalk(void)
{
	char opt[16];
	u32 stride = 64;
	bool ok = true;
	u64 above = 0, covered;

	if (cmdline_get("memwalk", opt, sizeof(opt))) {
		if (!strncmp(opt, "off", 4)) {
			test_skip("memwalk", "memwalk=off");
			return;
		}
		stride = parse_u32(opt) & ~3U;
		if (!stride)
			stride = 4;
	}
	nr_excl = 0;
	exclude((u32)(uintptr_t)__image_start, (u32)(uintptr_t)__image_end);
	exclude(boot.info, (u64)boot.info + boot.info_size);
	for (unsigned i = 0; i < boot.nr_mods; i++)
		exclude(boot.mods[i].start, boot.mods[i].end);
	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1 && boot.mmap[i].base + boot.mmap[i].len > 0x100000000ULL)
			above += boot.mmap[i].base + boot.mmap[i].len -
				 (boot.mmap[i].base > 0x100000000ULL ? boot.mmap[i].base
								     : 0x100000000ULL);

	u64 t0 = rdtsc();
	covered = for_each_span(fill, stride, &ok);
	for_each_span(verify, stride, &ok);
	u64 t1 = rdtsc();
	printf("guest: memory walk: %llu KiB of RAM, every %u bytes, %llu KiB above 4 GiB not "
	       "reached, %llu M TSC ticks\n", covered >> 10, stride, above >> 10, (t1 - t0) >> 20);
	if (covered == 0)
		test_fail("memwalk", "the memory map lists no RAM outside the guest's own image");
	else
		test_check("memwalk", ok, "0x%x reads 0x%x, wrote 0x%x", bad_addr, bad_val,
			   bad_addr ^ PATTERN);
}
