/* mem=shadow, the exits: control-register accesses, EFER, INVLPG and #PF on shadow page tables
 * (mm/shadow.c). The guest sees its own CR0/CR3/CR4/EFER; the CPU runs with the real ones
 * (docs/shadow.md). */
#define LOG_MODULE "shadow"
#include <uhv/platform.h>
#include <uhv/shadow_vmx.h>
#include <uhv/vm.h>
#include <uhv/mmio_emul.h>
#include <uhv/shadow.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/guest.h>
#include <uhv/options.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/test_hooks.h>
#include "shadow_priv.h"

/* ---- the guest's view and the real registers ---- */

u64 shadow_real_cr0(u64 view)
{
	return vmx_cr0_real(&vmx.cr, view) | SH_CR0_OWNED;
}

u64 shadow_real_cr4(u64 view, u64 cr0_view)
{
	u64 r = vmx_cr4_real(&vmx.cr, view);

	r |= CR4_PAE;
	r &= ~(u64)(CR4_PSE | CR4_PGE | CR4_PCIDE);
	if (!(cr0_view & CR0_PG))
		r &= ~(u64)(CR4_SMEP | CR4_SMAP | CR4_PKE);
	return r;
}

/* VM entry with real CR0.PG=1 needs EFER.LME = LMA; NXE always (shadow leaves
 * use XD for the guest's no-execute and for the CR0.WP=0 / SMEP case). */
u64 shadow_real_efer(u64 view)
{
	u64 r = (view & ~(u64)(EFER_LME | EFER_LMA)) | EFER_NXE;

	return (view & EFER_LMA) ? r | EFER_LME | EFER_LMA : r;
}

