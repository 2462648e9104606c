/* The guest-physical space policy (docs/security.md, "Guest-physical space (MMIO)"): which
 * ranges besides its RAM the guest reaches natively, each for a named reason. Everything no
 * rule names is unassigned: an access exits to uhv, which gives what bare metal gives for
 * unassigned space (reads all-ones, writes dropped), counts it and reports each unassigned range
 * once. EPT mode maps exactly RAM + these ranges (vm/mem_layout.c); shadow mode lets the guest
 * map exactly these (vmx/shadow_mode.c). The passed-through NIC's BARs are added at run time by
 * passthrough (map_mmio); uhv's memory, the VT-d register pages and the trapped ranges (ECAM)
 * stay out in either mode.
 *
 * Pure (vm/mmio_policy.c, host-tested by test/unit/test_mmio_policy.c); the runtime half is
 * vm/mmio_setup.c (from ACPI and IA32_APIC_BASE) and vmx/mmio_emul.c (the emulation). */
#ifndef UHV_MMIO_POLICY_H
#define UHV_MMIO_POLICY_H

#include <uhv/types.h>
#include <uhv/memmap.h>
#include <uhv/ept.h>

struct guest;
struct vm_traps;

/* The rules: where each gets its addresses is in vm/mmio_policy.c's table. */
enum mmio_rule {
	MMIO_RULE_LAPIC,	/* the local APIC page */
	MMIO_RULE_IOAPIC,	/* each IOAPIC of the MADT */
	MMIO_RULE_HPET,		/* the HPET of the ACPI HPET table */
	MMIO_RULE_VGA,		/* 0xA0000-0xBFFFF */
	MMIO_RULE_ROM,		/* 0xC0000-0xFFFFF */
	MMIO_RULE_ACPI,		/* memory map ACPI (reclaimable) ranges */
	MMIO_RULE_NVS,		/* memory map ACPI NVS ranges */
	MMIO_RULE_ACPI_TABLES,	/* ACPI tables outside those ranges (SeaBIOS: reserved memory) */
	MMIO_RULE_SMBIOS,	/* the SMBIOS structure table, where no range above holds it */
	MMIO_RULE_LOW_RESERVED,	/* memory map reserved ranges below 1 MiB (EBDA) */
	MMIO_RULE_FRAMEBUFFER,	/* the boot framebuffer, when the guest was told about it */
	MMIO_RULE_COUNT
};

/* What firmware and the CPU say about the platform devices (0: absent). */
#define MMIO_MAX_IOAPICS	16
#define MMIO_MAX_FW_TABLES	72	/* ACPI_MAX_TABLES, the FACS and SMBIOS, with room */
struct mmio_fw_table {
	u64 pa, len;
	u8 rule;		/* MMIO_RULE_ACPI_TABLES or MMIO_RULE_SMBIOS */
};
struct mmio_platform {
	u64 lapic;
	u64 ioapic[MMIO_MAX_IOAPICS];
	unsigned nioapic;
	u64 hpet;
	struct mmio_fw_table table[MMIO_MAX_FW_TABLES];	/* firmware tables the guest reads */
	unsigned ntables;
	u64 fb, fb_size;	/* the framebuffer given to the guest (guest.screen_given) */
};

/* One range the guest may reach natively, identity-mapped, page-aligned. */
struct mmio_range {
	u64 gpa, size;
	u8 rule;		/* enum mmio_rule */
};

#define MMIO_POLICY_MAX	64	/* ranges; more is a refusal to start, not a silent drop */
struct mmio_policy {
	struct mmio_range r[MMIO_POLICY_MAX];
	unsigned n;
};

/* The rule's short name and its reason, for the boot log and the docs. */
const char *mmio_rule_name(unsigned rule);
const char *mmio_rule_reason(unsigned rule);

/* Fill p from the platform and the memory map (uhv's own ranges in the map are never named:
 * they are not ACPI/NVS/reserved). Ranges come in rule order; they may overlap one another
 * (e.g. the EBDA and the ROM window), never guest RAM by construction of the map. Returns 0, or
 * -ENOSPC when the table is full (the caller refuses to start the guest) or -EINVAL for a
 * platform address that is not page-aligned-able (0 size). */
int mmio_policy_build(struct mmio_policy *p, const struct mmio_platform *plat,
		      const struct memmap *map);

/* The rule range that holds [gpa, gpa+size) entirely, or NULL. */
const struct mmio_range *mmio_policy_find(const struct mmio_policy *p, u64 gpa, u64 size);

/* The unassigned range around gpa: the largest [*lo, *hi) holding gpa that no rule range and
 * no RAM, ACPI or NVS region of g covers (the unit uhv reports once). gpa must be unassigned. */
void mmio_policy_gap(const struct mmio_policy *p, const struct guest *g, u64 gpa, u64 *lo,
		     u64 *hi);

/* Does [gpa, gpa+size) overlap anything uhv keeps for itself: holes[] (uhv's image and pool,
 * the VT-d register pages) or a trapped MMIO range (the ECAM windows among them)? */
bool mmio_hits_uhv(const struct ept_hole *holes, size_t nholes, const struct vm_traps *traps,
		   u64 gpa, u64 size);

/* ---- runtime (vm/mmio_setup.c) ---- */

#define VM_MMIO_MAX_HOLES	32	/* uhv's memory ranges and up to 16 VT-d register pages */
#define VM_MMIO_REPORTED	16	/* unassigned ranges reported by name; later ones counted */

/* The vm's guest-physical policy: built by vm_mmio_setup before the MMU, read-only after but
 * for the report-once list (under the vm's emul_lock). */
struct vm_mmio {
	struct mmio_policy policy;
	struct ept_hole uhv[VM_MMIO_MAX_HOLES];	/* never the guest's: uhv, VT-d registers */
	unsigned nuhv;
	u64 reported[VM_MMIO_REPORTED];		/* starts of the unassigned ranges reported */
	unsigned nreported;
	bool reported_full;			/* said once that no more are named */
};

struct vm;
struct acpi;
struct acpi_sdt_header;
struct smbios_ep;

/* Build vm->mmio from the ACPI tables (MADT, HPET), IA32_APIC_BASE, uhv's memory map and the
 * DMAR (VT-d register pages). Fails closed: a full table or a malformed DMAR is an error with a
 * message naming it. The SMBIOS entry point and table (smbios, may be NULL) are the guest's to
 * read wherever the firmware put them. */
int vm_mmio_setup(struct vm *vm, const struct acpi *acpi, const struct acpi_sdt_header *dmar,
		  const struct smbios_ep *smbios);

/* True when [gpa, gpa+size) overlaps anything uhv maps for itself or keeps out of the guest:
 * uhv's memory, the VT-d register pages, the ECAM windows and other trapped MMIO ranges. For
 * checks such as a guest moving its APIC base (the WRMSR handler refuses such a move). */
bool vm_gpa_is_uhvs(const struct vm *vm, u64 gpa, u64 size);

#endif
