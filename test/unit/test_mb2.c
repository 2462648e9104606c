// UNIT-SOURCES: boot/mb2.c boot/mb2_mmap.c
/* Multiboot2 information parser: blobs shaped like what GRUB passes under
 * the Bochs BIOS and under OVMF (see docs on the test platforms), and
 * broken ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/mb2.h>
#include <uhv/errno.h>
#include <efi.h>
#include "log_capture.h"

#define BLAME "the boot loader or its configuration is at fault"

struct blob {
	u8 buf[16384] __aligned(8);
	u32 len;
};

static struct blob B;
static struct mb2_info MI;

static void b_init(struct blob *b)
{
	memset(b->buf, 0, sizeof(b->buf));
	b->len = 8;
}

/* A tag of `size` bytes (header included), payload zeroed. */
static u8 *b_tag(struct blob *b, u32 type, u32 size)
{
	u8 *t = b->buf + b->len;
	memcpy(t, &type, 4);
	memcpy(t + 4, &size, 4);
	b->len += ALIGN_UP(size, 8);
	assert_true(b->len <= sizeof(b->buf));
	return t;
}

static void b_total(struct blob *b, u32 total)
{
	memcpy(b->buf, &total, 4);
}

static void b_end(struct blob *b)
{
	b_tag(b, MB2_TAG_END, 8);
	b_total(b, b->len);
}

static void b_str(struct blob *b, u32 type, const char *s)
{
	u32 n = strlen(s) + 1;
	memcpy(b_tag(b, type, 8 + n) + 8, s, n);
}

static void b_u32(struct blob *b, u32 type, u32 v)
{
	memcpy(b_tag(b, type, 12) + 8, &v, 4);
}

static void b_u64(struct blob *b, u32 type, u64 v)
{
	memcpy(b_tag(b, type, 16) + 8, &v, 8);
}

static void b_module(struct blob *b, u32 start, u32 end, const char *s)
{
	u32 n = strlen(s) + 1;
	u8 *t = b_tag(b, MB2_TAG_MODULE, 16 + n);
	memcpy(t + 8, &start, 4);
	memcpy(t + 12, &end, 4);
	memcpy(t + 16, s, n);
}

struct e820 {
	u64 base, len;
	u32 type, reserved;
};

static void b_mmap(struct blob *b, u32 esize, const struct e820 *e, u32 n)
{
	u8 *t = b_tag(b, MB2_TAG_MMAP, 16 + n * esize);
	u32 ver = 0;
	memcpy(t + 8, &esize, 4);
	memcpy(t + 12, &ver, 4);
	for (u32 i = 0; i < n; i++)
		memcpy(t + 16 + i * esize, &e[i], sizeof(e[i]));
}

static void b_efi_mmap(struct blob *b, u32 dsize, const EFI_MEMORY_DESCRIPTOR *d, u32 n)
{
	u8 *t = b_tag(b, MB2_TAG_EFI_MMAP, 16 + n * dsize);
	u32 ver = EFI_MEMORY_DESCRIPTOR_VERSION;
	memcpy(t + 8, &dsize, 4);
	memcpy(t + 12, &ver, 4);
	for (u32 i = 0; i < n; i++)
		memcpy(t + 16 + i * dsize, &d[i], sizeof(d[i]));
}

static void b_rsdp(struct blob *b, u32 type, u32 len, u8 rev)
{
	u8 *t = b_tag(b, type, 8 + len);
	memcpy(t + 8, "RSD PTR ", 8);
	t[8 + 15] = rev;
}

static const struct e820 bochs_map[] = {
	{ 0x0, 0x9f000, 1, 0 },
	{ 0x9f000, 0x1000, 2, 0 },
	{ 0xe8000, 0x18000, 2, 0 },
	{ 0x100000, 0xfef0000, 1, 0 },
	{ 0xfff0000, 0x10000, 3, 0 },
	{ 0xfffc0000, 0x40000, 2, 0 },
};

