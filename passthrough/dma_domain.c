/* The guest's DMA domain: the device-side twin of its EPT. Every guest RAM
 * region is mapped GPA -> HPA, read/write; nothing else is (uhv's own memory
 * is never in guest->mem, and vtd_domain_map refuses it anyway). A device
 * given to the guest is attached here, so its DMA reaches exactly the guest's
 * memory. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/guest.h>
#include <uhv/vm.h>
#include <uhv/log.h>
#include <uhv/errno.h>

/* The vm's domain (vm->dma); created once before the guest runs. */
int vtd_guest_domain_setup(struct vm *vm)
{
	const struct guest *g = &vm->guest;
	struct vtd_domain *guest_domain = &vm->dma;

	if (!vtd_active())
		return -ENODEV;
	int ret = vtd_domain_create(guest_domain, 0);
	if (ret < 0) {
		pr_err("cannot create the guest's DMA domain (%s)\n", errno_name(ret));
		return ret;
	}
	u64 mapped = 0;
	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];
		if (r->type != GUEST_MEM_RAM)
			continue;
		ret = vtd_domain_map(guest_domain, r->gpa, r->hpa, r->size, VTD_SL_R | VTD_SL_W);
		if (ret < 0) {
			pr_err("guest DMA domain: mapping [%#llx-%#llx) failed (%s)\n",
			       r->gpa, (r->gpa + r->size),
			       errno_name(ret));
			return ret;
		}
		mapped += r->size;
	}
	vm->dma_ready = true;
	pr_info("guest DMA domain %u: %llu MiB of guest RAM mapped (GPA -> HPA, as in the EPT), "
		"%zu table pages\n", guest_domain->did, (mapped >> 20),
		ptab_table_count(&guest_domain->pt));
	return 0;
}
