/* ACPI discovery: RSDP -> XSDT/RSDT -> tables, and the MADT, MCFG, HPET and FADT facts uhv
 * needs. Pure logic: physical memory is reached only through the caller's map callback, so the
 * host tests serve captured firmware tables (test/data/acpi/) and the kernel its direct map. */
#ifndef UHV_ACPI_H
#define UHV_ACPI_H

#include <uhv/types.h>
#include <uhv/hw/acpi_tables.h>

/* Return a pointer through which len bytes at physical address pa can be read, or NULL if
 * they cannot be mapped. Pointers stay valid for the life of the struct acpi. */
typedef const void *(*acpi_map_fn)(void *ctx, paddr_t pa, size_t len);

#define ACPI_MAX_TABLES		64
/* Larger than any real table (big DSDTs are a few hundred KiB): a length beyond this is junk. */
#define ACPI_TABLE_MAX_LEN	MiB(16)

struct acpi_table {
	const struct acpi_sdt_header *hdr;	/* mapped, hdr->length bytes readable */
	paddr_t pa;
	bool checksum_ok;			/* false: warned, still usable */
};

struct acpi {
	acpi_map_fn map;
	void *ctx;
	u8 rsdp_revision;
	char oem_id[7];				/* NUL-terminated copy of the RSDP OEM ID */
	bool xsdt;				/* root is the XSDT (else the RSDT) */
	paddr_t root_pa;
	unsigned count;
	unsigned dropped;			/* tables beyond ACPI_MAX_TABLES */
	struct acpi_table tables[ACPI_MAX_TABLES];
};

/* rsdp points at a copy of the RSDP (e.g. inside a multiboot2 tag 14/15) of rsdp_len bytes.
 * Validates it, walks the XSDT (revision >= 2 and address != 0) or else the RSDT, and records
 * every table whose header is sane; the DSDT named by the FADT is added too. Bad table checksums
 * are warnings. Returns the number of tables, or -EINVAL (bad RSDP, unusable root table), or
 * -ENOSPC when there were more than ACPI_MAX_TABLES (reported; a holds the first ones): uhv must
 * then not start the guest. */
int acpi_init(struct acpi *a, const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx);

/* Scan [lo, hi) on 16-byte boundaries for an RSDP with a valid checksum (BIOS systems keep it in
 * 0xE0000-0xFFFFF), for boot loaders that pass none. Returns its address or 0. */
paddr_t acpi_scan_rsdp(acpi_map_fn map, void *ctx, paddr_t lo, paddr_t hi);

/* index-th table (from 0) with this signature, e.g. "APIC", "SSDT"; NULL if absent. */
const struct acpi_sdt_header *acpi_find_table(const struct acpi *a, const char sig[4],
					      unsigned index);
/* One line per table: signature, address, length, revision, OEM ID, checksum status. */
void acpi_print_tables(const struct acpi *a);

/* Sum of len bytes (0 for a valid ACPI checksum). */
u8 acpi_checksum(const void *p, size_t len);

/* --- MADT ------------------------------------------------------------------------------------ */
#define ACPI_MAX_CPUS		256
#define ACPI_MAX_IOAPICS	16
#define ACPI_MAX_ISOS		32
#define ACPI_MAX_NMIS		32

struct acpi_cpu {
	u32 apic_id;		/* xAPIC or x2APIC id */
	u32 acpi_uid;		/* ACPI processor UID */
	bool enabled;
	bool online_capable;	/* disabled but may be brought up later */
	bool x2apic;		/* from an x2APIC entry */
};

struct acpi_ioapic {
	u8 id;
	paddr_t address;
	u32 gsi_base;
	u32 gsi_count;		/* 0 = unknown; the IOAPIC driver sets it from IOAPICVER */
};

struct acpi_iso {
	u8 bus;
	u8 source;		/* ISA IRQ */
	u32 gsi;
	u16 flags;		/* ACPI_MPS_* */
};

struct acpi_nmi {
	bool lapic;		/* true: LAPIC LINTn NMI; false: NMI source on a GSI */
	u32 acpi_uid;		/* LAPIC NMI: processor UID, 0xffffffff = all */
	u8 lint;		/* LAPIC NMI: 0 or 1 */
	u32 gsi;		/* NMI source */
	u16 flags;
};

struct acpi_madt_info {
	paddr_t lapic_address;	/* after any address-override entry */
	u32 flags;		/* ACPI_MADT_PCAT_COMPAT */
	unsigned ncpus, nioapics, nisos, nnmis;
	unsigned overflow;	/* entries that did not fit (reported) */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	struct acpi_iso isos[ACPI_MAX_ISOS];
	struct acpi_nmi nmis[ACPI_MAX_NMIS];
};

/* madt may be NULL (-> -ENOENT). Returns the number of enabled CPUs or -errno; -ENOSPC when
 * one of the tables in m is full (reported; m holds what fit): uhv must not start the guest. */
