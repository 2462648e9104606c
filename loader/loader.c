/* The guest loader: placement of kernel segments, modules and boot information
 * in guest RAM, and the boot CPU state (the kernel format is found in
 * kernel_format.c). The order of the steps is explained in <uhv/loader.h>. */
#define LOG_MODULE "loader"
#include <uhv/loader.h>
#include <uhv/elf.h>
#include <uhv/multiboot.h>
#include <uhv/mb2.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/linux_boot.h>
#include "loader_priv.h"

_Static_assert(ARRAY_SIZE(((struct loader_busy *)0)->r) >=
	       ELF_MAX_SEGMENTS + 2 * LOADER_MAX_MODULES + 2,
	       "loader_busy holds every segment and every module source and destination");

_Static_assert(LOADER_MAX_SEGMENTS == ELF_MAX_SEGMENTS, "loader_layout holds every segment");

#define FOUR_GIB	GiB(4)

/* ---- memory ---------------------------------------------------------------------------------- */

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static void copy_cmdline(struct guest *g, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= sizeof(g->cmdline)) {
		pr_warn("guest command line is %zu bytes, cut to %zu\n", n, sizeof(g->cmdline) - 1);
		n = sizeof(g->cmdline) - 1;
	}
	if (n)
		memcpy(g->cmdline, s, n);
	g->cmdline[n] = 0;
}

/* Module strings and RSDP copies usually point into GRUB's information
 * structure, which may lie in what is now guest RAM and be overwritten by the
 * moves below: they are copied first. Static: the loader runs once, on the BSP. */
static char str_pool[4096];
static u8 rsdp_copy[2][64];

static const char *keep_string(const char *s, size_t *used)
{
	char *dst = str_pool + *used;
	size_t n;

	if (!s)
		s = "";
	n = strlen(s);
	if (*used + n + 1 > sizeof(str_pool)) {
		pr_warn("guest module strings exceed %zu bytes; '%s' is cut\n", sizeof(str_pool),
			s);
		if (*used + 1 > sizeof(str_pool))
			return "";
		n = sizeof(str_pool) - *used - 1;
	}
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
	*used += n + 1;
	return dst;
}

static const void *keep_rsdp(unsigned i, const void *src, u32 *len)
{
	if (!src || !*len)
		return NULL;
	if (*len > sizeof(rsdp_copy[i])) {
		pr_warn("ACPI RSDP copy of %u bytes is cut to %zu\n", *len, sizeof(rsdp_copy[i]));
		*len = sizeof(rsdp_copy[i]);
	}
	memcpy(rsdp_copy[i], src, *len);
	return rsdp_copy[i];
}

static void busy_add_segments(struct loader_busy *busy, const struct kernel_desc *k)
{
	for (unsigned i = 0; i < k->nr_segs; i++)
		loader_busy_add(busy, k->segs[i].paddr, k->segs[i].paddr + k->segs[i].memsz);
}

/* One multiboot or ELF load: what the steps of loader_load_ex() pass on. */
struct mb_load {
	struct guest *g;
	const struct loader_module *mods;
	unsigned nr_mods;
	struct kernel_desc *k;
	struct loader_busy *busy;
	const u8 *file;			/* the kernel file, wherever it is now */
	u64 size;
	u64 seg_end;			/* end of the highest segment */
	struct mb_module_info minfo[LOADER_MAX_MODULES];
	u64 info_at;
	int info_size;
};

static int check_modules(const struct loader_module *mods, unsigned nr_mods)
{
	if (nr_mods == 0 || !mods) {
		pr_err("no guest kernel: give the guest as the first multiboot2 module (module2 "
		       "/path/kernel args) in grub.cfg\n");
		return -ENOENT;
	}
	if (nr_mods > LOADER_MAX_MODULES) {
		pr_err("%u modules given; uhv takes the guest kernel and at most %u guest "
		       "modules\n", nr_mods, LOADER_MAX_MODULES - 1);
		return -E2BIG;
	}
	return 0;
}

/* 1. every segment in guest RAM */
static int segments_in_ram(struct mb_load *l)
{
	const struct kernel_desc *k = l->k;

	for (unsigned i = 0; i < k->nr_segs; i++) {
		const struct elf_segment *s = &k->segs[i];

		if (!guest_is_ram(l->g, s->paddr, s->memsz)) {
			pr_err("guest kernel: segment %u [0x%llx, 0x%llx) is not in guest RAM: "
			       "this memory is reserved by uhv or firmware; link the kernel at an "
			       "address inside guest RAM (usually 0x100000)\n",
			       i, s->paddr,
			       (s->paddr + s->memsz));
			loader_print_ram(l->g);
			return -EINVAL;
		}
		l->seg_end = MAX(l->seg_end, s->paddr + s->memsz);
	}
	return 0;
}

/* 2. module destinations: clear of segments and of every module's source; and
 * a place for the kernel file if its segments would overwrite it (*kdest, or 0) */
