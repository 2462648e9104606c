/* Console logging: format into a line buffer, prefix it, write it to the
 * serial console (and to the screen console, drivers/fbcon.c, until the guest
 * is launched). Several CPUs log: a line is written whole under the console
 * lock, so lines never interleave. On the panic path (log_panic, or while
 * smp_stop_others stops the CPUs) nobody waits long for that lock: a CPU that
 * died or was stopped holding it must not silence the report, so the lock is
 * broken after PANIC_WAIT_MS; and a CPU that faults (or takes the stop NMI)
 * while it holds the lock itself writes without it. */
#include <uhv/log.h>
#include <uhv/fbcon.h>
#include <uhv/format.h>
#include <uhv/percpu.h>
#include <uhv/smp.h>
#include <uhv/spinlock.h>
#include <uhv/timer.h>
#include <uhv/uart.h>

#define NO_CPU		0xffffffffu
#define PANIC_WAIT_MS	200	/* longer than one 512-byte line at 115200 baud (45 ms) */

/* Current level; set once from loglevel= and by the monitor. */
static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level level) { log_level = level; }
enum log_level log_get_level(void) { return log_level; }

/* The console: the lock, the CPU holding it, and whether a panic is being reported. */
static struct spinlock console_lock = SPINLOCK_INIT;
static volatile u32 console_owner = NO_CPU;
static volatile bool panicking;

void log_panic(void) { panicking = true; }

/* Take the console; false when this CPU already holds it (then it must not be released). */
static bool console_enter(void)
{
	u32 me = this_cpu()->cpu;	/* GS is set before the first line (smp_init_boot_cpu) */

	if (console_owner == me)
		return false;
	if (panicking || smp_stopping()) {
		u64 khz = tsc_khz() ? tsc_khz() : 1000000;	/* uncalibrated: say 1 GHz */

		spin_lock_or_break(&console_lock, khz * PANIC_WAIT_MS);
	} else {
		spin_lock(&console_lock);
	}
	console_owner = me;
	return true;
}

static void console_exit(bool taken)
{
	if (!taken)
		return;
	console_owner = NO_CPU;
	spin_unlock(&console_lock);
}

/* Lines held while a guest owns the console (log_hold), or while the guest is in the middle of a
 * line on the shared UART (log_guest_putc); under the console lock. */
static struct {
	bool on;
	size_t len;
	unsigned lost;
	char buf[8192];
} held;

/* The guest's console output on the same UART: in the middle of a line since its last byte. */
static struct {
	bool mid;
	u64 last;		/* TSC of its last byte */
} guest_line;

#define GUEST_LINE_WAIT_MS	200	/* how long uhv's lines wait for the guest's line to end */

void log_hold(void) { held.on = true; }

static void flush_held(void)
{
	if (!held.len && !held.lost)
		return;
	uart_write(held.buf, held.len);
	if (held.lost) {
		char line[96];
		int n = ksnprintf(line, sizeof(line),
				  "uhv: (%u more log lines were dropped while the guest ran)\n",
				  held.lost);
		uart_write(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	held.len = 0;
	held.lost = 0;
}

/* The guest is writing a line now: uhv's lines wait for its end. A line it leaves open (a
 * prompt waiting for input) stops counting after GUEST_LINE_WAIT_MS. */
static bool guest_line_open(void)
{
	u64 khz = tsc_khz() ? tsc_khz() : 1000000;	/* uncalibrated: say 1 GHz */

	return guest_line.mid && rdtsc() - guest_line.last < khz * GUEST_LINE_WAIT_MS;
}

/* uhv writes now: end the guest's unfinished line first, then what was held. */
static void break_guest_line(void)
{
	if (guest_line.mid) {
		uart_write("\n", 1);
		guest_line.mid = false;
	}
	if (!held.on)
		flush_held();
}

void log_release(void)
{
	bool taken = console_enter();

	held.on = false;
	break_guest_line();
	console_exit(taken);
}

/* After the guest's bytes: is its line still open? Its end lets the held lines out. */
static void guest_wrote(char last)
{
	guest_line.mid = last != '\n';
	guest_line.last = rdtsc();
	if (!guest_line.mid && !held.on)
		flush_held();
}

void log_guest_putc(u8 c, void (*put)(void *ctx, u8 c), void *ctx)
{
	bool taken = console_enter();

	if (guest_line.mid && !guest_line_open() && held.len)
		break_guest_line();	/* held lines that waited long enough go first */
	put(ctx, c);
	guest_wrote((char)c);
	console_exit(taken);
}

void log_guest_write(const char *s, size_t len)
{
	if (!len)
		return;
	bool taken = console_enter();

	if (guest_line.mid && !guest_line_open() && held.len)
		break_guest_line();
	uart_write(s, len);
	guest_wrote(s[len - 1]);
	console_exit(taken);
}

void log_poll(void)
{
	if (!held.len || held.on || guest_line_open())
		return;
	bool taken = console_enter();

	if (!held.on && !guest_line_open())
		break_guest_line();
	console_exit(taken);
}

static void emit(enum log_level level, const char *line, size_t len)
{
	bool taken = console_enter();

	if ((held.on || guest_line_open()) && level != LOG_ERROR) {
		if (held.len + len > sizeof(held.buf)) {
			held.lost++;
		} else {
			for (size_t i = 0; i < len; i++)
				held.buf[held.len + i] = line[i];
			held.len += len;
		}
	} else {
		held.on = held.on && level != LOG_ERROR;
		break_guest_line();
		uart_write(line, len);
		fbcon_write(line, len);	/* the screen too, until the guest is launched */
	}
	console_exit(taken);
}

void log_vprintf(enum log_level level, const char *module, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	char line[512];
	const char *tag = level == LOG_ERROR ? "ERROR: " : level == LOG_WARN ? "warning: " : "";
	bool plain = module[0] == 'u' && module[1] == 'h' && module[2] == 'v' && !module[3];
	int n = plain ? ksnprintf(line, sizeof(line), "uhv: %s", tag)
		      : ksnprintf(line, sizeof(line), "uhv %s: %s", module, tag);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	int m = kvsnprintf(line + n, sizeof(line) - n, fmt, ap);
	size_t len = n + (m < (int)(sizeof(line) - n) ? m : (int)(sizeof(line) - n) - 1);
	emit(level, line, len);
}

void log_printf(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprintf(level, module, fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int m = kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(LOG_INFO, line, m < (int)sizeof(line) ? (size_t)m : sizeof(line) - 1);
}
