/* Linux bzImage loader: the x86 boot protocol's 64-bit (or 32-bit) entry with
 * boot_params, command line, initrd and e820 built in guest memory. What goes
 * where, and why, is in <uhv/linux_boot.h> and docs/linux-guest.md. */
#define LOG_MODULE "linux"
#include <uhv/linux_boot.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/unaligned.h>

#define FOUR_GIB	GiB(4)
#define LINUX_CMDLINE_MAX	4095U	/* beyond any kernel's cmdline_size (x86: 2047) */

/* Boot data block, page offsets (see linux_load_ex) */
#define DATA_BOOT_PARAMS	0x0000
#define DATA_GDT		0x1000
#define DATA_STACK		0x2000	/* one page; RSP starts at its top */
#define DATA_PML4		0x3000
#define DATA_PDPT		0x4000
#define DATA_PD			0x5000	/* 4 page directories: 4 GiB in 2 MiB pages */
#define DATA_FIXED_64		0x9000
#define DATA_FIXED_32		DATA_PML4	/* no page tables */

/* x86 paging entry bits (SDM Vol. 3A 4.5) */
#define PTE_P	BIT(0)
#define PTE_RW	BIT(1)
#define PTE_PS	BIT(7)

/* Flat 4 GiB descriptors with the accessed bit already set, so the CPU never
 * writes the GDT and VM entry's segment checks (accessed type) hold. */
#define GDT_CODE64	0x00af9b000000ffffULL	/* L=1, DPL 0, execute/read */
#define GDT_CODE32	0x00cf9b000000ffffULL	/* D=1, G=1, execute/read */
#define GDT_DATA	0x00cf93000000ffffULL	/* B=1, G=1, read/write */
#define GDT_ENTRIES	4			/* null, unused, __BOOT_CS, __BOOT_DS */

