/* Basic fixed-width types. Self-standing: usable in the freestanding
 * hypervisor build and in host unit tests alike. */
#ifndef UHV_TYPES_H
#define UHV_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;	/* so "%llx" prints it on every target */
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;

typedef u64 paddr_t;	/* host-physical address */

#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)

#define PAGE_SIZE	4096ULL
#define PAGE_SHIFT	12
#define LARGE_PAGE_SIZE	MiB(2)
#define HUGE_PAGE_SIZE	GiB(1)

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)	 ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define BIT(n)		 (1ULL << (n))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

#define __packed	__attribute__((packed))
#define __aligned(x)	__attribute__((aligned(x)))
#define __noreturn	__attribute__((noreturn))
#ifndef __always_inline		/* the host's C library may have it already */
#define __always_inline	inline __attribute__((always_inline))	/* steps of a hot function */
#endif
#define __unused	__attribute__((unused))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#endif
