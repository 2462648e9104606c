/* mem=shadow on the VMX side (vmx/shadow_mode.c, vmx/shadow_exits.c): the guest runs without
 * EPT on shadow page tables (mm/shadow.c). Its entry points for the rest of uhv are the shadow_mmu table of
 * <uhv/vm_mmu.h>, where the differences from EPT are described; the design is in
 * docs/shadow.md. */
#ifndef UHV_SHADOW_VMX_H
#define UHV_SHADOW_VMX_H

#include <uhv/types.h>
#include <uhv/shadow.h>
#include <uhv/ptab.h>

struct uhv_options;
struct vmx_caps;
struct vcpu;
struct vm;
struct guest;
struct mmio_policy;

#define SHADOW_MAX_ALLOWED_MMIO	16

struct shadow_mmio_allow {
	u64 gpa, size;
	const char *name;
};

/* The vm's shadow MMU and what it needs: set up once before the guest runs, then changed only by
 * the exit handlers of its one vCPU (mem=shadow gives the guest one CPU), so no lock. */
struct shadow_vm {
	bool on;
	struct vm *vm;
	struct guest *g;
	const struct mmio_policy *policy;	/* &vm->mmio.policy: what the guest may map */
	struct shadow sh;
	struct shadow_ops ops;
	struct ptab_mem mem;
	struct shadow_mmio_allow mmio[SHADOW_MAX_ALLOWED_MMIO];
	unsigned nr_mmio;
	u64 table_pages;	/* shadow table pages allocated - freed */
	u64 cr3_loads, cr3_reads, mode_writes, pf_exits, pf_hidden, pf_true, pf_mmio;
	u64 invlpg_exits, reinjected;
	u64 cr_refused;		/* CR0/CR3/CR4/EFER writes the SDM's rules refuse (#GP) */
};

/* vmx_init(), before the controls are computed: shadow paging when the command line says
 * mem=shadow, or (with a message) when the CPU has no EPT or no unrestricted guest. Returns
 * true for shadow paging. */
bool shadow_vmx_choose(const struct uhv_options *o, const struct vmx_caps *caps);

/* Exit handlers (vmx/exit.c's table). #PF comes through debug/stepping.c's exception handler
 * with the exit's interruption information (info) already read. */
void shadow_vmx_handle_exception(struct vcpu *v, u32 info);
void shadow_vmx_handle_invlpg(struct vcpu *v);

/* Extra MMIO pages the guest may map directly (uncached) in shadow mode, e.g. a pass-through
 * device's BARs: [gpa, gpa+size), identity (shadow_mmu.map_mmio). -ENOSPC when the small table
 * is full. */
int shadow_vmx_allow_mmio(struct vm *vm, u64 gpa, u64 size, const char *name);

#endif
