/* ACPI DMAR table (DMA Remapping Reporting, VT-d spec chapter 8) and its parser
 * (acpi/dmar.c).
 *
 * The parser is pure: it works on the table bytes and never touches hardware,
 * so the host tests it on tables captured from QEMU and on hand-built ones.
 * It has no fixed limits on units or device scopes: dmar_parse() validates
 * the whole table once, after which dmar_walk() hands each remapping
 * structure to a visitor, and dmar_scope_next() iterates the device scopes of
 * a structure in place. Nothing is copied, so the table must stay mapped. */
#ifndef UHV_DMAR_H
#define UHV_DMAR_H

#include <uhv/types.h>

/* Table header: the 36-byte ACPI SDT header followed by these fields. */
#define DMAR_SIGNATURE		"DMAR"
#define DMAR_OFF_LENGTH		4	/* u32 total length of the table */
#define DMAR_OFF_HAW		36	/* u8 host address width - 1 */
#define DMAR_OFF_FLAGS		37	/* u8 flags */
#define DMAR_HEADER_LEN		48	/* remapping structures start here */

#define DMAR_FLAG_INTR_REMAP		BIT(0)	/* interrupt remapping supported */
#define DMAR_FLAG_X2APIC_OPT_OUT	BIT(1)	/* firmware asks the OS not to use x2APIC */
#define DMAR_FLAG_DMA_CTRL_OPT_IN	BIT(2)	/* platform opts in to DMA protection */

/* Remapping structure types; every structure starts with u16 type, u16 length. */
#define DMAR_TYPE_DRHD		0	/* DMA remapping hardware unit definition */
#define DMAR_TYPE_RMRR		1	/* reserved memory region reporting */
#define DMAR_TYPE_ATSR		2	/* root port ATS capability reporting */
#define DMAR_TYPE_RHSA		3	/* remapping hardware static affinity */
#define DMAR_TYPE_ANDD		4	/* ACPI name-space device declaration */
#define DMAR_TYPE_SATC		5	/* SoC integrated address translation cache */
#define DMAR_TYPE_SIDP		6	/* SoC integrated device property */

/* Fixed part sizes; device scopes follow the fixed part. */
#define DMAR_DRHD_LEN		16	/* u8 flags, u8 size, u16 segment, u64 register base */
#define DMAR_RMRR_LEN		24	/* u16 rsvd, u16 segment, u64 base, u64 limit (inclusive) */
#define DMAR_ATSR_LEN		8	/* u8 flags, u8 rsvd, u16 segment */
#define DMAR_RHSA_LEN		20	/* u32 rsvd, u64 register base, u32 proximity domain */
#define DMAR_ANDD_LEN		8	/* u8 rsvd[3], u8 ACPI device number, then a name */
#define DMAR_SATC_LEN		8	/* u8 flags, u8 rsvd, u16 segment */

#define DMAR_DRHD_INCLUDE_PCI_ALL	BIT(0)	/* unit covers every device not listed elsewhere */
#define DMAR_ATSR_ALL_PORTS		BIT(0)	/* every root port of the segment supports ATS */
#define DMAR_SATC_ATC_REQUIRED		BIT(0)

/* Device scope: u8 type, u8 length, u8 flags, u8 rsvd, u8 enumeration id,
 * u8 start bus, then (device, function) byte pairs, one per bridge hop. */
#define DMAR_SCOPE_HDR_LEN	6
#define DMAR_SCOPE_ENDPOINT	1	/* PCI endpoint device */
#define DMAR_SCOPE_BRIDGE	2	/* PCI sub-hierarchy: the bridge and all below it */
#define DMAR_SCOPE_IOAPIC	3	/* enumeration id = I/O APIC id */
#define DMAR_SCOPE_HPET		4	/* MSI-capable HPET; enumeration id = HPET number */
#define DMAR_SCOPE_ACPI		5	/* ACPI name-space device (see ANDD) */

struct dmar_table {
	const u8 *bytes;
	size_t len;		/* from the header, validated against the buffer */
	unsigned haw;		/* host address width in bits (the field + 1) */
	u8 flags;		/* DMAR_FLAG_* */
	unsigned nr_drhd, nr_rmrr, nr_atsr, nr_other;
};

struct dmar_scope {
	u8 type;		/* DMAR_SCOPE_* */
	u8 flags;
	u8 enum_id;
	u8 start_bus;
	unsigned path_len;	/* number of (device, function) pairs, >= 1 */
	const u8 *path;		/* path[2*i] = device, path[2*i+1] = function */
};

struct dmar_drhd {
	unsigned index;		/* 0, 1, ... in table order */
	u8 flags;		/* DMAR_DRHD_* */
	u8 size;		/* register set is 2^size pages (0 in older tables: 1 page) */
	u16 segment;
	paddr_t base;		/* register base */
	const u8 *scopes;	/* device scopes, for dmar_scope_next() */
	size_t scopes_len;
};

struct dmar_rmrr {
	unsigned index;
	u16 segment;
	paddr_t base;
	paddr_t limit;		/* inclusive, as in the table */
	const u8 *scopes;
	size_t scopes_len;
};

/* The pages an RMRR asks to identity-map, [*lo, *hi). Returns 0, or -EINVAL when the range is
 * empty or inverted, or -EPERM when it overlaps a range of map that is uhv's (its image or pool):
 * a device must never reach uhv's memory, whatever firmware says (fail closed: the caller does
 * not attach the device). Pure. */
