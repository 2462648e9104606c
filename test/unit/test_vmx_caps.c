// UNIT-SOURCES: vmx/vmx_caps.c
/* VMX capability decoding and control computation, fed with the MSR values
 * measured on Bochs corei7_skylake_x and tigerlake (docs/emulators.md §4), and a
 * nested-KVM set built from skylake_x plus the differences docs/emulators.md §8
 * measured under KVM (revision, timer rate, CR3 targets, no shutdown state,
 * no UC EPT type, no PAUSE-loop exiting / EPT-#VE / XSAVES, CR4_FIXED1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vmx_caps.h>
#include <uhv/errno.h>
#include "log_capture.h"

#include "vmx_msrs.h"

static struct vmx_caps_raw nested_kvm(void)
{
	struct vmx_caps_raw r = skylake_x;

	r.basic = (r.basic & ~VMX_BASIC_REVISION_MASK) | 0x11e57ed0;
	r.misc = 0x60000165;		/* TSC>>5, 0 CR3 targets, no shutdown state */
	r.ept_vpid_cap &= ~VMX_EPT_MEMTYPE_UC;
	r.procbased2 &= ~((u64)(SECONDARY_EXEC_PAUSE_LOOP_EXITING |
				SECONDARY_EXEC_EPT_VIOLATION_VE |
				SECONDARY_EXEC_ENABLE_XSAVES) << 32);
	r.cr4_fixed1 = 0x332fff;
	return r;
}

static struct vmx_caps decode(const struct vmx_caps_raw *raw)
{
	struct vmx_caps c;

	assert_int_equal(vmx_caps_decode(raw, &c), 0);
	return c;
}

/* The controls uhv's runtime asks for (the shape the runtime will use). */
static const struct vmx_ctl_want want_pin = {
	.required = PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING,
	.optional = PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER | PIN_BASED_POSTED_INTR,
};
static const struct vmx_ctl_want want_proc = {
	.required = CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_USE_IO_BITMAPS |
		    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
	.optional = CPU_BASED_MONITOR_TRAP_FLAG,
	.clear = CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		 CPU_BASED_RDTSC_EXITING | CPU_BASED_INVLPG_EXITING,
};
static const struct vmx_ctl_want want_proc2 = {
	.required = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST,
	.optional = SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
		    SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_ENABLE_XSAVES,
};
static const struct vmx_ctl_want want_exit = {
	.required = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER,
	.optional = VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
		    VM_EXIT_SAVE_VMX_PREEMPTION_TIMER | VM_EXIT_LOAD_CET_STATE,
	.clear = VM_EXIT_SAVE_DEBUG_CONTROLS,
};
static const struct vmx_ctl_want want_entry = {
	.required = VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER,
	.optional = VM_ENTRY_LOAD_IA32_PAT,
	.clear = VM_ENTRY_LOAD_DEBUG_CONTROLS,
};

static u32 compute_ok(const struct vmx_caps *c, enum vmx_ctl ctl, const struct vmx_ctl_want *w)
{
	u32 v = 0xdeadbeef;

	assert_int_equal(vmx_ctl_compute(c, ctl, w, &v), 0);
	assert_int_equal(vmx_ctl_check(c, ctl, v, true), 0);
	return v;
}

