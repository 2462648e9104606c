// UNIT-SOURCES: vmx/vmx_names.c
/* Exit-reason, VM-instruction-error and event-type names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/hw/vmx.h>

static void test_exit_reasons(void **state)
{
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_CPUID), "CPUID");
	assert_string_equal(vmx_exit_reason_name(10), "CPUID");
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_VMCALL), "VMCALL");
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_EPT_VIOLATION), "EPT violation");
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_EPT_MISCONFIG),
			    "EPT misconfiguration");
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_EXCEPTION_NMI), "exception or NMI");
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_WRMSRLIST), "WRMSRLIST");
	/* the whole exit-reason field works: failure bit 31 is ignored */
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_VM_ENTRY_FAILURE | 33),
			    "VM-entry failure due to invalid guest state");
	/* gaps and out-of-range numbers */
	assert_string_equal(vmx_exit_reason_name(35), "unknown");
	assert_string_equal(vmx_exit_reason_name(38), "unknown");
	assert_string_equal(vmx_exit_reason_name(42), "unknown");
	assert_string_equal(vmx_exit_reason_name(71), "unknown");
	assert_string_equal(vmx_exit_reason_name(80), "unknown");
	assert_string_equal(vmx_exit_reason_name(0xffff), "unknown");
	/* every defined reason up to 79 has a name except the SDM's gaps */
	for (u32 r = 0; r < 80; r++) {
		bool gap = r == 35 || r == 38 || r == 42 || r == 71;
		assert_int_equal(strcmp(vmx_exit_reason_name(r), "unknown") == 0, gap);
	}
}

static void test_instr_errors(void **state)
{
	static const u32 defined[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17,
				       18, 19, 20, 22, 23, 24, 25, 26, 28 };
	unsigned n = 0;

	assert_string_equal(vmx_instr_error_text(VMXERR_ENTRY_INVALID_CONTROL_FIELD),
			    "VM entry with invalid control field(s)");
	assert_string_equal(vmx_instr_error_text(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_instr_error_text(4), "VMLAUNCH with non-clear VMCS");
	assert_string_equal(vmx_instr_error_text(12),
			    "VMREAD/VMWRITE from/to unsupported VMCS component");
	assert_string_equal(vmx_instr_error_text(28), "invalid operand to INVEPT/INVVPID");
	for (u32 e = 0; e < 64; e++) {
		bool is_defined = false;
		for (size_t i = 0; i < sizeof(defined) / sizeof(defined[0]); i++)
			is_defined |= defined[i] == e;
		assert_int_equal(strcmp(vmx_instr_error_text(e), "unknown error") != 0, is_defined);
		n += is_defined;
	}
	assert_int_equal(n, 25);
	assert_string_equal(vmx_instr_error_text(0xffffffff), "unknown error");
}

static void test_event_types(void **state)
{
	assert_string_equal(vmx_event_type_name(INTR_TYPE_EXT_INTR), "external interrupt");
	assert_string_equal(vmx_event_type_name(INTR_TYPE_NMI), "NMI");
	assert_string_equal(vmx_event_type_name(INTR_TYPE_HARD_EXCEPTION), "hardware exception");
	assert_string_equal(vmx_event_type_name(INTR_TYPE_SOFT_INTR), "software interrupt");
	assert_string_equal(vmx_event_type_name(INTR_TYPE_PRIV_SW_EXCEPTION),
			    "privileged software exception");
	assert_string_equal(vmx_event_type_name(INTR_TYPE_SOFT_EXCEPTION), "software exception");
	assert_string_equal(vmx_event_type_name(INTR_TYPE_OTHER_EVENT), "other event");
	assert_string_equal(vmx_event_type_name(1), "reserved");
	assert_string_equal(vmx_event_type_name(8), "invalid");
	/* type field of an interruption-information value */
	u32 info = INTR_INFO_VALID | INTR_INFO_DELIVER_ERROR_CODE |
		   (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT) | 14;
	assert_string_equal(vmx_event_type_name(INTR_INFO_TYPE(info)), "hardware exception");
	assert_string_equal(vmx_exception_name(info & INTR_INFO_VECTOR_MASK), "#PF");
	assert_string_equal(vmx_exception_name(13), "#GP");
	assert_string_equal(vmx_exception_name(2), "NMI");
	assert_string_equal(vmx_exception_name(15), "#??");
	assert_string_equal(vmx_exception_name(200), "#??");
}

static void test_encodings(void **state)
{
	/* spot checks against Appendix B and the encoding layout */
	assert_int_equal(VMCS_GUEST_RIP, 0x681e);
	assert_int_equal(VMCS_EPT_POINTER, 0x201a);
	assert_int_equal(VMCS_EXIT_REASON, 0x4402);
	assert_int_equal(VMCS_ENC_WIDTH(VMCS_GUEST_RIP), VMCS_ENC_WIDTH_NATURAL);
	assert_int_equal(VMCS_ENC_TYPE(VMCS_GUEST_RIP), VMCS_ENC_TYPE_GUEST);
	assert_int_equal(VMCS_ENC_WIDTH(VMCS_EPT_POINTER), VMCS_ENC_WIDTH_64);
	assert_int_equal(VMCS_ENC_TYPE(VMCS_EXIT_REASON), VMCS_ENC_TYPE_RO_DATA);
	assert_int_equal(VMCS_ENC_WIDTH(VMCS_EXIT_REASON), VMCS_ENC_WIDTH_32);
	assert_int_equal(VMCS_ENC_TYPE(VMCS_HOST_TR_SELECTOR), VMCS_ENC_TYPE_HOST);
	assert_int_equal(VMCS_ENC_WIDTH(VMCS_HOST_TR_SELECTOR), VMCS_ENC_WIDTH_16);
	/* exit qualification decoders */
	u64 io = (0x3f8ULL << 16) | IO_QUAL_IN | 0;	/* IN AL, DX from 0x3f8 */
	assert_int_equal(IO_QUAL_PORT(io), 0x3f8);
	assert_int_equal(IO_QUAL_SIZE(io), 1);
	assert_int_equal(IO_QUAL_SIZE(3), 4);
	u64 cr = 4 | (CR_ACCESS_MOV_TO_CR << 4) | (3 << 8);	/* mov cr4, rbx */
	assert_int_equal(CR_QUAL_CR_NUM(cr), 4);
	assert_int_equal(CR_QUAL_ACCESS_TYPE(cr), CR_ACCESS_MOV_TO_CR);
	assert_int_equal(CR_QUAL_GPR(cr), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_reasons),
		cmocka_unit_test(test_instr_errors),
		cmocka_unit_test(test_event_types),
		cmocka_unit_test(test_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
