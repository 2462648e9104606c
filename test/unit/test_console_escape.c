// UNIT-SOURCES: debug/console_escape.c
/* Console escape state machine: Ctrl-] prefix, transparency for everything else. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/console_escape.h>
#include "log_capture.h"

#define ESC CONSOLE_ESCAPE_CHAR

struct run {
	u8 guest[4096];
	size_t n;
	int monitor, gdb, help;
};

static void feed(struct console_escape *e, struct run *r, const u8 *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		u8 out[2] = { 0xaa, 0xaa };
		size_t n = 99;
		enum console_action a = console_escape_feed(e, in[i], out, &n);
		assert_true(n <= 2);
		assert_true(r->n + n <= sizeof(r->guest));
		memcpy(r->guest + r->n, out, n);
		r->n += n;
		r->monitor += a == CONSOLE_MONITOR;
		r->gdb += a == CONSOLE_GDB;
		r->help += a == CONSOLE_HELP;
		if (a != CONSOLE_NONE)
			assert_int_equal(n, 0);
	}
}

static void test_plain_bytes_pass_through(void **state)
{
	struct console_escape e;
	struct run r = { 0 };
	u8 all[256];

	for (int i = 0; i < 256; i++)
		all[i] = (u8)(i == ESC ? 'x' : i);
	console_escape_init(&e);
	feed(&e, &r, all, sizeof(all));
	assert_int_equal(r.n, 256);
	assert_memory_equal(r.guest, all, 256);
	assert_int_equal(r.monitor + r.gdb + r.help, 0);
}

static void test_escape_m_opens_monitor(void **state)
{
	struct console_escape e;
	struct run r = { 0 };
	const u8 in[] = { 'l', 's', ESC, 'm', 'a', ESC, 'M' };

	console_escape_init(&e);
	feed(&e, &r, in, sizeof(in));
	assert_int_equal(r.monitor, 2);
	assert_int_equal(r.n, 3);
	assert_memory_equal(r.guest, "lsa", 3);
}

static void test_escape_twice_sends_one(void **state)
{
	struct console_escape e;
	struct run r = { 0 };
	const u8 in[] = { ESC, ESC, ESC, ESC, ESC, 'm' };

	console_escape_init(&e);
	feed(&e, &r, in, sizeof(in));
	/* two pairs become two literal escapes; the third escape + m is the monitor */
	assert_int_equal(r.n, 2);
	assert_int_equal(r.guest[0], ESC);
	assert_int_equal(r.guest[1], ESC);
	assert_int_equal(r.monitor, 1);
}

static void test_escape_other_byte_passes_both(void **state)
{
	struct console_escape e;
	struct run r = { 0 };
	const u8 in[] = { ESC, 'x', ESC, 0x00, ESC, 0xff };
	const u8 want[] = { ESC, 'x', ESC, 0x00, ESC, 0xff };

	console_escape_init(&e);
	feed(&e, &r, in, sizeof(in));
	assert_int_equal(r.n, sizeof(want));
	assert_memory_equal(r.guest, want, sizeof(want));
	assert_int_equal(r.monitor + r.gdb + r.help, 0);
}

static void test_gdb_and_help_keys(void **state)
{
	struct console_escape e;
	struct run r = { 0 };
	const u8 in[] = { ESC, 'g', ESC, 'G', ESC, '?', ESC, 'h' };

	console_escape_init(&e);
	feed(&e, &r, in, sizeof(in));
	assert_int_equal(r.gdb, 2);
	assert_int_equal(r.help, 2);
	assert_int_equal(r.n, 0);
	assert_non_null(strstr(console_escape_help(), "Ctrl-] m"));
}

/* Random input without the escape byte reaches the guest unchanged; with it,
 * every byte is accounted for and nothing is lost or invented. */
static void test_random_streams(void **state)
{
	struct console_escape e;
	static struct run r;
	u8 in[4096];

	srand(1234);
	for (int iter = 0; iter < 200; iter++) {
		memset(&r, 0, sizeof(r));
		for (size_t i = 0; i < sizeof(in); i++) {
			in[i] = (u8)rand();
			if (in[i] == ESC && iter % 2 == 0)
				in[i] = 0;
		}
		console_escape_init(&e);
		feed(&e, &r, in, sizeof(in));
		if (iter % 2 == 0) {
			assert_int_equal(r.n, sizeof(in));
			assert_memory_equal(r.guest, in, sizeof(in));
		} else {
			size_t esc_pairs = (size_t)(r.monitor + r.gdb + r.help);
			/* escape pairs either became one byte, both bytes, or an action */
			size_t literal = 0;
			for (size_t i = 0; i + 1 < r.n; i++)
				literal += r.guest[i] == ESC;
			assert_true(r.n <= sizeof(in));
			assert_true(r.n + 2 * esc_pairs + e.pending + literal >= sizeof(in));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_bytes_pass_through),
		cmocka_unit_test(test_escape_m_opens_monitor),
		cmocka_unit_test(test_escape_twice_sends_one),
		cmocka_unit_test(test_escape_other_byte_passes_both),
		cmocka_unit_test(test_gdb_and_help_keys),
		cmocka_unit_test(test_random_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
