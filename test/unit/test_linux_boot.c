// UNIT-SOURCES: loader/linux.c loader/linux_setup.c loader/linux_screen.c loader/guest_mem.c loader/place.c
/* Linux bzImage loader: a synthetic bzImage (setup header built here, a
 * pattern as protected-mode code) is loaded into a fake guest whose RAM is a
 * malloc'ed buffer with holes and firmware ranges. The kernel file and the
 * initrd sit in guest memory where GRUB may put them (the file on top of where
 * the kernel loads). boot_params, e820, command line, initrd, GDT, page tables
 * and the boot CPU state are checked; then the error cases. When
 * scripts/linux/fetch.sh has run, the real Debian vmlinuz is loaded too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/linux_boot.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include "log_capture.h"

/* ---- the fake guest -------------------------------------------------------------------------- */

#define MEM_SIZE	0x3000000ULL	/* guest-physical 0 .. 48 MiB */
#define POISON		0xaa

static u8 *mem;				/* host memory standing for guest-physical 0.. */
static u64 mem_size = MEM_SIZE;
static struct guest g;

static void add_region(u64 gpa, u64 size, u32 type)
{
	/* guest_mem.c reaches a region through phys_to_virt(hpa) = DMAP_BASE + hpa */
	g.mem[g.nr_mem++] = (struct guest_region){
		.gpa = gpa, .size = size, .type = type,
		.hpa = (paddr_t)((uintptr_t)(mem + gpa) - DMAP_BASE),
	};
}

/* A PC-like map with uhv's 1 MiB at 8 MiB taken out; RAM from 9 MiB is two
 * regions split at split (they merge into one e820 entry). */
static void std_guest_split(u64 split)
{
	memset(&g, 0, sizeof(g));
	memset(mem, POISON, MEM_SIZE);
	add_region(0, 0x9f000, GUEST_MEM_RAM);
	add_region(0x9f000, 0x1000, GUEST_MEM_RESERVED);
	add_region(0xf0000, 0x10000, GUEST_MEM_RESERVED);
	add_region(0x100000, 0x700000, GUEST_MEM_RAM);
	/* 0x800000-0x900000: uhv */
	add_region(0x900000, split - 0x900000, GUEST_MEM_RAM);
	add_region(split, 0x2f00000 - split, GUEST_MEM_RAM);
	add_region(0x2f00000, 0x10000, GUEST_MEM_ACPI);
	add_region(0x2f10000, 0xf0000, GUEST_MEM_RAM);
}

static void std_guest(void)
{
	std_guest_split(0x1800000);
}

static int setup(void **state)
{
	mem = malloc(mem_size);
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	free(mem);
	return 0;
}

static void check_log(const char *msg)
{
	if (!log_capture_contains(msg)) {
		fprintf(stderr, "expected '%s' in the log:\n%s\n", msg, log_capture_text());
		fail();
	}
}

/* ---- the synthetic bzImage ------------------------------------------------------------------- */

#define SETUP_SECTS	3
#define PM_OFFSET	((SETUP_SECTS + 1) * 512)
#define PM_SIZE		0x3010		/* a multiple of 16: syssize is exact */
#define SIG_SIZE	0x123		/* a signature after the code: not loaded */
#define PREF		0x1000000ULL
#define ALIGNMENT	0x200000U
#define INIT_SIZE	0x400000U
#define KVER		"6.99.0-uhv-test (test@uhv) #1"
#define KFILE_GPA	PREF		/* GRUB put the file where the kernel loads */

static u8 kfile[PM_OFFSET + PM_SIZE + SIG_SIZE];
static size_t ksize;

static struct linux_setup_header *khdr(void)
{
	return (struct linux_setup_header *)(kfile + LINUX_HDR_OFFSET);
}

static u8 pm_byte(size_t i)
{
	return (u8)(i * 7 + (i >> 8) + 1);
}

static void make_bzimage(void)
{
	struct linux_setup_header *h = khdr();

	memset(kfile, 0, sizeof(kfile));
	ksize = sizeof(kfile);
	h->setup_sects = SETUP_SECTS;
	h->syssize = PM_SIZE / 16;
	h->vid_mode = 0xffff;
	h->boot_flag = LINUX_BOOT_FLAG;
	h->jump = 0x6aeb;			/* jmp short 0x26c: the header ends there */
	h->header = LINUX_HDRS_MAGIC;
	h->version = 0x020f;
	h->kernel_version = 0x300;		/* string at 0x500, in the setup sectors */
	strcpy((char *)kfile + 0x500, KVER);
	h->loadflags = LINUX_LF_LOADED_HIGH;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = ALIGNMENT;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = LINUX_XLF_KERNEL_64 | LINUX_XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 255;
	h->pref_address = PREF;
	h->init_size = INIT_SIZE;
	for (size_t i = 0; i < PM_SIZE; i++)
		kfile[PM_OFFSET + i] = pm_byte(i);
	memset(kfile + PM_OFFSET + PM_SIZE, 0xee, SIG_SIZE);
}

/* ---- modules as GRUB leaves them ------------------------------------------------------------- */

#define INITRD_GPA	0x2000000ULL	/* page aligned, clear of the kernel: used in place */
#define INITRD_SIZE	0x12345
#define CMDLINE		"console=ttyS0,115200 quiet uhvnet=bochs"