/* Bochs BIOS + GRUB: tags 21, 1, 2, 10, 6, 9, 4, 5, 8, 14 (plus two modules). */
static void build_bios(struct blob *b)
{
	b_init(b);
	b_u32(b, MB2_TAG_LOAD_BASE_ADDR, 0x100000);
	b_str(b, MB2_TAG_CMDLINE, "/boot/uhv.elf loglevel=debug");
	b_str(b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u2");
	b_module(b, 0x200000, 0x300000, "/boot/guest.elf arg=1");
	b_module(b, 0x300000, 0x301234, "initrd");
	b_tag(b, MB2_TAG_APM, 8 + 20);
	b_mmap(b, 24, bochs_map, ARRAY_SIZE(bochs_map));
	b_tag(b, MB2_TAG_ELF_SECTIONS, 20 + 5 * 64);
	u8 *t = b_tag(b, MB2_TAG_BASIC_MEMINFO, 16);
	u32 lo = 639, hi = 261120;
	memcpy(t + 8, &lo, 4);
	memcpy(t + 12, &hi, 4);
	b_tag(b, MB2_TAG_BOOTDEV, 20);
	b_tag(b, MB2_TAG_FRAMEBUFFER, 38);
	b_rsdp(b, MB2_TAG_ACPI_OLD, 20, 0);
	b_end(b);
}

#define PG 4096
static const EFI_MEMORY_DESCRIPTOR ovmf_map[] = {
	{ EfiBootServicesCode, 0, 0x0, 0, 1, EFI_MEMORY_WB },
	{ EfiConventionalMemory, 0, 0x1000, 0, 0x9f, EFI_MEMORY_WB },
	{ EfiConventionalMemory, 0, 0x100000, 0, 0x700, EFI_MEMORY_WB },
	{ EfiACPIMemoryNVS, 0, 0x800000, 0, 8, EFI_MEMORY_WB },
	{ EfiLoaderData, 0, 0x808000, 0, 0x10, EFI_MEMORY_WB },
	{ 20, 0, 0x818000, 0, 0x20, EFI_MEMORY_WB | EFI_MEMORY_RUNTIME },
	{ EfiACPIReclaimMemory, 0, 0x838000, 0, 4, EFI_MEMORY_WB },
	{ EfiRuntimeServicesData, 0, 0x83c000, 0, 4, EFI_MEMORY_WB | EFI_MEMORY_RUNTIME },
	{ EfiUnusableMemory, 0, 0x840000, 0, 1, EFI_MEMORY_WB },
	{ EfiMemoryMappedIO, 0, 0xffc00000, 0, 0x400, EFI_MEMORY_UC | EFI_MEMORY_RUNTIME },
};

/* OVMF + GRUB: tags 21, 1, 2, 6, 9, 4, 12, 14, 15, 17 with 48-byte descriptors. */
static void build_uefi(struct blob *b, bool with_tag6)
{
	b_init(b);
	b_u32(b, MB2_TAG_LOAD_BASE_ADDR, 0x100000);
	b_str(b, MB2_TAG_CMDLINE, "/boot/uhv.elf console=\"ttyS0,115200\"");
	b_str(b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	if (with_tag6) {
		static const struct e820 m[] = { { 0, 0xa0000, 1, 0 }, { 0x100000, 0x700000, 1, 0 },
						 { 0x800000, 0x8000, 4, 0 } };
		b_mmap(b, 24, m, ARRAY_SIZE(m));
	}
	b_tag(b, MB2_TAG_ELF_SECTIONS, 20 + 3 * 64);
	b_tag(b, MB2_TAG_BASIC_MEMINFO, 16);
	b_u64(b, MB2_TAG_EFI64, 0x7fbee018);
	b_rsdp(b, MB2_TAG_ACPI_OLD, 20, 0);
	b_rsdp(b, MB2_TAG_ACPI_NEW, 36, 2);
	b_efi_mmap(b, 48, ovmf_map, ARRAY_SIZE(ovmf_map));
	b_end(b);
}

static int reset(void **state)
{
	log_capture_reset();
	memset(&MI, 0x5a, sizeof(MI));
	return 0;
}

static void test_bios_blob(void **state)
{
	build_bios(&B);
	assert_int_equal(mb2_parse(B.buf, sizeof(B.buf), &MI), 0);
	assert_int_equal(MI.total_size, B.len);
	assert_string_equal(MI.cmdline, "/boot/uhv.elf loglevel=debug");
	assert_string_equal(MI.loader_name, "GRUB 2.06-13+deb12u2");
	/* pointers point into the blob */
	assert_true((const u8 *)MI.cmdline > B.buf && (const u8 *)MI.cmdline < B.buf + B.len);
	assert_int_equal(MI.nr_modules, 2);
	assert_int_equal(MI.modules[0].start, 0x200000);
	assert_int_equal(MI.modules[0].end, 0x300000);
	assert_string_equal(MI.modules[0].string, "/boot/guest.elf arg=1");
	assert_string_equal(MI.modules[1].string, "initrd");
	assert_int_equal(MI.mem_lower_kib, 639);
	assert_int_equal(MI.mem_upper_kib, 261120);
	assert_non_null(MI.mmap);
	assert_int_equal(MI.mmap_nr, ARRAY_SIZE(bochs_map));
	assert_int_equal(MI.mmap_entry_size, 24);
	assert_null(MI.efi_mmap);
	assert_non_null(MI.rsdp_v1);
	assert_int_equal(MI.rsdp_v1_len, 20);
	assert_memory_equal(MI.rsdp_v1, "RSD PTR ", 8);
	assert_null(MI.rsdp_v2);
	assert_int_equal(MI.load_base, 0x100000);
	assert_false(MI.efi_boot_services);
	assert_true(mb2_has(&MI, MB2_TAG_APM));
	assert_true(mb2_has(&MI, MB2_TAG_FRAMEBUFFER));
	assert_false(mb2_has(&MI, MB2_TAG_EFI64));
	/* known but unused tags are skipped quietly */
	assert_false(log_capture_contains("warning"));
	assert_false(log_capture_contains("ERROR"));
	assert_true(log_capture_contains("tag 10 (APM table) not used"));

	struct mb2_mem_range r[16];
	int n = mb2_mem_ranges(&MI, r, ARRAY_SIZE(r));
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++) {
		assert_int_equal(r[i].base, bochs_map[i].base);
		assert_int_equal(r[i].len, bochs_map[i].len);
		assert_int_equal(r[i].type, bochs_map[i].type);
	}
	assert_int_equal(mb2_mem_ranges(&MI, r, 5), -ENOSPC);

	log_capture_reset();
	mb2_print(&MI);
	assert_true(log_capture_contains("boot loader 'GRUB 2.06-13+deb12u2', command line "
					 "'/boot/uhv.elf loglevel=debug'"));
	assert_true(log_capture_contains("module 0: 0x00200000-0x00300000 (1024 KiB) "
					 "'/boot/guest.elf arg=1'"));
	assert_true(log_capture_contains("module 1: 0x00300000-0x00301234 (5 KiB) 'initrd'"));
	assert_true(log_capture_contains("boot info: BIOS map (6 entries), meminfo 639/261120 KiB, "
					 "RSDP v1, loaded at 0x100000\n"));
	assert_false(log_capture_contains("EFI:"));
}

static void test_uefi_blob(void **state)
{
	build_uefi(&B, true);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_int_equal(MI.nr_modules, 0);
	assert_int_equal(MI.efi64_systab, 0x7fbee018);
	assert_non_null(MI.rsdp_v1);
	assert_non_null(MI.rsdp_v2);
	assert_int_equal(MI.rsdp_v2_len, 36);
	assert_int_equal(((const u8 *)MI.rsdp_v2)[15], 2);
	assert_non_null(MI.efi_mmap);
	assert_int_equal(MI.efi_desc_size, 48);
	assert_int_equal(MI.efi_desc_version, 1);
	assert_int_equal(MI.efi_mmap_nr, ARRAY_SIZE(ovmf_map));
	assert_false(log_capture_contains("warning"));

	/* tag 6 wins when both maps exist */
	struct mb2_mem_range r[16];
	assert_int_equal(mb2_mem_ranges(&MI, r, ARRAY_SIZE(r)), 3);
	assert_int_equal(r[2].type, MB2_MEM_NVS);

	/* descriptors are read at a 48-byte stride */
	struct mb2_mem_range e;
	u32 t;
	assert_int_equal(mb2_efi_mmap_get(&MI, 5, &e, &t), 0);
	assert_int_equal(t, 20);
	assert_int_equal(e.base, 0x818000);
	assert_int_equal(e.len, 0x20 * PG);
	assert_int_equal(e.type, MB2_MEM_RESERVED);
	assert_int_equal(mb2_efi_mmap_get(&MI, ARRAY_SIZE(ovmf_map), &e, NULL), -ENOENT);

	log_capture_reset();
	mb2_print(&MI);
	assert_true(log_capture_contains("BIOS map (3 entries), EFI map (10 descriptors of 48 "
					 "bytes)"));
	assert_true(log_capture_contains("RSDP v1, RSDP v2"));
	assert_true(log_capture_contains("EFI: system table 0x7fbee018, boot services terminated"));
}

static void test_uefi_efi_map_only(void **state)
{
	build_uefi(&B, false);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_null(MI.mmap);

	struct mb2_mem_range r[16];
	int n = mb2_mem_ranges(&MI, r, ARRAY_SIZE(r));
	/* BS code + conventional merge; loader data is available but not adjacent */
	static const struct mb2_mem_range want[] = {
		{ 0x0, 0xa0000, MB2_MEM_AVAILABLE },
		{ 0x100000, 0x700000, MB2_MEM_AVAILABLE },
		{ 0x800000, 0x8000, MB2_MEM_NVS },
		{ 0x808000, 0x10000, MB2_MEM_AVAILABLE },
		{ 0x818000, 0x20000, MB2_MEM_RESERVED },	/* GRUB's type 20 */
		{ 0x838000, 0x4000, MB2_MEM_ACPI_RECLAIM },
		{ 0x83c000, 0x4000, MB2_MEM_RESERVED },
		{ 0x840000, 0x1000, MB2_MEM_BAD },
		{ 0xffc00000, 0x400000, MB2_MEM_RESERVED },
	};
	assert_int_equal(n, ARRAY_SIZE(want));
	for (int i = 0; i < n; i++) {
		assert_int_equal(r[i].base, want[i].base);
		assert_int_equal(r[i].len, want[i].len);
		assert_int_equal(r[i].type, want[i].type);
	}
	assert_int_equal(mb2_mem_ranges(&MI, r, 8), -ENOSPC);
	assert_true(log_capture_contains("more than 8 ranges"));
}

static void test_efi_type_conversion(void **state)
{
	assert_int_equal(mb2_efi_type_to_mem(EfiConventionalMemory), MB2_MEM_AVAILABLE);
	assert_int_equal(mb2_efi_type_to_mem(EfiBootServicesData), MB2_MEM_AVAILABLE);
	assert_int_equal(mb2_efi_type_to_mem(EfiLoaderCode), MB2_MEM_AVAILABLE);
	assert_int_equal(mb2_efi_type_to_mem(EfiRuntimeServicesCode), MB2_MEM_RESERVED);
	assert_int_equal(mb2_efi_type_to_mem(EfiACPIReclaimMemory), MB2_MEM_ACPI_RECLAIM);
	assert_int_equal(mb2_efi_type_to_mem(EfiACPIMemoryNVS), MB2_MEM_NVS);
	assert_int_equal(mb2_efi_type_to_mem(EfiUnusableMemory), MB2_MEM_BAD);
	assert_int_equal(mb2_efi_type_to_mem(EfiMemoryMappedIO), MB2_MEM_RESERVED);
	assert_int_equal(mb2_efi_type_to_mem(14), MB2_MEM_RESERVED);	/* persistent */
	assert_int_equal(mb2_efi_type_to_mem(20), MB2_MEM_RESERVED);
	assert_int_equal(mb2_efi_type_to_mem(0x80000001), MB2_MEM_RESERVED);
}

static void test_no_memory_map(void **state)
{
	b_init(&B);
	b_str(&B, MB2_TAG_CMDLINE, "");
	b_tag(&B, MB2_TAG_EFI_BS, 8);
	b_u64(&B, MB2_TAG_EFI64_IH, 0x7e000000);
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_true(MI.efi_boot_services);
	assert_int_equal(MI.efi64_image_handle, 0x7e000000);
	assert_string_equal(MI.cmdline, "");
	struct mb2_mem_range r[4];
	assert_int_equal(mb2_mem_ranges(&MI, r, 4), -ENOENT);
	assert_true(log_capture_contains("no memory map"));
	log_capture_reset();
	mb2_print(&MI);
	assert_true(log_capture_contains("boot loader '(none)'"));
	assert_true(log_capture_contains("image handle 0x7e000000, boot services still running"));
}

/* Every structural error names the offset and blames the loader. */
static void expect_error(int ret, int want, const char *needle)
{
	assert_int_equal(ret, want);
	if (!log_capture_contains(needle))
		fail_msg("expected '%s' in: %s", needle, log_capture_text());
	assert_true(log_capture_contains("ERROR: "));
}

static void test_null_and_misaligned(void **state)
{
	static u8 raw[256] __aligned(8);

	expect_error(mb2_parse(NULL, 100, &MI), -EINVAL, BLAME);
	build_bios(&B);
	memcpy(raw + 4, B.buf, 128);
	log_capture_reset();
	expect_error(mb2_parse(raw + 4, 128, &MI), -EINVAL, "not 8-byte aligned; " BLAME);
}

static void test_total_size(void **state)
{
	build_bios(&B);
	expect_error(mb2_parse(B.buf, B.len - 8, &MI), -EINVAL, "multiboot2 info +0x0: total_size");
	assert_true(log_capture_contains("exceeds the"));
	assert_true(log_capture_contains(BLAME));

	log_capture_reset();
	b_total(&B, 12);
	expect_error(mb2_parse(B.buf, sizeof(B.buf), &MI), -EINVAL, "total_size 12 is smaller");

	log_capture_reset();
	expect_error(mb2_parse(B.buf, 8, &MI), -EINVAL, "at least 16 needed");
}

static void test_tag_past_end(void **state)
{
	b_init(&B);
	b_str(&B, MB2_TAG_CMDLINE, "x");
	u8 *t = b_tag(&B, MB2_TAG_LOADER_NAME, 16);
	b_end(&B);
	u32 huge = 0x1000;
	memcpy(t + 4, &huge, 4);
	expect_error(mb2_parse(B.buf, sizeof(B.buf), &MI), -EINVAL,
		     "multiboot2 info +0x18: tag 2 (boot loader name) of 4096 bytes runs past "
		     "the end");
	assert_true(log_capture_contains(BLAME));
	/* a size near 4 GiB must not wrap */
	log_capture_reset();
	huge = 0xfffffff8;
	memcpy(t + 4, &huge, 4);
	expect_error(mb2_parse(B.buf, sizeof(B.buf), &MI), -EINVAL, "runs past the end");
}

static void test_tag_too_small(void **state)
{
	b_init(&B);
	u8 *t = b_tag(&B, MB2_TAG_CMDLINE, 16);
	b_end(&B);
	u32 four = 4;
	memcpy(t + 4, &four, 4);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "+0x8: tag 1 (command line) has size 4, less than its own 8-byte header");

	/* a fixed-size tag that is too short for its fields */
	log_capture_reset();
	b_init(&B);
	b_tag(&B, MB2_TAG_EFI64, 12);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "tag 12 (EFI 64-bit system table) is 12 bytes, shorter than the 16");

	log_capture_reset();
	b_init(&B);
	b_rsdp(&B, MB2_TAG_ACPI_NEW, 20, 2);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL, "tag 15 (ACPI new RSDP) is 28 bytes");
}

