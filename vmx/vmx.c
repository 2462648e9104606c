/* VMX bring-up (SDM Vol. 3C 24.7-24.8 "enabling and entering VMX operation"):
 * CPUID and IA32_FEATURE_CONTROL, the capability MSRs, the control values
 * uhv uses, CR0/CR4 for VMX operation, VMXON and the VMCS. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_exit.h>
#include <uhv/cpu.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/options.h>
#include <uhv/shadow_vmx.h>
#include <uhv/vm.h>
#include <uhv/string.h>
#include <uhv/vmx_smp.h>
#include <uhv/lapic.h>

/* The machine's VMX facts (a machine singleton: one CPU model, one set of controls); written
 * by vmx_init() on the boot CPU, read by every exit handler. The guest's part is in struct vm,
 * per-CPU state in struct vcpu. */
struct vmx_global vmx;

static u64 rdmsr_cb(void *ctx, u32 msr)
{
	return rdmsr(msr);
}

static int check_cpu(void)
{
	struct cpuid_regs r = cpuid(1, 0);

	if (!(r.ecx & CPUID_1_ECX_VMX)) {
		bool qemu = false;
		if (r.ecx & CPUID_1_ECX_HYPERVISOR) {
			struct cpuid_regs h = cpuid(0x40000000, 0);
			qemu = h.ebx == 0x54474354 || h.ebx == 0x4b4d564b;	/* "TCGT", "KVMK" */
		}
		pr_err("VMX is not available on this CPU (CPUID.1:ECX.VMX=0): uhv needs Intel VT-x; "
		       "under QEMU use -accel kvm -cpu host with nested VMX on an Intel host "
		       "(kvm_intel nested=1), or run uhv in Bochs (cpu model corei7_skylake_x)%s\n",
		       qemu ? " - this is QEMU without VMX" : "");
		return -ENODEV;
	}
	return 0;
}

/* The firmware decides whether VMXON is allowed (SDM 24.7). An unlocked MSR
 * is ours to set; a locked one with VMX off can only be changed in the
 * firmware setup. */
static int check_feature_control(void)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (fc & FEATURE_CONTROL_LOCKED) {
		if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
			pr_err("VMX is locked off by the firmware: IA32_FEATURE_CONTROL (%#x) = %#llx "
			       "is locked (bit 0) with \"enable VMX outside SMX\" (bit 2) clear; "
			       "enable Intel Virtualization Technology (VT-x) in the firmware setup\n",
			       MSR_IA32_FEATURE_CONTROL, fc);
			return -ENODEV;
		}
		return 0;
	}
	wrmsr(MSR_IA32_FEATURE_CONTROL,
	      fc | FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	pr_info("IA32_FEATURE_CONTROL was unlocked (%#llx): enabled VMX outside SMX and locked it\n",
		fc);
	return 0;
}

/* The controls uhv runs the guest with; docs/vmx.md says why each. The primary and secondary
 * sets are the start: VPID and the MMU (shadow paging adds exits) add to them. */
static const struct vmx_ctl_want want_pin = {
	/* the guest owns interrupts and NMIs: they are delivered to it */
	.clear = PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING |
		 PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER |
		 PIN_BASED_POSTED_INTR,
};
static const struct vmx_ctl_want want_proc = {
	.required = CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
		    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
	/* with EPT and unrestricted guest none of these is needed; HLT
	 * runs natively (docs/vmx.md, "HLT and interrupts") */
	.clear = CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
		 CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING |
		 CPU_BASED_MWAIT_EXITING | CPU_BASED_RDPMC_EXITING |
		 CPU_BASED_RDTSC_EXITING | CPU_BASED_CR3_LOAD_EXITING |
		 CPU_BASED_CR3_STORE_EXITING | CPU_BASED_ACTIVATE_TERTIARY_CONTROLS |
		 CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
		 CPU_BASED_USE_TPR_SHADOW | CPU_BASED_NMI_WINDOW_EXITING |
		 CPU_BASED_MOV_DR_EXITING | CPU_BASED_UNCOND_IO_EXITING |
		 CPU_BASED_MONITOR_TRAP_FLAG | CPU_BASED_MONITOR_EXITING |
		 CPU_BASED_PAUSE_EXITING,
};
static const struct vmx_ctl_want want_proc2 = {
	.required = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST,
	/* without these the instructions are #UD in the guest; CPUID
	 * hides them when they are off */
	.optional = SECONDARY_EXEC_ENABLE_RDTSCP | SECONDARY_EXEC_ENABLE_INVPCID |
		    SECONDARY_EXEC_ENABLE_XSAVES | SECONDARY_EXEC_ENABLE_USER_WAIT_PAUSE,
	.clear = SECONDARY_EXEC_WBINVD_EXITING | SECONDARY_EXEC_DESC_TABLE_EXITING |
		 SECONDARY_EXEC_PAUSE_LOOP_EXITING | SECONDARY_EXEC_RDRAND_EXITING |
		 SECONDARY_EXEC_RDSEED_EXITING | SECONDARY_EXEC_ENABLE_PML |
		 SECONDARY_EXEC_EPT_VIOLATION_VE | SECONDARY_EXEC_ENCLS_EXITING,
};
static const struct vmx_ctl_want want_exit = {
	.required = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
		    VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT,
	.optional = VM_EXIT_SAVE_DEBUG_CONTROLS,
	.clear = VM_EXIT_ACK_INTR_ON_EXIT | VM_EXIT_SAVE_VMX_PREEMPTION_TIMER |
		 VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL,
};
static const struct vmx_ctl_want want_entry = {
	.required = VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT,
	.optional = VM_ENTRY_LOAD_DEBUG_CONTROLS,
	.clear = VM_ENTRY_IA32E_MODE | VM_ENTRY_ENTRY_TO_SMM |
		 VM_ENTRY_DEACTIVATE_DUAL_MONITOR | VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL,
};

