/* Linux bzImage loader: the x86 boot protocol's 64-bit (or 32-bit) entry with
 * boot_params, command line, initrd and e820 built in guest memory. What goes
 * where, and why, is in <uhv/linux_boot.h> and docs/linux-guest.md. */
#define LOG_MODULE "linux"
#include "linux_priv.h"
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/unaligned.h>

static bool overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

/* ---- the image ------------------------------------------------------------------------------ */

bool linux_is_bzimage(const void *img, size_t len)
{
	if (!img || len < 0x202 + sizeof(u32))
		return false;
	return get_le32((const u8 *)img + 0x202) == LINUX_HDRS_MAGIC;
}

static bool is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

static void version_string(const u8 *file, size_t len, u16 kv, char *out, size_t cap)
{
	size_t at = (size_t)kv + 0x200, n = 0;

	out[0] = 0;
	if (!kv || at >= len)
		return;
	while (n + 1 < cap && at + n < len && file[at + n] >= 0x20 && file[at + n] < 0x7f) {
		out[n] = (char)file[at + n];
		n++;
	}
	out[n] = 0;
}

int linux_pm_bytes(u32 syssize, u64 avail, u64 *mem_size, u64 *file_size)
{
	*mem_size = (u64)syssize * LINUX_PARAGRAPH;
	*file_size = MIN(*mem_size, avail);
	if (!syssize) {
		*mem_size = *file_size = avail;
		return 0;
	}
	/* the builders round the code up to whole paragraphs without padding
	 * the file (memtest86+: (_end - _start + 15) >> 4): a short last
	 * paragraph is what the protocol allows, more is a truncated file */
	return *mem_size - *file_size < LINUX_PARAGRAPH ? 0 : -EINVAL;
}

/* An image with the Linux boot header but an older protocol: what it is, and what uhv can
 * enter. Before 2.12 no xloadflags say which entries exist, and such images (old kernels,
 * tools that borrow the header) may rely on their real-mode setup code and the BIOS. */
static void refuse_old_protocol(const struct linux_image *k)
{
	pr_err("guest kernel: an image with a Linux boot header (\"HdrS\"), boot protocol "
	       "%u.%02u%s%s%s; uhv starts such images only from protocol %u.%02u (Linux 3.8 "
	       "or later), whose xloadflags say which entries they have\n", k->version >> 8,
	       k->version & 0xff, k->version_string[0] ? ", version \"" : "", k->version_string,
	       k->version_string[0] ? "\"" : "", LINUX_MIN_VERSION >> 8, LINUX_MIN_VERSION & 0xff);
	pr_err("guest kernel: uhv gives a guest no BIOS and enters it in 32-bit protected mode "
	       "(multiboot, multiboot2, ELF, a bzImage's 32-bit entry) or 64-bit mode (a "
	       "bzImage's 64-bit entry), never in real mode: an image that starts only in real "
	       "mode cannot run\n");
}

