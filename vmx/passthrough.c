/* NIC passthrough at run time (see <uhv/passthrough.h>, docs/nic-passthrough.md): the choice of
 * the NIC, its DMA domain, the traps on the PCI configuration mechanisms (ports 0xCF8-0xCFF and
 * the ECAM window, whose accesses are decoded at the guest's RIP), the EPT view of device memory
 * (the NIC's BARs uncached, every other device's BARs unmapped) and the BAR-move policy. The
 * register-level policy itself is drivers/pci_virt.c. */
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

#define CLASS_NETWORK		0x02
#define SUBCLASS_ETHERNET	0x00
#define SUBCLASS_ISA_BRIDGE	0x01
#define CFG_PORT_FIRST		0xcf8
#define CFG_PORT_LAST		0xcff
/* The chipset's fixed MMIO at the top of the 32-bit space: IOAPIC (0xfec00000), HPET
 * (0xfed00000), VT-d registers, LAPIC and the MSI window (0xfee00000), firmware flash. Firmware
 * never puts a BAR there, and the guest may not either. */
#define PLATFORM_MMIO_BASE	0xfec00000ULL
#define PLATFORM_MMIO_END	GiB(4)
/* Ports below 0x1000 are ISA: PIC, PIT, keyboard controller, RTC, DMA, COM/LPT ports. */
#define ISA_PORT_END		0x1000


static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static bool is_mem_bar(u8 type)
{
	return type == PCI_BAR_MEM32 || type == PCI_BAR_MEM64;
}

static bool is_nic(const struct passthrough *pt, const struct pci_dev *d)
{
	return pt->nic && d == pt->nic;
}

/* ---- the BAR-move policy (pci_virt_ops) ---------------------------------------------------- */

/* Does [base, base+size) of the given kind collide with a BAR of another function (or another
 * BAR of f)? The NIC's own BARs are taken from pci_virt's effective addresses. */
static bool hits_other_bar(struct passthrough *pt, const struct pci_virt_fn *f, unsigned bar, bool mem, u64 base,
			   u64 size)
{
	for (unsigned i = 0; i < pt->pci->count; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		bool self = d->seg == f->seg && d->bus == f->bus && d->dev == f->dev &&
			    d->fn == f->fn;

		for (unsigned b = 0; b < d->nbars; b++) {
			u8 type = self ? f->bar[b].type : d->bar[b].type;
			u64 ob = self ? f->bar[b].base : d->bar[b].base;
			u64 os = self ? f->bar[b].size : d->bar[b].size;

			if (self && b == bar)
				continue;
			if (type == PCI_BAR_NONE || !ob || is_mem_bar(type) != mem)
				continue;
			if (overlaps(base, size, ob, os))
				return true;
		}
	}
	return false;
}

/* Behind a bridge a BAR decodes only inside the bridge's memory or prefetchable window
 * (PCI-to-PCI Bridge 1.2, 3.2.5.8-9): is [base, end) inside one of them? */
static bool in_bridge_window(struct passthrough *pt, const struct pci_virt_fn *f, u64 base, u64 end)
{
	const struct pci_dev *br = NULL;

	if (f->bus == 0)
		return true;	/* the root bus: the host bridge's windows are not described here */
	for (unsigned i = 0; i < pt->pci->count && !br; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		if (d->seg == f->seg && d->header_type == PCI_HEADER_BRIDGE &&
		    d->secondary_bus == f->bus)
			br = d;
	}
	if (!br)
		return false;
	const struct pci_cfg_ops *c = pt->pv.cfg;
	u32 mem = pci_read32(c, br, 0x20), pref = pci_read32(c, br, 0x24);
	u64 mb = (u64)(mem & 0xfff0) << 16, ml = (mem & 0xfff00000u) | 0xfffffULL;
	u64 pb = (u64)(pref & 0xfff0) << 16, pl = (pref & 0xfff00000u) | 0xfffffULL;
	if ((pref & 0xf) == 1) {	/* 64-bit prefetchable window: upper halves */
		pb |= (u64)pci_read32(c, br, 0x28) << 32;
		pl |= (u64)pci_read32(c, br, 0x2c) << 32;
	}
	return (mb <= ml && base >= mb && end - 1 <= ml) ||
	       (pb <= pl && base >= pb && end - 1 <= pl);
}

