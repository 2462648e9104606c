// UNIT-SOURCES: efi/cfg.c
/* uhv.efi's configuration: uhv.cfg text and load options (efi/cfg.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "efi/loader.h"

static struct efi_cfg C;
static char E[CFG_ERR_MAX];

static int parse(const char *text)
{
	return cfg_parse(text, strlen(text), &C, E, sizeof(E));
}

static void test_full(void **state)
{
	assert_int_equal(parse("# boot uhv\r\n"
			       "uhv  uhv.elf   loglevel=debug probe  \r\n"
			       "\r\n"
			       "module\tvmlinuz console=ttyS0 quiet # the guest\r\n"
			       "module /boot/initrd.cpio\r\n"), 0);
	assert_string_equal(C.uhv.path, "uhv.elf");
	assert_string_equal(C.uhv.args, "loglevel=debug probe");
	assert_int_equal(C.nr_modules, 2);
	assert_string_equal(C.modules[0].path, "vmlinuz");
	assert_string_equal(C.modules[0].args, "console=ttyS0 quiet");
	assert_string_equal(C.modules[1].path, "/boot/initrd.cpio");
	assert_string_equal(C.modules[1].args, "");
}

static void test_semicolons_and_no_newline(void **state)
{
	assert_int_equal(parse("uhv uhv.elf probe; module k a=b;module i"), 0);
	assert_string_equal(C.uhv.args, "probe");
	assert_int_equal(C.nr_modules, 2);
	assert_string_equal(C.modules[0].args, "a=b");
	assert_string_equal(C.modules[1].path, "i");
}

static void test_errors_name_the_line(void **state)
{
	assert_int_equal(parse("uhv uhv.elf\nkernel vmlinuz\n"), -1);
	assert_non_null(strstr(E, "line 2: unknown directive 'kernel'"));
	assert_int_equal(parse("\n\nuhv a\nuhv b\n"), -1);
	assert_non_null(strstr(E, "line 4: a second 'uhv' line"));
	assert_int_equal(parse("uhv a\nmodule   \n"), -1);
	assert_non_null(strstr(E, "line 2: 'module' without a file name"));
	assert_int_equal(parse("module k\n# no uhv line\n"), -1);
	assert_non_null(strstr(E, "no 'uhv PATH [OPTIONS]' line"));
	assert_int_equal(parse(""), -1);
	assert_int_equal(parse("uhv a\n\x01\x02garbage\n"), -1);
	assert_non_null(strstr(E, "line 2: control character 0x01"));
}

static void test_limits(void **state)
{
	static char text[CFG_MAX_MODULES * 16 + 64];
	strcpy(text, "uhv u\n");
	for (int i = 0; i < CFG_MAX_MODULES; i++)
		strcat(text, "module m\n");
	assert_int_equal(parse(text), 0);
	strcat(text, "module m\n");
	assert_int_equal(parse(text), -1);
	assert_non_null(strstr(E, "more than 16 'module' lines"));

	static char longpath[CFG_PATH_MAX + 16];
	strcpy(longpath, "uhv ");
	memset(longpath + 4, 'p', CFG_PATH_MAX);
	longpath[4 + CFG_PATH_MAX] = 0;
	assert_int_equal(parse(longpath), -1);
	assert_non_null(strstr(E, "file name longer than 255"));
}

static size_t opts(const char *ascii, char *out, size_t outsz)
{
	static u16 w[256];
	size_t n = strlen(ascii);
	for (size_t i = 0; i <= n; i++)
		w[i] = (u8)ascii[i];
	return cfg_from_load_options(w, (n + 1) * 2, out, outsz);
}

static void test_load_options(void **state)
{
	char out[128];
	assert_int_equal(opts("uhv uhv.elf probe;module k x", out, sizeof(out)), 28);
	assert_string_equal(out, "uhv uhv.elf probe;module k x");
	/* the UEFI shell's "name args" */
	assert_true(opts("fs0:\\EFI\\uhv\\uhv.EFI uhv uhv.elf", out, sizeof(out)) > 0);
	assert_string_equal(out, " uhv uhv.elf");
	/* the program's name alone, blanks, nothing: no config */
	assert_int_equal(opts("BOOTX64.EFI", out, sizeof(out)), 0);
	assert_int_equal(opts("   ", out, sizeof(out)), 0);
	assert_int_equal(cfg_from_load_options(NULL, 0, out, sizeof(out)), 0);
	/* a boot manager's binary optional data */
	u16 bin[4] = { 0x0881, 0x4eac, 0x0000, 0x1234 };
	assert_int_equal(cfg_from_load_options(bin, sizeof(bin), out, sizeof(out)), 0);
	/* too long for the buffer */
	assert_int_equal(opts("uhv uhv.elf probe", out, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_semicolons_and_no_newline),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
