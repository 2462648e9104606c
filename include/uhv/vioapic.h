/* The guest's IOAPICs, mediated (docs/interrupts.md "IOAPIC"): each IOAPIC's MMIO page is
 * trapped; IOREGSEL is the guest's own (virtual), IOWIN reads and writes of the ID, version and
 * arbitration registers and the EOI register (version >= 0x20) go to the real IOAPIC, and the
 * redirection table is the guest's view, kept here, which uhv checks and translates before the
 * hardware gets it:
 *  - delivery modes fixed, lowest priority, NMI and ExtINT pass; SMI, INIT and the reserved ones
 *    are refused;
 *  - the destination must be one of the guest's CPUs (physical), or logical while every CPU is
 *    the guest's (the LDRs are the guest's to program);
 *  - a refused entry stays masked on the hardware and reads back masked (the guest sees that it
 *    did not take), counted and said once by the caller;
 *  - with interrupt remapping on the IOAPIC's VT-d unit, the hardware entry is in remappable
 *    format naming the pin's IRTE (VT-d spec 5.1.5.1), which uhv writes from the checked entry;
 *    without it, the checked entry is re-encoded in compatibility format.
 * Reads of an entry give the guest's view with Delivery Status and Remote IRR from the hardware.
 *
 * Pure: the hardware is reached through struct vioapic_ops, so host unit tests drive it with a
 * fake register file (test/unit/test_vioapic.c); the hypervisor side is vdev/vioapic_hw.c. */
#ifndef UHV_VIOAPIC_H
#define UHV_VIOAPIC_H

#include <uhv/types.h>
#include <uhv/irq_remap.h>

/* MMIO offsets in the IOAPIC page (82093AA datasheet; ICH/PCH datasheets for EOI) */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40	/* version >= 0x20: write a vector, clears Remote IRR */
/* indirect registers */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10	/* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */
#define IOAPIC_VER_EOI		0x20	/* first version with the EOI register */
#define IOAPIC_VER_MRE(v)	((((v) >> 16) & 0xff) + 1)	/* number of entries */
#define VIOAPIC_MAX_PINS	120	/* 0x10 + 2 * 120 = 0x100: the whole index space */

/* Redirection table entry, compatibility format */
#define RTE_VECTOR_MASK		0xffull
#define RTE_DLM_SHIFT		8
#define RTE_DLM_MASK		(7ull << RTE_DLM_SHIFT)
#define RTE_DLM_FIXED		0
#define RTE_DLM_LOWPRI		1
#define RTE_DLM_SMI		2
#define RTE_DLM_NMI		4
#define RTE_DLM_INIT		5
#define RTE_DLM_EXTINT		7
#define RTE_DESTMOD_LOGICAL	BIT(11)
#define RTE_DELIVS		BIT(12)		/* read-only: delivery status */
#define RTE_POLARITY_LOW	BIT(13)
#define RTE_REMOTE_IRR		BIT(14)		/* read-only */
#define RTE_TRIGGER_LEVEL	BIT(15)
#define RTE_MASKED		BIT(16)
#define RTE_DEST_SHIFT		56
#define RTE_RO_BITS		(RTE_DELIVS | RTE_REMOTE_IRR)
/* remappable format (VT-d spec 5.1.5.1): index[14:0] in 63:49, format bit 48, index[15] in
 * bit 11, bits 10:8 zero; vector, polarity, trigger and mask as above */
#define RTE_IR_FORMAT		BIT(48)
#define RTE_IR_INDEX_SHIFT	49
#define RTE_IR_INDEX15		BIT(11)

/* The guest's CPUs as a destination may name them (as for MSI). */
struct vioapic_cpus {
	const u32 *apic_id;
	unsigned n;
	bool all;	/* every CPU is the guest's: logical destinations reach only the guest */
};

