/* The serial monitor's commands (pure, host-tested): number parsing, each command, the
 * command table with its abbreviations, help, and monitor_execute(), which splits a line into
 * words and runs one command. The line editor that feeds it is in monitor.c. */
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/monitor.h>
#include <uhv/string.h>
#include "monitor_priv.h"

struct monitor_cmd {
	const char *name;
	const char *args;	/* usage after the name, "" for none */
	const char *help;
	/* 0, or -EINVAL to have the usage printed */
	int (*run)(struct monitor *m, int argc, char **argv);
	bool exact;		/* never reached by an abbreviation */
};

/* ---- numbers --------------------------------------------------------------------------------- */

int monitor_parse_u64(const char *s, u64 *out)
{
	unsigned base = 10;
	u64 v = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	for (; *s; s++) {
		unsigned d;
		char c = *s;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* A number argument; says what is wrong with it. */
static int arg_u64(struct monitor *m, const char *what, const char *s, u64 *out)
{
	int err = monitor_parse_u64(s, out);

	if (err == -ERANGE)
		monitor_printf(m, "uhv: %s '%s' does not fit in 64 bits\n", what, s);
	else if (err)
		monitor_printf(m, "uhv: %s '%s' is not a number (decimal, or hex with 0x)\n",
			       what, s);
	return err;
}

/* ---- commands -------------------------------------------------------------------------------- */

static int cmd_help(struct monitor *m, int argc, char **argv);

static int cmd_info(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	m->be->info(m->be->ctx, m);
	return 0;
}

static int cmd_exits(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	m->be->print_exits(m->be->ctx, m);
	return 0;
}

static int cmd_regs(struct monitor *m, int argc, char **argv)
{
	struct monitor_regs r;
	int err;

	if (argc != 1)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	err = m->be->get_regs(m->be->ctx, &r);
	if (err) {
		monitor_printf(m, "uhv: cannot read the guest's registers: %s\n", errno_name(err));
		return 0;
	}
	monitor_printf(m, "rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
		       r.rax, r.rbx,
		       r.rcx, r.rdx);
	monitor_printf(m, "rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx\n",
		       r.rsi, r.rdi,
		       r.rbp, r.rsp);
	monitor_printf(m, "r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n",
		       r.r8, r.r9,
		       r.r10, r.r11);
	monitor_printf(m, "r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n",
		       r.r12, r.r13,
		       r.r14, r.r15);
	monitor_printf(m, "rip=%016llx rflags=%016llx\n",
		       r.rip, r.rflags);
	monitor_printf(m, "cs=%04x ss=%04x ds=%04x es=%04x fs=%04x gs=%04x tr=%04x ldtr=%04x\n",
		       r.cs, r.ss, r.ds, r.es, r.fs, r.gs, r.tr, r.ldtr);
	monitor_printf(m, "fs_base=%016llx gs_base=%016llx\n",
		       r.fs_base, r.gs_base);
	monitor_printf(m, "cr0=%016llx cr2=%016llx cr3=%016llx\n",
		       r.cr0, r.cr2,
		       r.cr3);
	monitor_printf(m, "cr4=%016llx efer=%016llx dr7=%016llx\n",
		       r.cr4, r.efer,
		       r.dr7);
	return 0;
}

static void dump_line(struct monitor *m, u64 addr, const u8 *b, size_t n)
{
	char hex[16 * 3 + 1], asc[17];
	size_t i;

	for (i = 0; i < 16; i++) {
		if (i < n) {
			ksnprintf(hex + 3 * i, 4, "%02x ", b[i]);
			asc[i] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '.';
		} else {
			memcpy(hex + 3 * i, "   ", 4);
			asc[i] = ' ';
		}
	}
	asc[16] = 0;
	monitor_printf(m, "%016llx: %s|%s|\n", addr, hex, asc);
}

/* mem / vmem: hex dump through one of the read callbacks */
static int dump(struct monitor *m, int argc, char **argv, bool virt)
{
	int (*rd)(void *, u64, void *, size_t) = virt ? m->be->read_gva : m->be->read_gpa;
	const char *space = virt ? "GVA" : "GPA";
	u64 addr, len, done = 0;

	if (argc != 3)
		return -EINVAL;
	if (arg_u64(m, space, argv[1], &addr) || arg_u64(m, "LEN", argv[2], &len))
		return 0;
	if (len == 0 || len > MONITOR_DUMP_MAX) {
		monitor_printf(m, "uhv: LEN must be 1..%u\n", MONITOR_DUMP_MAX);
		return 0;
	}
	if (addr + len - 1 < addr) {
		monitor_printf(m, "uhv: %s 0x%llx + LEN wraps around the address space\n", space,
			       addr);
		return 0;
	}
	while (done < len) {
		size_t want = (size_t)MIN(len - done, (u64)sizeof(m->dump));
		int got = rd(m->be->ctx, addr + done, m->dump, want);
		size_t n = got > 0 ? MIN((size_t)got, want) : 0;

		for (size_t i = 0; i < n; i += 16)
			dump_line(m, addr + done + i, m->dump + i, MIN(n - i, (size_t)16));
		done += n;
		if (n < want) {
			monitor_printf(m, "uhv: %s 0x%llx cannot be read (%s)\n", space,
				       (addr + done),
				       errno_name(got < 0 ? got : -EFAULT));
			break;
		}
	}
	return 0;
}

static int cmd_mem(struct monitor *m, int argc, char **argv)
{
	return dump(m, argc, argv, false);
}

static int cmd_vmem(struct monitor *m, int argc, char **argv)
{
	return dump(m, argc, argv, true);
}

static int cmd_ept(struct monitor *m, int argc, char **argv)
{
	u64 gpa;
	int err;

	if (argc != 2)
		return -EINVAL;
	if (arg_u64(m, "GPA", argv[1], &gpa))
		return 0;
	err = m->be->ept_walk(m->be->ctx, m, gpa);
	if (err)
		monitor_printf(m, "uhv: no EPT walk for GPA 0x%llx: %s\n",
			       gpa, errno_name(err));
	return 0;
}

static int cmd_iommu(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	m->be->iommu_print(m->be->ctx, m);
	return 0;
}

static int cmd_pci(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	m->be->pci_print(m->be->ctx, m);
	return 0;
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static int cmd_log(struct monitor *m, int argc, char **argv)
{
	u64 n;
	int err;

	if (argc != 2)
		return -EINVAL;
	for (n = 0; n < ARRAY_SIZE(level_names); n++)
		if (!strcmp(argv[1], level_names[n]))
			break;
	if (n == ARRAY_SIZE(level_names) && (monitor_parse_u64(argv[1], &n) || n > LOG_DEBUG))
		return -EINVAL;
	err = m->be->set_loglevel(m->be->ctx, (enum log_level)n);
	if (err)
		monitor_printf(m, "uhv: cannot set the log level: %s\n", errno_name(err));
	else
		monitor_printf(m, "uhv: log level %s\n", level_names[n]);
	return 0;
}

static int cmd_step(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	m->active = false;	/* back through monitor_enter() after the step */
	m->be->step(m->be->ctx);
	return 0;
}

static int cmd_continue(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	monitor_puts(m, "uhv: guest continues (Ctrl-] m for the monitor)\n");
	m->active = false;
	m->be->cont(m->be->ctx);
	return 0;
}

static int cmd_reset(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	monitor_puts(m, "uhv: resetting the guest\n");
	m->active = false;
	m->be->reset(m->be->ctx);
	return 0;
}

static int cmd_gdb(struct monitor *m, int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	monitor_puts(m, "uhv: console handed to the GDB stub; detach in GDB to get it back\n");
	m->active = false;
	m->be->gdb(m->be->ctx);
	return 0;
}

static const struct monitor_cmd commands[] = {
	{ "help", "[COMMAND]", "list the commands, or show one", cmd_help, false },
	{ "info", "", "uhv and guest summary", cmd_info, false },
	{ "exits", "", "VM exit counts by reason", cmd_exits, false },
	{ "regs", "", "guest registers", cmd_regs, false },
	{ "mem", "GPA LEN", "dump guest-physical memory (LEN <= 4096)", cmd_mem, false },
	{ "vmem", "GVA LEN", "dump guest-virtual memory through the guest's page tables",
	  cmd_vmem, false },
	{ "ept", "GPA", "walk the EPT for a guest-physical address", cmd_ept, false },
	{ "iommu", "", "VT-d state and recorded DMA faults", cmd_iommu, false },
	{ "pci", "", "PCI devices and who owns them", cmd_pci, false },
	{ "log", "error|warn|info|debug", "set the console log level", cmd_log, false },
	{ "step", "", "execute one guest instruction", cmd_step, false },
	{ "continue", "", "leave the monitor, the guest runs on", cmd_continue, false },
	{ "reset", "", "reset the guest (type it in full)", cmd_reset, true },
	{ "gdb", "", "hand this console to the GDB stub", cmd_gdb, false },
};

static bool cmd_available(const struct monitor *m, const struct monitor_cmd *c)
{
	return c->run != cmd_gdb || m->be->gdb;
}

static void usage(struct monitor *m, const struct monitor_cmd *c)
{
	monitor_printf(m, "usage: %s%s%s\n", c->name, *c->args ? " " : "", c->args);
}

/* Exact name, or an unambiguous abbreviation of a command that allows one. */
static const struct monitor_cmd *find_cmd(struct monitor *m, const char *word, bool *ambiguous)
{
	const struct monitor_cmd *hit = NULL;
	size_t n = strlen(word);

	*ambiguous = false;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (cmd_available(m, &commands[i]) && !strcmp(commands[i].name, word))
			return &commands[i];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct monitor_cmd *c = &commands[i];
		if (c->exact || !cmd_available(m, c) || strncmp(c->name, word, n))
			continue;
		if (hit) {
			*ambiguous = true;
			return NULL;
		}
		hit = c;
	}
	return hit;
}

static int cmd_help(struct monitor *m, int argc, char **argv)
{
	bool ambiguous;

	if (argc > 2)
		return -EINVAL;
	if (argc == 2) {
		const struct monitor_cmd *c = find_cmd(m, argv[1], &ambiguous);
		if (!c) {
			monitor_printf(m, "uhv: no command '%s'\n", argv[1]);
			return 0;
		}
		usage(m, c);
		monitor_printf(m, "  %s\n", c->help);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct monitor_cmd *c = &commands[i];
		if (cmd_available(m, c))
			monitor_printf(m, "  %-8s %-22s %s\n", c->name, c->args, c->help);
	}
	monitor_puts(m, "Numbers are decimal or 0x hex. "
		     "Commands may be abbreviated (not reset).\n");
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int monitor_execute(struct monitor *m, const char *line)
{
	char *argv[MONITOR_MAX_WORDS];
	int argc = 0;
	size_t n = strnlen(line, MONITOR_LINE_MAX);
	const struct monitor_cmd *c;
	bool ambiguous;
	char *p;

	memmove(m->work, line, n);
	m->work[n] = 0;
	for (p = m->work; *p;) {
		while (is_space(*p))
			*p++ = 0;
		if (!*p)
			break;
		if (argc == MONITOR_MAX_WORDS) {
			argc++;		/* too many: the command's usage will say */
			break;
		}
		argv[argc++] = p;
		while (*p && !is_space(*p))
			p++;
	}
	if (!argc)
		return 0;
	c = find_cmd(m, argv[0], &ambiguous);
	if (!c) {
		monitor_printf(m, "uhv: %s command '%s'; 'help' lists them\n",
			       ambiguous ? "ambiguous" : "unknown", argv[0]);
		return -EINVAL;
	}
	if (argc > MONITOR_MAX_WORDS || c->run(m, argc, argv) == -EINVAL) {
		usage(m, c);
		return -EINVAL;
	}
	return 0;
}