static void test_missing_end_tag(void **state)
{
	build_bios(&B);
	b_total(&B, B.len - 8);	/* cut the end tag off */
	expect_error(mb2_parse(B.buf, sizeof(B.buf), &MI), -EINVAL, "no end tag");
	assert_true(log_capture_contains(BLAME));

	/* a few stray bytes where the end tag should be */
	log_capture_reset();
	build_bios(&B);
	b_total(&B, B.len - 4);
	expect_error(mb2_parse(B.buf, sizeof(B.buf), &MI), -EINVAL, "no end tag");
}

static void test_end_tag_early(void **state)
{
	/* tags after the end tag are not looked at */
	b_init(&B);
	b_str(&B, MB2_TAG_CMDLINE, "a");
	b_tag(&B, MB2_TAG_END, 8);
	b_str(&B, MB2_TAG_LOADER_NAME, "late");
	b_total(&B, B.len);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_null(MI.loader_name);
}

static void test_module_errors(void **state)
{
	b_init(&B);
	b_module(&B, 0x300000, 0x200000, "guest");
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "+0x8: module 0 'guest' ends (0x200000) before it starts (0x300000)");
	assert_true(log_capture_contains(BLAME));

	log_capture_reset();
	b_init(&B);
	b_module(&B, 0x300000, 0x300000, "empty");
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL, "module 0 'empty' is empty");

	/* string without its NUL: tag size stops right after the text */
	log_capture_reset();
	b_init(&B);
	b_module(&B, 0x200000, 0x300000, "abcdefgh");
	u32 sz = 16 + 8;
	memcpy(B.buf + 8 + 4, &sz, 4);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "the string of module 0 (0x200000-0x300000) is not NUL-terminated");

	log_capture_reset();
	b_init(&B);
	b_tag(&B, MB2_TAG_MODULE, 16);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL, "tag 3 (module) is 16 bytes");
}

