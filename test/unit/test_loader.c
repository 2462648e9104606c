// UNIT-SOURCES: loader/loader.c loader/kernel_format.c loader/elf.c loader/multiboot.c loader/multiboot_info.c loader/guest_mem.c boot/mb2.c boot/mb2_mmap.c loader/linux.c loader/linux_setup.c loader/linux_screen.c loader/place.c
/* Guest loader: synthetic multiboot2 / multiboot / plain ELF kernels and a.out
 * kludge images are loaded into a fake guest whose RAM is a malloc'ed buffer
 * with holes and firmware ranges in its memory map. The kernel file and the
 * modules are put into guest memory where GRUB would (right after 1 MiB,
 * overlapping where the kernel loads), as on the real machine. The boot
 * information is checked with uhv's own multiboot2 parser (boot/mb2.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/loader.h>
#include <uhv/multiboot.h>
#include <uhv/mb2.h>
#include <uhv/elf.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include "log_capture.h"
#include "files.h"

/* ---- the fake guest -------------------------------------------------------------------------- */

#define MEM_SIZE	0x1000000ULL	/* guest-physical 0 .. 16 MiB */
#define POISON		0xaa

static u8 *mem;				/* host memory standing for guest-physical 0.. */
static struct guest g;

static void add_region(u64 gpa, u64 size, u32 type)
{
	/* guest_mem.c reaches a region through phys_to_virt(hpa) = DMAP_BASE + hpa */
	g.mem[g.nr_mem++] = (struct guest_region){
		.gpa = gpa, .size = size, .type = type,
		.hpa = (paddr_t)((uintptr_t)(mem + gpa) - DMAP_BASE),
	};
}

/* A PC-like map with uhv's 1 MiB at 8 MiB taken out. */
static void std_guest(void)
{
	memset(&g, 0, sizeof(g));
	memset(mem, POISON, MEM_SIZE);
	add_region(0, 0x9f000, GUEST_MEM_RAM);
	add_region(0x9f000, 0x1000, GUEST_MEM_RESERVED);
	add_region(0xf0000, 0x10000, GUEST_MEM_RESERVED);
	add_region(0x100000, 0x700000, GUEST_MEM_RAM);
	/* 0x800000-0x900000: uhv */
	add_region(0x900000, 0x600000, GUEST_MEM_RAM);
	add_region(0xf00000, 0x10000, GUEST_MEM_ACPI);
	add_region(0xf10000, 0xf0000, GUEST_MEM_RAM);
}

static int setup(void **state)
{
	mem = malloc(MEM_SIZE);
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

/* ---- kernel images --------------------------------------------------------------------------- */

static u8 kfile[0x8000];
static size_t ksize;

struct seg_spec {
	u64 offset, paddr, filesz, memsz;
};

/* A recognisable byte for every file offset, to check copies. */
static u8 pattern(size_t off)
{
	return (u8)(off * 7 + (off >> 8) + 1);
}

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(kfile); i++)
		kfile[i] = pattern(i);
}

static void elf32(u64 entry, const struct seg_spec *s, unsigned n, size_t size)
{
	struct elf32_ehdr h = {
		.e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = (u32)entry, .e_phoff = sizeof(h), .e_ehsize = sizeof(h),
		.e_phentsize = sizeof(struct elf32_phdr), .e_phnum = n,
	};

	fill_pattern();
	memcpy(kfile, &h, sizeof(h));
	for (unsigned i = 0; i < n; i++) {
		struct elf32_phdr p = {
			.p_type = PT_LOAD, .p_offset = s[i].offset, .p_vaddr = s[i].paddr,
			.p_paddr = s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
			.p_flags = PF_R | PF_W | PF_X, .p_align = 0x1000,
		};
		memcpy(kfile + sizeof(h) + i * sizeof(p), &p, sizeof(p));
	}
	ksize = size;
}

static void elf64(u64 entry, u64 vaddr, u64 paddr)
{
	struct elf64_ehdr h = {
		.e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = entry, .e_phoff = sizeof(h), .e_ehsize = sizeof(h),
		.e_phentsize = sizeof(struct elf64_phdr), .e_phnum = 1,
	};
	struct elf64_phdr p = {
		.p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = vaddr, .p_paddr = paddr,
		.p_filesz = 0x1000, .p_memsz = 0x2000, .p_flags = PF_R | PF_X,
	};

	fill_pattern();
	memcpy(kfile, &h, sizeof(h));
	memcpy(kfile + sizeof(h), &p, sizeof(p));
	ksize = 0x2000;
}

