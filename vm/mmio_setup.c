/* The vm's guest-physical policy at boot (see <uhv/mmio_policy.h>): the platform facts from
 * the ACPI tables and IA32_APIC_BASE, the ranges uhv keeps for itself (its memory, the VT-d
 * register pages of the DMAR), and the question other policies ask: is this range uhv's? */
#define LOG_MODULE "vm"
#include <uhv/vm.h>
#include <uhv/mmio_policy.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/vmx_exit.h>
#include <uhv/acpi.h>
#include <uhv/dmar.h>
#include <uhv/mb2.h>
#include <uhv/kmem.h>
#include <uhv/lapic.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/unaligned.h>
#include <uhv/string.h>
#include <uhv/smbios.h>

#define MAX_DRHD		16
#define MP_DEFAULT_IOAPIC	0xfec00000ULL	/* MP spec default, for firmware without a MADT */

struct drhd_list {
	struct ept_hole h[MAX_DRHD];
	size_t n;
};

static int add_drhd(void *ctx, const struct dmar_drhd *d)
{
	struct drhd_list *l = ctx;

	if (l->n == MAX_DRHD) {
		pr_err("more than %d VT-d units in the DMAR table\n", MAX_DRHD);
		return -ENOSPC;
	}
	l->h[l->n++] = (struct ept_hole){ .hpa = d->base, .size = PAGE_SIZE << d->size };
	return 0;
}

static int vtd_register_pages(const void *dmar, size_t len, struct drhd_list *l)
{
	struct dmar_table t;
	struct dmar_visitor vis = { .drhd = add_drhd, .ctx = l };

	l->n = 0;
	if (!dmar)
		return 0;
	if (dmar_parse(dmar, len, &t) < 0) {
		pr_err("the DMAR table is malformed: cannot tell where the VT-d registers are, "
		       "so the guest cannot be kept away from them\n");
		return -EINVAL;
	}
	return dmar_walk(&t, &vis);
}

#define FADT_FIRMWARE_CTRL	36	/* FADT: 32-bit FACS address */
#define FADT_X_FIRMWARE_CTRL	132	/* ACPI 2.0+: 64-bit FACS address, if the table is this long */
#define FACS_MIN_LEN		64

/* Where the firmware's ACPI tables are, the FACS (no standard header, named by the FADT)
 * included: the guest reads them where the firmware put them. */
static void acpi_tables(const struct acpi *acpi, struct mmio_platform *plat)
{
	for (unsigned i = 0; acpi && i < acpi->count && plat->ntables < MMIO_MAX_FW_TABLES; i++)
		plat->table[plat->ntables++] = (struct mmio_fw_table){
			acpi->tables[i].pa, acpi->tables[i].hdr->length, MMIO_RULE_ACPI_TABLES };

	const struct acpi_sdt_header *f = acpi ? acpi_find_table(acpi, "FACP", 0) : NULL;
	u64 facs = 0;

	if (f && f->length >= FADT_X_FIRMWARE_CTRL + 8)
		facs = get_le((const u8 *)f + FADT_X_FIRMWARE_CTRL, 8);
	if (f && !facs && f->length >= FADT_FIRMWARE_CTRL + 4)
		facs = get_le((const u8 *)f + FADT_FIRMWARE_CTRL, 4);
	if (facs && plat->ntables < MMIO_MAX_FW_TABLES)
		plat->table[plat->ntables++] = (struct mmio_fw_table){ facs, FACS_MIN_LEN,
									MMIO_RULE_ACPI_TABLES };
}

/* The SMBIOS entry point and structure table where kmain found them (<uhv/smbios.h>): in the F
 * segment (BIOS), which the ROM rule covers, or wherever the EFI configuration table says (UEFI
 * firmware keeps both in reserved memory, which is otherwise unassigned for the guest). */
static void smbios_table(const struct smbios_ep *ep, struct mmio_platform *plat)
{
	if (ep && ep->table_len && plat->ntables < MMIO_MAX_FW_TABLES)
		plat->table[plat->ntables++] = (struct mmio_fw_table){ ep->table_pa, ep->table_len,
									MMIO_RULE_SMBIOS };
	if (ep && plat->ntables < MMIO_MAX_FW_TABLES)
		plat->table[plat->ntables++] = (struct mmio_fw_table){ ep->ep_pa, ep->ep_len,
									MMIO_RULE_SMBIOS };
}