static u8 initrd[INITRD_SIZE];
static struct loader_module mods[4];

static u8 initrd_byte(size_t i)
{
	return (u8)(i * 13 + 5);
}

static unsigned grub_modules(u64 initrd_gpa)
{
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = initrd_byte(i);
	memcpy(mem + KFILE_GPA, kfile, ksize);
	/* the string sits in guest RAM the loader may overwrite (low memory) */
	strcpy((char *)mem + 0x1080, CMDLINE);
	mods[0] = (struct loader_module){ mem + KFILE_GPA, ksize, KFILE_GPA, (char *)mem + 0x1080 };
	memcpy(mem + initrd_gpa, initrd, sizeof(initrd));
	mods[1] = (struct loader_module){ mem + initrd_gpa, sizeof(initrd), initrd_gpa, "" };
	return 2;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool overlap(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

static struct linux_boot_params *bp_of(const struct linux_layout *l)
{
	return (struct linux_boot_params *)(mem + l->boot_params);
}

static void check_kernel_bytes(u64 load)
{
	for (size_t i = 0; i < PM_SIZE; i++) {
		if (mem[load + i] != pm_byte(i)) {
			fprintf(stderr, "kernel byte 0x%zx at 0x%llx: 0x%02x, want 0x%02x\n", i,
				(load + i), mem[load + i], pm_byte(i));
			fail();
		}
	}
}

static void check_initrd_bytes(u64 at)
{
	for (size_t i = 0; i < INITRD_SIZE; i++)
		if (mem[at + i] != initrd_byte(i)) {
			fprintf(stderr, "initrd byte 0x%zx at 0x%llx: 0x%02x\n", i,
				(at + i), mem[at + i]);
			fail();
		}
}

static void check_layout(const struct linux_layout *l)
{
	assert_true(guest_is_ram(&g, l->runtime_start, l->runtime_end - l->runtime_start));
	assert_true(guest_is_ram(&g, l->data_start, l->data_end - l->data_start));
	assert_true(l->data_start % PAGE_SIZE == 0 && l->data_start >= 0x1000);
	assert_false(overlap(l->data_start, l->data_end, l->runtime_start, l->runtime_end));
	assert_false(overlap(l->data_start, l->data_end, l->kernel_start, l->kernel_end));
	if (l->initrd_end) {
		assert_true(l->initrd_start % PAGE_SIZE == 0);
		assert_true(guest_is_ram(&g, l->initrd_start, l->initrd_end - l->initrd_start));
		assert_false(overlap(l->initrd_start, l->initrd_end, l->runtime_start,
				     l->runtime_end));
		assert_false(overlap(l->initrd_start, l->initrd_end, l->kernel_start,
				     l->kernel_end));
		assert_false(overlap(l->initrd_start, l->initrd_end, l->data_start, l->data_end));
	}
	assert_true(l->boot_params >= l->data_start && l->boot_params + 4096 <= l->data_end);
	assert_true(l->cmdline >= l->data_start && l->cmdline < l->data_end);
}

/* Walk the loader's page tables for va; returns the physical address or ~0. */
static u64 walk(u64 cr3, u64 va)
{
	u64 e = cr3;
	static const unsigned shifts[] = { 39, 30, 21 };

	for (unsigned lvl = 0; lvl < 3; lvl++) {
		u64 *t = (u64 *)(mem + (e & ~0xfffULL & ((1ULL << 52) - 1)));

		e = t[(va >> shifts[lvl]) & 511];
		if (!(e & 1) || !(e & 2))
			return ~0ULL;
		if (lvl == 2) {
			assert_true(e & BIT(7));	/* 2 MiB page */
			return (e & ~(MiB(2) - 1) & ((1ULL << 52) - 1)) | (va & (MiB(2) - 1));
		}
		assert_false(e & BIT(7));
	}
	return ~0ULL;
}

static void check_gdt(u64 gdt, bool code64)
{
	u64 *d = (u64 *)(mem + gdt);

	assert_int_equal(g.boot.gdt_base, gdt);
	assert_int_equal(g.boot.gdt_limit, 4 * 8 - 1);
	assert_int_equal(g.boot.cs, LINUX_BOOT_CS);
	assert_int_equal(g.boot.ds, LINUX_BOOT_DS);
	assert_int_equal(d[0], 0);
	/* __BOOT_CS: present, DPL 0, code execute/read accessed; L for 64-bit, D for 32 */
	u64 cs = d[LINUX_BOOT_CS / 8], ds = d[LINUX_BOOT_DS / 8];

	assert_int_equal((cs >> 40) & 0xff, 0x9b);
	assert_int_equal((cs >> 53) & 1, code64);	/* L */
	assert_int_equal((cs >> 54) & 1, !code64);	/* D */
	assert_int_equal((cs >> 55) & 1, 1);		/* G */
	assert_int_equal(cs & 0xffff, 0xffff);
	assert_int_equal((cs >> 48) & 0xf, 0xf);
	assert_int_equal((ds >> 40) & 0xff, 0x93);
	assert_int_equal((ds >> 54) & 3, 3);		/* B, G */
	assert_int_equal(ds & 0xffff, 0xffff);
	/* bases 0 */
	assert_int_equal((cs >> 16) & 0xffffff, 0);
	assert_int_equal(cs >> 56, 0);
	assert_int_equal((ds >> 16) & 0xffffff, 0);
	assert_int_equal(ds >> 56, 0);
}

static int load(unsigned n, u64 rsdp, const struct linux_options *opt, struct linux_layout *l)
{
	log_capture_reset();
	return linux_load_ex(&g, mods, n, rsdp, opt, l);
}

/* ---- tests: good kernels --------------------------------------------------------------------- */

static void is_bzimage(void **state)
{
	make_bzimage();
	assert_true(linux_is_bzimage(kfile, ksize));
	assert_true(linux_is_bzimage(kfile, 0x206));
	assert_false(linux_is_bzimage(kfile, 0x205));
	assert_false(linux_is_bzimage(NULL, 0));
	khdr()->header = 0x12345678;
	assert_false(linux_is_bzimage(kfile, ksize));
}

static void parse_header(void **state)
{
	struct linux_image k;

	make_bzimage();
	log_capture_reset();
	assert_int_equal(linux_parse_image(kfile, ksize, &k), 0);
	assert_int_equal(k.version, 0x020f);
	assert_int_equal(k.setup_sects, SETUP_SECTS);
	assert_int_equal(k.pm_offset, PM_OFFSET);
	assert_int_equal(k.pm_size, PM_SIZE);	/* the signature after it is not loaded */
	assert_int_equal(k.init_size, INIT_SIZE);
	assert_int_equal(k.alignment, ALIGNMENT);
	assert_true(k.relocatable);
	assert_true(k.kernel64);
	assert_int_equal(k.hdr_len, 0x26c - 0x1f1);
	assert_string_equal(k.version_string, KVER);

	/* setup_sects 0 means 4; syssize 0: all of the rest of the file */
	khdr()->setup_sects = 0;
	khdr()->syssize = 0;
	assert_int_equal(linux_parse_image(kfile, ksize, &k), 0);
	assert_int_equal(k.setup_sects, 4);
	assert_int_equal(k.pm_offset, 5 * 512);
	assert_int_equal(k.pm_size, ksize - 5 * 512);

	/* an older header (2.12) is shorter: the fields after it read as 0 */
	make_bzimage();
	khdr()->version = 0x020c;
	khdr()->jump = 0x66eb;		/* ends at 0x268: no kernel_info_offset */
	khdr()->kernel_info_offset = 0xdeadbeef;
	assert_int_equal(linux_parse_image(kfile, ksize, &k), 0);
	assert_int_equal(k.hdr_len, 0x268 - 0x1f1);
	assert_int_equal(k.hdr.kernel_info_offset, 0);
	assert_int_equal(k.hdr.init_size, INIT_SIZE);

	/* init_size smaller than the code: the code wins */
	make_bzimage();
	khdr()->init_size = 0x1000;
	assert_int_equal(linux_parse_image(kfile, ksize, &k), 0);
	assert_int_equal(k.init_size, PM_SIZE);
}

static void e820_table(void **state)
{
	struct linux_e820_entry t[LINUX_E820_MAX];
	static const struct linux_e820_entry want[] = {
		{ 0, 0x9f000, 1 },
		{ 0x9f000, 0x1000, 2 },
		{ 0xf0000, 0x10000, 2 },
		{ 0x100000, 0x700000, 1 },
		{ 0x900000, 0x2600000, 1 },	/* two regions merged */
		{ 0x2f00000, 0x10000, 3 },
		{ 0x2f10000, 0xf0000, 1 },
	};

	std_guest();
	log_capture_reset();
	assert_int_equal(linux_build_e820(&g, t, LINUX_E820_MAX), ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(t[i].addr, want[i].addr);
		assert_int_equal(t[i].size, want[i].size);
		assert_int_equal(t[i].type, want[i].type);
	}
	/* adjacent regions of different types stay apart; NVS keeps its type */
	memset(&g, 0, sizeof(g));
	add_region(0, 0x1000, GUEST_MEM_RAM);
	add_region(0x1000, 0x1000, GUEST_MEM_NVS);
	add_region(0x2000, 0x1000, GUEST_MEM_NVS);
	add_region(0x3000, 0x1000, GUEST_MEM_RAM);
	assert_int_equal(linux_build_e820(&g, t, LINUX_E820_MAX), 3);
	assert_int_equal(t[1].addr, 0x1000);
	assert_int_equal(t[1].size, 0x2000);
	assert_int_equal(t[1].type, 4);
	/* exactly cap entries fit; one more does not */
	assert_int_equal(linux_build_e820(&g, t, 3), 3);
	assert_int_equal(linux_build_e820(&g, t, 2), -E2BIG);
	check_log("3 entries after merging, the Linux e820 table holds 2");
}

static void load_64bit(void **state)
{
	struct linux_layout l;

	make_bzimage();
	std_guest();
	unsigned n = grub_modules(INITRD_GPA);

	assert_int_equal(load(n, 0xf5a10, NULL, &l), 0);
	check_log("Linux bzImage " KVER ", boot protocol 2.15, loaded at 0x1000000");
	check_log("64-bit entry 0x1000200");
	check_log("initrd [0x2000000, 0x2012345) (in place)");
	check_layout(&l);

	/* the kernel: at pref_address, copied from the file that lay on top of it */
	assert_int_equal(l.kernel_start, PREF);
	assert_int_equal(l.kernel_end, PREF + PM_SIZE);
	assert_int_equal(l.runtime_start, PREF);
	assert_int_equal(l.runtime_end, PREF + INIT_SIZE);
	check_kernel_bytes(PREF);

	/* the initrd: used where GRUB left it */
	assert_true(l.initrd_in_place);
	assert_int_equal(l.initrd_start, INITRD_GPA);
	assert_int_equal(l.initrd_end, INITRD_GPA + INITRD_SIZE);
	check_initrd_bytes(INITRD_GPA);

	/* boot data in conventional memory, from the bottom */
	assert_int_equal(l.data_start, 0x1000);
	assert_true(l.data_end <= 0x9f000);

	/* boot_params: header copied, loader fields filled */
	struct linux_boot_params *bp = bp_of(&l);
	struct linux_setup_header *h = &bp->hdr;

	assert_int_equal(memcmp((u8 *)h + 0x10, (u8 *)khdr() + 0x10, 0x210 - 0x1f1 - 0x10), 0);
	assert_int_equal(h->header, LINUX_HDRS_MAGIC);
	assert_int_equal(h->version, 0x020f);
	assert_int_equal(h->setup_sects, SETUP_SECTS);
	assert_int_equal(h->boot_flag, 0xaa55);
	assert_int_equal(h->type_of_loader, 0xff);
	assert_int_equal(h->loadflags, LINUX_LF_LOADED_HIGH | LINUX_LF_CAN_USE_HEAP);
	assert_int_equal(h->heap_end_ptr, 0xde00);
	assert_int_equal(h->code32_start, PREF);
	assert_int_equal(h->ramdisk_image, INITRD_GPA);
	assert_int_equal(h->ramdisk_size, INITRD_SIZE);
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_int_equal(bp->ext_ramdisk_size, 0);
	assert_int_equal(h->cmd_line_ptr, l.cmdline);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	assert_string_equal((char *)mem + h->cmd_line_ptr, CMDLINE);
	assert_string_equal(g.cmdline, CMDLINE);
	assert_int_equal(h->pref_address, PREF);
	assert_int_equal(h->init_size, INIT_SIZE);
	assert_int_equal(h->setup_data, 0);
	assert_int_equal(bp->acpi_rsdp_addr, 0xf5a10);
	assert_int_equal(bp->sentinel, 0);
	assert_int_equal(bp->screen_info[0x0f], 0);	/* orig_video_isVGA: no VGA text info */
	/* e820: the guest's map, merged */
	assert_int_equal(bp->e820_entries, 7);
	assert_int_equal(l.e820_entries, 7);
	assert_int_equal(bp->e820_table[4].addr, 0x900000);
	assert_int_equal(bp->e820_table[4].size, 0x2600000);
	assert_int_equal(bp->e820_table[4].type, 1);
	assert_int_equal(bp->e820_table[5].type, 3);
	assert_int_equal(bp->e820_table[7].size, 0);

	/* the boot CPU: long mode, RSI = boot_params, entry = load + 0x200 */
	assert_true(l.entry64);
	assert_int_equal(g.boot.mode, GUEST_MODE_LONG64);
	assert_int_equal(g.boot.rip, PREF + 0x200);
	assert_int_equal(l.entry, PREF + 0x200);
	assert_int_equal(g.boot.rsi, l.boot_params);
	assert_int_equal(g.boot.rflags, 0x2);
	assert_int_equal(g.boot.rsp, l.stack_top);
	assert_true(g.boot.rsp > l.data_start && g.boot.rsp <= l.data_end &&
		    g.boot.rsp % 16 == 0);
	assert_int_equal(g.boot.cr0, CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(g.boot.cr4, CR4_PAE);
	assert_int_equal(g.boot.efer, EFER_LME | EFER_LMA);
	assert_int_equal(g.boot.cr3, l.pml4);
	assert_int_equal(g.boot.rax | g.boot.rbx | g.boot.rcx | g.boot.rdx | g.boot.rdi |
			 g.boot.rbp, 0);
	assert_string_equal(g.kind, "Linux bzImage");
	check_gdt(l.gdt, true);

	/* identity map of the low 4 GiB: kernel, boot data, initrd, MMIO */
	static const u64 va[] = { 0, 0x1000, PREF + 0x200, INITRD_GPA + 0x12344, 0x9f000,
				  0xfec00000, 0xfee00000, 0xffffffff, 0x123456789ULL & 0xffffffff };
	for (unsigned i = 0; i < ARRAY_SIZE(va); i++)
		assert_int_equal(walk(g.boot.cr3, va[i]), va[i]);
	assert_int_equal(walk(g.boot.cr3, GiB(4)), ~0ULL);	/* nothing above 4 GiB */
	assert_true(l.pml4 >= l.data_start && l.pml4 + 6 * 4096 <= l.data_end);
}

static void load_plain(void **state)
{
	make_bzimage();
	std_guest();
	unsigned n = grub_modules(INITRD_GPA);

	log_capture_reset();
	assert_int_equal(linux_load(&g, mods, n, 0), 0);
	assert_int_equal(g.boot.mode, GUEST_MODE_LONG64);
	assert_int_equal(((struct linux_boot_params *)(mem + g.boot.rsi))->acpi_rsdp_addr, 0);
}

static void load_32bit(void **state)
{
	struct linux_layout l;
	struct linux_options opt = { .entry32 = true };

	/* asked for */
	make_bzimage();
	std_guest();
	unsigned n = grub_modules(INITRD_GPA);

	assert_int_equal(load(n, 0, &opt, &l), 0);
	check_log("32-bit entry 0x1000000");
	assert_false(l.entry64);
	assert_int_equal(l.pml4, 0);
	assert_int_equal(g.boot.mode, GUEST_MODE_PROTECTED32);
	assert_int_equal(g.boot.rip, PREF);
	assert_int_equal(bp_of(&l)->hdr.code32_start, PREF);
	assert_int_equal(g.boot.rsi, l.boot_params);
	assert_int_equal(g.boot.rbx | g.boot.rbp | g.boot.rdi, 0);
	assert_int_equal(g.boot.cr0, CR0_PE | CR0_ET);
	assert_int_equal(g.boot.cr3 | g.boot.cr4 | g.boot.efer, 0);
	check_gdt(l.gdt, false);
	check_kernel_bytes(PREF);
	check_layout(&l);

	/* a kernel without the 64-bit entry gets it too */
	make_bzimage();
	khdr()->xloadflags = 0;
	std_guest();
	n = grub_modules(INITRD_GPA);
	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_int_equal(g.boot.mode, GUEST_MODE_PROTECTED32);
	assert_int_equal(g.boot.rip, PREF);
}

static void initrd_moved(void **state)
{
	struct linux_layout l;

	/* GRUB put the initrd inside the kernel's init_size: it must move */
	make_bzimage();
	std_guest();
	unsigned n = grub_modules(PREF + 0x200000);

	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_false(l.initrd_in_place);
	check_layout(&l);
	/* the highest place in RAM that fits: the top region, above the ACPI range */
	assert_int_equal(l.initrd_start, ALIGN_DOWN(MEM_SIZE - INITRD_SIZE, PAGE_SIZE));
	check_initrd_bytes(l.initrd_start);
	assert_int_equal(bp_of(&l)->hdr.ramdisk_image, l.initrd_start);
	check_kernel_bytes(PREF);

	/* initrd_addr_max caps it: the last byte must be at or below it */
	make_bzimage();
	khdr()->initrd_addr_max = 0x17fffff;
	std_guest();
	n = grub_modules(INITRD_GPA);
	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_false(l.initrd_in_place);
	assert_true(l.initrd_end <= 0x1800000);
	assert_int_equal(l.initrd_start, ALIGN_DOWN(0x1800000 - INITRD_SIZE, PAGE_SIZE));
	check_layout(&l);
	check_initrd_bytes(l.initrd_start);

	/* not page aligned where GRUB left it (or not in guest memory): copied */
	make_bzimage();
	std_guest();
	n = grub_modules(INITRD_GPA + 0x10);
	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_false(l.initrd_in_place);
	assert_true(l.initrd_start % PAGE_SIZE == 0);
	check_initrd_bytes(l.initrd_start);
	mods[1].gpa = LOADER_NOT_IN_GUEST;
	mods[1].data = initrd;
	std_guest();
	memcpy(mem + KFILE_GPA, kfile, ksize);
	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_false(l.initrd_in_place);
	check_initrd_bytes(l.initrd_start);
}

static void initrd_pieces(void **state)
{
	static const u8 a[5] = { 1, 2, 3, 4, 5 }, b[7] = { 6, 7, 8, 9, 10, 11, 12 };
	struct linux_layout l;

	make_bzimage();
	std_guest();
	grub_modules(INITRD_GPA);
	mods[1] = (struct loader_module){ a, sizeof(a), LOADER_NOT_IN_GUEST, NULL };
	mods[2] = (struct loader_module){ b, sizeof(b), LOADER_NOT_IN_GUEST, NULL };
	mods[3] = (struct loader_module){ initrd, INITRD_SIZE, LOADER_NOT_IN_GUEST, NULL };
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = initrd_byte(i);
	assert_int_equal(load(4, 0, NULL, &l), 0);
	check_log("from 3 modules");
	/* each piece 4-byte aligned, zero padded, as GRUB's "initrd a b c" */
	assert_int_equal(l.initrd_end - l.initrd_start, 8 + 8 + INITRD_SIZE);
	u8 *p = mem + l.initrd_start;

	assert_memory_equal(p, a, 5);
	assert_int_equal(p[5] | p[6] | p[7], 0);
	assert_memory_equal(p + 8, b, 7);
	assert_int_equal(p[15], 0);
	check_initrd_bytes(l.initrd_start + 16);
	assert_int_equal(bp_of(&l)->hdr.ramdisk_size, 16 + INITRD_SIZE);

	/* no initrd at all */
	std_guest();
	grub_modules(INITRD_GPA);
	assert_int_equal(load(1, 0, NULL, &l), 0);
	assert_int_equal(l.initrd_start, 0);
	assert_int_equal(l.initrd_end, 0);
	assert_int_equal(bp_of(&l)->hdr.ramdisk_image, 0);
	assert_int_equal(bp_of(&l)->hdr.ramdisk_size, 0);
}

static void kernel_file_overlap_split(void **state)
{
	struct linux_layout l;

	/* the kernel's destination spans two regions and overlaps the file: the
	 * file is moved out of the way first */
	make_bzimage();
	std_guest_split(PREF + 0x1000);
	unsigned n = grub_modules(INITRD_GPA);

	assert_int_equal(load(n, 0, NULL, &l), 0);
	check_kernel_bytes(PREF);
	check_initrd_bytes(INITRD_GPA);
	check_layout(&l);

	/* the file in guest RAM but away from the kernel */
	make_bzimage();
	std_guest();
	grub_modules(INITRD_GPA);
	memcpy(mem + 0x1800000, kfile, ksize);
	mods[0].data = mem + 0x1800000;
	mods[0].gpa = 0x1800000;
	assert_int_equal(load(2, 0, NULL, &l), 0);
	check_kernel_bytes(PREF);
}

static void load_address_search(void **state)
{
	struct linux_layout l;

	/* pref_address in uhv's hole: the next aligned address with room */
	make_bzimage();
	khdr()->pref_address = 0x800000;
	std_guest();
	unsigned n = grub_modules(INITRD_GPA);

	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_int_equal(l.kernel_start, 0xa00000);
	assert_int_equal(l.runtime_start, 0xa00000);
	assert_int_equal(g.boot.rip, 0xa00200);
	check_kernel_bytes(0xa00000);
	check_layout(&l);

	/* a non-relocatable kernel loads at 1 MiB and runs at pref_address */
	make_bzimage();
	khdr()->relocatable_kernel = 0;
	std_guest();
	n = grub_modules(INITRD_GPA);
	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_int_equal(l.kernel_start, 0x100000);
	assert_int_equal(l.runtime_start, PREF);
	assert_int_equal(g.boot.rip, 0x100200);
	assert_int_equal(bp_of(&l)->hdr.code32_start, 0x100000);
	check_kernel_bytes(0x100000);
	check_layout(&l);
}

static void cmdline_and_rsdp(void **state)
{
	static char longline[400];
	struct linux_layout l;

	make_bzimage();
	std_guest();
	unsigned n = grub_modules(INITRD_GPA);

	memset(longline, 'x', sizeof(longline) - 1);
	mods[0].string = longline;
	assert_int_equal(load(n, 0, NULL, &l), 0);
	check_log("kernel command line is 399 bytes, this kernel takes 255: cut");
	assert_int_equal(strlen((char *)mem + l.cmdline), 255);

	/* NULL string: empty command line */
	std_guest();
	n = grub_modules(INITRD_GPA);
	mods[0].string = NULL;
	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_string_equal((char *)mem + l.cmdline, "");
	assert_string_equal(g.cmdline, "");

	/* protocol 2.13 has no acpi_rsdp_addr */
	make_bzimage();
	khdr()->version = 0x020d;
	std_guest();
	n = grub_modules(INITRD_GPA);
	assert_int_equal(load(n, 0xf5a10, NULL, &l), 0);
	check_log("boot protocol 2.13 has no acpi_rsdp_addr");
	assert_int_equal(bp_of(&l)->acpi_rsdp_addr, 0);
}

static void boot_data_high(void **state)
{
	struct linux_layout l;

	/* no conventional memory for the guest: boot data goes above 1 MiB */
	make_bzimage();
	std_guest();
	g.mem[0].type = GUEST_MEM_RESERVED;
	unsigned n = grub_modules(INITRD_GPA);

	assert_int_equal(load(n, 0, NULL, &l), 0);
	assert_int_equal(l.data_start, 0x100000);
	check_layout(&l);
	check_kernel_bytes(PREF);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void expect_fail(unsigned n, int want, const char *msg)
{
	log_capture_reset();
	assert_int_equal(linux_load(&g, mods, n, 0), want);
	check_log(msg);
}

static void errors(void **state)
{
	make_bzimage();
	std_guest();
	expect_fail(0, -ENOENT, "no guest kernel: give the bzImage as the first multiboot2 module");

	grub_modules(INITRD_GPA);
	khdr()->header = 0;
	grub_modules(INITRD_GPA);
	expect_fail(2, -ENOEXEC, "not a Linux bzImage");

	make_bzimage();
	khdr()->version = 0x020b;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "an image with a Linux boot header (\"HdrS\"), boot protocol 2.11, "
		    "version \"" KVER "\"; uhv starts such images only from protocol 2.12");
	khdr()->version = 0x0204;
	grub_modules(INITRD_GPA);
	/* what the image is, and which entry modes uhv has (issue 20: "boot a newer kernel") */
	expect_fail(2, -EINVAL, "boot protocol 2.04, version \"" KVER "\"; uhv starts");
	check_log("enters it in 32-bit protected mode (multiboot, multiboot2, ELF, a bzImage's "
		  "32-bit entry) or 64-bit mode (a bzImage's 64-bit entry), never in real mode");
	khdr()->kernel_version = 0;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "boot protocol 2.04; uhv starts such images only from protocol 2.12");

	make_bzimage();
	khdr()->boot_flag = 0;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "boot_flag is 0x0, not 0xaa55");

	make_bzimage();
	khdr()->loadflags = 0;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "this is a zImage");

	make_bzimage();
	khdr()->jump = 0x40eb;		/* header ends at 0x242: no init_size */
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "ends at 0x242, before init_size");

	make_bzimage();
	khdr()->syssize = (PM_SIZE + SIG_SIZE) / 16 + 2;	/* > 15 bytes past the end */
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "the file is truncated");

	make_bzimage();
	grub_modules(INITRD_GPA);
	mods[0].size = 0x250;
	expect_fail(2, -EINVAL, "truncated inside its setup header");
	mods[0].size = PM_OFFSET;
	expect_fail(2, -EINVAL, "ends inside its 3 setup sectors");

	make_bzimage();
	khdr()->kernel_alignment = 0x3000;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "kernel_alignment 0x3000 is not a power of two");

	/* init_size beyond guest RAM */
	make_bzimage();
	khdr()->init_size = 0x3000000;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "Linux needs 48 MiB of contiguous guest RAM (init_size)");
	make_bzimage();
	khdr()->relocatable_kernel = 0;
	khdr()->pref_address = 0x700000;
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "this non-relocatable Linux needs guest RAM");

	/* initrd larger than the free RAM */
	make_bzimage();
	std_guest();
	grub_modules(INITRD_GPA);
	mods[1] = (struct loader_module){ mem, 0x2000000, LOADER_NOT_IN_GUEST, NULL };
	expect_fail(2, -ENOMEM, "initrd (33554432 bytes): no room in guest RAM below");

	/* too fragmented for e820 */
	make_bzimage();
	std_guest();
	g.nr_mem = 0;
	for (unsigned i = 0; i < 130; i++)
		add_region(0x100000 + i * 0x2000, 0x1000,
			   i & 1 ? GUEST_MEM_RESERVED : GUEST_MEM_RAM);
	add_region(0x400000, 0x2000000, GUEST_MEM_RAM);
	grub_modules(INITRD_GPA);
	expect_fail(2, -E2BIG, "131 entries after merging");

	std_guest();
	grub_modules(INITRD_GPA);
	expect_fail(LOADER_MAX_MODULES + 1, -E2BIG, "modules given");
	mods[0].data = NULL;
	expect_fail(1, -ENOEXEC, "not a Linux bzImage");
}

