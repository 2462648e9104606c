/* Little-endian reads at any byte alignment, for fields inside blobs whose layout the
 * producer chose: multiboot headers and information tags, instruction bytes. A plain
 * u32 * dereference there would be undefined behaviour (and UBSan in the host tests
 * reports it). Byte assembly needs no library call, so it works in the freestanding
 * build; GCC turns each of these into one load on x86. */
#ifndef UHV_UNALIGNED_H
#define UHV_UNALIGNED_H

#include <uhv/types.h>

static inline u16 get_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static inline u32 get_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u64 get_le64(const void *p)
{
	const u8 *b = p;

	return (u64)get_le32(b) | (u64)get_le32(b + 4) << 32;
}

/* n bytes (0 to 8), zero-extended: immediates and displacements of variable width */
static inline u64 get_le(const void *p, unsigned n)
{
	const u8 *b = p;
	u64 v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (u64)b[i] << (8 * i);
	return v;
}

#endif
