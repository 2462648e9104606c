/* PCI configuration access, enumeration and BAR decoding.
 *
 * Config space is reached through struct pci_cfg_ops (drivers/pci_cfg.c: ECAM from the ACPI MCFG,
 * or the legacy ports 0xCF8/0xCFC); the enumeration and decoding in drivers/pci.c only use those
 * callbacks, so host tests run them on an array-backed fake config space. */
#ifndef UHV_PCI_H
#define UHV_PCI_H

#include <uhv/types.h>

/* Config space header (PCI Local Bus 3.0, 6.1; bridges: PCI-to-PCI Bridge 1.2, 3.2) */
#define PCI_VENDOR_ID		0x00	/* 16 */
#define PCI_DEVICE_ID		0x02	/* 16 */
#define PCI_COMMAND		0x04	/* 16 */
#define PCI_STATUS		0x06	/* 16, RW1C error bits */
#define PCI_REVISION_ID		0x08	/* 8; class code in bits 31:8 of this dword */
#define PCI_PROG_IF		0x09
#define PCI_SUBCLASS		0x0a
#define PCI_CLASS		0x0b
#define PCI_HEADER_TYPE		0x0e	/* 8 */
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34	/* 8, valid if PCI_STATUS_CAP_LIST */
#define PCI_INTERRUPT_LINE	0x3c	/* 8 */
#define PCI_INTERRUPT_PIN	0x3d	/* 8: 0 none, 1-4 INTA-INTD */
/* type 1 (bridge) */
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1a

#define PCI_COMMAND_IO		BIT(0)	/* I/O space decode */
#define PCI_COMMAND_MEMORY	BIT(1)	/* memory space decode */
#define PCI_COMMAND_MASTER	BIT(2)	/* bus master (DMA) */
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_STATUS_CAP_LIST	BIT(4)

#define PCI_HEADER_TYPE_MASK	0x7f
#define PCI_HEADER_MULTIFUNC	0x80
#define PCI_HEADER_NORMAL	0
#define PCI_HEADER_BRIDGE	1
#define PCI_HEADER_CARDBUS	2

#define PCI_BAR_IO_FLAG		BIT(0)
#define PCI_BAR_MEM_TYPE_MASK	0x6
#define PCI_BAR_MEM_TYPE_64	0x4
#define PCI_BAR_MEM_PREFETCH	BIT(3)

/* Capability IDs */
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_PCIE		0x10
#define PCI_CAP_ID_MSIX		0x11

#define PCI_CLASS_BRIDGE	0x06
#define PCI_SUBCLASS_PCI_BRIDGE	0x04
#define PCI_ANY			0xff	/* wildcard for pci_find_class */

struct pci_cfg_ops {
	/* Aligned dword access; absent functions read as 0xffffffff. off < 256 for legacy access,
	 * < 4096 for ECAM. */
	u32 (*read32)(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off);
	void (*write32)(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 val);
	void *ctx;
	u16 cfg_size;		/* 256 or 4096 */
	const char *name;	/* "ECAM" or "ports 0xcf8/0xcfc" */
};

enum pci_bar_type {
	PCI_BAR_NONE = 0,	/* not implemented, or the upper half of a 64-bit BAR */
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
};

struct pci_bar {
	u64 base;
	u64 size;		/* 0 for PCI_BAR_NONE */
	u8 type;		/* enum pci_bar_type */
	bool prefetch;
};

#define PCI_MAX_BARS		6

struct pci_dev {
	u16 seg;
	u8 bus, dev, fn;
	u16 vendor, device;
	u8 class, subclass, prog_if, revision;
	u8 header_type;		/* without the multi-function bit */
	bool multifunction;
	u8 nbars;		/* BAR slots for this header type: 6, 2 (bridge) or 0 */
	struct pci_bar bar[PCI_MAX_BARS];
	u8 irq_line, irq_pin;	/* pin: 0 none, 1-4 INTA-INTD */
	u8 cap_msi, cap_msix, cap_pcie, cap_pm;	/* config offsets, 0 = absent */
	u8 secondary_bus, subordinate_bus;	/* bridges */
	u16 command;		/* as found at boot */
};