int linux_parse_image(const void *img, size_t len, struct linux_image *out)
{
	const u8 *file = img;
	const struct linux_setup_header *h = &out->hdr;
	size_t end;

	memset(out, 0, sizeof(*out));
	if (!linux_is_bzimage(img, len)) {
		pr_err("guest kernel: not a Linux bzImage (no \"HdrS\" at offset 0x202)\n");
		return -ENOEXEC;
	}
	/* the jump at 0x200 skips the header: its target is where the header ends */
	end = 0x202 + file[0x201];
	out->hdr_len = (unsigned)(MIN(end, (size_t)0x26c) - LINUX_HDR_OFFSET);
	if (end > len) {
		pr_err("guest kernel: bzImage truncated inside its setup header (%zu bytes); give "
		       "the whole vmlinuz file\n", len);
		return -EINVAL;
	}
	memcpy(&out->hdr, file + LINUX_HDR_OFFSET, out->hdr_len);
	out->version = h->version;
	version_string(file, len, h->kernel_version, out->version_string,
		       sizeof(out->version_string));
	if (h->version < LINUX_MIN_VERSION) {
		refuse_old_protocol(out);
		return -EINVAL;
	}
	if (out->hdr_len < __builtin_offsetof(struct linux_setup_header, handover_offset)) {
		pr_err("guest kernel: bzImage header of boot protocol %u.%02u ends at 0x%zx, "
		       "before init_size (0x260): the image is malformed\n",
		       h->version >> 8, h->version & 0xff, end);
		return -EINVAL;
	}
	if (h->boot_flag != LINUX_BOOT_FLAG) {
		pr_err("guest kernel: bzImage boot_flag is 0x%x, not 0xaa55: the image is "
		       "malformed\n", h->boot_flag);
		return -EINVAL;
	}
	if (!(h->loadflags & LINUX_LF_LOADED_HIGH)) {
		pr_err("guest kernel: this is a zImage (loads below 1 MiB); uhv boots only "
		       "bzImage kernels (make bzImage)\n");
		return -EINVAL;
	}

	out->setup_sects = h->setup_sects ? h->setup_sects : LINUX_DEFAULT_SETUP_SECTS;
	out->pm_offset = (u64)(out->setup_sects + 1) * LINUX_SECTOR;
	if (out->pm_offset >= len) {
		pr_err("guest kernel: bzImage of %zu bytes ends inside its %u setup sectors: the "
		       "file is truncated\n", len, out->setup_sects);
		return -EINVAL;
	}
	/* syssize counts the protected-mode code; a signed image carries its
	 * signature after it, which the kernel does not need */
	if (linux_pm_bytes(h->syssize, len - out->pm_offset, &out->pm_size, &out->pm_file_size)) {
		pr_err("guest kernel: bzImage header says %llu bytes of protected-mode code at "
		       "offset 0x%llx, the file has %llu: the file is truncated\n",
		       out->pm_size, out->pm_offset,
		       (len - out->pm_offset));
		return -EINVAL;
	}
	out->init_size = MAX((u64)h->init_size, out->pm_size);
	out->relocatable = h->relocatable_kernel != 0;
	out->alignment = h->kernel_alignment;
	if (out->relocatable && (!is_pow2(out->alignment) || out->alignment < PAGE_SIZE)) {
		pr_err("guest kernel: bzImage kernel_alignment 0x%llx is not a power of two >= "
		       "4 KiB: the image is malformed\n", out->alignment);
		return -EINVAL;
	}
	out->kernel64 = h->xloadflags & LINUX_XLF_KERNEL_64;
	return 0;
}

/* ---- boot information ----------------------------------------------------------------------- */

int linux_build_e820(const struct guest *g, struct linux_e820_entry *tab, unsigned cap)
{
	unsigned n = 0, need = 0;

	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];

		if (!r->size)
			continue;
		if (need && n && tab[n - 1].type == r->type && tab[n - 1].addr + tab[n - 1].size ==
		    r->gpa) {
			tab[n - 1].size += r->size;
			continue;
		}
		need++;
		if (n < cap)
			tab[n++] = (struct linux_e820_entry){ r->gpa, r->size, r->type };
	}
	if (need > cap) {
		pr_err("guest memory map: %u entries after merging, the Linux e820 table holds "
		       "%u; the guest's memory is too fragmented (give uhv fewer reserved "
		       "ranges)\n", need, cap);
		return -E2BIG;
	}
	return (int)n;
}

/* Where the kernel goes: [*load, +pm_size) and its runtime range
 * [*rt, +init_size), all guest RAM below 4 GiB. */
static int place_kernel(const struct guest *g, const struct linux_image *k, u64 *load, u64 *rt)
{
	u64 pref = k->hdr.pref_address ? k->hdr.pref_address : LINUX_LEGACY_LOAD_ADDR;

	if (!k->relocatable) {
		/* loaded at 1 MiB, moves itself to pref_address */
		*load = LINUX_LEGACY_LOAD_ADDR;
		*rt = pref;
		if (pref + k->init_size <= FOUR_GIB && guest_is_ram(g, *rt, k->init_size) &&
		    guest_is_ram(g, *load, k->pm_size))
			return 0;
		pr_err("guest kernel: this non-relocatable Linux needs guest RAM at [0x%llx, "
		       "0x%llx) (loaded at 1 MiB) and [0x%llx, 0x%llx) (init_size from its "
		       "runtime address); that memory is not all guest RAM: build the kernel "
		       "with CONFIG_RELOCATABLE or give the guest that memory\n",
		       *load, (*load + k->pm_size),
		       *rt, (*rt + k->init_size));
		loader_print_ram(g);
		return -EINVAL;
	}
	/* A relocatable kernel never runs below pref_address: loaded lower it
	 * would still decompress there, so the search starts at pref_address. */
	for (u64 at = ALIGN_UP(pref, k->alignment); at + k->init_size <= FOUR_GIB;
	     at += k->alignment) {
		if (guest_is_ram(g, at, k->init_size)) {
			*load = *rt = at;
			return 0;
		}
	}
	pr_err("guest kernel: Linux needs %llu MiB of contiguous guest RAM (init_size) at a "
	       "0x%llx-aligned address from 0x%llx (its pref_address) below 4 GiB; there is "
	       "none: give the guest more memory\n",
	       (k->init_size >> 20), k->alignment,
	       pref);
	loader_print_ram(g);
	return -EINVAL;
}

