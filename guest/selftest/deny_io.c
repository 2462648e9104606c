/* Hostile port accesses (issue 14, items 1 and 4): the guest's ports are denied by default and
 * an access that only overlaps a trapped port is not carried out natively. Each check gets the
 * answer docs/security.md ("I/O ports") documents and the guest keeps running; what only uhv
 * can see (a write that did not reach the hardware) is on uhv's console and in its end-of-run
 * "denied by policy" counts, which test/system/20-vmx-selftest.sh checks. */
#include "selftest.h"
#include "acpi.h"

#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_TYP_MASK	(7U << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN		(1U << 13)
#define SLEEP_TYP		1	/* S3 in Bochs' and QEMU's \_S3 (their \_S5 is 0) */
#define COM1			0x3f8
#define RTC_INDEX		0x70
#define RTC_DATA		0x71
#define RTC_NMI_MASK		0x80
#define CMOS_SPARE		0x3f	/* a CMOS byte of the firmware's, outside the clock */
#define SYS_CTL_A		0x92
#define SYS_CTL_A_RESET		0x01
#define SYS_CTL_A_A20		0x02
#define KBC_DATA		0x60
#define KBC_CMD			0x64	/* reads: status */
#define KBC_STS_OBF		0x01
#define KBC_STS_IBF		0x02
#define KBC_WRITE_OUTPUT	0xd1
#define KBC_OUTPUT_RESET_LOW	0xde	/* A20 on, bit 0 (the reset line) asserted */

static void kbc_wait_input(void)
{
	for (unsigned i = 0; i < 100000 && (inb(KBC_CMD) & KBC_STS_IBF); i++)
		;
}

static const struct acpi_fadt *find_fadt(void)
{
	struct acpi_root r;
	char err[120];

	if (acpi_root_find(&r, err, sizeof(err)) < 0) {
		printf("guest: deny-io: %s\n", err);
		return NULL;
	}
	const struct acpi_sdt_header *h = acpi_table_find(&r, ACPI_SIG_FADT);
	return h && h->length >= ACPI_FADT_V1_SIZE ? (const void *)h : NULL;
}

/* outl at PM1a_CNT - 2: two bytes of PM1a_EVT (native, written back as read) and PM1a_CNT with
 * SLP_EN and a sleep state other than S5. Carried out natively, a chipset that decodes the bytes
 * (ICH9, QEMU) would sleep; Bochs' PIIX4 model takes a dword at PM1_EN as PM1_EN alone, so there
 * only uhv's line (the request dropped) tells. uhv must drop SLP_EN and go on. */
static void pm1_overlap(const struct acpi_fadt *f)
{
	u16 cnt = f ? (u16)f->pm1a_cnt_blk : 0;

	if (cnt < 2) {
		test_skip("io-deny-pm1-overlap", "no PM1a_CNT in the FADT");
		return;
	}
	u16 below = inw((u16)(cnt - 2));
	u32 v = (inw(cnt) & ~PM1_SLP_TYP_MASK) | SLEEP_TYP << PM1_SLP_TYP_SHIFT | PM1_SLP_EN;

	outl((u16)(cnt - 2), v << 16 | below);
	/* still here: the sleep request did not reach the chipset */
	test_check("io-deny-pm1-overlap", !(inw(cnt) & PM1_SLP_EN),
		   "PM1a_CNT 0x%x reads SLP_EN set after the overlapping write", cnt);
}

/* A word at 0x3f7: 0x3f7 is unassigned (the floppy controller's), 0x3f8 is COM1, uhv's console
 * UART. The low byte must read all-ones, the high byte come from the virtual UART. */
static void com1_overlap(void)
{
	console_flush();
	u16 w = inw(COM1 - 1);
	outw(COM1 - 1, '\n' << 8 | 0xa5);	/* the newline through the virtual UART */
	test_check("io-deny-com1-overlap", (w & 0xff) == 0xff,
		   "inw(0x3f7) read 0x%x: the low byte (port 0x3f7, unassigned) should be 0xff",
		   w);
}

