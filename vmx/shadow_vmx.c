/* mem=shadow: running the guest without EPT on shadow page tables
 * (mm/shadow.c). Mode choice and controls, the guest's memory for the shadow
 * MMU, the VMCS setup (real CR0/CR4/EFER, masks, #PF intercept) and the exit
 * handlers for control-register accesses, INVLPG and #PF. docs/shadow.md,
 * "What the VMX side must do", is the specification. */
#define LOG_MODULE "shadow"
#include <uhv/shadow_vmx.h>
#include <uhv/vm.h>
#include <uhv/shadow.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/guest.h>
#include <uhv/options.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>

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


/* ---- mode choice and controls ---- */

bool shadow_vmx_choose(const struct uhv_options *o, const struct vmx_caps *caps)
{
	u32 need = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	bool has = (caps->ctl[VMX_CTL_PROC].may1 & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
		   (caps->ctl[VMX_CTL_PROC2].may1 & need) == need;

	if (o->mem == UHV_MEM_SHADOW) {
		pr_info("memory virtualization: shadow page tables (mem=shadow)\n");
		return true;
	} else if (!has) {
		pr_warn("this CPU has no EPT or no unrestricted guest (IA32_VMX_PROCBASED_CTLS2 "
			"allowed-1 %#x): using shadow page tables instead (as with mem=shadow); "
			"the guest must start in protected mode\n", caps->ctl[VMX_CTL_PROC2].may1);
		return true;
	}
	return false;
}

static void shadow_want_controls(struct vmx_ctl_want *proc, struct vmx_ctl_want *proc2)
{
	u32 exits = CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		    CPU_BASED_INVLPG_EXITING;
	/* VPID off: every VM entry and exit then flushes the guest's TLB, so
	 * shadow changes need no INVVPID (docs/shadow.md, "TLB"). INVPCID off:
	 * it is #UD for the guest and CPUID hides it. */
	u32 off2 = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST |
		   SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_INVPCID;

	proc->required |= exits;
	proc->clear &= ~exits;
	proc2->required &= ~off2;
	proc2->optional &= ~off2;
	proc2->clear |= off2;
}

/* ---- guest memory for the shadow MMU ---- */

static const struct guest_region *region_of(const struct shadow_vm *sv, u64 gpa, u64 len)
{
	const struct guest *g = sv->g;

	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return len <= r->size - (gpa - r->gpa) ? r : NULL;
	}
	return NULL;
}

static int sh_read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct shadow_vm *sv = ctx;
	return guest_read(sv->g, gpa, buf, len);
}

static int sh_write_gpa(void *ctx, u64 gpa, const void *buf, size_t len)
{
	struct shadow_vm *sv = ctx;
	return guest_write(sv->g, gpa, buf, len);
}

static int sh_ram_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	struct shadow_vm *sv = ctx;
	const struct guest_region *r = region_of(sv, gpa, len);

	if (!r || r->type != GUEST_MEM_RAM)
		return -ENOENT;
	*hpa = r->hpa + (gpa - r->gpa);
	/* g->mem never holds uhv's memory; checked again because a leaf to it
	 * would hand uhv to the guest */
	return kmem_is_hypervisor(*hpa, len) ? -EPERM : 0;
}

/* Non-RAM the guest may map (uncached): its firmware regions (ACPI tables,
 * NVS, reserved: the EPT maps them too) and the allowed device pages. */
static int sh_mmio_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	struct shadow_vm *sv = ctx;
	const struct guest_region *r = region_of(sv, gpa, len);

	if (r) {
		*hpa = r->hpa + (gpa - r->gpa);
	} else {
		unsigned i;

		for (i = 0; i < sv->nr_mmio; i++)
			if (gpa >= sv->mmio[i].gpa && gpa - sv->mmio[i].gpa < sv->mmio[i].size &&
			    len <= sv->mmio[i].size - (gpa - sv->mmio[i].gpa))
				break;
		if (i == sv->nr_mmio)
			return -ENOENT;
		*hpa = gpa;
	}
	return kmem_is_hypervisor(*hpa, len) ? -EPERM : 0;
}

static paddr_t sh_alloc(void *ctx)
{
	struct shadow_vm *sv = ctx;
	paddr_t pa = kmem_alloc_page();

	if (pa)
		sv->table_pages++;
	return pa;
}

static void sh_free(void *ctx, paddr_t pa)
{
	struct shadow_vm *sv = ctx;
	sv->table_pages--;
	kmem_free(pa, PAGE_SIZE);
}