/* The usual test kernel: text+data+bss at 1 MiB, a second segment at 0x104000. */
static const struct seg_spec std_segs[] = {
	{ 0x1000, 0x100000, 0x2000, 0x3000 },
	{ 0x3000, 0x104000, 0x800, 0x1000 },
};
#define STD_ENTRY	0x100040
#define STD_SIZE	0x3800

static void w32(size_t off, u32 v) { memcpy(kfile + off, &v, 4); }
static void w16(size_t off, u16 v) { memcpy(kfile + off, &v, 2); }

/* multiboot2 header at off; entry != 0 adds an entry address tag; extra
 * (type, flags) is one more empty-payload tag when type != 0. Returns its length. */
static u32 mb2_header(size_t off, u32 arch, u32 entry, u16 extra_type, u16 extra_flags)
{
	size_t t = off + 16;

	/* information request: cmdline, modules, mmap, framebuffer (optional) */
	w16(t, MB2H_TAG_INFO_REQ); w16(t + 2, MB2H_TAG_OPTIONAL); w32(t + 4, 8 + 16);
	w32(t + 8, MB2_TAG_CMDLINE); w32(t + 12, MB2_TAG_MODULE); w32(t + 16, MB2_TAG_MMAP);
	w32(t + 20, MB2_TAG_FRAMEBUFFER);
	t += 24;
	if (entry) {
		w16(t, MB2H_TAG_ENTRY); w16(t + 2, 0); w32(t + 4, 12); w32(t + 8, entry);
		w32(t + 12, 0);	/* padding to 8 */
		t += 16;
	}
	if (extra_type) {
		w16(t, extra_type); w16(t + 2, extra_flags); w32(t + 4, 8);
		t += 8;
	}
	w16(t, MB2H_TAG_END); w16(t + 2, 0); w32(t + 4, 8);
	t += 8;

	u32 len = t - off;
	w32(off, MB2_HEADER_MAGIC);
	w32(off + 4, arch);
	w32(off + 8, len);
	w32(off + 12, -(MB2_HEADER_MAGIC + arch + len));
	return len;
}

static void mb1_header(size_t off, u32 flags, u32 hdr, u32 load, u32 load_end, u32 bss_end,
		       u32 entry)
{
	w32(off, MB1_HEADER_MAGIC);
	w32(off + 4, flags);
	w32(off + 8, -(MB1_HEADER_MAGIC + flags));
	if (flags & MB1_HF_AOUT_KLUDGE) {
		w32(off + 12, hdr);
		w32(off + 16, load);
		w32(off + 20, load_end);
		w32(off + 24, bss_end);
		w32(off + 28, entry);
	}
}

/* ---- modules as GRUB leaves them ------------------------------------------------------------- */

#define KFILE_GPA	0x100800	/* inside the kernel's own segments, on purpose */
#define INITRD_GPA	0x104000	/* right after it, where the second segment goes */
#define INITRD_SIZE	0x2345

static u8 initrd[INITRD_SIZE];
static u8 mod2[100];
static struct loader_module mods[3];

