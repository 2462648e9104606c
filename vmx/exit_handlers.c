/* Exit handlers: CPUID, MSRs, control registers, XSETBV, port I/O, VMX
 * instructions, INVD, HLT, INIT, triple fault, EPT violations. The policy
 * behind them is in vmx/vmx_policy.c and docs/vmx.md; VMCALL is in
 * vmx/hypercall.c. */
#define LOG_MODULE "vmx"
#include <uhv/platform.h>
#include <uhv/vmx_smp.h>
#include <uhv/vmx_exit.h>
#include <uhv/cpu.h>
#include <uhv/io.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/vmx_trap.h>
#include <uhv/io_policy.h>
#include <uhv/vm.h>
#include <uhv/test_hooks.h>
#include <uhv/mmio_emul.h>

/* ---- CPUID: the hot path, kept short ---- */

/* The leaves uhv changes: out of line, so the common case stays short. */
static __attribute__((noinline)) void cpuid_adjust(struct vcpu *v, u32 leaf, u32 sub)
{
	u32 r[4] = { (u32)v->gpr[GPR_RAX], (u32)v->gpr[GPR_RBX], (u32)v->gpr[GPR_RCX],
		     (u32)v->gpr[GPR_RDX] };
	struct vmx_cpuid_cfg cfg = v->vm->cpuid;	/* a copy: guest_cr4 is this vCPU's */

	if (vmx_cpuid_needs_cr4(leaf))
		cfg.guest_cr4 = vmread(VMCS_GUEST_CR4);
	vmx_cpuid_adjust(leaf, sub, r, &cfg);
	v->gpr[GPR_RAX] = r[0];
	v->gpr[GPR_RBX] = r[1];
	v->gpr[GPR_RCX] = r[2];
	v->gpr[GPR_RDX] = r[3];
}

void vmx_handle_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->gpr[GPR_RAX], sub = (u32)v->gpr[GPR_RCX];
	u32 a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
	v->gpr[GPR_RAX] = a;	/* CPUID zeroes the upper halves in 64-bit mode */
	v->gpr[GPR_RBX] = b;
	v->gpr[GPR_RCX] = c;
	v->gpr[GPR_RDX] = d;
	if (__builtin_expect(vmx_cpuid_leaf_adjusted(leaf), 0))
		cpuid_adjust(v, leaf, sub);
	vmx_skip_instruction();
}

/* ---- MSRs: vmx/msr_exits.c ---- */

/* ---- CR0 / CR4 (EPT mode; mem=shadow has its own, vmx/shadow_exits.c) ---- */

/* PAE paging outside long mode: VM entry takes the PDPTEs from the VMCS
 * (SDM 27.3.2.4 with EPT), so a CR0/CR4 write uhv performs for the guest must
 * load them from guest memory, as the CPU would. false: #GP. */
static bool load_pdptes(struct vcpu *v)
{
	u64 cr3 = vmread(VMCS_GUEST_CR3) & 0xffffffe0ULL;
	const u64 *p = guest_ptr(&v->vm->guest, cr3, 32);

	if (!p)
		return false;
	for (unsigned i = 0; i < 4; i++) {
		/* present entries: bits 2:1, 8:5 and above MAXPHYADDR are reserved */
		if ((p[i] & 1) && (p[i] & (0x1e6ULL | ~(BIT(vmx.phys_bits) - 1))))
			return false;
	}
	for (unsigned i = 0; i < 4; i++)
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, p[i]);
	return true;
}

static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

/* Translations the guest expects gone after this write are tagged with our
 * VPID; without VPID every VM entry flushes anyway. */
static void flush_guest_tlb(const struct vm *vm)
{
	if (!vm->vpid)
		return;
	if (vmx.caps.ept_vpid & VMX_VPID_INVVPID_SINGLE_CONTEXT)
		invvpid(INVVPID_SINGLE_CONTEXT, vm->vpid, 0);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
}

/* The read shadows are right for the bits uhv owns only: a MOV that changes none of them does
 * not exit, so the guest's view of the others is the real register. */
static u64 cr_view(u32 real_field, u32 shadow_field, u32 mask_field)
{
	u64 mask = vmread(mask_field);

	return (vmread(real_field) & ~mask) | (vmread(shadow_field) & mask);
}

/* The guest's registers for the checks of <uhv/cr_checks.h>. */
static struct cr_state cr_state_now(void)
{
	return (struct cr_state){
		.cr0 = cr_view(VMCS_GUEST_CR0, VMCS_CR0_READ_SHADOW, VMCS_CR0_GUEST_HOST_MASK),
		.cr4 = cr_view(VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW, VMCS_CR4_GUEST_HOST_MASK),
		.cr3 = vmread(VMCS_GUEST_CR3), .efer = vmread(VMCS_GUEST_IA32_EFER),
		.cs_l = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS) & VMX_AR_L,
	};
}