static const char *mem_bar_refusal(struct passthrough *pt, const struct pci_virt_fn *f, unsigned bar, u64 base, u64 size)
{
	u64 end = base + size;
	u64 pb = ALIGN_DOWN(base, PAGE_SIZE), pe = ALIGN_UP(end, PAGE_SIZE);
	const struct memmap *map = kmem_memmap();

	if (end < base || end > BIT(vmx.phys_bits))
		return "beyond the physical address width";
	/* a sub-page BAR may move inside its page only: the page is mapped for it already */
	if (!IS_ALIGNED(base, PAGE_SIZE) &&
	    (size >= PAGE_SIZE || pb != ALIGN_DOWN(f->bar[bar].base, PAGE_SIZE)))
		return "not page aligned";
	if (kmem_is_hypervisor(pb, pe - pb))
		return "uhv's own memory";
	if (pb < MiB(1))
		return "the legacy area below 1 MiB";
	for (size_t i = 0; i < map->n; i++)
		if (overlaps(pb, pe - pb, map->r[i].base, map->r[i].end - map->r[i].base))
			return "RAM or firmware memory (in the memory map)";
	if (overlaps(pb, pe - pb, PLATFORM_MMIO_BASE, PLATFORM_MMIO_END - PLATFORM_MMIO_BASE))
		return "the chipset's IOAPIC/HPET/VT-d/LAPIC/flash range 0xfec00000-0xffffffff";
	for (unsigned i = 0; i < pt->necam; i++)
		if (overlaps(pb, pe - pb, pt->ecam[i].first, pt->ecam[i].last + 1 - pt->ecam[i].first))
			return "the ECAM window";
	if (hits_other_bar(pt, f, bar, true, pb, pe - pb))
		return "another device's MMIO";
	if (!in_bridge_window(pt, f, base, end))
		return "outside the memory windows of the bridge above the device";
	return NULL;
}

static const char *io_bar_refusal(struct passthrough *pt, const struct pci_virt_fn *f, unsigned bar, u64 base, u64 size)
{
	u16 con = pt->opt->console_port;

	if (base + size > 0x10000)
		return "beyond the 64 Ki I/O ports";
	if (base < ISA_PORT_END)
		return "the ISA ports below 0x1000";
	if (overlaps(base, size, CFG_PORT_FIRST, CFG_PORT_LAST - CFG_PORT_FIRST + 1))
		return "the PCI configuration ports";
	if (overlaps(base, size, con, 8))
		return "uhv's console UART";
	if (hits_other_bar(pt, f, bar, false, base, size))
		return "another device's ports";
	return NULL;
}

static bool bar_ok(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 base,
		   u64 size)
{
	struct passthrough *pt = ctx;
	const char *why = type == PCI_BAR_IO ? io_bar_refusal(pt, f, bar, base, size) :
		!pt->vm->mmu->uses_eptp ? "moving a memory BAR is not supported with mem=shadow" :
		mem_bar_refusal(pt, f, bar, base, size);

	if (why)
		pr_warn("%02x:%02x.%u BAR%u -> %#llx (size %#llx) refused: %s\n", f->bus, f->dev,
			f->fn, bar, base, size, why);
	return !why;
}

static int map_mem_bar(struct vm *vm, u64 base, u64 size, bool map)
{
	u64 pb = ALIGN_DOWN(base, PAGE_SIZE), pe = ALIGN_UP(base + size, PAGE_SIZE);

	return map ? vm->mmu->map_mmio(vm, pb, pe - pb, "NIC BAR") :
		vm->mmu->unmap_mmio(vm, pb, pe - pb);
}

static void bar_moved(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 old,
		      u64 new, u64 size)
{
	struct passthrough *pt = ctx;

	/* I/O ports are not trapped for the NIC: its new ports pass through like the old ones,
	 * and bar_ok kept them off every trapped port. */
	if (!is_mem_bar(type))
		return;
	int e1 = map_mem_bar(pt->vm, old, size, false), e2 = map_mem_bar(pt->vm, new, size, true);
	pt->vm->mmu->flush(pt->vm);
	if (e1 < 0 || e2 < 0)
		pr_err("moving the EPT mapping of BAR%u from %#llx to %#llx failed (%s)\n", bar,
		       old, new, errno_name(e1 < 0 ? e1 : e2));
}


