// UNIT-SOURCES: debug/monitor.c debug/monitor_cmds.c
/* Serial monitor: line editing, tokenizing, number parsing, every command
 * against a fake backend, and random input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/errno.h>
#include <uhv/monitor.h>
#include "log_capture.h"

struct fake {
	char out[1 << 16];
	size_t out_len;
	u8 mem[0x2000];		/* GPA/GVA 0..8 KiB; GVA = GPA + 0x1000 */
	int info, exits, iommu, pci, steps, conts, resets, gdbs, level_sets;
	u64 ept_gpa;
	int ept_calls;
	enum log_level level;
	bool step_reenters;	/* step() calls monitor_enter at once */
};

static struct fake F;
static struct monitor M;

static void fk_put(void *ctx, const char *s, size_t len)
{
	struct fake *f = ctx;
	if (f->out_len + len >= sizeof(f->out))
		f->out_len = 0;
	memcpy(f->out + f->out_len, s, len);
	f->out_len += len;
	f->out[f->out_len] = 0;
}

static void fk_info(void *ctx, struct monitor *m)
{
	((struct fake *)ctx)->info++;
	monitor_printf(m, "guest: fake\n");
}

static void fk_exits(void *ctx, struct monitor *m)
{
	((struct fake *)ctx)->exits++;
	monitor_printf(m, "CPUID 12\n");
}

static void fk_iommu(void *ctx, struct monitor *m)
{
	((struct fake *)ctx)->iommu++;
}

static void fk_pci(void *ctx, struct monitor *m)
{
	((struct fake *)ctx)->pci++;
}

static int fk_ept(void *ctx, struct monitor *m, u64 gpa)
{
	struct fake *f = ctx;
	f->ept_calls++;
	f->ept_gpa = gpa;
	if (gpa >= 0x100000000ull)
		return -ENOENT;
	monitor_printf(m, "PML4E ...\n");
	return 0;
}

static int fk_regs(void *ctx, struct monitor_regs *r)
{
	r->rax = 0x1111;
	r->r15 = 0xf15;
	r->rip = 0xffffffff81000000ull;
	r->cs = 0x10;
	r->cr3 = 0x1000;
	return 0;
}

static int fk_read(struct fake *f, u64 a, void *buf, size_t len)
{
	if (a >= sizeof(f->mem))
		return -EFAULT;
	if (len > sizeof(f->mem) - a)
		len = sizeof(f->mem) - a;
	memcpy(buf, f->mem + a, len);
	return (int)len;
}

static int fk_read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	return fk_read(ctx, gpa, buf, len);
}

static int fk_read_gva(void *ctx, u64 gva, void *buf, size_t len)
{
	if (gva < 0x1000)
		return -EFAULT;
	return fk_read(ctx, gva - 0x1000, buf, len);
}

static int fk_level(void *ctx, enum log_level l)
{
	struct fake *f = ctx;
	f->level = l;
	f->level_sets++;
	return 0;
}

static void fk_step(void *ctx)
{
	struct fake *f = ctx;
	f->steps++;
	if (f->step_reenters)
		monitor_enter(&M, "step");
}

static void fk_cont(void *ctx)
{
	((struct fake *)ctx)->conts++;
}

static void fk_reset(void *ctx)
{
	((struct fake *)ctx)->resets++;
}

static void fk_gdb(void *ctx)
{
	((struct fake *)ctx)->gdbs++;
}

static struct monitor_backend BE = {
	.ctx = &F,
	.put = fk_put,
	.info = fk_info,
	.print_exits = fk_exits,
	.iommu_print = fk_iommu,
	.pci_print = fk_pci,
	.ept_walk = fk_ept,
	.get_regs = fk_regs,
	.read_gpa = fk_read_gpa,
	.read_gva = fk_read_gva,
	.set_loglevel = fk_level,
	.step = fk_step,
	.cont = fk_cont,
	.reset = fk_reset,
	.gdb = fk_gdb,
};

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	for (size_t i = 0; i < sizeof(F.mem); i++)
		F.mem[i] = (u8)i;
	memcpy(F.mem + 0x100, "Hello, uhv!", 11);
	BE.gdb = fk_gdb;
	monitor_init(&M, &BE);
	monitor_enter(&M, "escape");
	return 0;
}

static void clear(void)
{
	F.out_len = 0;
	F.out[0] = 0;
}

static void type(const char *s)
{
	while (*s)
		monitor_feed(&M, (u8)*s++);
}

/* Type a command line and return the output after the echo. */
static const char *run(const char *line)
{
	clear();
	type(line);
	type("\r");
	const char *nl = strchr(F.out, '\n');
	assert_non_null(nl);
	return nl + 1;
}

