/* uhv's own options, taken from the kernel command line (arch/options.c).
 * To add one: a field here, a default in options_defaults(), a setter and a
 * row in the option table, and a word in options_print(). */
#ifndef UHV_OPTIONS_H
#define UHV_OPTIONS_H

#include <uhv/types.h>
#include <uhv/log.h>

enum uhv_mem_mode {
	UHV_MEM_EPT,		/* mem=ept: nested paging */
	UHV_MEM_SHADOW,		/* mem=shadow: shadow page tables */
};

/* Where guest RAM lives in host memory (placement=). */
enum uhv_placement {
	UHV_PLACEMENT_IDENTITY,	/* guest-physical = host-physical */
	UHV_PLACEMENT_OFFSET,	/* guest RAM above 1 MiB at other host addresses (same GPA layout) */
};

enum uhv_exit_mode {
	UHV_EXIT_AUTO,		/* pick what the platform offers */
	UHV_EXIT_QEMU,		/* isa-debug-exit port */
	UHV_EXIT_BOCHS,		/* Bochs magic / shutdown port */
	UHV_EXIT_HALT,		/* cli; hlt forever */
};

/* preempt-timer=: whether the console poll uses the VMX-preemption timer (auto: unless the CPU
 * has a timer erratum, <uhv/preempt_errata.h>) or the guest's idle exits (debug/idle_poll.c). */
enum uhv_preempt_timer { UHV_PREEMPT_AUTO, UHV_PREEMPT_ON, UHV_PREEMPT_OFF };

struct uhv_options {
	u16 console_port;		/* 16550 I/O port base; default 0x3f8 (ttyS0) */
	u32 console_baud;		/* divides 115200; default 115200 */
	enum log_level loglevel;	/* default LOG_INFO */
	bool iommu;			/* default true */
	enum uhv_mem_mode mem;		/* default UHV_MEM_EPT */
	enum uhv_placement placement;	/* default UHV_PLACEMENT_IDENTITY */
	bool nic_given;			/* nic= was on the command line */
	u16 nic_seg;			/* PCI segment:bus:device.function of the NIC */
	u8 nic_bus, nic_dev, nic_fn;
	bool vtd_selftest;		/* default false */
	enum uhv_exit_mode exit;	/* default UHV_EXIT_AUTO */
	u64 uhvmem;			/* hypervisor heap in bytes; 0 = automatic */
	bool probe;			/* report the machine, then stop without a guest */
	u16 gdb_port;			/* gdb=: GDB stub's 16550 port; 0 = none (default) */
	u32 gdb_baud;			/* gdb=PORT,BAUD; default 115200 */
	u32 console_poll_ms;		/* console-poll=: escape/GDB poll period, 0 = off; default 10 */
	enum uhv_preempt_timer preempt_timer;	/* preempt-timer=: default UHV_PREEMPT_AUTO */
	u32 cpus;			/* cpus=: CPUs the guest gets; 0 = all uhv controls (default) */
#ifdef UHV_TEST_BUILD	/* include/uhv/test_hooks.h: not in the production image */
	u8 panic_test;			/* deliberately raise this CPU exception (tests) */
	bool tsc_skip_pm;		/* tsc-skip-pm: calibrate without the ACPI PM timer */
#define UHV_PANIC_VMENTRY_GUEST	0xf0	/* panic-test=vmentry-guest: invalid guest state */
#define UHV_PANIC_VMENTRY_CTL	0xf1	/* panic-test=vmentry-ctl: invalid VM-execution control */
#endif
};

void options_defaults(struct uhv_options *o);
/* Defaults, then the command line (NULL = none; the image path in front is
 * skipped). A bad value keeps that option's default. Returns the number of
 * errors, each already reported; a line with an unterminated quote is ignored
 * as a whole and counts as one error. */
int options_parse(const char *cmdline, struct uhv_options *o);
void options_print(const struct uhv_options *o);
void options_help(void);

const char *options_loglevel_name(enum log_level l);
/* The cpus= value as the user writes it: "all" for 0, else the number (in buf). */
#define OPTIONS_CPUS_NAME_LEN 12
const char *options_cpus_name(u32 cpus, char buf[OPTIONS_CPUS_NAME_LEN]);

#endif
