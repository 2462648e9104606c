/* Placing things in guest RAM: modules, the kernel's temporary copy, boot
 * information, Linux's initrd and boot data. Shared by the multiboot and the
 * Linux loaders; pure (it only looks at struct guest's regions). */
#include <uhv/loader.h>
#include <uhv/guest.h>
#define LOG_MODULE "loader"
#include <uhv/log.h>

void loader_busy_add(struct loader_busy *b, u64 start, u64 end)
{
	if (end > start && b->n < ARRAY_SIZE(b->r))
		b->r[b->n++] = (struct loader_span){ start, end };
}

/* The lowest start of a busy span overlapping [start, end), or ~0 if none. */
u64 loader_busy_hit(const struct loader_busy *b, u64 start, u64 end)
{
	u64 hit = ~0ULL;

	for (unsigned i = 0; i < b->n; i++)
		if (b->r[i].start < end && start < b->r[i].end)
			hit = MIN(hit, b->r[i].start);
	return hit;
}

u64 loader_place_high(const struct guest *g, u64 size, u64 limit, u64 align,
		      const struct loader_busy *b)
{
	u64 need = MAX(size, 1);

	for (unsigned i = g->nr_mem; i-- > 0;) {
		const struct guest_region *r = &g->mem[i];
		u64 lo = MAX(r->gpa, LOADER_LOW_MEM_START), end = MIN(r->gpa + r->size, limit);

		if (r->type != GUEST_MEM_RAM)
			continue;
		while (end > lo && end - lo >= need) {
			u64 cand = ALIGN_DOWN(end - need, align), hit;

			if (cand < lo)
				break;
			hit = loader_busy_hit(b, cand, cand + need);
			if (hit == ~0ULL)
				return cand;
			end = hit;
		}
	}
	return 0;
}

u64 loader_place_low(const struct guest *g, u64 size, u64 lo, u64 hi, const struct loader_busy *b)
{
	u64 need = MAX(size, 1);

	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];
		u64 cand = ALIGN_UP(MAX(r->gpa, lo), PAGE_SIZE), end = MIN(r->gpa + r->size, hi);

		if (r->type != GUEST_MEM_RAM)
			continue;
		while (cand < end && end - cand >= need) {
			u64 next = 0;

			if (loader_busy_hit(b, cand, cand + need) == ~0ULL)
				return cand;
			/* step past every busy span this candidate touches */
			for (unsigned j = 0; j < b->n; j++)
				if (b->r[j].start < cand + need && cand < b->r[j].end)
					next = MAX(next, b->r[j].end);
			cand = ALIGN_UP(next, PAGE_SIZE);
		}
	}
	return 0;
}

void loader_print_ram(const struct guest *g)
{
	for (unsigned i = 0; i < g->nr_mem; i++)
		if (g->mem[i].type == GUEST_MEM_RAM)
			pr_info("  guest RAM [0x%llx, 0x%llx)\n", g->mem[i].gpa,
				(g->mem[i].gpa + g->mem[i].size));
}