/* ---- configuration ports -------------------------------------------------------------------- */

static int cfg_port(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct passthrough *pt = ctx;
	int ret = pci_virt_port(&pt->pv, port, size, !in, val);

	if (ret == PCI_VIRT_RESET) {
		pr_info("the guest asked for a reset through port 0xcf9 (value %#x): uhv cannot "
			"reset a guest, so the run ends\n", *val & 0xff);
		vmx_stop(false, "guest requested a reset through 0xcf9");
	}
	return ret < 0 ? ret : 0;
}

/* Ports of functions the guest does not see: nothing answers, as for an absent device. */
static int hidden_port(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct pt_hidden_io *h = ctx;

	if (in) {
		h->reads++;
		*val = 0xffffffff;
	} else {
		h->writes++;
	}
	return 0;
}

/* ---- ECAM: the instruction at the guest's RIP ------------------------------------------------ */

static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	return guest_read(ctx, gpa, buf, len);
}

static enum mmio_cpu_mode guest_code_mode(void)
{
	u64 ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);

	/* real mode, or virtual-8086 mode (RFLAGS.VM, bit 17) */
	if (!(vmread(VMCS_GUEST_CR0) & CR0_PE) || (vmread(VMCS_GUEST_RFLAGS) & BIT(17)))
		return MMIO_MODE_16;
	if ((vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (ar & VMX_AR_L))
		return MMIO_MODE_64;
	return (ar & VMX_AR_DB) ? MMIO_MODE_32 : MMIO_MODE_16;
}

/* Up to MMIO_INSN_MAX bytes at CS:RIP through the guest's own page tables; returns how many
 * could be read (the decoder says whether they are enough) or a negative errno. */
