/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst): the setup header,
 * boot_params and the e820 table, byte-exact. The loader is <uhv/linux_boot.h>. */
#ifndef UHV_HW_LINUX_BOOT_H
#define UHV_HW_LINUX_BOOT_H

#include <uhv/types.h>

/* ---- the setup header (boot.rst "The real-mode kernel header") ------------------------------- */

#define LINUX_HDR_OFFSET	0x1f1	/* the setup header, in the file and in boot_params */
#define LINUX_HDRS_MAGIC	0x53726448	/* "HdrS" at 0x202 */
#define LINUX_BOOT_FLAG		0xaa55	/* at 0x1fe */
#define LINUX_MIN_VERSION	0x020c	/* 2.12: xloadflags (XLF_KERNEL_64) */
#define LINUX_RSDP_VERSION	0x020e	/* 2.14: boot_params.acpi_rsdp_addr is read */
#define LINUX_SECTOR		512
#define LINUX_PARAGRAPH		16	/* syssize's unit */
#define LINUX_DEFAULT_SETUP_SECTS 4	/* setup_sects 0 means 4 */
#define LINUX_LEGACY_LOAD_ADDR	0x100000ULL	/* non-relocatable bzImage */
#define LINUX_ENTRY64_OFFSET	0x200	/* 64-bit entry: load address + 0x200 */

/* loadflags */
#define LINUX_LF_LOADED_HIGH	BIT(0)	/* protected-mode code at 0x100000 (bzImage) */
#define LINUX_LF_KASLR		BIT(1)	/* set by the kernel itself */
#define LINUX_LF_QUIET		BIT(5)
#define LINUX_LF_KEEP_SEGMENTS	BIT(6)	/* obsolete */
#define LINUX_LF_CAN_USE_HEAP	BIT(7)	/* heap_end_ptr is valid */

/* xloadflags (2.12+) */
#define LINUX_XLF_KERNEL_64		BIT(0)	/* 64-bit entry at load address + 0x200 */
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G BIT(1)
#define LINUX_XLF_EFI_HANDOVER_32	BIT(2)
#define LINUX_XLF_EFI_HANDOVER_64	BIT(3)
#define LINUX_XLF_EFI_KEXEC		BIT(4)
#define LINUX_XLF_5LEVEL		BIT(5)
#define LINUX_XLF_5LEVEL_ENABLED	BIT(6)

#define LINUX_LOADER_TYPE_UNDEFINED 0xff	/* type_of_loader: a boot loader without an ID */
#define LINUX_HEAP_END_PTR	0xde00	/* boot.rst: heap_end (0xe000) - 0x200 */

struct linux_setup_header {
	u8 setup_sects;		/* 0x1f1 */
	u16 root_flags;
	u32 syssize;		/* protected-mode code, 16-byte units */
	u16 ram_size;
	u16 vid_mode;
	u16 root_dev;
	u16 boot_flag;		/* 0x1fe: 0xaa55 */
	u16 jump;		/* 0x200: its second byte + 0x202 is the end of the header */
	u32 header;		/* 0x202: "HdrS" */
	u16 version;		/* 0x206 */
	u32 realmode_swtch;
	u16 start_sys_seg;
	u16 kernel_version;	/* 0x20e: version string at file offset this + 0x200 */
	u8 type_of_loader;	/* 0x210 */
	u8 loadflags;		/* 0x211 */
	u16 setup_move_size;
	u32 code32_start;	/* 0x214: 32-bit entry */
	u32 ramdisk_image;	/* 0x218 */
	u32 ramdisk_size;	/* 0x21c */
	u32 bootsect_kludge;
	u16 heap_end_ptr;	/* 0x224 */
	u8 ext_loader_ver;
	u8 ext_loader_type;
	u32 cmd_line_ptr;	/* 0x228 */
	u32 initrd_addr_max;	/* 0x22c: highest address of the initrd's last byte */
	u32 kernel_alignment;	/* 0x230 */
	u8 relocatable_kernel;	/* 0x234 */
	u8 min_alignment;	/* log2 */
	u16 xloadflags;		/* 0x236 */
	u32 cmdline_size;	/* 0x238: longest command line, NUL excluded */
	u32 hardware_subarch;
	u64 hardware_subarch_data;
	u32 payload_offset;	/* 0x248 */
	u32 payload_length;
	u64 setup_data;		/* 0x250 */
	u64 pref_address;	/* 0x258 */
	u32 init_size;		/* 0x260: memory needed from the runtime start address */
	u32 handover_offset;
	u32 kernel_info_offset;	/* 0x268 */
} __packed;

