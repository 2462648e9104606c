/* console: a guest that uses COM1 like a simple OS console, for the tests of
 * uhv's virtual console UART and escape keys (test/system/80-*.sh, 82-*.sh).
 * With hostile=1 it only runs the checks of hostile.c (83-console-hostile.sh)
 * and ends.
 *
 *  1. spin=N: spin for N million TSC ticks without touching the UART (uhv
 *     must still see the escape keys: its preemption-timer poll);
 *  1b. idle=N: halt N times with interrupts enabled but none that can come (the 8259s masked,
 *     the APIC timer left masked): natively such a HLT never ends; under uhv with
 *     preempt-timer=off each one returns after uhv's console poll period, and uhv must see the
 *     escape keys meanwhile (debug/idle_poll.c, test/system/31-idle-poll.sh);
 *  2. then read COM1 by polling LSR.DR (receive interrupt off) and print each
 *     line as "guest: echo: LINE" (control characters shown as '.' by uhv's
 *     console hypercall), until the line "quit": the run ends with PASS.
 * Under uhv the output goes through the console hypercall; input is always
 * COM1 (uhv's virtual 16550 under uhv, the real one natively). */
#include "rt.h"

void console_hostile(void);

#define COM1		0x3f8
#define COM_LSR		5
#define LSR_DR		0x01

static u32 number(const char *key, u32 def)
{
	char opt[16];
	u32 v = 0;

	if (!cmdline_get(key, opt, sizeof(opt)))
		return def;
	for (const char *p = opt; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (u32)(*p - '0');
	return v;
}

/* MONITOR/MWAIT with interrupts off and no write to the line: natively it sleeps for good;
 * under uhv's idle poll each MWAIT exits and ends at once. */
static void idle_mwait(u32 n)
{
	static volatile u32 line;

	if (!(cpuid(1, 0).ecx & (1u << 3))) {
		printf("guest: console: no MONITOR/MWAIT, not tried\n");
		return;
	}
	for (u32 i = 0; i < n; i++) {
		asm volatile("monitor" : : "a"(&line), "c"(0), "d"(0));
		asm volatile("mwait" : : "a"(0), "c"(0));
	}
	printf("guest: console: %u MWAITs returned\n", n);
}

void guest_main(void)
{
	u32 spin = number("spin", 0);
	u32 idle = number("idle", 0);
	char line[80];
	size_t len = 0;
	u32 bytes = 0;

	if (number("hostile", 0)) {
		console_hostile();
		test_finish();
	}
	if (spin) {
		printf("guest: console: spinning for %u M ticks, UART untouched\n", spin);
		u64 t0 = rdtsc();
		while (rdtsc() - t0 < (u64)spin * 1000000)
			asm volatile("pause");
		printf("guest: console: spin done\n");
	}
	if (idle) {
		printf("guest: console: idling in HLT %u times, UART untouched\n", idle);
		outb(0x21, 0xff);	/* no 8259 interrupt: the IDT has vectors 0-31 only */
		outb(0xa1, 0xff);
		u64 t0 = rdtsc();
		for (u32 i = 0; i < idle; i++)
			asm volatile("sti; hlt; cli");
		printf("guest: console: idle done (%u halts in %u Mi TSC ticks)\n", idle,
		       (u32)((rdtsc() - t0) >> 20));
		idle_mwait(idle);
	}
	printf("guest: console: ready, type lines; 'quit' ends the run\n");
	for (;;) {
		if (!(inb(COM1 + COM_LSR) & LSR_DR))
			continue;
		char c = (char)inb(COM1);
		bytes++;
		if (c == '\r' || c == '\n') {
			if (!len)
				continue;
			line[len] = 0;
			printf("guest: echo: %s\n", line);
			if (!strncmp(line, "quit", 5))
				break;
			len = 0;
			continue;
		}
		if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	printf("guest: console: %u bytes received\n", bytes);
	test_ok("console-quit");
	test_finish();
}