int acpi_madt_parse(const struct acpi_sdt_header *madt, struct acpi_madt_info *m);
/* "MADT: 1 CPU (APIC id 0), IOAPIC id 0 @ 0xfec00000 GSI 0-23, 5 overrides" */
void acpi_madt_print(const struct acpi_madt_info *m);
/* ISA IRQ -> GSI through the overrides (identity if none); *flags gets the MPS flags
 * (ISA default: edge, active high = 0) when flags is non-NULL. */
u32 acpi_isa_irq_to_gsi(const struct acpi_madt_info *m, u8 irq, u16 *flags);

/* --- MCFG ------------------------------------------------------------------------------------ */
#define ACPI_MAX_ECAM		16

struct acpi_ecam {
	paddr_t base;		/* of bus 0 of the segment: bus b is at base + (b << 20) */
	u16 segment;
	u8 bus_start, bus_end;
};

struct acpi_mcfg_info {
	unsigned count;
	unsigned overflow;
	struct acpi_ecam ecam[ACPI_MAX_ECAM];
};

/* mcfg may be NULL (-> -ENOENT: use port I/O config access). Returns the window count, or
 * -ENOSPC when there were more than ACPI_MAX_ECAM (reported): uhv must not start the guest. */
int acpi_mcfg_parse(const struct acpi_sdt_header *mcfg, struct acpi_mcfg_info *m);
/* "MCFG: ECAM 0xb0000000 seg 0 bus 0-255" */
void acpi_mcfg_print(const struct acpi_mcfg_info *m);

/* --- HPET, FADT ------------------------------------------------------------------------------ */
struct acpi_hpet_info {
	paddr_t address;
	u8 number;
	u16 min_tick;
};
int acpi_hpet_parse(const struct acpi_sdt_header *hpet, struct acpi_hpet_info *h);

struct acpi_fadt_info {
	u8 revision;
	u16 sci_irq;
	u16 pm_timer_port;	/* 0: none */
	bool pm_timer_32bit;
	u16 boot_arch;		/* ACPI_FADT_BOOT_* */
	u32 flags;		/* ACPI_FADT_F_* */
	bool reset_supported;
	struct acpi_gas reset_reg;
	u8 reset_value;
	paddr_t dsdt;
	u16 pm1a_cnt_port;	/* PM1a_CNT_BLK, or X_PM1a_CNT_BLK if a nonzero I/O GAS; 0: none */
	u16 pm1b_cnt_port;	/* 0: none */
	u8 pm1_cnt_len;		/* bytes of each PM1x_CNT block */
	/* The other fixed-hardware I/O blocks (ACPI 4.8.1), as PM1x_CNT: the X_ GAS wins when it
	 * names a nonzero I/O port; port 0 or length 0: none. */
	u16 pm1a_evt_port, pm1b_evt_port;
	u8 pm1_evt_len;		/* bytes of each PM1x_EVT block (status + enable halves) */
	u16 gpe0_port, gpe1_port;
	u8 gpe0_len, gpe1_len;
	u16 smi_cmd;		/* SMI command port; 0: no SMM to hand ACPI over */
	u8 acpi_enable, acpi_disable;	/* the values for SMI_CMD that hand ACPI to / from the OS */
};
int acpi_fadt_parse(const struct acpi_sdt_header *fadt, struct acpi_fadt_info *f);

/* --- SPCR ----------------------------------------------------------------------------------- */
/* The firmware's console UART (acpi/spcr.c). */
struct acpi_spcr_info {
	u8 interface_type;
	bool mmio;		/* else I/O ports */
	u64 address;
	u8 access_bytes;	/* 1 or 4 */
	u8 shift;		/* register stride: 0 (bytes) or 2 (dwords) */
	u32 baud;		/* 0: keep the firmware's line speed */
	bool pci;		/* the PCI fields name the function */
	u16 pci_seg;
	u8 pci_bus, pci_dev, pci_fn;
};
/* 0, -ENOENT (no table), -EINVAL (malformed: said), -EOPNOTSUPP (not a 16550 kind: said). */
int acpi_spcr_parse(const struct acpi_sdt_header *spcr, struct acpi_spcr_info *out);
/* The first 16550 serial debug port of DBG2 (acpi/dbg2.c), in the same form (baud 0: DBG2 has
 * none). 0, -ENOENT (no table), -ENODEV (no 16550 in it), -EINVAL / -EOPNOTSUPP (said). */
int acpi_dbg2_parse(const struct acpi_sdt_header *dbg2, struct acpi_spcr_info *out);

/* SLP_TYP values of the S5 (soft-off) state from the DSDT's \_S5 package (AML:
 * NameOp "_S5_" PackageOp PkgLength NumElements, then byte/zero/one constants): *typ_a for
 * PM1a_CNT, *typ_b for PM1b_CNT. Returns 0, or -ENOENT when the DSDT has no _S5 object this
 * simple reader understands. vplatform/acpi_view.c; used for the guest's power-off
 * (vplatform/power.c) and the real machine's (arch/machine_end.c). */
int acpi_dsdt_s5(const struct acpi_sdt_header *dsdt, u8 *typ_a, u8 *typ_b);

#endif
