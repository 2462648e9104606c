/* Private to the shadow-paging side of VMX (vmx/shadow_mode.c, vmx/shadow_exits.c). */
#ifndef UHV_SHADOW_PRIV_H
#define UHV_SHADOW_PRIV_H

#include <uhv/shadow_vmx.h>
#include <uhv/vm.h>
#include <uhv/cr_checks.h>

#define VEC_DF		8
#define VEC_PF		14
#define RFLAGS_AC	BIT(18)
#define RFLAGS_VM	BIT(17)
#define PFEC_FETCH	BIT(4)

#define MSR_EFER	0xc0000080U
#define APIC_BASE_EN	BIT(11)

/* CR0/CR4 bits uhv owns in shadow mode (docs/shadow.md, "CR masks") */
#define SH_CR0_OWNED	(CR0_PE | CR0_PG | CR0_WP)
#define SH_CR4_OWNED	(CR4_PAE | CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP | CR4_PKE | \
			 CR4_LA57 | CR4_PCIDE | CR4_VMXE)


/* EPT-violation-style qualification bits for MMIO trap handlers (SDM 28.2.1) */
#define QUAL_READ	BIT(0)
#define QUAL_WRITE	BIT(1)
#define QUAL_FETCH	BIT(2)
#define QUAL_GLA_VALID	BIT(7)
#define QUAL_GLA_XLAT	BIT(8)


/* The real CR0/CR4/EFER for the guest's view of them (vmx/shadow_exits.c). */
u64 shadow_real_cr0(u64 view);
u64 shadow_real_cr4(u64 view, u64 cr0_view);
u64 shadow_real_efer(u64 view);
unsigned shadow_guest_cpl(void);
__noreturn void shadow_stop(struct vcpu *v, const char *what, const char *why);
__noreturn void shadow_real_mode_stop(struct vcpu *v, const char *what);
__noreturn void shadow_failed(struct vcpu *v, int err, u64 gpa);
void shadow_set_root(paddr_t root);

/* ops of shadow_mmu implemented by vmx/shadow_exits.c */
void shadow_cr_access(struct vcpu *v);
u64 shadow_guest_efer(struct vcpu *v);
bool shadow_write_efer(struct vcpu *v, u64 val);

#endif
