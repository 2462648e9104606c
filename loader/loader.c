/* The guest loader: kernel format detection, placement of kernel segments,
 * modules and boot information in guest RAM, and the boot CPU state. The
 * order of the steps is explained in <uhv/loader.h>. */
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
#include <uhv/elf.h>

_Static_assert(ARRAY_SIZE(((struct loader_busy *)0)->r) >= ELF_MAX_SEGMENTS + 2 * LOADER_MAX_MODULES + 2,
	       "loader_busy holds every segment and every module source and destination");

_Static_assert(LOADER_MAX_SEGMENTS == ELF_MAX_SEGMENTS, "loader_layout holds every segment");

#define FOUR_GIB	GiB(4)


/* Everything the loader decided about the kernel before touching memory. */
struct kernel_desc {
	const char *kind;
	struct mb_header hdr;		/* hdr.version 0: plain ELF */
	unsigned nr_segs;
	struct elf_segment segs[ELF_MAX_SEGMENTS];
	u64 entry;
};

/* ---- kernel format --------------------------------------------------------------------------- */

static int entry_error(const struct kernel_desc *k, u64 entry, const char *source)
{
	pr_err("guest kernel: entry point 0x%llx (%s) is outside the loaded segments:\n",
	       entry, source);
	for (unsigned i = 0; i < k->nr_segs; i++)
		pr_err("  segment %u [0x%llx, 0x%llx)\n", i, k->segs[i].paddr,
		       (k->segs[i].paddr + k->segs[i].memsz));
	pr_err("guest kernel: the kernel has no usable entry; check its multiboot header and "
	       "linker script\n");
	return -EINVAL;
}

static bool in_segments(const struct kernel_desc *k, u64 addr)
{
	for (unsigned i = 0; i < k->nr_segs; i++)
		if (addr >= k->segs[i].paddr && addr - k->segs[i].paddr < k->segs[i].memsz)
			return true;
	return false;
}

/* Entry from an ELF file, translated to physical. */
static int elf_entry(struct kernel_desc *k, const struct elf_image *img)
{
	u64 entry;

	if (img->entry == 0) {
		pr_err("guest kernel: ELF e_entry is 0, so the kernel has no entry point; set "
		       "ENTRY() in its linker script\n");
		return -EINVAL;
	}
	if (elf_entry_paddr(img, &entry)) {
		if (img->bits == 64 && img->entry > 0xffffffffULL)
			goto not32;
		return entry_error(k, img->entry, "ELF e_entry");
	}
	if (entry > 0xffffffffULL)
		goto not32;
	k->entry = entry;
	return 0;
not32:
	pr_err("guest kernel: 64-bit ELF entry 0x%llx: a multiboot guest starts in 32-bit mode, so "
	       "the entry must be a 32-bit address within a loaded segment (give the kernel a "
	       "32-bit entry, e.g. with a multiboot2 entry address tag)\n",
	       img->entry);
	return -EINVAL;
}