static void *sh_p2v(void *ctx, paddr_t pa)
{
	return phys_to_virt(pa);
}

int shadow_vmx_allow_mmio(struct vm *vm, u64 gpa, u64 size, const char *name)
{
	struct shadow_vm *sv = &vm->shadow;
	if (!size || (gpa | size) & (PAGE_SIZE - 1))
		return -EINVAL;
	if (sv->nr_mmio == SHADOW_MAX_ALLOWED_MMIO)
		return -ENOSPC;
	if (kmem_is_hypervisor(gpa, size)) {
		pr_err("MMIO range [%#llx-%#llx) for %s is uhv's memory: not allowed\n", gpa,
		       (gpa + size), name);
		return -EPERM;
	}
	sv->mmio[sv->nr_mmio++] = (struct shadow_mmio_allow){ gpa, size, name };
	return 0;
}

static int shadow_setup_memory(struct vm *vm, const void *dmar, size_t dmar_len)
{
	struct shadow_vm *sv = &vm->shadow;
	struct guest *g = &vm->guest;
	u64 apic = rdmsr(MSR_IA32_APIC_BASE);

	if (!vmx.ready)
		return -EINVAL;
	sv->on = true;
	sv->g = g;
	sv->mem = (struct ptab_mem){ .alloc_table = sh_alloc, .free_table = sh_free,
				     .p2v = sh_p2v, .ctx = sv };
	sv->ops = (struct shadow_ops){
		.read_gpa = sh_read_gpa, .write_gpa = sh_write_gpa, .ram_hpa = sh_ram_hpa,
		.mmio_hpa = sh_mmio_hpa, .mem = &sv->mem, .ctx = sv,
		.host_1g = cpuid(0x80000001, 0).edx & BIT(26),
	};
	/* The platform devices a guest drives directly; everything else that
	 * is not guest memory (PCI BARs, VT-d registers, uhv) stays unmapped.
	 * Pass-through devices add their BARs with shadow_vmx_allow_mmio(). */
	if (apic & APIC_BASE_EN)
		shadow_vmx_allow_mmio(vm, apic & ~0xfffULL & (BIT(vmx.phys_bits) - 1), PAGE_SIZE,
				      "local APIC");
	shadow_vmx_allow_mmio(vm, 0xfec00000ULL, PAGE_SIZE, "IOAPIC");
	shadow_vmx_allow_mmio(vm, 0xfed00000ULL, PAGE_SIZE, "HPET");
	/* As with EPT: the legacy VGA window and the option/BIOS ROMs below 1 MiB
	 * (an OS scans them), and the firmware flash below 4 GiB */
	shadow_vmx_allow_mmio(vm, 0xa0000ULL, 0x60000ULL, "legacy VGA window and ROMs");
	shadow_vmx_allow_mmio(vm, 0xfffc0000ULL, 0x40000ULL, "firmware flash");
	pr_info("guest memory: %llu MiB of RAM in %u regions, mapped on demand by shadow page "
		"tables; MMIO the guest may map:\n", (guest_ram_total(g) >> 20), g->nr_mem);
	for (unsigned i = 0; i < sv->nr_mmio; i++)
		pr_info("  [%#014llx-%#014llx) %s\n", sv->mmio[i].gpa,
			(sv->mmio[i].gpa + sv->mmio[i].size), sv->mmio[i].name);
	return 0;
}

/* ---- the guest's view and the real registers ---- */

static u64 real_cr0(u64 view)
{
	return vmx_cr0_real(&vmx.cr, view) | SH_CR0_OWNED;
}

static u64 real_cr4(u64 view, u64 cr0_view)
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
static u64 real_efer(u64 view)
{
	u64 r = (view & ~(u64)(EFER_LME | EFER_LMA)) | EFER_NXE;

	return (view & EFER_LMA) ? r | EFER_LME | EFER_LMA : r;
}

