/* The guest's virtual view of PCI configuration space (issue #5; design in docs/nic-passthrough.md).
 *
 * uhv gives one NIC to the guest. The guest sees a few functions in config space: the NIC
 * (PCI_VIRT_PASSTHROUGH: every register goes through the write policy below), and read-only
 * functions the platform needs (host bridge, the bridges on the way to the NIC: writes dropped).
 * Every other function reads as all-ones (vendor 0xffff) and writes to it are dropped.
 *
 * Pure: the real config space is reached through struct pci_cfg_ops, and the hypervisor side is
 * told about BAR moves through struct pci_virt_ops, so a host unit test drives it on a fake.
 *
 * The VMX side calls
 *   pci_virt_port()  from the I/O-instruction exit for ports 0xCF8-0xCFF,
 *   pci_virt_ecam()  from the EPT violation on the (unmapped) ECAM window,
 * both of which end in pci_virt_access(). */
#ifndef UHV_PCI_VIRT_H
#define UHV_PCI_VIRT_H

#include <uhv/types.h>
#include <uhv/pci.h>
#include <uhv/msi.h>

/* What uhv does with a guest access to one config register. */
enum pci_virt_action {
	PCI_VIRT_DENY = 0,	/* reads 0, writes dropped (the default for unlisted offsets) */
	PCI_VIRT_READ_ONLY,	/* reads the device, writes dropped */
	PCI_VIRT_ALLOW,		/* reads the device; the bits in mask are written through, the others
				 * keep the device's value */
	PCI_VIRT_EMULATE,	/* uhv computes the value (emu says how); bits in mask are written
				 * through after uhv has looked at the write */
};

/* Which emulation a PCI_VIRT_EMULATE rule stands for. */
enum pci_virt_emu {
	PCI_VIRT_EMU_NONE = 0,
	PCI_VIRT_EMU_COMMAND,	/* decode turned on commits the guest's BAR addresses */
	PCI_VIRT_EMU_STATUS,	/* CAP_LIST reflects the capabilities the guest can see */
	PCI_VIRT_EMU_BAR,	/* sizing and moving, see pci_virt_ops */
	PCI_VIRT_EMU_CAP_PTR,	/* first visible capability */
	PCI_VIRT_EMU_CAP_NEXT,	/* next visible capability (hidden ones are skipped) */
	PCI_VIRT_EMU_MSI,	/* MSI: the guest's view; the device gets checked messages
				 * (vdev/pci_virt_msi.c) */
	PCI_VIRT_EMU_MSIX_CTRL,	/* MSI-X message control: the table size uhv emulates */
};

/* One register of the policy: off is relative to the header (type-0 table) or to the start of a
 * capability (capability tables). size is 1-4 bytes, inside one dword. */
struct pci_virt_rule {
	u16 off;
	u8 size;
	u8 action;		/* enum pci_virt_action */
	u8 emu;			/* enum pci_virt_emu, for PCI_VIRT_EMULATE */
	u32 mask;		/* ALLOW / EMULATE: bits the guest may write */
	u32 w1c;		/* write-1-to-clear bits: never written back as read */
};

/* The policy for the passed-through function's type-0 header (offsets 0x00-0x3f). */
extern const struct pci_virt_rule pci_virt_header_rules[];
extern const unsigned pci_virt_header_nrules;

/* The policy for one capability ID; capabilities not listed are hidden from the guest. */
struct pci_virt_cap_policy {
	u8 id;
	u8 variant;		/* PCI_VIRT_CAP_* below: how the length and layout are found */
	const struct pci_virt_rule *rules;
	unsigned nrules;
};
#define PCI_VIRT_CAP_FIXED8	0	/* 8 bytes (power management) */
#define PCI_VIRT_CAP_MSI32	1	/* MSI, 32-bit address layout (message control bit 7 clear) */
#define PCI_VIRT_CAP_MSI64	2	/* MSI, 64-bit address layout */
#define PCI_VIRT_CAP_PCIE	3	/* PCI Express: 0x3c bytes (version 2) or 0x24 (version 1) */
#define PCI_VIRT_CAP_MSIX	4	/* MSI-X: 12 bytes; its table is trapped (passthrough/msix.c) */

extern const struct pci_virt_cap_policy pci_virt_cap_policies[];
extern const unsigned pci_virt_cap_npolicies;