static int check_modules(const struct loader_module *mods, unsigned n)
{
	if (!mods || n == 0) {
		pr_err("no guest kernel: give the bzImage as the first multiboot2 module "
		       "(module2 /vmlinuz console=ttyS0 ...) and the initrd as the next\n");
		return -ENOENT;
	}
	if (n > LOADER_MAX_MODULES) {
		pr_err("%u modules given; uhv takes the kernel and at most %u initrd pieces\n", n,
		       LOADER_MAX_MODULES - 1);
		return -E2BIG;
	}
	return 0;
}

/* The command line, cut to what the kernel takes, into l->cmdline. */
static void take_cmdline(struct linux_load *l, const char *s)
{
	u64 max = MIN(l->k->hdr.cmdline_size, LINUX_CMDLINE_MAX);

	l->cmdline_len = s ? strlen(s) : 0;
	if (l->cmdline_len > max) {
		pr_warn("kernel command line is %llu bytes, this kernel takes %u: cut\n",
			l->cmdline_len,
			MIN(l->k->hdr.cmdline_size, LINUX_CMDLINE_MAX));
		l->cmdline_len = max;
	}
	memcpy(l->cmdline, s ? s : "", l->cmdline_len);
	l->cmdline[l->cmdline_len] = 0;
}

/* A single initrd module already where it may stay is used in place. */
static bool initrd_fits_in_place(const struct linux_load *l, u64 limit)
{
	const struct loader_module *m = &l->mods[1];

	return l->n == 2 && m->gpa != LOADER_NOT_IN_GUEST && l->initrd_size &&
	       IS_ALIGNED(m->gpa, PAGE_SIZE) && m->gpa + l->initrd_size <= limit &&
	       guest_is_ram(l->g, m->gpa, l->initrd_size) &&
	       loader_busy_hit(l->busy, m->gpa, m->gpa + l->initrd_size) == ~0ULL;
}

/* The initrd pieces, each 4-byte aligned, from l->initrd on. */
static int copy_initrd(const struct linux_load *l)
{
	for (u64 at = l->initrd, i = 1; i < l->n; i++) {
		int ret = guest_zero(l->g, at, ALIGN_UP(at, 4) - at);

		at = ALIGN_UP(at, 4);
		if (!ret)
			ret = guest_write(l->g, at, l->mods[i].data, l->mods[i].size);
		if (ret)
			return ret;
		at += l->mods[i].size;
	}
	return 0;
}

/* 2. the initrd: below initrd_addr_max (its last byte) and 4 GiB, clear of
 * the kernel and of every module's current place, so no copy below
 * destroys bytes still to be copied */
static int place_initrd(struct linux_load *l)
{
	const struct loader_module *mods = l->mods;
	u64 limit = MIN((u64)l->k->hdr.initrd_addr_max + 1, FOUR_GIB);

	for (unsigned i = 1; i < l->n; i++)
		l->initrd_size = ALIGN_UP(l->initrd_size, 4) + mods[i].size;
	memset(l->busy, 0, sizeof(*l->busy));
	loader_busy_add(l->busy, l->load, l->load + l->k->pm_size);
	loader_busy_add(l->busy, l->rt, l->rt_end);
	if (initrd_fits_in_place(l, limit)) {
		l->initrd = mods[1].gpa;
		l->in_place = true;
	}
	for (unsigned i = 0; i < l->n; i++)
		if (mods[i].gpa != LOADER_NOT_IN_GUEST)
			loader_busy_add(l->busy, mods[i].gpa, mods[i].gpa + mods[i].size);
	if (!l->initrd_size || l->in_place)
		return 0;
	l->initrd = loader_place_high(l->g, l->initrd_size, limit, PAGE_SIZE, l->busy);
	if (!l->initrd) {
		pr_err("initrd (%llu bytes): no room in guest RAM below 0x%llx "
		       "(initrd_addr_max) clear of the kernel's [0x%llx, 0x%llx); give "
		       "the guest more memory or a smaller initrd\n",
		       l->initrd_size, limit,
		       l->rt, l->rt_end);
		loader_print_ram(l->g);
		return -ENOMEM;
	}
	loader_busy_add(l->busy, l->initrd, l->initrd + l->initrd_size);
	return copy_initrd(l);
}