static void test_decode_skylake(void **state)
{
	struct vmx_caps c = decode(&skylake_x);

	assert_int_equal(c.revision_id, 0x2b);
	assert_int_equal(c.vmcs_size, 4096);
	assert_int_equal(c.vmcs_memtype, 6);
	assert_true(c.true_ctls);
	assert_true(c.ins_outs_info);
	assert_false(c.no_errcode_check);
	assert_false(c.addr32_only);
	assert_int_equal(c.ctl[VMX_CTL_PROC].msr, MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	assert_int_equal(c.ctl[VMX_CTL_PROC].must1, 0x04006172);
	assert_int_equal(c.ctl[VMX_CTL_PROC].default1, 0x0401e172);
	assert_int_equal(c.ctl[VMX_CTL_PROC2].msr, MSR_IA32_VMX_PROCBASED_CTLS2);
	assert_int_equal(c.ctl[VMX_CTL_PROC2].may1, 0x02177fff);
	assert_int_equal(c.preemption_timer_shift, 0);
	assert_true(c.store_lma);
	assert_true(c.activity_hlt && c.activity_shutdown && c.activity_wait_sipi);
	assert_int_equal(c.cr3_targets, 4);
	assert_int_equal(c.max_msr_list, 512);
	assert_true(c.vmwrite_any_field);
	assert_true(c.inject_zero_len);
	assert_int_equal(c.vmcs_max_index, 0x1a);
	assert_int_equal(c.ept_vpid, 0x00000f0106334141ULL);
	assert_int_equal(c.vmfunc, 1);

	/* decoded as docs/emulators.md §4 describes */
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_PIN, PIN_BASED_VMX_PREEMPTION_TIMER));
	assert_false(vmx_ctl_allowed(&c, VMX_CTL_PIN, PIN_BASED_POSTED_INTR));
	assert_false(vmx_ctl_allowed(&c, VMX_CTL_PROC, CPU_BASED_MONITOR_TRAP_FLAG));
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_PROC2, SECONDARY_EXEC_VMCS_SHADOWING));
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_PROC2, SECONDARY_EXEC_ENABLE_PML));
	assert_false(vmx_ctl_allowed(&c, VMX_CTL_PROC2, SECONDARY_EXEC_MODE_BASED_EPT_EXEC));
	assert_false(vmx_ctl_allowed(&c, VMX_CTL_PROC2, SECONDARY_EXEC_SUB_PAGE_WRITE_PERM));
	assert_false(vmx_ctl_allowed(&c, VMX_CTL_EXIT, VM_EXIT_LOAD_CET_STATE));
	assert_int_equal(vmx_caps_ept_max_leaf_level(&c), 2);
	assert_true(vmx_caps_vpid_usable(&c));
	assert_false(c.ept_vpid & VMX_EPT_PAGE_WALK_5);
	assert_false(c.ept_vpid & VMX_EPT_ADVANCED_EXIT_INFO);
	assert_true(c.ept_vpid & VMX_EPT_AD);
}

static void test_decode_tigerlake(void **state)
{
	struct vmx_caps c = decode(&tigerlake);

	assert_int_equal(c.revision_id, 0x4);
	assert_true(c.no_errcode_check);
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_PROC, CPU_BASED_MONITOR_TRAP_FLAG));
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_PROC2, SECONDARY_EXEC_SUB_PAGE_WRITE_PERM));
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_EXIT, VM_EXIT_LOAD_CET_STATE));
	assert_true(vmx_ctl_allowed(&c, VMX_CTL_ENTRY, VM_ENTRY_LOAD_CET_STATE));
	assert_true(c.ept_vpid & VMX_EPT_SUPERVISOR_SHADOW_STACK);
}

static void test_controls_skylake(void **state)
{
	struct vmx_caps c = decode(&skylake_x);

	assert_int_equal(compute_ok(&c, VMX_CTL_PIN, &want_pin), 0x7f);
	/* TRUE_PROCBASED lets CR3 exiting be 0; MTF is optional and missing */
	assert_int_equal(compute_ok(&c, VMX_CTL_PROC, &want_proc), 0x96006172);
	assert_int_equal(compute_ok(&c, VMX_CTL_PROC2, &want_proc2), 0x1010aa);
	assert_int_equal(compute_ok(&c, VMX_CTL_EXIT, &want_exit), 0x7f6ffb);
	assert_int_equal(compute_ok(&c, VMX_CTL_ENTRY, &want_entry), 0xd3fb);

	/* unknown default1 bits keep their default setting: without "clear",
	 * CR3-load/store exiting and save/load debug controls stay 1 */
	struct vmx_ctl_want w = want_proc;
	w.clear = 0;
	assert_int_equal(compute_ok(&c, VMX_CTL_PROC, &w), 0x9601e172);
	w = want_exit;
	w.clear = 0;
	assert_int_equal(compute_ok(&c, VMX_CTL_EXIT, &w) & VM_EXIT_SAVE_DEBUG_CONTROLS,
			 VM_EXIT_SAVE_DEBUG_CONTROLS);
}

