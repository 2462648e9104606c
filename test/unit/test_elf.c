// UNIT-SOURCES: loader/elf.c
/* ELF parser: hand-built ELF-32 and ELF-64 executables, good and broken. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/elf.h>
#include <uhv/errno.h>
#include "log_capture.h"

/* ---- builders -------------------------------------------------------------------------------- */

struct seg_spec {
	u32 type;
	u64 offset, vaddr, paddr, filesz, memsz;
};

static u8 file[0x10000];

/* ELF-32 executable with the program headers right after the ELF header. */
static size_t build32(u64 entry, const struct seg_spec *s, unsigned n, size_t size)
{
	struct elf32_ehdr h = {
		.e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = (u32)entry, .e_phoff = sizeof(h), .e_ehsize = sizeof(h),
		.e_phentsize = sizeof(struct elf32_phdr), .e_phnum = n,
	};

	memset(file, 0, sizeof(file));
	memcpy(file, &h, sizeof(h));
	for (unsigned i = 0; i < n; i++) {
		struct elf32_phdr p = {
			.p_type = s[i].type, .p_offset = s[i].offset, .p_vaddr = s[i].vaddr,
			.p_paddr = s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
			.p_flags = PF_R | PF_X, .p_align = 0x1000,
		};
		memcpy(file + sizeof(h) + i * sizeof(p), &p, sizeof(p));
	}
	return size;
}

static size_t build64(u64 entry, const struct seg_spec *s, unsigned n, size_t size)
{
	struct elf64_ehdr h = {
		.e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = entry, .e_phoff = sizeof(h), .e_ehsize = sizeof(h),
		.e_phentsize = sizeof(struct elf64_phdr), .e_phnum = n,
	};

	memset(file, 0, sizeof(file));
	memcpy(file, &h, sizeof(h));
	for (unsigned i = 0; i < n; i++) {
		struct elf64_phdr p = {
			.p_type = s[i].type, .p_offset = s[i].offset, .p_vaddr = s[i].vaddr,
			.p_paddr = s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
			.p_flags = PF_R | PF_X, .p_align = 0x1000,
		};
		memcpy(file + sizeof(h) + i * sizeof(p), &p, sizeof(p));
	}
	return size;
}

static const struct seg_spec two_segs[] = {
	{ PT_LOAD, 0x1000, 0x100000, 0x100000, 0x2000, 0x3000 },
	{ 4 /* PT_NOTE */, 0x100, 0, 0, 0x10, 0x10 },
	{ PT_LOAD, 0x3000, 0x104000, 0x104000, 0x800, 0x800 },
};

