/* The serial monitor (pure, host-tested): its output, the line editor (backspace, Ctrl-U,
 * Ctrl-W, Ctrl-C, up/down history, terminal escape sequences swallowed) and entering it. A
 * finished line goes to monitor_execute() in monitor_cmds.c; the machine is reached through
 * struct monitor_backend. */
#include <stdarg.h>
#include <uhv/format.h>
#include <uhv/monitor.h>
#include <uhv/string.h>
#include "monitor_priv.h"

#define KEY_CTRL_C	0x03
#define KEY_BS		0x08
#define KEY_LF		0x0a
#define KEY_CR		0x0d
#define KEY_CTRL_U	0x15
#define KEY_CTRL_W	0x17
#define KEY_ESC		0x1b
#define KEY_DEL		0x7f

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

/* ---- output ---------------------------------------------------------------------------------- */

static void put(struct monitor *m, const char *s, size_t len)
{
	m->be->put(m->be->ctx, s, len);
}

void monitor_puts(struct monitor *m, const char *s)
{
	put(m, s, strlen(s));
}

void monitor_printf(struct monitor *m, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put(m, buf, MIN((size_t)n, sizeof(buf) - 1));
}

static void prompt(struct monitor *m)
{
	monitor_puts(m, MONITOR_PROMPT);
}

/* ---- line editor ----------------------------------------------------------------------------- */

static void erase_chars(struct monitor *m, size_t n)
{
	while (n--)
		monitor_puts(m, "\b \b");
}

static void set_line(struct monitor *m, const char *s)
{
	erase_chars(m, m->len);
	m->len = strnlen(s, MONITOR_LINE_MAX);
	memcpy(m->line, s, m->len);
	m->line[m->len] = 0;
	put(m, m->line, m->len);
}

static void history_add(struct monitor *m)
{
	unsigned last = (m->hist_next + MONITOR_HISTORY - 1) % MONITOR_HISTORY;

	if (!m->len || (m->hist_count && !strcmp(m->hist[last], m->line)))
		return;
	memcpy(m->hist[m->hist_next], m->line, m->len + 1);
	m->hist_next = (m->hist_next + 1) % MONITOR_HISTORY;
	if (m->hist_count < MONITOR_HISTORY)
		m->hist_count++;
}

/* back: 1 = previous line (up), -1 = next (down) */
static void history_move(struct monitor *m, int dir)
{
	unsigned want = m->hist_back;

	if (dir > 0 && want < m->hist_count)
		want++;
	else if (dir < 0 && want > 0)
		want--;
	else
		return;
	m->hist_back = want;
	if (!want) {
		set_line(m, "");
		return;
	}
	set_line(m, m->hist[(m->hist_next + MONITOR_HISTORY - want) % MONITOR_HISTORY]);
}

static void submit(struct monitor *m)
{
	unsigned enters = m->enters;

	monitor_puts(m, "\n");
	m->line[m->len] = 0;
	history_add(m);
	m->hist_back = 0;
	monitor_execute(m, m->line);
	if (m->enters != enters)
		return;		/* the command re-entered the monitor (a step): it prompted */
	m->len = 0;
	m->line[0] = 0;
	if (m->active)
		prompt(m);
}

/* Swallow terminal escape sequences (arrow keys and the like). */
static void escape_byte(struct monitor *m, u8 c)
{
	switch (m->esc) {
	case ESC_START:
		m->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
		return;
	case ESC_CSI:
		if (c >= 0x20 && c <= 0x3f)
			return;		/* parameter and intermediate bytes */
		__attribute__((fallthrough));	/* c is the final byte */
	case ESC_SS3:
	default:
		m->esc = ESC_NONE;
		if (c == 'A')
			history_move(m, 1);
		else if (c == 'B')
			history_move(m, -1);
		return;
	}
}

bool monitor_feed(struct monitor *m, u8 c)
{
	bool after_cr = m->last_cr;

	if (!m->active)
		return false;
	m->last_cr = false;
	if (m->esc != ESC_NONE) {
		escape_byte(m, c);
		return m->active;
	}
	switch (c) {
	case KEY_CR:
		m->last_cr = true;
		submit(m);
		break;
	case KEY_LF:
		if (!after_cr)
			submit(m);
		break;
	case KEY_BS:
	case KEY_DEL:
		if (m->len) {
			m->line[--m->len] = 0;
			erase_chars(m, 1);
		}
		break;
	case KEY_CTRL_U:
		erase_chars(m, m->len);
		m->len = 0;
		m->line[0] = 0;
		break;
	case KEY_CTRL_W:
		while (m->len && m->line[m->len - 1] == ' ') {
			m->line[--m->len] = 0;
			erase_chars(m, 1);
		}
		while (m->len && m->line[m->len - 1] != ' ') {
			m->line[--m->len] = 0;
			erase_chars(m, 1);
		}
		break;
	case KEY_CTRL_C:
		monitor_puts(m, "^C\n");
		m->len = 0;
		m->line[0] = 0;
		m->hist_back = 0;
		prompt(m);
		break;
	case KEY_ESC:
		m->esc = ESC_START;
		break;
	default:
		if (c == '\t')
			c = ' ';
		if (c < 0x20 || c >= 0x7f)
			break;		/* other control bytes and non-ASCII: ignored */
		if (m->len >= MONITOR_LINE_MAX) {
			monitor_puts(m, "\a");	/* line full */
			break;
		}
		m->line[m->len++] = (char)c;
		m->line[m->len] = 0;
		put(m, (const char *)&c, 1);
		break;
	}
	return m->active;
}

void monitor_enter(struct monitor *m, const char *why)
{
	struct monitor_regs r;

	m->active = true;
	m->enters++;
	m->esc = ESC_NONE;
	m->last_cr = false;
	m->len = 0;
	m->line[0] = 0;
	m->hist_back = 0;
	memset(&r, 0, sizeof(r));
	if (m->be->get_regs(m->be->ctx, &r) == 0)
		monitor_printf(m, "\nuhv: guest stopped (%s) at rip=%016llx; "
			       "'help' lists commands\n", why, r.rip);
	else
		monitor_printf(m, "\nuhv: guest stopped (%s); 'help' lists commands\n", why);
	prompt(m);
}

void monitor_init(struct monitor *m, const struct monitor_backend *be)
{
	memset(m, 0, sizeof(*m));
	m->be = be;
}
