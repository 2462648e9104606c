/* smptest (issue #10): the guest's view of the other CPUs. It reads the MADT it
 * is given, tries to start CPUs that are not listed there (which must never
 * run: uhv keeps them parked), then starts the listed ones with INIT-SIPI-SIPI
 * and, with ipi=1, sends each a fixed IPI. docs/guests.md has the checks. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "rt.h"

/* Layout of a trampoline page (tramp.asm has the same numbers). The code
 * starts at offset 0; the mailbox is in the same page. */
#define TRAMP_COUNT	0x800	/* u32: CPUs that entered this page's trampoline */
#define TRAMP_SLOTS	0x840	/* u32[TRAMP_NR_SLOTS]: HOSTILE_MARK | SLOT_HV | APIC ID */
#define SLOT_HV		0x8000	/* CPUID.1:ECX[31] was set where the trampoline ran */
#define TRAMP_NR_SLOTS	64
#define HOSTILE_MARK	0x5a5a0000u
#define AP_MAX		16	/* APs the guest starts at most (stacks in tramp.asm) */

#define MADT_MAX_CPUS	64

/* The CPUs of the MADT the guest was given. */
struct madt_cpus {
	u32 rsdp;		/* where the RSDP was found */
	const char *rsdp_from;	/* "multiboot2 tag 15", "EBDA", ... */
	u32 root, madt;		/* RSDT/XSDT and MADT addresses */
	bool xsdt;
	u32 lapic_addr;		/* from the MADT */
	unsigned nr;		/* enabled CPUs */
	u32 id[MADT_MAX_CPUS];
	unsigned nr_capable;	/* listed "online capable" but disabled */
	u32 capable[MADT_MAX_CPUS];
};

/* Find the RSDP (multiboot2 tags first, then the EBDA and 0xe0000-0xfffff),
 * then RSDT/XSDT -> MADT. Returns 0, or -1 with why in err. */
int madt_read(struct madt_cpus *m, char *err, size_t errlen);

/* tramp.asm */
extern const u8 hostile_tramp[], hostile_tramp_end[];
extern const u8 ap_tramp[], ap_tramp_end[];
extern const u32 ap_exc_table[32];
extern void ap_ipi_stub(void), ap_spurious_stub(void);
extern volatile u32 ap_ticket;

/* Physical address as a pointer (the guest runs with paging off). The asm
 * hides the constant from GCC, which warns about small constant addresses. */
static inline void *phys(u32 pa)
{
	void *p;

	asm("" : "=r"(p) : "0"(pa));
	return p;
}

#endif