static int expect_err(const void *f, size_t size, int want, const char *msg)
{
	struct elf_image img;
	int ret;

	log_capture_reset();
	ret = elf_parse(f, size, &img);
	assert_int_equal(ret, want);
	if (!log_capture_contains(msg)) {
		fprintf(stderr, "expected '%s' in:\n%s\n", msg, log_capture_text());
		fail();
	}
	return ret;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void good32(void **state)
{
	struct elf_image img;
	u64 entry;
	size_t size = build32(0x100010, two_segs, 3, 0x4000);

	assert_true(elf_is_elf(file, size));
	assert_int_equal(elf_parse(file, size, &img), 0);
	assert_int_equal(img.bits, 32);
	assert_int_equal(img.nr_segs, 2);
	assert_int_equal(img.segs[0].paddr, 0x100000);
	assert_int_equal(img.segs[0].filesz, 0x2000);
	assert_int_equal(img.segs[0].memsz, 0x3000);
	assert_int_equal(img.segs[0].offset, 0x1000);
	assert_int_equal(img.segs[0].index, 0);
	assert_int_equal(img.segs[1].paddr, 0x104000);
	assert_int_equal(img.segs[1].index, 2);
	assert_int_equal(elf_entry_paddr(&img, &entry), 0);
	assert_int_equal(entry, 0x100010);
}

/* A higher-half ELF-64 kernel: virtual 0xffffffff80100000, physical 1 MiB. */
static void good64_higher_half(void **state)
{
	const struct seg_spec s[] = {
		{ PT_LOAD, 0x1000, 0xffffffff80100000ULL, 0x100000, 0x1000, 0x2000 },
	};
	struct elf_image img;
	u64 entry;
	size_t size = build64(0xffffffff80100040ULL, s, 1, 0x2000);

	assert_int_equal(elf_parse(file, size, &img), 0);
	assert_int_equal(img.bits, 64);
	assert_int_equal(img.machine, EM_X86_64);
	assert_int_equal(elf_entry_paddr(&img, &entry), 0);
	assert_int_equal(entry, 0x100040);
	/* an entry in no segment */
	img.entry = 0x5000;
	assert_int_equal(elf_entry_paddr(&img, &entry), -ENOENT);
}

static void not_elf(void **state)
{
	memcpy(file, "hello, I am text\n", 17);
	assert_false(elf_is_elf(file, 17));
	expect_err(file, 17, -ENOEXEC, "no ELF magic");
	expect_err(file, 2, -ENOEXEC, "no ELF magic");
}

static void short_header(void **state)
{
	size_t size = build32(0x100010, two_segs, 3, 0x4000);

	expect_err(file, 30, -EINVAL, "too short for its ELF-32 header");
	(void)size;
}

static void bad_kinds(void **state)
{
	size_t size = build32(0x100010, two_segs, 3, 0x4000);

	file[EI_CLASS] = 3;
	expect_err(file, size, -ENOEXEC, "unknown ELF class 3");
	size = build32(0x100010, two_segs, 3, 0x4000);
	file[EI_DATA] = 2;
	expect_err(file, size, -ENOEXEC, "not little endian");
	size = build32(0x100010, two_segs, 3, 0x4000);
	file[16] = ET_DYN;
	expect_err(file, size, -ENOEXEC, "e_type 3 is not an executable");
	size = build32(0x100010, two_segs, 3, 0x4000);
	file[18] = 40;	/* EM_ARM */
	expect_err(file, size, -ENOEXEC, "e_machine 40 is not x86");
}

static void truncated_phdrs(void **state)
{
	size_t size = build32(0x100010, two_segs, 3, 0x4000);

	/* the program headers end at 52 + 3 * 32 = 148 */
	expect_err(file, 100, -EINVAL, "program headers [0x34, 0x94) run past the end of the file");
	size = build32(0x100010, two_segs, 0, 0x4000);
	expect_err(file, size, -EINVAL, "no program headers");
}

static void segment_past_file(void **state)
{
	size_t size = build32(0x100010, two_segs, 3, 0x2800);

	expect_err(file, size, -EINVAL,
		   "program header 0: segment file bytes [0x1000, 0x3000) run past the end of the "
		   "file");
}

static void filesz_over_memsz(void **state)
{
	const struct seg_spec s[] = { { PT_LOAD, 0x1000, 0x100000, 0x100000, 0x2000, 0x1000 } };
	size_t size = build32(0x100010, s, 1, 0x4000);

	expect_err(file, size, -EINVAL, "p_filesz 0x2000 is larger than p_memsz 0x1000");
}

static void overlapping(void **state)
{
	const struct seg_spec s[] = {
		{ PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x3000 },
		{ PT_LOAD, 0x2000, 0x102000, 0x102000, 0x1000, 0x1000 },
	};
	size_t size = build32(0x100010, s, 2, 0x4000);

	expect_err(file, size, -EINVAL, "segments of program headers 0 [0x100000, 0x103000) and 1 "
		   "[0x102000, 0x103000) overlap");
}

static void no_load(void **state)
{
	const struct seg_spec s[] = {
		{ 4, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 },
		{ PT_LOAD, 0x1000, 0x200000, 0x200000, 0, 0 },
	};
	size_t size = build32(0x100010, s, 2, 0x4000);

	expect_err(file, size, -EINVAL, "no PT_LOAD segment");
}

static void wraps(void **state)
{
	const struct seg_spec s[] = {
		{ PT_LOAD, 0x1000, 0, 0xfffffffffffff000ULL, 0x1000, 0x2000 },
	};
	size_t size = build64(0x100010, s, 1, 0x4000);

	expect_err(file, size, -EINVAL, "wraps around");
}

static void too_many(void **state)
{
	struct seg_spec s[ELF_MAX_SEGMENTS + 1];

	for (unsigned i = 0; i < ARRAY_SIZE(s); i++)
		s[i] = (struct seg_spec){ PT_LOAD, 0x1000, 0, 0x100000 + i * 0x1000, 0x10, 0x10 };
	size_t size = build32(0x100010, s, ARRAY_SIZE(s), 0x4000);

	expect_err(file, size, -E2BIG, "more than 32 loadable segments");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good32),
		cmocka_unit_test(good64_higher_half),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(short_header),
		cmocka_unit_test(bad_kinds),
		cmocka_unit_test(truncated_phdrs),
		cmocka_unit_test(segment_past_file),
		cmocka_unit_test(filesz_over_memsz),
		cmocka_unit_test(overlapping),
		cmocka_unit_test(no_load),
		cmocka_unit_test(wraps),
		cmocka_unit_test(too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
