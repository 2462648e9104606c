/* selftest: boot information, CPUID, MSRs, hypercalls, port I/O, VMX
 * instructions, then paging, the memory walk and the hostile accesses. */
#include "selftest.h"
#include <uhv/mb2.h>

#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_HV		(1U << 31)
#define CR4_VMXE		(1U << 13)
#define MSR_FEATURE_CONTROL	0x3a
#define MSR_SYSENTER_CS		0x174
#define MSR_VMX_FIRST		0x480
#define MSR_VMX_LAST		0x491

#define EXIT_REASON_CPUID	10
#define EXIT_REASON_IO		30
#define EXIT_ALL		0xffffffffu

static void check_boot(void)
{
	test_check("boot-magic", boot.magic == MB2_BOOTLOADER_MAGIC, "EAX 0x%x at entry, want 0x%x",
		   boot.magic, MB2_BOOTLOADER_MAGIC);
	test_check("boot-info", boot.valid && boot.nr_mmap > 0,
		   "multiboot2 information at 0x%x unusable (valid %d, %u memory map entries)",
		   boot.info, boot.valid, boot.nr_mmap);
	for (unsigned i = 0; i < boot.nr_mmap; i++)
		printf("guest: mmap [0x%llx, 0x%llx) type %u\n", boot.mmap[i].base,
		       boot.mmap[i].base + boot.mmap[i].len, boot.mmap[i].type);
	for (unsigned i = 0; i < boot.nr_mods; i++)
		printf("guest: module %u [0x%x, 0x%x) '%s'\n", i, boot.mods[i].start,
		       boot.mods[i].end, boot.mods[i].string);
	if (boot.has_meminfo)
		printf("guest: meminfo lower %u KiB, upper %u KiB\n", boot.mem_lower,
		       boot.mem_upper);
	if (under_uhv) {
		test_check("boot-loader-name", !strncmp(boot.loader_name, "uhv", 4),
			   "boot loader name '%s', want 'uhv'", boot.loader_name);
		/* the image must not be where the information or a module is */
		bool ok = true;
		u32 is = (u32)(uintptr_t)__image_start, ie = (u32)(uintptr_t)__image_end;

		for (unsigned i = 0; i < boot.nr_mods; i++)
			if (boot.mods[i].start < ie && is < boot.mods[i].end)
				ok = false;
		if (boot.info < ie && is < boot.info + boot.info_size)
			ok = false;
		test_check("boot-layout", ok, "modules or information overlap the kernel image");
	} else {
		test_skip("boot-loader-name", NOT_UHV);
		test_skip("boot-layout", NOT_UHV);
	}
}

static void check_cpuid(void)
{
	struct cpuid_r r0 = cpuid(0, 0), r1 = cpuid(1, 0);
	char vendor[13];

	memcpy(vendor, &r0.ebx, 4);
	memcpy(vendor + 4, &r0.edx, 4);
	memcpy(vendor + 8, &r0.ecx, 4);
	vendor[12] = 0;
	printf("guest: cpu vendor '%s', max leaf 0x%x, leaf 1 ecx 0x%x edx 0x%x\n", vendor, r0.eax,
	       r1.ecx, r1.edx);
	test_check("cpuid-basic", r0.eax >= 1, "max basic leaf %u", r0.eax);
	if (!under_uhv) {
		test_skip("cpuid-hypervisor-bit", NOT_UHV);
		test_skip("cpuid-vmx-hidden", NOT_UHV);
		test_skip("cpuid-uhv-leaf", NOT_UHV);
		return;
	}
	test_check("cpuid-hypervisor-bit", r1.ecx & CPUID_1_ECX_HV, "CPUID.1:ECX[31] clear");
	test_check("cpuid-vmx-hidden", !(r1.ecx & CPUID_1_ECX_VMX),
		   "CPUID.1:ECX[5] (VMX) is set: the guest would think it can use VMX");
	struct cpuid_r h = cpuid(UHV_CPUID_LEAF, 0);
	char sig[13];

	memcpy(sig, &h.ebx, 4);
	memcpy(sig + 4, &h.ecx, 4);
	memcpy(sig + 8, &h.edx, 4);
	sig[12] = 0;
	test_check("cpuid-uhv-leaf", h.eax >= UHV_CPUID_LEAF && !memcmp(sig, "uhvuhvuhvuhv", 12),
		   "leaf 0x40000000: max leaf 0x%x, signature '%s'", h.eax, sig);
}