static bool has(const char *needle)
{
	return strstr(F.out, needle) != NULL;
}

static void test_enter_prints_rip_and_prompt(void **state)
{
	assert_true(monitor_active(&M));
	assert_true(has("guest stopped (escape) at rip=ffffffff81000000"));
	assert_true(has(MONITOR_PROMPT));
}

static void test_echo_and_backspace(void **state)
{
	clear();
	type("helx");
	assert_string_equal(F.out, "helx");
	type("\x7f");
	assert_string_equal(F.out, "helx\b \b");
	type("p\b\bl");
	assert_int_equal(M.len, 3);
	assert_string_equal(M.line, "hel");
	type("p\r");
	assert_true(has("  exits"));
	/* backspace on an empty line does nothing */
	clear();
	type("\b\b\x7f");
	assert_int_equal(F.out_len, 0);
}

static void test_ctrl_u_w_c(void **state)
{
	type("mem 0x10 16");
	type("\x17");		/* Ctrl-W: the last word */
	assert_string_equal(M.line, "mem 0x10 ");
	type("\x17");
	assert_string_equal(M.line, "mem ");
	type("\x15");		/* Ctrl-U */
	assert_int_equal(M.len, 0);
	type("regs");
	clear();
	type("\x03");		/* Ctrl-C drops the line */
	assert_int_equal(M.len, 0);
	assert_true(has("^C"));
	assert_true(has(MONITOR_PROMPT));
}

static void test_line_length_bounded(void **state)
{
	for (int i = 0; i < 200; i++)
		type("a");
	assert_int_equal(M.len, MONITOR_LINE_MAX);
	clear();
	type("b");
	assert_string_equal(F.out, "\a");
	type("\r");
	assert_true(has("unknown command"));
}

static void test_crlf_and_blank_lines(void **state)
{
	clear();
	type("\r\n");		/* one line, not two */
	assert_string_equal(F.out, "\n" MONITOR_PROMPT);
	clear();
	type("\n");
	assert_string_equal(F.out, "\n" MONITOR_PROMPT);
	clear();
	type("   \t \r");		/* a tab is a blank */
	assert_string_equal(F.out, "     \n" MONITOR_PROMPT);
}

static void test_help(void **state)
{
	static const char *const cmds[] = { "help", "info", "exits", "regs", "mem", "vmem", "ept",
					    "iommu", "pci", "log", "step", "continue", "reset",
					    "gdb" };
	run("help");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		char want[32];
		snprintf(want, sizeof(want), "  %s ", cmds[i]);
		assert_true(has(want));
	}
	assert_true(has("mem      GPA LEN"));
	run("help mem");
	assert_true(has("usage: mem GPA LEN"));
	run("help nosuch");
	assert_true(has("no command 'nosuch'"));
	run("help a b");
	assert_true(has("usage: help [COMMAND]"));
	/* without a gdb callback the command is hidden */
	BE.gdb = NULL;
	run("help");
	assert_false(has("  gdb "));
	run("gdb");
	assert_true(has("unknown command 'gdb'"));
}

static void test_unknown_and_ambiguous(void **state)
{
	run("frobnicate");
	assert_true(has("unknown command 'frobnicate'"));
	assert_true(has(MONITOR_PROMPT));
	run("e");		/* exits or ept */
	assert_true(has("ambiguous command 'e'"));
	run("re");		/* regs: reset does not count, it is never abbreviated */
	assert_true(has("rax="));
	run("res");		/* reset is never abbreviated */
	assert_true(has("unknown command 'res'"));
	assert_int_equal(F.resets, 0);
	run("reg");
	assert_true(has("rax=0000000000001111"));
}

static void test_info_exits_iommu_pci(void **state)
{
	run("info");
	assert_int_equal(F.info, 1);
	assert_true(has("guest: fake"));
	run("exits");
	assert_true(has("CPUID 12"));
	run("iommu");
	run("pci");
	assert_int_equal(F.iommu, 1);
	assert_int_equal(F.pci, 1);
	run("info x");
	assert_true(has("usage: info"));
	assert_int_equal(F.info, 1);
}

static void test_regs(void **state)
{
	run("regs");
	assert_true(has("rax=0000000000001111"));
	assert_true(has("r15=0000000000000f15"));
	assert_true(has("rip=ffffffff81000000"));
	assert_true(has("cs=0010"));
	assert_true(has("cr3=0000000000001000"));
}

