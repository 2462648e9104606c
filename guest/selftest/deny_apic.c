/* The local APIC may not move onto a range uhv keeps for itself (issue 14, item 8b): the APIC
 * page shadows whatever is at its address, so over the ECAM window uhv emulates (or a VT-d
 * register page, or uhv's memory) it would cut uhv's view of that range. WRMSR IA32_APIC_BASE
 * with such a base must give #GP. Needs an MCFG (q35: the nested tier); skipped elsewhere. */
#include "selftest.h"
#include "acpi.h"

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_ADDR_MASK	0xfffff000ULL

u64 mcfg_ecam_base(void)
{
	struct acpi_root r;
	char err[120];

	if (acpi_root_find(&r, err, sizeof(err)) < 0)
		return 0;
	const struct acpi_sdt_header *h = acpi_table_find(&r, "MCFG");
	if (!h || h->length < sizeof(struct acpi_mcfg) + sizeof(struct acpi_mcfg_entry))
		return 0;
	const struct acpi_mcfg_entry *e = (const void *)((const u8 *)h + sizeof(struct acpi_mcfg));
	return e->base;
}

void check_deny_apic(void)
{
	u64 ecam = mcfg_ecam_base(), old = 0, now = 0;

	if (!under_uhv || !ecam || ecam >> 32) {
		test_skip("apic-base-over-ecam", !under_uhv ? NOT_UHV : "no ECAM below 4 GiB (MCFG)");
		return;
	}
	if (try_rdmsr(MSR_APIC_BASE, &old) >= 0) {
		test_fail("apic-base-over-ecam", "RDMSR IA32_APIC_BASE faulted");
		return;
	}
	int vec = try_wrmsr(MSR_APIC_BASE, (old & ~APIC_BASE_ADDR_MASK) | ecam);
	try_rdmsr(MSR_APIC_BASE, &now);
	if (vec < 0)
		try_wrmsr(MSR_APIC_BASE, old);	/* it moved: put it back before anything else */
	test_check("apic-base-over-ecam", vec == VEC_GP && now == old,
		   "moving the APIC onto the ECAM window at 0x%llx gave %s (APIC base now 0x%llx)",
		   ecam, vector_name(vec), now);
}
