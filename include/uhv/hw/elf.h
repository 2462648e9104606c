/* ELF file format (System V ABI, ELF-32 and ELF-64 little endian): identification, header and
 * program header layouts. The parser is <uhv/elf.h>. */
#ifndef UHV_HW_ELF_H
#define UHV_HW_ELF_H

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

#endif