static void test_controls_tigerlake(void **state)
{
	struct vmx_caps c = decode(&tigerlake);

	assert_int_equal(compute_ok(&c, VMX_CTL_PROC, &want_proc),
			 0x96006172 | CPU_BASED_MONITOR_TRAP_FLAG);
	assert_int_equal(compute_ok(&c, VMX_CTL_EXIT, &want_exit),
			 0x7f6ffb | VM_EXIT_LOAD_CET_STATE);
	assert_int_equal(compute_ok(&c, VMX_CTL_PROC2, &want_proc2), 0x1010aa);
}

static void test_mtf_missing_on_skylake(void **state)
{
	struct vmx_caps c = decode(&skylake_x);
	struct vmx_ctl_want w = want_proc;
	u32 v = 0x1234;

	w.required |= CPU_BASED_MONITOR_TRAP_FLAG;
	log_capture_reset();
	assert_int_equal(vmx_ctl_compute(&c, VMX_CTL_PROC, &w, &v), -EOPNOTSUPP);
	assert_int_equal(v, 0x1234);	/* untouched on failure */
	assert_true(log_capture_contains("\"monitor trap flag\" (bit 27)"));
	assert_true(log_capture_contains("IA32_VMX_TRUE_PROCBASED_CTLS (0x48e)"));
	assert_true(log_capture_contains("MSR bit 59"));
	assert_true(log_capture_contains("ERROR"));

	/* and it is fine on tigerlake */
	c = decode(&tigerlake);
	log_capture_reset();
	assert_int_equal(vmx_ctl_compute(&c, VMX_CTL_PROC, &w, &v), 0);
	assert_true(v & CPU_BASED_MONITOR_TRAP_FLAG);
	assert_false(log_capture_contains("ERROR"));

	/* a value with MTF set is rejected by the check on skylake_x */
	c = decode(&skylake_x);
	log_capture_reset();
	assert_int_equal(vmx_ctl_check(&c, VMX_CTL_PROC, 0x96006172 | CPU_BASED_MONITOR_TRAP_FLAG,
				       true), -EINVAL);
	assert_true(log_capture_contains("\"monitor trap flag\" (bit 27) is 1"));
	/* and one missing a must-be-1 bit */
	log_capture_reset();
	assert_int_equal(vmx_ctl_check(&c, VMX_CTL_PIN, 0, true), -EINVAL);
	assert_true(log_capture_contains(
		"pin-based VM-execution control \"reserved\" (bit 1) is 0"));
}

static void test_nested_kvm(void **state)
{
	struct vmx_caps_raw raw = nested_kvm();
	struct vmx_caps c = decode(&raw);

	assert_int_equal(c.revision_id, 0x11e57ed0);
	assert_int_equal(c.preemption_timer_shift, 5);
	assert_int_equal(c.cr3_targets, 0);
	assert_false(c.activity_shutdown);
	assert_true(c.activity_hlt);
	assert_false(c.ept_vpid & VMX_EPT_MEMTYPE_UC);
	assert_int_equal(c.cr4_fixed1, 0x332fff);
	/* XSAVES optional and absent; EPT/UG still there */
	assert_int_equal(compute_ok(&c, VMX_CTL_PROC2, &want_proc2), 0x10aa);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), 0);
	assert_false(log_capture_contains("ERROR"));
	assert_false(log_capture_contains("warning"));	/* WB-only is all uhv needs */
	assert_int_equal(vmx_caps_ept_max_leaf_level(&c), 2);
}

