// UNIT-SOURCES: efi/mbi.c efi/image.c boot/mb2.c boot/mb2_mmap.c
/* uhv.efi's pure parts: the multiboot2 information it builds (read back with
 * uhv's own parser, boot/mb2.c), the BIOS-style map it makes of the EFI map as
 * GRUB does, and uhv.elf's header reading and placement (efi/image.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/mb2.h>
#include <uhv/hw/elf.h>
#include <efi.h>
#include "efi/loader.h"
#include "log_capture.h"

#define DSIZE 48	/* OVMF's descriptor size: larger than the struct, as the spec allows */

static u8 map[16 * DSIZE];
static size_t map_len;

static void desc(u32 type, u64 base, u64 pages)
{
	EFI_MEMORY_DESCRIPTOR d = { .Type = type, .PhysicalStart = base, .NumberOfPages = pages };
	memset(map + map_len, 0xee, DSIZE);
	memcpy(map + map_len, &d, sizeof(d));
	map_len += DSIZE;
}

/* An OVMF-like map, not sorted, with neighbours of types that merge. */
static void ovmf_map(void)
{
	map_len = 0;
	desc(EfiBootServicesCode, 0x0, 0xa0);			/* 0 - 640 KiB */
	desc(EfiConventionalMemory, 0x100000, 0x700);		/* 1 - 8 MiB */
	desc(EfiACPIMemoryNVS, 0x800000, 0x8);
	desc(EfiLoaderData, 0x900000, 0x100);			/* merges with the next */
	desc(EfiConventionalMemory, 0xa00000, 0x600);
	desc(EfiRuntimeServicesCode, 0x1000000, 0x10);
	desc(EfiRuntimeServicesData, 0x1010000, 0x10);
	desc(EfiACPIReclaimMemory, 0x1020000, 0x2);
	desc(EfiMemoryMappedIO, 0xb0000000, 0x10000);
	desc(EfiBootServicesData, 0x808000, 0x8);		/* out of order */
}

static void test_e820_like_grub(void **state)
{
	struct mbi_e820 e[16];
	ovmf_map();
	u32 n = mbi_e820_from_efi(map, map_len, DSIZE, e, 16);
	assert_int_equal(n, 9);
	assert_int_equal(e[0].base, 0);
	assert_int_equal(e[0].len, 0xa0000);
	assert_int_equal(e[0].type, MB2_MEM_AVAILABLE);
	assert_int_equal(e[2].type, MB2_MEM_NVS);
	assert_int_equal(e[3].base, 0x808000);		/* sorted in */
	assert_int_equal(e[4].base, 0x900000);		/* loader data + conventional merged */
	assert_int_equal(e[4].len, 0x700000);
	assert_int_equal(e[5].type, 20);		/* runtime code: GRUB's type 20 */
	assert_int_equal(e[6].type, MB2_MEM_RESERVED);
	assert_int_equal(e[7].type, MB2_MEM_ACPI_RECLAIM);
	assert_int_equal(e[8].base, 0xb0000000);
	/* a descriptor size smaller than the struct is refused */
	assert_int_equal(mbi_e820_from_efi(map, map_len, 16, e, 16), 0);
}

static const u8 rsdp1[20] = "RSD PTR \x00OEMID";
static u8 rsdp2[36] = "RSD PTR \x00OEMID\x02";
static const char mod_str[] = "console=ttyS0 quiet";

static struct mbi_input input(struct mbi_module *mods, struct mbi_fb *fb)
{
	ovmf_map();
	mods[0] = (struct mbi_module){ 0x2000000, 0x2345678, mod_str };
	mods[1] = (struct mbi_module){ 0x3000000, 0x3001000, "" };
	*fb = (struct mbi_fb){ .addr = 0x80000000, .pitch = 4096, .width = 1024, .height = 768,
			       .bpp = 32, .red_pos = 16, .red_size = 8, .green_pos = 8,
			       .green_size = 8, .blue_pos = 0, .blue_size = 8 };
	return (struct mbi_input){
		.cmdline = "probe loglevel=debug", .loader_name = "uhv.efi",
		.nr_modules = 2, .modules = mods,
		.efi_mmap = map, .efi_mmap_size = map_len, .efi_desc_size = DSIZE,
		.efi_desc_version = 1, .efi_systab = 0xf5ec018,
		.rsdp_v1 = rsdp1, .rsdp_v2 = rsdp2, .rsdp_v2_len = 36, .fb = fb,
		.load_base_valid = true, .load_base = 0xfe00000,
	};
}

static u8 buf[8192] __aligned(8);

