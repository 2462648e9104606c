/* Access to guest-physical memory through the guest's regions.
 *
 * A region's host-physical address is reached through the direct map
 * (phys_to_virt). A host unit test backs a region with malloc'ed memory by
 * choosing hpa so that phys_to_virt(hpa) is its buffer (hpa = buffer -
 * DMAP_BASE, modulo 2^64), so this file needs no test-only hook. */
#include <uhv/guest.h>
#include <uhv/kmem.h>
#include <uhv/errno.h>
#include <uhv/string.h>

/* The region holding gpa, any type; NULL if none. Regions are sorted. */
static const struct guest_region *region_of(const struct guest *g, u64 gpa)
{
	unsigned lo = 0, hi = g->nr_mem;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct guest_region *r = &g->mem[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* Bytes of RAM from gpa to the end of its region (0 if gpa is not RAM). */
static u64 ram_run(const struct guest *g, u64 gpa)
{
	const struct guest_region *r = region_of(g, gpa);

	if (!r || r->type != GUEST_MEM_RAM)
		return 0;
	return r->size - (gpa - r->gpa);
}

void *guest_ptr(struct guest *g, u64 gpa, u64 len)
{
	const struct guest_region *r = region_of(g, gpa);

	if (!r || r->type != GUEST_MEM_RAM)
		return NULL;
	if (len > r->size - (gpa - r->gpa))
		return NULL;
	return phys_to_virt(r->hpa + (gpa - r->gpa));
}

bool guest_is_ram(const struct guest *g, u64 gpa, u64 len)
{
	if (gpa + len < gpa)
		return false;
	while (len) {
		u64 n = ram_run(g, gpa);

		if (!n)
			return false;
		n = MIN(n, len);
		gpa += n;
		len -= n;
	}
	return true;
}

/* Adjacent regions need not be contiguous in host memory, so a copy is done
 * region by region. */
int guest_write(struct guest *g, u64 gpa, const void *src, u64 len)
{
	const u8 *s = src;

	if (!guest_is_ram(g, gpa, len))
		return -EFAULT;
	while (len) {
		u64 n = MIN(ram_run(g, gpa), len);

		memmove(guest_ptr(g, gpa, n), s, n);
		gpa += n;
		s += n;
		len -= n;
	}
	return 0;
}

int guest_read(struct guest *g, u64 gpa, void *dst, u64 len)
{
	u8 *d = dst;

	if (!guest_is_ram(g, gpa, len))
		return -EFAULT;
	while (len) {
		u64 n = MIN(ram_run(g, gpa), len);

		memmove(d, guest_ptr(g, gpa, n), n);
		gpa += n;
		d += n;
		len -= n;
	}
	return 0;
}

u64 guest_ram_total(const struct guest *g)
{
	u64 total = 0;

	for (unsigned i = 0; i < g->nr_mem; i++)
		if (g->mem[i].type == GUEST_MEM_RAM)
			total += g->mem[i].size;
	return total;
}

int guest_zero(struct guest *g, u64 gpa, u64 len)
{
	static const u8 zero[512];

	while (len) {
		u64 n = MIN(len, sizeof(zero));
		int ret = guest_write(g, gpa, zero, n);

		if (ret)
			return ret;
		gpa += n;
		len -= n;
	}
	return 0;
}
