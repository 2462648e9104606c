/* Booting a Linux bzImage as the guest (loader/linux.c), per the Linux x86
 * boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst).
 *
 * The guest is given as multiboot2 modules, as for every uhv guest: the first
 * module is the bzImage (its module string is the kernel command line), the
 * next ones are initrd pieces, concatenated in order (4-byte aligned, as GRUB's
 * "initrd a b" does) into the one initrd Linux takes.
 *
 * The kernel is entered at its 64-bit entry (load address + 0x200) in long
 * mode with identity page tables built by the loader; a kernel without
 * XLF_KERNEL_64 (or linux_options.entry32) gets the 32-bit entry instead
 * (protected mode, paging off). docs/linux-guest.md explains the choice.
 *
 * Layout in guest RAM:
 *  - protected-mode kernel at pref_address (relocatable kernels: the lowest
 *    kernel_alignment-aligned address >= pref_address where the kernel's
 *    whole init_size is guest RAM), or 0x100000 (non-relocatable);
 *  - initrd at the highest page-aligned place below initrd_addr_max and
 *    4 GiB, clear of the kernel's init_size; a single initrd module already
 *    in such a place is used where it is (no copy);
 *  - boot data (boot_params, command line, GDT, page tables, a stack page) as
 *    low as possible in conventional memory (from 0x1000), leaving its top to
 *    the kernel's own trampoline.
 * Memory is reached only through guest_ptr()/guest_write(), so the host unit
 * test runs the loader on a guest backed by malloc'ed memory. */
#ifndef UHV_LINUX_BOOT_H
#define UHV_LINUX_BOOT_H
#include <uhv/types.h>
#include <uhv/guest.h>
#include <uhv/loader.h>
#include <uhv/hw/linux_boot.h>

/* ---- what the loader works from ------------------------------------------------------------- */

/* The facts of a bzImage, from its header, checked. */
struct linux_image {
	struct linux_setup_header hdr;	/* as in the file; fields past the header's end 0 */
	unsigned hdr_len;		/* bytes of setup header the image has (from 0x1f1) */
	u16 version;
	unsigned setup_sects;		/* 0 already replaced by 4 */
	u64 pm_offset;			/* file offset of the protected-mode kernel */
	u64 pm_size;			/* bytes it occupies (syssize * 16) */
	u64 pm_file_size;		/* of those, the bytes the file has (the rest zeroed) */
	u64 init_size;			/* needed from the runtime start (>= pm_size) */
	u64 alignment;			/* kernel_alignment (relocatable kernels) */
	bool relocatable;
	bool kernel64;			/* XLF_KERNEL_64 */
	char version_string[64];	/* "6.1.0-..." or "" */
};

/* Is this a bzImage with a boot protocol header ("HdrS" at 0x202)? */
bool linux_is_bzimage(const void *img, size_t len);

/* The protected-mode code from syssize (16-byte paragraphs, 0: the rest of
 * the file) and avail, the bytes the file has after the setup sectors:
 * *mem_size bytes it occupies, *file_size of them to load from the file.
 * The image builders round syssize up to whole paragraphs and do not pad the
 * file, so the file may end up to 15 bytes before syssize * 16 (the rest is
 * zero); 0, or -EINVAL when more is missing (a truncated file). */
int linux_pm_bytes(u32 syssize, u64 avail, u64 *mem_size, u64 *file_size);

/* Parse and check the header. 0, or -ENOEXEC (not a bzImage), -EINVAL
 * (malformed, truncated, too old: message printed with what to do). */
int linux_parse_image(const void *img, size_t len, struct linux_image *out);

/* The e820 table for the guest: its regions, adjacent same-type ones merged
 * (only what the guest owns; uhv's own memory is a hole). Returns the number
 * of entries, or -E2BIG if more than cap are needed (message printed). */
int linux_build_e820(const struct guest *g, struct linux_e820_entry *tab, unsigned cap);

/* boot_params.screen_info for the screen uhv was given (loader/linux_screen.c): VGA text for
 * vgacon, a direct-colour framebuffer as VIDEO_TYPE_EFI for efifb/simplefb (above 4 GiB through
 * ext_lfb_base). false (si zeroed) for a screen Linux cannot be told about. */
struct mb2_framebuffer;
bool linux_screen_info(u8 si[LINUX_SCREEN_INFO_LEN], const struct mb2_framebuffer *fb);

struct linux_options {
	bool entry32;		/* use the 32-bit entry even for a 64-bit kernel */
};

/* Where linux_load_ex() put things (guest-physical [start, end) ranges). */
struct linux_layout {
	u64 kernel_start, kernel_end;	/* protected-mode code */
	u64 runtime_start, runtime_end;	/* [runtime start, + init_size): the kernel's */
	u64 initrd_start, initrd_end;	/* 0, 0 without initrd */
	bool initrd_in_place;		/* the initrd module was used where it was */
	u64 data_start, data_end;	/* all boot data below */
	u64 boot_params, cmdline, gdt, pml4, stack_top;	/* pml4 0 for the 32-bit entry */
	u64 entry;
	bool entry64;
	unsigned e820_entries;
};

/* Load the bzImage mods[0] (string = command line) with the initrd pieces
 * mods[1..n) into g (whose memory regions must be set up) and fill g->boot,
 * g->cmdline and g->kind. rsdp_gpa is the guest-physical address of the RSDP
 * the guest is to use (uhv's filtered copy), 0 if none. Returns 0, or a
 * negative errno after printing what is wrong and what to do: -ENOENT no
 * module, -ENOEXEC not a bzImage, -EINVAL malformed or too old, kernel not in
 * guest RAM, -ENOMEM no room for initrd or boot data, -E2BIG memory map too
 * fragmented. On failure guest memory may have been partly written. */
int linux_load(struct guest *g, const struct loader_module *mods, unsigned n, u64 rsdp_gpa);
int linux_load_ex(struct guest *g, const struct loader_module *mods, unsigned n, u64 rsdp_gpa,
		  const struct linux_options *opt, struct linux_layout *layout);

#endif
