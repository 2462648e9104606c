/* How EPT and shadow paging differ: the one seam between the two ways uhv virtualizes the
 * guest's physical memory. vmx_init() picks one table for the vm (vm->mmu) and nothing else in
 * uhv asks which mode is on; each entry below is what the shared VMX code needs of a mode.
 *
 *   EPT (vmx/ept_setup.c, default): the CPU walks the guest's own page tables and then uhv's EPT
 *     (GPA -> HPA). The guest owns CR0/CR3/CR4 and EFER; VPID tags its TLB entries; device
 *     memory is mapped into the EPT uncached.
 *   shadow (vmx/shadow_mode.c, vmx/shadow_exits.c over mm/shadow.c; mem=shadow, or a CPU
 *     without EPT / unrestricted guest): the CPU walks uhv's shadow page tables, built from
 *     the guest's (GVA -> HPA). So uhv must (docs/shadow.md has the design):
 *       - own CR0.PG/PE/WP and CR4's paging bits: the guest sees its own values through the
 *         read shadows, the CPU runs with uhv's (guest/host masks, CR-access exits);
 *       - see every CR3 load (CR3-load exiting) and INVLPG (INVLPG exiting) to switch or
 *         resync shadows, and keep EFER.LME/LMA in step with the guest's paging mode;
 *       - intercept #PF: a fault that the guest's tables allow is a hidden fault (fill the
 *         shadow, resume), any other is the guest's own (inject it with its error code and
 *         CR2);
 *       - run without VPID and unrestricted guest (so no real-mode guest entry), and with one
 *         vCPU;
 *       - map device memory only where a table of allowed MMIO ranges says so. */
#ifndef UHV_VM_MMU_H
#define UHV_VM_MMU_H

#include <uhv/types.h>

struct vm;
struct vcpu;
struct vmx_ctl_want;

struct vm_mmu_ops {
	const char *name;		/* "EPT", "shadow paging" */
	bool uses_eptp;			/* the VMCS gets an EPT pointer and VPID */
	/* vmx_init(): turn the wanted VM-execution controls into this mode's. */
	void (*want_controls)(struct vmx_ctl_want *proc, struct vmx_ctl_want *proc2);
	/* vm_build(): the guest's memory view from vm->guest.mem; dmar (may be NULL) names the
	 * VT-d register pages that must stay out of it. 0 or a negative errno, said why. */
	int (*setup_memory)(struct vm *vm, const void *dmar, size_t dmar_len);
	/* The boot vCPU's VMCS, after the common fields: this mode's fields (EPTP and VPID, or the
	 * real CRs, masks and #PF intercept). *entry: the VM-entry controls. Negative: this guest
	 * cannot run in this mode, said why. */
	int (*setup_vmcs)(struct vm *vm, struct vcpu *v, u32 *entry);
	/* Exits: MOV to/from CR0/CR3/CR4 (CR8 never exits), and IA32_EFER as the guest sees it
	 * and writes it (false: #GP). */
	void (*cr_access)(struct vcpu *v);
	u64 (*guest_efer)(struct vcpu *v);
	bool (*write_efer)(struct vcpu *v, u64 val);
	/* Device memory given to the guest, or taken back, after the build (a NIC BAR):
	 * identity [gpa, gpa+size), uncached. 0 or a negative errno (-EOPNOTSUPP: this mode
	 * cannot move it). The caller flushes with flush(). */
	int (*map_mmio)(struct vm *vm, u64 gpa, u64 size, const char *name);
	int (*unmap_mmio)(struct vm *vm, u64 gpa, u64 size);
	/* After map_mmio/unmap_mmio: drop what every vCPU caches of the old mapping. */
	void (*flush)(struct vm *vm);
	/* The end-of-run statistics of this mode (may be NULL). */
	void (*print_stats)(struct vm *vm);
};

extern const struct vm_mmu_ops ept_mmu;		/* vmx/ept_setup.c */
extern const struct vm_mmu_ops shadow_mmu;	/* vmx/shadow_mode.c */

#endif
