/* Legacy platform ports the guest drives through a filter (the port table's "filtered" rules,
 * vmx/io_policy.c): the RTC/CMOS index and data ports, the FADT's SMI command port and System
 * Control Port A. What is safe reaches the hardware; what would reach past the guest (the NMI
 * mask, the firmware's CMOS bytes, SMM commands, the reset and A20 lines) does not, and is
 * counted as filtered. */
#define LOG_MODULE "platform"
#include <uhv/platform_guest.h>
#include <uhv/vm.h>
#include <uhv/acpi.h>
#include <uhv/io.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/vmx_trap.h>

#define RTC_INDEX		0x70
#define RTC_DATA		0x71
#define RTC_NMI_MASK		0x80	/* bit 7 of the index port: NMIs off at the chipset */
#define RTC_FIRST_CMOS		0x0e	/* 0x00-0x0d are the clock (time, alarm, registers A-D) */
#define SYS_CTL_A		0x92
#define SYS_CTL_A_RESET		BIT(0)	/* fast reset (INIT) of the CPU */
#define SYS_CTL_A_A20		BIT(1)	/* A20 gate */

bool platform_note_once(struct vm_platform *pf, u32 bit)
{
	return !(__atomic_fetch_or(&pf->noted, bit, __ATOMIC_RELAXED) & bit);
}

/* ---- RTC: 0x70 index (write-only on PC chipsets), 0x71 data ---- */

static void rtc_index(struct vm *vm, u8 v)
{
	struct vm_platform *pf = &vm->platform;

	if (v & RTC_NMI_MASK) {
		/* The NMI mask gates the chipset's NMIs for uhv too (machine errors, the
		 * watchdogs): the guest keeps its index, the bit stays as uhv has it (clear). */
		vm_deny_count(&vm->denied.io_filtered);
		if (platform_note_once(pf, PF_NOTED_NMI_MASK))
			pr_warn("guest wrote %#x to the RTC index port 0x70: the NMI-mask bit is not "
				"passed on (said once)\n", v);
	}
	pf->rtc.index = v & 0x7f;
}

static u8 rtc_data(struct vm *vm, bool in, u8 v)
{
	struct vm_rtc *rtc = &vm->platform.rtc;

	if (rtc->index < RTC_FIRST_CMOS) {
		/* the clock itself: set the real index each time (cheap, and nothing the guest
		 * or anyone else did in between can redirect the access) */
		outb(RTC_INDEX, rtc->index);
		if (in)
			return inb(RTC_DATA);
		outb(RTC_DATA, v);
		return v;
	}
	/* The rest of CMOS is the firmware's (boot settings, its checksum, the shutdown-status
	 * byte a reset obeys): the guest gets a private copy, its writes stay there. */
	if (in)
		return rtc->cmos[rtc->index];
	if (rtc->cmos[rtc->index] != v) {
		vm_deny_count(&vm->denied.io_filtered);
		if (platform_note_once(&vm->platform, PF_NOTED_CMOS))
			pr_warn("guest wrote %#x to CMOS byte %#x: kept in the guest's copy, the "
				"firmware's CMOS is unchanged (said once)\n", v, rtc->index);
	}
	rtc->cmos[rtc->index] = v;
	return v;
}

static int rtc_io(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct vm *vm = ctx;
	u32 out = 0;

	for (unsigned i = 0; i < size; i++) {
		u16 p = (u16)(port + i);
		u8 b = (u8)(*val >> (8 * i));

		if (p == RTC_INDEX && in)
			b = 0xff;	/* write-only */
		else if (p == RTC_INDEX)
			rtc_index(vm, b);
		else if (p == RTC_DATA)
			b = rtc_data(vm, in, b);
		else
			b = 0xff;	/* a word at 0x71 reaching 0x72: not ours */
		out |= (u32)b << (8 * i);
	}
	*val = out;
	return 0;
}

/* ---- SMI_CMD: writes there run the firmware's SMM code ---- */

static int smi_cmd(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct vm *vm = ctx;
	struct vm_platform *pf = &vm->platform;
	u8 b = (u8)*val;

	if (in) {	/* reading does not raise an SMI */
		*val = inb(port);
		return 0;
	}
	/* The register is a byte (ACPI 5.2.9): a wider write sends only its first byte to it. */
	if (b && (b == pf->acpi_enable || b == pf->acpi_disable)) {
		outb(port, b);
		return 0;
	}
	vm_deny_count(&vm->denied.io_filtered);
	if (platform_note_once(pf, PF_NOTED_SMI))
		pr_warn("guest wrote %#x to SMI_CMD %#x: dropped (only ACPI_ENABLE %#x and "
			"ACPI_DISABLE %#x reach the firmware) (said once)\n", b, port,
			pf->acpi_enable, pf->acpi_disable);
	return 0;
}

/* ---- System Control Port A ---- */

static int sys_ctl_a(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct vm *vm = ctx;

	if (in) {
		*val = inb(SYS_CTL_A);
		return 0;
	}
	if (*val & SYS_CTL_A_RESET)
		platform_guest_reset("fast reset through port 0x92");
	if (!(*val & SYS_CTL_A_A20)) {
		/* A20 masking would alias every odd MiB, uhv's memory included */
		vm_deny_count(&vm->denied.io_filtered);
		if (platform_note_once(&vm->platform, PF_NOTED_A20))
			pr_warn("guest cleared A20 through port 0x92 (%#x): A20 stays on (said "
				"once)\n", *val & 0xff);
	}
	outb(SYS_CTL_A, (u8)((*val | SYS_CTL_A_A20) & ~SYS_CTL_A_RESET));
	return 0;
}

int platform_ports_setup(struct vm *vm, const struct acpi_fadt_info *f)
{
	struct vm_platform *pf = &vm->platform;
	int ret;

	for (unsigned i = RTC_FIRST_CMOS; i < sizeof(pf->rtc.cmos); i++) {
		outb(RTC_INDEX, (u8)i);
		pf->rtc.cmos[i] = inb(RTC_DATA);
	}
	ret = vmx_trap_io(vm, RTC_INDEX, RTC_DATA, rtc_io, vm, "RTC (NMI mask, CMOS filtered)");
	if (ret == 0)
		ret = vmx_trap_io(vm, SYS_CTL_A, SYS_CTL_A, sys_ctl_a, vm,
				  "System Control Port A (reset, A20)");
	if (ret == 0 && f && f->smi_cmd) {
		pf->smi_cmd = f->smi_cmd;
		pf->acpi_enable = f->acpi_enable;
		pf->acpi_disable = f->acpi_disable;
		ret = vmx_trap_io(vm, pf->smi_cmd, pf->smi_cmd, smi_cmd, vm,
				  "SMI_CMD (ACPI enable/disable only)");
	}
	if (ret < 0)
		pr_err("cannot trap the RTC, port 0x92 or SMI_CMD (%s)\n", errno_name(ret));
	return ret;
}
