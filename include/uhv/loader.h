/* The guest loader (loader/loader.c): puts the guest kernel into guest memory
 * and prepares its boot information and boot CPU state, as GRUB would.
 *
 * The guest is given Xen-style as multiboot2 modules: the first module is the
 * kernel (its module string is the guest's command line), the others are the
 * guest's modules (initrd, ...), passed on to it in that order.
 *
 * Kernel formats, tried in this order: a multiboot2 header (first 32 KiB),
 * a multiboot v1 header (first 8 KiB), a plain ELF-32/ELF-64 executable
 * (booted like a multiboot2 kernel). A Linux bzImage is recognised and refused
 * (not implemented yet).
 *
 * What the loader does, in order:
 *  1. parse the kernel and list where its segments go (their physical
 *     addresses); each must be guest RAM and they must not overlap;
 *  2. move the modules to the top of guest RAM below 4 GiB, page-aligned,
 *     clear of the segments, of each other and of every module's current
 *     place (so no copy destroys a source); the kernel file is moved too if
 *     its segments would overwrite it;
 *  3. copy the segments and zero their bss;
 *  4. build the boot information in guest RAM: below 1 MiB if a free page
 *     run is there, else after the kernel, never over kernel or modules;
 *  5. fill g->boot: 32-bit protected mode, paging off, EAX = boot loader
 *     magic, EBX = information address, EIP = entry.
 * Memory is reached only through guest_ptr()/guest_write(), so the host unit
 * test runs the loader on a guest backed by malloc'ed memory. */
#ifndef UHV_LOADER_H
#define UHV_LOADER_H

#include <uhv/types.h>
#include <uhv/guest.h>

#define LOADER_MAX_MODULES	32	/* kernel included */
#define LOADER_NOT_IN_GUEST	(~0ULL)	/* loader_module.gpa: the bytes are not in guest memory */
#define LOADER_NAME		"uhv"	/* boot loader name the guest sees */

struct loader_module {
	const void *data;	/* host-virtual address of the module's bytes */
	u64 size;
	/* where those bytes are in guest-physical memory (GRUB put them in
	 * RAM that is now the guest's), or LOADER_NOT_IN_GUEST */
	u64 gpa;
	const char *string;	/* module string (kernel: the guest command line); NULL = "" */
};

/* Firmware information the guest gets a copy of (from uhv's own multiboot2
 * information, struct mb2_info). Any field may be NULL / 0. */
struct loader_firmware {
	const void *rsdp_v1;	/* ACPI 1.0 RSDP (20 bytes) -> mb2 tag 14 */
	u32 rsdp_v1_len;
	const void *rsdp_v2;	/* ACPI 2.0+ RSDP (36 bytes) -> mb2 tag 15 */
	u32 rsdp_v2_len;
	u64 rsdp_gpa;		/* where the guest finds its RSDP (Linux boot_params), 0 = let it search */
};

/* Load the guest described by mods[0..nr_mods) into g (whose memory regions
 * must be set up) and fill g->boot, g->cmdline and g->kind. Returns 0, or a
 * negative errno after printing what is wrong and what to do:
 * -ENOENT no module, -ENOEXEC unknown format or Linux bzImage,
 * -EINVAL malformed kernel or a segment outside guest RAM, -ENOMEM no room
 * for modules or boot information. On failure guest memory may have been
 * partly written. */
int loader_load(struct guest *g, const struct loader_module *mods, unsigned nr_mods);

#define LOADER_MAX_SEGMENTS	32

/* Where the loader put things (guest-physical [start, end) ranges). */
struct loader_layout {
	unsigned nr_segs;
	struct { u64 start, end; } segs[LOADER_MAX_SEGMENTS];
	unsigned nr_mods;	/* guest modules (kernel excluded), in module order */
	struct { u64 start, end; } mods[LOADER_MAX_MODULES];
	u64 info_start, info_end;
	u64 entry;
};

/* loader_load() with firmware information for the guest (fw may be NULL) and
 * the resulting layout reported in *layout (may be NULL). */
int loader_load_ex(struct guest *g, const struct loader_module *mods, unsigned nr_mods,
		   const struct loader_firmware *fw, struct loader_layout *layout);

/* ---- shared by the loaders (loader/place.c, loader/guest_mem.c) ---- */

#define LOADER_LOW_MEM_START	0x1000ULL	/* page 0 (real-mode IVT, BDA) stays untouched */
#define LOADER_LOW_MEM_END	0xa0000ULL	/* conventional memory ends at the VGA window */
#define LOADER_HIGH_MEM_START	0x100000ULL

/* Guest ranges a placement must avoid: segments, module sources and
 * destinations, temporary copies. */
struct loader_span {
	u64 start, end;		/* [start, end) */
};
struct loader_busy {
	unsigned n;
	struct loader_span r[2 * LOADER_MAX_MODULES + 40];	/* >= ELF segments + 2 per module + 2 */
};
void loader_busy_add(struct loader_busy *b, u64 start, u64 end);
/* The lowest start of a busy span overlapping [start, end), or ~0 if none. */
u64 loader_busy_hit(const struct loader_busy *b, u64 start, u64 end);
/* Highest align-aligned place for size bytes inside one guest RAM region,
 * below limit, clear of busy spans; lowest page-aligned one within [lo, hi).
 * 0 when there is none (page 0 is never used). */
u64 loader_place_high(const struct guest *g, u64 size, u64 limit, u64 align,
		      const struct loader_busy *b);
u64 loader_place_low(const struct guest *g, u64 size, u64 lo, u64 hi, const struct loader_busy *b);
/* One line per guest RAM region (for placement errors). */
void loader_print_ram(const struct guest *g);

#endif