static void test_missing_ept_and_ug(void **state)
{
	struct vmx_caps_raw raw = skylake_x;
	struct vmx_caps c;
	u32 v;

	raw.procbased2 &= ~((u64)(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST)
			    << 32);
	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), -EOPNOTSUPP);
	assert_true(log_capture_contains(
		"control \"enable EPT\" (bit 1) is required, but "
		"IA32_VMX_PROCBASED_CTLS2 (0x48b) allowed-1 bit 1 (MSR bit 33) is 0"));
	assert_true(log_capture_contains("\"unrestricted guest\" (bit 7) is required, but "
					 "IA32_VMX_PROCBASED_CTLS2 (0x48b) allowed-1 bit 7"));
	log_capture_reset();
	assert_int_equal(vmx_ctl_compute(&c, VMX_CTL_PROC2, &want_proc2, &v), -EOPNOTSUPP);
	assert_true(log_capture_contains("\"enable EPT\""));
	assert_true(log_capture_contains("\"unrestricted guest\""));

	/* only unrestricted guest missing */
	raw = skylake_x;
	raw.procbased2 &= ~((u64)SECONDARY_EXEC_UNRESTRICTED_GUEST << 32);
	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), -EOPNOTSUPP);
	assert_false(log_capture_contains("\"enable EPT\""));
	assert_true(log_capture_contains("\"unrestricted guest\" (bit 7)"));

	/* no secondary controls at all: PROCBASED2 must be ignored even if junk */
	raw = skylake_x;
	raw.procbased &= ~((u64)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
	raw.true_procbased &= ~((u64)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
	c = decode(&raw);
	assert_int_equal(c.ctl[VMX_CTL_PROC2].may1, 0);
	assert_int_equal(c.ept_vpid, 0);
	log_capture_reset();
	assert_int_equal(vmx_ctl_compute(&c, VMX_CTL_PROC2, &want_proc2, &v), -EOPNOTSUPP);
	assert_true(log_capture_contains("no secondary controls at all"));
	assert_true(log_capture_contains("IA32_VMX_TRUE_PROCBASED_CTLS (0x48e) allowed-1 bit 31"));
	assert_false(vmx_caps_vpid_usable(&c));
}

static void test_ept_caps(void **state)
{
	struct vmx_caps_raw raw = skylake_x;
	struct vmx_caps c;

	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), 0);
	assert_false(log_capture_contains("ERROR"));

	/* no 4-level walk, no INVEPT: errors naming the bits */
	raw.ept_vpid_cap &= ~(VMX_EPT_PAGE_WALK_4 | VMX_EPT_INVEPT);
	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), -EOPNOTSUPP);
	assert_true(log_capture_contains("page-walk length of 4 is required, but "
					 "IA32_VMX_EPT_VPID_CAP (0x48c) bit 6 is 0"));
	assert_true(log_capture_contains(
		"INVEPT is required, but IA32_VMX_EPT_VPID_CAP (0x48c) bit 20"));

	/* INVEPT without any context type */
	raw = skylake_x;
	raw.ept_vpid_cap &= ~(VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT);
	c = decode(&raw);
	assert_int_equal(vmx_caps_check_ept(&c), -EOPNOTSUPP);

	/* only single-context INVEPT is enough */
	raw = skylake_x;
	raw.ept_vpid_cap &= ~VMX_EPT_INVEPT_ALL_CONTEXT;
	c = decode(&raw);
	assert_int_equal(vmx_caps_check_ept(&c), 0);

	/* no WB and no UC paging-structure type */
	raw = skylake_x;
	raw.ept_vpid_cap &= ~(VMX_EPT_MEMTYPE_WB | VMX_EPT_MEMTYPE_UC);
	c = decode(&raw);
	assert_int_equal(vmx_caps_check_ept(&c), -EOPNOTSUPP);

	/* UC only: works, with a warning */
	raw = skylake_x;
	raw.ept_vpid_cap &= ~VMX_EPT_MEMTYPE_WB;
	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), 0);
	assert_true(log_capture_contains("warning"));

	/* page sizes: warnings and a smaller max leaf */
	raw = skylake_x;
	raw.ept_vpid_cap &= ~VMX_EPT_PDPTE_1G;
	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), 0);
	assert_true(log_capture_contains("1 GiB EPT pages"));
	assert_int_equal(vmx_caps_ept_max_leaf_level(&c), 1);
	raw.ept_vpid_cap &= ~VMX_EPT_PDE_2M;
	c = decode(&raw);
	assert_int_equal(vmx_caps_ept_max_leaf_level(&c), 0);

	/* INVVPID missing: VPID unusable, warned, not fatal */
	raw = skylake_x;
	raw.ept_vpid_cap &= ~VMX_VPID_INVVPID;
	c = decode(&raw);
	log_capture_reset();
	assert_int_equal(vmx_caps_check_ept(&c), 0);
	assert_false(vmx_caps_vpid_usable(&c));
	assert_true(log_capture_contains("VPIDs stay off"));
}