/* A file from the build or the system (the real images below), or NULL if absent. */
static u8 *read_whole(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	u8 *file;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	file = malloc(*size);
	assert_non_null(file);
	assert_int_equal(fread(file, 1, *size, f), *size);
	fclose(f);
	return file;
}

/* ---- syssize: whole paragraphs, the file may end inside the last one ------------------------ */

static void pm_bytes_rule(void **state)
{
	static const struct {
		u32 syssize;
		u64 avail;
		int ret;
		u64 mem_size, file_size;
	} cases[] = {
		/* the file has all of syssize * 16, or more (a signature after it) */
		{ 10, 160, 0, 160, 160 },
		{ 10, 500, 0, 160, 160 },
		/* 1 to 15 bytes short: the last paragraph was rounded up, allowed */
		{ 10, 159, 0, 160, 159 },
		{ 10, 145, 0, 160, 145 },
		{ 1, 1, 0, 16, 1 },
		/* 16 or more short: a whole paragraph is missing, the file is truncated */
		{ 10, 144, -EINVAL, 160, 144 },
		{ 1, 0, -EINVAL, 16, 0 },
		{ 0xffffffffU, 4096, -EINVAL, 0xffffffffULL * 16, 4096 },	/* no 32-bit wrap */
		/* syssize 0: all of the rest of the file */
		{ 0, 1234, 0, 1234, 1234 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 mem_sz = 0, file_sz = 0;

		assert_int_equal(linux_pm_bytes(cases[i].syssize, cases[i].avail, &mem_sz, &file_sz),
				 cases[i].ret);
		assert_int_equal(mem_sz, cases[i].mem_size);
		assert_int_equal(file_sz, cases[i].file_size);
	}
}

/* A bzImage whose file ends short bytes before syssize * 16 (no signature). */
static void make_short_bzimage(unsigned short_by)
{
	make_bzimage();
	ksize = PM_OFFSET + PM_SIZE - short_by;
	/* what follows the file's end must not be loaded */
	memset(kfile + ksize, 0xee, sizeof(kfile) - ksize);
}

static void short_last_paragraph(void **state)
{
	struct linux_layout l;
	struct linux_image k;

	for (unsigned short_by = 1; short_by < 16; short_by++) {
		make_short_bzimage(short_by);
		log_capture_reset();
		assert_int_equal(linux_parse_image(kfile, ksize, &k), 0);
		assert_int_equal(k.pm_size, PM_SIZE);
		assert_int_equal(k.pm_file_size, PM_SIZE - short_by);
	}
	/* loaded: the bytes the file has, then zeros to the paragraph's end;
	 * once from the file in guest RAM (on top of the load address), once
	 * from a file outside guest memory */
	for (int in_guest = 1; in_guest >= 0; in_guest--) {
		make_short_bzimage(8);
		std_guest();
		grub_modules(INITRD_GPA);
		memset(mem + KFILE_GPA + ksize, 0xee, 64);
		if (!in_guest)
			mods[0] = (struct loader_module){ kfile, ksize, LOADER_NOT_IN_GUEST,
							  CMDLINE };
		assert_int_equal(load(2, 0, NULL, &l), 0);
		assert_int_equal(l.kernel_start, PREF);
		assert_int_equal(l.kernel_end, PREF + PM_SIZE);
		for (size_t i = 0; i < PM_SIZE - 8; i++)
			assert_int_equal(mem[PREF + i], pm_byte(i));
		for (size_t i = PM_SIZE - 8; i < PM_SIZE; i++)
			assert_int_equal(mem[PREF + i], 0);
	}
	/* a whole paragraph missing: refused as truncated */
	make_short_bzimage(16);
	std_guest();
	grub_modules(INITRD_GPA);
	expect_fail(2, -EINVAL, "header says 12304 bytes of protected-mode code at offset 0x800, "
		    "the file has 12288: the file is truncated");
}

/* Debian's memtest86+ (package memtest86+): its file ends 8 bytes before
 * syssize * 16 (6.10), as its linker script rounds up. */
static void real_memtest(void **state)
{
	struct linux_image k;
	struct linux_layout l;
	size_t size;
	u8 *file = read_whole("/boot/memtest86+x64.bin", &size);

	if (!file)
		skip();		/* apt-get install memtest86+ (scripts/deps.sh) */

	log_capture_reset();
	assert_int_equal(linux_parse_image(file, size, &k), 0);
	assert_int_equal(k.pm_size, (u64)k.hdr.syssize * 16);
	assert_int_equal(k.pm_file_size, size - k.pm_offset);
	assert_true(k.pm_size - k.pm_file_size < 16);
	std_guest();
	memcpy(mem + KFILE_GPA, file, size);
	mods[0] = (struct loader_module){ mem + KFILE_GPA, size, KFILE_GPA, "console=ttyS0" };
	assert_int_equal(load(1, 0, NULL, &l), 0);
	assert_int_equal(l.kernel_end - l.kernel_start, k.pm_size);
	assert_memory_equal(mem + l.kernel_start, file + k.pm_offset, k.pm_file_size);
	for (u64 i = k.pm_file_size; i < k.pm_size; i++)
		assert_int_equal(mem[l.kernel_start + i], 0);
	check_layout(&l);
	free(file);
}

/* ---- the real Debian kernel (scripts/linux/fetch.sh), when present -------------------------- */

static void real_vmlinuz(void **state)
{
	struct linux_image k;
	struct linux_layout l;
	size_t size;
	u8 *file = read_whole("build/linux/vmlinuz", &size);

	if (!file)
		skip();		/* run scripts/linux/fetch.sh first */

	log_capture_reset();
	assert_true(linux_is_bzimage(file, size));
	assert_int_equal(linux_parse_image(file, size, &k), 0);
	assert_true(k.version >= 0x020f);
	assert_true(k.kernel64);
	assert_true(k.relocatable);
	assert_true(k.init_size > k.pm_size);
	assert_true(k.pm_offset + k.pm_size <= size);
	assert_true(strncmp(k.version_string, "6.", 2) == 0);

	/* a Bochs-like 256 MiB guest; the file where GRUB might put it */
	u8 *big = malloc(MiB(256));
	u8 *saved = mem;

	assert_non_null(big);
	mem = big;
	memset(&g, 0, sizeof(g));
	add_region(0, 0x9f000, GUEST_MEM_RAM);
	add_region(0x9f000, 0x1000, GUEST_MEM_RESERVED);
	add_region(0xe8000, 0x18000, GUEST_MEM_RESERVED);
	add_region(0x100000, MiB(200) - 0x100000, GUEST_MEM_RAM);
	/* uhv at 200-210 MiB */
	add_region(MiB(210), MiB(46) - 0x10000, GUEST_MEM_RAM);
	add_region(MiB(256) - 0x10000, 0x10000, GUEST_MEM_ACPI);
	memcpy(mem + 0x1000000, file, size);
	memset(mem + MiB(100), 0x5a, MiB(1));
	mods[0] = (struct loader_module){ mem + 0x1000000, size, 0x1000000,
					  "console=ttyS0,115200 quiet" };
	mods[1] = (struct loader_module){ mem + MiB(100), MiB(1), MiB(100), NULL };
	assert_int_equal(load(2, 0xf6c50, NULL, &l), 0);
	check_log("Linux bzImage 6.");
	assert_int_equal(l.kernel_start, k.hdr.pref_address);
	assert_int_equal(g.boot.rip, k.hdr.pref_address + 0x200);
	assert_memory_equal(mem + l.kernel_start, file + k.pm_offset, k.pm_size);
	assert_true(l.initrd_in_place);
	struct linux_boot_params *bp = bp_of(&l);

	assert_memory_equal(&bp->hdr, file + 0x1f1, 0x10);	/* setup_sects .. boot_flag */
	assert_int_equal(bp->hdr.version, k.version);
	assert_int_equal(bp->acpi_rsdp_addr, 0xf6c50);
	assert_string_equal((char *)mem + bp->hdr.cmd_line_ptr, "console=ttyS0,115200 quiet");
	assert_int_equal(bp->e820_entries, 6);
	check_layout(&l);
	mem = saved;
	free(big);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(is_bzimage),
		cmocka_unit_test(parse_header),
		cmocka_unit_test(e820_table),
		cmocka_unit_test(load_64bit),
		cmocka_unit_test(load_plain),
		cmocka_unit_test(load_32bit),
		cmocka_unit_test(initrd_moved),
		cmocka_unit_test(initrd_pieces),
		cmocka_unit_test(kernel_file_overlap_split),
		cmocka_unit_test(load_address_search),
		cmocka_unit_test(cmdline_and_rsdp),
		cmocka_unit_test(boot_data_high),
		cmocka_unit_test(errors),
		cmocka_unit_test(pm_bytes_rule),
		cmocka_unit_test(short_last_paragraph),
		cmocka_unit_test(real_memtest),
		cmocka_unit_test(real_vmlinuz),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
