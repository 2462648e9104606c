/* The selftest guest: checks what a guest sees under uhv (and, where it makes
 * sense, natively under GRUB). One function per group of checks. */
#ifndef SELFTEST_H
#define SELFTEST_H

#include "rt.h"

#define NOT_UHV "not under uhv"

void check_paging(void);
void check_memwalk(void);
void check_hostile(void);
void check_deny_msr(void);
void check_deny_io(void);
void check_deny_apic(void);	/* deny_apic.c */
u64 mcfg_ecam_base(void);	/* deny_apic.c: the first ECAM window of the MCFG, or 0 */
void attack_ecam_walk(void);	/* deny_walk.c: attack=ecam-walk */
void attack_fast_reset(void);	/* deny_reset.c: attack=fast-reset */
void attack_park(void);		/* park.c: attack=park */
/* production.c: the word prodcheck on the command line: only check_production() runs */
bool prodcheck_requested(void);
void check_production(void);
void check_deny_mmio(void);	/* deny_mmio.c */
/* x2apic.c: the APIC mode the guest finds; the ID and version registers in either mode */
void check_x2apic(void);
bool x2apic_mode(void);
u32 lapic_id(void);
u32 lapic_version(void);
void check_cr_rules(void);	/* cr_rules.c: paging off on entry */
void check_inject(void);
void check_ioapic(void);	/* ioapic.c: refused IOAPIC entries read back masked */
void check_shadow_invlpg(void);	/* shadow_invlpg.c: INVLPG of a split 2 MiB page (issue 18) */	/* inject.c: injected faults, single steps, NMIs as natively */

/* paging.c: identity paging (4 MiB pages) plus a 4 KiB window at
 * PAGING_WINDOW onto the page holding physical address pa (< 4 GiB);
 * returns the virtual address of pa itself. */
#define PAGING_WINDOW	0xc0000000u
u32 paging_on_with_window(u32 pa);
/* ...or with the window's page table at pt_pa (its first entry maps PAGING_WINDOW): an access
 * there makes the CPU's page walk read pt_pa. Returns PAGING_WINDOW. */
u32 paging_on_with_table_at(u32 pt_pa);
void paging_off(void);

#endif
