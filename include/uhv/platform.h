/* Ending a run (arch/platform.c).
 *
 * Tests need the emulator to stop with a status; users on real hardware need
 * the machine to stop safely. Where a run ends is detected (CPUID hypervisor
 * vendor for QEMU/KVM/TCG, the port 0xE9 hack for Bochs) or forced by the
 * exit= option:
 *   QEMU:  isa-debug-exit at 0xf4: PASS writes 0x10 (qemu rc 33), FAIL 0x11 (rc 35)
 *          (0 is avoided: rc 1 is also QEMU's own error code).
 *   Bochs: PASS executes the magic break (xchg bx,bx) with EAX = 0x600d, then
 *          "Shutdown" to port 0x8900: bochs exits 0 on PASS, 1 on FAIL.
 *   hw:    real hardware (arch/machine_end.c): when the guest powered the machine off or
 *          reset it, uhv powers off (ACPI S5) or resets the real machine after its last
 *          line; any other end halts as exit=halt does.
 *   halt:  print, cli, hlt forever. */
#ifndef UHV_PLATFORM_H
#define UHV_PLATFORM_H

#include <uhv/types.h>

enum platform_kind { PLATFORM_HW, PLATFORM_QEMU, PLATFORM_BOCHS };

#define EXIT_QEMU_PORT		0xf4
#define EXIT_QEMU_PASS		0x10
#define EXIT_QEMU_FAIL		0x11
#define EXIT_BOCHS_SHUTDOWN	0x8900
#define EXIT_BOCHS_PASS_CODE	0x600d

enum platform_kind platform_detect(void);
void platform_set(enum platform_kind kind);	/* exit= option */
enum platform_kind platform_get(void);
const char *platform_name(enum platform_kind kind);

/* How the guest ended the run, for the real machine's end (exit=hw, arch/machine_end.c). */
enum platform_end { PLATFORM_END_HALT, PLATFORM_END_POWEROFF, PLATFORM_END_RESET };
void platform_end_request(enum platform_end how);
/* false (exit=halt): a real machine halts whatever the guest did. */
void platform_set_machine_end(bool on);
struct acpi;
/* Read, from the host's ACPI tables, how to power off and reset this machine; one line. */
void machine_end_init(const struct acpi *a);
/* After the run's last line on real hardware: power off or reset as requested, if possible
 * (returns when there was nothing to do or it did not work). */
void machine_end(void);

/* Print "uhv: run ended: PASS|FAIL (reason)", flush the UART, and end the run. */
__noreturn void platform_exit(bool pass, const char *reason);
/* Stop this CPU for good (interrupts off). */
__noreturn void cpu_halt_forever(void);

#endif
