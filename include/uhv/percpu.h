/* Per-CPU data (arch/ap_start.c, docs/smp.md): one struct percpu for every CPU uhv knows of, CPU 0
 * (the boot CPU) first, then the application processors in MADT order. There is no fixed number:
 * the APs' blocks and the table of them come from uhv's pool, sized from the MADT. Each CPU's GS base
 * points at its own block, whose first word points at itself, so this_cpu() is one load.
 *
 * The block also holds the CPU's GDT and TSS (arch/gdt.c); its stacks (16 KiB, and three IST
 * stacks of 8 KiB for #DF, NMI and #MC) come from uhv's pool, the boot CPU's from the image. */
#ifndef UHV_PERCPU_H
#define UHV_PERCPU_H

#include <uhv/types.h>
#include <uhv/trap.h>

#define CPU_STACK_SIZE	KiB(16)		/* an application processor's stack */

enum cpu_state {
	CPU_ABSENT,	/* slot unused */
	CPU_STARTING,	/* INIT-SIPI-SIPI sent, not yet in uhv's C code */
	CPU_ROOT,	/* in uhv, VMX off */
	CPU_VMX,	/* in VMX operation (set by vmx/): INIT is blocked in root mode and a VM
			 * exit in non-root */
	CPU_STOPPED,	/* halted for good by the stop-all path (smp_stop_this_cpu) */
	CPU_FAILED,	/* did not answer its start-up IPIs: parked by INIT, never given to the
			 * guest */
	CPU_PARKED,	/* not the guest's: VMX root (INIT blocked), HLT loop with CR4.MCE (vmx/
			 * vcpus.c); an NMI wakes it and it halts again, or stops it (stop-all) */
};

struct percpu {
	struct percpu *self;	/* %gs:0, so this_cpu() is one load */
	u32 cpu;		/* uhv's index: 0 = boot CPU, then MADT order */
	u32 apic_id;		/* (x2)APIC ID */
	volatile u32 state;	/* enum cpu_state */
	u32 in_trap;		/* exception nesting depth (arch/exceptions.c) */
	u64 nmis_ignored;	/* NMIs that came while no guest ran here (arch/exceptions.c) */
	void *vmx;		/* the VMX side's per-CPU data (vmx/vcpus.c owns it) */
	u64 tss_base, gdt_base;	/* for the VMCS host-state fields */
	u64 stack_bottom, stack_top;	/* the CPU's normal stack (stack traces) */
	u64 ist_bottom;		/* 3 IST stacks of IST_STACK_SIZE bytes from here */
	bool guest;		/* given to the guest (cpus=): listed in its MADT */
	volatile bool stop_entered;	/* in smp_stop_this_cpu: a stop-all NMI returns at once */
	bool stop_signalled;	/* smp_stop_others signalled it and waits for it */
	u32 acpi_uid;		/* ACPI processor UID from the MADT */
	u32 apic_id_seen;	/* the initial APIC ID the CPU reported itself (CPUID) */
	u64 gdt[GDT_ENTRIES] __aligned(16);
	struct tss64 tss __aligned(16);
};

/* The current CPU's block. Valid from the first line of kmain on the boot CPU (smp_init_boot_cpu)
 * and from the first C line on an application processor. */
static inline struct percpu *this_cpu(void)
{
	struct percpu *pc;

	asm volatile("mov %%gs:0, %0" : "=r"(pc));
	return pc;
}

/* CPU number cpu's block, or NULL when out of range or the slot is unused (CPU_ABSENT). Indices
 * are dense from 0 to smp_cpu_slots() - 1; a CPU that failed to start keeps its index (state
 * CPU_FAILED). */
struct percpu *cpu_get(unsigned cpu);
/* CPUs uhv controls: the boot CPU + the APs that came up (not FAILED). */
unsigned smp_cpu_count(void);
/* Indices in use (including CPUs that failed to start). */
unsigned smp_cpu_slots(void);
/* Enabled MADT CPUs uhv never started (no room in its pool for their per-CPU memory): outside
 * its control. */
unsigned smp_cpus_outside(void);

#endif
