/* Console logging: format into a line buffer, prefix it, write it to the
 * serial console. */
#include <uhv/log.h>
#include <uhv/format.h>
#include <uhv/uart.h>

/* Current level; set once from loglevel= and by the monitor. */
static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level level) { log_level = level; }
enum log_level log_get_level(void) { return log_level; }

/* Lines held while a guest owns the console (log_hold): boot CPU only. */
static struct {
	bool on;
	size_t len;
	unsigned lost;
	char buf[8192];
} held;

void log_hold(void) { held.on = true; }

void log_release(void)
{
	if (!held.on)
		return;
	held.on = false;
	uart_write(held.buf, held.len);
	if (held.lost)
		log_raw("uhv: (%u more log lines were dropped while the guest ran)\n", held.lost);
	held.len = 0;
	held.lost = 0;
}

static void emit(enum log_level level, const char *line, size_t len)
{
	if (held.on && level != LOG_ERROR) {
		if (held.len + len > sizeof(held.buf)) {
			held.lost++;
			return;
		}
		for (size_t i = 0; i < len; i++)
			held.buf[held.len + i] = line[i];
		held.len += len;
		return;
	}
	log_release();
	uart_write(line, len);
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
