/* Emulating a guest access to guest-physical space uhv does not map (see <uhv/mmio_emul.h>):
 * the instruction at RIP, decoded and carried out against a callback; and the one callback
 * every unassigned byte gets (reads all-ones, writes dropped). */
#define LOG_MODULE "vmx"
#include <uhv/mmio_emul.h>
#include <uhv/mmio_decode.h>
#include <uhv/mmio_policy.h>
#include <uhv/vm.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_smp.h>
#include <uhv/gwalk.h>
#include <uhv/guest.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/format.h>

static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	return guest_read(ctx, gpa, buf, len);
}

/* The guest's own paging state: the VMCS holds it with EPT; with shadow paging the VMCS holds
 * uhv's shadow root and the guest's view is the shadow MMU's. */
static void guest_paging(struct vcpu *v, struct gwalk_mode *m)
{
	if (!v->vm->mmu->uses_eptp) {
		*m = v->vm->shadow.sh.mode;
		return;
	}
	*m = (struct gwalk_mode){
		.cr0 = vmread(VMCS_GUEST_CR0), .cr3 = vmread(VMCS_GUEST_CR3),
		.cr4 = vmread(VMCS_GUEST_CR4), .efer = vmread(VMCS_GUEST_IA32_EFER),
		.maxphyaddr = (u8)vmx.phys_bits, .pdpe1gb = true,
	};
	for (unsigned i = 0; i < 4; i++)
		m->pdpte[i] = vmread(VMCS_GUEST_PDPTE0 + 2 * i);
}

static enum mmio_cpu_mode guest_code_mode(const struct gwalk_mode *m)
{
	u64 ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);

	/* real mode, or virtual-8086 mode (RFLAGS.VM, bit 17) */
	if (!(m->cr0 & CR0_PE) || (vmread(VMCS_GUEST_RFLAGS) & BIT(17)))
		return MMIO_MODE_16;
	if ((m->efer & EFER_LMA) && (ar & VMX_AR_L))
		return MMIO_MODE_64;
	return (ar & VMX_AR_DB) ? MMIO_MODE_32 : MMIO_MODE_16;
}

/* Up to MMIO_INSN_MAX bytes at CS:RIP through the guest's own page tables; returns how many
 * could be read (the decoder says whether they are enough) or a negative errno. */
