/* Kernel command line: "key=value" options separated by blanks.
 *
 * A value may be double-quoted as a whole (key="a b"); the quotes are not
 * part of the value and there are no escapes. A token without '=' is a flag
 * and its setter gets val == NULL. A first token that contains '/' and no
 * '=' is the kernel image path GRUB puts in front and is skipped. */
#ifndef UHV_CMDLINE_H
#define UHV_CMDLINE_H

#include <uhv/types.h>

struct cmdline_opt {
	const char *key;
	/* val points into the command line (not NUL-terminated), len bytes;
	 * NULL for a flag. Returns 0 or -errno; an error is reported by the
	 * parser with the option, the value and the help text. */
	int (*set)(void *ctx, const char *val, size_t len);
	const char *help;	/* "ttyS0..3|com1..4|0xPORT[,BAUD]: serial console" */
};

/* Apply the options in s (NULL counts as empty) through the table. The line
 * is checked for unterminated quotes first, so a broken line changes nothing
 * and returns -EINVAL. Otherwise returns the number of bad values; unknown
 * options are warned about and do not count as errors. */
int cmdline_parse(const char *s, const struct cmdline_opt *opts, size_t n, void *ctx);

/* Value helpers for setters; all take (val, len) as given to a setter. */
bool cmdline_val_is(const char *val, size_t len, const char *word);
/* Unsigned integer: decimal, or hex with a 0x prefix. 0 or -EINVAL/-ERANGE. */
int cmdline_parse_u64(const char *val, size_t len, u64 *out);
/* Hex digits only (no prefix), at most max. 0 or -EINVAL/-ERANGE. */
int cmdline_parse_hex(const char *val, size_t len, u64 max, u64 *out);
/* Size: integer with optional K, M or G suffix (powers of 1024). */
int cmdline_parse_size(const char *val, size_t len, u64 *out);
/* Boolean: a flag (val NULL) is true; on/off, yes/no, true/false, 1/0. */
int cmdline_parse_bool(const char *val, size_t len, bool *out);

#endif
