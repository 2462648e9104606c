/* panic-test=: raise a CPU exception in uhv on purpose, so tests see the
 * exception report (test/system/15-crash-report.sh, 17-smp-bringup.sh).
 * Compiled only into the test variant build/uhv-test.elf (include/uhv/test_hooks.h). */
#define LOG_MODULE "uhv"
#include <uhv/test_hooks.h>
#include <uhv/options.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/platform.h>

void panic_test(const struct uhv_options *o, bool before_aps)
{
	/* with probe no APs are started: fault before that point; otherwise once
	 * they are up, so that the report also shows them being stopped */
	if (o->panic_test >= 32 || o->probe != before_aps)
		return;
	pr_info("panic-test: raising CPU exception %u on purpose\n", o->panic_test);
	switch (o->panic_test) {
	case 0: { volatile u32 z = 0; volatile u32 x = 1 / z; (void)x; break; }
	case 6: asm volatile("ud2"); break;
	case 13: wrmsr(0xdeadbeef, 0); break;	/* no such MSR: #GP(0) */
	case 14: {	/* the first page is never mapped */
		volatile u64 *p;
		asm volatile("mov $0x10, %0" : "=r"(p));
		(void)*p;
		break;
	}
	}
}

/* end-test=: the guest's end without a guest (QEMU TCG has no VMX), after the host's ACPI
 * tables were read (machine_end_init): the same request and the same end as vplatform/power.c
 * makes for a guest's power-off or reset. */
void end_test(const struct uhv_options *o)
{
	if (o->end_test == PLATFORM_END_POWEROFF) {
		pr_info("end-test: ending the run as a guest's power-off would\n");
		platform_end_request(PLATFORM_END_POWEROFF);
		platform_exit(true, "guest powered off (end-test, no guest)");
	}
	if (o->end_test == PLATFORM_END_RESET) {
		pr_info("end-test: ending the run as a guest's reset would\n");
		platform_end_request(PLATFORM_END_RESET);
		platform_exit(true, "guest reset the machine (end-test, no guest)");
	}
}