/* LAPIC from IA32_APIC_BASE (where the CPU decodes it), IOAPICs from the MADT, HPET from its
 * table. */
static void platform_facts(const struct acpi *acpi, const struct smbios_ep *smbios,
			   struct mmio_platform *plat)
{
	static struct acpi_madt_info madt;	/* build scratch, too large for the stack */
	const struct acpi_sdt_header *t = acpi ? acpi_find_table(acpi, "APIC", 0) : NULL;
	struct acpi_hpet_info hpet;
	u64 apic = rdmsr(MSR_IA32_APIC_BASE);

	*plat = (struct mmio_platform){ 0 };
	if (apic & APIC_BASE_EN)
		plat->lapic = apic & ~0xfffULL & (BIT(vmx.phys_bits) - 1);
	if (t && acpi_madt_parse(t, &madt) >= 0) {
		if (!plat->lapic)
			plat->lapic = madt.lapic_address;
		for (unsigned i = 0; i < madt.nioapics && i < MMIO_MAX_IOAPICS; i++)
			plat->ioapic[plat->nioapic++] = madt.ioapics[i].address;
	} else {
		plat->ioapic[plat->nioapic++] = MP_DEFAULT_IOAPIC;
	}
	t = acpi ? acpi_find_table(acpi, "HPET", 0) : NULL;
	if (t && acpi_hpet_parse(t, &hpet) >= 0)
		plat->hpet = hpet.address;
	acpi_tables(acpi, plat);
	smbios_table(smbios, plat);
}

static void print_policy(const struct mmio_policy *p)
{
	u64 bytes = 0;

	for (unsigned i = 0; i < p->n; i++)
		bytes += p->r[i].size;
	pr_info("MMIO policy: %u ranges (%llu KiB) the guest reaches besides its RAM; the rest "
		"is unassigned (reads all-ones, writes dropped):\n", p->n, bytes >> 10);
	for (unsigned i = 0; i < p->n; i++)
		pr_info("  [%#014llx-%#014llx) %s\n", p->r[i].gpa, p->r[i].gpa + p->r[i].size,
			mmio_rule_name(p->r[i].rule));
}

int vm_mmio_setup(struct vm *vm, const struct acpi *acpi, const struct acpi_sdt_header *dmar,
		  const struct smbios_ep *smbios)
{
	static struct mmio_platform plat;	/* build scratch, used once before any vCPU runs */
	struct vm_mmio *m = &vm->mmio;
	struct drhd_list drhd;
	int ret;

	platform_facts(acpi, smbios, &plat);
	if (vm->guest.screen_given && vm->guest.screen->type == MB2_FB_RGB) {
		plat.fb = vm->guest.screen->addr;
		plat.fb_size = (u64)vm->guest.screen->pitch * vm->guest.screen->height;
	}
	ret = mmio_policy_build(&m->policy, &plat, kmem_memmap());
	if (ret < 0) {
		pr_err("the MMIO policy table is full (%d ranges): not starting the guest\n",
		       MMIO_POLICY_MAX);
		return ret;
	}
	ret = vtd_register_pages(dmar, dmar ? dmar->length : 0, &drhd);
	if (ret < 0)
		return ret;
	ret = guest_mem_holes(kmem_memmap(), drhd.h, drhd.n, m->uhv, VM_MMIO_MAX_HOLES);
	if (ret < 0) {
		pr_err("too many ranges to hide from the guest\n");
		return ret;
	}
	m->nuhv = (unsigned)ret;
	print_policy(&m->policy);
	return 0;
}

bool vm_gpa_is_uhvs(const struct vm *vm, u64 gpa, u64 size)
{
	return kmem_is_hypervisor(gpa, size) ||
	       mmio_hits_uhv(vm->mmio.uhv, vm->mmio.nuhv, &vm->traps, gpa, size);
}