/* 3. the protected-mode kernel. guest_write() is one memmove when the
 * destination lies in one region, right for any overlap with the
 * source; else an overlapping source is first moved out of the way. */
static int load_pm_kernel(const struct linux_load *l)
{
	const struct linux_image *k = l->k;
	const u8 *pm = (const u8 *)l->mods[0].data + k->pm_offset;
	u64 pm_gpa = LOADER_NOT_IN_GUEST;
	int ret;

	if (l->mods[0].gpa != LOADER_NOT_IN_GUEST)
		pm_gpa = l->mods[0].gpa + k->pm_offset;
	if (pm_gpa != LOADER_NOT_IN_GUEST && overlaps(pm_gpa, pm_gpa + k->pm_size, l->load,
						      l->load + k->pm_size) &&
	    !guest_ptr(l->g, l->load, k->pm_size)) {
		u64 tmp = loader_place_high(l->g, k->pm_size, ~0ULL, PAGE_SIZE, l->busy);

		if (!tmp) {
			pr_err("guest kernel: the bzImage lies where its kernel is loaded and "
			       "there is no free guest RAM to move it out of the way\n");
			return -ENOMEM;
		}
		ret = guest_write(l->g, tmp, pm, k->pm_file_size);
		if (ret)
			return ret;
		pm = guest_ptr(l->g, tmp, k->pm_file_size);
	}
	ret = guest_write(l->g, l->load, pm, k->pm_file_size);
	if (ret)
		return ret;
	/* the rest of a last paragraph the file does not hold (linux_pm_bytes) */
	return guest_zero(l->g, l->load + k->pm_file_size, k->pm_size - k->pm_file_size);
}

int linux_load(struct guest *g, const struct loader_module *mods, unsigned n, u64 rsdp_gpa)
{
	return linux_load_ex(g, mods, n, rsdp_gpa, NULL, NULL);
}

int linux_load_ex(struct guest *g, const struct loader_module *mods, unsigned n, u64 rsdp_gpa,
		  const struct linux_options *opt, struct linux_layout *layout)
{
	static struct linux_image k;	/* large; the loader runs once, on the BSP */
	static struct loader_busy busy;
	static struct linux_e820_entry e820[LINUX_E820_MAX];
	/* the module string may lie in guest RAM that the copies below overwrite */
	static char cmdline[LINUX_CMDLINE_MAX + 1];
	struct linux_load l = {
		.g = g, .mods = mods, .n = n, .k = &k, .busy = &busy, .e820 = e820,
		.cmdline = cmdline,
	};
	int ret;

	ret = check_modules(mods, n);
	if (!ret)
		ret = linux_parse_image(mods[0].data, mods[0].data ? mods[0].size : 0, &k);
	if (ret)
		return ret;
	l.entry64 = k.kernel64 && !(opt && opt->entry32);
	take_cmdline(&l, mods[0].string);
	l.nr_e820 = linux_build_e820(g, e820, LINUX_E820_MAX);
	if (l.nr_e820 < 0)
		return l.nr_e820;

	/* 1. the kernel's place */
	ret = place_kernel(g, &k, &l.load, &l.rt);
	if (ret)
		return ret;
	l.rt_end = l.rt + k.init_size;
	ret = place_initrd(&l);
	if (!ret)
		ret = load_pm_kernel(&l);
	if (!ret)
		ret = linux_setup_boot_data(&l, rsdp_gpa);
	if (ret)
		return ret;
	linux_setup_cpu(&l);
	linux_report(&l, layout);
	return 0;
}