_Static_assert(LINUX_BOOT_CS == 2 * 8 && LINUX_BOOT_DS == 3 * 8, "GDT slots");

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
	if (h->version < LINUX_MIN_VERSION) {
		pr_err("guest kernel: this bzImage uses boot protocol %u.%02u; uhv needs >= "
		       "%u.%02u (64-bit entry and xloadflags, Linux 3.8 or newer): boot a newer "
		       "kernel\n", h->version >> 8, h->version & 0xff, LINUX_MIN_VERSION >> 8,
		       LINUX_MIN_VERSION & 0xff);
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
	out->pm_size = (u64)h->syssize * 16;
	if (out->pm_size == 0)
		out->pm_size = len - out->pm_offset;
	if (out->pm_size > len - out->pm_offset) {
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
	version_string(file, len, h->kernel_version, out->version_string,
		       sizeof(out->version_string));
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

static void build_page_tables(u8 *data, u64 base)
{
	u64 *pml4 = (u64 *)(data + DATA_PML4), *pdpt = (u64 *)(data + DATA_PDPT);

	pml4[0] = (base + DATA_PDPT) | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4; i++) {
		u64 *pd = (u64 *)(data + DATA_PD + i * PAGE_SIZE);

		pdpt[i] = (base + DATA_PD + i * PAGE_SIZE) | PTE_P | PTE_RW;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = (GiB(i) + j * LARGE_PAGE_SIZE) | PTE_P | PTE_RW | PTE_PS;
	}
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
	const u8 *file, *pm;
	u64 load, rt, rt_end, initrd = 0, initrd_size = 0, initrd_limit, data, data_size;
	u64 cmdline_len, pm_gpa = LOADER_NOT_IN_GUEST;
	bool in_place = false, entry64;
	int ret, nr_e820;

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
	file = mods[0].data;
	ret = linux_parse_image(file, file ? mods[0].size : 0, &k);
	if (ret)
		return ret;
	entry64 = k.kernel64 && !(opt && opt->entry32);
	cmdline_len = mods[0].string ? strlen(mods[0].string) : 0;
	if (cmdline_len > MIN(k.hdr.cmdline_size, LINUX_CMDLINE_MAX)) {
		pr_warn("kernel command line is %llu bytes, this kernel takes %u: cut\n",
			cmdline_len,
			MIN(k.hdr.cmdline_size, LINUX_CMDLINE_MAX));
		cmdline_len = MIN(k.hdr.cmdline_size, LINUX_CMDLINE_MAX);
	}
	memcpy(cmdline, mods[0].string ? mods[0].string : "", cmdline_len);
	cmdline[cmdline_len] = 0;
	nr_e820 = linux_build_e820(g, e820, LINUX_E820_MAX);
	if (nr_e820 < 0)
		return nr_e820;

	/* 1. the kernel's place */
	ret = place_kernel(g, &k, &load, &rt);
	if (ret)
		return ret;
	rt_end = rt + k.init_size;

	/* 2. the initrd: below initrd_addr_max (its last byte) and 4 GiB, clear of
	 * the kernel and of every module's current place, so no copy below
	 * destroys bytes still to be copied */
	for (unsigned i = 1; i < n; i++)
		initrd_size = ALIGN_UP(initrd_size, 4) + mods[i].size;
	initrd_limit = MIN((u64)k.hdr.initrd_addr_max + 1, FOUR_GIB);
	memset(&busy, 0, sizeof(busy));
	loader_busy_add(&busy, load, load + k.pm_size);
	loader_busy_add(&busy, rt, rt_end);
	if (n == 2 && mods[1].gpa != LOADER_NOT_IN_GUEST && initrd_size &&
	    IS_ALIGNED(mods[1].gpa, PAGE_SIZE) && mods[1].gpa + initrd_size <= initrd_limit &&
	    guest_is_ram(g, mods[1].gpa, initrd_size) &&
	    loader_busy_hit(&busy, mods[1].gpa, mods[1].gpa + initrd_size) == ~0ULL) {
		initrd = mods[1].gpa;
		in_place = true;
	}
	for (unsigned i = 0; i < n; i++)
		if (mods[i].gpa != LOADER_NOT_IN_GUEST)
			loader_busy_add(&busy, mods[i].gpa, mods[i].gpa + mods[i].size);
	if (initrd_size && !in_place) {
		initrd = loader_place_high(g, initrd_size, initrd_limit, PAGE_SIZE, &busy);
		if (!initrd) {
			pr_err("initrd (%llu bytes): no room in guest RAM below 0x%llx "
			       "(initrd_addr_max) clear of the kernel's [0x%llx, 0x%llx); give "
			       "the guest more memory or a smaller initrd\n",
			       initrd_size, initrd_limit,
			       rt, rt_end);
			loader_print_ram(g);
			return -ENOMEM;
		}
		loader_busy_add(&busy, initrd, initrd + initrd_size);
		for (u64 at = initrd, i = 1; i < n; i++) {
			ret = guest_zero(g, at, ALIGN_UP(at, 4) - at);
			at = ALIGN_UP(at, 4);
			if (!ret)
				ret = guest_write(g, at, mods[i].data, mods[i].size);
			if (ret)
				return ret;
			at += mods[i].size;
		}
	}

	/* 3. the protected-mode kernel. guest_write() is one memmove when the
	 * destination lies in one region, right for any overlap with the
	 * source; else an overlapping source is first moved out of the way. */
	pm = file + k.pm_offset;
	if (mods[0].gpa != LOADER_NOT_IN_GUEST)
		pm_gpa = mods[0].gpa + k.pm_offset;
	if (pm_gpa != LOADER_NOT_IN_GUEST && overlaps(pm_gpa, pm_gpa + k.pm_size, load,
						      load + k.pm_size) &&
	    !guest_ptr(g, load, k.pm_size)) {
		u64 tmp = loader_place_high(g, k.pm_size, ~0ULL, PAGE_SIZE, &busy);

		if (!tmp) {
			pr_err("guest kernel: the bzImage lies where its kernel is loaded and "
			       "there is no free guest RAM to move it out of the way\n");
			return -ENOMEM;
		}
		ret = guest_write(g, tmp, pm, k.pm_size);
		if (ret)
			return ret;
		pm = guest_ptr(g, tmp, k.pm_size);
	}
	ret = guest_write(g, load, pm, k.pm_size);
	if (ret)
		return ret;

	/* 4. boot data, as low as possible in conventional memory: Linux keeps
	 * the first MiB reserved, and its decompressor takes the top of
	 * conventional memory for a trampoline */
	data_size = (entry64 ? DATA_FIXED_64 : DATA_FIXED_32) + ALIGN_UP(cmdline_len + 1,
									  PAGE_SIZE);
	busy.n = 0;
	loader_busy_add(&busy, load, load + k.pm_size);
	loader_busy_add(&busy, rt, rt_end);
	loader_busy_add(&busy, initrd, initrd + initrd_size);
	data = loader_place_low(g, data_size, LOADER_LOW_MEM_START, LOADER_LOW_MEM_END, &busy);
	if (!data)
		data = loader_place_low(g, data_size, LOADER_HIGH_MEM_START, FOUR_GIB, &busy);
	if (!data) {
		pr_err("no room for the kernel's boot data (%llu KiB) in guest RAM below 4 GiB "
		       "clear of the kernel and initrd\n", (data_size >> 10));
		loader_print_ram(g);
		return -ENOMEM;
	}
	/* loader_place_low() keeps a placement inside one region: one host pointer */
	u8 *d = guest_ptr(g, data, data_size);
	struct linux_boot_params *bp = (struct linux_boot_params *)(d + DATA_BOOT_PARAMS);
	u64 *gdt = (u64 *)(d + DATA_GDT);
	u64 cmdline_gpa = data + data_size - ALIGN_UP(cmdline_len + 1, PAGE_SIZE);

	memset(d, 0, data_size);
	memcpy(d + (cmdline_gpa - data), cmdline, cmdline_len);

	memcpy(&bp->hdr, &k.hdr, k.hdr_len);
	bp->hdr.type_of_loader = LINUX_LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags = (k.hdr.loadflags | LINUX_LF_LOADED_HIGH | LINUX_LF_CAN_USE_HEAP) &
			    ~LINUX_LF_KEEP_SEGMENTS;
	bp->hdr.heap_end_ptr = LINUX_HEAP_END_PTR;	/* only the real-mode code uses it */
	bp->hdr.code32_start = (u32)load;
	bp->hdr.cmd_line_ptr = (u32)cmdline_gpa;
	bp->ext_cmd_line_ptr = (u32)(cmdline_gpa >> 32);
	bp->hdr.ramdisk_image = (u32)initrd;
	bp->ext_ramdisk_image = (u32)(initrd >> 32);
	bp->hdr.ramdisk_size = (u32)initrd_size;
	bp->ext_ramdisk_size = (u32)(initrd_size >> 32);
	bp->hdr.setup_data = 0;
	if (rsdp_gpa && k.version >= LINUX_RSDP_VERSION)
		bp->acpi_rsdp_addr = rsdp_gpa;
	else if (rsdp_gpa)
		pr_warn("boot protocol %u.%02u has no acpi_rsdp_addr: Linux will look for the "
			"RSDP in the BIOS area itself\n", k.version >> 8, k.version & 0xff);
	bp->e820_entries = (u8)nr_e820;
	memcpy(bp->e820_table, e820, (size_t)nr_e820 * sizeof(e820[0]));

	gdt[LINUX_BOOT_CS / 8] = entry64 ? GDT_CODE64 : GDT_CODE32;
	gdt[LINUX_BOOT_DS / 8] = GDT_DATA;

	/* 5. the boot CPU (boot.rst "32-bit / 64-bit boot protocol"): flat
	 * __BOOT_CS/__BOOT_DS from this GDT, interrupts off, RSI = boot_params */
	memset(&g->boot, 0, sizeof(g->boot));
	g->boot.rsi = data + DATA_BOOT_PARAMS;
	g->boot.rsp = data + DATA_STACK + PAGE_SIZE;
	g->boot.rflags = 0x2;
	g->boot.gdt_base = data + DATA_GDT;
	g->boot.gdt_limit = GDT_ENTRIES * 8 - 1;
	g->boot.cs = LINUX_BOOT_CS;
	g->boot.ds = LINUX_BOOT_DS;
	if (entry64) {
		build_page_tables(d, data);
		g->boot.mode = GUEST_MODE_LONG64;
		g->boot.rip = load + LINUX_ENTRY64_OFFSET;
		g->boot.cr0 = CR0_PE | CR0_ET | CR0_PG;
		g->boot.cr3 = data + DATA_PML4;
		g->boot.cr4 = CR4_PAE;
		g->boot.efer = EFER_LME | EFER_LMA;
	} else {
		g->boot.mode = GUEST_MODE_PROTECTED32;
		g->boot.rip = load;
		g->boot.cr0 = CR0_PE | CR0_ET;
	}
	memcpy(g->cmdline, cmdline, MIN(cmdline_len, sizeof(g->cmdline) - 1));
	g->cmdline[MIN(cmdline_len, sizeof(g->cmdline) - 1)] = 0;
	g->kind = "Linux bzImage";

	pr_info("guest kernel: Linux bzImage %s, boot protocol %u.%02u, loaded at 0x%llx "
		"(%llu KiB, init_size %llu KiB), %s entry 0x%llx\n",
		k.version_string[0] ? k.version_string : "(no version string)", k.version >> 8,
		k.version & 0xff, load, (k.pm_size >> 10),
		(k.init_size >> 10), entry64 ? "64-bit" : "32-bit",
		g->boot.rip);
	if (initrd_size)
		pr_info("  initrd [0x%llx, 0x%llx)%s from %u module%s\n",
			initrd, (initrd + initrd_size),
			in_place ? " (in place)" : "", n - 1, n == 2 ? "" : "s");
	pr_info("  boot_params 0x%llx, command line 0x%llx (%llu bytes), %d e820 entries\n",
		(data + DATA_BOOT_PARAMS), cmdline_gpa,
		cmdline_len, nr_e820);

	if (layout) {
		*layout = (struct linux_layout){
			.kernel_start = load, .kernel_end = load + k.pm_size,
			.runtime_start = rt, .runtime_end = rt_end,
			.initrd_start = initrd, .initrd_end = initrd + initrd_size,
			.initrd_in_place = in_place,
			.data_start = data, .data_end = data + data_size,
			.boot_params = data + DATA_BOOT_PARAMS, .cmdline = cmdline_gpa,
			.gdt = data + DATA_GDT, .pml4 = entry64 ? data + DATA_PML4 : 0,
			.stack_top = g->boot.rsp, .entry = g->boot.rip, .entry64 = entry64,
			.e820_entries = (unsigned)nr_e820,
		};
	}
	return 0;
}
