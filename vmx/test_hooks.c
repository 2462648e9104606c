/* The test hooks (include/uhv/test_hooks.h), compiled only into the test
 * variant build/uhv-test.elf: the production image has none of this file.
 *
 * UHV_HC_TEST_HOOK (EBX = hook), for the hostile checks of the test guests:
 *   1  -> EAX 0, EBX:ECX = low:high half of a host-physical address inside
 *         uhv's image (a variable of this file), for the guest to attack;
 *   2  ECX = length (0..15): from now on an EPT violation is reported and
 *         the guest resumes ECX bytes further (0 disarms) -> EAX 0;
 *   3  -> EAX = EPT violations seen so far;
 *   4  -> EAX = size in bytes (8192), EBX:ECX = low:high half of the host-physical
 *         address of a page-aligned area in uhv's image (.bss, two pages) that
 *         holds a fixed pattern, EDX = its checksum now (FNV-1a): the target of
 *         nictest's hostile DMA. Nothing in uhv writes the area after it was
 *         filled, so a changed checksum means a device wrote uhv's memory; the
 *         shutdown hypercall checks it again and fails the run if it changed;
 *   5  -> EAX = VT-d faults uhv has recorded since boot, or -ENODEV when DMA
 *         remapping is not active (then a device's DMA is NOT confined: no
 *         hostile DMA). The hook does not poll the fault registers: the count
 *         grows only by uhv's own periodic poll (VMX-preemption timer, every
 *         console-poll= ms), which prints each new kind of fault;
 *   6  -> EAX = how many other CPUs did INVEPT on request when uhv flushed the
 *         guest's EPT everywhere, as after an EPT change (vmx/vcpus.c), or
 *         -ETIMEDOUT;
 *  32 -> EAX = how many parked CPUs (VMX root, HLT loop, vmx/vcpus.c) took two NMIs sent
 *         to them one after the other, counting each and halting again in between;
 *  33 ECX = CPU index (0: the first parked CPU): that parked CPU raises #MC (int $18) in VMX
 *         root, so the machine-check report and the stop of every CPU (arch/mce.c) can be
 *         tested -> EAX 0 (the run then ends), -ENOENT if it is no parked CPU.
 * Port UHV_TEST_PORT (0x510): always intercepted, IN reads
 * UHV_TEST_PORT_VALUE | access size, OUT is ignored: the cheapest I/O exit,
 * for the exit benchmark (bench/vmx-exits.sh) and the selftest. */
#define LOG_MODULE "vmx"
#include <uhv/test_hooks.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_policy.h>
#include <uhv/abi/hypercall.h>
#include <uhv/options.h>
#include <uhv/kmem.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/vtd.h>
#include <uhv/vmx_smp.h>
#include <uhv/vm.h>
#include <uhv/percpu.h>
#include <uhv/smp.h>
#include <uhv/lapic.h>
#include <uhv/timer.h>

#define DMA_TARGET_SIZE	(2 * PAGE_SIZE)
#define MAX_INSN_LEN	15
#define TARGET_MARK	0x75687621756876ULL	/* what the hostile test must not change */

/* Hook 1's target: lives in uhv's image, never in guest memory. */
static volatile u64 hook_target = TARGET_MARK;

/* Hook 4's DMA target: in uhv's image (.bss), filled on first use, never written again. */
static u8 dma_target[DMA_TARGET_SIZE] __aligned(PAGE_SIZE);
static bool dma_target_filled;
static u32 dma_target_sum0;

static u32 dma_target_sum(void)
{
	u32 h = 0x811c9dc5;		/* FNV-1a */

	for (size_t i = 0; i < DMA_TARGET_SIZE; i++)
		h = (h ^ ((volatile u8 *)dma_target)[i]) * 0x01000193;
	return h;
}