static bool guest_write_cr0(struct vcpu *v, u64 val)
{
	struct cr_state s = cr_state_now();
	u64 old = s.cr0, efer = s.efer, new_efer = efer & ~(u64)EFER_LMA;
	u32 entry = (u32)vmread(VMCS_VM_ENTRY_CONTROLS), new_entry = entry;

	if (cr0_write_check(&s, &vmx.cr_caps, val) != CR_OK)
		return false;
	val = cr0_written(val);
	if (cr0_lma_after(&s, val)) {
		new_efer |= EFER_LMA;
		new_entry |= VM_ENTRY_IA32E_MODE;
	} else {
		new_entry &= ~(u32)VM_ENTRY_IA32E_MODE;
	}
	if (pae_paging(val, s.cr4, new_efer) && !pae_paging(old, s.cr4, efer) && !load_pdptes(v))
		return false;
	vmwrite(VMCS_CR0_READ_SHADOW, val);
	vmwrite(VMCS_GUEST_CR0, vmx_cr0_real(&vmx.cr, val));
	if (new_efer != efer)
		vmwrite(VMCS_GUEST_IA32_EFER, new_efer);
	if (new_entry != entry)
		vmwrite(VMCS_VM_ENTRY_CONTROLS, new_entry);
	flush_guest_tlb(v->vm);
	return true;
}

static bool guest_write_cr4(struct vcpu *v, u64 val)
{
	struct cr_state s = cr_state_now();
	u64 old = s.cr4;

	if (cr4_write_check(&s, &vmx.cr_caps, val) != CR_OK)
		return false;
	if (pae_paging(s.cr0, val, s.efer) &&
	    ((val ^ old) & (CR4_PAE | CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP)) && !load_pdptes(v))
		return false;
	vmwrite(VMCS_CR4_READ_SHADOW, val);
	vmwrite(VMCS_GUEST_CR4, vmx_cr4_real(&vmx.cr, val));
	flush_guest_tlb(v->vm);
	return true;
}

/* The exit: CR0/CR3/CR4 belong to the memory-virtualization mode (<uhv/vm_mmu.h>). */
void vmx_handle_cr_access(struct vcpu *v)
{
	v->vm->mmu->cr_access(v);
}

void vmx_ept_cr_access(struct vcpu *v)
{
	u64 q = vmread(VMCS_EXIT_QUALIFICATION);
	unsigned cr = CR_QUAL_CR_NUM(q);
	u64 shadow0 = cr_view(VMCS_GUEST_CR0, VMCS_CR0_READ_SHADOW, VMCS_CR0_GUEST_HOST_MASK);
	u64 val;
	bool ok;

	switch (CR_QUAL_ACCESS_TYPE(q)) {
	case CR_ACCESS_MOV_TO_CR: {
		unsigned gpr = CR_QUAL_GPR(q);
		val = gpr == GPR_RSP ? vmread(VMCS_GUEST_RSP) : v->gpr[gpr];
		if (!(vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA))
			val = (u32)val;
		break;
	}
	case CR_ACCESS_CLTS:
		val = shadow0 & ~(u64)CR0_TS;
		break;
	case CR_ACCESS_LMSW:
		/* LMSW writes MP, EM, TS and can set PE but not clear it */
		val = (shadow0 & ~0xeULL) | (CR_QUAL_LMSW_DATA(q) & 0xf) | (shadow0 & CR0_PE);
		break;
	default:	/* MOV from CR: CR3/CR8 store exiting is off */
		vmx_handle_unhandled(v);
		return;
	}
	if (cr == 0) {
		ok = guest_write_cr0(v, val);
	} else if (cr == 4) {
		ok = guest_write_cr4(v, val);
	} else {
		vmx_handle_unhandled(v);
		return;
	}
	if (!ok) {
		vmx_inject_exception(VEC_GP, true, 0);
		return;
	}
	vmx_skip_instruction();
}

/* ---- XSETBV ---- */

