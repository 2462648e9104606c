#define LOG_MODULE "uhv"
#include <uhv/platform.h>
#include <uhv/cpu.h>
#include <uhv/io.h>
#include <uhv/log.h>
#include <uhv/uart.h>
#include <uhv/string.h>
#include <uhv/trap.h>

/* Decided once at boot (detection or exit= option). */
static enum platform_kind platform = PLATFORM_HW;

const char *platform_name(enum platform_kind kind)
{
	switch (kind) {
	case PLATFORM_QEMU: return "qemu";
	case PLATFORM_BOCHS: return "bochs";
	default: return "hardware";
	}
}

enum platform_kind platform_detect(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	if (r.ecx & CPUID_1_ECX_HYPERVISOR) {
		struct cpuid_regs h = cpuid(0x40000000, 0);
		char sig[13];
		memcpy(sig + 0, &h.ebx, 4);
		memcpy(sig + 4, &h.ecx, 4);
		memcpy(sig + 8, &h.edx, 4);
		sig[12] = 0;
		/* QEMU's TCG and KVM (under QEMU) both offer isa-debug-exit */
		if (!memcmp(sig, "TCGTCGTCGTCG", 12) || !memcmp(sig, "KVMKVMKVM", 9))
			return PLATFORM_QEMU;
	}
	/* Bochs' port_e9_hack reads back 0xe9; real chipsets float to 0xff. */
	if (inb(0xe9) == 0xe9)
		return PLATFORM_BOCHS;
	return PLATFORM_HW;
}

void platform_set(enum platform_kind kind) { platform = kind; }
enum platform_kind platform_get(void) { return platform; }

__noreturn void cpu_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

__noreturn void platform_exit(bool pass, const char *reason)
{
	log_release();	/* lines held while the guest had the console */
	nmi_report_ignored();
	log_raw("uhv: run ended: %s%s%s\n", pass ? "PASS" : "FAIL",
		reason ? " - " : "", reason ? reason : "");
	uart_flush();
	switch (platform) {
	case PLATFORM_QEMU:
		outl(EXIT_QEMU_PORT, pass ? EXIT_QEMU_PASS : EXIT_QEMU_FAIL);
		break;
	case PLATFORM_BOCHS:
		if (pass)
			asm volatile("xchg %%bx, %%bx" : : "a"(EXIT_BOCHS_PASS_CODE));
		for (const char *s = "Shutdown"; *s; s++)
			outb(EXIT_BOCHS_SHUTDOWN, *s);
		break;
	default:
		machine_end();	/* the guest's power-off or reset, for real */
		break;
	}
	log_raw("uhv: halted. It is safe to power off or reset the machine.\n");
	uart_flush();
	cpu_halt_forever();
}