/* vmx.pin .. vmx.entry from the wants and the capability MSRs. Every control is computed (and
 * each refusal logged) before the answer: false if any cannot be had. */
static bool compute_controls(struct vm *vm)
{
	const struct vmx_caps *c = &vmx.caps;
	struct vmx_ctl_want proc = want_proc, proc2 = want_proc2;
	int bad = 0;

	if (vmx_caps_vpid_usable(c))
		proc2.optional |= SECONDARY_EXEC_ENABLE_VPID;
	else
		proc2.clear |= SECONDARY_EXEC_ENABLE_VPID;
	vm->mmu->want_controls(&proc, &proc2);
	bad |= vmx_ctl_compute(c, VMX_CTL_PIN, &want_pin, &vmx.pin) < 0;
	bad |= vmx_ctl_compute(c, VMX_CTL_PROC, &proc, &vmx.proc) < 0;
	bad |= vmx_ctl_compute(c, VMX_CTL_PROC2, &proc2, &vmx.proc2) < 0;
	bad |= vmx_ctl_compute(c, VMX_CTL_EXIT, &want_exit, &vmx.exit) < 0;
	bad |= vmx_ctl_compute(c, VMX_CTL_ENTRY, &want_entry, &vmx.entry) < 0;
	return !bad;
}

static int choose_controls(struct vm *vm)
{
	if (!compute_controls(vm))
		return -EOPNOTSUPP;
	/* a must-be-1 control uhv has no use for would change the guest's
	 * world; say so instead of silently running with it */
	if (vmx.proc & (CPU_BASED_HLT_EXITING | CPU_BASED_RDTSC_EXITING | CPU_BASED_MOV_DR_EXITING |
			CPU_BASED_UNCOND_IO_EXITING |
			(vm->mmu->uses_eptp ? CPU_BASED_CR3_LOAD_EXITING : 0)))
		pr_warn("this CPU forces exiting controls uhv does not want (primary %#x); "
			"their exits end the run as unhandled\n", vmx.proc);

	/* what the guest gets follows from the controls: a VPID tag, and CPUID shows only the
	 * instructions that do not #UD */
	vm->vpid = (vmx.proc2 & SECONDARY_EXEC_ENABLE_VPID) ? 1 : 0;
	vm->cpuid.rdtscp = vmx.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
	vm->cpuid.invpcid = vmx.proc2 & SECONDARY_EXEC_ENABLE_INVPCID;
	vm->cpuid.xsaves = vmx.proc2 & SECONDARY_EXEC_ENABLE_XSAVES;
	vm->cpuid.waitpkg = vmx.proc2 & SECONDARY_EXEC_ENABLE_USER_WAIT_PAUSE;

	pr_info("controls chosen:\n");
	vmx_ctl_print("pin-based: ", VMX_CTL_PIN, vmx.pin);
	vmx_ctl_print("primary:   ", VMX_CTL_PROC, vmx.proc);
	vmx_ctl_print("secondary: ", VMX_CTL_PROC2, vmx.proc2);
	vmx_ctl_print("exit:      ", VMX_CTL_EXIT, vmx.exit);
	vmx_ctl_print("entry:     ", VMX_CTL_ENTRY, vmx.entry);
	return 0;
}

