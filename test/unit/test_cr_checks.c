// UNIT-SOURCES: vmx/cr_checks.c
/* The SDM's #GP rules for the CR0/CR3/CR4/EFER writes uhv emulates, one test per rule: each
 * shows the write the rule refuses and the nearest write it lets through, so a rule that is
 * missing or too wide fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/cr_checks.h>
#include <uhv/cpu.h>

/* a Skylake-like processor: CR4 up to PKE plus CET, no VMXE/SMXE; EFER with NX */
static const struct cr_caps caps = {
	.cr4_ok = (0x3727ff & ~(u64)(CR4_VMXE | CR4_SMXE)) | CR4_CET | CR4_LA57,
	.efer_ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
	.maxphyaddr = 39,
};

#define PE_ON		(CR0_PE | CR0_ET | CR0_NE)
#define PAGED		(PE_ON | CR0_PG | CR0_WP)
#define LONG_EFER	(EFER_LME | EFER_LMA | EFER_NXE)

/* 64-bit mode: paging on, PAE, IA-32e mode, CS.L=1 */
static const struct cr_state long64 = {
	.cr0 = PAGED, .cr4 = CR4_PAE, .efer = LONG_EFER, .cr3 = 0x1000, .cs_l = true,
};
/* compatibility mode: the same with a 32-bit CS */
static const struct cr_state compat = {
	.cr0 = PAGED, .cr4 = CR4_PAE, .efer = LONG_EFER, .cr3 = 0x1000,
};
/* protected mode, paging off, LME set (on the way into IA-32e mode) */
static const struct cr_state lme_off = { .cr0 = PE_ON, .cr4 = CR4_PAE, .efer = EFER_LME };
/* 32-bit paging */
static const struct cr_state prot32 = { .cr0 = PAGED, .cr3 = 0x2000 };

static struct cr_state with(struct cr_state s, u64 cr4_or, bool cs_l)
{
	s.cr4 |= cr4_or;
	s.cs_l = cs_l;
	return s;
}

static void test_cr0_reserved_high(void **state)
{
	assert_int_equal(cr0_write_check(&long64, &caps, PAGED | BIT(32)), CR0_RESERVED_HIGH);
	assert_int_equal(cr0_write_check(&long64, &caps, PAGED | BIT(63)), CR0_RESERVED_HIGH);
	assert_int_equal(cr0_write_check(&long64, &caps, PAGED), CR_OK);
	/* bits 31:0 the architecture leaves reserved are ignored, not refused; ET reads 1 */
	assert_int_equal(cr0_write_check(&prot32, &caps, PAGED | BIT(6)), CR_OK);
	assert_int_equal(cr0_written(PAGED | BIT(6) | BIT(17)), PAGED);
	assert_int_equal(cr0_written(CR0_PE), CR0_PE | CR0_ET);
}

static void test_cr0_pg_without_pe(void **state)
{
	struct cr_state real = { .cr0 = CR0_ET };

	assert_int_equal(cr0_write_check(&real, &caps, CR0_ET | CR0_PG), CR0_PG_WITHOUT_PE);
	assert_int_equal(cr0_write_check(&prot32, &caps, PAGED & ~(u64)CR0_PE), CR0_PG_WITHOUT_PE);
	assert_int_equal(cr0_write_check(&real, &caps, CR0_ET | CR0_PG | CR0_PE), CR_OK);
}

static void test_cr0_nw_without_cd(void **state)
{
	assert_int_equal(cr0_write_check(&prot32, &caps, PAGED | CR0_NW), CR0_NW_WITHOUT_CD);
	assert_int_equal(cr0_write_check(&prot32, &caps, PAGED | CR0_NW | CR0_CD), CR_OK);
	assert_int_equal(cr0_write_check(&prot32, &caps, PAGED | CR0_CD), CR_OK);
}

