/* Private to loader/: what the multiboot/ELF loader (loader.c) learns from the kernel
 * file (kernel_format.c) before it touches guest memory. */
#ifndef UHV_LOADER_PRIV_H
#define UHV_LOADER_PRIV_H

#include <uhv/elf.h>
#include <uhv/multiboot.h>

/* Everything the loader decided about the kernel before touching memory. */
struct kernel_desc {
	const char *kind;
	struct mb_header hdr;		/* hdr.version 0: plain ELF */
	unsigned nr_segs;
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	u64 entry;
};

/* Find the kernel's format (multiboot2, multiboot, plain ELF), its segments and
 * its entry, and check them. 0, or a negative errno after a message. */
int loader_describe_kernel(const u8 *file, u64 size, struct kernel_desc *k);

#endif
