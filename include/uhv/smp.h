/* Multiprocessor bring-up and the stop-all path (arch/ap_start.c, docs/smp.md).
 *
 * uhv starts every enabled CPU the MADT lists: INIT-SIPI-SIPI through a real-mode trampoline
 * (arch/ap_boot.asm) copied to a free page below 1 MiB (SDM Vol. 3A 9.4.4, MP initialization).
 * Each application processor (AP) loads its own GDT/TSS, the shared IDT, its GS base (struct
 * percpu), CR0/CR4/EFER/PAT as the boot CPU has them and uhv's page tables, and calls the entry
 * given to smp_start_aps on its own stack. */
#ifndef UHV_SMP_H
#define UHV_SMP_H

#include <uhv/types.h>
#include <uhv/percpu.h>

struct acpi_madt_info;

/* The first call in kmain: CPU 0's struct percpu and its GS base (nothing printed, nothing
 * allocated, so it can come before the console). gdt_init() then fills in CPU 0's GDT/TSS. */
void smp_init_boot_cpu(void);

/* Start every enabled MADT CPU other than the boot CPU (after kmem_init and timer_init; the
 * waits go through the timer helper, never a hang). Each AP ends up in entry(pc) on its own
 * stack; entry must not return. Prints one line per CPU (APIC ID, started or not) and a
 * summary. Returns the number of APs started (0 with no MADT or one CPU). A CPU that does not
 * answer is reported loudly, parked with INIT and marked CPU_FAILED: it is never given to the
 * guest. The per-CPU memory (stacks, struct percpu, and vmx_each bytes the entry will take per
 * AP) is sized from the MADT's count: when the pool cannot hold it for every AP, none is started,
 * the shortfall is said with the figures and smp_cpus_outside() counts them. */
int smp_start_aps(const struct acpi_madt_info *madt, void (*entry)(struct percpu *pc),
		  u64 vmx_each);

/* The pool bytes smp_start_aps(madt, ..., vmx_each) will need for the MADT's APs: the table of
 * CPUs, and each AP's stacks, struct percpu and vmx_each bytes. 0 when there are no APs. */
u64 smp_pool_need(const struct acpi_madt_info *madt, u64 vmx_each);

/* cpus=: mark which CPUs the guest gets: the boot CPU and the first asked - 1 APs that came up
 * (asked 0: all of them; more than uhv controls: a warning, then all), but at most most when
 * most is not 0 (why says what limits it, e.g. "mem=shadow"). Prints the choice with cpus= as
 * the user gave it. Returns the number of guest CPUs. */
unsigned smp_assign_guest_cpus(unsigned asked, unsigned most, const char *why);
/* The (x2)APIC IDs of the guest's CPUs, the boot CPU first, at most cap of them (the boot CPU
 * alone before smp_assign_guest_cpus). Returns how many were written. */
unsigned smp_guest_apic_ids(u32 *ids, unsigned cap);

/* The current CPU's block if GS holds a valid one, else NULL (the panic path's this_cpu()). */
struct percpu *smp_this_cpu_checked(void);

/* A panic is stopping all CPUs. */
bool smp_stopping(void);
/* Print "CPU n (APIC ID x) stopped" (once), mark CPU_STOPPED, interrupts off, halt forever. */
__noreturn void smp_stop_this_cpu(void);
/* Panic path: mark stopping, then INIT IPI to CPUs in CPU_VMX (the INIT-exit handler calls
 * smp_stop_this_cpu) and CPUs still in CPU_STARTING (back to wait-for-SIPI), NMI to CPUs in
 * CPU_ROOT or CPU_PARKED (the host NMI handler stops them). Waits a bounded time for them to
 * confirm; never waits forever. Only the first caller does anything. */
void smp_stop_others(void);

#endif