static int describe_kernel(const u8 *file, u64 size, struct kernel_desc *k)
{
	struct elf_image img;
	int ret;

	memset(k, 0, sizeof(*k));
	ret = multiboot2_header_find(file, size, &k->hdr);
	if (ret == -ENOENT)
		ret = multiboot1_header_find(file, size, &k->hdr);
	if (ret == -ENOENT) {
		memset(&k->hdr, 0, sizeof(k->hdr));
		if (!elf_is_elf(file, size)) {
			pr_err("guest kernel: not an ELF executable and no multiboot2 or multiboot "
			       "header (file of %llu bytes); the first module must be the guest "
			       "kernel: a multiboot2/multiboot kernel or an ELF executable\n",
			       size);
			return -ENOEXEC;
		}
	} else if (ret) {
		return ret;
	}

	if (k->hdr.has_addr) {
		ret = multiboot_raw_segment(&k->hdr, size, &k->segs[0]);
		if (ret)
			return ret;
		k->nr_segs = 1;
		k->kind = k->hdr.version == 2 ? "multiboot2 raw image"
					      : "multiboot a.out-kludge image";
	} else {
		if (k->hdr.version && !elf_is_elf(file, size)) {
			pr_err("guest kernel: the multiboot%s header gives no load addresses (%s) "
			       "and the file is not ELF, so uhv does not know where to load it\n",
			       k->hdr.version == 2 ? "2" : "",
			       k->hdr.version == 2 ? "no address tag" : "flag bit 16 clear");
			return -ENOEXEC;
		}
		ret = elf_parse(file, size, &img);
		if (ret)
			return ret;
		k->nr_segs = img.nr_segs;
		memcpy(k->segs, img.segs, img.nr_segs * sizeof(img.segs[0]));
		if (k->hdr.version == 2)
			k->kind = "multiboot2 ELF";
		else if (k->hdr.version == 1)
			k->kind = "multiboot ELF";
		else
			k->kind = "ELF without multiboot header (booted as multiboot2)";
		if (img.bits == 64 && k->hdr.version)
			pr_info("guest kernel: ELF-64 file, entered in 32-bit mode as multiboot "
				"says\n");
		if (!k->hdr.has_entry) {
			ret = elf_entry(k, &img);
			if (ret)
				return ret;
		}
	}

	if (k->hdr.has_entry) {
		const char *src = k->hdr.version == 2 ? "multiboot2 entry address tag"
						      : "multiboot header entry_addr";

		if (k->hdr.entry_addr == 0) {
			pr_err("guest kernel: the %s is 0, so the kernel has no entry point\n",
			       src);
			return -EINVAL;
		}
		k->entry = k->hdr.entry_addr;
	} else if (k->hdr.has_addr) {
		pr_err("guest kernel: the multiboot2 header has an address tag but no entry "
		       "address tag, so the kernel has no entry point\n");
		return -EINVAL;
	}
	if (!in_segments(k, k->entry))
		return entry_error(k, k->entry,
				   k->hdr.has_entry ? "multiboot header" : "ELF e_entry");

	for (unsigned i = 0; i < k->nr_segs; i++) {
		const struct elf_segment *s = &k->segs[i];

		if (s->paddr + s->memsz > FOUR_GIB) {
			pr_err("guest kernel: segment %u [0x%llx, 0x%llx) is above 4 GiB, out of "
			       "reach of a kernel that starts in 32-bit mode without paging\n",
			       i, s->paddr,
			       (s->paddr + s->memsz));
			return -EINVAL;
		}
	}
	return 0;
}

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
	struct mb_module_info minfo[LOADER_MAX_MODULES];
	const u8 *file;
	u64 size, kdest = 0, info_at, seg_end = 0;
	int ret, info_size;

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
	if (linux_is_bzimage(mods[0].data, mods[0].size))
		return linux_load(g, mods, nr_mods, fw ? fw->rsdp_gpa : 0);
	copy_cmdline(g, mods[0].string);
	size_t pool_used = 0;
	for (unsigned i = 1; i < nr_mods; i++)
		minfo[i - 1].string = keep_string(mods[i].string, &pool_used);
	u32 rsdp_len[2] = { fw ? fw->rsdp_v1_len : 0, fw ? fw->rsdp_v2_len : 0 };
	const void *rsdp[2] = {
		keep_rsdp(0, fw ? fw->rsdp_v1 : NULL, &rsdp_len[0]),
		keep_rsdp(1, fw ? fw->rsdp_v2 : NULL, &rsdp_len[1]),
	};

	file = mods[0].data;
	size = mods[0].size;
	if (!file || size == 0) {
		pr_err("guest kernel: the first module is empty; it must be the guest kernel\n");
		return -ENOEXEC;
	}

	/* 1. the kernel's segments */
	ret = describe_kernel(file, size, &k);
	if (ret)
		return ret;
	for (unsigned i = 0; i < k.nr_segs; i++) {
		const struct elf_segment *s = &k.segs[i];

		if (!guest_is_ram(g, s->paddr, s->memsz)) {
			pr_err("guest kernel: segment %u [0x%llx, 0x%llx) is not in guest RAM: "
			       "this memory is reserved by uhv or firmware; link the kernel at an "
			       "address inside guest RAM (usually 0x100000)\n",
			       i, s->paddr,
			       (s->paddr + s->memsz));
			loader_print_ram(g);
			return -EINVAL;
		}
		seg_end = MAX(seg_end, s->paddr + s->memsz);
	}

	/* 2. module destinations: clear of segments and of every module's source */
	memset(&busy, 0, sizeof(busy));
	for (unsigned i = 0; i < k.nr_segs; i++)
		loader_busy_add(&busy, k.segs[i].paddr, k.segs[i].paddr + k.segs[i].memsz);
	for (unsigned i = 0; i < nr_mods; i++)
		if (mods[i].gpa != LOADER_NOT_IN_GUEST)
			loader_busy_add(&busy, mods[i].gpa, mods[i].gpa + mods[i].size);
	for (unsigned i = 1; i < nr_mods; i++) {
		u64 at = loader_place_high(g, mods[i].size, FOUR_GIB, PAGE_SIZE, &busy);

		if (!at) {
			pr_err("guest module %u (%llu bytes): no room in guest RAM below 4 GiB "
			       "clear of the kernel and the other modules; give the guest more "
			       "memory or smaller modules\n", i, mods[i].size);
			loader_print_ram(g);
			return -ENOMEM;
		}
		minfo[i - 1].start = (u32)at;
		minfo[i - 1].end = (u32)(at + mods[i].size);
		loader_busy_add(&busy, at, ALIGN_UP(at + mods[i].size, PAGE_SIZE));
	}
	if (mods[0].gpa != LOADER_NOT_IN_GUEST) {
		for (unsigned i = 0; i < k.nr_segs && !kdest; i++) {
			if (!overlaps(mods[0].gpa, size, k.segs[i].paddr, k.segs[i].memsz))
				continue;
			kdest = loader_place_high(g, size, ~0ULL, PAGE_SIZE, &busy);
			if (!kdest) {
				pr_err("guest kernel: its segments overlap the kernel file itself "
				       "and there is no free guest RAM to move the file out of the "
				       "way\n");
				return -ENOMEM;
			}
		}
	}

	/* moves: no destination overlaps any source, so the order is free */
	if (kdest) {
		ret = guest_write(g, kdest, file, size);
		if (ret)
			return ret;
		file = guest_ptr(g, kdest, size);
		pr_debug("guest kernel file moved to 0x%llx, out of its segments' way\n",
			 kdest);
	}
	for (unsigned i = 1; i < nr_mods; i++) {
		ret = guest_write(g, minfo[i - 1].start, mods[i].data, mods[i].size);
		if (ret)
			return ret;
	}

	/* 3. segments */
	for (unsigned i = 0; i < k.nr_segs; i++) {
		const struct elf_segment *s = &k.segs[i];

		ret = guest_write(g, s->paddr, file + s->offset, s->filesz);
		if (!ret)
			ret = guest_zero(g, s->paddr + s->filesz, s->memsz - s->filesz);
		if (ret)
			return ret;
	}

	/* 4. boot information, clear of the kernel and the modules */
	struct mb_boot_info bi = {
		.g = g,
		.cmdline = g->cmdline,
		.loader_name = LOADER_NAME,
		.mods = minfo,
		.nr_mods = nr_mods - 1,
		.rsdp_v1 = rsdp[0],
		.rsdp_v1_len = rsdp[0] ? rsdp_len[0] : 0,
		.rsdp_v2 = rsdp[1],
		.rsdp_v2_len = rsdp[1] ? rsdp_len[1] : 0,
	};
	bool v1 = k.hdr.version == 1;

	info_size = v1 ? multiboot1_info_build(NULL, 0, 0, &bi)
		       : multiboot2_info_build(NULL, 0, 0, &bi);
	busy.n = 0;
	for (unsigned i = 0; i < k.nr_segs; i++)
		loader_busy_add(&busy, k.segs[i].paddr, k.segs[i].paddr + k.segs[i].memsz);
	for (unsigned i = 0; i + 1 < nr_mods; i++)
		loader_busy_add(&busy, minfo[i].start, ALIGN_UP((u64)minfo[i].end, PAGE_SIZE));
	info_at = loader_place_low(g, info_size, LOADER_LOW_MEM_START, LOADER_LOW_MEM_END, &busy);
	if (!info_at)
		info_at = loader_place_low(g, info_size, ALIGN_UP(seg_end, PAGE_SIZE), FOUR_GIB, &busy);
	if (!info_at) {
		pr_err("no room for the guest's boot information (%d bytes) in guest RAM below 4 "
		       "GiB clear of the kernel and modules\n", info_size);
		loader_print_ram(g);
		return -ENOMEM;
	}
	void *info = guest_ptr(g, info_at, info_size);

	memset(info, 0, info_size);
	ret = v1 ? multiboot1_info_build(info, info_size, (u32)info_at, &bi)
		 : multiboot2_info_build(info, info_size, (u32)info_at, &bi);
	if (ret < 0)
		return ret;

	/* 5. the boot CPU, as GRUB leaves it */
	memset(&g->boot, 0, sizeof(g->boot));
	g->boot.mode = GUEST_MODE_PROTECTED32;
	g->boot.rax = v1 ? MB1_BOOTLOADER_MAGIC : MB2_BOOTLOADER_MAGIC;
	g->boot.rbx = info_at;
	g->boot.rip = k.entry;
	g->boot.rflags = 0x2;	/* reserved bit 1; IF clear */
	g->boot.cr0 = CR0_PE | CR0_ET;
	g->kind = k.kind;

	pr_info("guest kernel: %s, %u segment%s, entry 0x%llx, %u module%s, boot information at "
		"0x%llx (%d bytes)\n", k.kind, k.nr_segs, k.nr_segs == 1 ? "" : "s",
		k.entry, nr_mods - 1, nr_mods == 2 ? "" : "s",
		info_at, info_size);
	for (unsigned i = 0; i < k.nr_segs; i++)
		pr_debug("  segment %u [0x%llx, 0x%llx) file 0x%llx bytes\n", i,
			 k.segs[i].paddr,
			 (k.segs[i].paddr + k.segs[i].memsz),
			 k.segs[i].filesz);
	for (unsigned i = 0; i + 1 < nr_mods; i++)
		pr_debug("  module %u [0x%x, 0x%x) '%s'\n", i + 1, minfo[i].start, minfo[i].end,
			 minfo[i].string ? minfo[i].string : "");

	if (layout) {
		memset(layout, 0, sizeof(*layout));
		layout->nr_segs = k.nr_segs;
		for (unsigned i = 0; i < k.nr_segs; i++) {
			layout->segs[i].start = k.segs[i].paddr;
			layout->segs[i].end = k.segs[i].paddr + k.segs[i].memsz;
		}
		layout->nr_mods = nr_mods - 1;
		for (unsigned i = 0; i + 1 < nr_mods; i++) {
			layout->mods[i].start = minfo[i].start;
			layout->mods[i].end = minfo[i].end;
		}
		layout->info_start = info_at;
		layout->info_end = info_at + info_size;
		layout->entry = k.entry;
	}
	return 0;
}