static void test_too_many_modules(void **state)
{
	b_init(&B);
	for (u32 i = 0; i < MB2_MAX_MODULES; i++)
		b_module(&B, 0x1000000 + i * 0x1000, 0x1000000 + (i + 1) * 0x1000, "m");
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_int_equal(MI.nr_modules, MB2_MAX_MODULES);
	assert_int_equal(MI.modules[31].start, 0x1000000 + 31 * 0x1000);

	b_init(&B);
	for (u32 i = 0; i <= MB2_MAX_MODULES; i++)
		b_module(&B, 0x1000000 + i * 0x1000, 0x1000000 + (i + 1) * 0x1000, "m");
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -E2BIG, "too many modules");
}

static void test_unterminated_strings(void **state)
{
	b_init(&B);
	u8 *t = b_tag(&B, MB2_TAG_CMDLINE, 8 + 5);
	memcpy(t + 8, "abcde", 5);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "+0x8: the string of tag 1 (command line) is not NUL-terminated");
	assert_true(log_capture_contains(BLAME));

	log_capture_reset();
	b_init(&B);
	b_tag(&B, MB2_TAG_LOADER_NAME, 8);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL, "tag 2 (boot loader name) is 8 bytes");
}

static void test_mmap_entry_size(void **state)
{
	b_init(&B);
	b_mmap(&B, 20, (const struct e820 *)bochs_map, 1);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "memory map entry_size 20 is smaller than an entry (24 bytes)");

	/* larger entries are stepped over by entry_size */
	log_capture_reset();
	b_init(&B);
	u8 *t = b_tag(&B, MB2_TAG_MMAP, 16 + 3 * 32);
	u32 es = 32;
	memcpy(t + 8, &es, 4);
	for (int i = 0; i < 3; i++)
		memcpy(t + 16 + i * 32, &bochs_map[i * 2], sizeof(bochs_map[0]));
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_int_equal(MI.mmap_nr, 3);
	struct mb2_mem_range r;
	assert_int_equal(mb2_bios_mmap_get(&MI, 2, &r), 0);
	assert_int_equal(r.base, bochs_map[4].base);
	assert_int_equal(r.type, MB2_MEM_ACPI_RECLAIM);
	assert_int_equal(mb2_bios_mmap_get(&MI, 3, &r), -ENOENT);

	/* an odd trailing piece is ignored with a warning */
	log_capture_reset();
	b_init(&B);
	t = b_tag(&B, MB2_TAG_MMAP, 16 + 24 + 10);
	es = 24;
	memcpy(t + 8, &es, 4);
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_int_equal(MI.mmap_nr, 1);
	assert_true(log_capture_contains("warning: multiboot2 info +0x8: memory map has 10 bytes"));
}

