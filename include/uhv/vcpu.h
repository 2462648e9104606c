/* What a vCPU is: the state of one CPU that uhv runs under VMX, and nothing of the guest as a
 * whole (that is struct vm, <uhv/vm.h>). There is one struct vcpu per CPU uhv controls: a CPU
 * given to the guest (cpus=), or a parked one that only ever sits in wait-for-SIPI. It is
 * written only by its own CPU, except the few fields marked "cross-CPU", which other CPUs set
 * with atomic operations to ask something of it (an EPT flush, an INIT kick).
 *
 * The boot CPU's vCPU lives in the image next to its exit stack (vmx/vmcs_setup.c); every other
 * CPU's is allocated from uhv's pool when it enters VMX (vmx/vcpus.c). this_cpu()->vmx points at
 * the current CPU's. */
#ifndef UHV_VCPU_H
#define UHV_VCPU_H

#include <uhv/types.h>
#include <uhv/hw/vmx.h>
#include <uhv/sipi_start.h>

struct vm;

/* The guest's general registers in the SDM's numbering (Table 28-3, also
 * used by the CR-access exit qualification): RSP lives in the VMCS, its slot
 * here is unused. */
enum vmx_gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	VMX_NR_GPRS
};

/* Basic exit reasons 0..VMX_MAX_EXIT_REASON have their own counter; larger
 * ones share the last. */
#define VMX_MAX_EXIT_REASON	EXIT_REASON_WRMSRLIST
#define VMX_NR_EXIT_STATS	(VMX_MAX_EXIT_REASON + 2)

struct vcpu {
	/* Offset 0, saved and restored by vmx/vmentry.asm: the VMCS host RSP
	 * points here, the exit-path stack lies just below. */
	u64 gpr[VMX_NR_GPRS];
	/* Offset 128, read by vmx/vmentry.asm before each entry: a guest NMI came while this CPU
	 * ran uhv (set in NMI context, vmx_nmi_in_root; delivered by vmx_deliver_pending_nmi). */
	volatile u32 nmi_pending;
	bool nmi_window;		/* an NMI waits for the guest to take it (timer armed) */
	bool nmi_timer_own;		/* ...and the preemption timer was off before */
	struct vm *vm;			/* the guest this CPU belongs to (parked CPUs too) */
	u64 ept_violations;		/* guest accesses outside its memory: EPT violations,
					 * or with mem=shadow the #PFs that found none */
#ifdef UHV_TEST_BUILD
	u32 ept_skip_len;		/* test hook 2: skip this many bytes on an EPT violation */
#endif
	u32 cpu;			/* uhv's CPU index (0: the boot CPU) */
	u32 apic_id;
	bool given;			/* a CPU of the guest; otherwise parked under uhv */
	volatile bool launched;		/* VMLAUNCH issued on this CPU */
	volatile u32 init_sent;		/* cross-CPU: uhv sent an INIT IPI whose exit has not come */
	volatile u32 flush_pending;	/* cross-CPU: another CPU changed the EPT: INVEPT here */
	volatile u32 waiting_sipi;	/* in wait-for-SIPI: INIT is blocked there (SDM 25.2) */
	struct sipi_start sipi;		/* the last SIPI start, until its first INIT */
	u64 guest_inits, guest_sipis;	/* INIT/SIPI from the guest (to a given or parked CPU) */
	u64 nmis_injected, nmis_dropped;	/* guest NMIs that arrived while in uhv: passed on,
					 * merged (one was waiting already), or lost */
	paddr_t vmxon_pa, vmcs_pa;
	u64 park_cr4;			/* parked CPU: its CR4 in the HLT loop (MCE set) */
	volatile u64 park_wakeups;	/* parked CPU: times it left HLT (NMI, SMI) and halted again */
	/* exit counts and handler time by reason, on this CPU */
	struct {
		u64 count;
		u64 tsc;
	} stats[VMX_NR_EXIT_STATS];
};

#endif
