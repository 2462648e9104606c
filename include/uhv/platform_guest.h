/* What the guest gets of the platform and how its power-off and reset end the run
 * (vplatform/power.c; design in docs/linux-guest.md).
 *
 *  - ACPI: a copy of the RSDP and RSDT/XSDT without DMAR and a MADT with only the guest's CPUs
 *    (the boot CPU and the APs smp_assign_guest_cpus gave it, cpus=; vplatform/acpi_view.c), in a page carved from the guest's RAM (the highest free page run
 *    below 1 MiB, else below 4 GiB, clear of the modules), typed ACPI in the guest's memory map
 *    (so EPT maps it and the guest leaves it alone). Linux finds it through
 *    boot_params.acpi_rsdp_addr, multiboot guests through their ACPI tags.
 *  - Power-off: the FADT's PM1a/PM1b control ports are trapped; a write with SLP_EN and the
 *    \_S5 SLP_TYP ends the run with PASS ("guest powered off") after the exit statistics;
 *    other sleep states are dropped (SLP_EN cleared, counted as filtered: uhv has no resume
 *    path). Other writes and all reads go to the hardware.
 *  - Reset: the keyboard controller's reset pulses (0xf0-0xfe with bit 0 clear to port 0x64; its
 *    write-output-port command 0xd1 is dropped), System Control Port A's fast reset (bit 0 of
 *    port 0x92) and the FADT's
 *    ACPI reset register (when it is an I/O port nobody else claims; 0xcf9 belongs to the PCI
 *    passthrough, which can call platform_guest_reset()) end the run ("guest reset the
 *    machine"): uhv cannot restart a guest.
 *  - Console: a guest that drives COM1 itself (Linux) runs with uhv's log lines held
 *    (log_hold) until the run ends, so they do not interleave with the guest's output. */
#ifndef UHV_PLATFORM_GUEST_H
#define UHV_PLATFORM_GUEST_H

#include <uhv/types.h>

struct guest;
struct vm;
struct acpi;
struct loader_module;
struct loader_firmware;

/* Before the loader: build the guest's ACPI copy and point fw at it (rsdp_gpa and the RSDP the
 * multiboot tags copy). Without ACPI tables nothing is done. Returns 0 or a negative errno
 * (no room, table trouble: said why; the caller may go on with the firmware's tables). */
int platform_guest_acpi(struct guest *g, const struct acpi *a, const struct loader_module *mods,
			unsigned nr_mods, struct loader_firmware *fw);

/* Before the loader, on a machine whose SMBIOS entry point is not in the F segment (UEFI
 * firmware names it only in the EFI configuration tables, which a guest booted by uhv has not):
 * one page of the guest's F segment (0xf0000-0xfffff, where a BIOS guest and Linux without
 * EFI scan) becomes a copy of the machine's page with the entry point on a free 16-byte
 * boundary, backed by a page carved from the guest's RAM (typed ACPI in its memory map). The
 * entry point names the firmware's structure table, which the guest reads where it is.
 * smbios NULL or in the F segment already: nothing to do. Returns 0 or a negative errno (said
 * why; the guest then runs without SMBIOS). */
struct smbios_ep;
int platform_guest_smbios(struct guest *g, const struct smbios_ep *smbios,
			  const struct loader_module *mods, unsigned nr_mods);

/* Where vm_build registers traps (after vmx_init): the power-off and reset ports, and the console
 * hold for a guest that drives the UART itself. Returns 0 or a negative errno from
 * vmx_trap_io (said why). */
/* The guest's ACPI power-control ports as uhv traps them. */
struct pm1_cnt {
	u16 port;
	u8 len;
	u8 s5_typ;
	bool s5_known;
	char name;	/* 'a' or 'b' */
	struct vm *vm;	/* the owner: its counters */
};

/* The RTC as the guest sees it (vplatform/ports.c). */
struct vm_rtc {
	u8 index;		/* the guest's last index (NMI-mask bit cut off) */
	u8 cmos[128];		/* bytes from 0x0e: the firmware's at start, then the guest's */
};

/* Filled by platform_guest_setup; the handlers change only what says so, under emul_lock. */
struct vm_platform {
	struct pm1_cnt pm1[2];
	u16 reset_port;
	u8 reset_value;
	u16 smi_cmd;		/* the FADT's SMI command port (trapped), 0: none */
	u8 acpi_enable, acpi_disable;	/* the only values it lets through */
	struct vm_rtc rtc;	/* changed by the RTC handler */
	u32 noted;		/* PF_NOTED_*: what was said once (changed by the handlers) */
};

/* vplatform/ports.c: the RTC, SMI_CMD and port 0x92 traps (the port table filters them). */
struct acpi_fadt_info;
int platform_ports_setup(struct vm *vm, const struct acpi_fadt_info *f);
/* Say what once (bit in vm_platform.noted); false when it was said before. */
bool platform_note_once(struct vm_platform *pf, u32 bit);
#define PF_NOTED_NMI_MASK	BIT(0)
#define PF_NOTED_CMOS		BIT(1)
#define PF_NOTED_SMI		BIT(2)
#define PF_NOTED_A20		BIT(3)
#define PF_NOTED_SLEEP		BIT(4)
#define PF_NOTED_KBC		BIT(5)

int platform_guest_setup(struct vm *vm, const struct acpi *a);

/* The guest reset the machine (how: "keyboard controller", "port 0xcf9", ...): print the exit
 * statistics and end the run. */
__noreturn void platform_guest_reset(const char *how);

#endif
