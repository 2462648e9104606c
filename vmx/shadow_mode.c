/* mem=shadow, the mode: running the guest without EPT on shadow page tables (mm/shadow.c).
 * Mode choice and controls, the guest's memory for the shadow MMU, the VMCS setup (real
 * CR0/CR4/EFER, masks, #PF intercept) and the shadow_mmu table of <uhv/vm_mmu.h>, whose comment
 * says what this mode must do differently from EPT; the exits are vmx/shadow_exits.c. */
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
#include "shadow_priv.h"

/* ---- mode choice and controls ---- */

bool shadow_vmx_choose(const struct uhv_options *o, const struct vmx_caps *caps)
{
	u32 need = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	bool has = (caps->ctl[VMX_CTL_PROC].may1 & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
		   (caps->ctl[VMX_CTL_PROC2].may1 & need) == need;

	if (o->mem == UHV_MEM_SHADOW) {
		pr_info("memory virtualization: shadow page tables (mem=shadow)\n");
	} else if (!has) {
		pr_warn("this CPU has no EPT or no unrestricted guest (IA32_VMX_PROCBASED_CTLS2 "
			"allowed-1 %#x): using shadow page tables instead (as with mem=shadow); "
			"the guest must start in protected mode\n", caps->ctl[VMX_CTL_PROC2].may1);
	} else {
		return false;
	}
	/* what cannot run, before it is tried: docs/shadow.md, "Mode selection" */
	pr_info("real-mode code (BIOS calls, SIPI-started APs, real-mode-only images) cannot run "
		"with mem=shadow: VMX runs real mode only with unrestricted guest, which needs "
		"EPT, and uhv does not emulate it; guests that enter in protected or long mode "
		"(multiboot, Linux 32/64-bit boot) and never clear CR0.PE run, on one vCPU\n");
	return true;
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

/* Non-RAM the guest may map (uncached): its ACPI and NVS regions, and identity the ranges of the
 * MMIO policy (the same the EPT maps) and the pages added by map_mmio (the NIC's BARs).
 * Everything else is unassigned. */
static int sh_mmio_hpa(void *ctx, u64 gpa, u64 len, paddr_t *hpa)
{
	struct shadow_vm *sv = ctx;
	const struct guest_region *r = region_of(sv, gpa, len);
	unsigned i;

	/* the guest's ACPI and NVS regions (its ACPI copy may live at other host addresses) */
	if (r && (r->type == GUEST_MEM_ACPI || r->type == GUEST_MEM_NVS)) {
		*hpa = r->hpa + (gpa - r->gpa);
		return kmem_is_hypervisor(*hpa, len) ? -EPERM : 0;
	}
	if (!mmio_policy_find(sv->policy, gpa, len)) {
		for (i = 0; i < sv->nr_mmio; i++)
			if (gpa >= sv->mmio[i].gpa && gpa - sv->mmio[i].gpa < sv->mmio[i].size &&
			    len <= sv->mmio[i].size - (gpa - sv->mmio[i].gpa))
				break;
		if (i == sv->nr_mmio)
			return -ENOENT;
	}
	*hpa = gpa;
	return vm_gpa_is_uhvs(sv->vm, gpa, len) ? -EPERM : 0;
}

static paddr_t sh_alloc(void *ctx)
{
	struct shadow_vm *sv = ctx;
	paddr_t pa = kmem_alloc_for(KMEM_SHADOW, 1, PAGE_SIZE);

	if (pa)
		sv->table_pages++;
	return pa;
}

static void sh_free(void *ctx, paddr_t pa)
{
	struct shadow_vm *sv = ctx;
	sv->table_pages--;
	kmem_free_for(KMEM_SHADOW, pa, PAGE_SIZE);
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

	if (!vmx.ready)
		return -EINVAL;
	sv->on = true;
	sv->g = g;
	sv->vm = vm;
	sv->policy = &vm->mmio.policy;
	sv->mem = (struct ptab_mem){ .alloc_table = sh_alloc, .free_table = sh_free,
				     .p2v = sh_p2v, .ctx = sv };
	sv->ops = (struct shadow_ops){
		.read_gpa = sh_read_gpa, .write_gpa = sh_write_gpa, .ram_hpa = sh_ram_hpa,
		.mmio_hpa = sh_mmio_hpa, .mem = &sv->mem, .ctx = sv,
		.host_1g = cpuid(0x80000001, 0).edx & BIT(26),
	};
	/* The guest may map its RAM and the MMIO policy's ranges (printed by vm_mmio_setup);
	 * pass-through devices add their BARs with shadow_vmx_allow_mmio(). */
	pr_info("guest memory: %llu MiB of RAM in %u regions, mapped on demand by shadow page "
		"tables; MMIO: the %u ranges of the MMIO policy\n", (guest_ram_total(g) >> 20),
		g->nr_mem, sv->policy->n);
	return 0;
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
	vmwrite(VMCS_GUEST_CR0, shadow_real_cr0(m.cr0));
	vmwrite(VMCS_GUEST_CR4, shadow_real_cr4(m.cr4, m.cr0));
	vmwrite(VMCS_GUEST_IA32_EFER, shadow_real_efer(m.efer));
	shadow_set_root(root);
	/* the guest's EFER.NXE is its own: reads exit too (writes always do) */
	vmx_msr_bitmap_intercept(vm->msr_bitmap, MSR_EFER, true, true);
	if (m.efer & EFER_LMA)
		*entry |= VM_ENTRY_IA32E_MODE;
	else
		*entry &= ~(u32)VM_ENTRY_IA32E_MODE;
	vmwrite(VMCS_VM_ENTRY_CONTROLS, *entry);
	pr_info("shadow paging: guest CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx; real CR0 %#llx "
		"CR4 %#llx EFER %#llx, shadow root %#llx, %u cached roots, #PF/CR3/INVLPG exit\n",
		m.cr0, m.cr3, m.cr4, m.efer, shadow_real_cr0(m.cr0),
		shadow_real_cr4(m.cr4, m.cr0), shadow_real_efer(m.efer), root, SHADOW_MAX_ROOTS);
	return 0;
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
		"events re-injected %llu), CR/EFER writes refused %llu (#GP)\n", sv->cr3_loads,
		sv->cr3_reads, sv->mode_writes, sv->invlpg_exits, sv->pf_exits, sv->pf_hidden,
		sv->pf_true, sv->pf_mmio, sv->reinjected, sv->cr_refused);
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
