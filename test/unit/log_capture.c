#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uhv/log.h>
#include <uhv/format.h>
#include "log_capture.h"

static char captured[1 << 16];
static size_t used;
static enum log_level current = LOG_DEBUG;

void log_capture_reset(void)
{
	used = 0;
	captured[0] = 0;
}

bool log_capture_contains(const char *needle)
{
	return strstr(captured, needle) != NULL;
}

const char *log_capture_text(void)
{
	return captured;
}

static void append(const char *s)
{
	size_t n = strlen(s);
	if (used + n + 1 >= sizeof(captured))
		n = sizeof(captured) - used - 1;
	memcpy(captured + used, s, n);
	used += n;
	captured[used] = 0;
	const char *v = getenv("UHV_TEST_VERBOSE");
	if (v && *v == '1')
		fputs(s, stderr);
}

void log_vprintf(enum log_level level, const char *module, const char *fmt, va_list ap)
{
	char line[1024];
	const char *tag = level == LOG_ERROR ? "ERROR: " : level == LOG_WARN ? "warning: " : "";
	int n = strcmp(module, "uhv") ? ksnprintf(line, sizeof(line), "uhv %s: %s", module, tag)
				       : ksnprintf(line, sizeof(line), "uhv: %s", tag);
	kvsnprintf(line + n, sizeof(line) - n, fmt, ap);
	append(line);
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
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	append(line);
}

void log_set_level(enum log_level level) { current = level; }
enum log_level log_get_level(void) { return current; }

/* lib/log.c's console hold has nothing to hold here */
void log_hold(void) {}
void log_release(void) {}