static int place_modules(struct mb_load *l, u64 *kdest)
{
	const struct loader_module *mods = l->mods;

	memset(l->busy, 0, sizeof(*l->busy));
	busy_add_segments(l->busy, l->k);
	for (unsigned i = 0; i < l->nr_mods; i++)
		if (mods[i].gpa != LOADER_NOT_IN_GUEST)
			loader_busy_add(l->busy, mods[i].gpa, mods[i].gpa + mods[i].size);
	for (unsigned i = 1; i < l->nr_mods; i++) {
		u64 at = loader_place_high(l->g, mods[i].size, FOUR_GIB, PAGE_SIZE, l->busy);

		if (!at) {
			pr_err("guest module %u (%llu bytes): no room in guest RAM below 4 GiB "
			       "clear of the kernel and the other modules; give the guest more "
			       "memory or smaller modules\n", i, mods[i].size);
			loader_print_ram(l->g);
			return -ENOMEM;
		}
		l->minfo[i - 1].start = (u32)at;
		l->minfo[i - 1].end = (u32)(at + mods[i].size);
		loader_busy_add(l->busy, at, ALIGN_UP(at + mods[i].size, PAGE_SIZE));
	}
	*kdest = 0;
	if (mods[0].gpa == LOADER_NOT_IN_GUEST)
		return 0;
	for (unsigned i = 0; i < l->k->nr_segs && !*kdest; i++) {
		if (!overlaps(mods[0].gpa, l->size, l->k->segs[i].paddr, l->k->segs[i].memsz))
			continue;
		*kdest = loader_place_high(l->g, l->size, ~0ULL, PAGE_SIZE, l->busy);
		if (!*kdest) {
			pr_err("guest kernel: its segments overlap the kernel file itself "
			       "and there is no free guest RAM to move the file out of the "
			       "way\n");
			return -ENOMEM;
		}
	}
	return 0;
}

/* moves: no destination overlaps any source, so the order is free */
static int move_files(struct mb_load *l, u64 kdest)
{
	int ret;

	if (kdest) {
		ret = guest_write(l->g, kdest, l->file, l->size);
		if (ret)
			return ret;
		l->file = guest_ptr(l->g, kdest, l->size);
		pr_debug("guest kernel file moved to 0x%llx, out of its segments' way\n",
			 kdest);
	}
	for (unsigned i = 1; i < l->nr_mods; i++) {
		ret = guest_write(l->g, l->minfo[i - 1].start, l->mods[i].data, l->mods[i].size);
		if (ret)
			return ret;
	}
	return 0;
}

/* 3. segments */
static int load_segments(struct mb_load *l)
{
	for (unsigned i = 0; i < l->k->nr_segs; i++) {
		const struct elf_segment *s = &l->k->segs[i];
		int ret = guest_write(l->g, s->paddr, l->file + s->offset, s->filesz);

		if (!ret)
			ret = guest_zero(l->g, s->paddr + s->filesz, s->memsz - s->filesz);
		if (ret)
			return ret;
	}
	return 0;
}

/* 4. boot information, clear of the kernel and the modules */
static int build_boot_info(struct mb_load *l, const struct mb_boot_info *bi)
{
	bool v1 = l->k->hdr.version == 1;
	int ret;

	l->info_size = v1 ? multiboot1_info_build(NULL, 0, 0, bi)
			  : multiboot2_info_build(NULL, 0, 0, bi);
	l->busy->n = 0;
	busy_add_segments(l->busy, l->k);
	for (unsigned i = 0; i + 1 < l->nr_mods; i++)
		loader_busy_add(l->busy, l->minfo[i].start,
				ALIGN_UP((u64)l->minfo[i].end, PAGE_SIZE));
	l->info_at = loader_place_low(l->g, l->info_size, LOADER_LOW_MEM_START,
				      LOADER_LOW_MEM_END, l->busy);
	if (!l->info_at)
		l->info_at = loader_place_low(l->g, l->info_size, ALIGN_UP(l->seg_end, PAGE_SIZE),
					      FOUR_GIB, l->busy);
	if (!l->info_at) {
		pr_err("no room for the guest's boot information (%d bytes) in guest RAM below 4 "
		       "GiB clear of the kernel and modules\n", l->info_size);
		loader_print_ram(l->g);
		return -ENOMEM;
	}
	void *info = guest_ptr(l->g, l->info_at, l->info_size);

	memset(info, 0, l->info_size);
	ret = v1 ? multiboot1_info_build(info, l->info_size, (u32)l->info_at, bi)
		 : multiboot2_info_build(info, l->info_size, (u32)l->info_at, bi);
	return ret < 0 ? ret : 0;
}

/* 5. the boot CPU, as GRUB leaves it */
static void set_boot_cpu(const struct mb_load *l)
{
	struct guest *g = l->g;

	memset(&g->boot, 0, sizeof(g->boot));
	g->boot.mode = GUEST_MODE_PROTECTED32;
	g->boot.rax = l->k->hdr.version == 1 ? MB1_BOOTLOADER_MAGIC : MB2_BOOTLOADER_MAGIC;
	g->boot.rbx = l->info_at;
	g->boot.rip = l->k->entry;
	g->boot.rflags = 0x2;	/* reserved bit 1; IF clear */
	g->boot.cr0 = CR0_PE | CR0_ET;
	g->kind = l->k->kind;
}