static unsigned grub_modules(unsigned n)
{
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (u8)(i * 13 + 5);
	for (size_t i = 0; i < sizeof(mod2); i++)
		mod2[i] = (u8)(0xc0 ^ i);
	memcpy(mem + KFILE_GPA, kfile, ksize);
	/* the strings sit in guest RAM that the loader overwrites (where the
	 * boot information goes), as GRUB's information structure may */
	strcpy((char *)mem + 0x1080, "console=ttyS0 test");
	strcpy((char *)mem + 0x10c0, "initrd args");
	mods[0] = (struct loader_module){ mem + KFILE_GPA, ksize, KFILE_GPA,
					  (char *)mem + 0x1080 };
	memcpy(mem + INITRD_GPA, initrd, sizeof(initrd));
	mods[1] = (struct loader_module){ mem + INITRD_GPA, sizeof(initrd), INITRD_GPA,
					  (char *)mem + 0x10c0 };
	/* the third is not in guest memory (uhv kept it) */
	mods[2] = (struct loader_module){ mod2, sizeof(mod2), LOADER_NOT_IN_GUEST, NULL };
	return n;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool overlap(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

static void check_std_segments(void)
{
	/* file bytes, then zeroes up to memsz */
	for (unsigned s = 0; s < ARRAY_SIZE(std_segs); s++) {
		const struct seg_spec *sp = &std_segs[s];

		for (u64 i = 0; i < sp->memsz; i++) {
			u8 want = i < sp->filesz ? kfile[sp->offset + i] : 0;

			if (mem[sp->paddr + i] != want) {
				fprintf(stderr, "segment %u byte 0x%llx: 0x%02x, want 0x%02x\n", s,
					i, mem[sp->paddr + i], want);
				fail();
			}
		}
	}
}

static void check_layout(const struct loader_layout *l)
{
	for (unsigned i = 0; i < l->nr_mods; i++) {
		u64 s = l->mods[i].start, e = l->mods[i].end;

		assert_true(s % PAGE_SIZE == 0);
		assert_true(e <= GiB(4));
		assert_true(guest_is_ram(&g, s, e - s));
		assert_false(overlap(s, e, l->info_start, l->info_end));
		for (unsigned j = 0; j < l->nr_segs; j++)
			assert_false(overlap(s, e, l->segs[j].start, l->segs[j].end));
		for (unsigned j = 0; j < i; j++)
			assert_false(overlap(s, e, l->mods[j].start, l->mods[j].end));
	}
	for (unsigned j = 0; j < l->nr_segs; j++)
		assert_false(overlap(l->info_start, l->info_end, l->segs[j].start, l->segs[j].end));
	assert_true(l->info_start % PAGE_SIZE == 0);
	assert_true(guest_is_ram(&g, l->info_start, l->info_end - l->info_start));
}

static void check_regs(u32 magic, u64 info, u64 entry)
{
	assert_int_equal(g.boot.mode, GUEST_MODE_PROTECTED32);
	assert_int_equal(g.boot.rax, magic);
	assert_int_equal(g.boot.rbx, info);
	assert_int_equal(g.boot.rip, entry);
	assert_int_equal(g.boot.rflags, 0x2);
	assert_int_equal(g.boot.cr0, CR0_PE | CR0_ET);
	assert_int_equal(g.boot.cr3, 0);
	assert_int_equal(g.boot.cr4, 0);
	assert_int_equal(g.boot.efer, 0);
}

static void check_mb2_info(const struct loader_layout *l, struct mb2_info *mi)
{
	u8 *info = mem + l->info_start;
	u32 total;

	memcpy(&total, info, 4);
	assert_int_equal(total, l->info_end - l->info_start);
	log_capture_reset();
	assert_int_equal(mb2_parse(info, total, mi), 0);
	assert_string_equal(mi->loader_name, "uhv");
	assert_int_equal(mi->mem_lower_kib, 0x9f000 / 1024);
	assert_int_equal(mi->mem_upper_kib, 0x700000 / 1024);
	/* the memory map is exactly the guest's regions */
	assert_int_equal(mi->mmap_nr, g.nr_mem);
	assert_int_equal(mi->mmap_entry_size, 24);
	for (unsigned i = 0; i < g.nr_mem; i++) {
		struct mb2_mem_range r;

		assert_int_equal(mb2_bios_mmap_get(mi, i, &r), 0);
		assert_int_equal(r.base, g.mem[i].gpa);
		assert_int_equal(r.len, g.mem[i].size);
		assert_int_equal(r.type, g.mem[i].type);
	}
}

/* ---- tests: good kernels --------------------------------------------------------------------- */

static void mb2_elf(void **state)
{
	struct loader_layout l;
	struct mb2_info mi;

	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	unsigned n = grub_modules(3);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	check_log("multiboot2 ELF, 2 segments, entry 0x100040, 2 modules");
	check_log("guest kernel file moved to");	/* it sat inside its own segments */
	assert_string_equal(g.cmdline, "console=ttyS0 test");
	assert_string_equal(g.kind, "multiboot2 ELF");
	check_std_segments();
	check_layout(&l);
	assert_int_equal(l.nr_mods, 2);
	/* modules at the top of RAM, in order, contents intact although the
	 * initrd sat where the second segment goes */
	assert_int_equal(l.mods[0].start, ALIGN_DOWN(0x1000000 - INITRD_SIZE, PAGE_SIZE));
	assert_int_equal(l.mods[0].end - l.mods[0].start, INITRD_SIZE);
	assert_memory_equal(mem + l.mods[0].start, initrd, INITRD_SIZE);
	assert_memory_equal(mem + l.mods[1].start, mod2, sizeof(mod2));
	assert_true(l.mods[1].start < l.mods[0].start);
	/* boot information in low memory */
	assert_true(l.info_start >= 0x1000 && l.info_end <= 0xa0000);
	check_regs(MB2_BOOTLOADER_MAGIC, l.info_start, STD_ENTRY);
	check_mb2_info(&l, &mi);
	assert_string_equal(mi.cmdline, "console=ttyS0 test");
	assert_int_equal(mi.nr_modules, 2);
	assert_int_equal(mi.modules[0].start, l.mods[0].start);
	assert_int_equal(mi.modules[0].end, l.mods[0].end);
	assert_string_equal(mi.modules[0].string, "initrd args");
	assert_int_equal(mi.modules[1].start, l.mods[1].start);
	assert_string_equal(mi.modules[1].string, "");
	assert_false(mb2_has(&mi, MB2_TAG_ACPI_OLD));
	assert_false(mb2_has(&mi, MB2_TAG_ACPI_NEW));
}

static void mb2_entry_tag_and_rsdp(void **state)
{
	static const u8 rsdp1[20] = "RSD PTR \x01\x02\x03";
	static const u8 rsdp2[36] = "RSD PTR \x04\x05\x06";
	struct loader_firmware fw = { mem + 0x100100, sizeof(rsdp1),
				      mem + 0x100200, sizeof(rsdp2), 0 };
	struct loader_layout l;
	struct mb2_info mi;

	std_guest();
	/* e_entry points elsewhere in the segment: the entry tag wins */
	elf32(0x100000, std_segs, 2, STD_SIZE);
	mb2_header(0x1008, MB2_ARCH_I386, 0x104010, 0, 0);
	unsigned n = grub_modules(1);
	/* the copies live where a segment goes */
	memcpy(mem + 0x100100, rsdp1, sizeof(rsdp1));
	memcpy(mem + 0x100200, rsdp2, sizeof(rsdp2));

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, &fw, &l), 0);
	check_regs(MB2_BOOTLOADER_MAGIC, l.info_start, 0x104010);
	check_mb2_info(&l, &mi);
	assert_int_equal(mi.nr_modules, 0);
	assert_true(mb2_has(&mi, MB2_TAG_ACPI_OLD));
	assert_int_equal(mi.rsdp_v1_len, 20);
	assert_memory_equal(mi.rsdp_v1, rsdp1, 20);
	assert_int_equal(mi.rsdp_v2_len, 36);
	assert_memory_equal(mi.rsdp_v2, rsdp2, 36);
}

