/* The architectural checks on a MOV to CR0/CR3/CR4 and a WRMSR to IA32_EFER that uhv carries out
 * on the guest's behalf (shadow paging owns PE/PG/WP and the paging bits of CR4; with EPT the
 * bits VMX fixes and the CR4 bits uhv does not offer; EFER is always emulated). The processor
 * makes these checks itself for a write it performs; an emulated write must make the same ones
 * or the guest reaches a state bare metal refuses (e.g. paging off in 64-bit mode).
 *
 * Pure (vmx/cr_checks.c): the rules of the Intel SDM, one per enum value, so a unit test covers
 * each (test/unit/test_cr_checks.c). Sources: Vol. 2B "MOV—Move to/from Control Registers"
 * (exceptions), Vol. 3A 2.5 (control registers), 2.2.1 and 9.8.5 (IA-32e mode activation),
 * 4.1.1 and 4.10.1 (paging-mode changes, PCIDE), and WRMSR on IA32_EFER (Vol. 4 table 2-2). */
#ifndef UHV_CR_CHECKS_H
#define UHV_CR_CHECKS_H

#include <uhv/types.h>

/* The guest's state before the write, as the guest sees it. */
struct cr_state {
	u64 cr0, cr3, cr4, efer;
	bool cs_l;		/* CS.L: 64-bit code (with EFER.LMA: 64-bit mode) */
};

/* What the guest's processor supports. */
struct cr_caps {
	u64 cr4_ok;		/* CR4 bits the guest may set (FIXED1 less what uhv does not offer) */
	u64 efer_ok;		/* EFER bits the guest may set (LMA included: writes of it are ignored) */
	unsigned maxphyaddr;
};

/* Why a write raises #GP(0); CR_OK: it does not. */
enum cr_rule {
	CR_OK = 0,
	CR0_RESERVED_HIGH,	/* CR0[63:32] != 0 */
	CR0_PG_WITHOUT_PE,	/* PG=1 with PE=0 */
	CR0_NW_WITHOUT_CD,	/* NW=1 with CD=0 */
	CR0_PG_LME_NO_PAE,	/* setting PG with EFER.LME=1 and CR4.PAE=0 */
	CR0_PG_LME_CS_L,	/* setting PG with EFER.LME=1 and CS.L=1 */
	CR0_CLEAR_PG_64BIT,	/* clearing PG in 64-bit mode */
	CR0_CLEAR_PG_PCIDE,	/* clearing PG with CR4.PCIDE=1 */
	CR0_CLEAR_WP_CET,	/* clearing WP with CR4.CET=1 */
	CR3_RESERVED,		/* CR3 bits above MAXPHYADDR in IA-32e mode */
	CR4_RESERVED,		/* a CR4 bit the processor does not offer */
	CR4_CLEAR_PAE_LONG,	/* clearing PAE in IA-32e mode */
	CR4_PCIDE_NOT_LONG,	/* setting PCIDE outside IA-32e mode */
	CR4_PCIDE_CR3_PCID,	/* setting PCIDE with CR3[11:0] != 0 */
	CR4_LA57_LONG,		/* changing LA57 in IA-32e mode */
	CR4_CET_WITHOUT_WP,	/* setting CET with CR0.WP=0 */
	EFER_RESERVED,		/* an EFER bit the processor does not offer */
	EFER_LME_PAGING,	/* changing LME with CR0.PG=1 */
	CR_NR_RULES
};

#define CR4_CET		BIT(23)
#define CR4_UINTR	BIT(25)

/* The rule's name as the log and the tests print it ("cr0-clear-pg-pcide"). */
const char *cr_rule_name(enum cr_rule r);

/* MOV to CR0 (also CLTS, LMSW) of val: CR_OK or the rule it breaks. The caller truncates val to
 * 32 bits outside IA-32e mode (the instruction takes a 32-bit operand there). */
enum cr_rule cr0_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val);
/* MOV to CR4 of val. The PDPTE loads of PAE paging are the caller's (they read memory). */
enum cr_rule cr4_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val);
/* MOV to CR3 of val. */
enum cr_rule cr3_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val);
/* WRMSR IA32_EFER of val. */
enum cr_rule efer_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val);

/* A whole state (the loader's for the boot CPU): one the guest could reach with the writes
 * above, each allowed (EFER.LMA taken as given). */
enum cr_rule cr_state_check(const struct cr_state *s, const struct cr_caps *c);

/* What the register holds after an accepted write. CR0: reserved bits 31:0 are ignored and ET
 * reads 1 (SDM 2.5). EFER: LMA is the processor's (a write of it is ignored); the caller sets
 * it on a CR0.PG change (cr0_lma_after). */
u64 cr0_written(u64 val);
u64 efer_written(const struct cr_state *s, u64 val);
/* EFER.LMA after an accepted CR0 write (SDM 9.8.5: PG set with LME activates IA-32e mode,
 * PG cleared deactivates it). */
bool cr0_lma_after(const struct cr_state *s, u64 new_cr0);

#endif
