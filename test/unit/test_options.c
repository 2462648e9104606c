// UNIT-SOURCES: arch/options.c arch/console_option.c lib/cmdline.c
/* uhv's command line options: defaults, every option, bad values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/options.h>
#include <uhv/errno.h>
#include "log_capture.h"

static struct uhv_options O;

static int reset(void **state)
{
	log_capture_reset();
	memset(&O, 0x5a, sizeof(O));
	return 0;
}

static void assert_defaults(const struct uhv_options *o)
{
	assert_int_equal(o->console_port, 0x3f8);
	assert_int_equal(o->console_baud, 115200);
	assert_int_equal(o->loglevel, LOG_INFO);
	assert_true(o->iommu);
	assert_int_equal(o->mem, UHV_MEM_EPT);
	assert_int_equal(o->placement, UHV_PLACEMENT_IDENTITY);
	assert_false(o->nic_given);
	assert_false(o->vtd_selftest);
	assert_int_equal(o->exit, UHV_EXIT_AUTO);
	assert_int_equal(o->uhvmem, 0);
	assert_false(o->probe);
	assert_int_equal(o->cpus, 0);
	assert_int_equal(o->vtd_inval, UHV_VTD_INVAL_AUTO);
}

static void test_defaults(void **state)
{
	assert_int_equal(options_parse(NULL, &O), 0);
	assert_defaults(&O);
	assert_int_equal(options_parse("/boot/uhv.elf", &O), 0);
	assert_defaults(&O);
	assert_string_equal(log_capture_text(), "uhv cmdline: skipping the image path "
			    "'/boot/uhv.elf'\n");
}

static void test_all_options(void **state)
{
	assert_int_equal(options_parse("/boot/uhv.elf console=ttyS1,9600 loglevel=debug iommu=off "
				       "mem=shadow nic=0001:02:1f.7 vtd-selftest exit=bochs "
				       "uhvmem=64M", &O), 0);
	assert_int_equal(O.console_port, 0x2f8);
	assert_int_equal(O.console_baud, 9600);
	assert_int_equal(O.loglevel, LOG_DEBUG);
	assert_false(O.iommu);
	assert_int_equal(O.mem, UHV_MEM_SHADOW);
	assert_true(O.nic_given);
	assert_int_equal(O.nic_seg, 1);
	assert_int_equal(O.nic_bus, 2);
	assert_int_equal(O.nic_dev, 0x1f);
	assert_int_equal(O.nic_fn, 7);
	assert_true(O.vtd_selftest);
	assert_int_equal(O.exit, UHV_EXIT_BOCHS);
	assert_int_equal(O.uhvmem, 64ULL << 20);
	assert_false(log_capture_contains("warning"));
	assert_false(log_capture_contains("ERROR"));

	log_capture_reset();
	options_print(&O);
	assert_string_equal(log_capture_text(),
			    "uhv options: console=0x2f8,9600 loglevel=debug iommu=off mem=shadow "
			    "nic=0001:02:1f.7 vtd-selftest exit=bochs uhvmem=64M cpus=all\n");
}

static void test_print_defaults(void **state)
{
	options_defaults(&O);
	options_print(&O);
	assert_string_equal(log_capture_text(),
			    "uhv options: console=0x3f8,115200 loglevel=info iommu=on mem=ept "
			    "nic=auto exit=auto uhvmem=auto cpus=all\n");
}

static void test_gdb(void **state)
{
	assert_int_equal(options_parse(NULL, &O), 0);
	assert_int_equal(O.gdb_port, 0);	/* default: no GDB port */
	assert_int_equal(O.gdb_baud, 115200);
	assert_int_equal(options_parse("gdb=ttyS1", &O), 0);
	assert_int_equal(O.gdb_port, 0x2f8);
	assert_int_equal(O.gdb_baud, 115200);
	assert_int_equal(O.console_port, 0x3f8);	/* the console stays */
	assert_int_equal(options_parse("console=com2 gdb=0x3f8,57600", &O), 0);
	assert_int_equal(O.gdb_port, 0x3f8);
	assert_int_equal(O.gdb_baud, 57600);
	assert_int_equal(O.console_port, 0x2f8);
	log_capture_reset();
	options_print(&O);
	assert_true(log_capture_contains("gdb=0x3f8,57600"));
	static const char *const bad[] = { "gdb", "gdb=ttyS7", "gdb=com2,1234", "gdb=1", "gdb=" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		log_capture_reset();
		assert_int_equal(options_parse(bad[i], &O), 1);
		assert_int_equal(O.gdb_port, 0);
		assert_true(log_capture_contains("option 'gdb'"));
	}
}