static void plain_elf_as_mb2(void **state)
{
	struct loader_layout l;
	struct mb2_info mi;

	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	unsigned n = grub_modules(2);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	check_log("ELF without multiboot header");
	check_std_segments();
	check_regs(MB2_BOOTLOADER_MAGIC, l.info_start, STD_ENTRY);
	check_mb2_info(&l, &mi);
	assert_int_equal(mi.nr_modules, 1);
}

static void mb1_elf(void **state)
{
	struct loader_layout l;
	struct mb1_info info;
	struct mb1_module m[2];
	struct mb1_mmap_entry e;

	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb1_header(0x1004, MB1_HF_PAGE_ALIGN | MB1_HF_MEMINFO, 0, 0, 0, 0, 0);
	unsigned n = grub_modules(3);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	assert_string_equal(g.kind, "multiboot ELF");
	check_std_segments();
	check_layout(&l);
	check_regs(MB1_BOOTLOADER_MAGIC, l.info_start, STD_ENTRY);
	assert_true(l.info_start < 0xa0000);

	memcpy(&info, mem + l.info_start, sizeof(info));
	assert_int_equal(info.flags, MB1_INFO_MEMORY | MB1_INFO_MODS | MB1_INFO_MEM_MAP |
				     MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME);
	assert_int_equal(info.mem_lower, 636);
	assert_int_equal(info.mem_upper, 7 * 1024);
	assert_string_equal((char *)mem + info.cmdline, "console=ttyS0 test");
	assert_string_equal((char *)mem + info.boot_loader_name, "uhv");
	assert_int_equal(info.mods_count, 2);
	memcpy(m, mem + info.mods_addr, sizeof(m));
	assert_int_equal(m[0].mod_start, l.mods[0].start);
	assert_int_equal(m[0].mod_end, l.mods[0].end);
	assert_string_equal((char *)mem + m[0].string, "initrd args");
	assert_string_equal((char *)mem + m[1].string, "");
	assert_memory_equal(mem + m[0].mod_start, initrd, INITRD_SIZE);
	assert_memory_equal(mem + m[1].mod_start, mod2, sizeof(mod2));
	assert_int_equal(info.mmap_length, g.nr_mem * 24);
	for (unsigned i = 0; i < g.nr_mem; i++) {
		memcpy(&e, mem + info.mmap_addr + i * 24, sizeof(e));
		assert_int_equal(e.size, 20);
		assert_int_equal(e.base_addr, g.mem[i].gpa);
		assert_int_equal(e.length, g.mem[i].size);
		assert_int_equal(e.type, g.mem[i].type);
	}
	/* everything the info points to lies inside it */
	assert_true(info.cmdline >= l.info_start && info.cmdline < l.info_end);
	assert_true(info.mmap_addr + info.mmap_length <= l.info_end);
}

