// UNIT-SOURCES: lib/cmdline.c
/* Command line tokenizer and value helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/cmdline.h>
#include <uhv/errno.h>
#include "log_capture.h"

struct seen {
	int calls;
	char name[64];		/* last value, "(flag)" for a flag */
	char path[64];
	int flags;
};

static void record(char *dst, const char *val, size_t len)
{
	if (!val) {
		strcpy(dst, "(flag)");
		return;
	}
	assert_true(len < 64);
	memcpy(dst, val, len);
	dst[len] = 0;
}

static int set_name(void *ctx, const char *val, size_t len)
{
	struct seen *s = ctx;
	s->calls++;
	record(s->name, val, len);
	return 0;
}

static int set_path(void *ctx, const char *val, size_t len)
{
	struct seen *s = ctx;
	s->calls++;
	if (!val)
		return -EINVAL;
	record(s->path, val, len);
	return 0;
}

static int set_flag(void *ctx, const char *val, size_t len)
{
	struct seen *s = ctx;
	bool b;
	s->calls++;
	if (cmdline_parse_bool(val, len, &b))
		return -EINVAL;
	s->flags += b ? 1 : 100;
	return 0;
}

static const struct cmdline_opt opts[] = {
	{ "name", set_name, "any text" },
	{ "path", set_path, "a path" },
	{ "flag", set_flag, "flag or on|off" },
};

static struct seen S;

static int reset(void **state)
{
	log_capture_reset();
	memset(&S, 0, sizeof(S));
	return 0;
}

static int parse(const char *s)
{
	return cmdline_parse(s, opts, ARRAY_SIZE(opts), &S);
}

static void test_empty(void **state)
{
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("  \t "), 0);
	assert_int_equal(S.calls, 0);
	assert_string_equal(log_capture_text(), "");
}

static void test_simple_and_flag(void **state)
{
	assert_int_equal(parse("name=abc flag path=/x/y"), 0);
	assert_int_equal(S.calls, 3);
	assert_string_equal(S.name, "abc");
	assert_string_equal(S.path, "/x/y");
	assert_int_equal(S.flags, 1);
	assert_false(log_capture_contains("warning"));
}

static void test_blanks(void **state)
{
	assert_int_equal(parse("\tname=a\t\tflag=off  \n"), 0);
	assert_string_equal(S.name, "a");
	assert_int_equal(S.flags, 100);
}

static void test_quoting(void **state)
{
	assert_int_equal(parse("name=\"hello world  x\" flag"), 0);
	assert_string_equal(S.name, "hello world  x");
	assert_int_equal(S.flags, 1);

	/* '=' and blanks inside quotes stay in the value */
	assert_int_equal(parse("name=\"a=b c\""), 0);
	assert_string_equal(S.name, "a=b c");

	/* empty value, quoted and not */
	assert_int_equal(parse("name=\"\""), 0);
	assert_string_equal(S.name, "");
	assert_int_equal(parse("name="), 0);
	assert_string_equal(S.name, "");

	/* only a whole-value quote is stripped */
	assert_int_equal(parse("name=x\"y z\""), 0);
	assert_string_equal(S.name, "x\"y z\"");
}

static void test_unterminated_quote(void **state)
{
	assert_int_equal(parse("name=a flag name=\"oops"), -EINVAL);
	assert_int_equal(S.calls, 0);	/* nothing applied */
	assert_true(log_capture_contains("ERROR: unterminated '\"' at offset 17 of the command "
					 "line 'name=a flag name=\"oops'"));
}

static void test_path_skipped(void **state)
{
	assert_int_equal(parse("/boot/uhv.elf name=x"), 0);
	assert_string_equal(S.name, "x");
	assert_false(log_capture_contains("unknown"));
	assert_true(log_capture_contains("skipping the image path '/boot/uhv.elf'"));

	/* only the first token, and only without '=' */
	log_capture_reset();
	assert_int_equal(parse("name=y /boot/uhv.elf"), 0);
	assert_true(log_capture_contains("unknown option '/boot/uhv.elf' ignored"));
	log_capture_reset();
	assert_int_equal(parse("path=/a/b"), 0);
	assert_string_equal(S.path, "/a/b");
	/* a first token without '/' is not a path */
	log_capture_reset();
	assert_int_equal(parse("uhv.elf name=z"), 0);
	assert_true(log_capture_contains("unknown option 'uhv.elf' ignored"));
}

