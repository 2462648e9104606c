/* Check reporting: one line per check, a summary, and the end of the run. */
#include "rt.h"

static unsigned nr_ok, nr_fail, nr_skip;

void test_ok(const char *name)
{
	nr_ok++;
	printf("guest: test %s: ok\n", name);
}

void test_skip(const char *name, const char *why)
{
	nr_skip++;
	printf("guest: test %s: skipped (%s)\n", name, why);
}

static void vfail(const char *name, const char *fmt, va_list ap)
{
	char msg[400];

	nr_fail++;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf("guest: test %s: FAIL %s\n", name, msg);
}

void test_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
}

bool test_check(const char *name, bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		test_ok(name);
		return true;
	}
	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
	return false;
}

unsigned test_failures(void)
{
	return nr_fail;
}

__noreturn void test_finish(void)
{
	printf("guest: %u ok, %u failed, %u skipped\n", nr_ok, nr_fail, nr_skip);
	printf("guest: RESULT: %s\n", nr_fail ? "FAIL" : "PASS");
	guest_exit(nr_fail == 0);
}
