/* Filling the VMCS (SDM Vol. 3C chapter 25): controls from vmx_init(),
 * host state from uhv's own registers, guest state from the loader's boot
 * state; then VMLAUNCH. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/cpu.h>
#include <uhv/kmem.h>
#include <uhv/trap.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include <uhv/options.h>
#include <uhv/vmx_smp.h>
#include <uhv/vm.h>
#include <uhv/test_hooks.h>
#include <uhv/fbcon.h>

#define EXIT_STACK_SIZE	(16 * 1024)
#define GUEST_PAT_RESET	0x0007040600070406ULL	/* IA32_PAT power-up value */
#define DR7_RESET	0x400ULL

/* The exit path's stack with the vCPU right above it: the VMCS host RSP
 * points at the vCPU, whose register block vmx/vmentry.asm fills, and the
 * handlers' frames grow down from there. This one is the boot CPU's; the
 * APs' come from the pool (vmx/vcpus.c). */
static struct {
	u8 stack[EXIT_STACK_SIZE];
	struct vcpu vcpu;
} exit_area __aligned(16);

_Static_assert(offsetof(struct vcpu, gpr) == 0, "vmx/vmentry.asm expects the registers first");
_Static_assert(sizeof(exit_area.stack) % 16 == 0, "the vCPU must be 16-byte aligned");

/* Failed VMWRITEs while filling the VMCS (setup runs once, on one CPU). */
static int setup_errors;

static void wr(u64 field, u64 val)
{
	if (vmwrite_checked(field, val) != VMX_OK) {
		if (!setup_errors)
			pr_err("VMWRITE of field %#llx (value %#llx) failed\n", field, val);
		setup_errors++;
	}
}

/* Segment registers in VMCS order: ES, CS, SS, DS, FS, GS, LDTR, TR; each
 * field's encoding is the ES one plus 2 * index (Appendix B). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

struct seg {
	u16 sel;
	u64 base;
	u32 limit;
	u32 ar;
};

static void wr_seg(unsigned i, const struct seg *s)
{
	wr(VMCS_GUEST_ES_SELECTOR + 2 * i, s->sel);
	wr(VMCS_GUEST_ES_BASE + 2 * i, s->base);
	wr(VMCS_GUEST_ES_LIMIT + 2 * i, s->limit);
	wr(VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * i, s->ar);
}

/* CS, the data segments (all alike), LDTR, TR and the descriptor tables. */
static void wr_segs(const struct seg *code, const struct seg *data, const struct seg *ldtr,
		    const struct seg *tr, u64 gdt_base, u64 gdt_limit, u64 idt_limit)
{
	wr_seg(SEG_CS, code);
	wr_seg(SEG_ES, data);
	wr_seg(SEG_SS, data);
	wr_seg(SEG_DS, data);
	wr_seg(SEG_FS, data);
	wr_seg(SEG_GS, data);
	wr_seg(SEG_LDTR, ldtr);
	wr_seg(SEG_TR, tr);
	wr(VMCS_GUEST_GDTR_BASE, gdt_base);
	wr(VMCS_GUEST_GDTR_LIMIT, gdt_limit);
	wr(VMCS_GUEST_IDTR_BASE, 0);
	wr(VMCS_GUEST_IDTR_LIMIT, idt_limit);
}

/* Access rights (25.4.1): type | S | DPL | P | AVL | L | D/B | G */
#define AR_CODE32	0xc09b	/* execute/read, accessed, present, 32-bit, 4 KiB granular */
#define AR_CODE64	0xa09b	/* same with L=1, D=0 */
#define AR_DATA32	0xc093	/* read/write, accessed, present, 32-bit, 4 KiB granular */
#define AR_CODE16	0x009b	/* real mode */
#define AR_DATA16	0x0093
#define AR_TSS_BUSY	0x008b	/* busy 32-bit (64-bit in IA-32e mode) TSS, present */

static u16 read_sel(int which)
{
	u16 v = 0;

	switch (which) {
	case SEG_ES: asm volatile("mov %%es, %0" : "=r"(v)); break;
	case SEG_SS: asm volatile("mov %%ss, %0" : "=r"(v)); break;
	case SEG_DS: asm volatile("mov %%ds, %0" : "=r"(v)); break;
	case SEG_FS: asm volatile("mov %%fs, %0" : "=r"(v)); break;
	case SEG_GS: asm volatile("mov %%gs, %0" : "=r"(v)); break;
	}
	return v;
}