static void test_console(void **state)
{
	static const struct {
		const char *line;
		u16 port;
		u32 baud;
	} ok[] = {
		{ "console=ttyS0", 0x3f8, 115200 },	{ "console=ttyS3", 0x2e8, 115200 },
		{ "console=com1", 0x3f8, 115200 },	{ "console=COM2,57600", 0x2f8, 57600 },
		{ "console=com4,300", 0x2e8, 300 },	{ "console=0x2f8", 0x2f8, 115200 },
		{ "console=0xe000,38400", 0xe000, 38400 },
		{ "console=\"ttyS2,19200\"", 0x3e8, 19200 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(options_parse(ok[i].line, &O), 0);
		assert_int_equal(O.console_port, ok[i].port);
		assert_int_equal(O.console_baud, ok[i].baud);
	}
	static const char *const bad[] = {
		"console=ttyS9", "console=ttyS0,1234", "console=ttyS0,", "console=ttyS0,0",
		"console=com0", "console=1016", "console=0x0", "console=0x10000", "console",
		"console=ttyS0,230400",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		log_capture_reset();
		assert_int_equal(options_parse(bad[i], &O), 1);
		assert_int_equal(O.console_port, 0x3f8);	/* default kept */
		assert_int_equal(O.console_baud, 115200);
		assert_true(log_capture_contains("option 'console'"));
	}
	log_capture_reset();
	options_parse("console=ttyS9", &O);
	assert_true(log_capture_contains("ERROR: bad value 'ttyS9' for option 'console', ignored; "
					 "console: ttyS0..ttyS3|com1..com4|0xPORT[,BAUD]"));
}

static void test_loglevel(void **state)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char line[32];
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "loglevel=%s", names[i]);
		assert_int_equal(options_parse(line, &O), 0);
		assert_int_equal(O.loglevel, i);
		assert_string_equal(options_loglevel_name(O.loglevel), names[i]);
	}
	assert_int_equal(options_parse("loglevel=warning", &O), 0);
	assert_int_equal(O.loglevel, LOG_WARN);
	assert_int_equal(options_parse("loglevel=loud", &O), 1);
	assert_int_equal(O.loglevel, LOG_INFO);
	assert_true(log_capture_contains("bad value 'loud' for option 'loglevel'"));
	assert_true(log_capture_contains("error|warn|info|debug"));
}

static void test_iommu_mem_exit(void **state)
{
	assert_int_equal(options_parse("iommu=on mem=ept exit=qemu", &O), 0);
	assert_true(O.iommu);
	assert_int_equal(O.exit, UHV_EXIT_QEMU);
	assert_int_equal(options_parse("exit=halt", &O), 0);
	assert_int_equal(O.exit, UHV_EXIT_HALT);
	assert_int_equal(options_parse("iommu=maybe mem=nested exit=reboot iommu", &O), 4);
	assert_true(log_capture_contains("bad value 'maybe' for option 'iommu'"));
	assert_true(log_capture_contains("bad value 'nested' for option 'mem'"));
	assert_true(log_capture_contains("bad value 'reboot' for option 'exit'"));
	assert_true(log_capture_contains("option 'iommu' needs a value"));
	assert_defaults(&O);
}

static void test_placement(void **state)
{
	assert_int_equal(options_parse("placement=offset", &O), 0);
	assert_int_equal(O.placement, UHV_PLACEMENT_OFFSET);
	options_print(&O);
	assert_true(log_capture_contains(" uhvmem=auto cpus=all placement=offset\n"));
	assert_int_equal(options_parse("placement=identity", &O), 0);
	assert_int_equal(O.placement, UHV_PLACEMENT_IDENTITY);
	assert_int_equal(options_parse("placement=shuffled placement", &O), 2);
	assert_true(log_capture_contains("bad value 'shuffled' for option 'placement'"));
	assert_true(log_capture_contains("identity|offset"));
	assert_defaults(&O);
}