struct pci;
/* Room for more functions: the table is sized by what enumeration finds, not by a constant.
 * Called when p->count == p->cap; returns storage for at least p->count + 1 entries with the
 * first p->count copied and sets *cap, or NULL when there is no memory (uhv's pool, uhvmem=).
 * The old storage is the callee's to free. */
typedef struct pci_dev *(*pci_grow_fn)(struct pci *p, unsigned *cap);

struct pci {
	const struct pci_cfg_ops *ops;
	unsigned count;
	unsigned cap;		/* entries devs has room for */
	unsigned overflow;	/* functions not recorded for want of memory (reported) */
	struct pci_dev *devs;
	pci_grow_fn grow;	/* set before the first pci_scan */
	u8 scanned[256 / 8];	/* bus bitmap of the current segment: bridge-loop guard */
};

#define PCI_SCAN_ALL_BUSES	BIT(0)	/* also probe buses not reached through bridges */

/* Enumerate segment seg, buses bus_start..bus_end: from bus_start through the bridges' secondary
 * bus numbers as assigned by firmware (plus every other bus with PCI_SCAN_ALL_BUSES), with
 * multi-function detection, BAR sizing (decode disabled while probing, then restored) and the
 * capability walk. May be called once per segment; results accumulate in p (zero it first).
 * Returns the number of functions found so far, or -ENOSPC once p->grow found no memory for
 * the next function (reported, with the count and the table's size): then uhv must not start the
 * guest, for it could not hide the functions it did not record. */
int pci_scan(struct pci *p, const struct pci_cfg_ops *ops, u16 seg, u8 bus_start, u8 bus_end,
	     unsigned flags);

/* One line per function, e.g.
 * "00:02.0 8086:100e class 0200 (Ethernet) BAR0 mem32 0xfebc0000/128K BAR1 io 0xc000/64
 *  irq 11 INTA" (one line), then " bus 01-01" for bridges and " caps PCIe,MSI,MSI-X". */
void pci_print(const struct pci *p);
/* Format one function's line into buf (what pci_print prints, without newline). */
int pci_format_dev(const struct pci_dev *d, char *buf, size_t size);

/* index-th function (from 0) of this class; subclass PCI_ANY matches any. NULL if none. */
const struct pci_dev *pci_find_class(const struct pci *p, u8 class, u8 subclass, unsigned index);
const struct pci_dev *pci_find_bdf(const struct pci *p, u16 seg, u8 bus, u8 dev, u8 fn);
const struct pci_dev *pci_find_id(const struct pci *p, u16 vendor, u16 device, unsigned index);
/* "Ethernet", "PCI bridge", ...; a class-level name or "unknown" if the pair is not known. */
const char *pci_class_name(u8 class, u8 subclass);

/* Config access for drivers, relative to a found function. 8/16-bit reads extract from the
 * dword; pci_write_command writes the command register without touching the status bits. */
u32 pci_read32(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off);
u16 pci_read16(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off);
u8 pci_read8(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off);
void pci_write32(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off, u32 val);
void pci_write_command(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 cmd);
/* Offset of the first capability with this ID at or after the list entry following 'after'
 * (0: from the start), 0 if none. */
u8 pci_find_cap(const struct pci_cfg_ops *ops, const struct pci_dev *d, u8 cap_id, u8 after);

/* --- config access implementations (drivers/pci_cfg.c) --------------------------------------- */
struct acpi_mcfg_info;

struct pci_ecam {
	volatile u8 *base;	/* mapping of bus bus_start */
	u16 segment;
	u8 bus_start, bus_end;
};

/* Legacy mechanism #1 (ports 0xCF8/0xCFC), segment 0 only, 256 bytes per function. */
void pci_cfg_legacy(struct pci_cfg_ops *ops);
/* ECAM window for one segment; maps it with mmio_map. Returns 0 or -ENOMEM. */
int pci_cfg_ecam(struct pci_cfg_ops *ops, struct pci_ecam *e, paddr_t base, u16 seg,
		 u8 bus_start, u8 bus_end);
/* Pick the access method: the MCFG window of segment 0 if there is one (mcfg may be NULL or
 * empty), otherwise the legacy ports. Prints the choice. Returns 0. */
int pci_cfg_setup(struct pci_cfg_ops *ops, struct pci_ecam *e, const struct acpi_mcfg_info *mcfg);

#endif
