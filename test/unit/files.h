/* Host-test helper: read a whole file (captured firmware tables, built
 * guests). Returns a malloc'ed buffer and its length, or NULL if the file
 * does not exist; fails the test on a read error. */
#ifndef UHV_TEST_FILES_H
#define UHV_TEST_FILES_H
#include <stddef.h>
#include <stdint.h>

uint8_t *test_read_file(const char *path, size_t *len);
#endif
