// UNIT-SOURCES: vmx/vmx_policy.c
/* uhv's intercept policy: the I/O bitmaps (checked bit by bit against
 * the SDM's bitmap layout), the CPUID view, and the checks behind emulated
 * WRMSR / XSETBV / MOV-to-CR writes, with the capability values measured on
 * Bochs (skylake_x) and nested KVM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vmx_policy.h>
#include <uhv/cpu.h>
#include "log_capture.h"

static u8 io_a[VMX_IO_BITMAP_SIZE], io_b[VMX_IO_BITMAP_SIZE];

static void test_io_bitmap(void **state)
{
	memset(io_a, 0, sizeof(io_a));
	memset(io_b, 0, sizeof(io_b));
	vmx_io_policy_build(io_a, io_b);
	/* deny by default: until the port table opens native ports, every access exits */
	for (u32 port = 0; port <= 0xffff; port++)
		assert_true(vmx_io_bitmap_exits(io_a, io_b, (u16)port, 1));
	/* the SDM's layout: A covers 0-0x7fff, B 0x8000-0xffff, bit n of byte n/8 */
	memset(io_a, 0, sizeof(io_a));
	memset(io_b, 0, sizeof(io_b));
	vmx_io_bitmap_intercept(io_a, io_b, UHV_TEST_PORT);
	assert_int_equal(io_a[0x510 / 8], 1 << (0x510 % 8));
	for (unsigned size = 1; size <= 4; size *= 2)
		assert_true(vmx_io_bitmap_exits(io_a, io_b, UHV_TEST_PORT, size));
	assert_true(vmx_io_bitmap_exits(io_a, io_b, 0x50e, 4));	/* covers 0x510 */
	assert_false(vmx_io_bitmap_exits(io_a, io_b, 0x50c, 4));
	assert_false(vmx_io_bitmap_exits(io_a, io_b, 0x511, 1));
	vmx_io_bitmap_intercept(io_a, io_b, 0x8001);
	assert_int_equal(io_b[0], 2);
	assert_true(vmx_io_bitmap_exits(io_a, io_b, 0x8000, 2));
	/* wrapping past 0xffff always exits */
	assert_true(vmx_io_bitmap_exits(io_a, io_b, 0xffff, 2));
	vmx_io_bitmap_allow(io_a, io_b, 0x8001);
	assert_int_equal(io_b[0], 0);
}

static void cpuid_run(u32 leaf, u32 sub, u32 r[4], const u32 in[4],
		      const struct vmx_cpuid_cfg *cfg)
{
	memcpy(r, in, 4 * sizeof(u32));
	vmx_cpuid_adjust(leaf, sub, r, cfg);
}

