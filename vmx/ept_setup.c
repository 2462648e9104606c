/* The guest's memory and EPT at run time: memory map -> g->mem, host MTRRs
 * -> memory types, DMAR -> VT-d register pages kept out, EPT tables from
 * uhv's pool (so they are uhv's memory, absent from the guest's EPT). */
#define LOG_MODULE "vmx"
#include <uhv/vmx_smp.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/ept.h>
#include <uhv/mtrr.h>
#include <uhv/dmar.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>

#define MAX_DRHD	16
#define MAX_HOLES	(MAX_DRHD + 16)
#define MAX_EPT_REGIONS	(GUEST_MAX_REGIONS + 64)
#define CPUID_1_EDX_MTRR BIT(12)

/* The guest's EPT: built once, lives as long as the guest. */
static struct ptab guest_ept;
static struct mtrr_state host_mtrr;
/* The build configuration (holes: uhv's memory, VT-d registers), reused by guest_ept_map(). */
static struct ept_build_cfg ept_runtime_cfg;

static paddr_t ept_alloc(void *ctx)
{
	return kmem_alloc_page();
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

struct drhd_list {
	struct ept_hole h[MAX_DRHD];
	size_t n;
};

static int add_drhd(void *ctx, const struct dmar_drhd *d)
{
	struct drhd_list *l = ctx;

	if (l->n == MAX_DRHD) {
		pr_err("more than %d VT-d units in the DMAR table\n", MAX_DRHD);
		return -ENOSPC;
	}
	l->h[l->n++] = (struct ept_hole){ .hpa = d->base, .size = PAGE_SIZE << d->size };
	return 0;
}

static int vtd_register_pages(const void *dmar, size_t len, struct drhd_list *l)
{
	struct dmar_table t;
	struct dmar_visitor vis = { .drhd = add_drhd, .ctx = l };

	l->n = 0;
	if (!dmar)
		return 0;
	if (dmar_parse(dmar, len, &t) < 0) {
		pr_err("the DMAR table is malformed: cannot tell where the VT-d registers are, "
		       "so the guest cannot be kept away from them\n");
		return -EINVAL;
	}
	return dmar_walk(&t, &vis);
}

static void read_mtrrs(void)
{
	struct mtrr_raw raw;
	bool has = cpuid(1, 0).edx & CPUID_1_EDX_MTRR;

	mtrr_read(&raw, has, rdmsr_cb, NULL);
	if (mtrr_decode(&raw, vmx.phys_bits, &host_mtrr) < 0)
		host_mtrr.enabled = false;
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

int guest_setup_ept(struct guest *g, const void *dmar, size_t dmar_len)
{
	static struct ept_region regions[MAX_EPT_REGIONS];
	static struct ept_hole holes[MAX_HOLES];	/* kept for guest_ept_map() */
	struct drhd_list drhd;
	int ret, nholes, nregions;

	if (!vmx.ready) {
		pr_err("guest_setup_ept: vmx_init first\n");
		return -EINVAL;
	}
	ret = vtd_register_pages(dmar, dmar_len, &drhd);
	if (ret < 0)
		return ret;
	nholes = guest_mem_holes(kmem_memmap(), drhd.h, drhd.n, holes, MAX_HOLES);
	if (nholes < 0) {
		pr_err("too many ranges to hide from the guest\n");
		return nholes;
	}
	read_mtrrs();
	nregions = guest_mem_ept_regions(g, kmem_memmap(), host_mtrr.enabled, regions,
					 MAX_EPT_REGIONS);
	if (nregions < 0) {
		pr_err("too many EPT regions for the guest\n");
		return nregions;
	}
	struct ept_build_cfg cfg = {
		.caps = &vmx.caps, .mtrr = &host_mtrr, .holes = holes, .nholes = nholes,
	};
	ret = ept_build(&guest_ept, &ept_mem, &cfg, regions, nregions);
	if (ret < 0) {
		pr_err("building the guest's EPT failed (%s)\n", errno_name(ret));
		return ret;
	}
	ept_runtime_cfg = cfg;
	ret = ept_make_eptp(&vmx.caps, guest_ept.root, false, &vmx.eptp);
	if (ret < 0)
		return ret;
	print_layout(g, holes, nholes);
	pr_info("EPT: %zu table pages, largest leaf %s, memory types from %s; %d MMIO/firmware "
		"ranges below 4 GiB passed through\n", ptab_table_count(&guest_ept),
		guest_ept.max_leaf_level == 2 ? "1 GiB" : guest_ept.max_leaf_level ? "2 MiB" : "4 KiB",
		host_mtrr.enabled ? "the host MTRRs" : "defaults (MTRRs off: RAM WB, rest UC)",
		nregions - (int)g->nr_mem);
	return 0;
}

/* For later changes of the guest's EPT: every CPU that ran the guest may
 * cache the old translations for our EPTP (vmx/smp.c flushes them all). */
void vmx_ept_changed(void)
{
	vmx_smp_flush_ept();
}

/* Device memory given to or taken from the guest after the build (PCI passthrough). The
 * build's holes still apply: uhv's memory and the VT-d registers are never mapped. */
int guest_ept_map(u64 gpa, u64 size, u8 perms, u8 memtype)
{
	struct ept_region r = { .gpa = gpa, .hpa = gpa, .size = size, .perms = perms,
				.memtype = memtype };

	if (!vmx.eptp)
		return -EINVAL;
	return ept_map_region(&guest_ept, &ept_runtime_cfg, &r);
}

int guest_ept_unmap(u64 gpa, u64 size)
{
	if (!vmx.eptp)
		return -EINVAL;
	return ptab_unmap(&guest_ept, gpa, size);
}
