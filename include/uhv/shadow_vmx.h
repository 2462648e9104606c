/* mem=shadow on the VMX side (vmx/shadow_vmx.c): the guest runs without EPT
 * on shadow page tables (mm/shadow.c). This file's functions are the hooks
 * the shared VMX code calls; each is a no-op (or says "not active") in EPT
 * mode. The design is in docs/shadow.md, "What the VMX side must do". */
#ifndef UHV_SHADOW_VMX_H
#define UHV_SHADOW_VMX_H

#include <uhv/types.h>

struct uhv_options;
struct vmx_caps;
struct vmx_ctl_want;
struct vcpu;
struct guest;

/* The guest runs on shadow page tables (decided by shadow_vmx_choose()). */
bool shadow_vmx_enabled(void);

/* vmx_init(), before the controls are computed: shadow paging when the
 * command line says mem=shadow, or (with a message) when the CPU has no EPT
 * or no unrestricted guest. Returns true for shadow paging. */
bool shadow_vmx_choose(const struct uhv_options *o, const struct vmx_caps *caps);

/* vmx_init(): turn the wanted controls into the shadow-paging ones (no EPT,
 * no unrestricted guest, no VPID, no INVPCID; CR3 load/store and INVLPG
 * exiting). */
void shadow_vmx_want(struct vmx_ctl_want *proc, struct vmx_ctl_want *proc2);

/* Instead of guest_setup_ept(): the guest's memory view for the shadow MMU
 * (g->mem RAM, firmware regions and the allowed MMIO pages). */
int shadow_vmx_setup_memory(struct guest *g);

/* vmx_run_guest(), after the guest state and controls are written: the real
 * CR0/CR3/CR4/EFER, masks, exception bitmap and the first shadow root.
 * *entry: the VM-entry controls (IA-32e mode guest). Negative: cannot run
 * this guest without EPT (e.g. a real-mode entry), after saying why. */
int shadow_vmx_setup_vmcs(struct guest *g, u32 *entry);

/* Exit handlers (the table in vmx/exit.c; control-register accesses come
 * from vmx_handle_cr_access() when shadow paging is on). */
void shadow_vmx_handle_exception(struct vcpu *v);
void shadow_vmx_handle_invlpg(struct vcpu *v);
void shadow_vmx_cr_access(struct vcpu *v);

/* IA32_EFER as the guest sees it / a guest WRMSR to it (false: #GP). */
u64 shadow_vmx_guest_efer(void);
bool shadow_vmx_write_efer(u64 val);

/* Extra MMIO pages the guest may map directly (uncached) in shadow mode, e.g.
 * a pass-through device's BARs: [gpa, gpa+size), identity. -ENOSPC when the
 * small table is full. Call before vmx_run_guest(). */
int shadow_vmx_allow_mmio(u64 gpa, u64 size, const char *name);

/* The shadow MMU's counters (with the exit statistics). */
void shadow_vmx_print_stats(void);

#endif