bool test_hook_targets_intact(void)
{
	bool ok = true;

	if (hook_target != TARGET_MARK) {
		pr_err("the test hook's target in uhv's image was changed to %#llx: "
		       "the guest wrote uhv's memory\n", hook_target);
		ok = false;
	}
	if (dma_target_filled) {
		u32 sum = dma_target_sum();
		if (sum != dma_target_sum0) {
			pr_err("the DMA target in uhv's image at %#llx changed (checksum %#x, was "
			       "%#x): a device wrote uhv's memory\n", virt_to_phys(dma_target), sum,
			       dma_target_sum0);
			ok = false;
		}
	}
	return ok;
}

/* hook 4: the area, filled with its pattern on first use */
static s64 dma_target_hook(struct vcpu *v)
{
	if (!dma_target_filled) {
		for (size_t i = 0; i < DMA_TARGET_SIZE; i++)
			dma_target[i] = (u8)((i * 0x9d) ^ (i >> 8) ^ 0xa5);
		dma_target_sum0 = dma_target_sum();
		dma_target_filled = true;
		pr_info("test hook: DMA target for the guest: [%#llx-%#llx) in uhv's image, "
			"checksum %#x\n", virt_to_phys(dma_target),
			(virt_to_phys(dma_target) + DMA_TARGET_SIZE), dma_target_sum0);
	}
	paddr_t pa = virt_to_phys(dma_target);
	v->gpr[GPR_RBX] = (u32)pa;
	v->gpr[GPR_RCX] = (u32)(pa >> 32);
	v->gpr[GPR_RDX] = dma_target_sum();
	return DMA_TARGET_SIZE;
}

/* ---- hooks 32 and 33: parked CPUs ---- */

#define PARK_NMI_US	100000		/* a parked CPU to count an NMI and halt again */

static volatile u64 park_mc_request;	/* CPU mask: raise #MC in the HLT loop (hook 33) */

static struct vcpu *parked_vcpu(unsigned c)
{
	struct percpu *pc = cpu_get(c);

	return pc && pc->state == CPU_PARKED ? pc->vmx : NULL;
}

struct park_wait {
	unsigned cpu;
	u64 nmis, wakeups;	/* what to reach */
};

static bool park_counted(void *ctx)
{
	const struct park_wait *w = ctx;
	const struct vcpu *v = parked_vcpu(w->cpu);

	return !v || (cpu_get(w->cpu)->nmis_ignored >= w->nmis && v->park_wakeups >= w->wakeups);
}

/* Two NMIs, one after the other: the CPU counts each and wakes from HLT once for each. Exactly
 * one wake-up per NMI shows it halted again in between (a CPU spinning in the loop would count
 * wake-ups without end). */
static bool park_nmi_one(unsigned c, struct vcpu *v)
{
	struct percpu *pc = cpu_get(c);
	u64 n0 = pc->nmis_ignored, w0 = v->park_wakeups;

	for (unsigned round = 1; round <= 2; round++) {
		struct park_wait w = { c, n0 + round, w0 + round };

		if (lapic_send_nmi(v->apic_id) < 0 || wait_until(park_counted, &w, PARK_NMI_US) < 0)
			break;
	}
	udelay(1000);	/* time for a CPU that did not halt again to count more */
	u64 dn = pc->nmis_ignored - n0, dw = v->park_wakeups - w0;
	bool ok = pc->state == CPU_PARKED && dn == 2 && dw == 2;

	pr_info("test hook: parked CPU %u (APIC ID %u): 2 NMIs sent, %llu counted, %llu HLT "
		"wake-up(s), CR4 %#llx: %s\n", c, v->apic_id, dn, dw, v->park_cr4,
		ok ? "halted again after each" : "NOT as expected");
	return ok;
}

static s64 park_nmi_hook(void)
{
	unsigned ok = 0;

	for (unsigned c = 1; c < smp_cpu_slots(); c++) {
		struct vcpu *v = parked_vcpu(c);
		if (v)
			ok += park_nmi_one(c, v);
	}
	return ok;
}