static void test_bios_type_normalized(void **state)
{
	static const struct e820 m[] = { { 0x100000, 0x1000, 7, 0 }, { 0x200000, 0x1000, 0, 0 } };
	b_init(&B);
	b_mmap(&B, 24, m, 2);
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	struct mb2_mem_range r;
	assert_int_equal(mb2_bios_mmap_get(&MI, 0, &r), 0);
	assert_int_equal(r.type, MB2_MEM_RESERVED);
	assert_int_equal(mb2_bios_mmap_get(&MI, 1, &r), 0);
	assert_int_equal(r.type, MB2_MEM_RESERVED);
}

static void test_efi_desc_size(void **state)
{
	b_init(&B);
	b_efi_mmap(&B, 32, ovmf_map, 1);
	b_end(&B);
	expect_error(mb2_parse(B.buf, B.len, &MI), -EINVAL,
		     "EFI memory map descriptor_size 32 is smaller than an EFI memory descriptor "
		     "(40 bytes)");

	/* exactly sizeof is fine */
	log_capture_reset();
	b_init(&B);
	b_efi_mmap(&B, sizeof(EFI_MEMORY_DESCRIPTOR), ovmf_map, ARRAY_SIZE(ovmf_map));
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	struct mb2_mem_range r;
	assert_int_equal(mb2_efi_mmap_get(&MI, 9, &r, NULL), 0);
	assert_int_equal(r.base, 0xffc00000);
}

