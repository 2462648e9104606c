/* VMCALL hypercalls: the ABI is in include/uhv/abi/hypercall.h.
 *
 * UHV_HC_TEST_HOOK is served only by the test variant (vmx/test_hooks.c); in
 * the production image it is an unknown call, -ENOSYS (include/uhv/test_hooks.h). */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/abi/hypercall.h>
#include <uhv/guest.h>
#include <uhv/kmem.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include <uhv/log.h>
#include <uhv/vtd.h>
#include <uhv/vmx_smp.h>
#include <uhv/vm.h>
#include <uhv/test_hooks.h>

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
				log_guest_write(prefix, sizeof(prefix) - 1);
			c->mid_line = true;
		}
		size_t j = i;
		while (j < len && buf[j] != '\n')
			j++;
		if (j < len) {
			j++;
			c->mid_line = false;
		}
		log_guest_write(buf + i, j - i);
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
		log_guest_write("\n", 1);
	pr_info("guest requested shutdown with status %u after %llu exits\n", status,
		vmx_exit_count(~0U));
	bool intact = test_hook_targets_intact();
	/* named for what caught them: with mem=shadow there is no EPT */
	if (v->ept_violations && v->vm->mmu->uses_eptp)
		pr_info("%llu EPT violation(s) during the run\n",
			v->ept_violations);
	else if (v->ept_violations)
		pr_info("%llu guest access(es) outside its memory during the run (caught by shadow "
			"paging, which uses no EPT)\n", v->ept_violations);
	if (vtd_active()) {
		vtd_poll_faults();	/* what happened since the last poll */
		if (vtd_fault_count()) {
			pr_info("%llu VT-d fault(s) during the run\n",
				vtd_fault_count());
			vtd_fault_summary();
		}
	}
	vmx_stop(status == 0 && intact,
		 status == 0 ? "guest shut down, status 0" : "guest shut down with a failure status");
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
#ifdef UHV_TEST_BUILD
	case UHV_HC_TEST_HOOK:
		ret = test_hook(v, a1, a2);
		break;
#endif
	default:
		ret = -ENOSYS;
		break;
	}
	v->gpr[GPR_RAX] = (u32)ret;
	vmx_skip_instruction();
}
