/* uhv.efi: the UEFI application that boots uhv.elf without GRUB (docs/uefi.md).
 *
 * The pure parts (config parsing, ELF and multiboot2 header reading, image
 * placement, multiboot2 information building) take plain buffers and are
 * unit-tested on the host; the EFI glue (efi/main.c, efi/files.c, efi/exit.c)
 * calls them with what the firmware gives. */
#ifndef UHV_EFI_LOADER_H
#define UHV_EFI_LOADER_H

#include <uhv/types.h>

/* --- uhv.cfg (efi/cfg.c) ------------------------------------------------------ */
#define CFG_MAX_MODULES	16
#define CFG_PATH_MAX	256
#define CFG_ARGS_MAX	1024
#define CFG_ERR_MAX	200

struct cfg_file {
	char path[CFG_PATH_MAX];	/* as written: relative to uhv.efi's folder, or /absolute */
	char args[CFG_ARGS_MAX];	/* uhv's command line / the module's string */
};

struct efi_cfg {
	struct cfg_file uhv;		/* the `uhv` line: image and command line */
	u32 nr_modules;
	struct cfg_file modules[CFG_MAX_MODULES];	/* `module` lines, in order */
};

/* Parse the text of uhv.cfg (len bytes, need not be NUL-terminated). Lines are
 * separated by LF, CR LF or ';' (load options are one line). Returns 0, or -1
 * with a message naming the line in err. */
int cfg_parse(const char *text, size_t len, struct efi_cfg *cfg, char *err, size_t errsz);

/* Load options as uhv.cfg text: UCS-2 to ASCII into out (NUL-terminated), a first
 * word ending in ".efi" (the UEFI shell passes the program's name) dropped.
 * Returns the length, 0 when there is no text (options absent, blank, or not
 * printable text: a boot manager's binary optional data is not a config). */
size_t cfg_from_load_options(const u16 *opt, size_t bytes, char *out, size_t outsz);

/* --- uhv.elf (efi/image.c) ------------------------------------------------------ */
#define IMG_MAX_SEGS	8

struct img_seg {
	u64 offset, filesz, memsz;	/* file bytes, then zeroes up to memsz */
	u64 paddr;			/* link-time physical address */
};

struct img_info {
	u32 nr_segs;
	struct img_seg segs[IMG_MAX_SEGS];
	u64 link_base, link_end;	/* lowest p_paddr, highest p_paddr + p_memsz */
	u64 entry;			/* physical entry at the link base */
	/* multiboot2 header tag 10 (relocatable), if present */
	bool relocatable;
	u32 min_addr, max_addr, align, preference;
};

/* Check uhv.elf (an ELF-64 x86-64 executable with a multiboot2 header in its
 * first 32 KiB) and describe it. 0, or -1 with a message in err. */
int img_parse(const u8 *file, size_t size, struct img_info *img, char *err, size_t errsz);

struct mem_free {
	u64 base, len;
};

/* Where to put the image: the link base when it is not relocatable, else an
 * address inside the free ranges that the relocatable tag allows (aligned,
 * image end <= max_addr, the highest or lowest by its preference), as GRUB
 * chooses. The free ranges are sorted and merged in place. 0 or -1. */
int img_place(const struct img_info *img, struct mem_free *free, u32 nr_free, u64 *base);

/* --- the multiboot2 information (efi/mbi.c) ------------------------------------ */
struct mbi_module {
	u32 start, end;
	const char *string;
};

struct mbi_fb {
	u64 addr;
	u32 pitch, width, height;
	u8 bpp;
	u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct mbi_input {
	const char *cmdline, *loader_name;
	u32 nr_modules;
	const struct mbi_module *modules;
	const u8 *efi_mmap;		/* the memory map ExitBootServices was called with */
	size_t efi_mmap_size;
	u32 efi_desc_size, efi_desc_version;
	u64 efi_systab;
	const u8 *rsdp_v1;		/* NULL when the firmware has no ACPI 1.0 table */
	const u8 *rsdp_v2;		/* NULL when there is no ACPI 2.0+ table */
	u32 rsdp_v2_len;
	const struct mbi_fb *fb;	/* NULL without a linear framebuffer */
	bool load_base_valid;
	u32 load_base;
};

/* Bytes mbi_build needs at most for in (the e820 map counted at one entry per
 * EFI descriptor, its worst case). */
size_t mbi_size_bound(const struct mbi_input *in);

/* Write the multiboot2 information into buf (8-byte aligned). Returns its
 * total_size, or 0 when cap is too small. */
size_t mbi_build(const struct mbi_input *in, u8 *buf, size_t cap);

/* The BIOS-style map (tag 6) GRUB makes of an EFI map: types converted as its
 * grub_efi_mmap_iterate does, sorted, adjacent ranges of one type merged.
 * Entries are {u64 base, u64 len, u32 type, u32 zero}. Returns the count
 * written into out (cap entries at most). */
struct mbi_e820 {
	u64 base, len;
	u32 type, zero;
};
u32 mbi_e820_from_efi(const u8 *map, size_t size, u32 desc_size, struct mbi_e820 *out, u32 cap);

#endif
