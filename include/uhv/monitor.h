/* The serial monitor: the uhv> prompt reached with Ctrl-] m (debug/monitor.c,
 * pure, host-tested).
 *
 * The monitor edits a line (backspace, Ctrl-U, Ctrl-W, Ctrl-C, up/down
 * history), splits it into words and runs one command from its table. It
 * knows nothing about VMX: every command reaches the machine through the
 * backend callbacks, and all output goes through the backend's put(), which
 * should turn "\n" into "\r\n" (uart_write does).
 *
 * What the VMX side has to do:
 *   - when console_escape_feed() says CONSOLE_MONITOR: stop the guest (stay
 *     out of VM entry) and call monitor_enter(m, "escape");
 *   - while monitor_active(m), poll the console UART and hand every byte to
 *     monitor_feed() instead of the guest;
 *   - the backend's cont() / reset() / gdb() leave the monitor (it is then
 *     inactive): resume the guest, or reset it, or start the GDB stub;
 *   - step(): run one guest instruction (MTF), then call
 *     monitor_enter(m, "step") again. */
#ifndef UHV_MONITOR_H
#define UHV_MONITOR_H

#include <uhv/log.h>
#include <uhv/types.h>

#define MONITOR_LINE_MAX	78	/* characters in a command line */
#define MONITOR_HISTORY		8	/* remembered lines */
#define MONITOR_MAX_WORDS	6	/* command and its arguments */
#define MONITOR_DUMP_MAX	4096	/* largest LEN of mem / vmem */
#define MONITOR_PROMPT		"uhv> "

struct monitor;

/* The guest's state for "regs" (and the "stopped at" line). */
struct monitor_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rip, rflags;
	u16 cs, ss, ds, es, fs, gs, tr, ldtr;
	u64 fs_base, gs_base;
	u64 cr0, cr2, cr3, cr4, efer, dr7;
};

struct monitor_backend {
	void *ctx;
	/* Console output (text, "\n" line ends). */
	void (*put)(void *ctx, const char *s, size_t len);
	/* Printers: write with monitor_printf(m, ...). */
	void (*info)(void *ctx, struct monitor *m);		/* uhv and guest summary */
	void (*print_exits)(void *ctx, struct monitor *m);	/* exit counts by reason */
	void (*iommu_print)(void *ctx, struct monitor *m);	/* VT-d units, faults */
	void (*pci_print)(void *ctx, struct monitor *m);	/* devices, who owns them */
	/* Print the EPT walk for gpa level by level; 0 or -errno. */
	int (*ept_walk)(void *ctx, struct monitor *m, u64 gpa);
	int (*get_regs)(void *ctx, struct monitor_regs *r);	/* 0 or -errno */
	/* Guest-physical (through EPT) and guest-virtual (through the guest's
	 * current page tables, then EPT) reads: bytes copied, short at the first
	 * unreadable byte, or -errno. */
	int (*read_gpa)(void *ctx, u64 gpa, void *buf, size_t len);
	int (*read_gva)(void *ctx, u64 gva, void *buf, size_t len);
	int (*set_loglevel)(void *ctx, enum log_level level);
	/* These three leave the monitor. */
	void (*step)(void *ctx);	/* one instruction, then monitor_enter() */
	void (*cont)(void *ctx);	/* resume the guest */
	void (*reset)(void *ctx);	/* reset (reboot) the guest */
	/* Hand the console to the GDB stub; NULL hides the "gdb" command. */
	void (*gdb)(void *ctx);
};

struct monitor {
	const struct monitor_backend *be;
	bool active;
	unsigned enters;	/* monitor_enter() calls, to notice a re-entry */
	u8 esc;			/* terminal escape sequence being skipped */
	bool last_cr;		/* a CR ended the last line: ignore an LF after it */
	size_t len;
	char line[MONITOR_LINE_MAX + 1];
	char work[MONITOR_LINE_MAX + 1];	/* tokenized copy */
	char hist[MONITOR_HISTORY][MONITOR_LINE_MAX + 1];
	unsigned hist_count;	/* lines stored, at most MONITOR_HISTORY */
	unsigned hist_next;	/* ring slot of the next line to store */
	unsigned hist_back;	/* 0 = editing a new line, n = n-th most recent */
	u8 dump[256];
};

void monitor_init(struct monitor *m, const struct monitor_backend *be);
/* The guest is stopped: print why and where, then the prompt. */
void monitor_enter(struct monitor *m, const char *why);
/* One byte typed at the console. Returns monitor_active() afterwards. */
bool monitor_feed(struct monitor *m, u8 byte);
static inline bool monitor_active(const struct monitor *m)
{
	return m->active;
}
/* Run one command line as if typed (no prompt); 0, or -EINVAL after a usage
 * or unknown-command message. */
int monitor_execute(struct monitor *m, const char *line);
void monitor_printf(struct monitor *m, const char *fmt, ...) __printf(2, 3);

/* "0x..." hex or decimal, the whole string: 0, -EINVAL or -ERANGE. */
int monitor_parse_u64(const char *s, u64 *out);

#endif