static void test_cr0_pg_lme_without_pae(void **state)
{
	struct cr_state s = lme_off;

	s.cr4 = 0;
	assert_int_equal(cr0_write_check(&s, &caps, PAGED), CR0_PG_LME_NO_PAE);
	assert_int_equal(cr0_write_check(&lme_off, &caps, PAGED), CR_OK);
	/* without LME, PG with PAE=0 is 32-bit paging */
	s.efer = 0;
	assert_int_equal(cr0_write_check(&s, &caps, PAGED), CR_OK);
}

static void test_cr0_pg_lme_cs_l(void **state)
{
	struct cr_state s = with(lme_off, 0, true);

	assert_int_equal(cr0_write_check(&s, &caps, PAGED), CR0_PG_LME_CS_L);
	assert_int_equal(cr0_write_check(&lme_off, &caps, PAGED), CR_OK);
	/* CS.L means nothing outside IA-32e mode unless paging is being turned on with LME */
	s.efer = 0;
	assert_int_equal(cr0_write_check(&s, &caps, PAGED), CR_OK);
}

static void test_cr0_clear_pg_64bit(void **state)
{
	assert_int_equal(cr0_write_check(&long64, &caps, PE_ON), CR0_CLEAR_PG_64BIT);
	/* from compatibility mode it leaves IA-32e mode */
	assert_int_equal(cr0_write_check(&compat, &caps, PE_ON), CR_OK);
	assert_false(cr0_lma_after(&compat, PE_ON));
	/* other CR0 bits may change in 64-bit mode */
	assert_int_equal(cr0_write_check(&long64, &caps, PAGED | CR0_TS), CR_OK);
}

static void test_cr0_clear_pg_pcide(void **state)
{
	struct cr_state s = with(compat, CR4_PCIDE, false);

	assert_int_equal(cr0_write_check(&s, &caps, PE_ON), CR0_CLEAR_PG_PCIDE);
	assert_int_equal(cr0_write_check(&compat, &caps, PE_ON), CR_OK);
	/* in 64-bit mode both rules apply */
	s.cs_l = true;
	assert_int_not_equal(cr0_write_check(&s, &caps, PE_ON), CR_OK);
	/* PCIDE does not stop other CR0 changes */
	assert_int_equal(cr0_write_check(&s, &caps, PAGED | CR0_TS), CR_OK);
}

static void test_cr0_clear_wp_cet(void **state)
{
	struct cr_state s = with(long64, CR4_CET, true);

	assert_int_equal(cr0_write_check(&s, &caps, PAGED & ~(u64)CR0_WP), CR0_CLEAR_WP_CET);
	assert_int_equal(cr0_write_check(&long64, &caps, PAGED & ~(u64)CR0_WP), CR_OK);
}

static void test_cr3_reserved(void **state)
{
	struct cr_state s = with(long64, CR4_PCIDE, true);

	assert_int_equal(cr3_write_check(&long64, &caps, BIT(39) | 0x1000), CR3_RESERVED);
	assert_int_equal(cr3_write_check(&long64, &caps, (BIT(39) - 1) & ~0xfffULL), CR_OK);
	/* bit 63 with PCIDE: "do not invalidate", not stored */
	assert_int_equal(cr3_write_check(&long64, &caps, BIT(63) | 0x1000), CR3_RESERVED);
	assert_int_equal(cr3_write_check(&s, &caps, BIT(63) | 0x1001), CR_OK);
	assert_int_equal(cr3_write_check(&s, &caps, BIT(62) | 0x1001), CR3_RESERVED);
	/* outside IA-32e mode the operand is 32 bits */
	assert_int_equal(cr3_write_check(&prot32, &caps, 0xfffff000), CR_OK);
}

static void test_cr4_reserved(void **state)
{
	assert_int_equal(cr4_write_check(&prot32, &caps, CR4_VMXE), CR4_RESERVED);
	assert_int_equal(cr4_write_check(&prot32, &caps, CR4_SMXE), CR4_RESERVED);
	assert_int_equal(cr4_write_check(&prot32, &caps, CR4_UINTR), CR4_RESERVED);
	assert_int_equal(cr4_write_check(&prot32, &caps, BIT(32)), CR4_RESERVED);
	assert_int_equal(cr4_write_check(&prot32, &caps, CR4_PSE | CR4_PGE | CR4_OSXSAVE), CR_OK);
}