/* a.out kludge: the file is loaded raw from load_addr, bss after it. */
static void mb1_aout_kludge(void **state)
{
	struct loader_layout l;

	std_guest();
	fill_pattern();
	ksize = 0x1800;
	mb1_header(0x40, MB1_HF_MEMINFO | MB1_HF_AOUT_KLUDGE, 0x200040, 0x200000, 0x201800,
		   0x203000, 0x200100);
	unsigned n = grub_modules(1);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	assert_string_equal(g.kind, "multiboot a.out-kludge image");
	assert_int_equal(l.nr_segs, 1);
	assert_int_equal(l.segs[0].start, 0x200000);
	assert_int_equal(l.segs[0].end, 0x203000);
	assert_memory_equal(mem + 0x200000, kfile, 0x1800);
	for (u64 i = 0x201800; i < 0x203000; i++)
		assert_int_equal(mem[i], 0);
	check_regs(MB1_BOOTLOADER_MAGIC, l.info_start, 0x200100);
}

/* multiboot2 address tag with load_addr -1 (from the file start) and load_end 0 (whole file). */
static void mb2_address_tag(void **state)
{
	struct loader_layout l;

	std_guest();
	fill_pattern();
	ksize = 0x1000;
	size_t off = 0x10;
	size_t t = off + 16;
	w16(t, MB2H_TAG_ADDRESS); w16(t + 2, 0); w32(t + 4, 24);
	w32(t + 8, 0x300010); w32(t + 12, 0xffffffff); w32(t + 16, 0); w32(t + 20, 0x302000);
	t += 24;
	w16(t, MB2H_TAG_ENTRY); w16(t + 2, 0); w32(t + 4, 12); w32(t + 8, 0x300200);
	t += 16;
	w16(t, MB2H_TAG_END); w16(t + 2, 0); w32(t + 4, 8);
	t += 8;
	u32 len = t - off;
	w32(off, MB2_HEADER_MAGIC); w32(off + 4, 0); w32(off + 8, len);
	w32(off + 12, -(MB2_HEADER_MAGIC + len));
	unsigned n = grub_modules(1);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	assert_int_equal(l.segs[0].start, 0x300000);
	assert_int_equal(l.segs[0].end, 0x302000);
	assert_memory_equal(mem + 0x300000, kfile, 0x1000);
	assert_int_equal(mem[0x301000], 0);
	check_regs(MB2_BOOTLOADER_MAGIC, l.info_start, 0x300200);
}

/* ELF-64 kernel linked high with a 32-bit physical entry. */
static void elf64_higher_half(void **state)
{
	struct loader_layout l;

	std_guest();
	elf64(0xffffffff80100040ULL, 0xffffffff80100000ULL, 0x100000);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	unsigned n = grub_modules(1);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	check_regs(MB2_BOOTLOADER_MAGIC, l.info_start, 0x100040);
	assert_memory_equal(mem + 0x100000, kfile + 0x1000, 0x1000);
}

