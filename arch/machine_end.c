/* The end of a run on a real machine (<uhv/platform.h>, issue 17 item 7): when the guest
 * powered the machine off or reset it, uhv does the same to the real machine after its last
 * log line, instead of halting with the machine still on.
 *
 * Power-off is ACPI S5 (ACPI 6.x 7.4.2 "\_Sx", 4.8.3.2.1 "PM1 control registers"): SLP_TYPa /
 * SLP_TYPb from the DSDT's \_S5 package (found as Linux, Xen and many small kernels find it:
 * the name followed by a package of constants, acpi_dsdt_s5) into PM1a_CNT / PM1b_CNT, then the
 * same with SLP_EN. A machine still in legacy mode (SCI_EN clear) is handed to ACPI first
 * (FADT SMI_CMD <- ACPI_ENABLE), as the firmware ignores SLP_EN before.
 *
 * Reset, in the order Linux's "reboot=acpi,pci,kbd,triple" tries them: the FADT reset register
 * (I/O port or PCI configuration space of bus 0), the reset control register 0xCF9 (hard
 * reset), the keyboard controller's reset pulse, a triple fault. This CPU leaves VMX first:
 * INIT is blocked in VMX root, and some chipsets reset the CPUs through INIT.
 *
 * What the run's end needs is read from the host's tables at boot (machine_end_init), so
 * nothing is parsed at the end, when a broken table could no longer be reported usefully. */
#define LOG_MODULE "uhv"
#include <uhv/platform.h>
#include <uhv/acpi.h>
#include <uhv/cpu.h>
#include <uhv/io.h>
#include <uhv/log.h>
#include <uhv/percpu.h>
#include <uhv/timer.h>
#include <uhv/uart.h>

#define PM1_SCI_EN		BIT(0)	/* PM1x_CNT: the machine is in ACPI mode */
#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_TYP_MASK	(7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN		BIT(13)

#define RST_CNT_PORT		0xcf9	/* reset control register (ICH/PCH, PIIX, QEMU) */
#define RST_CNT_SYS_RST		0x02	/* full platform reset when RST_CPU rises */
#define RST_CNT_RST_CPU		0x04

#define KBC_STATUS_PORT		0x64
#define KBC_STATUS_IBF		BIT(1)	/* input buffer full: not ready for a command */
#define KBC_CMD_PULSE_RESET	0xfe

#define PCI_CFG_ADDR_PORT	0xcf8
#define PCI_CFG_DATA_PORT	0xcfc

#define ACPI_ENABLE_US		3000000	/* SCI_EN after ACPI_ENABLE (Linux waits 3 s) */
#define STEP_US			500000	/* each way of ending to take effect */

/* Machine singleton: the host's facts, read once at boot. */
static struct {
	bool fadt;
	u16 pm1a_cnt, pm1b_cnt;
	bool s5_known;
	u8 s5_a, s5_b;
	u16 smi_cmd;
	u8 acpi_enable;
	bool reset_supported;
	struct acpi_gas reset_reg;
	u8 reset_value;
} host;

static enum platform_end end_request = PLATFORM_END_HALT;	/* set by the guest's end */
static bool machine_end_on = true;				/* exit=halt clears it */

void platform_end_request(enum platform_end how) { end_request = how; }
void platform_set_machine_end(bool on) { machine_end_on = on; }

void machine_end_init(const struct acpi *a)
{
	struct acpi_fadt_info f;

	if (acpi_fadt_parse(acpi_find_table(a, ACPI_SIG_FADT, 0), &f) < 0) {
		pr_info("end of run on this machine: no FADT: a guest's power-off halts, its reset "
			"uses port 0xcf9, the keyboard controller, a triple fault\n");
		return;
	}
	host.fadt = true;
	host.pm1a_cnt = f.pm1a_cnt_port;
	host.pm1b_cnt = f.pm1b_cnt_port;
	host.s5_known = acpi_dsdt_s5(acpi_find_table(a, ACPI_SIG_DSDT, 0), &host.s5_a,
				     &host.s5_b) == 0;
	host.smi_cmd = f.smi_cmd;
	host.acpi_enable = f.acpi_enable;
	host.reset_supported = f.reset_supported && f.reset_reg.address &&
			       (f.reset_reg.space_id == ACPI_GAS_IO ||
				f.reset_reg.space_id == ACPI_GAS_PCI_CFG);
	host.reset_reg = f.reset_reg;
	host.reset_value = f.reset_value;
	if (host.pm1a_cnt && host.s5_known)
		pr_info("end of run on this machine: power-off by ACPI S5 (PM1a_CNT %#x SLP_TYP %u"
			"%s), ", host.pm1a_cnt, host.s5_a, host.pm1b_cnt ? ", PM1b_CNT too" : "");
	else
		pr_info("end of run on this machine: no ACPI S5 (%s): a guest's power-off halts; ",
			!host.pm1a_cnt ? "no PM1a_CNT in the FADT" : "no \\_S5 package in the DSDT");
	if (host.reset_supported)
		log_raw("reset by the FADT reset register (%s %#llx <- %#x), then ",
			host.reset_reg.space_id == ACPI_GAS_IO ? "port" : "PCI config",
			host.reset_reg.address, host.reset_value);
	else
		log_raw("reset by ");
	log_raw("port 0xcf9, the keyboard controller, a triple fault\n");
}