/* The tag of a type in a built information block, NULL if absent. */
static const u8 *find_tag(const u8 *mbi, u32 type)
{
	u32 total;
	memcpy(&total, mbi, 4);
	for (u32 off = 8; off + 8 <= total;) {
		u32 t, size;
		memcpy(&t, mbi + off, 4);
		memcpy(&size, mbi + off + 4, 4);
		if (t == type)
			return mbi + off;
		if (t == MB2_TAG_END)
			return NULL;
		off += (size + 7) & ~7U;
	}
	return NULL;
}

static void test_mbi_read_back_by_uhv(void **state)
{
	struct mbi_module mods[2];
	struct mbi_fb fb;
	struct mbi_input in = input(mods, &fb);
	struct mb2_info mi;
	struct mb2_mem_range r;

	size_t n = mbi_build(&in, buf, sizeof(buf));
	assert_true(n > 0 && n <= mbi_size_bound(&in));
	log_capture_reset();
	assert_int_equal(mb2_parse(buf, n, &mi), 0);
	assert_int_equal(mi.total_size, n);
	assert_string_equal(mi.cmdline, "probe loglevel=debug");
	assert_string_equal(mi.loader_name, "uhv.efi");
	assert_int_equal(mi.nr_modules, 2);
	assert_int_equal(mi.modules[0].start, 0x2000000);
	assert_int_equal(mi.modules[0].end, 0x2345678);
	assert_string_equal(mi.modules[0].string, mod_str);
	assert_string_equal(mi.modules[1].string, "");
	assert_int_equal(mi.mem_lower_kib, 640);
	assert_int_equal(mi.mem_upper_kib, 7 * 1024);	/* 1-8 MiB, then NVS */
	assert_int_equal(mi.mmap_nr, 9);
	assert_int_equal(mi.mmap_entry_size, 24);
	assert_int_equal(mb2_bios_mmap_get(&mi, 4, &r), 0);
	assert_int_equal(r.base, 0x900000);
	assert_int_equal(r.len, 0x700000);
	assert_int_equal(mi.efi_mmap_nr, 10);
	assert_int_equal(mi.efi_desc_size, DSIZE);
	assert_int_equal(mi.efi64_systab, 0xf5ec018);
	assert_true(mb2_has(&mi, MB2_TAG_EFI64));
	assert_false(mi.efi_boot_services);
	assert_int_equal(mi.rsdp_v1_len, 20);
	assert_memory_equal(mi.rsdp_v1, rsdp1, 20);
	assert_int_equal(mi.rsdp_v2_len, 36);
	assert_int_equal(mi.load_base, 0xfe00000);
	assert_false(log_capture_contains("is at fault"));	/* no complaint */

	/* the framebuffer tag as GRUB lays it out: 32 bytes, then 6 of RGB fields */
	const u8 *t = find_tag(buf, MB2_TAG_FRAMEBUFFER);
	assert_non_null(t);
	u32 size, pitch;
	u64 addr;
	memcpy(&size, t + 4, 4);
	memcpy(&addr, t + 8, 8);
	memcpy(&pitch, t + 16, 4);
	assert_int_equal(size, 38);
	assert_int_equal(addr, 0x80000000);
	assert_int_equal(pitch, 4096);
	assert_int_equal(t[28], 32);	/* bpp */
	assert_int_equal(t[29], 1);	/* RGB */
	const u8 fields[6] = { 16, 8, 8, 8, 0, 8 };
	assert_memory_equal(t + 32, fields, 6);
}

static void test_mbi_optional_tags_and_room(void **state)
{
	struct mbi_module mods[2];
	struct mbi_fb fb;
	struct mbi_input in = input(mods, &fb);
	struct mb2_info mi;

	in.fb = NULL;
	in.rsdp_v1 = NULL;
	in.load_base_valid = false;
	in.nr_modules = 0;
	size_t n = mbi_build(&in, buf, sizeof(buf));
	assert_int_equal(mb2_parse(buf, n, &mi), 0);
	assert_null(find_tag(buf, MB2_TAG_FRAMEBUFFER));
	assert_null(mi.rsdp_v1);
	assert_non_null(mi.rsdp_v2);
	assert_false(mb2_has(&mi, MB2_TAG_LOAD_BASE_ADDR));
	/* one byte short: refused, not overrun */
	assert_int_equal(mbi_build(&in, buf, n - 1), 0);
	assert_int_equal(mbi_build(&in, buf, n), n);
}

/* A minimal uhv.elf: ELF-64 header, one or two PT_LOADs, a multiboot2 header. */
static u8 elf[8192];

