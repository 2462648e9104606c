/* Running the guest under VMX: bring-up, the VMCS, the exit path
 * (vmx/vmx.c, vmx/vmcs_setup.c, vmx/entry.asm, vmx/exit.c). See docs/vmx.md.
 *
 * Boot order in kmain: vmx_init(), guest_setup_ept() (<uhv/vmx_guest_mem.h>),
 * loader_load(), vmx_run_guest(). */
#ifndef UHV_VMX_RUN_H
#define UHV_VMX_RUN_H

#include <uhv/types.h>
#include <uhv/guest.h>
#include <uhv/vmx.h>

struct uhv_options;

/* Check that the CPU has VT-x with EPT and unrestricted guest and that the
 * firmware allows it (IA32_FEATURE_CONTROL; enabled and locked here when the
 * firmware left it unlocked), compute the VM-execution, VM-exit and VM-entry
 * controls from the capability MSRs, fix CR0/CR4 for VMX operation, enter
 * VMX root operation and make a VMCS current. Returns 0, or -ENODEV (no VMX,
 * or disabled by the firmware) / -EOPNOTSUPP (a required feature is missing)
 * / -ENOMEM / -EIO, after printing what is missing and what to do. */
int vmx_init(const struct uhv_options *o);

/* Fill the VMCS from g->boot and launch the guest. Does not return when the
 * launch works: the guest's shutdown hypercall (or a fatal exit) ends the run
 * through platform_exit(). Returns a negative errno when the guest could not
 * be started (after printing why). */
int vmx_run_guest(struct guest *g, const struct uhv_options *o);

/* Invalidate what the CPU caches from the guest's EPT (INVEPT), after a
 * change to it. */
void vmx_ept_changed(void);

/* Exit statistics: count and TSC ticks (handler time) by exit reason. */
void vmx_print_stats(void);
/* Exits of one basic exit reason so far, or of all reasons for ~0U. */
u64 vmx_exit_count(u32 reason);

/* ---- the virtual CPUs (one per CPU uhv runs on; see <uhv/vmx_smp.h>) ---- */

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

/* One per CPU uhv runs on (vmx/smp.c): a vCPU of the guest, or a parked CPU
 * that only ever sits in wait-for-SIPI. */
struct vcpu {
	/* Offset 0, saved and restored by vmx/entry.asm: the VMCS host RSP
	 * points here, the exit-path stack lies just below. */
	u64 gpr[VMX_NR_GPRS];
	struct guest *guest;
	u64 ept_violations;		/* all EPT violations seen */
	u32 ept_skip_len;		/* test hook 2: skip this many bytes on an EPT violation */
	u32 cpu;			/* uhv's CPU index (0: the boot CPU) */
	u32 apic_id;
	bool given;			/* a CPU of the guest; otherwise parked under uhv */
	volatile bool launched;		/* VMLAUNCH issued on this CPU */
	volatile u32 init_sent;		/* uhv sent an INIT IPI whose exit has not come yet */
	volatile u32 flush_pending;	/* another CPU changed the EPT: INVEPT here */
	volatile u32 waiting_sipi;	/* in wait-for-SIPI: INIT is blocked there (SDM 25.2) */
	u64 sipi_base;			/* CS base of the last SIPI start, until its first INIT */
	u64 guest_inits, guest_sipis;	/* INIT/SIPI from the guest (to a given or parked CPU) */
	u64 nmis_injected, nmis_dropped;	/* guest NMIs that arrived while in uhv */
	paddr_t vmxon_pa, vmcs_pa;
	/* exit counts and handler time by reason, on this CPU */
	struct {
		u64 count;
		u64 tsc;
	} stats[VMX_NR_EXIT_STATS];
};

#endif