/* No RAM below 1 MiB: the information goes after the kernel. */
static void info_after_kernel(void **state)
{
	struct loader_layout l;

	memset(&g, 0, sizeof(g));
	memset(mem, POISON, MEM_SIZE);
	add_region(0, 0x100000, GUEST_MEM_RESERVED);
	add_region(0x100000, 0x700000, GUEST_MEM_RAM);
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	unsigned n = grub_modules(3);

	log_capture_reset();
	assert_int_equal(loader_load_ex(&g, mods, n, NULL, &l), 0);
	check_layout(&l);
	assert_int_equal(l.info_start, 0x105000);
	assert_int_equal(l.mods[0].start, ALIGN_DOWN(0x800000 - INITRD_SIZE, PAGE_SIZE));
	check_std_segments();
}

static void loader_load_plain(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	unsigned n = grub_modules(1);

	assert_int_equal(loader_load(&g, mods, n), 0);
	assert_int_equal(g.boot.rip, STD_ENTRY);
}

/* ---- tests: guest memory helpers ------------------------------------------------------------- */

static void guest_mem(void **state)
{
	u8 buf[0x2000];

	std_guest();
	assert_int_equal(guest_ram_total(&g), 0x9f000 + 0x700000 + 0x600000 + 0xf0000);
	assert_true(guest_is_ram(&g, 0x100000, 0x700000));
	assert_false(guest_is_ram(&g, 0x100000, 0x700001));	/* into uhv's hole */
	assert_false(guest_is_ram(&g, 0x9f000, 1));		/* reserved */
	assert_false(guest_is_ram(&g, 0x2000000, 1));		/* beyond everything */
	assert_false(guest_is_ram(&g, ~0ULL - 2, 8));		/* wraps */
	assert_ptr_equal(guest_ptr(&g, 0x100000, 0x700000), mem + 0x100000);
	assert_null(guest_ptr(&g, 0x7ff000, 0x2000));
	assert_null(guest_ptr(&g, 0xf00000, 4));			/* ACPI is not RAM */
	assert_int_equal(guest_write(&g, 0x7ff000, buf, 0x2000), -EFAULT);
	/* adjacent RAM regions are one range for write/read */
	memset(&g, 0, sizeof(g));
	add_region(0x100000, 0x1000, GUEST_MEM_RAM);
	add_region(0x101000, 0x1000, GUEST_MEM_RAM);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)i;
	assert_int_equal(guest_write(&g, 0x100800, buf, 0x1000), 0);
	assert_memory_equal(mem + 0x100800, buf, 0x1000);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(guest_read(&g, 0x100800, buf, 0x1000), 0);
	assert_int_equal(buf[0x900], (u8)0x900);
	assert_null(guest_ptr(&g, 0x100800, 0x1000));		/* spans two regions */
}

/* ---- tests: errors --------------------------------------------------------------------------- */

static void expect_fail(unsigned n, int want, const char *msg)
{
	log_capture_reset();
	assert_int_equal(loader_load(&g, mods, n), want);
	check_log(msg);
}

static void err_no_module(void **state)
{
	std_guest();
	log_capture_reset();
	assert_int_equal(loader_load(&g, NULL, 0), -ENOENT);
	check_log("no guest kernel: give the guest as the first multiboot2 module (module2 "
		  "/path/kernel args) in grub.cfg");
}

static void err_not_elf(void **state)
{
	std_guest();
	memset(kfile, 0, sizeof(kfile));
	strcpy((char *)kfile, "This is not a kernel.\n");
	ksize = strlen((char *)kfile);
	expect_fail(grub_modules(1), -ENOEXEC,
		    "not an ELF executable and no multiboot2 or multiboot header");
}

static void err_bzimage(void **state)
{
	std_guest();
	memset(kfile, 0, sizeof(kfile));
	memcpy(kfile + 0x202, "HdrS", 4);
	ksize = 0x1000;
	expect_fail(grub_modules(1), -EINVAL, "boot protocol 0.00; uhv starts such images only "
		    "from protocol 2.12");
}

static void err_aout_entry0(void **state)
{
	std_guest();
	fill_pattern();
	ksize = 0x1800;
	mb1_header(0x40, MB1_HF_AOUT_KLUDGE, 0x200040, 0x200000, 0, 0, 0);
	expect_fail(grub_modules(1), -EINVAL, "multiboot header entry_addr is 0");
}

