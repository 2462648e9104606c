// UNIT-SOURCES:
/* The rules behind every event uhv gives the guest (include/uhv/vmx_event.h): exception
 * classes, what completing an instruction does to RFLAGS, the interruptibility state and the
 * pending debug exceptions, what injecting a fault does, and when an NMI can go in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <uhv/vmx_event.h>

#define STI	GUEST_INTR_STATE_STI
#define MOVSS	GUEST_INTR_STATE_MOV_SS
#define NMI	GUEST_INTR_STATE_NMI
#define SMI	GUEST_INTR_STATE_SMI

static void test_exception_classes(void **state)
{
	/* SDM Vol. 3A Table 6-1: traps #DB (as uhv raises it), #BP, #OF; aborts #DF, #MC */
	static const unsigned faults[] = { 0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21 };
	static const unsigned others[] = { 1, 3, 4, 8, 18, 32, 255 };

	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		assert_true(vmx_exception_is_fault(faults[i]));
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_false(vmx_exception_is_fault(others[i]));
}

static void test_after_instruction(void **state)
{
	struct vmx_insn_state s = { .rflags = 0x2, .intr = 0, .pending_dbg = 0 };
	struct vmx_insn_state r = vmx_after_instruction(s, false);

	/* the common case changes nothing (so nothing is written back) */
	assert_int_equal(r.rflags, 0x2);
	assert_int_equal(r.intr, 0);
	assert_int_equal(r.pending_dbg, 0);

	/* the shadow of STI / MOV SS ends; blocking by NMI and SMI stays */
	s.intr = STI | MOVSS | NMI | SMI;
	r = vmx_after_instruction(s, false);
	assert_int_equal(r.intr, NMI | SMI);

	/* RF lasts one instruction */
	s = (struct vmx_insn_state){ .rflags = 0x2 | RFLAGS_RF | RFLAGS_IF };
	r = vmx_after_instruction(s, false);
	assert_int_equal(r.rflags, 0x2 | RFLAGS_IF);

	/* TF: the single-step trap after the instruction, on top of a MOV SS's data breakpoint */
	s = (struct vmx_insn_state){ .rflags = 0x2 | RFLAGS_TF, .intr = MOVSS, .pending_dbg = 0x1 };
	r = vmx_after_instruction(s, false);
	assert_int_equal(r.pending_dbg, 0x1 | PENDING_DBG_BS);
	assert_int_equal(r.rflags, 0x2 | RFLAGS_TF);	/* TF itself stays */
	assert_int_equal(r.intr, 0);

	/* TF with DEBUGCTL.BTF: a trap on taken branches only; uhv completes none */
	r = vmx_after_instruction(s, true);
	assert_int_equal(r.pending_dbg, 0x1);
}

static void test_before_exception(void **state)
{
	struct vmx_insn_state s = { .rflags = 0x2, .intr = STI | NMI, .pending_dbg = 0 };
	struct vmx_insn_state r = vmx_before_exception(s, 13);	/* #GP: a fault */

	assert_int_equal(r.rflags, 0x2 | RFLAGS_RF);
	assert_int_equal(r.intr, NMI);
	r = vmx_before_exception(s, 6);				/* #UD */
	assert_int_equal(r.rflags, 0x2 | RFLAGS_RF);
	r = vmx_before_exception(s, 14);			/* #PF */
	assert_int_equal(r.rflags, 0x2 | RFLAGS_RF);
	r = vmx_before_exception(s, 8);				/* #DF: an abort */
	assert_int_equal(r.rflags, 0x2);
	r = vmx_before_exception(s, 1);				/* #DB trap */
	assert_int_equal(r.rflags, 0x2);
}

static void test_nmi_injectable(void **state)
{
	u64 valid = INTR_INFO_VALID | 13 | (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT);

	assert_true(vmx_nmi_injectable(0, 0, GUEST_ACTIVITY_ACTIVE));
	assert_true(vmx_nmi_injectable(0, SMI, GUEST_ACTIVITY_HLT));
	assert_false(vmx_nmi_injectable(valid, 0, GUEST_ACTIVITY_ACTIVE));
	assert_false(vmx_nmi_injectable(0, NMI, GUEST_ACTIVITY_ACTIVE));
	assert_false(vmx_nmi_injectable(0, MOVSS, GUEST_ACTIVITY_ACTIVE));
	assert_false(vmx_nmi_injectable(0, STI, GUEST_ACTIVITY_ACTIVE));
	assert_false(vmx_nmi_injectable(0, 0, GUEST_ACTIVITY_WAIT_SIPI));
	/* blocked by an event being injected only: right after its delivery; else a poll */
	assert_int_equal(vmx_nmi_window_ticks(0), 0);
	assert_int_equal(vmx_nmi_window_ticks(NMI), NMI_POLL_TICKS);
	assert_int_equal(vmx_nmi_window_ticks(NMI), NMI_POLL_TICKS);
	assert_int_equal(vmx_nmi_window_ticks(STI), NMI_POLL_TICKS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exception_classes),
		cmocka_unit_test(test_after_instruction),
		cmocka_unit_test(test_before_exception),
		cmocka_unit_test(test_nmi_injectable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
