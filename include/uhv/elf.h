/* ELF executables (System V ABI, ELF-32 and ELF-64 little endian) and the
 * parser the guest loader uses (loader/elf.c).
 *
 * elf_parse() is pure: it checks a file image in memory and describes its
 * PT_LOAD segments by file offset, so the caller may move the file before
 * copying the segments. Every rejection is explained on the console. */
#ifndef UHV_ELF_H
#define UHV_ELF_H

#include <uhv/types.h>

/* e_ident */
#define EI_MAG0		0	/* 0x7f 'E' 'L' 'F' */
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define EI_NIDENT	16
#define ELFCLASS32	1
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1

/* e_type / e_machine */
#define ET_EXEC		2
#define ET_DYN		3
#define EM_386		3
#define EM_X86_64	62

/* p_type / p_flags */
#define PT_NULL		0
#define PT_LOAD		1
#define PF_X		BIT(0)
#define PF_W		BIT(1)
#define PF_R		BIT(2)

#define PN_XNUM		0xffff	/* e_phnum escape: the count is elsewhere (not supported) */

struct elf32_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type, e_machine;
	u32 e_version, e_entry, e_phoff, e_shoff, e_flags;
	u16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} __packed;

struct elf32_phdr {
	u32 p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
} __packed;

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type, e_machine;
	u32 e_version;
	u64 e_entry, e_phoff, e_shoff;
	u32 e_flags;
	u16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} __packed;

struct elf64_phdr {
	u32 p_type, p_flags;
	u64 p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} __packed;

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