static void err_aout_bad_addrs(void **state)
{
	std_guest();
	fill_pattern();
	ksize = 0x1800;
	/* header_addr - load_addr larger than the header's offset */
	mb1_header(0x40, MB1_HF_AOUT_KLUDGE, 0x200040, 0x1f0000, 0, 0, 0x200040);
	expect_fail(grub_modules(1), -EINVAL, "do not match the header's file offset 0x40");
	mb1_header(0x40, MB1_HF_AOUT_KLUDGE, 0x200040, 0x200000, 0x209000, 0, 0x200040);
	expect_fail(grub_modules(1), -EINVAL, "load_end_addr 0x209000 is below load_addr");
}

static void err_mb1_not_elf_no_kludge(void **state)
{
	std_guest();
	fill_pattern();
	ksize = 0x1800;
	mb1_header(0x40, MB1_HF_MEMINFO, 0, 0, 0, 0, 0);
	expect_fail(grub_modules(1), -ENOEXEC, "flag bit 16 clear) and the file is not ELF");
}

static void err_mb1_unknown_flags(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb1_header(0x1000, BIT(5) | MB1_HF_MEMINFO, 0, 0, 0, 0, 0);
	expect_fail(grub_modules(1), -EINVAL,
		    "require features (bits 0x20) that uhv does not know");
}

static void err_mb2_arch(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, 4 /* MIPS */, 0, 0, 0);
	expect_fail(grub_modules(1), -EINVAL, "architecture 4 is not i386");
}

static void err_mb2_required_unknown_tag(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 42, 0);
	expect_fail(grub_modules(1), -EINVAL,
		    "tag type 42, unknown to uhv and not marked optional");
	/* optional: fine */
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 42, MB2H_TAG_OPTIONAL);
	log_capture_reset();
	assert_int_equal(loader_load(&g, mods, grub_modules(1)), 0);
}

static void err_mb2_bad_checksum_falls_back(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	w32(0x100c, 0x12345678);	/* broken checksum: not a multiboot2 kernel */
	log_capture_reset();
	assert_int_equal(loader_load(&g, mods, grub_modules(1)), 0);
	check_log("bad checksum");
	assert_string_equal(g.kind, "ELF without multiboot header (booted as multiboot2)");
}