struct vioapic_ops {
	u32 (*read)(void *ctx, u8 reg);			/* IOREGSEL = reg, read IOWIN */
	void (*write)(void *ctx, u8 reg, u32 val);	/* IOREGSEL = reg, write IOWIN */
	void (*eoi)(void *ctx, u32 val);		/* the EOI register */
	void (*cpus)(void *ctx, struct vioapic_cpus *c);
	/* NULL: no remapping. Else write the IRTE for this pin's index; < 0: none (refused) */
	int (*remap)(void *ctx, unsigned index, const struct irq_remap_dest *d);
	/* a refusal: count it, say it once */
	void (*refused)(void *ctx, unsigned pin, u64 rte, const char *why);
	void *ctx;
};

struct vioapic {
	u8 id;				/* I/O APIC id (MADT) */
	u8 version;
	unsigned npins;
	u8 ioregsel;			/* the guest's */
	bool remapped;			/* entries go through IRTEs irte_first + pin */
	unsigned irte_first;
	struct vioapic_ops ops;
	u64 rte[VIOAPIC_MAX_PINS];	/* the guest's view (read-only bits 0) */
	u64 hw[VIOAPIC_MAX_PINS];	/* what uhv last wrote to the hardware */
	u64 irte_key[VIOAPIC_MAX_PINS];	/* the IRTE last written for the pin (0: none) */
	u64 refused[(VIOAPIC_MAX_PINS + 63) / 64];	/* refused entries (read back masked) */
	u64 accesses, refusals;		/* counted for the end-of-run line */
};

/* Read the version and the entries from the hardware: the guest's view starts as the hardware
 * is (firmware's entries, normally all masked). remapped/irte_first are set by the caller
 * before the guest runs. */
void vioapic_init(struct vioapic *io, u8 id, const struct vioapic_ops *ops);

/* The entry's check: NULL and *d filled (vector, destination, mode, trigger) when the guest may
 * have it, else why not. */
const char *vioapic_check(u64 rte, const struct vioapic_cpus *c, struct irq_remap_dest *d);
/* The hardware entry for the checked guest entry: compatibility format re-encoded from d, or
 * remappable format naming index (remapped). The mask bit is the guest's. */
u64 vioapic_hw_rte(u64 rte, const struct irq_remap_dest *d, bool remapped, unsigned index);

/* One guest access of size bytes at offset off of the IOAPIC page. */
u32 vioapic_mmio_read(struct vioapic *io, unsigned off, unsigned size);
void vioapic_mmio_write(struct vioapic *io, unsigned off, unsigned size, u32 val);

/* ---- the vm's IOAPICs (vdev/vioapic_hw.c) ---- */

#define VM_MAX_IOAPICS		16	/* MMIO_MAX_IOAPICS */
#define VIOAPIC_CPUS		256	/* ACPI_MAX_CPUS: the most CPUs the MADT table holds */
struct vm;
struct vioapic_hw_ctx {		/* what a trap's and an op's ctx names */
	struct vm *vm;
	unsigned i;		/* which IOAPIC */
};
struct vm_ioapics {
	struct vioapic io[VM_MAX_IOAPICS];
	struct vioapic_hw_ctx ctx[VM_MAX_IOAPICS];
	volatile u8 *regs[VM_MAX_IOAPICS];	/* uhv's UC mapping of each IOAPIC page */
	unsigned n;
	bool said;				/* a refusal was said (once per run) */
	u32 apic_ids[VIOAPIC_CPUS];		/* scratch for ops.cpus, under emul_lock */
};

struct acpi;
/* Trap every IOAPIC of the MADT (0xFEC00000 without one): read its entries, and where a VT-d
 * unit with interrupt remapping names it in its device scope, reserve one IRTE per pin. An
 * IOAPIC that cannot be remapped while compatibility format is blocked turns compatibility
 * format on (irq_remap_compat_allow, said why). 0, or < 0 (said; the guest must not run). */
int vm_ioapic_setup(struct vm *vm, const struct acpi *acpi);
/* The end-of-run line: accesses, refusals, remapped or not. */
void vm_ioapic_print(const struct vm *vm);

#endif