static void cpu_facts(void)
{
	struct cpuid_regs r = cpuid(0x80000000, 0);

	vmx.phys_bits = 36;
	if (r.eax >= 0x80000008)
		vmx.phys_bits = cpuid(0x80000008, 0).eax & 0xff;
	if (r.eax >= 0x80000001)
		vmx.nx = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_NX;
	if ((cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE) && cpuid(0, 0).eax >= 0xd) {
		struct cpuid_regs x = cpuid(0xd, 0);
		vmx.xcr0_supported = ((u64)x.edx << 32) | x.eax;
		x = cpuid(0xd, 1);
		vmx.xss_supported = ((u64)x.edx << 32) | x.ecx;
	}
}

/* A page for VMXON or a VMCS: from uhv's pool, revision id in bits 30:0. */
static paddr_t alloc_vmx_page(void)
{
	paddr_t pa = kmem_alloc_for(KMEM_PERCPU, 1, PAGE_SIZE);

	if (!pa)
		return 0;
	if (vmx.caps.addr32_only && pa >= GiB(4)) {
		pr_err("VMX structures must lie below 4 GiB (IA32_VMX_BASIC bit 48), "
		       "but the pool gave %#llx\n", pa);
		return 0;
	}
	*(u32 *)phys_to_virt(pa) = vmx.caps.revision_id;
	return pa;
}

/* CR0/CR4 for VMX operation, VMXON with this CPU's region, this CPU's VMCS
 * made current. Every CPU runs it once (the boot CPU from vmx_init, the
 * others from vmx/vcpus.c). */
static int cpu_enter_vmx_root(paddr_t *vmxon_pa, paddr_t *vmcs_pa)
{
	/* Caches on: the boot path may leave CD|NW set (Bochs does), and a VM
	 * exit keeps CD/NW as they are: Linux's MTRR update (set CD, clear CD)
	 * then read NW set without CD and took #GP under Bochs. */
	u64 cr0 = vmx_cr0_fixed(&vmx.caps, read_cr0() & ~(u64)(CR0_CD | CR0_NW), false);
	u64 cr4 = vmx_cr4_fixed(&vmx.caps, read_cr4() | CR4_VMXE);

	/* The guest's XSETBV is carried out by uhv, which needs CR4.OSXSAVE. */
	if (vmx.xcr0_supported)
		cr4 |= CR4_OSXSAVE;
	write_cr0(cr0);
	write_cr4(cr4);

	*vmxon_pa = alloc_vmx_page();
	*vmcs_pa = alloc_vmx_page();
	if (!*vmxon_pa || !*vmcs_pa) {
		pr_err("out of pool memory for the VMXON region and VMCS\n");
		return -ENOMEM;
	}
	int r = vmxon(*vmxon_pa);
	if (r != VMX_OK) {
		pr_err("VMXON failed (%s) with CR0 %#llx CR4 %#llx, VMXON region %#llx revision %#x\n",
		       r == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid", read_cr0(),
		       read_cr4(), *vmxon_pa, vmx.caps.revision_id);
		return -EIO;
	}
	r = vmclear(*vmcs_pa);
	if (r == VMX_OK)
		r = vmptrld(*vmcs_pa);
	if (r != VMX_OK) {
		u64 err = 0;
		if (r == VMX_FAIL_VALID)
			vmread_checked(VMCS_VM_INSTRUCTION_ERROR, &err);
		pr_err("VMCLEAR/VMPTRLD of the VMCS at %#llx failed: %s (error %llu: %s)\n",
		       *vmcs_pa, r == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid",
		       err, vmx_instr_error_text((u32)err));
		return -EIO;
	}
	return 0;
}

