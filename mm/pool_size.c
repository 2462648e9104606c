/* uhvmem='s default from the measured peaks in <uhv/pool_size.h>. Pure (unit-tested). */
#include <uhv/pool_size.h>

u64 pool_default_size(u64 ram, struct pool_default *d)
{
	struct pool_default tmp;

	if (!d)
		d = &tmp;
	d->boot = POOL_MARGIN * POOL_BOOT_PEAK;
	d->shadow = POOL_MARGIN * POOL_SHADOW_SHARE;
	d->ram = ALIGN_UP(ram, GiB(1)) / GiB(1) * POOL_PER_GIB;
	d->total = ALIGN_UP(d->boot + d->shadow + d->ram, MiB(2));
	return d->total;
}