static void test_vtd_inval(void **state)
{
	assert_int_equal(options_parse("", &O), 0);
	assert_int_equal(O.vtd_inval, UHV_VTD_INVAL_AUTO);
	options_print(&O);
	assert_false(log_capture_contains("vtd-inval"));
	assert_int_equal(options_parse("vtd-inval=reg", &O), 0);
	assert_int_equal(O.vtd_inval, UHV_VTD_INVAL_REG);
	options_print(&O);
	assert_true(log_capture_contains("vtd-inval=reg: VT-d caches are invalidated through the "
					 "CCMD/IOTLB registers\n"));
	assert_int_equal(options_parse("vtd-inval=qi", &O), 0);
	assert_int_equal(O.vtd_inval, UHV_VTD_INVAL_QI);
	assert_string_equal(options_vtd_inval_name(O.vtd_inval), "qi");
	assert_int_equal(options_parse("vtd-inval=auto", &O), 0);
	assert_int_equal(O.vtd_inval, UHV_VTD_INVAL_AUTO);
	assert_int_equal(options_parse("vtd-inval=registers vtd-inval", &O), 2);
	assert_true(log_capture_contains("bad value 'registers' for option 'vtd-inval'"));
	assert_true(log_capture_contains("auto|qi|reg"));
	assert_defaults(&O);
}

/* vtd-ir-compat=block|allow (drivers/vtd_ir.c): block by default and not printed; allow said */
static void test_vtd_ir_compat(void **state)
{
	assert_int_equal(options_parse("", &O), 0);
	assert_false(O.vtd_ir_compat_allow);
	options_print(&O);
	assert_false(log_capture_contains("vtd-ir-compat"));
	assert_int_equal(options_parse("vtd-ir-compat=allow", &O), 0);
	assert_true(O.vtd_ir_compat_allow);
	options_print(&O);
	assert_true(log_capture_contains("vtd-ir-compat=allow: compatibility-format interrupts "
					 "pass interrupt remapping (CFI set)\n"));
	assert_int_equal(options_parse("vtd-ir-compat=block", &O), 0);
	assert_false(O.vtd_ir_compat_allow);
	assert_int_equal(options_parse("vtd-ir-compat=on vtd-ir-compat", &O), 2);
	assert_true(log_capture_contains("bad value 'on' for option 'vtd-ir-compat'"));
	assert_true(log_capture_contains("block|allow"));
	assert_defaults(&O);
}

static void test_nic(void **state)
{
	assert_int_equal(options_parse("nic=00:03.0", &O), 0);
	assert_true(O.nic_given);
	assert_int_equal(O.nic_seg, 0);
	assert_int_equal(O.nic_bus, 0);
	assert_int_equal(O.nic_dev, 3);
	assert_int_equal(O.nic_fn, 0);
	assert_int_equal(options_parse("nic=ff:1F.7", &O), 0);
	assert_int_equal(O.nic_bus, 0xff);
	assert_int_equal(O.nic_dev, 0x1f);
	assert_int_equal(O.nic_fn, 7);
	assert_int_equal(options_parse("nic=ffff:01:00.0", &O), 0);
	assert_int_equal(O.nic_seg, 0xffff);
	assert_int_equal(O.nic_bus, 1);

	static const char *const bad[] = {
		"nic=zz:00.0", "nic=00:20.0", "nic=00:1f.8", "nic=100:00.0", "nic=00.0",
		"nic=00:00",
		"nic=10000:00:00.0", "nic=:00.0", "nic=00:.0", "nic=00:00.", "nic=0:0:0:0.0", "nic",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		log_capture_reset();
		assert_int_equal(options_parse(bad[i], &O), 1);
		assert_false(O.nic_given);
		assert_true(log_capture_contains("option 'nic'"));
	}
	log_capture_reset();
	options_parse("nic=zz:00.0", &O);
	assert_true(log_capture_contains("bad value 'zz:00.0' for option 'nic'"));
}