static void test_cr4_clear_pae_long(void **state)
{
	assert_int_equal(cr4_write_check(&compat, &caps, 0), CR4_CLEAR_PAE_LONG);
	assert_int_equal(cr4_write_check(&long64, &caps, CR4_PGE), CR4_CLEAR_PAE_LONG);
	assert_int_equal(cr4_write_check(&long64, &caps, CR4_PAE | CR4_PGE), CR_OK);
	/* with paging off PAE is free even with LME set */
	assert_int_equal(cr4_write_check(&lme_off, &caps, 0), CR_OK);
}

static void test_cr4_pcide_not_long(void **state)
{
	struct cr_state pae = { .cr0 = PAGED, .cr4 = CR4_PAE, .efer = EFER_NXE };

	assert_int_equal(cr4_write_check(&pae, &caps, CR4_PAE | CR4_PCIDE), CR4_PCIDE_NOT_LONG);
	assert_int_equal(cr4_write_check(&lme_off, &caps, CR4_PAE | CR4_PCIDE), CR4_PCIDE_NOT_LONG);
	assert_int_equal(cr4_write_check(&compat, &caps, CR4_PAE | CR4_PCIDE), CR_OK);
	assert_int_equal(cr4_write_check(&long64, &caps, CR4_PAE | CR4_PCIDE), CR_OK);
}

static void test_cr4_pcide_cr3_pcid(void **state)
{
	struct cr_state s = long64;

	s.cr3 = 0x1008;	/* PWT: with PCIDE=0 a flag, with PCIDE=1 part of the PCID */
	assert_int_equal(cr4_write_check(&s, &caps, CR4_PAE | CR4_PCIDE), CR4_PCIDE_CR3_PCID);
	s.cr3 = 0x1001;
	assert_int_equal(cr4_write_check(&s, &caps, CR4_PAE | CR4_PCIDE), CR4_PCIDE_CR3_PCID);
	/* PCIDE already set: CR3[11:0] is the PCID, other CR4 writes are fine */
	s.cr4 |= CR4_PCIDE;
	assert_int_equal(cr4_write_check(&s, &caps, CR4_PAE | CR4_PCIDE | CR4_PGE), CR_OK);
}

static void test_cr4_la57_long(void **state)
{
	struct cr_state s = with(long64, CR4_LA57, true);

	assert_int_equal(cr4_write_check(&long64, &caps, CR4_PAE | CR4_LA57), CR4_LA57_LONG);
	assert_int_equal(cr4_write_check(&s, &caps, CR4_PAE), CR4_LA57_LONG);
	assert_int_equal(cr4_write_check(&s, &caps, CR4_PAE | CR4_LA57 | CR4_PGE), CR_OK);
	assert_int_equal(cr4_write_check(&lme_off, &caps, CR4_PAE | CR4_LA57), CR_OK);
}

static void test_cr4_cet_without_wp(void **state)
{
	struct cr_state s = long64;

	s.cr0 &= ~(u64)CR0_WP;
	assert_int_equal(cr4_write_check(&s, &caps, CR4_PAE | CR4_CET), CR4_CET_WITHOUT_WP);
	assert_int_equal(cr4_write_check(&long64, &caps, CR4_PAE | CR4_CET), CR_OK);
}

static void test_efer_reserved(void **state)
{
	struct cr_state s = { .cr0 = PE_ON };
	struct cr_caps no_nx = caps;

	no_nx.efer_ok &= ~(u64)EFER_NXE;
	assert_int_equal(efer_write_check(&s, &caps, BIT(12)), EFER_RESERVED);	/* SVME */
	assert_int_equal(efer_write_check(&s, &caps, BIT(63)), EFER_RESERVED);
	assert_int_equal(efer_write_check(&s, &no_nx, EFER_NXE), EFER_RESERVED);
	assert_int_equal(efer_write_check(&s, &caps, EFER_SCE | EFER_NXE | EFER_LME), CR_OK);
	/* LMA is the processor's: a write of it is allowed and ignored */
	assert_int_equal(efer_write_check(&s, &caps, EFER_LMA), CR_OK);
	assert_int_equal(efer_written(&s, EFER_LMA | EFER_SCE), EFER_SCE);
	assert_int_equal(efer_written(&long64, EFER_LME | EFER_NXE), LONG_EFER);
}

