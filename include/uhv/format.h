/* printf-style formatting, own implementation (no libc in the hypervisor).
 * Supports %d %i %u %x %X %o %p %s %c %%, flags "-0+ #", width, precision,
 * '*' width/precision, and length modifiers hh h l ll z t j.
 * Named k* so host unit tests can link it next to libc.
 * One deliberate difference from C: "%#x" of 0 prints "0x0" (C prints "0"),
 * so addresses and register values always read as hex on the console. */
#ifndef UHV_FORMAT_H
#define UHV_FORMAT_H

#include <stdarg.h>
#include <uhv/types.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
