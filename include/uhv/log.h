/* Console logging with levels.
 *
 * Every line is printed as "uhv <module>: <text>", with "ERROR: " or
 * "warning: " after the colon for those levels. A file sets its module name
 * by defining LOG_MODULE before including this header.
 *
 * The hypervisor implements log_printf in lib/log.c (serial console);
 * host unit tests provide their own (test/unit/log_capture.c) to capture
 * and check messages. */
#ifndef UHV_LOG_H
#define UHV_LOG_H

#include <stdarg.h>
#include <uhv/types.h>

#ifndef LOG_MODULE
#define LOG_MODULE "uhv"
#endif

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

void log_printf(enum log_level level, const char *module, const char *fmt, ...) __printf(3, 4);
void log_vprintf(enum log_level level, const char *module, const char *fmt, va_list ap);
/* Raw output with no prefix and no level filter (tables, hex dumps). */
void log_raw(const char *fmt, ...) __printf(1, 2);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* While a guest drives the console UART itself, uhv's lines would interleave
 * with its output: log_hold() keeps lines below LOG_ERROR in a buffer until
 * log_release() prints them (an error releases them first; platform_exit
 * releases them). The buffer is 8 KiB; lines beyond it are counted. */
void log_hold(void);
void log_release(void);
/* One byte of the guest's own console output on uhv's UART (the vuart's THR), written by put
 * under the console lock: uhv's lines and the guest's never mix within a line. While the guest
 * is in the middle of a line, uhv's lines below LOG_ERROR wait (held as above) until it ends
 * the line, or until it has been quiet for 200 ms (a prompt waiting for input): then uhv ends
 * the guest's line with a newline and prints them. */
void log_guest_putc(u8 c, void (*put)(void *ctx, u8 c), void *ctx);
/* The same for text the guest hands uhv to print (the console hypercall), via uart_write. */
void log_guest_write(const char *s, size_t len);
/* Print lines that waited for a guest line the guest left open (the console poll calls it). */
void log_poll(void);
/* A panic is being reported (arch/exceptions.c): from now on no CPU waits long for the console lock
 * (lines from several CPUs are otherwise never interleaved; a CPU that holds the lock and faults
 * or is stopped writes without it). */
void log_panic(void);

#define pr_err(...)   log_printf(LOG_ERROR, LOG_MODULE, __VA_ARGS__)
#define pr_warn(...)  log_printf(LOG_WARN, LOG_MODULE, __VA_ARGS__)
#define pr_info(...)  log_printf(LOG_INFO, LOG_MODULE, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_DEBUG, LOG_MODULE, __VA_ARGS__)

#endif