static int enter_vmx_root(struct vm *vm)
{
	vm->msr_bitmap_pa = kmem_alloc_page();
	vm->io_bitmap_a_pa = kmem_alloc_page();
	vm->io_bitmap_b_pa = kmem_alloc_page();
	if (!vm->msr_bitmap_pa || !vm->io_bitmap_a_pa || !vm->io_bitmap_b_pa) {
		pr_err("out of pool memory for the MSR and I/O bitmaps\n");
		return -ENOMEM;
	}
	int ret = cpu_enter_vmx_root(&vmx.vmxon_pa, &vmx.vmcs_pa);
	if (ret < 0)
		return ret;
	vm->msr_bitmap = phys_to_virt(vm->msr_bitmap_pa);
	unsigned native = vmx_msr_policy_build(vm->msr_bitmap);
	/* Without both debug controls the guest's IA32_DEBUGCTL would not survive an exit. */
	if (!(vmx.exit & VM_EXIT_SAVE_DEBUG_CONTROLS) || !(vmx.entry & VM_ENTRY_LOAD_DEBUG_CONTROLS)) {
		vmx_msr_bitmap_intercept(vm->msr_bitmap, MSR_IA32_DEBUGCTL, true, true);
		native--;
		pr_info("MSR policy: IA32_DEBUGCTL denied (the CPU cannot load and save the "
			"guest's)\n");
	}
	/* The x2APIC registers exist only where CPUID.1:ECX[21] says so; elsewhere they are no
	 * MSRs at all, and an emulator may even answer them (Bochs ignores unknown MSRs). */
	if (!lapic_x2apic_capable()) {
		for (u32 msr = MSR_X2APIC_FIRST; msr <= MSR_X2APIC_LAST; msr++)
			vmx_msr_bitmap_intercept(vm->msr_bitmap, msr, true, true);
		native -= MSR_X2APIC_LAST - MSR_X2APIC_FIRST + 1;
		pr_info("MSR policy: x2APIC registers denied (the CPU has no x2APIC)\n");
	}
	pr_info("MSR policy: %u MSRs reach the hardware as the table in vmx/msr_policy.c says; "
		"every other MSR: #GP\n", native);
	vmx_io_policy_build(phys_to_virt(vm->io_bitmap_a_pa), phys_to_virt(vm->io_bitmap_b_pa));
	pr_info("VMX root operation: CR0 %#llx CR4 %#llx, VMXON region %#llx, VMCS %#llx\n",
		read_cr0(), read_cr4(), vmx.vmxon_pa, vmx.vmcs_pa);
	return 0;
}

/* An application processor: the boot CPU's checks were done by vmx_init();
 * IA32_FEATURE_CONTROL is per CPU, the capability MSRs are the same on every
 * CPU of a machine (checked: a CPU that differs is refused). */
int vmx_cpu_init(paddr_t *vmxon_pa, paddr_t *vmcs_pa)
{
	struct vmx_caps_raw raw;

	if (!vmx.ready)
		return -EINVAL;
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX))
		return -ENODEV;
	vmx_caps_read(&raw, rdmsr_cb, NULL);
	if (memcmp(&raw, &vmx.caps_raw, sizeof(raw))) {
		pr_err("this CPU's VMX capability MSRs differ from the boot CPU's\n");
		return -EOPNOTSUPP;
	}
	int ret = check_feature_control();
	if (ret < 0)
		return ret;
	return cpu_enter_vmx_root(vmxon_pa, vmcs_pa);
}

int vmx_init(const struct uhv_options *o, struct vm *vm)
{
	struct vmx_caps_raw raw;
	int ret;

	if (vmx.ready)
		return 0;
	ret = check_cpu();
	if (ret < 0)
		return ret;
	ret = check_feature_control();
	if (ret < 0)
		return ret;
	vmx_caps_read(&raw, rdmsr_cb, NULL);
	vmx.caps_raw = raw;
	ret = vmx_caps_decode(&raw, &vmx.caps);
	if (ret < 0)
		return ret;
	vmx_caps_print(&vmx.caps);
	/* EPT or shadow paging: the one place the mode is decided (<uhv/vm_mmu.h>) */
	vm->mmu = shadow_vmx_choose(o, &vmx.caps) ? &shadow_mmu : &ept_mmu;
	ret = vm->mmu == &shadow_mmu ? 0 : vmx_caps_check_ept(&vmx.caps);
	if (ret < 0)
		return ret;
	vmx.cr = (struct vmx_cr_cfg){
		.cr0_fixed0 = vmx.caps.cr0_fixed0, .cr0_fixed1 = vmx.caps.cr0_fixed1,
		.cr4_fixed0 = vmx.caps.cr4_fixed0, .cr4_fixed1 = vmx.caps.cr4_fixed1,
	};
	ret = choose_controls(vm);
	if (ret < 0) {
		pr_err("uhv needs the controls above; use a CPU (or Bochs model / nested KVM) "
		       "that offers them\n");
		return ret;
	}
	cpu_facts();
	vmx.cr_caps = vmx_cr_caps(&vmx.cr, vmx.nx, vmx.phys_bits);
	ret = enter_vmx_root(vm);
	if (ret < 0)
		return ret;
	vmx.ready = true;
	return 0;
}
