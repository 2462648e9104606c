/* The guest-physical space policy as one table (see <uhv/mmio_policy.h>). Pure: works on the
 * platform facts, the memory map and the guest structure. */
#include <uhv/mmio_policy.h>
#include <uhv/guest.h>
#include <uhv/vmx_trap.h>
#include <uhv/errno.h>

/* Where a rule's ranges come from. */
enum mmio_source {
	SRC_LAPIC,		/* struct mmio_platform.lapic, one page */
	SRC_EMULATED,		/* .ioapic[]: the guest reaches them through uhv's trap, so
				 * they are no native range (vdev/vioapic_hw.c traps them) */
	SRC_HPET,		/* .hpet, one page */
	SRC_FIXED,		/* [base, base+size) on every PC */
	SRC_MEMMAP,		/* memory map ranges of type mtype below limit */
	SRC_TABLES,		/* .table[] of this rule, where no earlier rule covers them */
	SRC_FB,			/* .fb, .fb_size */
};

struct mmio_rule_def {
	const char *name;
	u8 source;
	u32 mtype;		/* SRC_MEMMAP */
	u64 base, size;		/* SRC_FIXED; SRC_MEMMAP: size is the limit (0: none) */
	const char *reason;
};

/* THE table. Anything not named here (chipset registers such as MCHBAR, DMIBAR, RCBA, SPI
 * flash, P2SB, TXT public space; hidden devices' BARs; firmware-reserved ranges above 1 MiB)
 * is unassigned for the guest. */
static const struct mmio_rule_def rules[MMIO_RULE_COUNT] = {
	[MMIO_RULE_LAPIC] = { "local APIC", SRC_LAPIC, 0, 0, 0,
		"the CPU's own interrupt controller (timer, IPIs, EOI); without APIC "
		"virtualization it is reached at its physical address (IA32_APIC_BASE)" },
	[MMIO_RULE_IOAPIC] = { "IOAPIC (emulated)", SRC_EMULATED, 0, 0, 0,
		"routes the platform's interrupts to the guest's CPUs (MADT); trapped, not mapped: "
		"uhv checks and translates every redirection entry (vdev/vioapic.c)" },
	[MMIO_RULE_HPET] = { "HPET", SRC_HPET, 0, 0, 0,
		"the platform timer a kernel calibrates and keeps time with (ACPI HPET table)" },
	[MMIO_RULE_VGA] = { "legacy VGA window", SRC_FIXED, 0, 0xa0000, 0x20000,
		"the VGA frame buffer boot code and the console write to" },
	[MMIO_RULE_ROM] = { "BIOS and option ROMs", SRC_FIXED, 0, 0xc0000, 0x40000,
		"an OS scans it for the MP, SMBIOS and RSDP structures and video BIOS" },
	[MMIO_RULE_ACPI] = { "ACPI tables", SRC_MEMMAP, MEMMAP_ACPI, 0, 0,
		"the firmware's ACPI tables the guest parses" },
	[MMIO_RULE_NVS] = { "ACPI NVS", SRC_MEMMAP, MEMMAP_NVS, 0, 0,
		"firmware memory the guest's AML (operation regions) uses" },
	[MMIO_RULE_ACPI_TABLES] = { "ACPI tables in reserved memory", SRC_TABLES, 0, 0, 0,
		"the firmware's ACPI tables (and FACS) the guest parses, where the memory map does "
		"not call them ACPI (SeaBIOS on q35 keeps them in reserved memory)" },
	[MMIO_RULE_SMBIOS] = { "SMBIOS table", SRC_TABLES, 0, 0, 0,
		"the machine's identity an OS reads (DMI quirks, dmidecode); SeaBIOS keeps the "
		"table in reserved memory above 1 MiB" },
	[MMIO_RULE_LOW_RESERVED] = { "reserved below 1 MiB", SRC_MEMMAP, MEMMAP_RESERVED, 0,
		MiB(1), "real-mode firmware data (EBDA, BIOS data) an OS reads at boot" },
	[MMIO_RULE_FRAMEBUFFER] = { "boot framebuffer", SRC_FB, 0, 0, 0,
		"the guest's display: the GOP/VBE framebuffer uhv's boot log was on, handed to the "
		"guest in its boot information (Linux screen_info) once uhv stopped drawing" },
};

const char *mmio_rule_name(unsigned rule)
{
	return rule < MMIO_RULE_COUNT ? rules[rule].name : "?";
}

const char *mmio_rule_reason(unsigned rule)
{
	return rule < MMIO_RULE_COUNT ? rules[rule].reason : "?";
}

