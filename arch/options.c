/* uhv's command line options: table, setters, defaults. */
#define LOG_MODULE "options"
#include <uhv/options.h>
#include <uhv/platform.h>
#include <uhv/cmdline.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>

#define UART_CLOCK_BAUD 115200	/* 16550 input clock / 16: divisor = this / baud */

static const u16 com_ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static const char *const mem_names[] = { [UHV_MEM_EPT] = "ept", [UHV_MEM_SHADOW] = "shadow" };

static const char *const placement_names[] = {
	[UHV_PLACEMENT_IDENTITY] = "identity", [UHV_PLACEMENT_OFFSET] = "offset",
};

static const char *const exit_names[] = {
	[UHV_EXIT_AUTO] = "auto", [UHV_EXIT_QEMU] = "qemu", [UHV_EXIT_BOCHS] = "bochs",
	[UHV_EXIT_HALT] = "halt", [UHV_EXIT_HW] = "hw",
};

/* Index of val in names[], or -EINVAL. */
static int pick(const char *val, size_t len, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && cmdline_val_is(val, len, names[i]))
			return (int)i;
	return -EINVAL;
}

static size_t find_char(const char *s, size_t len, char c)
{
	size_t i = 0;
	while (i < len && s[i] != c)
		i++;
	return i;
}

/* ttyS0..ttyS3|com1..com4|0xPORT[,BAUD]: console= and gdb= */
static int parse_serial(const char *val, size_t len, u16 *port_out, u32 *baud_out)
{
	u32 baud = UART_CLOCK_BAUD;
	u64 port = 0;

	if (!val)
		return -EINVAL;
	size_t comma = find_char(val, len, ',');
	if (comma < len) {
		u64 b;
		if (cmdline_parse_u64(val + comma + 1, len - comma - 1, &b) || b == 0 ||
		    b > UART_CLOCK_BAUD || UART_CLOCK_BAUD % b)
			return -EINVAL;
		baud = (u32)b;
	}
	for (size_t i = 0; i < ARRAY_SIZE(com_ports); i++) {
		char tty[] = { 't', 't', 'y', 'S', (char)('0' + i), 0 };
		char com[] = { 'c', 'o', 'm', (char)('1' + i), 0 };
		if (cmdline_val_is(val, comma, tty) || cmdline_val_is(val, comma, com))
			port = com_ports[i];
	}
	if (!port) {
		/* an explicit port must be hex so that "console=1" is not a port number */
		if (comma < 3 || val[0] != '0' || (val[1] != 'x' && val[1] != 'X') ||
		    cmdline_parse_u64(val, comma, &port) || port == 0 || port > 0xffff)
			return -EINVAL;
	}
	*port_out = (u16)port;
	*baud_out = baud;
	return 0;
}

/* console=SERIAL,fb (or ,vga; or fb alone): the screen console as well (drivers/fbcon.c). A
 * console= names the consoles wanted, as Linux's does: without the suffix the screen stays
 * unused. The suffix is the last comma-separated word, so ttyS0,115200,fb works; it is taken
 * off the value (*len) before the serial part is parsed. */
static bool screen_suffix(const char *val, size_t *len)
{
	size_t i = *len;

	while (i > 0 && val[i - 1] != ',')
		i--;
	if (!cmdline_val_is(val + i, *len - i, "fb") && !cmdline_val_is(val + i, *len - i, "vga"))
		return false;
	*len = i ? i - 1 : 0;
	return true;
}

static int set_console(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	bool screen;
	int ret = 0;

	if (!val)
		return -EINVAL;
	screen = screen_suffix(val, &len);
	if (len) {	/* "console=fb" alone keeps the serial console's default */
		ret = parse_serial(val, len, &o->console_port, &o->console_baud);
		if (ret == 0)
			o->console_kind = UHV_CONSOLE_PORT;
		else	/* pci, BB:DD.F, mmio, mmio32, spcr */
			ret = options_parse_console(val, len, o);
	}
	if (!ret)
		o->console_screen = screen;
	return ret;
}

