/* Multiboot (v1, "0.6.96") and multiboot2 as seen by a boot loader: the
 * header inside a kernel image and the boot information built for it
 * (loader/multiboot.c). uhv's own boot information, the one GRUB passes to
 * uhv, is parsed by <uhv/mb2.h>; the tag and memory type numbers there apply
 * to what is built here too.
 *
 * Everything here is pure: headers are read from a file image in memory and
 * the information structures are built into a caller's buffer, so the host
 * tests check them byte by byte. */
#ifndef UHV_MULTIBOOT_H
#define UHV_MULTIBOOT_H
#include <uhv/types.h>
#include <uhv/guest.h>
#include <uhv/elf.h>
#include <uhv/hw/multiboot.h>

/* ---- the kernel's header, either version ----------------------------------------------------- */

struct mb_header {
	unsigned version;	/* 1 or 2 */
	u64 offset;		/* file offset of the magic */
	u32 flags;		/* v1: the header flags */
	/* load addresses (v1 a.out kludge, mb2 address tag): the file is loaded raw */
	bool has_addr;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr;
	bool has_entry;		/* v1 a.out kludge, mb2 entry address tag */
	u32 entry_addr;
	u32 requests;		/* mb2 information request: bit n = tag type n (< 32) wanted */
	u32 required;		/* the requested types the kernel cannot do without */
};

/* Find a valid header (magic, checksum, architecture, well-formed tags) in the
 * search area. 0 and *out filled; -ENOENT if there is none (a magic with a
 * bad checksum is mentioned at debug level and skipped, as GRUB does);
 * -EINVAL if the header is valid but asks for something uhv cannot do
 * (message printed). */
int multiboot1_header_find(const void *file, u64 size, struct mb_header *out);
int multiboot2_header_find(const void *file, u64 size, struct mb_header *out);

/* The one segment of a raw (a.out kludge / address tag) image: file offset,
 * sizes and load address from the header fields. 0 or -EINVAL with a message. */
int multiboot_raw_segment(const struct mb_header *h, u64 file_size, struct elf_segment *seg);

/* ---- building the information ---------------------------------------------------------------- */

struct mb_module_info {
	u32 start, end;		/* [start, end) guest-physical */
	const char *string;	/* NULL = "" */
};

struct mb_boot_info {
	const struct guest *g;	/* its regions become the memory map */
	const char *cmdline;	/* NULL = no command line */
	const char *loader_name;
	const struct mb_module_info *mods;
	unsigned nr_mods;
	const void *rsdp_v1;	/* ACPI RSDP copies, NULL if none (mb2 tags 14 / 15) */
	u32 rsdp_v1_len;
	const void *rsdp_v2;
	u32 rsdp_v2_len;
};

/* Build the information structure for a kernel that will find it at
 * guest-physical base. With buf NULL only the size is computed. Returns the
 * size in bytes, or -ENOSPC if cap is too small (nothing useful written). */
int multiboot2_info_build(void *buf, size_t cap, u32 base, const struct mb_boot_info *bi);
int multiboot1_info_build(void *buf, size_t cap, u32 base, const struct mb_boot_info *bi);

/* Basic memory sizes (KiB) from the guest's RAM regions: RAM contiguous from 0
 * (at most 640 KiB) and RAM contiguous from 1 MiB (saturated at 4 GiB). */
void multiboot_mem_sizes(const struct guest *g, u32 *lower_kib, u32 *upper_kib);

#endif