static unsigned guest_cpl(void)
{
	return (vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3;
}

static __noreturn void stop(struct vcpu *v, const char *what, const char *why)
{
	vmx_report_exit(v, what);
	vmx_stop(false, why);
}

/* A shadow call failed (out of table memory, or guest tables outside RAM). */
static __noreturn void shadow_failed(struct vcpu *v, int err, u64 gpa)
{
	struct shadow_vm *sv = &v->vm->shadow;
	if (err == -EIO)
		pr_err("a guest paging-structure entry at guest-physical %#llx is not in guest RAM "
		       "(uhv does not emulate page walks into MMIO)\n", gpa);
	else
		pr_err("shadow MMU: %s (%llu table pages in use)\n", errno_name(err),
		       sv->table_pages);
	stop(v, "shadow paging failed", "shadow paging failed");
}

static void set_root(paddr_t root)
{
	vmwrite(VMCS_GUEST_CR3, root);
}

static int shadow_setup_vmcs(struct vm *vm, struct vcpu *v, u32 *entry)
{
	struct shadow_vm *sv = &v->vm->shadow;
	const struct guest_boot_state *b = &vm->guest.boot;
	struct gwalk_mode m = { 0 };
	paddr_t root;
	int err;

	if (!sv->on)
		return -EINVAL;
	if (b->mode == GUEST_MODE_REAL) {
		pr_err("the guest starts in real mode, which needs unrestricted guest (EPT): shadow "
		       "paging runs protected-mode entries only (multiboot, Linux 32/64-bit); "
		       "use mem=ept on a CPU with EPT\n");
		return -EOPNOTSUPP;
	}
	if (!vmx.nx) {
		pr_err("shadow paging needs the NX bit (CPUID 80000001H:EDX[20])\n");
		return -EOPNOTSUPP;
	}
	m.cr0 = vmread(VMCS_CR0_READ_SHADOW);
	m.cr4 = vmread(VMCS_CR4_READ_SHADOW);
	m.efer = vmread(VMCS_GUEST_IA32_EFER);
	m.cr3 = b->mode == GUEST_MODE_LONG64 ? b->cr3 : 0;
	m.maxphyaddr = vmx.phys_bits;
	m.pdpe1gb = sv->ops.host_1g;
	err = shadow_init(&sv->sh, &sv->ops, SHADOW_MAX_ROOTS, &m, &root);
	if (err) {
		pr_err("cannot set up the shadow MMU: %s\n", errno_name(err));
		return err;
	}
	vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS, vmx.proc);
	vmwrite(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROLS, vmx.proc2);
	/* OR: the GDB stub (debug/stepping.c) may own #BP/#DB */
	vmwrite(VMCS_EXCEPTION_BITMAP, vmread(VMCS_EXCEPTION_BITMAP) | BIT(VEC_PF));
	vmwrite(VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_CR0_GUEST_HOST_MASK, vmx_cr0_guest_host_mask(&vmx.cr) | SH_CR0_OWNED);
	vmwrite(VMCS_CR4_GUEST_HOST_MASK, vmx_cr4_guest_host_mask(&vmx.cr) | SH_CR4_OWNED);
	vmwrite(VMCS_GUEST_CR0, real_cr0(m.cr0));
	vmwrite(VMCS_GUEST_CR4, real_cr4(m.cr4, m.cr0));
	vmwrite(VMCS_GUEST_IA32_EFER, real_efer(m.efer));
	set_root(root);
	/* the guest's EFER.NXE is its own: reads exit too (writes always do) */
	vmx_msr_bitmap_intercept(vm->msr_bitmap, MSR_EFER, true, true);
	if (m.efer & EFER_LMA)
		*entry |= VM_ENTRY_IA32E_MODE;
	else
		*entry &= ~(u32)VM_ENTRY_IA32E_MODE;
	vmwrite(VMCS_VM_ENTRY_CONTROLS, *entry);
	pr_info("shadow paging: guest CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx; real CR0 %#llx "
		"CR4 %#llx EFER %#llx, shadow root %#llx, %u cached roots, #PF/CR3/INVLPG exit\n",
		m.cr0, m.cr3, m.cr4, m.efer, real_cr0(m.cr0),
		real_cr4(m.cr4, m.cr0), real_efer(m.efer), root, SHADOW_MAX_ROOTS);
	return 0;
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
	set_root(root);
	vmwrite(VMCS_CR0_READ_SHADOW, m->cr0);
	vmwrite(VMCS_CR4_READ_SHADOW, m->cr4);
	vmwrite(VMCS_GUEST_CR0, real_cr0(m->cr0));
	vmwrite(VMCS_GUEST_CR4, real_cr4(m->cr4, m->cr0));
	vmwrite(VMCS_GUEST_IA32_EFER, real_efer(m->efer));
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

static bool guest_cr0_write(struct vcpu *v, u64 val)
{
	struct shadow_vm *sv = &v->vm->shadow;
	struct gwalk_mode m = sv->sh.mode;
	u64 old = m.cr0;
	u32 entry = (u32)vmread(VMCS_VM_ENTRY_CONTROLS), new_entry = entry;

	if (!vmx_cr0_write_ok(val))
		return false;
	if (!(val & CR0_PE)) {
		/* real mode needs unrestricted guest */
		vmx_report_exit(v, "the guest left protected mode (CR0.PE=0)");
		vmx_stop(false, "real mode is not available with shadow paging (use mem=ept)");
	}
	if (!(old & CR0_PG) && (val & CR0_PG) && (m.efer & EFER_LME)) {
		if (!(m.cr4 & CR4_PAE))
			return false;
		m.efer |= EFER_LMA;	/* entering IA-32e mode */
		new_entry |= VM_ENTRY_IA32E_MODE;
	} else if ((old & CR0_PG) && !(val & CR0_PG) && (m.efer & EFER_LMA)) {
		m.efer &= ~(u64)EFER_LMA;
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
	u64 old = m.cr4;

	if (!vmx_cr4_write_ok(&vmx.cr, old, val, m.efer & EFER_LMA, m.cr3))
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
	bool lma = m.efer & EFER_LMA;
	u64 pdpte[4];
	paddr_t root;
	int err;

	if (lma) {
		u64 addr = (m.cr4 & CR4_PCIDE) ? val & ~BIT(63) : val;

		if (addr >> m.maxphyaddr)
			return false;
	}
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
	set_root(root);
	return true;
}

static void shadow_cr_access(struct vcpu *v)
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
			stop(v, "unexpected MOV from a control register", "unhandled VM exit");
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
		stop(v, "unexpected control-register access", "unhandled VM exit");
	if (!ok) {
		vmx_inject_exception(VEC_GP, true, 0);
		return;
	}
	vmx_skip_instruction();
}

static u64 shadow_guest_efer(struct vcpu *v)
{
	struct shadow_vm *sv = &v->vm->shadow;
	return sv->sh.mode.efer;
}

static bool shadow_write_efer(struct vcpu *v, u64 val)
{
	struct shadow_vm *sv = &v->vm->shadow;
	struct gwalk_mode m = sv->sh.mode;
	paddr_t root;
	u64 efer;

	if (!vmx_efer_write_ok(m.efer, val, vmx.nx, m.cr0 & CR0_PG, &efer))
		return false;
	m.efer = efer;
	if (shadow_set_mode(&sv->sh, &m, &root)) {
		pr_err("shadow MMU: out of table memory at an EFER write\n");
		vmx_stop(false, "shadow paging failed");
	}
	set_root(root);
	vmwrite(VMCS_GUEST_IA32_EFER, real_efer(efer));
	return true;
}

/* ---- INVLPG ---- */

void shadow_vmx_handle_invlpg(struct vcpu *v)
{
	struct shadow_vm *sv = &v->vm->shadow;
	if (!sv->on)
		stop(v, "INVLPG exit without shadow paging", "unhandled VM exit");
	sv->invlpg_exits++;
	shadow_invlpg(&sv->sh, vmread(VMCS_EXIT_QUALIFICATION));
	vmx_skip_instruction();
}

/* ---- #PF ---- */

/* The event whose delivery caused the exit goes in again (SDM 27.2.4). */
static void reinject(struct shadow_vm *sv, u32 idt)
{
	u32 type = INTR_INFO_TYPE(idt);

	sv->reinjected++;
	if (idt & INTR_INFO_DELIVER_ERROR_CODE)
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(VMCS_IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmwrite(VMCS_VM_ENTRY_INSTRUCTION_LEN, vmread(VMCS_VM_EXIT_INSTRUCTION_LEN));
	vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO, idt & ~(u32)INTR_INFO_NMI_UNBLOCKING_IRET);
}

/* The guest's translation reaches guest-physical gpa that is neither RAM nor
 * allowed MMIO: a claimed range is emulated; anything else (uhv's memory,
 * unmapped space) is what an EPT violation is in EPT mode, with the same test
 * hooks (count, skip). */
static void fill_mmio(struct vcpu *v, u64 la, u32 pfec, u64 gpa, u32 idt)
{
	struct shadow_vm *sv = &v->vm->shadow;
	bool uhv = kmem_is_hypervisor(gpa & ~0xfffULL, PAGE_SIZE);
	const struct vmx_mmio_trap *t = uhv ? NULL : vmx_trap_mmio_find(v->vm, gpa);
	const char *acc = (pfec & PFEC_FETCH) ? "instruction fetch" :
			  (pfec & PFEC_W) ? "write" : "read";

	sv->pf_mmio++;
	if (t && !(idt & INTR_INFO_VALID)) {
		u64 q = ((pfec & PFEC_FETCH) ? QUAL_FETCH : (pfec & PFEC_W) ? QUAL_WRITE :
			 QUAL_READ) | QUAL_GLA_VALID | QUAL_GLA_XLAT;

		if (t->fn(t->ctx, v, gpa, q) < 0)
			stop(v, t->name, "a trapped MMIO access failed");
		return;
	}
	v->ept_violations++;
	pr_warn("guest %s of guest-physical %#llx (linear %#llx) at RIP %#llx: %s\n", acc,
		gpa, la, vmread(VMCS_GUEST_RIP),
		uhv ? "uhv's own memory" : "not mapped for the guest");
	/* test hook 2, as for EPT violations: resume after the instruction */
	if (v->ept_skip_len && !(idt & INTR_INFO_VALID)) {
		vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + v->ept_skip_len);
		return;
	}
	stop(v, "guest access outside its memory (shadow paging)",
	     uhv ? "guest accessed uhv's memory" : "guest accessed unmapped memory");
}