static void test_efer_lme_paging(void **state)
{
	assert_int_equal(efer_write_check(&long64, &caps, EFER_NXE), EFER_LME_PAGING);
	assert_int_equal(efer_write_check(&prot32, &caps, EFER_LME), EFER_LME_PAGING);
	/* other bits may change with paging on */
	assert_int_equal(efer_write_check(&long64, &caps, LONG_EFER | EFER_SCE), CR_OK);
	assert_int_equal(efer_write_check(&prot32, &caps, EFER_NXE), CR_OK);
	/* paging off: LME is free */
	assert_int_equal(efer_write_check(&lme_off, &caps, 0), CR_OK);
}

/* IA-32e mode follows PG while LME is set (SDM 9.8.5) */
static void test_lma(void **state)
{
	assert_true(cr0_lma_after(&lme_off, PAGED));
	assert_true(cr0_lma_after(&long64, PAGED | CR0_TS));
	assert_false(cr0_lma_after(&compat, PE_ON));
	assert_false(cr0_lma_after(&prot32, PAGED));
}

static void test_state(void **state)
{
	struct cr_state s = with(long64, CR4_PCIDE | CR4_LA57, true);

	assert_int_equal(cr_state_check(&long64, &caps), CR_OK);
	assert_int_equal(cr_state_check(&s, &caps), CR_OK);	/* LA57 was set before PG */
	assert_int_equal(cr_state_check(&prot32, &caps), CR_OK);
	s.cr3 = 0x1001;
	assert_int_equal(cr_state_check(&s, &caps), CR4_PCIDE_CR3_PCID);
	s = long64;
	s.cr4 = 0;
	assert_int_equal(cr_state_check(&s, &caps), CR0_PG_LME_NO_PAE);
	s = prot32;
	s.cr4 = CR4_PCIDE;
	assert_int_equal(cr_state_check(&s, &caps), CR4_PCIDE_NOT_LONG);
	s = prot32;
	s.efer = BIT(12);
	assert_int_equal(cr_state_check(&s, &caps), EFER_RESERVED);
}

static void test_names(void **state)
{
	assert_string_equal(cr_rule_name(CR0_CLEAR_PG_PCIDE), "cr0-clear-pg-pcide");
	assert_string_equal(cr_rule_name(CR_OK), "ok");
	assert_string_equal(cr_rule_name(CR_NR_RULES), "?");
	for (int r = 0; r < CR_NR_RULES; r++)
		assert_non_null(cr_rule_name(r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr0_reserved_high),
		cmocka_unit_test(test_cr0_pg_without_pe),
		cmocka_unit_test(test_cr0_nw_without_cd),
		cmocka_unit_test(test_cr0_pg_lme_without_pae),
		cmocka_unit_test(test_cr0_pg_lme_cs_l),
		cmocka_unit_test(test_cr0_clear_pg_64bit),
		cmocka_unit_test(test_cr0_clear_pg_pcide),
		cmocka_unit_test(test_cr0_clear_wp_cet),
		cmocka_unit_test(test_cr3_reserved),
		cmocka_unit_test(test_cr4_reserved),
		cmocka_unit_test(test_cr4_clear_pae_long),
		cmocka_unit_test(test_cr4_pcide_not_long),
		cmocka_unit_test(test_cr4_pcide_cr3_pcid),
		cmocka_unit_test(test_cr4_la57_long),
		cmocka_unit_test(test_cr4_cet_without_wp),
		cmocka_unit_test(test_efer_reserved),
		cmocka_unit_test(test_efer_lme_paging),
		cmocka_unit_test(test_lma),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