static int fetch_insn(struct vcpu *v, enum mmio_cpu_mode mode, u8 *buf)
{
	struct gwalk_ops ops = { .read_gpa = read_gpa, .ctx = &v->vm->guest };
	struct gwalk_mode m = {
		.cr0 = vmread(VMCS_GUEST_CR0), .cr3 = vmread(VMCS_GUEST_CR3),
		.cr4 = vmread(VMCS_GUEST_CR4), .efer = vmread(VMCS_GUEST_IA32_EFER),
		.maxphyaddr = (u8)vmx.phys_bits, .pdpe1gb = true,
	};
	u64 la = vmread(VMCS_GUEST_RIP);
	unsigned access = GWALK_FETCH | GWALK_NO_AD;
	int n = 0;

	if (mode != MMIO_MODE_64)
		la = (u32)(la + vmread(VMCS_GUEST_CS_BASE));
	for (unsigned i = 0; i < 4; i++)
		m.pdpte[i] = vmread(VMCS_GUEST_PDPTE0 + 2 * i);
	if (((vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3) == 3)
		access |= GWALK_USER;
	while (n < MMIO_INSN_MAX) {
		struct gwalk_result r;
		int err = gwalk(&ops, &m, la + n, access, &r);
		if (err < 0)
			return n ? n : err;
		unsigned chunk = MIN((u64)(MMIO_INSN_MAX - n), PAGE_SIZE - ((la + n) & 0xfff));
		if (guest_read(&v->vm->guest, r.gpa, buf + n, chunk) < 0)
			return n ? n : -EFAULT;
		n += chunk;
	}
	return n;
}

static u64 gpr_get(struct vcpu *v, unsigned r)
{
	return r == GPR_RSP ? vmread(VMCS_GUEST_RSP) : v->gpr[r];
}

static void gpr_set(struct vcpu *v, unsigned r, u64 val)
{
	if (r == GPR_RSP)
		vmwrite(VMCS_GUEST_RSP, val);
	else
		v->gpr[r] = val;
}

static void report_insn(const char *why, const u8 *code, int n, u64 gpa)
{
	char hex[3 * MMIO_INSN_MAX + 1];
	int o = 0;

	hex[0] = 0;
	for (int i = 0; i < n && i < MMIO_INSN_MAX; i++)
		o += ksnprintf(hex + o, sizeof(hex) - o, "%02x ", code[i]);
	pr_err("ECAM access at %#llx from RIP %#llx: %s (instruction bytes: %s)\n", gpa,
	       vmread(VMCS_GUEST_RIP), why, n > 0 ? hex : "unreadable");
}

static int ecam_access(void *ctx, struct vcpu *v, u64 gpa, u64 q)
{
	struct passthrough *pt = &v->vm->pt;
	const struct pt_ecam_win *w = ctx;
	enum mmio_cpu_mode mode = guest_code_mode();
	struct mmio_insn in;
	u8 code[MMIO_INSN_MAX];
	int n = fetch_insn(v, mode, code);

	pt->ecam_exits++;
	if (n < 0) {
		report_insn("the instruction cannot be read through the guest's page tables", code,
			    0, gpa);
		return n;
	}
	int err = mmio_decode(code, (size_t)n, mode, &in);
	if (err < 0) {
		report_insn("not a MOV uhv can emulate", code, n, gpa);
		return err;
	}
	if (in.write != !!(q & EPT_VIOL_WRITE)) {
		report_insn("the decoded direction disagrees with the exit", code, n, gpa);
		return -EINVAL;
	}
	u64 off = gpa - w->first, data = 0;
	for (unsigned done = 0; done < in.size; done += 4) {
		unsigned piece = MIN(in.size - done, 4u);
		u32 val = 0;
		if (in.write) {
			val = (u32)(mmio_store_value(&in, gpr_get(v, in.reg)) >> (8 * done));
			pci_virt_ecam(&pt->pv, w->seg, w->bus_start, off + done, piece, true, &val);
		} else {
			/* accesses crossing a function read all-ones (pci_virt says -EINVAL) */
			pci_virt_ecam(&pt->pv, w->seg, w->bus_start, off + done, piece, false, &val);
			data |= (u64)val << (8 * done);
		}
	}
	if (!in.write)
		gpr_set(v, in.reg, mmio_load_result(&in, gpr_get(v, in.reg), data));

	u64 rip = vmread(VMCS_GUEST_RIP) + in.len;
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE);
	vmwrite(VMCS_GUEST_RIP, mode == MMIO_MODE_64 ? rip : (u32)rip);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE,
			intr & ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	return 0;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static const struct pci_dev *choose_nic(struct passthrough *pt, const struct uhv_options *o, int *err)
{
	const struct pci_dev *d;

	*err = 0;
	if (!o->nic_given) {
		d = pci_find_class(pt->pci, CLASS_NETWORK, SUBCLASS_ETHERNET, 0);
		if (!d)
			pr_info("no Ethernet controller on the PCI bus: the guest gets no NIC\n");
		return d;
	}
	d = pci_find_bdf(pt->pci, o->nic_seg, o->nic_bus, o->nic_dev, o->nic_fn);
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

/* DMA: the guest's VT-d domain, or without remapping only with iommu=off. false: refused. */
static bool confine_dma(struct passthrough *pt, const struct pci_dev *d)
{
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
	if (pt->opt->placement == UHV_PLACEMENT_OFFSET) {
		pr_err("refusing to pass %02x:%02x.%u through: placement=offset puts guest RAM at "
		       "other host addresses, and without DMA remapping (%s) the NIC would DMA to "
		       "the guest-physical addresses the guest gives it, i.e. to the wrong host "
		       "memory, uhv's included; the guest runs without a NIC. Use VT-d "
		       "(iommu=on on a machine with a DMAR) or placement=identity\n", d->bus,
		       d->dev, d->fn, pt->opt->iommu ? "no VT-d/DMAR" : "iommu=off");
		return false;
	}
	if (pt->opt->iommu) {
		pr_err("refusing to pass %02x:%02x.%u through: DMA remapping is not active (no "
		       "VT-d/DMAR), so the NIC's DMA could overwrite uhv; the guest runs without a "
		       "NIC. Add iommu=off to uhv's command line to pass it through anyway, "
		       "without DMA isolation\n", d->bus, d->dev, d->fn);
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

/* Every function's memory BARs out of the EPT, then the NIC's back in, uncached. */
static int setup_ept(struct passthrough *pt)
{
	unsigned hidden = 0;
	int ret;

	if (!pt->vm->mmu->uses_eptp) {
		/* Shadow paging maps only guest RAM and an allow-list of MMIO, so
		 * hidden devices' BARs and ECAM are unreachable already: add the
		 * NIC's BARs to the list. */
		const struct pci_virt_fn *f = pt->nic ? pci_virt_find(&pt->pv, pt->nic->seg,
						pt->nic->bus, pt->nic->dev, pt->nic->fn) : NULL;
		for (unsigned b = 0; f && b < f->nbars; b++) {
			u64 pb = ALIGN_DOWN(f->bar[b].base, PAGE_SIZE);
			u64 pe = ALIGN_UP(f->bar[b].base + f->bar[b].size, PAGE_SIZE);
			if (!is_mem_bar(f->bar[b].type) || !f->bar[b].base)
				continue;
			ret = pt->vm->mmu->map_mmio(pt->vm, pb, pe - pb, "NIC BAR");
			if (ret < 0)
				return ret;
			pr_info("shadow paging: NIC BAR%u [%#llx-%#llx) may be mapped by the guest\n",
				b, pb, pe);
		}
		return 0;
	}
	for (unsigned i = 0; i < pt->pci->count; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		for (unsigned b = 0; b < d->nbars; b++) {
			const struct pci_bar *bar = &d->bar[b];
			if (!is_mem_bar(bar->type) || !bar->base || !bar->size)
				continue;
			if (guest_is_ram(&pt->vm->guest, ALIGN_DOWN(bar->base, PAGE_SIZE), PAGE_SIZE)) {
				pr_warn("%02x:%02x.%u BAR%u at %#llx lies in guest RAM: left "
					"alone\n", d->bus, d->dev, d->fn, b, bar->base);
				continue;
			}
			ret = map_mem_bar(pt->vm, bar->base, bar->size, false);
			if (ret < 0)
				return ret;
			if (!is_nic(pt, d))
				hidden++;
		}
	}
	for (unsigned i = 0; i < pt->necam; i++) {
		ret = pt->vm->mmu->unmap_mmio(pt->vm, pt->ecam[i].first,
					      pt->ecam[i].last + 1 - pt->ecam[i].first);
		if (ret < 0)
			return ret;
	}
	if (pt->nic) {
		const struct pci_virt_fn *f = pci_virt_find(&pt->pv, pt->nic->seg, pt->nic->bus,
							    pt->nic->dev, pt->nic->fn);
		for (unsigned b = 0; f && b < f->nbars; b++) {
			if (!is_mem_bar(f->bar[b].type) || !f->bar[b].base)
				continue;
			ret = map_mem_bar(pt->vm, f->bar[b].base, f->bar[b].size, true);
			if (ret < 0)
				return ret;
			pr_info("EPT: NIC BAR%u [%#llx-%#llx) mapped uncached\n", b,
				f->bar[b].base, (f->bar[b].base + f->bar[b].size));
		}
	}
	pt->vm->mmu->flush(pt->vm);
	pr_info("EPT: %u memory BARs of hidden devices and %u ECAM window(s) unmapped; LAPIC, "
		"IOAPIC, HPET, firmware areas stay mapped\n", hidden, pt->necam);
	return 0;
}

/* The I/O BARs of functions the guest does not see: trapped, nothing answers. */
static void trap_hidden_io(struct passthrough *pt)
{
	for (unsigned i = 0; i < pt->pci->count; i++) {
		const struct pci_dev *d = &pt->pci->devs[i];
		if (pci_virt_find(&pt->pv, d->seg, d->bus, d->dev, d->fn))
			continue;
		for (unsigned b = 0; b < d->nbars; b++) {
			const struct pci_bar *bar = &d->bar[b];
			if (bar->type != PCI_BAR_IO || !bar->base ||
			    bar->base + bar->size > 0x10000)
				continue;
			if (pt->nhio == ARRAY_SIZE(pt->hio)) {
				pr_warn("%02x:%02x.%u BAR%u ports %#llx: no trap slot left, the "
					"guest can reach them\n", d->bus, d->dev, d->fn, b,
					bar->base);
				continue;
			}
			struct pt_hidden_io *h = &pt->hio[pt->nhio];
			h->first = (u16)bar->base;
			h->last = (u16)(bar->base + bar->size - 1);
			if (vmx_trap_io(pt->vm, h->first, h->last, hidden_port, h, "hidden PCI device") < 0)
				pr_warn("%02x:%02x.%u BAR%u ports %#x-%#x could not be trapped\n",
					d->bus, d->dev, d->fn, b, h->first, h->last);
			else
				pt->nhio++;
		}
	}
}

int nic_passthrough_setup(struct vm *vm, const struct pci *pci, const struct pci_cfg_ops *cfg,
			  const struct acpi_mcfg_info *mcfg)
{
	struct passthrough *pt = &vm->pt;
	const struct uhv_options *opt = vm->opt;
	int err;

	pt->vm = vm;
	pt->ops = (struct pci_virt_ops){ .bar_ok = bar_ok, .bar_moved = bar_moved, .ctx = pt };
	pt->pci = pci;
	pt->opt = opt;
	pt->mcfg = mcfg;
	const struct pci_dev *nic = choose_nic(pt, opt, &err);
	if (err < 0)
		return err;
	if (nic && !confine_dma(pt, nic))
		nic = NULL;

	pci_virt_init(&pt->pv, cfg, &pt->ops);
	if (nic) {
		err = pci_virt_setup_nic(&pt->pv, pci, nic);
		if (err < 0) {
			pr_err("%02x:%02x.%u cannot be passed through (%s): the guest runs without "
			       "it\n", nic->bus, nic->dev, nic->fn, errno_name(err));
			pci_virt_init(&pt->pv, cfg, &pt->ops);
			nic = NULL;
		}
	}
	pt->nic = nic;
	const struct pci_dev *hb = pci_find_bdf(pci, 0, 0, 0, 0);
	if (hb)
		add_visible(pt, hb, "host bridge");
	/* The ISA/LPC bridge: an OS's legacy interrupt routing (ACPI PCI link devices, the
	 * PIRQ router) reads and reprograms its PIRQ routing registers (Linux moves a PCI
	 * link to balance IRQs). Everything else on it is read-only. The registers only
	 * steer INTx lines to ISA IRQs of the interrupt controllers the guest owns. */
	const struct pci_dev *isa = pci_find_class(pci, PCI_CLASS_BRIDGE, SUBCLASS_ISA_BRIDGE, 0);
	if (isa && isa->bus == 0) {
		add_visible(pt, isa, "ISA bridge");
		/* PIRQA-D route control at 0x60-0x63 (PIIX3, ICH9); ICH9 adds PIRQE-H at 0x68 */
		pci_virt_allow_writes(&pt->pv, isa->seg, isa->bus, isa->dev, isa->fn, 0x60, 4);
		if (isa->vendor == 0x8086 && isa->device == 0x2918)
			pci_virt_allow_writes(&pt->pv, isa->seg, isa->bus, isa->dev, isa->fn, 0x68, 4);
	}

	for (unsigned i = 0; mcfg && i < mcfg->count && pt->necam < ACPI_MAX_ECAM; i++) {
		const struct acpi_ecam *e = &mcfg->ecam[i];
		struct pt_ecam_win *w = &pt->ecam[pt->necam];
		w->first = e->base + ((u64)e->bus_start << 20);
		w->last = e->base + (((u64)e->bus_end + 1) << 20) - 1;
		w->seg = e->segment;
		w->bus_start = e->bus_start;
		err = vmx_trap_mmio(vm, w->first, w->last, ecam_access, w,
				    "PCI ECAM (virtual config space)");
		if (err < 0) {
			pr_err("cannot trap the ECAM window %#llx-%#llx (%s)\n", w->first,
			       w->last, errno_name(err));
			return err;
		}
		pt->necam++;
	}
	err = vmx_trap_io(vm, CFG_PORT_FIRST, CFG_PORT_LAST, cfg_port, pt,
			  "PCI config ports (virtual config space)");
	if (err < 0)
		return err;
	err = setup_ept(pt);
	if (err < 0) {
		pr_err("changing the guest's EPT for device memory failed (%s)\n", errno_name(err));
		return err;
	}
	trap_hidden_io(pt);

	for (unsigned i = 0; i < pt->pv.nfn; i++) {
		const struct pci_virt_fn *f = &pt->pv.fn[i];
		pr_info("guest sees %02x:%02x.%u %s\n", f->bus, f->dev, f->fn,
			f->role == PCI_VIRT_PASSTHROUGH ? "(passed through)" : "(read-only)");
	}
	if (nic)
		pr_info("passing %02x:%02x.%u %04x:%04x through to the guest%s\n", nic->bus,
			nic->dev, nic->fn, nic->vendor, nic->device,
			vtd_active() ? "" : " (no DMA isolation)");
	return 0;
}