static void test_unknown(void **state)
{
	assert_int_equal(parse("foo=1 name=n nam=2"), 0);
	assert_true(log_capture_contains("warning: unknown option 'foo=1' ignored; known options: "
					 "name path flag"));
	assert_true(log_capture_contains("unknown option 'nam=2' ignored"));
	assert_string_equal(S.name, "n");
}

static void test_bad_values(void **state)
{
	assert_int_equal(parse("flag=maybe name=ok path flag=on"), 2);
	assert_true(log_capture_contains("ERROR: bad value 'maybe' for option 'flag', ignored; "
					 "flag: flag or on|off"));
	assert_true(log_capture_contains("ERROR: option 'path' needs a value, ignored; "
					 "path: a path"));
	assert_string_equal(S.name, "ok");
	assert_int_equal(S.flags, 1);	/* the bad one did not count */
}

static void test_last_wins(void **state)
{
	assert_int_equal(parse("name=a name=b"), 0);
	assert_string_equal(S.name, "b");
}

static void test_u64(void **state)
{
	u64 v = 0;
	assert_int_equal(cmdline_parse_u64("12", 2, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(cmdline_parse_u64("0x3F8", 5, &v), 0);
	assert_int_equal(v, 0x3f8);
	assert_int_equal(cmdline_parse_u64("0x", 2, &v), -EINVAL);
	assert_int_equal(cmdline_parse_u64("12a", 3, &v), -EINVAL);
	assert_int_equal(cmdline_parse_u64("", 0, &v), -EINVAL);
	assert_int_equal(cmdline_parse_u64(NULL, 0, &v), -EINVAL);
	assert_int_equal(cmdline_parse_u64("18446744073709551615", 20, &v), 0);
	assert_true(v == ~0ULL);
	assert_int_equal(cmdline_parse_u64("18446744073709551616", 20, &v), -ERANGE);
	/* len bounds the value: "123" read as 2 characters */
	assert_int_equal(cmdline_parse_u64("123", 2, &v), 0);
	assert_int_equal(v, 12);
}

static void test_hex(void **state)
{
	u64 v = 0;
	assert_int_equal(cmdline_parse_hex("1f", 2, 0x1f, &v), 0);
	assert_int_equal(v, 0x1f);
	assert_int_equal(cmdline_parse_hex("20", 2, 0x1f, &v), -ERANGE);
	assert_int_equal(cmdline_parse_hex("zz", 2, 0xff, &v), -EINVAL);
	assert_int_equal(cmdline_parse_hex("0x1", 3, 0xff, &v), -EINVAL);
}

static void test_size(void **state)
{
	u64 v = 0;
	assert_int_equal(cmdline_parse_size("16M", 3, &v), 0);
	assert_int_equal(v, 16ULL << 20);
	assert_int_equal(cmdline_parse_size("1G", 2, &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(cmdline_parse_size("4k", 2, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(cmdline_parse_size("4096", 4, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(cmdline_parse_size("12Q", 3, &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("M", 1, &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("17179869184G", 12, &v), -ERANGE);
}

static void test_bool_and_words(void **state)
{
	bool b = false;
	assert_int_equal(cmdline_parse_bool(NULL, 0, &b), 0);
	assert_true(b);
	assert_int_equal(cmdline_parse_bool("off", 3, &b), 0);
	assert_false(b);
	assert_int_equal(cmdline_parse_bool("YES", 3, &b), 0);
	assert_true(b);
	assert_int_equal(cmdline_parse_bool("0", 1, &b), 0);
	assert_false(b);
	assert_int_equal(cmdline_parse_bool("2", 1, &b), -EINVAL);
	assert_true(cmdline_val_is("COM1", 4, "com1"));
	assert_false(cmdline_val_is("com10", 5, "com1"));
	assert_false(cmdline_val_is("com", 3, "com1"));
	assert_false(cmdline_val_is(NULL, 0, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty, reset),
		cmocka_unit_test_setup(test_simple_and_flag, reset),
		cmocka_unit_test_setup(test_blanks, reset),
		cmocka_unit_test_setup(test_quoting, reset),
		cmocka_unit_test_setup(test_unterminated_quote, reset),
		cmocka_unit_test_setup(test_path_skipped, reset),
		cmocka_unit_test_setup(test_unknown, reset),
		cmocka_unit_test_setup(test_bad_values, reset),
		cmocka_unit_test_setup(test_last_wins, reset),
		cmocka_unit_test_setup(test_u64, reset),
		cmocka_unit_test_setup(test_hex, reset),
		cmocka_unit_test_setup(test_size, reset),
		cmocka_unit_test_setup(test_bool_and_words, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
