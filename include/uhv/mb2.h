/* Multiboot2 boot information (the structure GRUB passes in EBX).
 *
 * mb2_parse() checks the whole structure once and collects what uhv uses
 * into struct mb2_info; its pointers point into the caller's mapping of the
 * information structure, so that mapping must stay valid while they are used.
 * Module addresses are physical. EFI types stay out of this header: the EFI
 * memory map is read through mb2_efi_mmap_get(). */
#ifndef UHV_MB2_H
#define UHV_MB2_H

#include <uhv/types.h>

#define MB2_BOOTLOADER_MAGIC	0x36d76289	/* EAX at the kernel entry */
#define MB2_MAX_MODULES		32

/* Tag types of the multiboot2 specification. */
enum mb2_tag_type {
	MB2_TAG_END		= 0,
	MB2_TAG_CMDLINE		= 1,
	MB2_TAG_LOADER_NAME	= 2,
	MB2_TAG_MODULE		= 3,
	MB2_TAG_BASIC_MEMINFO	= 4,
	MB2_TAG_BOOTDEV		= 5,
	MB2_TAG_MMAP		= 6,	/* BIOS-style (e820) memory map */
	MB2_TAG_VBE		= 7,
	MB2_TAG_FRAMEBUFFER	= 8,
	MB2_TAG_ELF_SECTIONS	= 9,
	MB2_TAG_APM		= 10,
	MB2_TAG_EFI32		= 11,	/* EFI 32-bit system table pointer */
	MB2_TAG_EFI64		= 12,	/* EFI 64-bit system table pointer */
	MB2_TAG_SMBIOS		= 13,
	MB2_TAG_ACPI_OLD	= 14,	/* copy of the ACPI 1.0 RSDP */
	MB2_TAG_ACPI_NEW	= 15,	/* copy of the ACPI 2.0+ RSDP */
	MB2_TAG_NETWORK		= 16,
	MB2_TAG_EFI_MMAP	= 17,
	MB2_TAG_EFI_BS		= 18,	/* EFI boot services not terminated */
	MB2_TAG_EFI32_IH	= 19,	/* EFI 32-bit image handle */
	MB2_TAG_EFI64_IH	= 20,	/* EFI 64-bit image handle */
	MB2_TAG_LOAD_BASE_ADDR	= 21,
	MB2_TAG_NR_KNOWN	= 22,
};

/* Memory range types, multiboot2 / e820 numbering. */
#define MB2_MEM_AVAILABLE	1
#define MB2_MEM_RESERVED	2
#define MB2_MEM_ACPI_RECLAIM	3
#define MB2_MEM_NVS		4
#define MB2_MEM_BAD		5

struct mb2_module {
	u32 start;		/* physical, first byte */
	u32 end;		/* physical, one past the last byte */
	const char *string;	/* the text after the path on the module2 line */
};

/* The framebuffer the boot loader set up (tag 8; multiboot2 spec 3.6.12). */
#define MB2_FB_INDEXED		0	/* palette: uhv does not draw on it */
#define MB2_FB_RGB		1	/* direct colour, fields below */
#define MB2_FB_EGA_TEXT		2	/* text mode: width x height characters, 2 bytes each */

struct mb2_framebuffer {
	u64 addr;		/* physical */
	u32 pitch;		/* bytes per scan line (text: per character row) */
	u32 width, height;	/* pixels (text: characters) */
	u8 bpp;			/* bits per pixel (text: 16) */
	u8 type;		/* MB2_FB_* */
	/* MB2_FB_RGB: bit position and width of each colour in a pixel */
	u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct mb2_info {
	u32 total_size;
	u32 present;		/* bit n set: a tag of type n was seen (n < 32) */

	const char *cmdline;		/* tag 1, NULL if absent */
	const char *loader_name;	/* tag 2, NULL if absent */

	u32 nr_modules;
	struct mb2_module modules[MB2_MAX_MODULES];

	u32 mem_lower_kib, mem_upper_kib;	/* tag 4: unreliable under UEFI, use a mmap */

	const u8 *mmap;			/* tag 6 entries, NULL if absent */
	u32 mmap_entry_size, mmap_entry_version, mmap_nr;

	const u8 *efi_mmap;		/* tag 17 descriptors, NULL if absent */
	u32 efi_desc_size, efi_desc_version, efi_mmap_nr;

	u32 efi32_systab;		/* tag 11 */
	u64 efi64_systab;		/* tag 12 */
	u32 efi32_image_handle;		/* tag 19 */
	u64 efi64_image_handle;		/* tag 20 */
	bool efi_boot_services;		/* tag 18: boot services still running */

	const void *rsdp_v1;		/* tag 14: the RSDP copy inside the tag */
	u32 rsdp_v1_len;
	const void *rsdp_v2;		/* tag 15 */
	u32 rsdp_v2_len;

	u32 load_base;			/* tag 21: physical load address of the image */

	struct mb2_framebuffer fb;	/* tag 8; valid when mb2_has(mi, MB2_TAG_FRAMEBUFFER) */
};

struct mb2_mem_range {
	u64 base, len;
	u32 type;		/* MB2_MEM_* */
};

static inline bool mb2_has(const struct mb2_info *mi, u32 type)
{
	return type < 32 && (mi->present & (1U << type));
}

/* Check and summarize the information structure at mbi, of which avail bytes
 * are readable. Returns 0, -EINVAL for a malformed structure, -E2BIG for
 * more than MB2_MAX_MODULES modules; every failure is explained on the console. */
int mb2_parse(const void *mbi, size_t avail, struct mb2_info *out);

const char *mb2_tag_name(u32 type);
void mb2_print(const struct mb2_info *mi);

/* Entry i of the BIOS map (tag 6) / EFI map (tag 17), converted to a range.
 * efi_type (may be NULL) receives the raw EFI memory type. 0 or -ENOENT. */
int mb2_bios_mmap_get(const struct mb2_info *mi, u32 i, struct mb2_mem_range *r);
int mb2_efi_mmap_get(const struct mb2_info *mi, u32 i, struct mb2_mem_range *r, u32 *efi_type);
/* EFI memory type to MB2_MEM_*, as firmware builds an e820 map. */
u32 mb2_efi_type_to_mem(u32 efi_type);

/* The machine's memory map as ranges, in the boot loader's order, with
 * consecutive adjacent ranges of the same type merged and empty ones dropped.
 * Source: the BIOS-style map (tag 6) when present, because GRUB builds it
 * from the EFI map itself under UEFI and it is what every loader provides;
 * the EFI map (tag 17) only when tag 6 is absent.
 * Returns the number of ranges, -ENOSPC if cap is too small, -ENOENT if the
 * boot loader passed no memory map at all. */
int mb2_mem_ranges(const struct mb2_info *mi, struct mb2_mem_range *out, size_t cap);

#endif