static void say(const char *what)
{
	log_raw("uhv: %s\n", what);
	uart_flush();
}

/* Hand the machine to ACPI mode when the firmware still has it: SLP_EN is ignored before. */
static bool acpi_mode(void *ctx)
{
	return inw(host.pm1a_cnt) & PM1_SCI_EN;
}

static void power_off(void)
{
	if (!host.pm1a_cnt || !host.s5_known)
		return;
	if (!acpi_mode(NULL) && host.smi_cmd && host.acpi_enable) {
		outb(host.smi_cmd, host.acpi_enable);
		wait_until(acpi_mode, NULL, ACPI_ENABLE_US);
	}
	u16 a = inw(host.pm1a_cnt) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
	u16 b = host.pm1b_cnt ? inw(host.pm1b_cnt) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN) : 0;

	a |= (u16)(host.s5_a << PM1_SLP_TYP_SHIFT);
	b |= (u16)(host.s5_b << PM1_SLP_TYP_SHIFT);
	outw(host.pm1a_cnt, a);
	if (host.pm1b_cnt)
		outw(host.pm1b_cnt, b);
	outw(host.pm1a_cnt, a | PM1_SLP_EN);
	if (host.pm1b_cnt)
		outw(host.pm1b_cnt, b | PM1_SLP_EN);
	udelay(STEP_US);
}

/* The GAS of a PCI configuration register (ACPI 5.2.3.2): bus 0, device in bits 47:32,
 * function 31:16, offset 15:0. */
static void reset_reg_write(void)
{
	u64 at = host.reset_reg.address;

	if (host.reset_reg.space_id == ACPI_GAS_IO) {
		outb((u16)at, host.reset_value);
	} else {
		u32 dev = (at >> 32) & 0x1f, fn = (at >> 16) & 7, off = at & 0xff;

		outl(PCI_CFG_ADDR_PORT, BIT(31) | dev << 11 | fn << 8 | (off & 0xfc));
		outb(PCI_CFG_DATA_PORT + (off & 3), host.reset_value);
	}
	udelay(STEP_US);
}

static bool kbc_ready(void *ctx)
{
	return !(inb(KBC_STATUS_PORT) & KBC_STATUS_IBF);
}

static __noreturn void reset(void)
{
	struct percpu *pc = this_cpu();

	if (pc && pc->state == CPU_VMX)
		asm volatile("vmxoff" ::: "cc", "memory");
	if (host.reset_supported)
		reset_reg_write();
	outb(RST_CNT_PORT, RST_CNT_SYS_RST);
	udelay(50);
	outb(RST_CNT_PORT, RST_CNT_SYS_RST | RST_CNT_RST_CPU);
	udelay(STEP_US);
	wait_until(kbc_ready, NULL, STEP_US);
	outb(KBC_STATUS_PORT, KBC_CMD_PULSE_RESET);
	udelay(STEP_US);
	/* an empty IDT: the breakpoint's delivery faults twice over, a triple fault */
	struct __packed { u16 limit; u64 base; } none = { 0, 0 };
	asm volatile("lidt %0; int3" : : "m"(none));
	cpu_halt_forever();
}

void machine_end(void)
{
	if (!machine_end_on || end_request == PLATFORM_END_HALT)
		return;
	if (end_request == PLATFORM_END_RESET) {
		say("resetting the machine, as the guest did");
		reset();
	}
	if (!host.pm1a_cnt || !host.s5_known) {
		say("the guest powered off, but this machine gave no way to power it off (see the "
		    "boot log's 'end of run' line)");
		return;
	}
	say("powering the machine off (ACPI S5), as the guest did");
	power_off();
	say("the machine is still on after the ACPI S5 request");
}