static void test_unknown_tag(void **state)
{
	b_init(&B);
	b_str(&B, MB2_TAG_CMDLINE, "x");
	b_tag(&B, 99, 20);
	b_str(&B, MB2_TAG_LOADER_NAME, "after");
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_true(log_capture_contains("warning: multiboot2 info +0x18: unknown tag type 99"));
	assert_false(log_capture_contains("ERROR"));
	assert_string_equal(MI.loader_name, "after");
	assert_string_equal(mb2_tag_name(99), "unknown");
	assert_string_equal(mb2_tag_name(MB2_TAG_EFI_MMAP), "EFI memory map");
}

static void test_duplicate_tag(void **state)
{
	static const struct e820 a[] = { { 0, 0x1000, 1, 0 } };
	static const struct e820 b[] = { { 0x5000, 0x1000, 2, 0 }, { 0x6000, 0x1000, 1, 0 } };
	b_init(&B);
	b_mmap(&B, 24, a, 1);
	b_mmap(&B, 24, b, 2);
	b_str(&B, MB2_TAG_CMDLINE, "first");
	b_str(&B, MB2_TAG_CMDLINE, "second");
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_int_equal(MI.mmap_nr, 1);
	assert_string_equal(MI.cmdline, "first");
	assert_true(log_capture_contains("+0x30: second tag 6 (memory map) ignored, the first"));
	assert_true(log_capture_contains("second tag 1 (command line) ignored"));
}

