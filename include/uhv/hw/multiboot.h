/* Multiboot v1 ("0.6.96") and multiboot2 layouts as a boot loader sees them: the header inside a
 * kernel image and the boot information structures. The loader side is <uhv/multiboot.h>. */
#ifndef UHV_HW_MULTIBOOT_H
#define UHV_HW_MULTIBOOT_H

#include <uhv/types.h>

/* ---- multiboot v1 ---------------------------------------------------------------------------- */

#define MB1_HEADER_MAGIC	0x1badb002
#define MB1_BOOTLOADER_MAGIC	0x2badb002	/* EAX at the kernel entry */
#define MB1_SEARCH		8192		/* the header lies in the first 8 KiB, 4-aligned */

/* Header flags: bits 0-15 are requirements (a loader that does not know one
 * must refuse the kernel), bits 16-31 optional features. */
#define MB1_HF_PAGE_ALIGN	BIT(0)	/* modules page-aligned */
#define MB1_HF_MEMINFO		BIT(1)	/* mem_* (and the memory map) wanted */
#define MB1_HF_VIDEO		BIT(2)	/* video mode fields valid */
#define MB1_HF_AOUT_KLUDGE	BIT(16)	/* address fields valid: load without ELF */

struct mb1_header {
	u32 magic, flags, checksum;	/* magic + flags + checksum == 0 (mod 2^32) */
	/* MB1_HF_AOUT_KLUDGE */
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
	/* MB1_HF_VIDEO */
	u32 mode_type, width, height, depth;
} __packed;

/* Information flags: which fields of struct mb1_info are valid. */
#define MB1_INFO_MEMORY		BIT(0)
#define MB1_INFO_BOOTDEV	BIT(1)
#define MB1_INFO_CMDLINE	BIT(2)
#define MB1_INFO_MODS		BIT(3)
#define MB1_INFO_AOUT_SYMS	BIT(4)
#define MB1_INFO_ELF_SHDR	BIT(5)
#define MB1_INFO_MEM_MAP	BIT(6)
#define MB1_INFO_DRIVE_INFO	BIT(7)
#define MB1_INFO_CONFIG_TABLE	BIT(8)
#define MB1_INFO_LOADER_NAME	BIT(9)
#define MB1_INFO_APM_TABLE	BIT(10)
#define MB1_INFO_VBE		BIT(11)
#define MB1_INFO_FRAMEBUFFER	BIT(12)

struct mb1_info {
	u32 flags;
	u32 mem_lower, mem_upper;	/* KiB of RAM from 0 (max 640) and from 1 MiB */
	u32 boot_device;
	u32 cmdline;			/* physical address of a NUL-terminated string */
	u32 mods_count, mods_addr;	/* array of struct mb1_module */
	u32 syms[4];
	u32 mmap_length, mmap_addr;	/* struct mb1_mmap_entry list, bytes */
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe_control_info, vbe_mode_info;
	u16 vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	u64 framebuffer_addr;
	u32 framebuffer_pitch, framebuffer_width, framebuffer_height;
	u8 framebuffer_bpp, framebuffer_type;
	u8 color_info[6];
} __packed;

struct mb1_module {
	u32 mod_start, mod_end;		/* [start, end) physical */
	u32 string;			/* physical address of the module string */
	u32 reserved;
} __packed;

/* mmap_addr points at the size field; size counts the bytes after it (20). */
struct mb1_mmap_entry {
	u32 size;
	u64 base_addr, length;
	u32 type;			/* MB2_MEM_* numbering (1 = RAM) */
} __packed;

/* ---- multiboot2 ------------------------------------------------------------------------------ */

#define MB2_HEADER_MAGIC	0xe85250d6
#define MB2_SEARCH		32768		/* the header lies in the first 32 KiB, 8-aligned */
#define MB2_ARCH_I386		0		/* 32-bit protected mode entry */

/* Header tags: u16 type, u16 flags, u32 size, 8-byte aligned, ended by type 0. */
#define MB2H_TAG_END		0
#define MB2H_TAG_INFO_REQ	1	/* u32 tag types wanted in the information */
#define MB2H_TAG_ADDRESS	2	/* header_addr, load_addr, load_end_addr, bss_end_addr */
#define MB2H_TAG_ENTRY		3	/* entry_addr: 32-bit entry */
#define MB2H_TAG_CONSOLE	4	/* console flags */
#define MB2H_TAG_FRAMEBUFFER	5	/* width, height, depth wanted */
#define MB2H_TAG_MODULE_ALIGN	6	/* modules page-aligned */
#define MB2H_TAG_EFI_BS		7	/* keep EFI boot services */
#define MB2H_TAG_ENTRY_EFI32	8
#define MB2H_TAG_ENTRY_EFI64	9
#define MB2H_TAG_RELOCATABLE	10	/* min_addr, max_addr, align, preference */
#define MB2H_TAG_OPTIONAL	BIT(0)	/* tag flag: the kernel also works without it */

struct mb2_header {
	u32 magic, architecture, header_length, checksum;	/* sum of the four == 0 */
} __packed;

struct mb2_header_tag {
	u16 type, flags;
	u32 size;
} __packed;

/* Information structure: u32 total_size, u32 reserved, then 8-aligned tags
 * (u32 type, u32 size) up to an end tag; tag numbers are enum mb2_tag_type. */
struct mb2_info_tag_module {
	u32 type, size;
	u32 mod_start, mod_end;		/* [start, end) physical */
	/* NUL-terminated string follows */
} __packed;

struct mb2_info_tag_meminfo {
	u32 type, size;
	u32 mem_lower, mem_upper;	/* KiB, as in v1 */
} __packed;

struct mb2_info_tag_mmap {
	u32 type, size;
	u32 entry_size, entry_version;	/* 24, 0 */
} __packed;

struct mb2_mmap_entry {
	u64 base_addr, length;
	u32 type, reserved;
} __packed;

#endif
