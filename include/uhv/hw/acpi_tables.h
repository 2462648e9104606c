/* ACPI table layouts (ACPI 6.x, chapter 5.2), byte-exact. Only what uhv reads:
 * RSDP, the common SDT header, RSDT/XSDT, FADT, MADT and its entries, MCFG (PCI Firmware spec),
 * HPET (IA-PC HPET spec). The DMAR lives in <uhv/dmar.h>.
 *
 * Tables sit at arbitrary byte addresses, so every struct is packed and multi-byte fields of
 * table entries are read through these structs (the compiler emits unaligned-safe loads). */
#ifndef UHV_ACPI_TABLES_H
#define UHV_ACPI_TABLES_H

#include <uhv/types.h>

#define ACPI_RSDP_SIG		"RSD PTR "
#define ACPI_RSDP_V1_SIZE	20	/* bytes covered by the v1 checksum */
#define ACPI_RSDP_V2_SIZE	36

struct acpi_rsdp {
	char signature[8];	/* "RSD PTR " */
	u8 checksum;		/* bytes 0-19 sum to 0 */
	char oem_id[6];
	u8 revision;		/* 0: ACPI 1.0 (RSDT only), 2: ACPI 2.0+ (XSDT) */
	u32 rsdt_address;
	/* revision >= 2 */
	u32 length;		/* of the whole RSDP */
	u64 xsdt_address;
	u8 extended_checksum;	/* all 'length' bytes sum to 0 */
	u8 reserved[3];
} __packed;