static void test_vtd_selftest(void **state)
{
	assert_int_equal(options_parse("vtd-selftest=on", &O), 0);
	assert_true(O.vtd_selftest);
	assert_int_equal(options_parse("vtd-selftest=off", &O), 0);
	assert_false(O.vtd_selftest);
	assert_int_equal(options_parse("vtd-selftest=7", &O), 1);
}

static void test_uhvmem(void **state)
{
	assert_int_equal(options_parse("uhvmem=16M", &O), 0);
	assert_int_equal(O.uhvmem, 16ULL << 20);
	assert_int_equal(options_parse("uhvmem=1G", &O), 0);
	assert_int_equal(O.uhvmem, 1ULL << 30);
	assert_int_equal(options_parse("uhvmem=512K", &O), 0);
	assert_int_equal(O.uhvmem, 512ULL << 10);
	options_print(&O);
	assert_true(log_capture_contains("uhvmem=512K cpus=all\n"));
	assert_int_equal(options_parse("uhvmem=2048M", &O), 0);
	options_print(&O);
	assert_true(log_capture_contains("uhvmem=2G cpus=all\n"));
	assert_int_equal(options_parse("uhvmem=0", &O), 0);
	assert_int_equal(O.uhvmem, 0);

	static const char *const bad[] = { "uhvmem=12Q", "uhvmem=16", "uhvmem=", "uhvmem",
					   "uhvmem=-1M", "uhvmem=99999999999999G" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		log_capture_reset();
		assert_int_equal(options_parse(bad[i], &O), 1);
		assert_int_equal(O.uhvmem, 0);
		assert_true(log_capture_contains("option 'uhvmem'"));
	}
	log_capture_reset();
	options_parse("uhvmem=12Q", &O);
	assert_true(log_capture_contains("bad value '12Q' for option 'uhvmem'"));
}

static void test_unknown_and_guest(void **state)
{
	assert_int_equal(options_parse("/boot/uhv.elf guest=/boot/g.elf loglevel=warn", &O), 0);
	assert_int_equal(O.loglevel, LOG_WARN);
	assert_true(log_capture_contains("warning: unknown option 'guest=/boot/g.elf' ignored; "
					 "known options: console loglevel iommu mem placement nic "
					 "vtd-selftest exit uhvmem"));
}

static void test_error_count_and_quote(void **state)
{
	assert_int_equal(options_parse("console=ttyS9 loglevel=loud nic=zz:00.0 uhvmem=12Q "
				       "iommu=off", &O), 4);
	assert_false(O.iommu);	/* good options still apply */

	log_capture_reset();
	assert_int_equal(options_parse("iommu=off console=\"ttyS1", &O), 1);
	assert_defaults(&O);	/* the whole line is ignored */
	assert_true(log_capture_contains("unterminated"));
}

/* The production image has no panic-test= (include/uhv/test_hooks.h): it is an
 * unknown option like any other; test_options_testbuild checks the test variant. */
static void test_probe_and_panic_test(void **state)
{
	assert_int_equal(options_parse("probe panic-test=pf", &O), 0);	/* warned, not an error */
	assert_true(O.probe);
	assert_true(log_capture_contains("unknown option 'panic-test=pf' ignored"));
	log_capture_reset();
	options_help();
	assert_false(log_capture_contains("panic-test"));
}

static void test_console_poll(void **state)
{
	assert_int_equal(options_parse(NULL, &O), 0);
	assert_int_equal(O.console_poll_ms, 10);
	assert_int_equal(options_parse("console-poll=0", &O), 0);
	assert_int_equal(O.console_poll_ms, 0);
	assert_int_equal(options_parse("console-poll=50", &O), 0);
	assert_int_equal(O.console_poll_ms, 50);
	assert_int_equal(options_parse("console-poll=fast", &O), 1);
	assert_int_equal(O.console_poll_ms, 10);
	assert_int_equal(options_parse("console-poll=20000", &O), 1);
}