static void setup_host(struct vcpu *v)
{
	wr(VMCS_HOST_CR0, read_cr0());
	wr(VMCS_HOST_CR3, read_cr3());
	wr(VMCS_HOST_CR4, read_cr4());
	wr(VMCS_HOST_CS_SELECTOR, GDT_KERNEL_CS);
	wr(VMCS_HOST_SS_SELECTOR, read_sel(SEG_SS) & ~7);
	wr(VMCS_HOST_DS_SELECTOR, read_sel(SEG_DS) & ~7);
	wr(VMCS_HOST_ES_SELECTOR, read_sel(SEG_ES) & ~7);
	wr(VMCS_HOST_FS_SELECTOR, read_sel(SEG_FS) & ~7);
	wr(VMCS_HOST_GS_SELECTOR, read_sel(SEG_GS) & ~7);
	wr(VMCS_HOST_TR_SELECTOR, GDT_TSS);
	wr(VMCS_HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
	wr(VMCS_HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	wr(VMCS_HOST_TR_BASE, tss_base());
	wr(VMCS_HOST_GDTR_BASE, gdt_base());
	wr(VMCS_HOST_IDTR_BASE, idt_base());
	wr(VMCS_HOST_IA32_SYSENTER_CS, 0);
	wr(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	wr(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	wr(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	wr(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	wr(VMCS_HOST_RSP, (u64)(uintptr_t)v);
	wr(VMCS_HOST_RIP, (u64)(uintptr_t)vmx_exit_entry);
}

static void setup_controls(const struct vm *vm, u32 entry)
{
	wr(VMCS_PIN_BASED_VM_EXEC_CONTROLS, vmx.pin);
	wr(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS, vmx.proc);
	wr(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROLS, vmx.proc2);
	wr(VMCS_PRIMARY_VM_EXIT_CONTROLS, vmx.exit);
	wr(VMCS_VM_ENTRY_CONTROLS, entry);
	wr(VMCS_EXCEPTION_BITMAP, 0);		/* the guest handles its own exceptions */
	wr(VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0);
	wr(VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0);
	wr(VMCS_CR3_TARGET_COUNT, 0);
	wr(VMCS_VM_EXIT_MSR_STORE_COUNT, 0);
	wr(VMCS_VM_EXIT_MSR_LOAD_COUNT, 0);
	wr(VMCS_VM_ENTRY_MSR_LOAD_COUNT, 0);
	wr(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
	wr(VMCS_IO_BITMAP_A_ADDR, vm->io_bitmap_a_pa);
	wr(VMCS_IO_BITMAP_B_ADDR, vm->io_bitmap_b_pa);
	wr(VMCS_MSR_BITMAP_ADDR, vm->msr_bitmap_pa);
	if (vm->vpid)
		wr(VMCS_VPID, vm->vpid);
	wr(VMCS_CR0_GUEST_HOST_MASK, vmx_cr0_guest_host_mask(&vmx.cr));
	wr(VMCS_CR4_GUEST_HOST_MASK, vmx_cr4_guest_host_mask(&vmx.cr));
}

static const char *mode_name(enum guest_cpu_mode m)
{
	switch (m) {
	case GUEST_MODE_PROTECTED32: return "32-bit protected mode, paging off";
	case GUEST_MODE_LONG64: return "64-bit long mode";
	case GUEST_MODE_REAL: return "real mode";
	default: return "?";
	}
}

/* What the boot CPU's mode decides: its segments, control registers and descriptor tables. */
struct boot_mode {
	struct seg code, data;
	u64 cr0, cr4, efer;
	u64 gdt_base, gdt_limit, idt_limit;
};

/* The loader's state made into a consistent CPU mode; the VM-entry control "IA-32e mode guest"
 * goes with 64-bit mode, so it is set in *entry. */
static int boot_mode_of(const struct guest_boot_state *b, struct boot_mode *m, u32 *entry)
{
	u16 cs = b->cs ? b->cs : 0x08, ds = b->ds ? b->ds : 0x10;	/* flat selectors */

	*m = (struct boot_mode){ .cr0 = b->cr0, .cr4 = b->cr4, .efer = b->efer,
				 .gdt_limit = 0xffff, .idt_limit = 0xffff };
	switch (b->mode) {
	case GUEST_MODE_PROTECTED32:
		/* multiboot: flat 4 GiB segments; the guest loads its own GDT
		 * before it reloads a segment register */
		m->code = (struct seg){ .sel = cs, .limit = 0xffffffff, .ar = AR_CODE32 };
		m->data = (struct seg){ .sel = ds, .limit = 0xffffffff, .ar = AR_DATA32 };
		m->cr0 = (m->cr0 | CR0_PE | CR0_ET) & ~(u64)CR0_PG;
		m->efer = 0;
		if (b->cs) {	/* the loader's GDT (Linux 32-bit entry) */
			m->gdt_base = b->gdt_base;
			m->gdt_limit = b->gdt_limit;
		}
		return 0;
	case GUEST_MODE_LONG64:
		m->code = (struct seg){ .sel = cs, .limit = 0xffffffff, .ar = AR_CODE64 };
		m->data = (struct seg){ .sel = ds, .limit = 0xffffffff, .ar = AR_DATA32 };
		m->cr0 |= CR0_PE | CR0_PG | CR0_ET;
		m->cr4 |= CR4_PAE;
		m->efer |= EFER_LME | EFER_LMA;
		m->gdt_base = b->gdt_base;
		m->gdt_limit = b->gdt_limit;
		*entry |= VM_ENTRY_IA32E_MODE;
		return 0;
	case GUEST_MODE_REAL:
		m->code = (struct seg){ .sel = b->real_cs, .base = (u64)b->real_cs << 4,
					.limit = 0xffff, .ar = AR_CODE16 };
		m->data = (struct seg){ .sel = 0, .limit = 0xffff, .ar = AR_DATA16 };
		m->cr0 = (m->cr0 | CR0_ET) & ~(u64)(CR0_PE | CR0_PG);
		m->cr4 = 0;
		m->efer = 0;
		m->idt_limit = 0x3ff;
		return 0;
	default:
		pr_err("unknown guest CPU mode %d in the boot state\n", b->mode);
		return -EINVAL;
	}
}

/* The guest-state fields that neither the segments nor the control registers set, for the boot
 * CPU and for a vCPU after INIT: the given registers, the rest at their reset values. The
 * activity state is the caller's. */
static void wr_guest_regs(u64 rsp, u64 rip, u64 rflags, u64 efer)
{
	wr(VMCS_GUEST_DR7, DR7_RESET);
	wr(VMCS_GUEST_IA32_DEBUGCTL, 0);
	wr(VMCS_GUEST_RSP, rsp);
	wr(VMCS_GUEST_RIP, rip);
	wr(VMCS_GUEST_RFLAGS, rflags);
	wr(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	wr(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	wr(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	wr(VMCS_GUEST_IA32_EFER, efer);
	wr(VMCS_GUEST_IA32_PAT, GUEST_PAT_RESET);
	wr(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
	wr(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
	wr(VMCS_VMCS_LINK_POINTER, ~0ULL);
	for (unsigned i = 0; i < 4; i++)
		wr(VMCS_GUEST_PDPTE0 + 2 * i, 0);
}

/* Guest state for the boot CPU (26.3.1 lists what VM entry checks). */
static int setup_guest(const struct guest_boot_state *b, u32 *entry)
{
	struct seg ldtr = { .sel = 0, .ar = VMX_AR_UNUSABLE };
	struct seg tr = { .sel = 0, .base = 0, .limit = 0xff, .ar = AR_TSS_BUSY };
	struct boot_mode m;
	int ret = boot_mode_of(b, &m, entry);

	if (ret < 0)
		return ret;
	struct cr_state s = { .cr0 = m.cr0, .cr4 = m.cr4, .efer = m.efer,
			      .cr3 = b->mode == GUEST_MODE_LONG64 ? b->cr3 : 0 };
	enum cr_rule rule = cr_state_check(&s, &vmx.cr_caps);

	if (rule != CR_OK) {
		pr_err("the loader's CR0 %#llx / CR4 %#llx are not valid for the guest (%s)\n",
		       m.cr0, m.cr4, cr_rule_name(rule));
		return -EINVAL;
	}
	wr_segs(&m.code, &m.data, &ldtr, &tr, m.gdt_base, m.gdt_limit, m.idt_limit);

	/* The guest sees what it asked for; the CPU runs with the bits VMX
	 * operation needs (NE, VMXE) added. */
	wr(VMCS_CR0_READ_SHADOW, m.cr0);
	wr(VMCS_CR4_READ_SHADOW, m.cr4);
	wr(VMCS_GUEST_CR0, vmx_cr0_real(&vmx.cr, m.cr0));
	wr(VMCS_GUEST_CR4, vmx_cr4_real(&vmx.cr, m.cr4));
	wr(VMCS_GUEST_CR3, b->mode == GUEST_MODE_LONG64 ? b->cr3 : 0);
	wr_guest_regs(b->rsp, b->rip, b->rflags | 2, m.efer);
	wr(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	pr_info("guest boot CPU: %s, RIP %#llx RSP %#llx RFLAGS %#llx, CR0 %#llx (real %#llx) "
		"CR4 %#llx (real %#llx) EFER %#llx\n", mode_name(b->mode), b->rip, b->rsp,
		(b->rflags | 2), m.cr0, vmx_cr0_real(&vmx.cr, m.cr0), m.cr4,
		vmx_cr4_real(&vmx.cr, m.cr4), m.efer);
	return 0;
}

/* Stale translations for our EPTP / VPID may exist from earlier uses of the
 * same tags (firmware, a previous uhv before a warm reboot). */
void vmx_flush_tlbs(const struct vm *vm)
{
	u64 cap = vmx.caps.ept_vpid;

	if (cap & VMX_EPT_INVEPT_SINGLE_CONTEXT)
		invept(INVEPT_SINGLE_CONTEXT, vm->ept.eptp);
	else
		invept(INVEPT_ALL_CONTEXT, 0);
	if (!vm->vpid)
		return;
	if (cap & VMX_VPID_INVVPID_SINGLE_CONTEXT)
		invvpid(INVVPID_SINGLE_CONTEXT, vm->vpid, 0);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
}

/* ---- application processors (vmx/vcpus.c) ---- */

#define CR0_INIT	0x60000010ULL	/* CD | NW | ET: the value INIT leaves (SDM Vol. 3A Table 9-1) */

/* The state INIT leaves a CPU in (SDM Vol. 3A 9.1.1, Table 9-1), in the
 * wait-for-SIPI activity state: what a vCPU looks like before the guest
 * starts it and after the guest resets it. Caller: the CPU whose VMCS is
 * current. */
void vmx_vcpu_init_state(struct vcpu *v)
{
	struct seg code = { .sel = 0xf000, .base = 0xffff0000, .limit = 0xffff, .ar = AR_CODE16 };
	struct seg data = { .sel = 0, .base = 0, .limit = 0xffff, .ar = AR_DATA16 };
	struct seg ldtr = { .sel = 0, .ar = VMX_AR_UNUSABLE };
	struct seg tr = { .sel = 0, .base = 0, .limit = 0xffff, .ar = AR_TSS_BUSY };

	memset(v->gpr, 0, sizeof(v->gpr));
	v->gpr[GPR_RDX] = cpuid(1, 0).eax;	/* processor signature */
	wr_segs(&code, &data, &ldtr, &tr, 0, 0xffff, 0xffff);
	wr(VMCS_CR0_READ_SHADOW, CR0_INIT);
	wr(VMCS_CR4_READ_SHADOW, 0);
	wr(VMCS_GUEST_CR0, vmx_cr0_real(&vmx.cr, CR0_INIT));
	wr(VMCS_GUEST_CR4, vmx_cr4_real(&vmx.cr, 0));
	wr(VMCS_GUEST_CR3, 0);
	wr_guest_regs(0, 0xfff0, 2, 0);
	wr(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
	wr(VMCS_VM_ENTRY_CONTROLS, vmx.entry & ~(u32)VM_ENTRY_IA32E_MODE);
	wr(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_WAIT_SIPI);
}

/* A start-up IPI: real mode at vector * 4 KiB (CS = vector << 8, IP = 0). */
void vmx_vcpu_sipi(u8 vector)
{
	struct seg code = { .sel = (u16)vector << 8, .base = (u64)vector << 12, .limit = 0xffff,
			    .ar = AR_CODE16 };

	wr_seg(SEG_CS, &code);
	wr(VMCS_GUEST_RIP, 0);
	/* the SIPI exit may save blocking by NMI/SMI (Bochs does); a running CPU has none */
	wr(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
	wr(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
	wr(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
}

/* An AP's VMCS (current on the calling AP): the boot CPU's controls without
 * the console-poll timer (the boot CPU alone polls), this CPU's host state,
 * the INIT state. Only the guest's APs get one: parked CPUs stay in VMX root
 * (vmx/vcpus.c). Callers serialize (one static error count). */
int vmx_setup_ap_vmcs(struct vcpu *v, u64 eptp)
{
	setup_errors = 0;
	setup_controls(v->vm, vmx.entry & ~(u32)VM_ENTRY_IA32E_MODE);
	wr(VMCS_PIN_BASED_VM_EXEC_CONTROLS, vmx.pin & ~(u32)PIN_BASED_VMX_PREEMPTION_TIMER);
	wr(VMCS_PRIMARY_VM_EXIT_CONTROLS, vmx.exit & ~(u32)VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	wr(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS, vmx.proc & ~v->vm->dbg.idle_proc);
	wr(VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROLS, vmx.proc2);
	wr(VMCS_EPT_POINTER, eptp);
	setup_host(v);
	vmx_vcpu_init_state(v);
	return setup_errors ? -EIO : 0;
}

int vmx_run_guest(struct vm *vm)
{
	struct vcpu *v = &exit_area.vcpu;
	const struct guest *g = &vm->guest;
	const struct guest_boot_state *b = &g->boot;
	const struct uhv_options *o = vm->opt;
	u32 entry = vmx.entry;

	if (!vmx.ready || !vm->mmu || (vm->mmu->uses_eptp && !vm->ept.eptp)) {
		pr_err("vmx_run_guest: VMX is not set up (vmx_init and the vm's memory setup first)\n");
		return -EINVAL;
	}
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	vmx_smp_boot_vcpu(v);	/* vCPU 0 on this CPU: index, APIC ID, stats */
	v->gpr[GPR_RAX] = b->rax;
	v->gpr[GPR_RBX] = b->rbx;
	v->gpr[GPR_RCX] = b->rcx;
	v->gpr[GPR_RDX] = b->rdx;
	v->gpr[GPR_RSI] = b->rsi;
	v->gpr[GPR_RDI] = b->rdi;
	v->gpr[GPR_RBP] = b->rbp;

	setup_errors = 0;
	int ret = setup_guest(b, &entry);
	if (ret < 0)
		return ret;
	setup_controls(vm, entry);
	setup_host(v);
	/* EPT: EPTP and flushes; mem=shadow: real CRs, masks, #PF intercept */
	if ((ret = vm->mmu->setup_vmcs(vm, v, &entry)) < 0)
		return ret;
	if (setup_errors) {
		pr_err("%d VMCS field(s) could not be written; not launching\n", setup_errors);
		return -EIO;
	}
	fbcon_stop();	/* the guest owns the screen from here (said before the launch line:
			 * a guest that owns the console gets no uhv line after that one) */
	pr_info("launching the guest (%s): EPTP %#llx, VPID %u\n", g->kind ? g->kind : "?",
		vm->ept.eptp, vm->vpid);
	test_hook_break_vmentry(o);	/* test build: panic-test=vmentry-* */
	/* every other CPU into VMX non-root (wait-for-SIPI) before the guest runs */
	if ((ret = vmx_smp_release_aps(v, o)) < 0)
		return ret;
	if (g->console_quiet)
		log_hold();	/* until the run ends: the guest's lines stay whole */
	v->launched = true;	/* from here an NMI is the guest's (vmx_nmi_in_root) */
	vmx_launch(v);
}
