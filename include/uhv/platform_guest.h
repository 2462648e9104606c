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
 *    other sleep states end it with FAIL (uhv has no resume path). Other writes and all reads
 *    go to the hardware.
 *  - Reset: the keyboard controller's pulse-reset command (0xfe to port 0x64) and the FADT's
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
};

/* Filled once by platform_guest_setup, read by the trap handlers. */
struct vm_platform {
	struct pm1_cnt pm1[2];
	u16 reset_port;
	u8 reset_value;
};

int platform_guest_setup(struct vm *vm, const struct acpi *a);

/* The guest reset the machine (how: "keyboard controller", "port 0xcf9", ...): print the exit
 * statistics and end the run. */
__noreturn void platform_guest_reset(const char *how);

#endif