static s64 park_mc_hook(u32 cpu)
{
	for (unsigned c = 1; !cpu && c < smp_cpu_slots(); c++)
		if (parked_vcpu(c))
			cpu = c;
	struct vcpu *v = cpu < smp_cpu_slots() ? parked_vcpu(cpu) : NULL;

	if (!v)
		return -ENOENT;
	__atomic_or_fetch(&park_mc_request, BIT(cpu), __ATOMIC_SEQ_CST);
	lapic_send_nmi(v->apic_id);	/* out of HLT; the loop then sees the request */
	return 0;
}

void test_hook_parked(struct vcpu *v)
{
	if (!(__atomic_load_n(&park_mc_request, __ATOMIC_SEQ_CST) & BIT(v->cpu)))
		return;
	pr_info("test hook: raising #MC (int $18) in VMX root on parked CPU %u (APIC ID %u)\n",
		v->cpu, v->apic_id);
	asm volatile("int $18" ::: "memory");
}

s64 test_hook(struct vcpu *v, u32 hook, u32 arg)
{
	switch (hook) {
	case UHV_HOOK_UHV_ADDR: {
		paddr_t pa = virt_to_phys((const void *)&hook_target);
		v->gpr[GPR_RBX] = (u32)pa;
		v->gpr[GPR_RCX] = (u32)(pa >> 32);
		return 0;
	}
	case UHV_HOOK_EPT_SKIP:
		if (arg > MAX_INSN_LEN)
			return -EINVAL;
		v->ept_skip_len = arg;
		return 0;
	case UHV_HOOK_EPT_COUNT:
		return (u32)v->ept_violations;
	case UHV_HOOK_DMA_TARGET:
		return dma_target_hook(v);
	case UHV_HOOK_VTD_FAULTS:
		if (!vtd_active())
			return -ENODEV;
		return (u32)vtd_fault_count();
	case UHV_HOOK_PARK_NMI:
		return park_nmi_hook();
	case UHV_HOOK_PARK_MC:
		return park_mc_hook(arg);
	case UHV_HOOK_EPT_FLUSH: {
		int n = vmx_smp_flush_ept(v->vm);
		pr_info("test hook: EPT flushed on CPU %u and, on request, on %d other CPU(s)\n",
			v->cpu, n);
		return n;
	}
	default:
		return -EINVAL;
	}
}

bool test_hook_io(struct vcpu *v, u64 q)
{
	if (IO_QUAL_PORT(q) != UHV_TEST_PORT)
		return false;
	if (q & IO_QUAL_IN) {
		unsigned size = IO_QUAL_SIZE(q);
		u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;
		u64 val = (UHV_TEST_PORT_VALUE | size) & mask;

		/* IN EAX zeroes RAX's upper half; AL and AX leave the rest alone */
		v->gpr[GPR_RAX] = size == 4 ? val : (v->gpr[GPR_RAX] & ~mask) | val;
	}
	vmx_skip_instruction();
	return true;
}

bool test_hook_ept_skip(struct vcpu *v, u32 idt)
{
	/* the exit gives no instruction length for EPT violations: the guest told
	 * us; never while an event was being delivered (no instruction to skip) */
	if (!v->ept_skip_len || (idt & INTR_INFO_VALID))
		return false;
	vmx_complete_instruction(vmread(VMCS_GUEST_RIP) + v->ept_skip_len);
	return true;
}

void test_hook_break_vmentry(const struct uhv_options *o)
{
	/* so that tests see what a failed VM entry reports */
	if (o->panic_test == UHV_PANIC_VMENTRY_GUEST) {
		pr_info("panic-test: making the guest TR unusable before VMLAUNCH\n");
		vmwrite(VMCS_GUEST_TR_ACCESS_RIGHTS, 0x10000);
	} else if (o->panic_test == UHV_PANIC_VMENTRY_CTL) {
		pr_info("panic-test: setting a reserved pin-based control before VMLAUNCH\n");
		vmwrite(VMCS_PIN_BASED_VM_EXEC_CONTROLS, vmx.pin | BIT(31));	/* reserved: must be 0 */
	}
}