static void err_elf_entry0(void **state)
{
	std_guest();
	elf32(0, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	expect_fail(grub_modules(1), -EINVAL, "ELF e_entry is 0");
}

static void err_entry_outside(void **state)
{
	std_guest();
	elf32(0x200000, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	expect_fail(grub_modules(1), -EINVAL,
		    "entry point 0x200000 (ELF e_entry) is outside the loaded segments");
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	mb2_header(0x1000, MB2_ARCH_I386, 0x400000, 0, 0);
	expect_fail(grub_modules(1), -EINVAL, "entry point 0x400000 (multiboot header) is outside");
}

static void err_elf64_entry(void **state)
{
	std_guest();
	/* linked high with physical = virtual: nothing translates the entry below 4 GiB */
	elf64(0xffffffff80100040ULL, 0xffffffff80100000ULL, 0x100000);
	/* make the entry miss the segment's virtual range */
	u64 entry = 0xffffffff90000000ULL;
	memcpy(kfile + 24, &entry, 8);
	mb2_header(0x1000, MB2_ARCH_I386, 0, 0, 0);
	expect_fail(grub_modules(1), -EINVAL, "64-bit ELF entry 0xffffffff90000000: a multiboot "
		    "guest starts in 32-bit mode");
}

static void err_truncated(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	ksize = 0x60;	/* program headers end at 0x74 */
	expect_fail(grub_modules(1), -EINVAL,
		    "program headers [0x34, 0x74) run past the end of the file");
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, 0x3400);
	expect_fail(grub_modules(1), -EINVAL,
		    "program header 1: segment file bytes [0x3000, 0x3800) run past");
}

static void err_overlap(void **state)
{
	const struct seg_spec s[] = {
		{ 0x1000, 0x100000, 0x2000, 0x3000 },
		{ 0x3000, 0x102000, 0x800, 0x1000 },
	};

	std_guest();
	elf32(STD_ENTRY, s, 2, STD_SIZE);
	expect_fail(grub_modules(1), -EINVAL, "overlap in physical memory");
}

static void err_segment_not_ram(void **state)
{
	const struct seg_spec s[] = {
		{ 0x1000, 0x100000, 0x2000, 0x3000 },
		{ 0x3000, 0x7ff000, 0x800, 0x2000 },	/* runs into uhv's hole at 8 MiB */
	};

	std_guest();
	elf32(STD_ENTRY, s, 2, STD_SIZE);
	expect_fail(grub_modules(1), -EINVAL, "segment 1 [0x7ff000, 0x801000) is not in guest RAM: "
		    "this memory is reserved by uhv or firmware");
	check_log("guest RAM [0x100000, 0x800000)");
}

static void err_no_room_for_modules(void **state)
{
	std_guest();
	elf32(STD_ENTRY, std_segs, 2, STD_SIZE);
	grub_modules(2);
	mods[1] = (struct loader_module){ mem, 0x800000, LOADER_NOT_IN_GUEST, "huge" };
	expect_fail(2, -ENOMEM, "guest module 1 (8388608 bytes): no room in guest RAM below 4 GiB");
}

static void err_empty_kernel(void **state)
{
	std_guest();
	grub_modules(1);
	mods[0].size = 0;
	expect_fail(1, -ENOEXEC, "the first module is empty");
}

/* ---- the built test guests (make guests), when present --------------------------------------- */


static void built_guests(void **state)
{
	static const struct {
		const char *name;
		int rc;
		const char *msg;
	} cases[] = {
		{ "selftest", 0, "multiboot2 ELF" },
		{ "bench", 0, "multiboot2 ELF" },
		{ "bad-text", -ENOEXEC, "not an ELF executable and no multiboot2 or multiboot" },
		{ "bad-aout-entry0", -EINVAL, "multiboot header entry_addr is 0" },
		{ "bad-elf64-entry", -EINVAL, "64-bit ELF entry 0x123456789" },
		{ "bad-notram", -EINVAL, "not in guest RAM: this memory is reserved by uhv" },
		{ "bad-mb2-arch", -EINVAL, "architecture 4 is not i386" },
		{ "bad-trunc", -EINVAL, "run past the end of the file" },
		{ "bad-bzimage", -EINVAL, "boot protocol 2.03, version \"uhv-bad-bzimage 2.4.0\"; "
		  "uhv starts such images only from protocol 2.12" },
		{ "bad-overlap", -EINVAL, "overlap in physical memory" },
	};
	unsigned found = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		char path[128];
		size_t size;
		u8 *buf;

		snprintf(path, sizeof(path), "build/guest/%s.elf", cases[i].name);
		buf = test_read_file(path, &size);
		if (!buf)
			continue;
		found++;
		std_guest();
		memcpy(mem + 0x200000, buf, size);
		mods[0] = (struct loader_module){ mem + 0x200000, size, 0x200000, "memwalk=off" };
		log_capture_reset();
		int rc = loader_load(&g, mods, 1);
		if (rc != cases[i].rc || !log_capture_contains(cases[i].msg)) {
			fprintf(stderr, "%s: rc %d (want %d), log:\n%s\n", path, rc, cases[i].rc,
				log_capture_text());
			fail();
		}
		free(buf);
	}
	if (!found)
		skip();	/* run `make guests` first */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mb2_elf),
		cmocka_unit_test(mb2_entry_tag_and_rsdp),
		cmocka_unit_test(plain_elf_as_mb2),
		cmocka_unit_test(mb1_elf),
		cmocka_unit_test(mb1_aout_kludge),
		cmocka_unit_test(mb2_address_tag),
		cmocka_unit_test(elf64_higher_half),
		cmocka_unit_test(info_after_kernel),
		cmocka_unit_test(loader_load_plain),
		cmocka_unit_test(guest_mem),
		cmocka_unit_test(err_no_module),
		cmocka_unit_test(err_not_elf),
		cmocka_unit_test(err_bzimage),
		cmocka_unit_test(err_aout_entry0),
		cmocka_unit_test(err_aout_bad_addrs),
		cmocka_unit_test(err_mb1_not_elf_no_kludge),
		cmocka_unit_test(err_mb1_unknown_flags),
		cmocka_unit_test(err_mb2_arch),
		cmocka_unit_test(err_mb2_required_unknown_tag),
		cmocka_unit_test(err_mb2_bad_checksum_falls_back),
		cmocka_unit_test(err_elf_entry0),
		cmocka_unit_test(err_entry_outside),
		cmocka_unit_test(err_elf64_entry),
		cmocka_unit_test(err_truncated),
		cmocka_unit_test(err_overlap),
		cmocka_unit_test(err_segment_not_ram),
		cmocka_unit_test(err_no_room_for_modules),
		cmocka_unit_test(err_empty_kernel),
		cmocka_unit_test(built_guests),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