static void test_preempt_timer(void **state)
{
	assert_int_equal(options_parse(NULL, &O), 0);
	assert_int_equal(O.preempt_timer, UHV_PREEMPT_AUTO);
	assert_int_equal(options_parse("preempt-timer=off", &O), 0);
	assert_int_equal(O.preempt_timer, UHV_PREEMPT_OFF);
	assert_int_equal(options_parse("preempt-timer=on", &O), 0);
	assert_int_equal(O.preempt_timer, UHV_PREEMPT_ON);
	/* a bare flag or another word: the default, counted as a bad value */
	assert_int_equal(options_parse("preempt-timer", &O), 1);
	assert_int_equal(O.preempt_timer, UHV_PREEMPT_AUTO);
	assert_int_equal(options_parse("preempt-timer=maybe", &O), 1);
	assert_int_equal(O.preempt_timer, UHV_PREEMPT_AUTO);
	/* the production image has no tsc-skip-pm (a test hook): unknown, warned */
	assert_int_equal(options_parse("tsc-skip-pm", &O), 0);
	assert_true(log_capture_contains("unknown option 'tsc-skip-pm' ignored"));
}

static void test_cpus(void **state)
{
	assert_int_equal(options_parse("cpus=1", &O), 0);
	assert_int_equal(O.cpus, 1);
	options_print(&O);
	assert_true(log_capture_contains(" cpus=1\n"));
	assert_int_equal(options_parse("cpus=4", &O), 0);
	assert_int_equal(O.cpus, 4);
	assert_int_equal(options_parse("cpus=1000", &O), 0);	/* more than there are: run time */
	assert_int_equal(O.cpus, 1000);
	assert_int_equal(options_parse("cpus=all", &O), 0);
	assert_int_equal(O.cpus, 0);
	assert_int_equal(options_parse("cpus=0", &O), 0);
	assert_int_equal(O.cpus, 0);
	/* said as the user writes it (issue 20: "cpus=0" was printed for cpus=all) */
	char buf[OPTIONS_CPUS_NAME_LEN];
	assert_string_equal(options_cpus_name(0, buf), "all");
	assert_string_equal(options_cpus_name(1, buf), "1");
	assert_string_equal(options_cpus_name(65535, buf), "65535");

	static const char *const bad[] = { "cpus", "cpus=", "cpus=two", "cpus=-1",
					   "cpus=99999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		log_capture_reset();
		assert_int_equal(options_parse(bad[i], &O), 1);
		assert_int_equal(O.cpus, 0);
		assert_true(log_capture_contains("option 'cpus'"));
	}
}

static void test_help(void **state)
{
	options_help();
	assert_true(log_capture_contains("console"));
	assert_true(log_capture_contains("uhvmem        SIZE with K, M or G suffix"));
	assert_true(log_capture_contains("vtd-selftest"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, reset),
		cmocka_unit_test_setup(test_all_options, reset),
		cmocka_unit_test_setup(test_print_defaults, reset),
		cmocka_unit_test_setup(test_console, reset),
		cmocka_unit_test_setup(test_loglevel, reset),
		cmocka_unit_test_setup(test_iommu_mem_exit, reset),
		cmocka_unit_test_setup(test_nic, reset),
		cmocka_unit_test_setup(test_placement, reset),
		cmocka_unit_test_setup(test_vtd_inval, reset),
		cmocka_unit_test_setup(test_vtd_ir_compat, reset),
		cmocka_unit_test_setup(test_vtd_selftest, reset),
		cmocka_unit_test_setup(test_uhvmem, reset),
		cmocka_unit_test_setup(test_unknown_and_guest, reset),
		cmocka_unit_test_setup(test_error_count_and_quote, reset),
		cmocka_unit_test_setup(test_probe_and_panic_test, reset),
		cmocka_unit_test_setup(test_console_poll, reset),
		cmocka_unit_test_setup(test_preempt_timer, reset),
		cmocka_unit_test_setup(test_help, reset),
		cmocka_unit_test_setup(test_gdb, reset),
		cmocka_unit_test_setup(test_cpus, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