static void test_cpuid(void **state)
{
	struct vmx_cpuid_cfg cfg = { .guest_cr4 = 0 };
	u32 r[4];
	/* leaf 1 ECX of Bochs skylake_x with the host's OSXSAVE set */
	const u32 l1[4] = { 0x50654, 0x10800, 0xfffab3ff | (1u << 27), 0xbfebfbff };

	cpuid_run(1, 0, r, l1, &cfg);
	assert_false(r[2] & (1u << 5));		/* VMX */
	assert_false(r[2] & (1u << 6));		/* SMX */
	assert_true(r[2] & (1u << 31));		/* hypervisor */
	assert_false(r[2] & (1u << 27));	/* OSXSAVE follows the guest's CR4 */
	assert_int_equal(r[0], l1[0]);
	/* EDX: DS, ACPI and TM hidden (their MSRs are denied), the rest as the host's */
	assert_int_equal(r[3], l1[3] & ~((1u << 21) | (1u << 22) | (1u << 29)));
	cfg.guest_cr4 = CR4_OSXSAVE;
	cpuid_run(1, 0, r, l1, &cfg);
	assert_true(r[2] & (1u << 27));
	assert_true(vmx_cpuid_needs_cr4(1));
	assert_true(vmx_cpuid_leaf_adjusted(1));
	assert_false(vmx_cpuid_leaf_adjusted(0));
	assert_false(vmx_cpuid_leaf_adjusted(4));

	const u32 zero[4] = { 0x16, 1, 2, 3 };
	cpuid_run(UHV_CPUID_MAX_LEAF, 0, r, zero, &cfg);
	assert_int_equal(r[0], 0x40000000);
	char sig[13];
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	assert_string_equal(sig, "uhvuhvuhvuhv");
	assert_true(vmx_cpuid_leaf_adjusted(0x40000100));
	cpuid_run(0x40000100, 0, r, zero, &cfg);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	cpuid_run(0x50000000, 0, r, zero, &cfg);	/* not ours: unchanged */
	assert_memory_equal(r, zero, sizeof(zero));

	/* features whose controls are off are hidden */
	const u32 l7[4] = { 0, 1u << 10, (1u << 5) | (1u << 3), 0 };
	cpuid_run(7, 0, r, l7, &cfg);
	assert_false(r[1] & (1u << 10));	/* INVPCID */
	assert_false(r[2] & (1u << 5));		/* WAITPKG */
	assert_false(r[2] & (1u << 4));		/* OSPKE: guest CR4.PKE is 0 */
	cfg.invpcid = true;
	cfg.guest_cr4 = CR4_PKE;
	cpuid_run(7, 0, r, l7, &cfg);
	assert_true(r[1] & (1u << 10));
	assert_true(r[2] & (1u << 4));
	cpuid_run(7, 1, r, l7, &cfg);		/* other subleaves untouched */
	assert_memory_equal(r, l7, sizeof(l7));
	const u32 ext[4] = { 0, 0, 0, (1u << 27) | (1u << 20) };
	cpuid_run(0x80000001, 0, r, ext, &cfg);
	assert_int_equal(r[3], 1u << 20);	/* RDTSCP hidden, NX kept */
	cfg.rdtscp = true;
	cpuid_run(0x80000001, 0, r, ext, &cfg);
	assert_int_equal(r[3], ext[3]);
	const u32 d1[4] = { 0xf, 0, 0, 0 };
	cpuid_run(0xd, 1, r, d1, &cfg);
	assert_int_equal(r[0], 0x7);		/* XSAVES hidden */
}

static void test_apic_base(void **state)
{
	const u64 xapic = 0xfee00000 | BIT(11) | BIT(8), x2 = xapic | BIT(10);
	const u32 cap = VMX_X2APIC_CAPABLE, locked = cap | VMX_X2APIC_LOCKED;

	assert_true(vmx_apic_base_write_ok(xapic, xapic, 36, cap));
	assert_true(vmx_apic_base_write_ok(xapic, 0xfec00000 | BIT(11), 36, cap));	/* relocation */
	assert_true(vmx_apic_base_write_ok(xapic, x2, 36, cap));		/* -> x2APIC */
	assert_false(vmx_apic_base_write_ok(x2, xapic, 36, cap));		/* x2 -> x */
	assert_true(vmx_apic_base_write_ok(x2, 0xfee00000, 36, cap));		/* x2 -> off */
	assert_false(vmx_apic_base_write_ok(0xfee00000, x2, 36, cap));		/* off -> x2 */
	assert_false(vmx_apic_base_write_ok(xapic, 0xfee00000 | BIT(10), 36, cap)); /* EXTD w/o EN */
	assert_false(vmx_apic_base_write_ok(xapic, xapic | BIT(9), 36, cap));	/* reserved */
	assert_false(vmx_apic_base_write_ok(xapic, xapic | BIT(36), 36, cap));	/* > MAXPHYADDR */
	/* a CPU without x2APIC: EXTD is reserved (the WRMSR in VMX root would #GP in uhv) */
	assert_false(vmx_apic_base_write_ok(xapic, x2, 36, 0));
	assert_true(vmx_apic_base_write_ok(xapic, xapic, 36, 0));
	/* the x2APIC lock: x2APIC cannot be left, neither to xAPIC nor to disabled */
	assert_false(vmx_apic_base_write_ok(x2, 0xfee00000, 36, locked));
	assert_false(vmx_apic_base_write_ok(x2, xapic, 36, locked));
	assert_false(vmx_apic_base_write_ok(x2, 0xfee00000 | BIT(10), 36, locked));
	assert_true(vmx_apic_base_write_ok(x2, x2, 36, locked));
	assert_true(vmx_apic_base_write_ok(xapic, x2, 36, locked));	/* lock bit, xAPIC mode */
}