/* gdb=PORT: the GDB stub's serial port (docs/debugging.md) */
static int set_console_poll(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	u64 ms;

	if (!val || cmdline_parse_u64(val, len, &ms) < 0 || ms > 10000)
		return -EINVAL;
	o->console_poll_ms = (u32)ms;
	return 0;
}

static const char *const preempt_names[] = {
	[UHV_PREEMPT_AUTO] = "auto", [UHV_PREEMPT_ON] = "on", [UHV_PREEMPT_OFF] = "off",
};

/* preempt-timer=auto|on|off: the console poll's clock (debug/idle_poll.c) */
static int set_preempt_timer(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	int m = val ? pick(val, len, preempt_names, ARRAY_SIZE(preempt_names)) : -EINVAL;

	if (m < 0)
		return m;
	o->preempt_timer = (enum uhv_preempt_timer)m;
	return 0;
}

static int set_gdb(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	return parse_serial(val, len, &o->gdb_port, &o->gdb_baud);
}

static int set_loglevel(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	int l = pick(val, len, level_names, ARRAY_SIZE(level_names));

	if (l < 0 && cmdline_val_is(val, len, "warning"))
		l = LOG_WARN;
	if (l < 0)
		return l;
	o->loglevel = (enum log_level)l;
	return 0;
}

static int set_iommu(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	/* a bare "iommu" would be ambiguous next to the default; ask for on/off */
	if (!val)
		return -EINVAL;
	return cmdline_parse_bool(val, len, &o->iommu);
}

static int set_mem(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	int m = pick(val, len, mem_names, ARRAY_SIZE(mem_names));

	if (m < 0)
		return m;
	o->mem = (enum uhv_mem_mode)m;
	return 0;
}

static int set_placement(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	int p = pick(val, len, placement_names, ARRAY_SIZE(placement_names));

	if (p < 0)
		return p;
	o->placement = (enum uhv_placement)p;
	return 0;
}

static int set_nic(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	u16 seg;
	u8 bus, dev, fn;

	if (options_parse_bdf(val, len, &seg, &bus, &dev, &fn) < 0)
		return -EINVAL;
	o->nic_given = true;
	o->nic_seg = seg;
	o->nic_bus = bus;
	o->nic_dev = dev;
	o->nic_fn = fn;
	return 0;
}

static int set_vtd_selftest(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	return cmdline_parse_bool(val, len, &o->vtd_selftest);
}

static int set_probe(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	return cmdline_parse_bool(val, len, &o->probe);
}

#ifdef UHV_TEST_BUILD
/* panic-test=ud|gp|pf|de: raise that exception in the hypervisor on purpose,
 * so tests can check the crash report. Test variant only (include/uhv/test_hooks.h):
 * in the production image it is an unknown option. */
static int set_panic_test(void *ctx, const char *val, size_t len)
{
	static const struct { const char *name; u8 vector; } kinds[] = {
		{ "de", 0 }, { "ud", 6 }, { "gp", 13 }, { "pf", 14 },
		{ "vmentry-guest", UHV_PANIC_VMENTRY_GUEST }, { "vmentry-ctl", UHV_PANIC_VMENTRY_CTL },
	};
	struct uhv_options *o = ctx;

	for (size_t i = 0; val && i < ARRAY_SIZE(kinds); i++)
		if (cmdline_val_is(val, len, kinds[i].name)) {
			o->panic_test = kinds[i].vector;
			return 0;
		}
	return -EINVAL;
}
/* vtd-test-fw-te: turn VT-d translation on before uhv's setup, as firmware might (test 47) */
static int set_vtd_test_fw_te(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	return cmdline_parse_bool(val, len, &o->vtd_test_fw_te);
}

/* vtd-test-ir-preenable: turn VT-d interrupt remapping on with a throwaway table before uhv's
 * setup, as firmware might (test 49) */
static int set_vtd_test_ir_preenable(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	return cmdline_parse_bool(val, len, &o->vtd_test_ir_preenable);
}