static unsigned guest_cpl(void)
{
	return (vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3;
}

void vmx_handle_xsetbv(struct vcpu *v)
{
	u64 val = (v->gpr[GPR_RDX] << 32) | (u32)v->gpr[GPR_RAX];

	if (!(vmread(VMCS_GUEST_CR4) & CR4_OSXSAVE)) {
		vmx_inject_exception(VEC_UD, false, 0);
		return;
	}
	if (guest_cpl() != 0 || (u32)v->gpr[GPR_RCX] != 0 ||
	    !vmx_xcr0_valid(val, vmx.xcr0_supported)) {
		vmx_inject_exception(VEC_GP, true, 0);
		return;
	}
	/* XCR0 is not switched: uhv uses no extended state, so the guest's
	 * value simply stays loaded. */
	asm volatile("xsetbv" : : "c"(0), "a"((u32)val), "d"((u32)(val >> 32)) : "memory");
	vmx_skip_instruction();
}

/* ---- port I/O ---- */

static void set_rax_sized(struct vcpu *v, unsigned size, u32 val)
{
	u64 *rax = &v->gpr[GPR_RAX];

	if (size == 1)
		*rax = (*rax & ~0xffULL) | (val & 0xff);
	else if (size == 2)
		*rax = (*rax & ~0xffffULL) | (val & 0xffff);
	else
		*rax = val;	/* 32-bit operations zero the upper half */
}

/* A byte of an access that spans rules of different kinds: through its own rule. A native
 * byte is carried out as a byte (only its rule says the guest may reach that port); a trapped
 * one goes to its handler as a one-byte access; an unassigned one reads 0xff and is dropped.
 * Returns < 0 when a handler failed, else whether the byte was unassigned. */
static int io_byte(struct vm *vm, const struct io_rule *r, u16 port, bool in, u8 *b,
		   const struct vmx_io_trap **failed)
{
	const struct vmx_io_trap *t = r && r->t != IO_NATIVE ? vmx_trap_io_find(vm, port) : NULL;

	if (t) {
		u32 val = *b;
		int ret = t->fn(t->ctx, port, 1, in, &val);
		if (ret < 0)
			*failed = t;
		*b = (u8)val;
		return ret < 0 ? ret : 0;
	}
	if (!r || r->t != IO_NATIVE) {	/* unassigned (or a rule without handler: refused) */
		*b = 0xff;
		return 1;
	}
	if (in)
		*b = inb(port);
	else
		outb(port, *b);
	return 0;
}

/* An access not wholly inside one trap: byte by byte, each through its own rule (issue 14: an
 * access overlapping a trapped port is never carried out natively). Under emul_lock. */
static int io_by_byte(struct vcpu *v, u16 port, unsigned size, bool in, u32 *val,
		      const struct vmx_io_trap **failed)
{
	const struct io_rule *r[4];
	bool unassigned = false;
	u32 out = 0;

	io_policy_bytes(&v->vm->io, port, size, r);
	for (unsigned i = 0; i < size; i++) {
		u16 p = (u16)(port + i);	/* past 0xffff: on at port 0 (SDM: FFFFH, 0000H) */
		u8 b = (u8)(*val >> (8 * i));
		int ret = io_byte(v->vm, r[i], p, in, &b, failed);

		if (ret < 0)
			return ret;
		if (ret > 0 && !unassigned) {
			unassigned = true;
			vm_io_unassigned(v->vm, p, size, in);
		}
		out |= (u32)b << (8 * i);
	}
	if (unassigned)
		vm_deny_count(&v->vm->denied.io_unassigned);
	*val = out;
	return 0;
}

void vmx_handle_io(struct vcpu *v)
{
	u64 q = vmread(VMCS_EXIT_QUALIFICATION);
	u16 port = IO_QUAL_PORT(q);
	unsigned size = IO_QUAL_SIZE(q);
	u32 val = (u32)v->gpr[GPR_RAX];
	bool in = q & IO_QUAL_IN;

	if (q & (IO_QUAL_STRING | IO_QUAL_REP)) {
		vmx_report_exit(v, "string I/O on a port uhv intercepts is not emulated");
		vmx_stop(false, "unsupported string I/O");
	}
	if (test_hook_io(v, q))	/* test build: the benchmark's I/O exit, port 0x510 */
		return;
	/* Native ports never exit (their bitmap bits are clear): here every access has a byte
	 * that is trapped or unassigned. */
	const struct vmx_io_trap *t = vmx_trap_io_find(v->vm, port), *failed = NULL;
	int ret;
	vmx_lock(&v->vm->emul_lock);	/* emulated devices are shared by every vCPU */
	if (t && (u32)port + size - 1 <= t->last) {
		ret = t->fn(t->ctx, port, size, in, &val);
		failed = t;
	} else {
		ret = io_by_byte(v, port, size, in, &val, &failed);
	}
	vmx_unlock(&v->vm->emul_lock);
	if (ret < 0) {
		vmx_report_exit(v, failed ? failed->name : "port access");
		vmx_stop(false, "a trapped port access failed");
	}
	if (in)
		set_rax_sized(v, size, val);
	vmx_skip_instruction();
}

/* ---- instructions the guest may not use, or not natively ---- */

void vmx_handle_vmx_insn(struct vcpu *v)
{
	/* The guest has no VMX (CPUID says so): VMX instructions, INVEPT,
	 * INVVPID, VMFUNC and GETSEC are invalid opcodes for it. */
	vmx_inject_exception(VEC_UD, false, 0);
}

void vmx_handle_invd(struct vcpu *v)
{
	/* INVD would throw away uhv's dirty cache lines too: write them back. */
	wbinvd();
	vmx_skip_instruction();
}

void vmx_handle_hlt(struct vcpu *v)
{
	if (vmx_debug_idle_exit(v, false))	/* the console poll's idle fallback */
		return;
	/* Only reached when HLT exiting is on (it is off by default: the guest
	 * owns interrupts and halts natively). */
	if (!(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
		vmx_report_exit(v, "guest halted with interrupts disabled: it can never continue");
		vmx_stop(false, "guest halted with interrupts off");
	}
	vmx_skip_instruction();
	if (vmx.caps.activity_hlt)
		vmwrite(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
}

/* MWAIT exits are on only for the console poll's idle fallback (debug/idle_poll.c); should a
 * CPU force them, MWAIT ends at once, which it may (a wake-up for no visible reason). */
void vmx_handle_mwait(struct vcpu *v)
{
	if (!vmx_debug_idle_exit(v, true))
		vmx_skip_instruction();
}

void vmx_handle_triple_fault(struct vcpu *v)
{
	vmx_report_exit(v, "guest triple fault (its CPU shut down)");
	platform_end_request(PLATFORM_END_RESET);	/* as the chipset does on a shutdown */
	vmx_stop(false, "guest triple fault");
}

/* ---- EPT ---- */

static const char *access_name(u64 q)
{
	if (q & EPT_VIOL_FETCH)
		return "instruction fetch";
	if (q & EPT_VIOL_WRITE)
		return "write";
	return "read";
}

void vmx_handle_ept_violation(struct vcpu *v)
{
	u64 q = vmread(VMCS_EXIT_QUALIFICATION);
	u64 gpa = vmread(VMCS_GUEST_PHYSICAL_ADDR);
	bool uhv = kmem_is_hypervisor(gpa & ~0xfffULL, PAGE_SIZE);
	const struct vmx_mmio_trap *t = uhv ? NULL : vmx_trap_mmio_find(v->vm, gpa);

	if (t) {
		vmx_lock(&v->vm->emul_lock);
		int ret = t->fn(t->ctx, v, gpa, q);
		vmx_unlock(&v->vm->emul_lock);
		if (ret < 0) {
			vmx_report_exit(v, t->name);
			vmx_stop(false, "a trapped MMIO access failed");
		}
		return;
	}
	if (!uhv && !vm_gpa_is_uhvs(v->vm, gpa & ~0xfffULL, PAGE_SIZE)) {
		/* no rule of the MMIO policy names it (else the EPT would map it) */
		vmx_mmio_unassigned(v, gpa, q);
		return;
	}
	v->ept_violations++;
	if (q & EPT_VIOL_GLA_VALID)
		pr_warn("EPT violation: guest %s of guest-physical %#llx (linear %#llx) at RIP %#llx: "
			"%s\n", access_name(q), gpa, vmread(VMCS_GUEST_LINEAR_ADDR),
			vmread(VMCS_GUEST_RIP),
			uhv ? "uhv's own memory" : "not mapped for the guest");
	else
		pr_warn("EPT violation: guest %s of guest-physical %#llx (no linear address) at RIP "
			"%#llx: %s\n", access_name(q), gpa, vmread(VMCS_GUEST_RIP),
			uhv ? "uhv's own memory" : "not mapped for the guest");

	/* test build, hook 2: resume after the instruction */
	if (test_hook_ept_skip(v, (u32)vmread(VMCS_IDT_VECTORING_INFO)))
		return;
	vmx_report_exit(v, "EPT violation");
	vmx_stop(false, uhv ? "guest accessed uhv's memory" : "guest accessed unmapped memory");
}

void vmx_handle_ept_misconfig(struct vcpu *v)
{
	vmx_report_exit(v, "EPT misconfiguration (a bug in uhv's EPT tables)");
	vmx_stop(false, "EPT misconfiguration");
}

void vmx_handle_unhandled(struct vcpu *v)
{
	vmx_report_exit(v, "unhandled VM exit");
	vmx_stop(false, "unhandled VM exit");
}