static int add(struct mmio_policy *p, u64 base, u64 end, unsigned rule)
{
	u64 b = ALIGN_DOWN(base, PAGE_SIZE), e = ALIGN_UP(end, PAGE_SIZE);

	if (e <= b)
		return 0;
	if (p->n == MMIO_POLICY_MAX)
		return -ENOSPC;
	p->r[p->n++] = (struct mmio_range){ .gpa = b, .size = e - b, .rule = (u8)rule };
	return 0;
}

/* A table's pages, unless a range holds them already; merged with the range before when they
 * touch (tables sit next to each other), so a few ranges cover them all. */
static int add_table(struct mmio_policy *p, const struct mmio_fw_table *t, unsigned rule)
{
	u64 b = ALIGN_DOWN(t->pa, PAGE_SIZE), e = ALIGN_UP(t->pa + t->len, PAGE_SIZE);
	struct mmio_range *last = p->n ? &p->r[p->n - 1] : NULL;

	if (!t->len || e <= b || mmio_policy_find(p, b, e - b))
		return 0;
	if (last && last->rule == rule && b <= last->gpa + last->size && last->gpa <= e) {
		u64 end = MAX(e, last->gpa + last->size);

		last->gpa = MIN(b, last->gpa);
		last->size = end - last->gpa;
		return 0;
	}
	return add(p, b, e, rule);
}

static int add_rule(struct mmio_policy *p, const struct mmio_platform *plat,
		    const struct memmap *map, unsigned rule)
{
	const struct mmio_rule_def *d = &rules[rule];
	int err = 0;

	switch (d->source) {
	case SRC_LAPIC:
		return plat->lapic ? add(p, plat->lapic, plat->lapic + 1, rule) : 0;
	case SRC_HPET:
		return plat->hpet ? add(p, plat->hpet, plat->hpet + 1, rule) : 0;
	case SRC_EMULATED:
		return 0;
	case SRC_FIXED:
		return add(p, d->base, d->base + d->size, rule);
	case SRC_FB:
		return plat->fb_size ? add(p, plat->fb, plat->fb + plat->fb_size, rule) : 0;
	case SRC_TABLES:
		for (unsigned i = 0; i < plat->ntables && i < MMIO_MAX_FW_TABLES && !err; i++)
			if (plat->table[i].rule == rule)
				err = add_table(p, &plat->table[i], rule);
		return err;
	default:
		for (size_t i = 0; i < map->n && !err; i++) {
			const struct memmap_range *r = &map->r[i];
			u64 end = d->size ? MIN(r->end, d->size) : r->end;

			if (r->type == d->mtype && r->base < end)
				err = add(p, r->base, end, rule);
		}
		return err;
	}
}

int mmio_policy_build(struct mmio_policy *p, const struct mmio_platform *plat,
		      const struct memmap *map)
{
	p->n = 0;
	for (unsigned rule = 0; rule < MMIO_RULE_COUNT; rule++) {
		int err = add_rule(p, plat, map, rule);

		if (err)
			return err;
	}
	return 0;
}

const struct mmio_range *mmio_policy_find(const struct mmio_policy *p, u64 gpa, u64 size)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct mmio_range *r = &p->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && size <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

/* Narrow [*lo, *hi) around gpa by the range [b, e). */
static void narrow(u64 b, u64 e, u64 gpa, u64 *lo, u64 *hi)
{
	if (e <= gpa && e > *lo)
		*lo = e;
	if (b > gpa && b < *hi)
		*hi = b;
}

void mmio_policy_gap(const struct mmio_policy *p, const struct guest *g, u64 gpa, u64 *lo,
		     u64 *hi)
{
	*lo = 0;
	*hi = ~0ULL;
	for (unsigned i = 0; i < p->n; i++)
		narrow(p->r[i].gpa, p->r[i].gpa + p->r[i].size, gpa, lo, hi);
	for (unsigned i = 0; i < g->nr_mem; i++)
		if (g->mem[i].type != GUEST_MEM_RESERVED)
			narrow(g->mem[i].gpa, g->mem[i].gpa + g->mem[i].size, gpa, lo, hi);
}

static bool overlaps(u64 a, u64 asize, u64 b, u64 bsize)
{
	return asize && bsize && a < b + bsize && b < a + asize;
}

bool mmio_hits_uhv(const struct ept_hole *holes, size_t nholes, const struct vm_traps *traps,
		   u64 gpa, u64 size)
{
	for (size_t i = 0; i < nholes; i++) {
		u64 hb = ALIGN_DOWN(holes[i].hpa, PAGE_SIZE);
		u64 he = ALIGN_UP(holes[i].hpa + holes[i].size, PAGE_SIZE);

		if (holes[i].size && overlaps(gpa, size, hb, he - hb))
			return true;
	}
	for (unsigned i = 0; traps && i < traps->nr_mmio; i++) {
		const struct vmx_mmio_trap *t = &traps->mmio[i];

		if (overlaps(gpa, size, t->first, t->last - t->first + 1))
			return true;
	}
	return false;
}