unsigned shadow_guest_cpl(void)
{
	return (vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3;
}

__noreturn void shadow_stop(struct vcpu *v, const char *what, const char *why)
{
	vmx_report_exit(v, what);
	vmx_stop(false, why);
}

/* Real mode needs unrestricted guest (SDM 26.3.1.1: without it, VM entry requires CR0.PE=1 and
 * PG=1), so a guest that enters it cannot go on: said with what it tried, and the run ends. */
__noreturn void shadow_real_mode_stop(struct vcpu *v, const char *what)
{
	pr_err("the guest tried to enter real mode (%s at RIP %#llx): real-mode code cannot run "
	       "with mem=shadow; use mem=ept on a CPU with EPT and unrestricted guest\n", what,
	       vmread(VMCS_GUEST_RIP));
	shadow_stop(v, "the guest left protected mode (CR0.PE=0)",
		    "real mode is not available with shadow paging (use mem=ept)");
}

/* A shadow call failed (out of table memory, or guest tables outside RAM). */
__noreturn void shadow_failed(struct vcpu *v, int err, u64 gpa)
{
	struct shadow_vm *sv = &v->vm->shadow;
	if (err == -EIO)
		pr_err("a guest paging-structure entry at guest-physical %#llx is not in guest RAM "
		       "(uhv does not emulate page walks into MMIO)\n", gpa);
	else
		pr_err("shadow MMU: %s (%llu table pages in use)\n", errno_name(err),
		       sv->table_pages);
	shadow_stop(v, "shadow paging failed", "shadow paging failed");
}

void shadow_set_root(paddr_t root)
{
	vmwrite(VMCS_GUEST_CR3, root);
}

/* ---- control registers ---- */

static bool pae_paging(const struct gwalk_mode *m)
{
	return gwalk_paging(m->cr0, m->cr4, m->efer) == GWALK_PAGING_PAE;
}

/* Make mode the guest's state: shadow, read shadows, real registers. */
static void apply_mode(struct vcpu *v, const struct gwalk_mode *m)
{
	struct shadow_vm *sv = &v->vm->shadow;
	paddr_t root;
	int err = shadow_set_mode(&sv->sh, m, &root);

	if (err)
		shadow_failed(v, err, 0);
	shadow_set_root(root);
	vmwrite(VMCS_CR0_READ_SHADOW, m->cr0);
	vmwrite(VMCS_CR4_READ_SHADOW, m->cr4);
	vmwrite(VMCS_GUEST_CR0, shadow_real_cr0(m->cr0));
	vmwrite(VMCS_GUEST_CR4, shadow_real_cr4(m->cr4, m->cr0));
	vmwrite(VMCS_GUEST_IA32_EFER, shadow_real_efer(m->efer));
}

/* PDPTE registers for PAE paging (SDM 4.4.1); false: #GP. */
static bool load_pdptes(struct vcpu *v, struct gwalk_mode *m)
{
	struct shadow_vm *sv = &v->vm->shadow;
	int err = gwalk_load_pdptes(&sv->sh.gops, m->cr3, m->maxphyaddr, m->pdpte);

	if (err == -EIO)
		shadow_failed(v, err, m->cr3 & 0xffffffe0ULL);
	return err == 0;
}

/* The guest's registers for the checks of <uhv/cr_checks.h>. CS.L only where a rule needs it
 * (CR0): CR3 loads are frequent and need no VMREAD more. */
static struct cr_state cr_state_of(const struct gwalk_mode *m)
{
	return (struct cr_state){ .cr0 = m->cr0, .cr3 = m->cr3, .cr4 = m->cr4, .efer = m->efer };
}

/* A write the SDM refuses: #GP, counted. */
static bool refused(struct vcpu *v, enum cr_rule r)
{
	if (r == CR_OK)
		return false;
	v->vm->shadow.cr_refused++;
	return true;
}

static bool guest_cr0_write(struct vcpu *v, u64 val)
{
	struct shadow_vm *sv = &v->vm->shadow;
	struct gwalk_mode m = sv->sh.mode;
	struct cr_state s = cr_state_of(&m);
	u64 old = m.cr0;
	u32 entry = (u32)vmread(VMCS_VM_ENTRY_CONTROLS), new_entry = entry;

	s.cs_l = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS) & VMX_AR_L;
	if (refused(v, cr0_write_check(&s, &vmx.cr_caps, val)))
		return false;
	val = cr0_written(val);
	if (!(val & CR0_PE))	/* real mode needs unrestricted guest */
		shadow_real_mode_stop(v, "MOV to CR0 clearing CR0.PE");
	m.efer &= ~(u64)EFER_LMA;
	if (cr0_lma_after(&s, val)) {
		m.efer |= EFER_LMA;
		new_entry |= VM_ENTRY_IA32E_MODE;
	} else {
		new_entry &= ~(u32)VM_ENTRY_IA32E_MODE;
	}
	m.cr0 = val;
	if (pae_paging(&m) && ((val ^ old) & (CR0_PG | CR0_CD | CR0_NW)) && !load_pdptes(v, &m))
		return false;
	sv->mode_writes++;
	apply_mode(v, &m);
	if (new_entry != entry)
		vmwrite(VMCS_VM_ENTRY_CONTROLS, new_entry);
	return true;
}

static bool guest_cr4_write(struct vcpu *v, u64 val)
{
	struct shadow_vm *sv = &v->vm->shadow;
	struct gwalk_mode m = sv->sh.mode;
	struct cr_state s = cr_state_of(&m);
	u64 old = m.cr4;

	if (refused(v, cr4_write_check(&s, &vmx.cr_caps, val)))
		return false;
	m.cr4 = val;
	if (pae_paging(&m) && ((val ^ old) & (CR4_PAE | CR4_PSE | CR4_PGE | CR4_SMEP)) &&
	    !load_pdptes(v, &m))
		return false;
	sv->mode_writes++;
	apply_mode(v, &m);
	return true;
}

static bool guest_cr3_write(struct vcpu *v, u64 val)
{
	struct shadow_vm *sv = &v->vm->shadow;
	struct gwalk_mode m = sv->sh.mode;
	u64 pdpte[4];
	paddr_t root;
	int err;

	struct cr_state s = cr_state_of(&m);

	if (refused(v, cr3_write_check(&s, &vmx.cr_caps, val)))
		return false;
	if (pae_paging(&m)) {
		err = gwalk_load_pdptes(&sv->sh.gops, val, m.maxphyaddr, pdpte);
		if (err == -EIO)
			shadow_failed(v, err, val & 0xffffffe0ULL);
		if (err)
			return false;
	}
	sv->cr3_loads++;
	err = shadow_load_cr3(&sv->sh, val, pae_paging(&m) ? pdpte : NULL, &root);
	if (err)
		shadow_failed(v, err, 0);
	shadow_set_root(root);
	return true;
}

