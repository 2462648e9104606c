/* VMCALL hypercalls: the ABI is in include/uhv/abi/hypercall.h.
 *
 * Test hooks (UHV_HC_TEST_HOOK, EBX = hook), for the hostile checks of the
 * selftest guest:
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
 *         -ETIMEDOUT. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/abi/hypercall.h>
#include <uhv/guest.h>
#include <uhv/kmem.h>
#include <uhv/uart.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include <uhv/log.h>
#include <uhv/vtd.h>
#include <uhv/vmx_smp.h>
#include <uhv/vm.h>

#define HOOK_UHV_ADDR	1
#define HOOK_EPT_SKIP	2
#define HOOK_EPT_COUNT	3
#define HOOK_DMA_TARGET	UHV_HOOK_DMA_TARGET
#define HOOK_VTD_FAULTS	UHV_HOOK_VTD_FAULTS
#define DMA_TARGET_SIZE	(2 * PAGE_SIZE)
#define MAX_INSN_LEN	15
#define TARGET_MARK	0x75687621756876ULL	/* what the hostile test must not change */

/* The hostile test's target: lives in uhv's image, never in guest memory. */
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

/* true while the area still holds what was put there */
static bool dma_target_intact(void)
{
	if (!dma_target_filled)
		return true;
	u32 sum = dma_target_sum();
	if (sum == dma_target_sum0)
		return true;
	pr_err("the DMA target in uhv's image at %#llx changed (checksum %#x, was %#x): a device "
	       "wrote uhv's memory\n", virt_to_phys(dma_target), sum,
	       dma_target_sum0);
	return false;
}

/* Guest output is line-based; uhv prefixes each line with "guest: " unless
 * the guest already did (the test guests print identical lines natively and
 * under uhv). State across calls (in the vm) because a line may come in pieces.
 * Caller holds c->lock. */
static void console_out(struct vm_console *c, const char *buf, size_t len)
{
	static const char prefix[] = "guest: ";
	size_t i = 0;

	while (i < len) {
		if (!c->mid_line) {
			if (len - i < sizeof(prefix) - 1 || memcmp(buf + i, prefix, sizeof(prefix) - 1))
				uart_write(prefix, sizeof(prefix) - 1);
			c->mid_line = true;
		}
		size_t j = i;
		while (j < len && buf[j] != '\n')
			j++;
		if (j < len) {
			j++;
			c->mid_line = false;
		}
		uart_write(buf + i, j - i);
		i = j;
	}
}

static s64 console_write(struct vcpu *v, u64 gpa, u64 len)
{
	struct vm_console *con = &v->vm->console;
	char *buf = con->buf;
	s64 ret = (s64)len;

	if (len > VM_CONSOLE_MAX)
		return -E2BIG;
	vmx_lock(&con->lock);	/* every vCPU may write: one buffer, one line state */
	/* guest RAM only: never uhv's memory, MMIO or firmware ranges */
	if (guest_read(&v->vm->guest, gpa, buf, len) < 0) {
		ret = -EFAULT;
		goto out;
	}
	for (u64 i = 0; i < len; i++) {
		unsigned char c = buf[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f)
			buf[i] = '.';	/* no terminal control from the guest */
	}
	console_out(con, buf, len);
out:
	vmx_unlock(&con->lock);
	return ret;
}

static __noreturn void shutdown(struct vcpu *v, u32 status)
{
	if (v->vm->console.mid_line)
		uart_write("\n", 1);
	pr_info("guest requested shutdown with status %u after %llu exits\n", status,
		vmx_exit_count(~0U));
	if (hook_target != TARGET_MARK)
		pr_err("the test hook's target in uhv's image was changed to %#llx: "
		       "the guest wrote uhv's memory\n", hook_target);
	bool intact = dma_target_intact();
	if (v->ept_violations)
		pr_info("%llu EPT violation(s) during the run\n",
			v->ept_violations);
	if (vtd_active()) {
		vtd_poll_faults();	/* what happened since the last poll */
		if (vtd_fault_count()) {
			pr_info("%llu VT-d fault(s) during the run\n",
				vtd_fault_count());
			vtd_fault_summary();
		}
	}
	vmx_stop(status == 0 && hook_target == TARGET_MARK && intact,
		 status == 0 ? "guest shut down, status 0" : "guest shut down with a failure status");
}

static s64 test_hook(struct vcpu *v, u32 hook, u32 arg)
{
	switch (hook) {
	case HOOK_UHV_ADDR: {
		paddr_t pa = virt_to_phys((const void *)&hook_target);
		v->gpr[GPR_RBX] = (u32)pa;
		v->gpr[GPR_RCX] = (u32)(pa >> 32);
		return 0;
	}
	case HOOK_EPT_SKIP:
		if (arg > MAX_INSN_LEN)
			return -EINVAL;
		v->ept_skip_len = arg;
		return 0;
	case HOOK_EPT_COUNT:
		return (u32)v->ept_violations;
	case HOOK_DMA_TARGET: {
		if (!dma_target_filled) {
			for (size_t i = 0; i < DMA_TARGET_SIZE; i++)
				dma_target[i] = (u8)((i * 0x9d) ^ (i >> 8) ^ 0xa5);
			dma_target_sum0 = dma_target_sum();
			dma_target_filled = true;
			pr_info("test hook: DMA target for the guest: [%#llx-%#llx) in uhv's image, "
				"checksum %#x\n", virt_to_phys(dma_target),
				(virt_to_phys(dma_target) + DMA_TARGET_SIZE),
				dma_target_sum0);
		}
		paddr_t pa = virt_to_phys(dma_target);
		v->gpr[GPR_RBX] = (u32)pa;
		v->gpr[GPR_RCX] = (u32)(pa >> 32);
		v->gpr[GPR_RDX] = dma_target_sum();
		return DMA_TARGET_SIZE;
	}
	case HOOK_VTD_FAULTS:
		if (!vtd_active())
			return -ENODEV;
		return (u32)vtd_fault_count();
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

void vmx_handle_vmcall(struct vcpu *v)
{
	u32 fn = (u32)v->gpr[GPR_RAX];
	u32 a1 = (u32)v->gpr[GPR_RBX], a2 = (u32)v->gpr[GPR_RCX];
	s64 ret;

	/* VMCALL always exits; at CPL > 0 it is not for the guest's apps */
	if ((vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3) {
		vmx_inject_exception(VEC_UD, false, 0);
		return;
	}
	switch (fn) {
	case UHV_HC_VERSION:
		v->gpr[GPR_RBX] = UHV_HC_SIGNATURE;
		ret = UHV_HC_ABI_VERSION;
		break;
	case UHV_HC_CONSOLE_WRITE:
		ret = console_write(v, a1, a2);
		break;
	case UHV_HC_SHUTDOWN:
		shutdown(v, a1);
	case UHV_HC_EXIT_COUNT:
		ret = (u32)vmx_exit_count(a1);
		break;
	case UHV_HC_TEST_HOOK:
		ret = test_hook(v, a1, a2);
		break;
	default:
		ret = -ENOSYS;
		break;
	}
	v->gpr[GPR_RAX] = (u32)ret;
	vmx_skip_instruction();
}
