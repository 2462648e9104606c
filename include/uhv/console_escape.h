/* Console escape: the state machine between the UART receive path and the
 * guest (debug/console_escape.c, pure).
 *
 * Every byte typed on the console goes to the guest unchanged, except the
 * escape prefix Ctrl-] (0x1d, ASCII GS) and the one byte after it:
 *
 *   Ctrl-] m    stop the guest and open the uhv> monitor (also 'M')
 *   Ctrl-] g    stop the guest and hand the console to the GDB stub (also 'G')
 *   Ctrl-] ?    print a one-line reminder of these keys (also 'h')
 *   Ctrl-] Ctrl-]  send one Ctrl-] to the guest
 *   Ctrl-] x    any other byte x: both bytes go to the guest, unchanged
 *
 * Why Ctrl-]: a guest shell practically never receives it (no line
 * discipline signal, no common readline binding that users type), it is the
 * key telnet, virsh console and many serial terminals already use to "leave
 * the connection", and unlike Ctrl-A it does not clash with QEMU's
 * -serial mon:stdio multiplexer or with screen/minicom/picocom. A second key
 * is needed so that garbage or a stray Ctrl-] cannot stop the guest on its
 * own, and so that "Ctrl-] twice" has an obvious meaning.
 *
 * The state is one byte; there is no allocation and no timeout: a lone
 * Ctrl-] waits for the next byte. */
#ifndef UHV_CONSOLE_ESCAPE_H
#define UHV_CONSOLE_ESCAPE_H

#include <uhv/types.h>

#define CONSOLE_ESCAPE_CHAR	0x1d	/* Ctrl-] */
#define CONSOLE_ESCAPE_NAME	"Ctrl-]"

enum console_action {
	CONSOLE_NONE,		/* nothing beyond the bytes in out[] */
	CONSOLE_MONITOR,	/* stop the guest, call monitor_enter() */
	CONSOLE_GDB,		/* stop the guest, start the GDB stub on this console */
	CONSOLE_HELP,		/* print console_escape_help() on the console */
};

struct console_escape {
	bool pending;		/* the last byte was the escape prefix */
};

void console_escape_init(struct console_escape *e);

/* Feed one received byte. out[] receives the 0, 1 or 2 bytes to hand to the
 * guest, in order, and *n their count; the return value says what else to do. */
enum console_action console_escape_feed(struct console_escape *e, u8 byte, u8 out[2],
					size_t *n);

/* "uhv: escape keys: Ctrl-] m monitor, ..." with no trailing newline. */
const char *console_escape_help(void);

#endif