static void test_xcr0(void **state)
{
	const u64 avx512 = 0xe7;	/* x87 SSE AVX opmask ZMM_Hi256 Hi16_ZMM */

	assert_true(vmx_xcr0_valid(1, avx512));
	assert_true(vmx_xcr0_valid(3, avx512));
	assert_true(vmx_xcr0_valid(7, avx512));
	assert_true(vmx_xcr0_valid(avx512, avx512));
	assert_false(vmx_xcr0_valid(0, avx512));	/* x87 must stay */
	assert_false(vmx_xcr0_valid(5, avx512));	/* AVX without SSE */
	assert_false(vmx_xcr0_valid(0x27, avx512));	/* part of AVX-512 */
	assert_false(vmx_xcr0_valid(0xe3, avx512));	/* AVX-512 without AVX */
	assert_false(vmx_xcr0_valid(0x8 | 3, 0x1f));	/* BNDREGS without BNDCSR */
	assert_true(vmx_xcr0_valid(0x18 | 3, 0x1f));
	assert_false(vmx_xcr0_valid(7, 3));		/* unsupported component */
}

/* Bochs skylake_x and nested KVM values (docs/emulators.md §4, §8) */
static const struct vmx_cr_cfg bochs = {
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x3727ff,
};
static const struct vmx_cr_cfg kvm = {
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x332fff,
};

/* a processor whose FIXED1 allows user interrupts (CR4 bit 25) */
static const struct vmx_cr_cfg kvm_uintr = {
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x2332fff,
};

static void test_cr(void **state)
{
	/* CR0: only NE (and the reserved upper half) belongs to uhv */
	assert_int_equal(vmx_cr0_guest_host_mask(&bochs), 0xffffffff00000020ULL);
	assert_int_equal(vmx_cr0_real(&bochs, CR0_PE | CR0_ET), 0x31);
	assert_int_equal(vmx_cr0_real(&bochs, CR0_ET), 0x30);	/* real mode: PE stays 0 */

	/* CR4: VMXE, SMXE and everything FIXED1 lacks */
	u64 m = vmx_cr4_guest_host_mask(&bochs);
	assert_true(m & CR4_VMXE);
	assert_true(m & CR4_SMXE);
	assert_false(m & CR4_PAE);
	assert_false(m & CR4_OSXSAVE);
	assert_true(m & BIT(23));
	/* nested KVM offers SMAP but no LA57: LA57 becomes uhv's, SMAP stays the guest's */
	assert_false(vmx_cr4_guest_host_mask(&kvm) & CR4_SMAP);
	assert_true(vmx_cr4_guest_host_mask(&kvm) & CR4_LA57);
	assert_false(vmx_cr_caps(&kvm, true, 39).cr4_ok & CR4_LA57);
	assert_int_equal(vmx_cr4_real(&bochs, 0), CR4_VMXE);
	assert_int_equal(vmx_cr4_real(&bochs, CR4_PAE | CR4_PSE), CR4_VMXE | CR4_PAE | CR4_PSE);

}

/* The caps behind the EFER and CR4 checks (the rules: test/unit/test_cr_checks.c). */
static void test_cr_caps(void **state)
{
	struct cr_caps c = vmx_cr_caps(&bochs, true, 40);

	/* CR4: what FIXED1 allows, less VMXE (no nested VMX) and SMXE (GETSEC is #UD) */
	assert_true((c.cr4_ok & (CR4_PAE | CR4_PGE | CR4_OSXSAVE)) == (CR4_PAE | CR4_PGE | CR4_OSXSAVE));
	assert_false(c.cr4_ok & CR4_VMXE);
	assert_false(c.cr4_ok & CR4_SMXE);
	struct cr_caps k = vmx_cr_caps(&kvm_uintr, true, 40);	/* UINTR hidden by CPUID */
	assert_false(k.cr4_ok & CR4_UINTR);
	assert_true(vmx_cr4_guest_host_mask(&kvm_uintr) & CR4_UINTR);
	assert_false(c.cr4_ok & ~bochs.cr4_fixed1);
	/* EFER: SCE, LME, LMA (writes ignored), NXE only with NX */
	assert_int_equal(c.efer_ok, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
	assert_int_equal(vmx_cr_caps(&bochs, false, 40).efer_ok, EFER_SCE | EFER_LME | EFER_LMA);
	assert_int_equal(c.maxphyaddr, 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_bitmap),
		cmocka_unit_test(test_cpuid),
		cmocka_unit_test(test_cr_caps),
		cmocka_unit_test(test_apic_base),
		cmocka_unit_test(test_xcr0),
		cmocka_unit_test(test_cr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