static void test_plain_controls(void **state)
{
	/* without BASIC bit 55 the plain MSRs rule: CR3 exiting cannot be 0 */
	struct vmx_caps_raw raw = skylake_x;
	raw.basic &= ~VMX_BASIC_TRUE_CTLS;
	raw.true_procbased = 0;		/* would not have been read */
	struct vmx_caps c = decode(&raw);

	assert_false(c.true_ctls);
	assert_int_equal(c.ctl[VMX_CTL_PROC].msr, MSR_IA32_VMX_PROCBASED_CTLS);
	assert_int_equal(compute_ok(&c, VMX_CTL_PROC, &want_proc), 0x9601e172);
	assert_int_equal(compute_ok(&c, VMX_CTL_ENTRY, &want_entry), 0xd3ff);
}

struct msr_log {
	const struct vmx_caps_raw *raw;
	u32 read[32];
	unsigned n;
};

static u64 fake_rdmsr(void *ctx, u32 msr)
{
	struct msr_log *l = ctx;
	const struct vmx_caps_raw *r = l->raw;

	assert_true(l->n < 32);
	l->read[l->n++] = msr;
	switch (msr) {
	case 0x480: return r->basic;
	case 0x481: return r->pinbased;
	case 0x482: return r->procbased;
	case 0x483: return r->exit;
	case 0x484: return r->entry;
	case 0x485: return r->misc;
	case 0x486: return r->cr0_fixed0;
	case 0x487: return r->cr0_fixed1;
	case 0x488: return r->cr4_fixed0;
	case 0x489: return r->cr4_fixed1;
	case 0x48a: return r->vmcs_enum;
	case 0x48b: return r->procbased2;
	case 0x48c: return r->ept_vpid_cap;
	case 0x48d: return r->true_pinbased;
	case 0x48e: return r->true_procbased;
	case 0x48f: return r->true_exit;
	case 0x490: return r->true_entry;
	case 0x491: return r->vmfunc;
	}
	fail_msg("unexpected MSR %#x", msr);
	return 0;
}

static bool was_read(const struct msr_log *l, u32 msr)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->read[i] == msr)
			return true;
	return false;
}

static void test_read(void **state)
{
	struct msr_log l = { .raw = &skylake_x };
	struct vmx_caps_raw got;

	vmx_caps_read(&got, fake_rdmsr, &l);
	assert_memory_equal(&got, &skylake_x, sizeof(got));
	assert_int_equal(l.n, 18);

	/* no secondary controls, no TRUE MSRs: those MSRs are never touched */
	struct vmx_caps_raw old = skylake_x;
	old.basic &= ~VMX_BASIC_TRUE_CTLS;
	old.procbased &= ~((u64)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32);
	l = (struct msr_log){ .raw = &old };
	vmx_caps_read(&got, fake_rdmsr, &l);
	assert_int_equal(l.n, 11);
	for (u32 msr = 0x48b; msr <= 0x491; msr++)
		assert_false(was_read(&l, msr));
	assert_int_equal(got.procbased2, 0);

	/* secondary controls without EPT, VPID or VM functions */
	old = skylake_x;
	old.procbased2 &= ~((u64)(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
				  SECONDARY_EXEC_ENABLE_VMFUNC) << 32);
	l = (struct msr_log){ .raw = &old };
	vmx_caps_read(&got, fake_rdmsr, &l);
	assert_true(was_read(&l, 0x48b));
	assert_false(was_read(&l, 0x48c));
	assert_false(was_read(&l, 0x491));
}