static void check_msr(void)
{
	u64 v, old;
	int vec;

	/* an ordinary MSR: written and read back, natively and under uhv */
	vec = try_rdmsr(MSR_SYSENTER_CS, &old);
	if (vec < 0 && (vec = try_wrmsr(MSR_SYSENTER_CS, 0x1234)) < 0 &&
	    (vec = try_rdmsr(MSR_SYSENTER_CS, &v)) < 0) {
		test_check("msr-sysenter-cs", v == 0x1234, "wrote 0x1234, read 0x%llx", v);
		try_wrmsr(MSR_SYSENTER_CS, old);
	} else {
		test_fail("msr-sysenter-cs", "access faulted with %s", vector_name(vec));
	}

	if (!under_uhv) {
		vec = try_rdmsr(MSR_FEATURE_CONTROL, &v);
		printf("guest: native IA32_FEATURE_CONTROL: %s 0x%llx\n", vector_name(vec), v);
		test_skip("msr-vmx-caps-gp", NOT_UHV);
		test_skip("msr-feature-control", NOT_UHV);
		test_skip("msr-feature-control-write", NOT_UHV);
		return;
	}
	/* the VMX capability MSRs are uhv's business */
	char bad[200] = "";
	size_t n = 0;
	for (u32 msr = MSR_VMX_FIRST; msr <= MSR_VMX_LAST; msr++) {
		vec = try_rdmsr(msr, &v);
		if (vec != VEC_GP && n + 40 < sizeof(bad))
			n += snprintf(bad + n, sizeof(bad) - n, " 0x%x:%s=0x%llx", msr,
				      vector_name(vec), v);
	}
	test_check("msr-vmx-caps-gp", n == 0, "rdmsr did not raise #GP for:%s", bad);

	/* IA32_FEATURE_CONTROL: #GP, or locked with VMX off */
	vec = try_rdmsr(MSR_FEATURE_CONTROL, &old);
	if (vec == VEC_GP)
		test_ok("msr-feature-control");
	else
		test_check("msr-feature-control", vec < 0 && (old & 1) && !(old & 6),
			   "read %s value 0x%llx: want #GP, or locked (bit 0) with VMX enables "
			   "(bits 1, 2) clear", vector_name(vec), old);
	vec = try_wrmsr(MSR_FEATURE_CONTROL, 0x5);
	if (vec == VEC_GP) {
		test_ok("msr-feature-control-write");
	} else {
		int rv = try_rdmsr(MSR_FEATURE_CONTROL, &v);

		test_check("msr-feature-control-write", rv == VEC_GP || !(v & 6),
			   "writing 0x5 did not fault and it now reads 0x%llx (VMX enabled)", v);
	}
}

static void check_hypercalls(void)
{
	static const char msg[] = "guest: (this line came through UHV_HC_CONSOLE_WRITE directly)\n";
	struct hc_result r;
	int ret;

	if (!under_uhv) {
		u32 eax;
		int vec = try_vmcall(UHV_HC_VERSION, &eax);

		if (vec < 0)
			test_skip("hc-native-ud", "VMCALL was handled by some other hypervisor");
		else
			test_check("hc-native-ud", vec == VEC_UD,
				   "VMCALL natively raised %s, want #UD", vector_name(vec));
		test_skip("hypercalls", NOT_UHV);
		return;
	}
	r = hypercall(UHV_HC_VERSION, 0, 0x11111111, 0x22222222, 0);
	test_check("hc-version", r.eax == UHV_HC_ABI_VERSION && r.ebx == UHV_HC_SIGNATURE,
		   "eax 0x%x ebx 0x%x, want 0x%x 0x%x", r.eax, r.ebx, UHV_HC_ABI_VERSION,
		   UHV_HC_SIGNATURE);
	test_check("hc-preserves-regs", r.ecx == 0x11111111 && r.edx == 0x22222222,
		   "ecx 0x%x edx 0x%x changed by UHV_HC_VERSION", r.ecx, r.edx);
	console_flush();
	ret = hc(UHV_HC_CONSOLE_WRITE, (u32)(uintptr_t)msg, sizeof(msg) - 1);
	test_check("hc-console-write", ret == (int)sizeof(msg) - 1, "returned %d, want %u", ret,
		   (unsigned)sizeof(msg) - 1);
	ret = hc(UHV_HC_CONSOLE_WRITE, (u32)(uintptr_t)msg, 4097);
	test_check("hc-console-too-long", ret < 0, "length 4097 returned %d, want an error", ret);
	ret = hc(UHV_HC_CONSOLE_WRITE, 0xfee00000, 16);
	test_check("hc-console-not-ram", ret < 0,
		   "gpa 0xfee00000 (LAPIC) returned %d, want an error", ret);
	ret = hc(UHV_HC_CONSOLE_WRITE, 0xfffffff8, 64);
	test_check("hc-console-wrap", ret < 0, "gpa 0xfffffff8 + 64 returned %d, want an error",
		   ret);
	ret = hc(0x7fff, 0, 0);
	test_check("hc-bad-function", ret == -38, "function 0x7fff returned %d, want -ENOSYS (-38)",
		   ret);

	u32 before = hc(UHV_HC_EXIT_COUNT, EXIT_REASON_CPUID, 0);
	for (int i = 0; i < 5; i++)
		cpuid(0, 0);
	u32 after = hc(UHV_HC_EXIT_COUNT, EXIT_REASON_CPUID, 0);
	test_check("hc-exit-count", after - before == 5, "5 CPUIDs counted as %u exits",
		   after - before);
}

