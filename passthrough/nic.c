/* NIC passthrough at setup (see <uhv/passthrough.h>, docs/nic-passthrough.md): which NIC the
 * guest gets, its DMA confinement (passthrough/dma_domain.c), which functions the guest sees, and
 * the traps that the other passthrough/ files handle at run time: the PCI configuration
 * mechanisms (passthrough/config.c) and device memory and ports (passthrough/bars.c). The
 * register-level config-space policy is vdev/pci_virt.c. */
#define LOG_MODULE "nic"
#include <uhv/passthrough.h>
#include <uhv/vm.h>
#include <uhv/pci_virt.h>
#include <uhv/pci.h>
#include <uhv/acpi.h>
#include <uhv/vtd.h>
#include <uhv/guest.h>
#include <uhv/options.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/mmio_decode.h>
#include <uhv/gwalk.h>
#include <uhv/ept.h>
#include <uhv/mtrr.h>
#include <uhv/memmap.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include "passthrough_priv.h"

/* ---- setup ---------------------------------------------------------------------------------- */

const struct pci_dev *nic_choose(const struct pci *pci, const struct uhv_options *o, int *err)
{
	const struct pci_dev *d;

	*err = 0;
	if (!o->nic_given) {
		d = pci_find_class(pci, CLASS_NETWORK, SUBCLASS_ETHERNET, 0);
		if (!d)
			pr_info("no Ethernet controller on the PCI bus: the guest gets no NIC\n");
		return d;
	}
	d = pci_find_bdf(pci, o->nic_seg, o->nic_bus, o->nic_dev, o->nic_fn);
	if (!d) {
		pr_err("nic=%04x:%02x:%02x.%x: there is no such PCI function (the list above has "
		       "every function found); give the address of a network controller, or leave "
		       "nic= out to take the first Ethernet controller\n", o->nic_seg, o->nic_bus,
		       o->nic_dev, o->nic_fn);
		*err = -ENODEV;
		return NULL;
	}
	if (d->class != CLASS_NETWORK || d->header_type != PCI_HEADER_NORMAL) {
		pr_err("nic=%04x:%02x:%02x.%x is %04x:%04x, class %02x%02x (%s), not a network "
		       "controller: give the address of one (class 02xx), or leave nic= out\n",
		       d->seg, d->bus, d->dev, d->fn, d->vendor, d->device, d->class, d->subclass,
		       pci_class_name(d->class, d->subclass));
		*err = -EINVAL;
		return NULL;
	}
	return d;
}

/* DMA: the guest's VT-d domain, or without remapping only with iommu=off. false: refused.
 * A refusal by design is an error only when the user named the NIC (nic=) and so asked for
 * what they do not get; the NIC uhv would have picked on its own is refused with a warning. */
static bool confine_dma(struct passthrough *pt, const struct pci_dev *d)
{
	enum log_level refusal = pt->vm->opt->nic_given ? LOG_ERROR : LOG_WARN;

	if (vtd_active()) {
		struct vtd_domain *dom = pt->vm->dma_ready ? &pt->vm->dma : NULL;
		int ret = dom ? vtd_attach_device(dom, d->seg, d->bus, (u8)(d->dev << 3 | d->fn)) :
			-ENODEV;
		if (ret < 0) {
			pr_err("%02x:%02x.%u: cannot put the NIC in the guest's DMA domain (%s): "
			       "it is not passed through, the guest runs without it\n", d->bus,
			       d->dev, d->fn, errno_name(ret));
			return false;
		}
		pr_info("%02x:%02x.%u: DMA confined to guest RAM by VT-d (domain %u)\n", d->bus,
			d->dev, d->fn, dom->did);
		return true;
	}
	if (pt->vm->opt->placement == UHV_PLACEMENT_OFFSET) {
		log_printf(refusal, LOG_MODULE, "refusing to pass %02x:%02x.%u through: "
			   "placement=offset puts guest RAM at other host addresses, and without "
			   "DMA remapping (%s) the NIC would DMA to the guest-physical addresses "
			   "the guest gives it, i.e. to the wrong host memory, uhv's included; the "
			   "guest runs without a NIC. Use VT-d (iommu=on on a machine with a "
			   "DMAR) or placement=identity\n", d->bus, d->dev, d->fn,
			   pt->vm->opt->iommu ? "no VT-d/DMAR" : "iommu=off");
		return false;
	}
	if (pt->vm->opt->iommu) {
		log_printf(refusal, LOG_MODULE, "refusing to pass %02x:%02x.%u through: DMA "
			   "remapping is not active (no VT-d/DMAR), so the NIC's DMA could "
			   "overwrite uhv; the guest runs without a NIC. Add iommu=off to uhv's "
			   "command line to pass it through anyway, without DMA isolation\n",
			   d->bus, d->dev, d->fn);
		return false;
	}
	pr_warn("***** iommu=off: %02x:%02x.%u is passed through WITHOUT DMA isolation: the "
		"guest can make it read and write all memory, uhv's included *****\n", d->bus,
		d->dev, d->fn);
	return true;
}

static void add_visible(struct passthrough *pt, const struct pci_dev *d, const char *what)
{
	int ret = pci_virt_add(&pt->pv, d, PCI_VIRT_RO_FN);

	if (ret < 0 && ret != -EEXIST)
		pr_warn("%02x:%02x.%u (%s) cannot be shown to the guest (%s)\n", d->bus, d->dev,
			d->fn, what, errno_name(ret));
}

/* The NIC the guest gets: chosen, its DMA confined, its config space virtualised. NULL: none
 * (every refusal is logged and the guest runs without a NIC); *err < 0 only for a nic= that
 * names no network controller, which stops the boot. */
