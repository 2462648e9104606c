/* PCI configuration space access on hardware: ECAM (memory-mapped, from the ACPI MCFG) and the
 * legacy configuration mechanism #1 (ports 0xCF8/0xCFC). The enumeration in drivers/pci.c
 * reaches config space only through the struct pci_cfg_ops filled in here.
 *
 * Legacy access is an address write followed by a data access, so two CPUs must not interleave
 * them; today only the boot CPU touches config space. */
#define LOG_MODULE "pci"
#include <uhv/pci.h>
#include <uhv/acpi.h>
#include <uhv/errno.h>
#include <uhv/io.h>
#include <uhv/log.h>
#include <uhv/mmio.h>

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	BIT(31)

#define ECAM_BUS_SHIFT		20	/* 1 MiB per bus: 32 devs x 8 fns x 4 KiB */
#define ECAM_DEV_SHIFT		15
#define ECAM_FN_SHIFT		12

static u32 legacy_address(u8 bus, u8 dev, u8 fn, u16 off)
{
	return PCI_CONFIG_ENABLE | (u32)bus << 16 | (u32)(dev & 0x1f) << 11 | (u32)(fn & 7) << 8 |
	       (off & 0xfc);
}

static u32 legacy_read32(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	if (seg != 0 || off >= 256)
		return 0xffffffff;
	outl(PCI_CONFIG_ADDRESS, legacy_address(bus, dev, fn, off));
	return inl(PCI_CONFIG_DATA);
}

static void legacy_write32(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 val)
{
	if (seg != 0 || off >= 256)
		return;
	outl(PCI_CONFIG_ADDRESS, legacy_address(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, val);
}

void pci_cfg_legacy(struct pci_cfg_ops *ops)
{
	ops->read32 = legacy_read32;
	ops->write32 = legacy_write32;
	ops->ctx = NULL;
	ops->cfg_size = 256;
	ops->name = "ports 0xcf8/0xcfc";
}

static volatile u8 *ecam_addr(struct pci_ecam *e, u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	if (seg != e->segment || bus < e->bus_start || bus > e->bus_end || off >= 4096)
		return NULL;
	return e->base + ((u64)(bus - e->bus_start) << ECAM_BUS_SHIFT) +
	       ((u32)(dev & 0x1f) << ECAM_DEV_SHIFT) + ((u32)(fn & 7) << ECAM_FN_SHIFT) +
	       (off & 0xffc);
}

static u32 ecam_read32(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	volatile u8 *p = ecam_addr(ctx, seg, bus, dev, fn, off);
	return p ? mmio_read32(p) : 0xffffffff;
}

static void ecam_write32(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 val)
{
	volatile u8 *p = ecam_addr(ctx, seg, bus, dev, fn, off);
	if (p)
		mmio_write32(p, val);
}

int pci_cfg_ecam(struct pci_cfg_ops *ops, struct pci_ecam *e, paddr_t base, u16 seg,
		 u8 bus_start, u8 bus_end)
{
	paddr_t pa = base + ((paddr_t)bus_start << ECAM_BUS_SHIFT);
	size_t len = (size_t)(bus_end - bus_start + 1) << ECAM_BUS_SHIFT;
	void *va = mmio_map(pa, len);

	if (!va) {
		pr_err("cannot map ECAM window %#llx (%zu MiB)\n", pa,
		       len >> 20);
		return -ENOMEM;
	}
	e->base = va;
	e->segment = seg;
	e->bus_start = bus_start;
	e->bus_end = bus_end;
	ops->read32 = ecam_read32;
	ops->write32 = ecam_write32;
	ops->ctx = e;
	ops->cfg_size = 4096;
	ops->name = "ECAM";
	return 0;
}

int pci_cfg_setup(struct pci_cfg_ops *ops, struct pci_ecam *e, const struct acpi_mcfg_info *mcfg)
{
	for (unsigned i = 0; mcfg && i < mcfg->count; i++) {
		const struct acpi_ecam *w = &mcfg->ecam[i];
		if (w->segment != 0)
			continue;
		if (pci_cfg_ecam(ops, e, w->base, w->segment, w->bus_start, w->bus_end) == 0) {
			pr_info("config access: ECAM %#llx bus %u-%u\n",
				w->base, w->bus_start, w->bus_end);
			return 0;
		}
		pr_warn("falling back to config access through ports 0xcf8/0xcfc\n");
		break;
	}
	pci_cfg_legacy(ops);
	pr_info("config access: ports 0xcf8/0xcfc\n");
	return 0;
}