/* Ports no rule names: all-ones. 0x1f7 is the primary ATA status (Bochs' CD-ROM answers
 * there natively), 0x2f8 COM2. */
static void unassigned(void)
{
	u8 ata = inb(0x1f7), com2 = inb(0x2f8);
	u32 l = inl(0x1f4);

	test_check("io-deny-unassigned", ata == 0xff && com2 == 0xff && l == 0xffffffff,
		   "ports 0x1f7 0x%x, 0x2f8 0x%x, 0x1f4 (dword) 0x%x: want all-ones", ata, com2, l);
}

/* The NMI-mask bit of 0x70 must not reach the chipset (uhv says so and counts it); the index
 * still selects the register. CMOS from 0x0e is the guest's own copy. */
static void rtc(void)
{
	outb(RTC_INDEX, RTC_NMI_MASK | 0x0a);
	u8 a = inb(RTC_DATA);
	outb(RTC_INDEX, 0x0d);
	u8 d = inb(RTC_DATA);
	test_check("io-deny-rtc-nmi-mask", a != 0xff && (d & 0x80),
		   "with the NMI-mask bit, RTC register A read 0x%x, then D 0x%x (VRT, bit 7, "
		   "should be set)", a, d);

	outb(RTC_INDEX, CMOS_SPARE);
	u8 old = inb(RTC_DATA), want = (u8)~old;
	outb(RTC_DATA, want);
	u8 now = inb(RTC_DATA);
	outb(RTC_DATA, old);
	test_check("io-deny-cmos-copy", now == want, "CMOS byte 0x%x: wrote 0x%x, read back 0x%x",
		   CMOS_SPARE, want, now);
}

/* A command other than ACPI_ENABLE/ACPI_DISABLE to SMI_CMD: dropped by uhv (said, counted). */
static void smi(const struct acpi_fadt *f)
{
	if (!f || !f->smi_cmd) {
		test_skip("io-deny-smi-cmd", "no SMI_CMD in the FADT");
		return;
	}
	u8 cmd = 0x5a;
	while (cmd == f->acpi_enable || cmd == f->acpi_disable)
		cmd++;
	outb((u16)f->smi_cmd, cmd);
	test_ok("io-deny-smi-cmd");
	printf("guest: deny-io: wrote 0x%x to SMI_CMD 0x%x (ACPI_ENABLE 0x%x, ACPI_DISABLE 0x%x)\n",
	       cmd, f->smi_cmd, f->acpi_enable, f->acpi_disable);
}

/* The CPU's reset and A20 lines: port 0x92 with A20 cleared (natively every odd MiB would alias,
 * this guest's code at 1 MiB included) must leave A20 on; the 8042's write-output-port command
 * 0xd1 followed by an output-port value with the reset bit clear (natively a machine reset) must
 * be dropped. */
static void reset_lines(void)
{
	u8 a = inb(SYS_CTL_A);
	outb(SYS_CTL_A, a & ~(SYS_CTL_A_A20 | SYS_CTL_A_RESET));
	u8 now = inb(SYS_CTL_A);
	test_check("io-deny-a20", now & SYS_CTL_A_A20,
		   "port 0x92 read 0x%x after clearing A20 (was 0x%x): A20 should stay on", now, a);

	kbc_wait_input();
	outb(KBC_CMD, KBC_WRITE_OUTPUT);
	kbc_wait_input();
	outb(KBC_DATA, KBC_OUTPUT_RESET_LOW);
	kbc_wait_input();
	for (int i = 0; i < 16 && (inb(KBC_CMD) & KBC_STS_OBF); i++)
		(void)inb(KBC_DATA);	/* what the keyboard answered to the stray byte */
	test_ok("io-deny-kbc-output-port");
}

void check_deny_io(void)
{
	if (!under_uhv) {
		/* natively these would put the machine to sleep or reach its firmware */
		test_skip("io-deny", NOT_UHV);
		return;
	}
	const struct acpi_fadt *f = find_fadt();

	com1_overlap();
	unassigned();
	rtc();
	smi(f);
	reset_lines();
	pm1_overlap(f);
}