/* tsc-skip-pm: calibrate the TSC as if the FADT named no ACPI PM timer, so the HPET path is
 * exercised under QEMU (test/system/30-tsc-sources.sh). Test variant only. */
static int set_tsc_skip_pm(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	if (val)
		return -EINVAL;
	o->tsc_skip_pm = true;
	return 0;
}

#define PANIC_TEST_OPTION { "panic-test", set_panic_test, "de|ud|gp|pf: raise that CPU exception in uhv; vmentry-guest|vmentry-ctl: make VM entry fail (tests the reports)" }, \
	{ "vtd-test-fw-te", set_vtd_test_fw_te, "flag: leave VT-d translating as firmware might before uhv's setup (tests the takeover)" }, \
	{ "vtd-test-ir-preenable", set_vtd_test_ir_preenable, "flag: leave VT-d interrupt remapping on with a throwaway table as firmware might before uhv's setup (tests the takeover)" }, \
	{ "tsc-skip-pm", set_tsc_skip_pm, "flag: calibrate the TSC without the ACPI PM timer (tests the HPET path)" },
#define PANIC_TEST_DEFAULT .panic_test = 0xff,

/* end-test=poweroff|reset: end the run as a guest's power-off or reset would, without a guest
 * (QEMU TCG has no VMX): tests the real machine's end, exit=hw (arch/machine_end.c). */
static int set_end_test(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;

	if (val && cmdline_val_is(val, len, "poweroff"))
		o->end_test = PLATFORM_END_POWEROFF;
	else if (val && cmdline_val_is(val, len, "reset"))
		o->end_test = PLATFORM_END_RESET;
	else
		return -EINVAL;
	return 0;
}
#define END_TEST_OPTION { "end-test", set_end_test, "poweroff|reset: end the run as the guest's power-off or reset would, without a guest (tests exit=hw)" },

/* lowmem-reserve=0xBASE-0xEND: uhv's memory map gets [BASE, END) (pages below 1 MiB) as
 * firmware-reserved, as a UEFI firmware's map may have the low pages: tests where the AP
 * trampoline goes then (test/system/38-trampoline-page.sh). */
static int set_lowmem_reserve(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	size_t dash = 0;
	u64 base, end;

	while (val && dash < len && val[dash] != '-')
		dash++;
	if (!val || dash == len || cmdline_parse_u64(val, dash, &base) ||
	    cmdline_parse_u64(val + dash + 1, len - dash - 1, &end))
		return -EINVAL;
	if (base >= end || end > MiB(1) || !IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE))
		return -EINVAL;
	o->lowmem_reserve[0] = base;
	o->lowmem_reserve[1] = end;
	return 0;
}
#define LOWMEM_TEST_OPTION { "lowmem-reserve", set_lowmem_reserve, "0xBASE-0xEND: that range below 1 MiB firmware-reserved in uhv's memory map (tests the AP trampoline's page)" },
#else
#define PANIC_TEST_OPTION
#define PANIC_TEST_DEFAULT
#define END_TEST_OPTION
#define LOWMEM_TEST_OPTION
#endif

static int set_exit(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	int e = pick(val, len, exit_names, ARRAY_SIZE(exit_names));

	if (e < 0)
		return e;
	o->exit = (enum uhv_exit_mode)e;
	return 0;
}

