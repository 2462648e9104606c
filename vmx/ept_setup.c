/* The guest's memory and EPT at run time: memory map -> g->mem, host MTRRs
 * -> memory types, DMAR -> VT-d register pages kept out, EPT tables from
 * uhv's pool (so they are uhv's memory, absent from the guest's EPT). */
#define LOG_MODULE "vmx"
#include <uhv/vmx_smp.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/vm.h>
#include <uhv/ept.h>
#include <uhv/mtrr.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/string.h>

#define MAX_EPT_REGIONS	(GUEST_MAX_REGIONS + 64)
#define CPUID_1_EDX_MTRR BIT(12)


static paddr_t ept_alloc(void *ctx)
{
	return kmem_alloc_for(KMEM_EPT, 1, PAGE_SIZE);
}

static void *ept_p2v(void *ctx, paddr_t pa)
{
	return phys_to_virt(pa);
}

static const struct ptab_mem ept_mem = { .alloc_table = ept_alloc, .p2v = ept_p2v };

static u64 rdmsr_cb(void *ctx, u32 msr)
{
	return rdmsr(msr);
}

static void read_mtrrs(struct mtrr_state *m)
{
	struct mtrr_raw raw;
	bool has = cpuid(1, 0).edx & CPUID_1_EDX_MTRR;

	mtrr_read(&raw, has, rdmsr_cb, NULL);
	if (mtrr_decode(&raw, vmx.phys_bits, m) < 0)
		m->enabled = false;
}

static void print_layout(const struct guest *g, const struct ept_hole *holes, int nholes)
{
	u64 ram = guest_ram_total(g);

	bool identity = true;

	for (unsigned i = 0; i < g->nr_mem; i++)
		identity &= g->mem[i].gpa == g->mem[i].hpa;
	pr_info("guest memory: %llu MiB of RAM in %u regions (%s):\n",
		(ram >> 20), g->nr_mem, identity ? "identity-mapped" : "GPA -> HPA");
	for (unsigned i = 0; i < g->nr_mem; i++) {
		if (g->mem[i].gpa == g->mem[i].hpa)
			pr_info("  [%#014llx-%#014llx) %s\n", g->mem[i].gpa,
				(g->mem[i].gpa + g->mem[i].size),
				guest_mem_type_name(g->mem[i].type));
		else
			pr_info("  [%#014llx-%#014llx) %s at HPA %#llx\n", g->mem[i].gpa,
				(g->mem[i].gpa + g->mem[i].size),
				guest_mem_type_name(g->mem[i].type), g->mem[i].hpa);
	}
	for (int i = 0; i < nholes; i++)
		pr_info("  hidden from the guest: [%#014llx-%#014llx) %s\n", holes[i].hpa,
			(holes[i].hpa + holes[i].size),
			kmem_is_hypervisor(holes[i].hpa, holes[i].size) ? "uhv" :
			"VT-d registers");
}

/* ept_mmu.setup_memory: the EPT from vm->guest.mem's RAM and the MMIO policy (vm->mmio, built
 * by vm_mmio_setup), with uhv's memory and the VT-d register pages left out. The region list is
 * build scratch from the pool, given back after. */
