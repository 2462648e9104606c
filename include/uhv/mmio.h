/* Memory-mapped I/O. Register accessors carry a compiler barrier: without
 * it GCC -O2 was seen moving descriptor stores after a NIC doorbell write. */
#ifndef UHV_MMIO_H
#define UHV_MMIO_H

#include <uhv/types.h>

/* Map [pa, pa+len) uncached (UC) into the hypervisor's address space and
 * return its virtual address; NULL on failure. Mappings are never removed.
 * (mm/kmem.c) */
void *mmio_map(paddr_t pa, size_t len);

static inline u32 mmio_read32(const volatile void *addr)
{
	u32 v = *(const volatile u32 *)addr;
	asm volatile("" ::: "memory");
	return v;
}
static inline u64 mmio_read64(const volatile void *addr)
{
	u64 v = *(const volatile u64 *)addr;
	asm volatile("" ::: "memory");
	return v;
}
static inline void mmio_write32(volatile void *addr, u32 v)
{
	asm volatile("" ::: "memory");
	*(volatile u32 *)addr = v;
}
static inline void mmio_write64(volatile void *addr, u64 v)
{
	asm volatile("" ::: "memory");
	*(volatile u64 *)addr = v;
}

#endif