struct memmap;
int dmar_rmrr_pages(const struct dmar_rmrr *r, const struct memmap *map, paddr_t *lo,
		    paddr_t *hi);

struct dmar_atsr {		/* also used for SATC (same layout) */
	u8 flags;
	u16 segment;
	const u8 *scopes;
	size_t scopes_len;
};

/* Each callback may be NULL. A non-zero return stops the walk and is returned
 * by dmar_walk(). */
struct dmar_visitor {
	int (*drhd)(void *ctx, const struct dmar_drhd *d);
	int (*rmrr)(void *ctx, const struct dmar_rmrr *r);
	int (*atsr)(void *ctx, const struct dmar_atsr *a);
	void *ctx;
};

/* Check the whole table (header, every structure, every device scope) and
 * fill *t. Returns 0, or -EINVAL with a message saying what is wrong and
 * where. A bad checksum is only warned about (firmware gets it wrong and the
 * contents are usually fine). */
int dmar_parse(const void *table, size_t buf_len, struct dmar_table *t);

/* Visit the structures of a parsed table in table order. */
int dmar_walk(const struct dmar_table *t, const struct dmar_visitor *v);

/* Iterate device scopes: start with *off = 0; returns true and fills *s for
 * each scope, false at the end. The scopes come from a parsed table. */
bool dmar_scope_next(const u8 *scopes, size_t len, size_t *off, struct dmar_scope *s);

static inline u8 dmar_scope_dev(const struct dmar_scope *s, unsigned i) { return s->path[2 * i]; }
static inline u8 dmar_scope_fn(const struct dmar_scope *s, unsigned i) { return s->path[2 * i + 1]; }

const char *dmar_scope_type_name(u8 type);

/* Following a scope path through bridges needs the secondary bus number of
 * each bridge on the way (PCI config space, or a table in a test). */
struct dmar_pci_ops {
	/* secondary and subordinate bus of the bridge at seg:bus:dev.fn;
	 * 0 or a negative errno (no bridge there) */
	int (*bridge_buses)(void *ctx, u16 seg, u8 bus, u8 dev, u8 fn, u8 *secondary,
			    u8 *subordinate);
	void *ctx;
};

struct dmar_scope_target {
	u8 bus;
	u8 devfn;		/* (dev << 3) | fn */
	/* for DMAR_SCOPE_BRIDGE: the buses below the bridge; otherwise 0/0 */
	u8 sec_bus, sub_bus;
	bool has_range;
};

/* Resolve a scope to the device it names. Single-element paths need no PCI
 * access (pci may be NULL); longer ones and bridge ranges call pci. */
int dmar_scope_resolve(u16 segment, const struct dmar_scope *s, const struct dmar_pci_ops *pci,
		       struct dmar_scope_target *out);

/* Does a scope list name the PCI device seg:bus:devfn, directly or as part
 * of a bridge's sub-hierarchy? */
bool dmar_scopes_match(u16 segment, const u8 *scopes, size_t len, u8 bus, u8 devfn,
		       const struct dmar_pci_ops *pci);

/* The remapping unit that handles seg:bus:devfn: the unit whose scopes name it,
 * else the segment's INCLUDE_PCI_ALL unit. Returns 0 and fills *out, or
 * -ENOENT (then the device is not translated by any unit). */
int dmar_find_unit(const struct dmar_table *t, u16 segment, u8 bus, u8 devfn,
		   const struct dmar_pci_ops *pci, struct dmar_drhd *out);

/* The unit whose device scope names the IOAPIC with I/O APIC id ioapic_id (a scope of type
 * IOAPIC, enumeration id = that id; VT-d spec 8.3.1), and the source id its interrupt messages
 * carry (*sid = bus << 8 | devfn of the scope's path). 0, or -ENOENT: no scope names it (its
 * interrupts are then not remapped by any unit; INCLUDE_PCI_ALL does not cover IOAPICs). */
int dmar_find_ioapic(const struct dmar_table *t, u8 ioapic_id, const struct dmar_pci_ops *pci,
		     struct dmar_drhd *out, u16 *sid);

/* RMRRs per device (acpi/dmar_rmrr.c). dmar_rmrr_devices calls dev once for each PCI endpoint
 * that some RMRR's device scope names (in table order, each device once); a non-zero return
 * stops the walk and is returned. dmar_rmrr_regions calls region with the pages [lo, hi) of each
 * RMRR whose scope names seg:bus:devfn (directly or below a bridge scope), and of no other RMRR;
 * but first it checks them all (dmar_rmrr_pages): -EPERM when one overlaps uhv's memory in map,
 * -EINVAL when one is empty, and then region is never called and *bad (may be NULL) is the first
 * such RMRR. Otherwise 0, or the first non-zero return of region. */
struct memmap;
int dmar_rmrr_devices(const struct dmar_table *t, const struct dmar_pci_ops *pci,
		      int (*dev)(void *ctx, u16 seg, u8 bus, u8 devfn), void *ctx);
int dmar_rmrr_regions(const struct dmar_table *t, u16 seg, u8 bus, u8 devfn,
		      const struct dmar_pci_ops *pci, const struct memmap *map,
		      int (*region)(void *ctx, const struct dmar_rmrr *r, paddr_t lo, paddr_t hi),
		      void *ctx, struct dmar_rmrr *bad);

/* Print the table contents (units, scopes, reserved regions) at info level. */
void dmar_print(const struct dmar_table *t);

#endif