static void test_cr_fixed(void **state)
{
	struct vmx_caps c = decode(&skylake_x);

	assert_int_equal(vmx_cr0_fixed(&c, 0, false), 0x80000021);
	/* only NE with unrestricted guest */
	assert_int_equal(vmx_cr0_fixed(&c, 0, true), 0x20);
	assert_int_equal(vmx_cr0_fixed(&c, 0x60000010, true), 0x60000030);
	assert_int_equal(vmx_cr4_fixed(&c, 0), 0x2000);
	assert_int_equal(vmx_cr4_fixed(&c, 0x800020), 0x2020);	/* CET (bit 23) not allowed */
	c = decode(&tigerlake);
	assert_int_equal(vmx_cr4_fixed(&c, 0x800020), 0x802020);
}

static void test_bad_values(void **state)
{
	struct vmx_caps_raw raw = { 0 };
	struct vmx_caps c;

	log_capture_reset();
	assert_int_equal(vmx_caps_decode(&raw, &c), -EINVAL);
	assert_true(log_capture_contains("IA32_VMX_BASIC"));

	raw = skylake_x;
	raw.cr0_fixed1 = 0;
	assert_int_equal(vmx_caps_decode(&raw, &c), -EINVAL);

	raw = skylake_x;
	raw.true_pinbased = 0x0000000000000016ULL;	/* must-be-1 bits not allowed */
	log_capture_reset();
	assert_int_equal(vmx_caps_decode(&raw, &c), -EINVAL);
	assert_true(log_capture_contains("IA32_VMX_TRUE_PINBASED_CTLS"));
}

static void test_names_and_print(void **state)
{
	assert_string_equal(vmx_ctl_bit_name(VMX_CTL_PROC2, 1), "enable EPT");
	assert_string_equal(vmx_ctl_bit_name(VMX_CTL_PROC, 27), "monitor trap flag");
	assert_string_equal(vmx_ctl_bit_name(VMX_CTL_EXIT, 9), "host address-space size");
	assert_string_equal(vmx_ctl_bit_name(VMX_CTL_ENTRY, 9), "IA-32e mode guest");
	assert_null(vmx_ctl_bit_name(VMX_CTL_PIN, 1));
	assert_null(vmx_ctl_bit_name(VMX_CTL_PIN, 32));
	assert_string_equal(vmx_msr_name(0x48c), "IA32_VMX_EPT_VPID_CAP");
	assert_string_equal(vmx_msr_name(0x491), "IA32_VMX_VMFUNC");
	assert_string_equal(vmx_msr_name(0x492), "?");

	struct vmx_caps c = decode(&skylake_x);
	log_capture_reset();
	vmx_caps_print(&c);
	assert_true(log_capture_contains("VMCS revision 0x2b, 4096 bytes, memory type 6"));
	assert_true(log_capture_contains("enable EPT"));
	assert_true(log_capture_contains("unrestricted guest"));
	assert_false(log_capture_contains("monitor trap flag"));
	assert_true(log_capture_contains(
		"EPT: walk 4, EPTP types UC WB, pages 4K 2M 1G, execute-only, A/D, "
		"INVEPT single all"));
	assert_true(log_capture_contains("INVVPID address single all single-keep-globals"));
	/* no line is longer than the console buffer */
	const char *t = log_capture_text();
	size_t len = 0;
	for (; *t; t++) {
		len = *t == '\n' ? 0 : len + 1;
		assert_true(len < 160);
	}

	c = decode(&tigerlake);
	log_capture_reset();
	vmx_caps_print(&c);
	assert_true(log_capture_contains("monitor trap flag"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_skylake),
		cmocka_unit_test(test_decode_tigerlake),
		cmocka_unit_test(test_controls_skylake),
		cmocka_unit_test(test_controls_tigerlake),
		cmocka_unit_test(test_mtf_missing_on_skylake),
		cmocka_unit_test(test_nested_kvm),
		cmocka_unit_test(test_missing_ept_and_ug),
		cmocka_unit_test(test_ept_caps),
		cmocka_unit_test(test_plain_controls),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_cr_fixed),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_names_and_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
