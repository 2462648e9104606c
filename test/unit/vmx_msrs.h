/* VMX capability MSR values measured in Bochs 2.7 (docs/emulators.md
 * section 4), shared by the host tests that need a real CPU's capabilities. */
#ifndef UHV_TEST_VMX_MSRS_H
#define UHV_TEST_VMX_MSRS_H

#include <uhv/vmx_caps.h>

static const struct vmx_caps_raw skylake_x = {
	.basic = 0x00d810000000002bULL,
	.pinbased = 0x0000007f00000016ULL,
	.true_pinbased = 0x0000007f00000016ULL,
	.procbased = 0xf7f9fffe0401e172ULL,
	.true_procbased = 0xf7f9fffe04006172ULL,
	.exit = 0x007fffff00036dffULL,
	.true_exit = 0x007fffff00036dfbULL,
	.entry = 0x0000ffff000011ffULL,
	.true_entry = 0x0000ffff000011fbULL,
	.misc = 0x600401e0ULL,
	.cr0_fixed0 = 0x80000021ULL,
	.cr0_fixed1 = 0xffffffffULL,
	.cr4_fixed0 = 0x2000ULL,
	.cr4_fixed1 = 0x003727ffULL,
	.vmcs_enum = 0x34ULL,
	.procbased2 = 0x02177fff00000000ULL,
	.ept_vpid_cap = 0x00000f0106334141ULL,
	.vmfunc = 0x1ULL,
};

static const struct vmx_caps_raw tigerlake = {
	.basic = 0x01d8100000000004ULL,
	.pinbased = 0x0000007f00000016ULL,
	.true_pinbased = 0x0000007f00000016ULL,
	.procbased = 0xfff9fffe0401e172ULL,
	.true_procbased = 0xfff9fffe04006172ULL,
	.exit = 0x107fffff00036dffULL,
	.true_exit = 0x107fffff00036dfbULL,
	.entry = 0x0010ffff000011ffULL,
	.true_entry = 0x0010ffff000011fbULL,
	.misc = 0x600401e0ULL,
	.cr0_fixed0 = 0x80000021ULL,
	.cr0_fixed1 = 0xffffffffULL,
	.cr4_fixed0 = 0x2000ULL,
	.cr4_fixed1 = 0x00f72fffULL,
	.vmcs_enum = 0x34ULL,
	.procbased2 = 0x02977fff00000000ULL,
	.ept_vpid_cap = 0x00000f0106b34141ULL,
	.vmfunc = 0x1ULL,
};

#endif