/* A framebuffer tag as GRUB builds it: 32 bytes of common fields, then the colour info. */
static u8 *b_fb(struct blob *b, u32 size, u64 addr, u32 pitch, u32 w, u32 h, u8 bpp, u8 type)
{
	u8 *t = b_tag(b, MB2_TAG_FRAMEBUFFER, size);
	memcpy(t + 8, &addr, 8);
	memcpy(t + 16, &pitch, 4);
	memcpy(t + 20, &w, 4);
	memcpy(t + 24, &h, 4);
	t[28] = bpp;
	t[29] = type;
	return t;
}

/* GOP under OVMF (GRUB or uhv.efi): 32-bit BGRX, and the EGA text tag GRUB gives under BIOS */
static void test_framebuffer(void **state)
{
	b_init(&B);
	u8 *t = b_fb(&B, 38, 0x80000000ULL, 3200, 800, 600, 32, MB2_FB_RGB);
	memcpy(t + 32, (u8[]){ 16, 8, 8, 8, 0, 8 }, 6);
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_true(mb2_has(&MI, MB2_TAG_FRAMEBUFFER));
	assert_int_equal(MI.fb.addr, 0x80000000ULL);
	assert_int_equal(MI.fb.pitch, 3200);
	assert_int_equal(MI.fb.width, 800);
	assert_int_equal(MI.fb.height, 600);
	assert_int_equal(MI.fb.bpp, 32);
	assert_int_equal(MI.fb.type, MB2_FB_RGB);
	assert_int_equal(MI.fb.red_pos, 16);
	assert_int_equal(MI.fb.green_pos, 8);
	assert_int_equal(MI.fb.blue_pos, 0);
	assert_int_equal(MI.fb.red_size + MI.fb.green_size + MI.fb.blue_size, 24);

	b_init(&B);
	b_fb(&B, 32, 0xb8000, 160, 80, 25, 16, MB2_FB_EGA_TEXT);
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), 0);
	assert_int_equal(MI.fb.type, MB2_FB_EGA_TEXT);
	assert_int_equal(MI.fb.addr, 0xb8000);
	assert_int_equal(MI.fb.width, 80);
	assert_int_equal(MI.fb.height, 25);

	/* an RGB tag cut before its colour fields is malformed */
	log_capture_reset();
	b_init(&B);
	b_fb(&B, 34, 0x80000000ULL, 3200, 800, 600, 32, MB2_FB_RGB);
	b_end(&B);
	assert_int_equal(mb2_parse(B.buf, B.len, &MI), -EINVAL);
	assert_true(log_capture_contains("tag 8 (framebuffer info) is 34 bytes, shorter than the 38"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bios_blob, reset),
		cmocka_unit_test_setup(test_uefi_blob, reset),
		cmocka_unit_test_setup(test_uefi_efi_map_only, reset),
		cmocka_unit_test_setup(test_efi_type_conversion, reset),
		cmocka_unit_test_setup(test_no_memory_map, reset),
		cmocka_unit_test_setup(test_null_and_misaligned, reset),
		cmocka_unit_test_setup(test_total_size, reset),
		cmocka_unit_test_setup(test_tag_past_end, reset),
		cmocka_unit_test_setup(test_tag_too_small, reset),
		cmocka_unit_test_setup(test_missing_end_tag, reset),
		cmocka_unit_test_setup(test_end_tag_early, reset),
		cmocka_unit_test_setup(test_module_errors, reset),
		cmocka_unit_test_setup(test_too_many_modules, reset),
		cmocka_unit_test_setup(test_unterminated_strings, reset),
		cmocka_unit_test_setup(test_mmap_entry_size, reset),
		cmocka_unit_test_setup(test_bios_type_normalized, reset),
		cmocka_unit_test_setup(test_efi_desc_size, reset),
		cmocka_unit_test_setup(test_unknown_tag, reset),
		cmocka_unit_test_setup(test_duplicate_tag, reset),
		cmocka_unit_test_setup(test_framebuffer, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
