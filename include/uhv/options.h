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
	UHV_EXIT_HW,		/* as on real hardware: the guest's power-off or reset, for real */
};

/* How VT-d caches are invalidated (vtd-inval=): the queue where a unit has one, or always the
 * CCMD/IOTLB registers (units and firmware where the queue misbehaves, and to test that path). */
enum uhv_vtd_inval {
	UHV_VTD_INVAL_AUTO,	/* queued where ECAP.QI, else registers */
	UHV_VTD_INVAL_QI,	/* queued; a unit without ECAP.QI still uses its registers (said) */
	UHV_VTD_INVAL_REG,	/* registers even where ECAP.QI */
};

/* Where the console is (console=; docs/console.md). */
enum uhv_console_kind {
	UHV_CONSOLE_AUTO,	/* no console=: COM1 if a UART answers there, else ACPI SPCR */
	UHV_CONSOLE_PORT,	/* ttyS0..3, com1..4, 0xPORT */
	UHV_CONSOLE_PCI,	/* pci: the first PCI serial controller (class 07 00) */
	UHV_CONSOLE_PCI_BDF,	/* [SSSS:]BB:DD.F: that PCI function */
	UHV_CONSOLE_MMIO,	/* mmio,0xADDR: byte registers, one per byte */
	UHV_CONSOLE_MMIO32,	/* mmio32,0xADDR: dword registers, one per dword (Intel LPSS) */
	UHV_CONSOLE_SPCR,	/* spcr: the UART the ACPI SPCR table names */
};

/* preempt-timer=: whether the console poll uses the VMX-preemption timer (auto: unless the CPU
 * has a timer erratum, <uhv/preempt_errata.h>) or the guest's idle exits (debug/idle_poll.c). */
enum uhv_preempt_timer { UHV_PREEMPT_AUTO, UHV_PREEMPT_ON, UHV_PREEMPT_OFF };

struct uhv_options {
	u8 console_kind;		/* enum uhv_console_kind; default UHV_CONSOLE_AUTO */
	u64 console_addr;		/* mmio, mmio32: physical address of the registers */
	u16 console_seg;		/* PCI_BDF: the function */
	u8 console_bus, console_dev, console_fn;
	u16 console_port;		/* 16550 I/O port base; default 0x3f8 (ttyS0) */
	u32 console_baud;		/* divides 115200; default 115200; 0 (pci, mmio, spcr
					 * without BAUD): keep the firmware's line speed */
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
	enum uhv_vtd_inval vtd_inval;	/* vtd-inval=: default UHV_VTD_INVAL_AUTO */
	bool vtd_ir_compat_allow;	/* vtd-ir-compat=allow: CFI set (default block) */
	bool console_screen;		/* the screen console (drivers/fbcon.c): default true; a
					 * console= without ,fb turns it off */
#ifdef UHV_TEST_BUILD	/* include/uhv/test_hooks.h: not in the production image */
	u8 panic_test;			/* deliberately raise this CPU exception (tests) */
	bool tsc_skip_pm;		/* tsc-skip-pm: calibrate without the ACPI PM timer */
#define UHV_PANIC_VMENTRY_GUEST	0xf0	/* panic-test=vmentry-guest: invalid guest state */
#define UHV_PANIC_VMENTRY_CTL	0xf1	/* panic-test=vmentry-ctl: invalid VM-execution control */
	bool vtd_test_fw_te;		/* vtd-test-fw-te: firmware-like VT-d state first (test 47) */
	bool vtd_test_ir_preenable;	/* vtd-test-ir-preenable: firmware-like IR first (test 49) */
	u8 end_test;			/* end-test=: enum platform_end, the guest's end without one */
	u64 lowmem_reserve[2];		/* lowmem-reserve=: [base, end) below 1 MiB firmware-reserved */
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
/* arch/console_option.c: console= other than a legacy port (pci, [SSSS:]BB:DD.F, mmio,0xADDR,
 * mmio32,0xADDR, spcr; each [,BAUD]). 0 or -EINVAL (o unchanged). */
int options_parse_console(const char *val, size_t len, struct uhv_options *o);
/* "[SSSS:]BB:DD.F" in hex, as nic= and console= take it. 0 or -EINVAL. */
int options_parse_bdf(const char *val, size_t len, u16 *seg, u8 *bus, u8 *dev, u8 *fn);
/* console= as options_print shows it: "0x3f8,115200", "pci", "mmio32,0xfe030000,115200". */
const char *options_console_name(const struct uhv_options *o, char *buf, size_t cap);

const char *options_loglevel_name(enum log_level l);
/* "auto", "qi" or "reg" */
const char *options_vtd_inval_name(enum uhv_vtd_inval v);
/* The cpus= value as the user writes it: "all" for 0, else the number (in buf). */
#define OPTIONS_CPUS_NAME_LEN 12
const char *options_cpus_name(u32 cpus, char buf[OPTIONS_CPUS_NAME_LEN]);

#endif