static int set_uhvmem(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	u64 size;

	if (cmdline_parse_size(val, len, &size) || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;
	o->uhvmem = size;
	return 0;
}

/* cpus=N|all: how many CPUs the guest gets (0 = all); the upper bound is checked at run time,
 * when uhv knows how many CPUs came up. */
#define CPUS_MAX 65535

static int set_cpus(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	u64 n;

	if (val && cmdline_val_is(val, len, "all")) {
		o->cpus = 0;
		return 0;
	}
	if (!val || cmdline_parse_u64(val, len, &n) < 0 || n > CPUS_MAX)
		return -EINVAL;
	o->cpus = (u32)n;
	return 0;
}

static const char *const vtd_inval_names[] = { "auto", "qi", "reg" };

/* vtd-inval=auto|qi|reg: how VT-d caches are invalidated (drivers/vtd_inval.c) */
static int set_vtd_inval(void *ctx, const char *val, size_t len)
{
	struct uhv_options *o = ctx;
	int v = pick(val, len, vtd_inval_names, ARRAY_SIZE(vtd_inval_names));

	if (v < 0)
		return v;
	o->vtd_inval = (enum uhv_vtd_inval)v;
	return 0;
}

/* vtd-ir-compat=block|allow: compatibility-format interrupts under uhv's interrupt remapping
 * (drivers/vtd_ir.c; docs/interrupts.md) */
static int set_vtd_ir_compat(void *ctx, const char *val, size_t len)
{
	static const char *const names[] = { "block", "allow" };
	struct uhv_options *o = ctx;
	int v = pick(val, len, names, ARRAY_SIZE(names));

	if (v < 0)
		return v;
	o->vtd_ir_compat_allow = v == 1;
	return 0;
}

static const struct cmdline_opt option_table[] = {
	{ "console", set_console,
	  "ttyS0..ttyS3|com1..com4|0xPORT[,BAUD] serial console, BAUD divides 115200 "
	  "or pci|[SSSS:]BB:DD.F|mmio,0xADDR|mmio32,0xADDR|spcr[,BAUD] (default ttyS0,115200 if a "
	  "UART answers there, else ACPI SPCR, else DBG2, else the first PCI serial controller; "
	  "docs/console.md)" },
	{ "loglevel", set_loglevel, "error|warn|info|debug (default info)" },
	{ "iommu", set_iommu, "on|off: use VT-d to confine the guest's DMA (default on)" },
	{ "mem", set_mem, "ept|shadow: guest memory virtualization (default ept)" },
	{ "placement", set_placement, "identity|offset: guest RAM above 1 MiB at the same host "
	  "addresses, or at other ones (GPA != HPA; default identity)" },
	{ "nic", set_nic, "[SSSS:]BB:DD.F in hex: the NIC to use (default: first one found)" },
	{ "vtd-selftest", set_vtd_selftest, "flag: test VT-d translation and faults at boot" },
	{ "exit", set_exit, "auto|qemu|bochs|halt|hw: how a run ends (default auto; hw: power off or reset the machine as the guest did)" },
	{ "uhvmem", set_uhvmem, "SIZE with K, M or G suffix, e.g. 64M: memory for uhv's own "
	  "heap (default 0 = automatic)" },
	{ "probe", set_probe, "flag: report what uhv finds on this machine, then stop (no guest)" },
	PANIC_TEST_OPTION
	END_TEST_OPTION
	LOWMEM_TEST_OPTION
	{ "gdb", set_gdb, "ttyS0..ttyS3|com1..com4|0xPORT[,BAUD]: serial port of the GDB stub "
	  "(default none: Ctrl-] g on the console)" },
	{ "console-poll", set_console_poll, "MS: how often uhv looks at the console for Ctrl-] while the guest "
	  "runs (VMX-preemption timer; default 10, 0 = only when the guest touches its UART)" },
	{ "preempt-timer", set_preempt_timer, "auto|on|off: poll the console with the "
	  "VMX-preemption timer (auto: unless this CPU model has a timer erratum), or off: from "
	  "the guest's HLT and MWAIT exits (default auto)" },
	{ "cpus", set_cpus, "N|all: how many CPUs the guest gets: the boot CPU and the first N-1 "
	  "others uhv started (default all; more than there are: all)" },
	{ "vtd-inval", set_vtd_inval, "auto|qi|reg: VT-d cache invalidation through the queue "
	  "or the CCMD/IOTLB registers (default auto: the queue where a unit has one)" },
	{ "vtd-ir-compat", set_vtd_ir_compat, "block|allow: compatibility-format interrupts "
	  "(the guest's IOAPIC, MSIs uhv did not remap) under VT-d interrupt remapping (default "
	  "block: only interrupts through uhv's remapping table reach a CPU)" },
};

void options_defaults(struct uhv_options *o)
{
	*o = (struct uhv_options){
		.console_port = com_ports[0],
		.console_baud = UART_CLOCK_BAUD,
		.loglevel = LOG_INFO,
		.iommu = true,
		.mem = UHV_MEM_EPT,
		.placement = UHV_PLACEMENT_IDENTITY,
		.exit = UHV_EXIT_AUTO,
		PANIC_TEST_DEFAULT
		.gdb_baud = UART_CLOCK_BAUD,
		.console_poll_ms = 10,
		.console_screen = true,
	};
}

int options_parse(const char *cmdline, struct uhv_options *o)
{
	options_defaults(o);
	int ret = cmdline_parse(cmdline, option_table, ARRAY_SIZE(option_table), o);
	if (ret < 0) {
		pr_err("command line ignored, all options keep their defaults\n");
		return 1;
	}
	return ret;
}

const char *options_loglevel_name(enum log_level l)
{
	return (unsigned)l < ARRAY_SIZE(level_names) ? level_names[l] : "?";
}

const char *options_vtd_inval_name(enum uhv_vtd_inval v)
{
	return (unsigned)v < ARRAY_SIZE(vtd_inval_names) ? vtd_inval_names[v] : "?";
}

const char *options_cpus_name(u32 cpus, char buf[OPTIONS_CPUS_NAME_LEN])
{
	if (!cpus)
		return "all";
	ksnprintf(buf, OPTIONS_CPUS_NAME_LEN, "%u", cpus);
	return buf;
}

void options_print(const struct uhv_options *o)
{
	char nic[24] = "auto";
	char mem[24] = "auto";
	char cpus[OPTIONS_CPUS_NAME_LEN];
	char con[48];

	if (o->nic_given)
		ksnprintf(nic, sizeof(nic), "%04x:%02x:%02x.%x", o->nic_seg, o->nic_bus,
			  o->nic_dev, o->nic_fn);
	if (o->uhvmem) {
		/* in the largest unit that is exact, as it would be written */
		unsigned shift = o->uhvmem % MiB(1) ? 10 : o->uhvmem % GiB(1) ? 20 : 30;
		ksnprintf(mem, sizeof(mem), "%llu%c", (o->uhvmem >> shift),
			  shift == 10 ? 'K' : shift == 20 ? 'M' : 'G');
	}
	pr_info("console=%s loglevel=%s iommu=%s mem=%s nic=%s%s exit=%s "
		"uhvmem=%s cpus=%s%s\n", options_console_name(o, con, sizeof(con)),
		options_loglevel_name(o->loglevel), o->iommu ? "on" : "off", mem_names[o->mem], nic,
		o->vtd_selftest ? " vtd-selftest" : "", exit_names[o->exit], mem,
		options_cpus_name(o->cpus, cpus),
		o->placement == UHV_PLACEMENT_OFFSET ? " placement=offset" : "");
	if (o->gdb_port)
		pr_info("gdb=0x%x,%u: GDB stub on that port\n", o->gdb_port, o->gdb_baud);
	if (o->probe)
		pr_info("probe mode: no guest will be started\n");
	if (o->vtd_inval != UHV_VTD_INVAL_AUTO)
		pr_info("vtd-inval=%s: VT-d caches are invalidated through %s\n",
			options_vtd_inval_name(o->vtd_inval),
			o->vtd_inval == UHV_VTD_INVAL_REG ? "the CCMD/IOTLB registers"
							  : "the invalidation queue");
	if (o->preempt_timer != UHV_PREEMPT_AUTO)
		pr_info("preempt-timer=%s\n", preempt_names[o->preempt_timer]);
	if (o->vtd_ir_compat_allow)
		pr_info("vtd-ir-compat=allow: compatibility-format interrupts pass interrupt "
			"remapping (CFI set)\n");
}

void options_help(void)
{
	pr_info("options on the kernel command line (key=value, separated by spaces):\n");
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++)
		pr_info("  %-13s %s\n", option_table[i].key, option_table[i].help);
}