struct acpi_sdt_header {
	char signature[4];
	u32 length;		/* whole table including this header */
	u8 revision;
	u8 checksum;		/* all 'length' bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

#define ACPI_SDT_HEADER_SIZE	36

/* RSDT: header + u32 entries; XSDT: header + u64 entries (not 8-byte aligned in general). */
#define ACPI_SIG_RSDT	"RSDT"
#define ACPI_SIG_XSDT	"XSDT"
#define ACPI_SIG_FADT	"FACP"
#define ACPI_SIG_DSDT	"DSDT"
#define ACPI_SIG_FACS	"FACS"
#define ACPI_SIG_MADT	"APIC"
#define ACPI_SIG_MCFG	"MCFG"
#define ACPI_SIG_HPET	"HPET"
#define ACPI_SIG_DMAR	"DMAR"

/* Generic Address Structure (ACPI 5.2.3.2) */
struct acpi_gas {
	u8 space_id;		/* ACPI_GAS_* */
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;		/* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
	u64 address;
} __packed;

#define ACPI_GAS_MEMORY		0
#define ACPI_GAS_IO		1
#define ACPI_GAS_PCI_CFG	2

/* FADT ("FACP"). Older revisions are shorter: ACPI 1.0 tables end after 'flags' (116 bytes),
 * so check the table length before reading a field. */
struct acpi_fadt {
	struct acpi_sdt_header hdr;
	u32 firmware_ctrl;	/* FACS */
	u32 dsdt;
	u8 reserved0;		/* INT_MODEL in ACPI 1.0 */
	u8 preferred_pm_profile;
	u16 sci_int;		/* SCI interrupt, an ISA IRQ (mapped through MADT overrides) */
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;		/* I/O port of the ACPI PM timer (3.579545 MHz) */
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;	/* ACPI_FADT_BOOT_* */
	u8 reserved1;
	u32 flags;		/* ACPI_FADT_F_* */
	/* ACPI 2.0+ */
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 fadt_minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	/* ACPI 5.0+ */
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	/* ACPI 6.0+ */
	u64 hypervisor_vendor_id;
} __packed;

#define ACPI_FADT_V1_SIZE	116	/* up to and including 'flags' */

#define ACPI_FADT_BOOT_LEGACY_DEVICES	BIT(0)
#define ACPI_FADT_BOOT_8042		BIT(1)
#define ACPI_FADT_BOOT_VGA_NOT_PRESENT	BIT(2)
#define ACPI_FADT_BOOT_MSI_NOT_SUPPORTED BIT(3)	/* do not enable MSI on this platform */
#define ACPI_FADT_BOOT_PCIE_ASPM_CONTROLS BIT(4)
#define ACPI_FADT_BOOT_CMOS_RTC_NOT_PRESENT BIT(5)

#define ACPI_FADT_F_WBINVD		BIT(0)
#define ACPI_FADT_F_TMR_VAL_EXT		BIT(8)	/* PM timer is 32 bits wide, else 24 */
#define ACPI_FADT_F_RESET_REG_SUP	BIT(10)	/* reset_reg / reset_value are valid */
#define ACPI_FADT_F_HW_REDUCED_ACPI	BIT(20)

/* MADT ("APIC") */
struct acpi_madt {
	struct acpi_sdt_header hdr;
	u32 lapic_address;	/* physical address of the local APIC (may be overridden) */
	u32 flags;		/* ACPI_MADT_PCAT_COMPAT */
	/* followed by variable-length entries, each starting with struct acpi_madt_entry */
} __packed;

#define ACPI_MADT_PCAT_COMPAT	BIT(0)	/* dual 8259 PICs present: mask them */

struct acpi_madt_entry {
	u8 type;		/* ACPI_MADT_* */
	u8 length;		/* of the entry including these two bytes */
} __packed;

#define ACPI_MADT_LAPIC			0
#define ACPI_MADT_IOAPIC		1
#define ACPI_MADT_ISO			2	/* interrupt source override */
#define ACPI_MADT_NMI_SOURCE		3
#define ACPI_MADT_LAPIC_NMI		4
#define ACPI_MADT_LAPIC_ADDR_OVERRIDE	5
#define ACPI_MADT_X2APIC		9
#define ACPI_MADT_X2APIC_NMI		10

/* Processor Local APIC / x2APIC flags */
#define ACPI_MADT_CPU_ENABLED		BIT(0)
#define ACPI_MADT_CPU_ONLINE_CAPABLE	BIT(1)	/* disabled now, may be brought online */

/* MPS INTI flags (ISO, NMI entries) */
#define ACPI_MPS_POLARITY_MASK		0x3
#define ACPI_MPS_POLARITY_CONFORMS	0x0
#define ACPI_MPS_POLARITY_HIGH		0x1
#define ACPI_MPS_POLARITY_LOW		0x3
#define ACPI_MPS_TRIGGER_MASK		0xc
#define ACPI_MPS_TRIGGER_CONFORMS	0x0
#define ACPI_MPS_TRIGGER_EDGE		0x4
#define ACPI_MPS_TRIGGER_LEVEL		0xc

struct acpi_madt_lapic {
	struct acpi_madt_entry e;
	u8 acpi_processor_uid;
	u8 apic_id;
	u32 flags;
} __packed;

struct acpi_madt_ioapic {
	struct acpi_madt_entry e;
	u8 ioapic_id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} __packed;

struct acpi_madt_iso {
	struct acpi_madt_entry e;
	u8 bus;			/* 0: ISA */
	u8 source;		/* ISA IRQ */
	u32 gsi;
	u16 flags;		/* MPS INTI flags */
} __packed;

struct acpi_madt_nmi_source {
	struct acpi_madt_entry e;
	u16 flags;
	u32 gsi;
} __packed;

struct acpi_madt_lapic_nmi {
	struct acpi_madt_entry e;
	u8 acpi_processor_uid;	/* 0xff: all processors */
	u16 flags;
	u8 lint;		/* LINT0 or LINT1 */
} __packed;

struct acpi_madt_lapic_addr_override {
	struct acpi_madt_entry e;
	u16 reserved;
	u64 address;
} __packed;

struct acpi_madt_x2apic {
	struct acpi_madt_entry e;
	u16 reserved;
	u32 x2apic_id;
	u32 flags;
	u32 acpi_processor_uid;
} __packed;

struct acpi_madt_x2apic_nmi {
	struct acpi_madt_entry e;
	u16 flags;
	u32 acpi_processor_uid;	/* 0xffffffff: all processors */
	u8 lint;
	u8 reserved[3];
} __packed;

/* MCFG (PCI Firmware spec 3.x, 4.1.2): one entry per ECAM window */
struct acpi_mcfg {
	struct acpi_sdt_header hdr;
	u64 reserved;
	/* followed by struct acpi_mcfg_entry[] */
} __packed;

struct acpi_mcfg_entry {
	u64 base;		/* ECAM address of bus 0 of the segment, even if start_bus > 0 */
	u16 segment;
	u8 start_bus;
	u8 end_bus;
	u32 reserved;
} __packed;

/* HPET description table */
struct acpi_hpet {
	struct acpi_sdt_header hdr;
	u32 event_timer_block_id;	/* copy of the HPET's capabilities register bits 31:0 */
	struct acpi_gas address;	/* MMIO base */
	u8 hpet_number;
	u16 min_clock_tick;
	u8 page_protection;
} __packed;

/* SPCR, the Serial Port Console Redirection table (Microsoft's spec, revision 2 and later):
 * which UART the firmware's console uses. The interface types are DBG2's serial subtypes. */
#define ACPI_SIG_SPCR	"SPCR"
struct acpi_spcr {
	struct acpi_sdt_header hdr;
	u8 interface_type;		/* ACPI_DBG2_* (revision 1: 0 = 16550, 1 = 16450) */
	u8 reserved[3];
	struct acpi_gas base_address;	/* the UART's registers: I/O or memory */
	u8 interrupt_type;
	u8 irq;
	u32 gsi;
	u8 baud_rate;			/* ACPI_SPCR_BAUD_*; 0: as the firmware left it */
	u8 parity;
	u8 stop_bits;
	u8 flow_control;
	u8 terminal_type;
	u8 language;
	u16 pci_device_id;		/* 0xffff: not a PCI device */
	u16 pci_vendor_id;
	u8 pci_bus;
	u8 pci_device;
	u8 pci_function;
	u32 pci_flags;
	u8 pci_segment;
} __packed;

#define ACPI_SPCR_MIN_SIZE	80	/* revision 1 and 2: up to pci_segment and 4 reserved */
#define ACPI_DBG2_16550		0x00	/* fully 16550-compatible */
#define ACPI_DBG2_16450		0x01	/* 16550 subset (16450) */
#define ACPI_DBG2_16550_GAS	0x12	/* 16550-compatible, register layout from the GAS */

/* DBG2, the Debug Port Table 2 (Microsoft's spec): debug devices, each a Debug Device Information
 * structure whose offsets count from its own start. */
#define ACPI_SIG_DBG2	"DBG2"
struct acpi_dbg2 {
	struct acpi_sdt_header hdr;
	u32 info_offset;		/* first device information structure, from the table's start */
	u32 info_count;
} __packed;

struct acpi_dbg2_device {
	u8 revision;
	u16 length;
	u8 register_count;		/* generic address structures */
	u16 namepath_length;
	u16 namepath_offset;
	u16 oem_data_length;
	u16 oem_data_offset;
	u16 port_type;			/* ACPI_DBG2_PORT_SERIAL, ... */
	u16 port_subtype;		/* for serial ports: ACPI_DBG2_16550, ... */
	u16 reserved;
	u16 base_address_offset;	/* the first generic address structure */
	u16 address_size_offset;
} __packed;

#define ACPI_DBG2_PORT_SERIAL	0x8000

_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_V2_SIZE, "RSDP layout");
_Static_assert(sizeof(struct acpi_sdt_header) == ACPI_SDT_HEADER_SIZE, "SDT header layout");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");
_Static_assert(__builtin_offsetof(struct acpi_fadt, flags) == 112, "FADT layout");
_Static_assert(__builtin_offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT layout");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC layout");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC layout");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO layout");
_Static_assert(sizeof(struct acpi_madt_nmi_source) == 8, "MADT NMI layout");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI layout");
_Static_assert(sizeof(struct acpi_madt_lapic_addr_override) == 12, "MADT override layout");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC layout");
_Static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT x2APIC NMI layout");
_Static_assert(sizeof(struct acpi_mcfg_entry) == 16, "MCFG entry layout");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET layout");

#endif