void shadow_cr_access(struct vcpu *v)
{
	struct shadow_vm *sv = &v->vm->shadow;
	u64 q = vmread(VMCS_EXIT_QUALIFICATION);
	unsigned cr = CR_QUAL_CR_NUM(q), gpr = CR_QUAL_GPR(q);
	u64 cr0 = sv->sh.mode.cr0;
	u64 val;
	bool ok;

	switch (CR_QUAL_ACCESS_TYPE(q)) {
	case CR_ACCESS_MOV_TO_CR:
		val = gpr == GPR_RSP ? vmread(VMCS_GUEST_RSP) : v->gpr[gpr];
		if (!(sv->sh.mode.efer & EFER_LMA))
			val = (u32)val;
		break;
	case CR_ACCESS_MOV_FROM_CR:
		if (cr != 3)
			shadow_stop(v, "unexpected MOV from a control register", "unhandled VM exit");
		sv->cr3_reads++;
		val = sv->sh.mode.cr3;
		if (gpr == GPR_RSP)
			vmwrite(VMCS_GUEST_RSP, val);
		else
			v->gpr[gpr] = val;
		vmx_skip_instruction();
		return;
	case CR_ACCESS_CLTS:
		val = cr0 & ~(u64)CR0_TS;
		break;
	default:	/* LMSW: MP, EM, TS; can set PE but not clear it */
		val = (cr0 & ~0xeULL) | (CR_QUAL_LMSW_DATA(q) & 0xf) | (cr0 & CR0_PE);
		break;
	}
	if (cr == 0)
		ok = guest_cr0_write(v, val);
	else if (cr == 3)
		ok = guest_cr3_write(v, val);
	else if (cr == 4)
		ok = guest_cr4_write(v, val);
	else
		shadow_stop(v, "unexpected control-register access", "unhandled VM exit");
	if (!ok) {
		vmx_inject_exception(VEC_GP, true, 0);
		return;
	}
	vmx_skip_instruction();
}

u64 shadow_guest_efer(struct vcpu *v)
{
	struct shadow_vm *sv = &v->vm->shadow;
	return sv->sh.mode.efer;
}

bool shadow_write_efer(struct vcpu *v, u64 val)
{
	struct shadow_vm *sv = &v->vm->shadow;
	struct gwalk_mode m = sv->sh.mode;
	struct cr_state s = cr_state_of(&m);
	paddr_t root;
	u64 efer;

	if (refused(v, efer_write_check(&s, &vmx.cr_caps, val)))
		return false;
	efer = efer_written(&s, val);
	m.efer = efer;
	if (shadow_set_mode(&sv->sh, &m, &root)) {
		pr_err("shadow MMU: out of table memory at an EFER write\n");
		vmx_stop(false, "shadow paging failed");
	}
	shadow_set_root(root);
	vmwrite(VMCS_GUEST_IA32_EFER, shadow_real_efer(efer));
	return true;
}

/* ---- INVLPG ---- */

void shadow_vmx_handle_invlpg(struct vcpu *v)
{
	struct shadow_vm *sv = &v->vm->shadow;
	if (!sv->on)
		shadow_stop(v, "INVLPG exit without shadow paging", "unhandled VM exit");
	sv->invlpg_exits++;
	shadow_invlpg(&sv->sh, vmread(VMCS_EXIT_QUALIFICATION));
	vmx_skip_instruction();
}

/* ---- #PF ---- */

/* The event whose delivery caused the exit goes in again (SDM 27.2.4). */
static void reinject(struct shadow_vm *sv, u32 idt)
{
	sv->reinjected++;
	vmx_reinject_event(idt, (u32)vmread(VMCS_IDT_VECTORING_ERROR_CODE),
			   (u32)vmread(VMCS_VM_EXIT_INSTRUCTION_LEN));
}

/* The guest's translation reaches guest-physical gpa that is neither RAM nor
 * allowed MMIO: a claimed range is emulated, unassigned space too (reads
 * all-ones, writes dropped); uhv's memory is what an EPT violation is in EPT
 * mode, with the same test hooks (count, skip). */
