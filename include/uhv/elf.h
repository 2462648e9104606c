/* ELF executables (System V ABI, ELF-32 and ELF-64 little endian) and the
 * parser the guest loader uses (loader/elf.c).
 *
 * elf_parse() is pure: it checks a file image in memory and describes its
 * PT_LOAD segments by file offset, so the caller may move the file before
 * copying the segments. Every rejection is explained on the console. */
#ifndef UHV_ELF_H
#define UHV_ELF_H
#include <uhv/types.h>
#include <uhv/hw/elf.h>

#define ELF_MAX_SEGMENTS 32

/* One PT_LOAD segment: file bytes [offset, offset+filesz) go to physical
 * [paddr, paddr+filesz), then zeroes up to paddr+memsz. */
struct elf_segment {
	u64 paddr, vaddr;
	u64 offset, filesz, memsz;
	u32 flags;		/* PF_* */
	unsigned index;		/* program header index, for messages */
};

struct elf_image {
	unsigned bits;		/* 32 or 64 */
	u16 machine;		/* EM_386 / EM_X86_64 */
	u64 entry;		/* e_entry as in the file (a virtual address) */
	unsigned nr_segs;	/* PT_LOAD segments with memsz > 0, in program header order */
	struct elf_segment segs[ELF_MAX_SEGMENTS];
};

/* Does the file start with the ELF magic? */
bool elf_is_elf(const void *file, u64 size);

/* Check an x86 executable (ELF-32 EM_386 or ELF-64 EM_X86_64, ET_EXEC) and
 * describe its loadable segments. Rejected with a message naming the field or
 * program header: truncated headers, program headers or segments past the end
 * of the file, p_filesz > p_memsz, address overflow, physically overlapping
 * segments, no PT_LOAD segment. Returns 0, -ENOEXEC (not ELF / wrong kind of
 * ELF), -EINVAL (malformed) or -E2BIG (more than ELF_MAX_SEGMENTS). */
int elf_parse(const void *file, u64 size, struct elf_image *out);

/* The entry point as a physical address: e_entry translated through the
 * segment whose virtual range holds it (p_vaddr -> p_paddr), else taken as
 * physical if a segment's physical range holds it. -ENOENT if neither. */
int elf_entry_paddr(const struct elf_image *img, u64 *paddr);

#endif
