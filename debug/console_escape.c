/* Console escape state machine (pure, host-tested); the choice of keys is
 * explained in include/uhv/console_escape.h. */
#include <uhv/console_escape.h>

void console_escape_init(struct console_escape *e)
{
	e->pending = false;
}

enum console_action console_escape_feed(struct console_escape *e, u8 byte, u8 out[2],
					size_t *n)
{
	*n = 0;
	if (!e->pending) {
		if (byte == CONSOLE_ESCAPE_CHAR) {
			e->pending = true;
			return CONSOLE_NONE;
		}
		out[(*n)++] = byte;
		return CONSOLE_NONE;
	}

	e->pending = false;
	switch (byte) {
	case CONSOLE_ESCAPE_CHAR:
		out[(*n)++] = CONSOLE_ESCAPE_CHAR;
		return CONSOLE_NONE;
	case 'm':
	case 'M':
		return CONSOLE_MONITOR;
	case 'g':
	case 'G':
		return CONSOLE_GDB;
	case '?':
	case 'h':
		return CONSOLE_HELP;
	default:
		/* not one of ours: the guest gets exactly what was typed */
		out[(*n)++] = CONSOLE_ESCAPE_CHAR;
		out[(*n)++] = byte;
		return CONSOLE_NONE;
	}
}

const char *console_escape_help(void)
{
	return "uhv: escape keys: " CONSOLE_ESCAPE_NAME " m monitor, " CONSOLE_ESCAPE_NAME
	       " g gdb stub, " CONSOLE_ESCAPE_NAME " " CONSOLE_ESCAPE_NAME " sends "
	       CONSOLE_ESCAPE_NAME " to the guest";
}
