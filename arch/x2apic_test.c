/* test-x2apic=on|lock: put the boot CPU's local APIC in x2APIC mode before uhv looks at it, as
 * firmware may leave a machine (emulators boot in xAPIC mode), and with lock behave as if the
 * x2APIC lock (IA32_XAPIC_DISABLE_STATUS) were set, which no emulator has. The APs follow the
 * boot CPU as they start (arch/lapic.c), as they would on such a machine. Tested by
 * test/system/86-x2apic.sh. Compiled only into the test variant (include/uhv/test_hooks.h). */
#define LOG_MODULE "lapic"
#include <uhv/test_hooks.h>
#include <uhv/cpu.h>
#include <uhv/lapic.h>
#include <uhv/log.h>
#include <uhv/options.h>

void test_hook_x2apic(const struct uhv_options *o)
{
	if (o->test_x2apic == UHV_TEST_X2APIC_OFF)
		return;
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	if (!lapic_x2apic_capable() || !(base & APIC_BASE_EN)) {
		pr_err("test-x2apic: this CPU has no x2APIC (CPUID.1:ECX[21] = 0) or its APIC is "
		       "disabled; staying in xAPIC mode (use an x2APIC-capable CPU model)\n");
		return;
	}
	wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	if (o->test_x2apic == UHV_TEST_X2APIC_LOCK)
		lapic_test_simulate_lock();
	pr_info("test-x2apic=%s: boot CPU switched to x2APIC mode as firmware might leave it\n",
		o->test_x2apic == UHV_TEST_X2APIC_LOCK ? "lock" : "on");
}