_Static_assert(sizeof(struct linux_setup_header) == 0x26c - LINUX_HDR_OFFSET, "setup header");
#define LINUX_HDR_AT(field, off) \
	_Static_assert(__builtin_offsetof(struct linux_setup_header, field) + LINUX_HDR_OFFSET == \
		       (off), \
		       #field)
LINUX_HDR_AT(header, 0x202);
LINUX_HDR_AT(loadflags, 0x211);
LINUX_HDR_AT(cmd_line_ptr, 0x228);
LINUX_HDR_AT(xloadflags, 0x236);
LINUX_HDR_AT(pref_address, 0x258);
LINUX_HDR_AT(init_size, 0x260);
#undef LINUX_HDR_AT

#define LINUX_E820_MAX	128	/* entries in boot_params.e820_table */
#define LINUX_SCREEN_INFO_LEN	0x40	/* boot_params.screen_info */

struct linux_e820_entry {
	u64 addr, size;
	u32 type;		/* 1 RAM, 2 reserved, 3 ACPI, 4 NVS: the GUEST_MEM_* numbers */
} __packed;

/* boot_params, the "zero page" (zero-page.rst); only the fields uhv fills
 * are named. */
struct linux_boot_params {
	u8 screen_info[LINUX_SCREEN_INFO_LEN];	/* 0x000 (loader/linux_screen.c) */
	u8 apm_bios_info[0x14];		/* 0x040 */
	u8 pad0[4];
	u64 tboot_addr;			/* 0x058 */
	u8 ist_info[0x10];		/* 0x060 */
	u64 acpi_rsdp_addr;		/* 0x070 (2.14+) */
	u8 pad1[0xc0 - 0x78];
	u32 ext_ramdisk_image;		/* 0x0c0 */
	u32 ext_ramdisk_size;		/* 0x0c4 */
	u32 ext_cmd_line_ptr;		/* 0x0c8 */
	u8 pad2[0x1e8 - 0xcc];
	u8 e820_entries;		/* 0x1e8 */
	u8 eddbuf_entries;
	u8 edd_mbr_sig_buf_entries;
	u8 kbd_status;
	u8 secure_boot;
	u8 pad3[2];
	u8 sentinel;			/* 0x1ef: must stay 0 */
	u8 pad4;
	struct linux_setup_header hdr;	/* 0x1f1 */
	u8 pad5[0x290 - 0x26c];
	u32 edd_mbr_sig_buffer[16];	/* 0x290 */
	struct linux_e820_entry e820_table[LINUX_E820_MAX];	/* 0x2d0 */
	u8 pad6[0x1000 - 0x2d0 - LINUX_E820_MAX * 20];
} __packed;

_Static_assert(sizeof(struct linux_boot_params) == 0x1000, "boot_params is one page");
_Static_assert(__builtin_offsetof(struct linux_boot_params, acpi_rsdp_addr) == 0x70, "rsdp");
_Static_assert(__builtin_offsetof(struct linux_boot_params, ext_cmd_line_ptr) == 0xc8, "ext");
_Static_assert(__builtin_offsetof(struct linux_boot_params, e820_entries) == 0x1e8, "e820 n");
_Static_assert(__builtin_offsetof(struct linux_boot_params, hdr) == LINUX_HDR_OFFSET, "hdr");
_Static_assert(__builtin_offsetof(struct linux_boot_params, e820_table) == 0x2d0, "e820");

/* Selectors the boot protocol wants (both entries): flat code and data. */
#define LINUX_BOOT_CS	0x10	/* __BOOT_CS */
#define LINUX_BOOT_DS	0x18	/* __BOOT_DS: DS, ES, SS (FS, GS too) */

#endif