static void check_io(void)
{
	u8 a, b, sec;

	outb(0x70, 0x0a);
	a = inb(0x71);
	outb(0x70, 0x0b);
	b = inb(0x71);
	outb(0x70, 0x00);
	sec = inb(0x71);
	printf("guest: CMOS status A 0x%x B 0x%x seconds 0x%x\n", a, b, sec);
	bool bcd = !(b & 4);
	bool sec_ok = bcd ? (sec < 0x60 && (sec & 0xf) < 10) : sec < 60;
	test_check("io-cmos", a != 0xff && b != 0xff && sec_ok,
		   "RTC registers read A 0x%x B 0x%x seconds 0x%x: no RTC behind ports 0x70/0x71",
		   a, b, sec);

	/* PIT channel 0: latch the count twice; a running PIT changes it */
	u16 c[2];
	for (int i = 0; i < 2; i++) {
		outb(0x43, 0x00);
		c[i] = inb(0x40);
		c[i] |= inb(0x40) << 8;
		for (volatile int d = 0; d < 20000; d++)
			;
	}
	printf("guest: PIT channel 0 counts 0x%x 0x%x\n", c[0], c[1]);
	test_check("io-pit", !(c[0] == 0xffff && c[1] == 0xffff), "PIT reads all ones: no PIT");

	if (!under_uhv) {
		test_skip("io-test-port", NOT_UHV);
		return;
	}
	u32 before = hc(UHV_HC_EXIT_COUNT, EXIT_REASON_IO, 0);
	u32 l = inl(UHV_TEST_PORT);
	u16 w = inw(UHV_TEST_PORT);
	u8 bt = inb(UHV_TEST_PORT);
	u32 after = hc(UHV_HC_EXIT_COUNT, EXIT_REASON_IO, 0);
	test_check("io-test-port", l == 0x75687604 && w == 0x7602 && bt == 0x01,
		   "port 0x510 read l 0x%x w 0x%x b 0x%x, want 0x75687604 0x7602 0x01", l, w, bt);
	test_check("io-test-port-exits", after - before == 3, "3 reads of port 0x510 gave %u exits",
		   after - before);
}

static void check_vmx(void)
{
	u32 cr4 = read_cr4();
	char name[40];

	if (under_uhv) {
		int vec = try_write_cr4(cr4 | CR4_VMXE);
		u32 now = read_cr4();

		if (now & CR4_VMXE)
			write_cr4(cr4);
		test_check("vmx-cr4-vmxe", vec == VEC_GP || !(now & CR4_VMXE),
			   "setting CR4.VMXE gave %s and CR4 now reads 0x%x", vector_name(vec),
			   now);
	} else {
		test_skip("vmx-cr4-vmxe", NOT_UHV);
	}
	/* with CR4.VMXE clear every VMX instruction is #UD, natively too */
	for (int i = 0; i < NR_VMX_INSN; i++) {
		int vec = try_vmx(i);

		snprintf(name, sizeof(name), "vmx-ud-%s", vmx_insn_name[i]);
		test_check(name, vec == VEC_UD, "raised %s, want #UD", vector_name(vec));
	}
}

void guest_main(void)
{
	char attack[16];

	if (prodcheck_requested()) {	/* under uhv's production image */
		check_production();
		return;
	}
	if (cmdline_get("attack", attack, sizeof(attack)) && !strncmp(attack, "ecam-walk", sizeof(attack))) {
		attack_ecam_walk();
		return;
	}
	if (cmdline_get("attack", attack, sizeof(attack)) && !strncmp(attack, "fast-reset", sizeof(attack))) {
		attack_fast_reset();
		return;
	}
	if (cmdline_get("attack", attack, sizeof(attack)) && !strncmp(attack, "park", sizeof(attack))) {
		attack_park();
		return;
	}
	if (cmdline_get("only", attack, sizeof(attack)) && !strncmp(attack, "inject", sizeof(attack))) {
		check_inject();	/* the native comparison (test 29) */
		return;
	}
	check_boot();
	check_cpuid();
	check_msr();
	check_deny_msr();
	check_hypercalls();
	check_io();
	check_vmx();
	check_inject();
	check_paging();
	check_shadow_invlpg();
	check_memwalk();
	check_hostile();
	check_deny_io();
	check_deny_apic();
	check_deny_mmio();
	check_ioapic();
	check_cr_rules();
	check_x2apic();
	if (under_uhv)
		printf("guest: %u VM exits so far\n", hc(UHV_HC_EXIT_COUNT, EXIT_ALL, 0));
}