static void test_mem_dump(void **state)
{
	run("mem 0x100 16");
	assert_true(has("0000000000000100: 48 65 6c 6c 6f 2c 20 75 68 76 21 0b 0c 0d 0e 0f "
			"|Hello, uhv!.....|"));
	run("mem 256 3");
	assert_true(has("0000000000000100: 48 65 6c "));
	assert_true(has("|Hel             |"));
	/* longer than one read chunk */
	run("mem 0 0x1000");
	assert_true(has("0000000000000ff0: f0 f1"));
	/* a short read says where it stopped */
	run("mem 0x1ff0 0x20");
	assert_true(has("0000000000001ff0: "));
	assert_true(has("GPA 0x2000 cannot be read (EFAULT)"));
	run("mem 0x5000 1");
	assert_true(has("GPA 0x5000 cannot be read (EFAULT)"));
}

static void test_vmem_dump(void **state)
{
	run("vmem 0x1100 4");
	assert_true(has("0000000000001100: 48 65 6c 6c"));
	run("vmem 0x10 4");
	assert_true(has("GVA 0x10 cannot be read (EFAULT)"));
}

static void test_mem_bad_arguments(void **state)
{
	run("mem");
	assert_true(has("usage: mem GPA LEN"));
	run("mem 0x100");
	assert_true(has("usage: mem GPA LEN"));
	run("mem 0x100 1 2");
	assert_true(has("usage: mem GPA LEN"));
	run("mem zz 1");
	assert_true(has("GPA 'zz' is not a number"));
	run("mem 0x 1");
	assert_true(has("is not a number"));
	run("mem 0x100 0");
	assert_true(has("LEN must be 1..4096"));
	run("mem 0x100 4097");
	assert_true(has("LEN must be 1..4096"));
	run("mem 0x100 99999999999999999999999");
	assert_true(has("does not fit in 64 bits"));
	run("mem 0xffffffffffffffff 2");
	assert_true(has("wraps around"));
	run("vmem 0x10000000000000000 1");
	assert_true(has("does not fit in 64 bits"));
	run("mem 1 2 3 4 5 6 7 8 9");
	assert_true(has("usage: mem GPA LEN"));
}

static void test_ept(void **state)
{
	run("ept 0x1234");
	assert_int_equal(F.ept_gpa, 0x1234);
	assert_true(has("PML4E"));
	run("ept 0x100000000");
	assert_true(has("no EPT walk for GPA 0x100000000: ENOENT"));
	run("ept");
	assert_true(has("usage: ept GPA"));
	run("ept -1");
	assert_true(has("is not a number"));
	assert_int_equal(F.ept_calls, 2);
}

static void test_log(void **state)
{
	run("log debug");
	assert_int_equal(F.level, LOG_DEBUG);
	assert_true(has("log level debug"));
	run("log 0");
	assert_int_equal(F.level, LOG_ERROR);
	run("log warn");
	assert_int_equal(F.level, LOG_WARN);
	run("log loud");
	assert_true(has("usage: log error|warn|info|debug"));
	run("log 4");
	assert_true(has("usage: log"));
	run("log");
	assert_true(has("usage: log"));
	assert_int_equal(F.level_sets, 3);
}

static void test_continue_leaves(void **state)
{
	run("continue");
	assert_int_equal(F.conts, 1);
	assert_false(monitor_active(&M));
	assert_false(has(MONITOR_PROMPT));
	/* bytes are refused until the monitor is entered again */
	assert_false(monitor_feed(&M, 'x'));
	monitor_enter(&M, "escape");
	run("c");		/* abbreviation */
	assert_int_equal(F.conts, 2);
}

static void test_step(void **state)
{
	/* a backend that steps later: the monitor waits, without a prompt */
	run("step");
	assert_int_equal(F.steps, 1);
	assert_false(monitor_active(&M));
	assert_false(has(MONITOR_PROMPT));
	monitor_enter(&M, "step");
	assert_true(monitor_active(&M));
	/* a backend that steps at once: exactly one prompt */
	F.step_reenters = true;
	run("s");
	assert_int_equal(F.steps, 2);
	assert_true(monitor_active(&M));
	const char *first = strstr(F.out, MONITOR_PROMPT);
	assert_non_null(first);
	assert_null(strstr(first + 1, MONITOR_PROMPT));
	assert_true(has("guest stopped (step)"));
	assert_int_equal(M.len, 0);
}

static void test_reset_and_gdb(void **state)
{
	run("reset now");
	assert_true(has("usage: reset"));
	assert_int_equal(F.resets, 0);
	run("reset");
	assert_int_equal(F.resets, 1);
	assert_false(monitor_active(&M));
	monitor_enter(&M, "escape");
	run("gdb");
	assert_int_equal(F.gdbs, 1);
	assert_false(monitor_active(&M));
}