static const struct pci_dev *attach_nic(struct passthrough *pt, const struct pci_cfg_ops *cfg,
					int *err)
{
	const struct pci_dev *nic = nic_choose(pt->pci, pt->vm->opt, err);

	if (*err < 0)
		return NULL;
	if (nic && !confine_dma(pt, nic))
		nic = NULL;

	pci_virt_init(&pt->pv, cfg, &pt->ops);
	if (nic) {
		int ret = pci_virt_setup_nic(&pt->pv, pt->pci, nic);
		if (ret < 0) {
			pr_err("%02x:%02x.%u cannot be passed through (%s): the guest runs without "
			       "it\n", nic->bus, nic->dev, nic->fn, errno_name(ret));
			pci_virt_init(&pt->pv, cfg, &pt->ops);
			nic = NULL;
		}
	}
	return nic;
}

/* The bridges an OS expects to find, shown read-only next to the NIC. */
static void show_bridges(struct passthrough *pt)
{
	const struct pci_dev *hb = pci_find_bdf(pt->pci, 0, 0, 0, 0);
	if (hb)
		add_visible(pt, hb, "host bridge");
	/* The ISA/LPC bridge: an OS's legacy interrupt routing (ACPI PCI link devices, the
	 * PIRQ router) reads and reprograms its PIRQ routing registers (Linux moves a PCI
	 * link to balance IRQs). Everything else on it is read-only. The registers only
	 * steer INTx lines to ISA IRQs of the interrupt controllers the guest owns. */
	const struct pci_dev *isa = pci_find_class(pt->pci, PCI_CLASS_BRIDGE, SUBCLASS_ISA_BRIDGE,
						   0);
	if (isa && isa->bus == 0) {
		pt->isa = isa;
		add_visible(pt, isa, "ISA bridge");
		/* PIRQA-D route control at 0x60-0x63 (PIIX3, ICH9); ICH9 adds PIRQE-H at 0x68 */
		pci_virt_allow_writes(&pt->pv, isa->seg, isa->bus, isa->dev, isa->fn, 0x60, 4);
		if (isa->vendor == 0x8086 && isa->device == 0x2918)
			pci_virt_allow_writes(&pt->pv, isa->seg, isa->bus, isa->dev, isa->fn, 0x68,
					      4);
	}
}

/* Both configuration mechanisms trap into the virtual config space: every ECAM window of the
 * MCFG and the legacy 0xcf8/0xcfc ports. */
static int trap_config_space(struct vm *vm, struct passthrough *pt)
{
	const struct acpi_mcfg_info *mcfg = pt->mcfg;
	int err;

	for (unsigned i = 0; mcfg && i < mcfg->count && pt->necam < ACPI_MAX_ECAM; i++) {
		const struct acpi_ecam *e = &mcfg->ecam[i];
		struct pt_ecam_win *w = &pt->ecam[pt->necam];
		w->first = e->base + ((u64)e->bus_start << 20);
		w->last = e->base + (((u64)e->bus_end + 1) << 20) - 1;
		w->seg = e->segment;
		w->bus_start = e->bus_start;
		err = vmx_trap_mmio(vm, w->first, w->last, pt_ecam_access, w,
				    "PCI ECAM (virtual config space)");
		if (err < 0) {
			pr_err("cannot trap the ECAM window %#llx-%#llx (%s)\n", w->first,
			       w->last, errno_name(err));
			return err;
		}
		pt->necam++;
	}
	return vmx_trap_io(vm, CFG_PORT_FIRST, CFG_PORT_LAST, pt_cfg_port, pt,
			   "PCI config ports (virtual config space)");
}

static void log_guest_view(const struct passthrough *pt)
{
	const struct pci_dev *nic = pt->nic;

	for (unsigned i = 0; i < pt->pv.nfn; i++) {
		const struct pci_virt_fn *f = &pt->pv.fn[i];
		const struct pci_dev *isa = pt->isa;
		char how[96];
		bool pirq = f->ro_writable && isa && isa->seg == f->seg && isa->bus == f->bus &&
			    isa->dev == f->dev && isa->fn == f->fn;

		pr_info("guest sees %02x:%02x.%u (%s)%s\n", f->bus, f->dev, f->fn,
			pci_virt_access_text(f, how, sizeof(how)),
			pirq ? ": the ISA bridge's PIRQ routing, which the guest's OS may "
			"reprogram" : "");
	}
	if (nic)
		pr_info("passing %02x:%02x.%u %04x:%04x through to the guest%s\n", nic->bus,
			nic->dev, nic->fn, nic->vendor, nic->device,
			vtd_active() ? "" : " (no DMA isolation)");
}

int nic_passthrough_setup(struct vm *vm, const struct pci *pci, const struct pci_cfg_ops *cfg,
			  const struct acpi_mcfg_info *mcfg)
{
	struct passthrough *pt = &vm->pt;
	int err;

	pt->vm = vm;
	pt_irq_init(pt);
	pt->ops = (struct pci_virt_ops){ .bar_ok = pt_bar_ok, .bar_moved = pt_bar_moved,
		   .msi = &pt->irq.ops, .ctx = pt };
	pt->pci = pci;
	pt->mcfg = mcfg;
	pt->nic = attach_nic(pt, cfg, &err);
	if (err < 0)
		return err;
	pt_irq_attach(pt);
	show_bridges(pt);

	err = trap_config_space(vm, pt);
	if (err < 0)
		return err;
	err = pt_setup_device_memory(pt);
	if (err < 0) {
		pr_err("changing the guest's EPT for device memory failed (%s)\n", errno_name(err));
		return err;
	}
	pt_msix_setup(pt);
	log_guest_view(pt);
	return 0;
}