static void print_load(const struct mb_load *l)
{
	const struct kernel_desc *k = l->k;
	unsigned nr_mods = l->nr_mods;

	pr_info("guest kernel: %s, %u segment%s, entry 0x%llx, %u module%s, boot information at "
		"0x%llx (%d bytes)\n", k->kind, k->nr_segs, k->nr_segs == 1 ? "" : "s",
		k->entry, nr_mods - 1, nr_mods == 2 ? "" : "s",
		l->info_at, l->info_size);
	for (unsigned i = 0; i < k->nr_segs; i++)
		pr_debug("  segment %u [0x%llx, 0x%llx) file 0x%llx bytes\n", i,
			 k->segs[i].paddr,
			 (k->segs[i].paddr + k->segs[i].memsz),
			 k->segs[i].filesz);
	for (unsigned i = 0; i + 1 < nr_mods; i++)
		pr_debug("  module %u [0x%x, 0x%x) '%s'\n", i + 1, l->minfo[i].start,
			 l->minfo[i].end, l->minfo[i].string ? l->minfo[i].string : "");
}

static void report_layout(const struct mb_load *l, struct loader_layout *layout)
{
	const struct kernel_desc *k = l->k;

	memset(layout, 0, sizeof(*layout));
	layout->nr_segs = k->nr_segs;
	for (unsigned i = 0; i < k->nr_segs; i++) {
		layout->segs[i].start = k->segs[i].paddr;
		layout->segs[i].end = k->segs[i].paddr + k->segs[i].memsz;
	}
	layout->nr_mods = l->nr_mods - 1;
	for (unsigned i = 0; i + 1 < l->nr_mods; i++) {
		layout->mods[i].start = l->minfo[i].start;
		layout->mods[i].end = l->minfo[i].end;
	}
	layout->info_start = l->info_at;
	layout->info_end = l->info_at + l->info_size;
	layout->entry = k->entry;
}

/* Steps 1 to 3: the kernel's segments and the modules in guest memory. */
static int load_kernel_and_modules(struct mb_load *l)
{
	u64 kdest;
	int ret;

	ret = loader_describe_kernel(l->file, l->size, l->k);
	if (!ret)
		ret = segments_in_ram(l);
	if (!ret)
		ret = place_modules(l, &kdest);
	if (!ret)
		ret = move_files(l, kdest);
	if (!ret)
		ret = load_segments(l);
	return ret;
}

int loader_load(struct guest *g, const struct loader_module *mods, unsigned nr_mods)
{
	return loader_load_ex(g, mods, nr_mods, NULL, NULL);
}

int loader_load_ex(struct guest *g, const struct loader_module *mods, unsigned nr_mods,
		   const struct loader_firmware *fw, struct loader_layout *layout)
{
	/* too big for the stack; the loader runs once, on the BSP */
	static struct kernel_desc k;
	static struct loader_busy busy;
	static struct mb_load l;
	int ret;

	ret = check_modules(mods, nr_mods);
	if (ret)
		return ret;
	if (linux_is_bzimage(mods[0].data, mods[0].size))
		return linux_load(g, mods, nr_mods, fw ? fw->rsdp_gpa : 0);
	l = (struct mb_load){ .g = g, .mods = mods, .nr_mods = nr_mods, .k = &k, .busy = &busy };
	copy_cmdline(g, mods[0].string);
	size_t pool_used = 0;
	for (unsigned i = 1; i < nr_mods; i++)
		l.minfo[i - 1].string = keep_string(mods[i].string, &pool_used);
	u32 rsdp_len[2] = { fw ? fw->rsdp_v1_len : 0, fw ? fw->rsdp_v2_len : 0 };
	const void *rsdp[2] = {
		keep_rsdp(0, fw ? fw->rsdp_v1 : NULL, &rsdp_len[0]),
		keep_rsdp(1, fw ? fw->rsdp_v2 : NULL, &rsdp_len[1]),
	};

	l.file = mods[0].data;
	l.size = mods[0].size;
	if (!l.file || l.size == 0) {
		pr_err("guest kernel: the first module is empty; it must be the guest kernel\n");
		return -ENOEXEC;
	}
	ret = load_kernel_and_modules(&l);
	if (ret)
		return ret;

	struct mb_boot_info bi = {
		.g = g,
		.cmdline = g->cmdline,
		.loader_name = LOADER_NAME,
		.mods = l.minfo,
		.nr_mods = nr_mods - 1,
		.rsdp_v1 = rsdp[0],
		.rsdp_v1_len = rsdp[0] ? rsdp_len[0] : 0,
		.rsdp_v2 = rsdp[1],
		.rsdp_v2_len = rsdp[1] ? rsdp_len[1] : 0,
	};
	ret = build_boot_info(&l, &bi);
	if (ret)
		return ret;
	set_boot_cpu(&l);
	print_load(&l);
	if (layout)
		report_layout(&l, layout);
	return 0;
}