static void fill_mmio(struct vcpu *v, u64 la, u32 pfec, u64 gpa, u32 idt)
{
	struct shadow_vm *sv = &v->vm->shadow;
	bool uhv = kmem_is_hypervisor(gpa & ~0xfffULL, PAGE_SIZE);
	const struct vmx_mmio_trap *t = uhv ? NULL : vmx_trap_mmio_find(v->vm, gpa);
	const char *acc = (pfec & PFEC_FETCH) ? "instruction fetch" :
			  (pfec & PFEC_W) ? "write" : "read";

	u64 q = ((pfec & PFEC_FETCH) ? QUAL_FETCH : (pfec & PFEC_W) ? QUAL_WRITE : QUAL_READ) |
		QUAL_GLA_VALID | QUAL_GLA_XLAT;

	sv->pf_mmio++;
	/* the handlers refuse an exit during event delivery (<uhv/mmio_emul.h>) */
	if (t) {
		if (t->fn(t->ctx, v, gpa, q) < 0)
			shadow_stop(v, t->name, "a trapped MMIO access failed");
		return;
	}
	if (!uhv && !vm_gpa_is_uhvs(v->vm, gpa & ~0xfffULL, PAGE_SIZE)) {
		vmx_mmio_unassigned(v, gpa, q);	/* as in EPT mode */
		return;
	}
	v->ept_violations++;
	pr_warn("guest %s of guest-physical %#llx (linear %#llx) at RIP %#llx: %s\n", acc,
		gpa, la, vmread(VMCS_GUEST_RIP),
		uhv ? "uhv's own memory" : "not mapped for the guest");
	/* test hook 2, as for EPT violations: resume after the instruction */
	if (test_hook_ept_skip(v, idt))
		return;
	shadow_stop(v, "guest access outside its memory (shadow paging)",
	     uhv ? "guest accessed uhv's memory" : "guest accessed unmapped memory");
}

void shadow_vmx_handle_exception(struct vcpu *v, u32 info)
{
	struct shadow_vm *sv = &v->vm->shadow;
	u32 idt = (u32)vmread(VMCS_IDT_VECTORING_INFO);
	struct shadow_fault out;
	u64 la;
	u32 pfec;
	int r;

	if (!sv->on || (info & INTR_INFO_VECTOR_MASK) != VEC_PF ||
	    INTR_INFO_TYPE(info) != INTR_TYPE_HARD_EXCEPTION)
		shadow_stop(v, "unexpected exception or NMI exit", "unhandled VM exit");
	sv->pf_exits++;
	la = vmread(VMCS_EXIT_QUALIFICATION);
	pfec = (u32)vmread(VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE);
	r = shadow_fill(&sv->sh, la, pfec,
			gwalk_access_from_pfec(pfec, shadow_guest_cpl(),
					       vmread(VMCS_GUEST_RFLAGS) & RFLAGS_AC), &out);
	switch (r) {
	case SHADOW_FILLED:
		sv->pf_hidden++;
		if (idt & INTR_INFO_VALID)
			reinject(sv, idt);
		return;
	case SHADOW_INJECT:
		sv->pf_true++;
		/* a #PF exit leaves CR2 alone; the guest's handler reads it */
		write_cr2(out.cr2);
		if ((idt & INTR_INFO_VALID) && INTR_INFO_TYPE(idt) == INTR_TYPE_HARD_EXCEPTION) {
			unsigned vec = idt & INTR_INFO_VECTOR_MASK;

			if (vec == VEC_DF) {
				platform_end_request(PLATFORM_END_RESET);
				shadow_stop(v, "page fault while delivering a double fault",
					    "guest triple fault");
			}
			if (vec == VEC_PF) {	/* #PF while delivering #PF (SDM 6.15) */
				vmx_inject_exception(VEC_DF, true, 0);
				return;
			}
		}
		vmx_inject_exception(VEC_PF, true, out.error_code);
		return;
	case SHADOW_MMIO:
		fill_mmio(v, la, pfec, out.gpa, idt);
		return;
	default:
		shadow_failed(v, r, out.gpa);
	}
}