static void test_history(void **state)
{
	run("regs");
	run("info");
	run("info");		/* a repeat is stored once */
	clear();
	type("\x1b[A");		/* up: info */
	assert_string_equal(M.line, "info");
	type("\x1b[A");		/* up: regs */
	assert_string_equal(M.line, "regs");
	type("\x1b[A");		/* no older line */
	assert_string_equal(M.line, "regs");
	type("\x1bOB");		/* down (application cursor keys): info */
	assert_string_equal(M.line, "info");
	type("\x1b[B");		/* down: the new empty line */
	assert_string_equal(M.line, "");
	type("\x1b[A\r");
	assert_int_equal(F.info, 3);
	/* other escape sequences are swallowed */
	clear();
	type("\x1b[1;5C\x1b[3~x");
	assert_string_equal(M.line, "x");
	/* the ring keeps the last MONITOR_HISTORY lines */
	type("\x15");
	for (int i = 0; i < 20; i++) {
		char line[32];
		snprintf(line, sizeof(line), "help %d", i);
		run(line);
	}
	for (int i = 0; i < MONITOR_HISTORY + 3; i++)
		type("\x1b[A");
	char want[32];
	snprintf(want, sizeof(want), "help %d", 20 - MONITOR_HISTORY);
	assert_string_equal(M.line, want);
}

static void test_parse_u64(void **state)
{
	u64 v;

	assert_int_equal(monitor_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(monitor_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, ~0ull);
	assert_int_equal(monitor_parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(monitor_parse_u64("0xffffffffffffffff", &v), 0);
	assert_int_equal(v, ~0ull);
	assert_int_equal(monitor_parse_u64("0x10000000000000000", &v), -ERANGE);
	assert_int_equal(monitor_parse_u64("0XaBc", &v), 0);
	assert_int_equal(v, 0xabc);
	assert_int_equal(monitor_parse_u64("0x", &v), -EINVAL);
	assert_int_equal(monitor_parse_u64("", &v), -EINVAL);
	assert_int_equal(monitor_parse_u64(NULL, &v), -EINVAL);
	assert_int_equal(monitor_parse_u64("12a", &v), -EINVAL);
	assert_int_equal(monitor_parse_u64("abc", &v), -EINVAL);
	assert_int_equal(monitor_parse_u64("-1", &v), -EINVAL);
	assert_int_equal(monitor_parse_u64("0x-1", &v), -EINVAL);
}

static void test_execute_directly(void **state)
{
	clear();
	assert_int_equal(monitor_execute(&M, "regs"), 0);
	assert_true(has("rip="));
	assert_int_equal(monitor_execute(&M, "nosuch"), -EINVAL);
	assert_int_equal(monitor_execute(&M, "mem"), -EINVAL);
	assert_int_equal(monitor_execute(&M, ""), 0);
}

/* Random bytes never crash; reset, continue, step and gdb cannot come from
 * random noise in practice, but whatever happens, re-enter and go on. */
static void test_fuzz(void **state)
{
	static const char words[] = "help info regs mem vmem ept log 0x1f 12 \r\b\x1b[A";

	srand(7);
	for (int i = 0; i < 300000; i++) {
		u8 c = (rand() % 3) ? (u8)words[rand() % (sizeof(words) - 1)] : (u8)rand();
		if (!monitor_feed(&M, c))
			monitor_enter(&M, "fuzz");
		assert_true(M.len <= MONITOR_LINE_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_enter_prints_rip_and_prompt, setup),
		cmocka_unit_test_setup(test_echo_and_backspace, setup),
		cmocka_unit_test_setup(test_ctrl_u_w_c, setup),
		cmocka_unit_test_setup(test_line_length_bounded, setup),
		cmocka_unit_test_setup(test_crlf_and_blank_lines, setup),
		cmocka_unit_test_setup(test_help, setup),
		cmocka_unit_test_setup(test_unknown_and_ambiguous, setup),
		cmocka_unit_test_setup(test_info_exits_iommu_pci, setup),
		cmocka_unit_test_setup(test_regs, setup),
		cmocka_unit_test_setup(test_mem_dump, setup),
		cmocka_unit_test_setup(test_vmem_dump, setup),
		cmocka_unit_test_setup(test_mem_bad_arguments, setup),
		cmocka_unit_test_setup(test_ept, setup),
		cmocka_unit_test_setup(test_log, setup),
		cmocka_unit_test_setup(test_continue_leaves, setup),
		cmocka_unit_test_setup(test_step, setup),
		cmocka_unit_test_setup(test_reset_and_gdb, setup),
		cmocka_unit_test_setup(test_history, setup),
		cmocka_unit_test_setup(test_parse_u64, setup),
		cmocka_unit_test_setup(test_execute_directly, setup),
		cmocka_unit_test_setup(test_fuzz, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