void shadow_vmx_handle_exception(struct vcpu *v)
{
	struct shadow_vm *sv = &v->vm->shadow;
	u32 info = (u32)vmread(VMCS_VM_EXIT_INTERRUPTION_INFO);
	u32 idt = (u32)vmread(VMCS_IDT_VECTORING_INFO);
	struct shadow_fault out;
	u64 la;
	u32 pfec;
	int r;

	if (!sv->on || (info & INTR_INFO_VECTOR_MASK) != VEC_PF ||
	    INTR_INFO_TYPE(info) != INTR_TYPE_HARD_EXCEPTION)
		stop(v, "unexpected exception or NMI exit", "unhandled VM exit");
	sv->pf_exits++;
	la = vmread(VMCS_EXIT_QUALIFICATION);
	pfec = (u32)vmread(VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE);
	r = shadow_fill(&sv->sh, la, pfec,
			gwalk_access_from_pfec(pfec, guest_cpl(),
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

			if (vec == VEC_DF)
				stop(v, "page fault while delivering a double fault",
				     "guest triple fault");
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

/* ---- statistics ---- */

static void shadow_print_stats(struct vm *vm)
{
	struct shadow_vm *sv = &vm->shadow;
	const struct shadow_stats *s = &sv->sh.stats;
	u64 lookups = s->hits + s->misses;

	if (!sv->on)
		return;
	pr_info("shadow statistics: CR3 loads %llu, CR3 reads %llu, CR0/CR4/EFER writes %llu, "
		"INVLPG %llu, #PF exits %llu (hidden %llu, true %llu, outside memory %llu, "
		"events re-injected %llu)\n", sv->cr3_loads, sv->cr3_reads,
		sv->mode_writes, sv->invlpg_exits, sv->pf_exits, sv->pf_hidden,
		sv->pf_true, sv->pf_mmio, sv->reinjected);
	pr_info("shadow root cache: %llu hits, %llu misses, %llu evictions, hit rate %llu%%; "
		"fills %llu, injects %llu (reflected %llu), flushes %llu, %u roots, %llu table "
		"pages\n", s->hits, s->misses, s->evictions,
		(lookups ? s->hits * 100 / lookups : 0), s->fills, s->injects,
		s->reflects, s->flushes, shadow_roots_used(&sv->sh), sv->table_pages);
}

/* A device BAR cannot move in shadow mode: shadow leaves already made for it are not tracked. */
static int shadow_unmap_mmio(struct vm *vm, u64 gpa, u64 size)
{
	return -EOPNOTSUPP;
}

/* Without VPID every VM entry flushes the guest's TLB: nothing is cached across entries. */
static void shadow_mmu_flush(struct vm *vm)
{
}

const struct vm_mmu_ops shadow_mmu = {
	.name = "shadow paging",
	.uses_eptp = false,
	.want_controls = shadow_want_controls,
	.setup_memory = shadow_setup_memory,
	.setup_vmcs = shadow_setup_vmcs,
	.cr_access = shadow_cr_access,
	.guest_efer = shadow_guest_efer,
	.write_efer = shadow_write_efer,
	.map_mmio = shadow_vmx_allow_mmio,
	.unmap_mmio = shadow_unmap_mmio,
	.flush = shadow_mmu_flush,
	.print_stats = shadow_print_stats,
};