static int fetch_insn(struct vcpu *v, const struct gwalk_mode *m, enum mmio_cpu_mode mode,
		      u8 *buf)
{
	struct gwalk_ops ops = { .read_gpa = read_gpa, .ctx = &v->vm->guest };
	u64 la = vmread(VMCS_GUEST_RIP);
	unsigned access = GWALK_FETCH | GWALK_NO_AD;
	int n = 0;

	if (mode != MMIO_MODE_64)
		la = (u32)(la + vmread(VMCS_GUEST_CS_BASE));
	if (((vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3) == 3)
		access |= GWALK_USER;
	while (n < MMIO_INSN_MAX) {
		struct gwalk_result r;
		int err = gwalk(&ops, m, la + n, access, &r);
		if (err < 0)
			return n ? n : err;
		unsigned chunk = MIN((u64)(MMIO_INSN_MAX - n), PAGE_SIZE - ((la + n) & 0xfff));
		if (guest_read(&v->vm->guest, r.gpa, buf + n, chunk) < 0)
			return n ? n : -EFAULT;
		n += chunk;
	}
	return n;
}

static u64 gpr_get(struct vcpu *v, unsigned r)
{
	return r == GPR_RSP ? vmread(VMCS_GUEST_RSP) : v->gpr[r];
}

static void gpr_set(struct vcpu *v, unsigned r, u64 val)
{
	if (r == GPR_RSP)
		vmwrite(VMCS_GUEST_RSP, val);
	else
		v->gpr[r] = val;
}

static void report_insn(const char *what, const char *why, const u8 *code, int n, u64 gpa)
{
	char hex[3 * MMIO_INSN_MAX + 1];
	int o = 0;

	hex[0] = 0;
	for (int i = 0; i < n && i < MMIO_INSN_MAX; i++)
		o += ksnprintf(hex + o, sizeof(hex) - o, "%02x ", code[i]);
	pr_err("%s access at %#llx from RIP %#llx: %s (instruction bytes: %s)\n", what, gpa,
	       vmread(VMCS_GUEST_RIP), why, n > 0 ? hex : "unreadable");
}

/* RIP past the instruction (wrapping at 4 GiB outside 64-bit mode); the rest of what completing
 * it does is vmx_complete_instruction's. */
static void skip_insn(enum mmio_cpu_mode mode, unsigned len)
{
	u64 rip = vmread(VMCS_GUEST_RIP) + len;

	vmx_complete_instruction(mode == MMIO_MODE_64 ? rip : (u32)rip);
}

int mmio_emulate(struct vcpu *v, u64 gpa, u64 q, const char *what, mmio_emul_fn fn, void *ctx)
{
	const char *refused = mmio_emul_refusal(q, (u32)vmread(VMCS_IDT_VECTORING_INFO));
	struct gwalk_mode m;
	struct mmio_insn in;
	u8 code[MMIO_INSN_MAX];

	if (refused) {
		report_insn(what, refused, code, 0, gpa);
		return -EOPNOTSUPP;
	}
	guest_paging(v, &m);
	enum mmio_cpu_mode mode = guest_code_mode(&m);
	int n = fetch_insn(v, &m, mode, code);
	if (n < 0) {
		report_insn(what, "the instruction cannot be read through the guest's page tables",
			    code, 0, gpa);
		return n;
	}
	int err = mmio_decode(code, (size_t)n, mode, &in);
	if (err < 0) {
		report_insn(what, "not a MOV uhv can emulate", code, n, gpa);
		return err;
	}
	if (in.write != !!(q & EPT_VIOL_WRITE)) {
		report_insn(what, "the decoded direction disagrees with the exit", code, n, gpa);
		return -EINVAL;
	}
	u64 data = in.write ? mmio_store_value(&in, gpr_get(v, in.reg)) : 0;
	err = fn(ctx, v, gpa, in.size, in.write, &data);
	if (err < 0)
		return err;
	if (!in.write)
		gpr_set(v, in.reg, mmio_load_result(&in, gpr_get(v, in.reg), data));
	skip_insn(mode, in.len);
	return 0;
}

/* ---- unassigned space ---- */

/* What bare metal gives where no device decodes the address: the read completes with all ones
 * (master abort), the write goes nowhere. */
static int unassigned_rw(void *ctx, struct vcpu *v, u64 gpa, unsigned size, bool write,
			 u64 *val)
{
	if (!write)
		*val = ~0ULL;
	return 0;
}

/* One line per unassigned range (not per access): a driver polling a register would flood the
 * console. */
static void report_once(struct vm *vm, u64 gpa, u64 q)
{
	struct vm_mmio *m = &vm->mmio;
	u64 lo, hi;
	bool report = true, full = false;

	mmio_policy_gap(&m->policy, &vm->guest, gpa, &lo, &hi);
	vmx_lock(&vm->emul_lock);
	for (unsigned i = 0; i < m->nreported && report; i++)
		report = m->reported[i] != lo;
	if (report && m->nreported < VM_MMIO_REPORTED)
		m->reported[m->nreported++] = lo;
	else if (report && !m->reported_full)
		full = m->reported_full = true;
	else
		report = false;
	vmx_unlock(&vm->emul_lock);
	if (full)
		pr_warn("MMIO: more than %u unassigned ranges touched: further ones are counted, "
			"not named\n", VM_MMIO_REPORTED);
	else if (report)
		pr_warn("MMIO: guest %s of unassigned guest-physical %#llx at RIP %#llx: no rule "
			"names [%#llx-%#llx); reads all-ones, writes dropped (reported once per "
			"range)\n", (q & EPT_VIOL_WRITE) ? "write" : "read", gpa,
			vmread(VMCS_GUEST_RIP), lo, hi);
}

void vmx_mmio_unassigned(struct vcpu *v, u64 gpa, u64 q)
{
	vm_deny_count(&v->vm->denied.mmio_unassigned);
	report_once(v->vm, gpa, q);
	if (mmio_emulate(v, gpa, q, "unassigned space", unassigned_rw, NULL) < 0) {
		vmx_report_exit(v, "access to unassigned guest-physical space");
		vmx_stop(false, "an access to unassigned space could not be emulated");
	}
}