static void make_elf(bool reloc, bool entry_tag, u32 align)
{
	memset(elf, 0, sizeof(elf));
	struct elf64_ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = 1,
				 .e_entry = 0xffffffff80201000ULL, .e_phoff = 64,
				 .e_ehsize = 64, .e_phentsize = 56, .e_phnum = 2 };
	memcpy(eh.e_ident, "\x7f" "ELF", 4);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	memcpy(elf, &eh, sizeof(eh));
	struct elf64_phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0xffffffff80200000ULL,
		  .p_paddr = 0x200000, .p_filesz = 0x1000, .p_memsz = 0x1000 },
		{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0xffffffff80201000ULL,
		  .p_paddr = 0x201000, .p_filesz = 0x800, .p_memsz = 0x5000 },	/* with bss */
	};
	memcpy(elf + 64, ph, sizeof(ph));
	u32 h[16], n = 4;
	if (entry_tag) {
		h[n++] = 3 | 0 << 16; h[n++] = 12; h[n++] = 0x200050; h[n++] = 0;
	}
	if (reloc) {
		h[n++] = 10; h[n++] = 24; h[n++] = 0x200000; h[n++] = 0xc0000000;
		h[n++] = align; h[n++] = 2;
	}
	h[n++] = 0; h[n++] = 8;
	h[0] = 0xe85250d6; h[1] = 0; h[2] = n * 4; h[3] = -(h[0] + h[1] + h[2]);
	memcpy(elf + 0x1000, h, n * 4);
}

static void test_image_parse(void **state)
{
	struct img_info img;
	char err[CFG_ERR_MAX];

	make_elf(true, true, 0x200000);
	assert_int_equal(img_parse(elf, sizeof(elf), &img, err, sizeof(err)), 0);
	assert_int_equal(img.nr_segs, 2);
	assert_int_equal(img.link_base, 0x200000);
	assert_int_equal(img.link_end, 0x206000);
	assert_int_equal(img.entry, 0x200050);
	assert_true(img.relocatable);
	assert_int_equal(img.align, 0x200000);
	assert_int_equal(img.preference, 2);

	make_elf(true, false, 0x200000);
	assert_int_equal(img_parse(elf, sizeof(elf), &img, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no entry address tag"));
	make_elf(true, true, 0x300000);
	assert_int_equal(img_parse(elf, sizeof(elf), &img, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a power of two"));
	make_elf(true, true, 0x200000);
	elf[0x1000] ^= 1;	/* magic broken: no header */
	assert_int_equal(img_parse(elf, sizeof(elf), &img, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no multiboot2 header"));
	elf[1] = 'X';
	assert_int_equal(img_parse(elf, sizeof(elf), &img, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an ELF file"));
	make_elf(false, true, 0);
	assert_int_equal(img_parse(elf, 0x1400, &img, err, sizeof(err)), -1);	/* truncated */
	assert_non_null(strstr(err, "segment outside the file"));
}

static void test_image_place(void **state)
{
	struct img_info img;
	char err[CFG_ERR_MAX];
	u64 base;

	make_elf(true, true, 0x200000);
	assert_int_equal(img_parse(elf, sizeof(elf), &img, err, sizeof(err)), 0);
	/* highest 2 MiB-aligned spot whose end stays below max_addr (3 GiB) */
	struct mem_free f[] = {
		{ 0x100000, 0x700000 }, { 0xe000000, 0x1000000 }, { 0xd000000, 0x1000000 },
		{ 0xbfff0000, 0x100000 }, { 0x100000000ULL, 0x40000000 },
	};
	assert_int_equal(img_place(&img, f, 5, &base), 0);
	/* 0xd000000-0xf000000 merged; 0xbfff0000 too small below max; above 4 GiB: beyond max */
	assert_int_equal(base, 0xee00000);
	img.preference = 1;	/* lowest */
	struct mem_free g[] = { { 0xe000000, 0x1000000 }, { 0x100000, 0x700000 } };
	assert_int_equal(img_place(&img, g, 2, &base), 0);
	assert_int_equal(base, 0x200000);
	/* not relocatable: the link base, if free */
	img.relocatable = false;
	struct mem_free h[] = { { 0x100000, 0x700000 } };
	assert_int_equal(img_place(&img, h, 1, &base), 0);
	assert_int_equal(base, 0x200000);
	struct mem_free k[] = { { 0x300000, 0x700000 } };
	assert_int_equal(img_place(&img, k, 1, &base), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_like_grub),
		cmocka_unit_test(test_mbi_read_back_by_uhv),
		cmocka_unit_test(test_mbi_optional_tags_and_room),
		cmocka_unit_test(test_image_parse),
		cmocka_unit_test(test_image_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