static int ept_setup_memory(struct vm *vm, const void *dmar, size_t dmar_len)
{
	struct vm_ept *e = &vm->ept;
	const struct guest *g = &vm->guest;
	size_t scratch = ALIGN_UP(MAX_EPT_REGIONS * sizeof(struct ept_region), PAGE_SIZE);
	unsigned nholes = vm->mmio.nuhv;
	int ret, nregions;

	if (!vmx.ready) {
		pr_err("EPT setup: vmx_init first\n");
		return -EINVAL;
	}
	memcpy(e->holes, vm->mmio.uhv, sizeof(e->holes[0]) * nholes);
	read_mtrrs(&e->host_mtrr);
	paddr_t regions_pa = kmem_alloc_pages(scratch / PAGE_SIZE, PAGE_SIZE);
	if (!regions_pa)
		return -ENOMEM;
	struct ept_region *regions = phys_to_virt(regions_pa);
	nregions = guest_mem_ept_regions(g, &vm->mmio.policy, e->host_mtrr.enabled, regions,
					 MAX_EPT_REGIONS);
	if (nregions < 0) {
		pr_err("too many EPT regions for the guest\n");
		kmem_free(regions_pa, scratch);
		return nregions;
	}
	e->cfg = (struct ept_build_cfg){
		.caps = &vmx.caps, .mtrr = &e->host_mtrr, .holes = e->holes, .nholes = nholes,
	};
	ret = ept_build(&e->pt, &ept_mem, &e->cfg, regions, nregions);
	kmem_free(regions_pa, scratch);
	if (ret < 0) {
		pr_err("building the guest's EPT failed (%s)\n", errno_name(ret));
		return ret;
	}
	ret = ept_make_eptp(&vmx.caps, e->pt.root, false, &e->eptp);
	if (ret < 0)
		return ret;
	print_layout(g, e->holes, (int)nholes);
	pr_info("EPT: %zu table pages, largest leaf %s, memory types from %s; %u MMIO/firmware "
		"ranges of the MMIO policy mapped, the rest unassigned\n", ptab_table_count(&e->pt),
		e->pt.max_leaf_level == 2 ? "1 GiB" : e->pt.max_leaf_level ? "2 MiB" : "4 KiB",
		e->host_mtrr.enabled ? "the host MTRRs" : "defaults (MTRRs off: RAM WB, rest UC)",
		vm->mmio.policy.n);
	return 0;
}

/* Every CPU that ran the guest may cache the old translations for its EPTP
 * (vmx/vcpus.c flushes them all). */
static void ept_flush(struct vm *vm)
{
	vmx_smp_flush_ept(vm);
}

/* Device memory given to or taken from the guest after the build (PCI passthrough). The
 * build's holes still apply: uhv's memory and the VT-d registers are never mapped. */
static int ept_map_mmio(struct vm *vm, u64 gpa, u64 size, const char *name)
{
	struct ept_region r = { .gpa = gpa, .hpa = gpa, .size = size,
				.perms = EPT_READ | EPT_WRITE, .memtype = MTRR_TYPE_UC };

	if (!vm->ept.eptp)
		return -EINVAL;
	return ept_map_region(&vm->ept.pt, &vm->ept.cfg, &r);
}

static int ept_unmap_mmio(struct vm *vm, u64 gpa, u64 size)
{
	if (!vm->ept.eptp)
		return -EINVAL;
	return ptab_unmap(&vm->ept.pt, gpa, size);
}

/* With EPT and unrestricted guest the guest owns its control registers: only the bits VMX
 * fixes exit (vmx/exit_handlers.c). */
static void ept_want_controls(struct vmx_ctl_want *proc, struct vmx_ctl_want *proc2)
{
}

static int ept_setup_vmcs(struct vm *vm, struct vcpu *v, u32 *entry)
{
	if (vmwrite_checked(VMCS_EPT_POINTER, vm->ept.eptp) != VMX_OK) {
		pr_err("VMWRITE of the EPT pointer %#llx failed\n", vm->ept.eptp);
		return -EIO;
	}
	vmx_flush_tlbs(vm);
	return 0;
}

static u64 ept_guest_efer(struct vcpu *v)
{
	return vmread(VMCS_GUEST_IA32_EFER);
}

const struct vm_mmu_ops ept_mmu = {
	.name = "EPT",
	.uses_eptp = true,
	.want_controls = ept_want_controls,
	.setup_memory = ept_setup_memory,
	.setup_vmcs = ept_setup_vmcs,
	.cr_access = vmx_ept_cr_access,
	.guest_efer = ept_guest_efer,
	.write_efer = vmx_ept_write_efer,
	.map_mmio = ept_map_mmio,
	.unmap_mmio = ept_unmap_mmio,
	.flush = ept_flush,
};
