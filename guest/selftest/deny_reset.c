/* attack=fast-reset (issue 20, item 5): the guest sets bit 0 of System Control Port A (0x92),
 * the chipset's fast reset line. Natively the machine resets at once; under uhv the write is a
 * guest reset request like the 8042's 0xfe or the ACPI reset register: uhv says so and ends the
 * run (it does not restart guests). If the write returns, the line did not reach uhv's reset
 * path and the check fails. The run ends either way, so this is a mode of its own
 * (test/system/20-vmx-selftest.sh boots it a second time). */
#include "selftest.h"

#define SYS_CTL_A		0x92
#define SYS_CTL_A_RESET		0x01

void attack_fast_reset(void)
{
	u8 a = inb(SYS_CTL_A);

	printf("guest: fast-reset: writing 0x%x to port 0x92 (bit 0, the fast reset line)\n",
	       a | SYS_CTL_A_RESET);
	outb(SYS_CTL_A, a | SYS_CTL_A_RESET);
	test_fail("fast-reset-ends-run", "the write to port 0x92 returned: no reset request");
}