/* The guest's role for a function it can see. */
enum pci_virt_role {
	PCI_VIRT_HIDDEN = 0,	/* not in the table: all-ones, writes dropped */
	PCI_VIRT_RO_FN,		/* host bridge, bridges on the way to the NIC: reads real, writes dropped */
	PCI_VIRT_PASSTHROUGH,	/* the NIC: the policy tables */
};

struct pci_virt_bar {
	u8 type;		/* enum pci_bar_type; PCI_BAR_NONE also for the upper half of a 64-bit BAR */
	u32 flags;		/* the read-only low bits: I/O bit, memory type, prefetchable */
	u64 size;
	u64 base;		/* effective: where the device decodes it and uhv maps it for the guest */
	u64 shadow;		/* what the guest last wrote (64 bits for a 64-bit BAR) */
};

#define PCI_VIRT_MAX_CAPS	8
#define PCI_VIRT_MAX_FNS	16

struct pci_virt_cap {
	u8 off, len, id;
	const struct pci_virt_cap_policy *policy;
};

/* The guest's view of the MSI capability (PCI_VIRT_EMU_MSI): one message (multiple message
 * capable reads 0), what the guest wrote, and what the device holds. */
struct pci_virt_msi {
	bool enable;
	u32 addr_lo, addr_hi, data, mask;
	struct msi_msg hw;	/* the device's message, when hw_valid */
	bool hw_valid;
};

struct pci_virt_fn {
	u16 seg;
	u8 bus, dev, fn;
	u8 role;		/* enum pci_virt_role */
	u8 nbars;
	struct pci_virt_bar bar[PCI_MAX_BARS];
	u16 command;		/* the device's command register as last written */
	u8 ncaps;		/* capabilities the guest sees, in list order */
	struct pci_virt_cap caps[PCI_VIRT_MAX_CAPS];
	/* PCI_VIRT_RO_FN: config bytes the guest may still write (e.g. an ISA bridge's
	 * PIRQ routing registers, which an OS reprograms to balance INTx): bit n = byte
	 * 0x40 + n, for the device-specific bytes 0x40-0x7f only. */
	u64 ro_writable;
	struct pci_virt_msi msi;
	u16 msix_nvec;		/* MSI-X table size shown (the entries uhv emulates) */
};


/* Callbacks into the hypervisor side. */
struct pci_virt_ops {
	/* May the guest put BAR bar (type enum pci_bar_type) of f at [base, base + size)? For
	 * memory BARs: not RAM, not uhv's, not another device's, page aligned; for I/O BARs:
	 * ports the guest may own. NULL: every move is refused. */
	bool (*bar_ok)(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type, u64 base,
		       u64 size);
	/* BAR bar of f now decodes at new_base instead of old_base (the device has been
	 * reprogrammed already): move its EPT mapping (UC) or I/O-bitmap window. May be NULL. */
	void (*bar_moved)(void *ctx, const struct pci_virt_fn *f, unsigned bar, u8 type,
			  u64 old_base, u64 new_base, u64 size);
	/* the MSI message policy (destinations, remapping, refusals); NULL: every message is
	 * refused (the device's MSI stays masked or off) */
	const struct msi_ops *msi;
	void *ctx;
};

struct pci_virt_stats {
	u64 reads, writes;		/* all config accesses */
	u64 hidden_reads, hidden_writes;/* to functions the guest cannot see */
	u64 denied_writes;		/* writes that changed nothing on the device */
	u64 bar_moves, bar_refused;
	u64 msi_refused;		/* live MSI messages that were left masked or off */
};

struct pci_virt {
	const struct pci_cfg_ops *cfg;
	const struct pci_virt_ops *ops;
	u32 cf8;		/* CONFIG_ADDRESS as the guest last wrote it (ports are per guest) */
	u8 cf9;			/* the reset control register, emulated */
	unsigned nfn;
	struct pci_virt_fn fn[PCI_VIRT_MAX_FNS];
	struct pci_virt_stats stats;
};

/* Start with every function hidden. cfg reaches the real config space; ops may be NULL. */
void pci_virt_init(struct pci_virt *pv, const struct pci_cfg_ops *cfg,
		   const struct pci_virt_ops *ops);

