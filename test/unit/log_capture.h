/* Host-test replacement for lib/log.c: messages go to a buffer that tests
 * can search, and (with UHV_TEST_VERBOSE=1 in the environment) to stderr. */
#ifndef LOG_CAPTURE_H
#define LOG_CAPTURE_H
#include <stdbool.h>

void log_capture_reset(void);
/* true if any captured line contains needle */
bool log_capture_contains(const char *needle);
const char *log_capture_text(void);
#endif
