/* Inside the serial monitor: what its line editor (monitor.c) and its commands
 * (monitor_cmds.c) share beyond <uhv/monitor.h>. */
#ifndef UHV_DEBUG_MONITOR_PRIV_H
#define UHV_DEBUG_MONITOR_PRIV_H

#include <uhv/monitor.h>

/* Text to the console as it is: no formatting, so no length limit either. */
void monitor_puts(struct monitor *m, const char *s);

#endif