/* Make a function found by pci_scan visible with role PCI_VIRT_RO_FN or PCI_VIRT_PASSTHROUGH.
 * For a passed-through function this reads its BARs (from d) and walks its capabilities.
 * Returns 0, -EINVAL (role, header type other than 0 for passthrough), -EEXIST, -ENOSPC. */
/* Let the guest write bytes [off, off + len) of a PCI_VIRT_RO_FN function (0x40 <= off,
 * off + len <= 0x80). Returns 0 or -EINVAL. */
int pci_virt_allow_writes(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u16 len);
/* How the guest may access f, for the boot log: "passed through", "read-only", or "read-only
 * but for config bytes 0x60-0x63, 0x68-0x6b" (the windows pci_virt_allow_writes opened).
 * Returns buf. */
const char *pci_virt_access_text(const struct pci_virt_fn *f, char *buf, size_t cap);
int pci_virt_add(struct pci_virt *pv, const struct pci_dev *d, enum pci_virt_role role);

/* The usual set for NIC passthrough: nic as PCI_VIRT_PASSTHROUGH, the host bridge at
 * <seg>:00:00.0 and every bridge between bus 0 and the NIC as PCI_VIRT_RO_FN.
 * Returns 0 or a negative errno from pci_virt_add. */
int pci_virt_setup_nic(struct pci_virt *pv, const struct pci *p, const struct pci_dev *nic);

struct pci_virt_fn *pci_virt_find(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn);

/* One guest config access of size 1, 2 or 4 bytes at byte offset off (it may be unaligned and
 * span two dwords; off + size <= 4096). Reads fill *val (zero-extended), writes take it.
 * Returns 0, or -EINVAL for a bad size or offset (*val is then all-ones on reads). */
int pci_virt_access(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, unsigned size,
		    bool write, u32 *val);

/* The I/O exit for ports 0xCF8-0xCFF (segment 0, 256 bytes per function):
 *   0xCF8, 4 bytes: CONFIG_ADDRESS (bit 31 enable, bus 23:16, dev 15:11, fn 10:8, reg 7:2);
 *   0xCFC-0xCFF, 1/2/4 bytes: CONFIG_DATA at reg + (port - 0xCFC); with bit 31 clear, or for
 *     bytes past 0xCFF, reads are all-ones and writes are dropped;
 *   0xCF9, 1 byte: the chipset's reset control register (emulated);
 *   other accesses in 0xCF8-0xCFB: nothing there (all-ones, dropped).
 * Returns 0, PCI_VIRT_RESET when the guest asked for a reset through 0xCF9 (the caller ends or
 * resets the guest), or -EINVAL for a port outside 0xCF8-0xCFF or a bad size. */
#define PCI_VIRT_RESET		1
#define PCI_VIRT_CF9_SYS_RST	BIT(1)
#define PCI_VIRT_CF9_RST_CPU	BIT(2)
int pci_virt_port(struct pci_virt *pv, u16 port, unsigned size, bool write, u32 *val);

/* The EPT violation on the ECAM window of segment seg whose first bus is bus_start: off is the
 * offset of the access in the window (gpa - window base); bus = bus_start + off[27:20],
 * dev = off[19:15], fn = off[14:12], register = off[11:0]. Accesses crossing into the next
 * function or beyond bus 255 return -EINVAL (reads all-ones). */
int pci_virt_ecam(struct pci_virt *pv, u16 seg, u8 bus_start, u64 off, unsigned size, bool write,
		  u32 *val);

/* Take the capability with ID id out of the guest's view of f (its bytes read 0, the chain skips
 * it). Returns 0 or -ENOENT. The MSI-X capability is shown only once uhv traps its table:
 * passthrough/msix.c hides it when it cannot. */
int pci_virt_cap_hide(struct pci_virt_fn *f, u8 id);
/* The capability with ID id that the guest sees, or NULL. */
const struct pci_virt_cap *pci_virt_cap_find(const struct pci_virt_fn *f, u8 id);

/* The rule covering byte off of f's config space (NULL: hidden or unlisted = PCI_VIRT_DENY);
 * *base receives the offset the rule's off is relative to. For tests and the documentation. */
const struct pci_virt_rule *pci_virt_rule_at(const struct pci_virt_fn *f, u16 off, u16 *base);

#endif
