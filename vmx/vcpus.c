/* Every CPU under VMX (docs/smp.md, "VMX side"). arch/ap_start.c starts the
 * application processors; each enters vmx_ap_main() and waits in uhv until
 * the boot CPU has VMX and the guest's EPT ready, then does VMXON on its own
 * region, fills its own VMCS with the INIT state and VMLAUNCHes into the
 * wait-for-SIPI activity state. From then on the CPU is either in VMX root
 * operation (uhv; INIT is blocked there, SIPI ignored) or in VMX non-root
 * operation, where INIT is always a VM exit and SIPI is one in wait-for-SIPI
 * (SDM Vol. 3C 25.2 "other causes of VM exits", 26.6.? activity states):
 * there is no way for the guest to make the CPU run code outside VMX.
 *
 *   given CPU (one of the guest's cpus=N): guest INIT -> INIT state, back to
 *     wait-for-SIPI; guest SIPI -> real mode at vector * 4 KiB, running;
 *   parked CPU: VMXON, then a HLT loop in VMX root with CR4.MCE (park()):
 *     the guest's INIT is blocked there and its SIPI ignored (the CPU is not
 *     in wait-for-SIPI), an NMI wakes it (counted) and it halts again, a
 *     machine check reaches uhv's #MC handler, an SMI its SMM handler.
 *
 * uhv's own INIT IPIs (EPT shootdown, stopping all CPUs) are told apart from
 * the guest's by a per-CPU flag set before the IPI is sent. */
#define LOG_MODULE "smp"
#include <uhv/vmx_smp.h>
#include <uhv/vmx_exit.h>
#include <uhv/cpu.h>
#include <uhv/vmx_run.h>
#include <uhv/percpu.h>
#include <uhv/smp.h>
#include <uhv/lapic.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include <uhv/options.h>
#include <uhv/ept.h>
#include <uhv/vm.h>
#include <uhv/platform.h>
#include <uhv/mca.h>
#include <uhv/test_hooks.h>

#define AP_EXIT_STACK	(16 * 1024)
#define AP_START_US	2000000		/* all APs into VMX non-root */
#define FLUSH_US	100000		/* every vCPU has done its INVEPT */

/* What vmx_ap_main takes from the pool per AP: the exit stack with the struct vcpu, VMXON and
 * VMCS pages (vmx_cpu_init). */
u64 vmx_ap_pool_bytes(void)
{
	return ALIGN_UP(AP_EXIT_STACK + sizeof(struct vcpu), PAGE_SIZE) + 2 * PAGE_SIZE;
}

/* A plain test-and-test-and-set lock; the waits are short and rare. */
static bool try_lock(volatile u32 *l)
{
	return !*l && !__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE);
}

static void unlock(volatile u32 *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* The vm the application processors are released into: NULL until the boot CPU's VMX and the
 * guest's EPT are ready (vmx_smp_release_aps). A machine singleton: the APs wait in uhv before
 * any vm exists, and this is where they learn which one they belong to. */
static struct vm *volatile ap_vm;

struct vcpu *vmx_vcpu_of(unsigned cpu)
{
	struct percpu *pc = cpu_get(cpu);

	return pc ? pc->vmx : NULL;
}

struct vcpu *vmx_this_vcpu(void)
{
	return this_cpu()->vmx;
}

void vmx_smp_boot_vcpu(struct vcpu *v)
{
	struct percpu *pc = this_cpu();

	v->cpu = pc->cpu;
	v->apic_id = pc->apic_id;
	v->given = true;
	v->vmxon_pa = vmx.vmxon_pa;
	v->vmcs_pa = vmx.vmcs_pa;
	pc->vmx = v;
	pc->state = CPU_VMX;
}

/* ---- INVEPT on every CPU ---- */

static void invept_here(const struct vm *vm)
{
	if (vmx.caps.ept_vpid & VMX_EPT_INVEPT_SINGLE_CONTEXT)
		invept(INVEPT_SINGLE_CONTEXT, vm->ept.eptp);
	else
		invept(INVEPT_ALL_CONTEXT, 0);
}

/* A request from another CPU, served wherever this CPU notices it first:
 * at its INIT exit, or while it spins on a lock in uhv. */
static void serve_requests(struct vcpu *v)
{
	if (smp_stopping())
		smp_stop_this_cpu();
	if (v && v->flush_pending) {
		invept_here(v->vm);
		__atomic_store_n(&v->flush_pending, 0, __ATOMIC_RELEASE);
	}
}

/* Make CPU v exit soon: an INIT IPI, unless one of ours is still on its way
 * (INITs do not queue: a second one would be lost in the first). */
static void kick(struct vcpu *v)
{
	if (!__atomic_exchange_n(&v->init_sent, 1, __ATOMIC_ACQ_REL))
		lapic_send_init(v->apic_id);
}

static bool all_flushed(void *ctx)
{
	struct vcpu *self = ctx;

	serve_requests(self);
	for (unsigned c = 0; c < smp_cpu_slots(); c++) {
		struct vcpu *v = vmx_vcpu_of(c);
		if (v && v != self && v->flush_pending && !v->waiting_sipi)
			return false;
	}
	return true;
}

int vmx_smp_flush_ept(struct vm *vm)
{
	struct vcpu *self = vmx_this_vcpu();
	unsigned sent = 0;

	invept_here(vm);
	/* Parked CPUs never used the guest's EPT: nothing of it is cached there. */
	for (unsigned c = 0; c < smp_cpu_slots(); c++) {
		struct vcpu *v = vmx_vcpu_of(c);
		if (!v || v == self || !v->given || !v->launched)
			continue;
		__atomic_store_n(&v->flush_pending, 1, __ATOMIC_SEQ_CST);
		/* A CPU in wait-for-SIPI holds INIT off (SDM 25.2) and runs nothing:
		 * it flushes when a SIPI starts it. The store above and its store to
		 * waiting_sipi before it reads flush_pending (both SEQ_CST) make sure
		 * one of the two sides sees the other. */
		if (__atomic_load_n(&v->waiting_sipi, __ATOMIC_SEQ_CST))
			continue;
		kick(v);
		sent++;
	}
	if (sent && wait_until(all_flushed, self, FLUSH_US) < 0) {
		for (unsigned c = 0; c < smp_cpu_slots(); c++) {
			struct vcpu *v = vmx_vcpu_of(c);
			if (v && v != self && v->flush_pending && !v->waiting_sipi)
				pr_err("CPU %u (APIC ID %u) did not flush the guest's EPT within %u ms: "
				       "it may still use an old translation (is its local APIC "
				       "disabled by the guest?)\n", c, v->apic_id, FLUSH_US / 1000);
		}
		return -ETIMEDOUT;
	}
	return (int)sent;
}

/* ---- the vm's locks ---- */

void vmx_lock(volatile u32 *l)
{
	struct vcpu *self = vmx_this_vcpu();

	while (!try_lock(l)) {
		serve_requests(self);
		cpu_relax();
	}
}

void vmx_unlock(volatile u32 *l)
{
	unlock(l);
}

/* ---- INIT and SIPI exits ---- */

static const char *role(const struct vcpu *v)
{
	return v->given ? "a CPU of the guest" : "parked";
}

/* INIT and SIPI exits may save blocking by SMI (Bochs does), which VM entry
 * refuses outside SMM (SDM 27.3.1.5); uhv never runs a guest in SMM. */
static void clear_smi_blocking(void)
{
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE);

	if (intr & GUEST_INTR_STATE_SMI)
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE, intr & ~(u64)GUEST_INTR_STATE_SMI);
}

/* Where the guest was on this CPU when the run ended (one line, for the log). */
static __noreturn void stop_here(struct vcpu *v)
{
	log_raw("uhv smp: CPU %u was at guest CS:RIP %#llx:%#llx (CS base %#llx), activity state "
		"%llu\n", v->cpu, vmread(VMCS_GUEST_CS_SELECTOR), vmread(VMCS_GUEST_RIP),
		vmread(VMCS_GUEST_CS_BASE), vmread(VMCS_GUEST_ACTIVITY_STATE));
	smp_stop_this_cpu();
}

void vmx_handle_init(struct vcpu *v)
{
	if (smp_stopping())
		stop_here(v);
	clear_smi_blocking();
	if (__atomic_exchange_n(&v->init_sent, 0, __ATOMIC_ACQ_REL)) {
		serve_requests(v);	/* uhv's own INIT: the guest's state is untouched */
		return;
	}
	/* An INIT the guest sent while this CPU waited for its SIPI was held off
	 * (SDM 25.2) and arrives right after the SIPI started it, before its first
	 * instruction. Natively it would have hit the waiting CPU, with no effect
	 * on the start: so has it here. */
	if (v->sipi.pending &&
	    sipi_start_init_was_held(&v->sipi, vmread(VMCS_GUEST_RIP), vmread(VMCS_GUEST_CS_BASE))) {
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);	/* as the SIPI left it */
		return;
	}
	sipi_start_clear(&v->sipi);
	v->guest_inits++;
	if (v->cpu == 0) {
		/* the boot CPU would restart the firmware: the guest reset the machine */
		vmx_report_exit(v, "guest reset its boot CPU (INIT signal)");
		platform_end_request(PLATFORM_END_RESET);
		vmx_stop(false, "guest reset its CPU");
	}
	vmx_vcpu_init_state(v);	/* as hardware: reset, then wait for a SIPI */
	__atomic_store_n(&v->waiting_sipi, 1, __ATOMIC_SEQ_CST);
	invept_here(v->vm);	/* nothing stale from its previous life */
}

void vmx_handle_sipi(struct vcpu *v)
{
	u8 vector = (u8)vmread(VMCS_EXIT_QUALIFICATION);

	if (smp_stopping())	/* smp_stop_others reaches wait-for-SIPI CPUs this way */
		stop_here(v);
	clear_smi_blocking();
	v->guest_sipis++;
	pr_info("CPU %u (APIC ID %u): the guest started it at %#x (SIPI vector %#x)\n", v->cpu,
		v->apic_id, (unsigned)vector << 12, vector);
	__atomic_store_n(&v->waiting_sipi, 0, __ATOMIC_SEQ_CST);
	serve_requests(v);	/* an EPT flush that came while it waited */
	vmx_vcpu_sipi(vector);
	sipi_start_record(&v->sipi, vector);
}

/* ---- bring-up ---- */

static __noreturn void ap_fail(struct vm *vm, struct percpu *pc, const char *what, int err)
{
	pr_err("CPU %u (APIC ID %u): %s (%s); it stays halted in uhv\n", pc->cpu, pc->apic_id,
	       what, errno_name(err));
	pc->state = CPU_FAILED;
	unlock(&vm->cpus.setup_lock);
	for (;;)
		asm volatile("cli; hlt");
}

/* A CPU the guest does not get, for the rest of the run. Not in wait-for-SIPI, where SMIs
 * are blocked (an SMM rendezvous of the firmware would wait for it) and a machine check meets
 * the INIT state's CR4.MCE = 0 (a shutdown; with the firmware's broadcast machine checks, the
 * platform's). In VMX root operation INIT stays blocked (SDM Vol. 3C 24.8), so the guest's
 * INIT-SIPI to this APIC ID cannot start it outside VMX; a SIPI to a CPU not in wait-for-SIPI
 * is ignored. Interrupts stay off: an NMI (counted by the host handler, arch/exceptions.c) or
 * an SMI ends HLT, and the loop halts again; the stop-all NMI stops the CPU. */
static __noreturn void park(struct vm *vm, struct percpu *pc, struct vcpu *v)
{
	v->park_cr4 = mce_enable_here();
	pc->state = CPU_PARKED;
	/* settled: the boot CPU waits for this, then reads the state and CR4 above */
	__atomic_store_n(&v->launched, true, __ATOMIC_RELEASE);
	unlock(&vm->cpus.setup_lock);
	for (;;) {
		if (smp_stopping())
			smp_stop_this_cpu();
		test_hook_parked(v);
		asm volatile("hlt" ::: "memory");
		v->park_wakeups++;
	}
}

__noreturn void vmx_ap_main(struct percpu *pc)
{
	struct vm *vm;

	while (!(vm = __atomic_load_n(&ap_vm, __ATOMIC_ACQUIRE))) {
		if (smp_stopping())
			smp_stop_this_cpu();
		cpu_relax();
	}
	while (!try_lock(&vm->cpus.setup_lock))
		cpu_relax();

	paddr_t pa = kmem_alloc_for(KMEM_PERCPU, (AP_EXIT_STACK + sizeof(struct vcpu) + PAGE_SIZE - 1) /
				      PAGE_SIZE, PAGE_SIZE);
	if (!pa)
		ap_fail(vm, pc, "no pool memory for its exit stack", -ENOMEM);
	struct vcpu *v = (struct vcpu *)((u8 *)phys_to_virt(pa) + AP_EXIT_STACK);
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->cpu = pc->cpu;
	v->apic_id = pc->apic_id;
	v->given = vm->cpus.given[pc->cpu];
	v->waiting_sipi = 1;

	int ret = vmx_cpu_init(&v->vmxon_pa, &v->vmcs_pa);
	if (ret < 0)
		ap_fail(vm, pc, "VMX could not be enabled", ret);
	pc->vmx = v;
	if (!v->given)
		park(vm, pc, v);
	pc->state = CPU_VMX;	/* from here INIT is blocked or a VM exit */
	ret = vmx_setup_ap_vmcs(v, vm->ept.eptp);
	if (ret < 0)
		ap_fail(vm, pc, "its VMCS could not be filled", ret);
	invept(INVEPT_ALL_CONTEXT, 0);
	if (vm->vpid)
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
	v->launched = true;
	unlock(&vm->cpus.setup_lock);
	vmx_launch(v);	/* into wait-for-SIPI; returns only through vmx_entry_failed */
}

static bool aps_settled(void *ctx)
{
	for (unsigned c = 1; c < smp_cpu_slots(); c++) {
		struct percpu *pc = cpu_get(c);
		if (!pc || pc->state == CPU_ABSENT || pc->state == CPU_FAILED)
			continue;
		struct vcpu *v = pc->vmx;
		if (!v || !v->launched)
			return false;
	}
	return true;
}

int vmx_smp_release_aps(struct vcpu *boot_vcpu, const struct uhv_options *o)
{
	struct vm *vm = boot_vcpu->vm;
	struct vm_cpus *cpus = &vm->cpus;
	unsigned up = 1, failed = 0, given = 1;
	paddr_t gpa = kmem_alloc_for(KMEM_PERCPU, ALIGN_UP(smp_cpu_slots(), PAGE_SIZE) / PAGE_SIZE,
				     PAGE_SIZE);

	if (!gpa) {
		pr_err("no pool memory for the guest's CPU map (%u CPUs): not running the guest; "
		       "boot with a larger uhvmem=\n", smp_cpu_slots());
		return -ENOMEM;
	}
	cpus->given = phys_to_virt(gpa);
	cpus->given[0] = true;

	for (unsigned c = 1; c < smp_cpu_slots(); c++) {
		struct percpu *pc = cpu_get(c);
		if (!pc || pc->state == CPU_ABSENT)
			continue;
		if (pc->state == CPU_FAILED)
			failed++;
		else
			up++;
	}
	failed += smp_cpus_outside();
	if (failed) {
		pr_err("%u CPU(s) listed in the MADT are not under uhv (see above): a guest "
		       "could start them outside VMX; not running it. Disable those CPUs in the "
		       "firmware setup, or report the machine\n", failed);
		return -EIO;
	}
	if (up == 1)
		return 0;
	/* arch/ap_start.c chose them (smp_assign_guest_cpus) and the guest's MADT lists them */
	for (unsigned c = 1; c < smp_cpu_slots(); c++) {
		struct percpu *pc = cpu_get(c);
		cpus->given[c] = pc && pc->guest;
		given += cpus->given[c];
	}
	/* a parked CPU needs only VMXON (park()); the guest's APs wait for its SIPI in VMX
	 * non-root, from a real-mode start (unrestricted guest, EPT) */
	if (given > 1 && !vmx.caps.activity_wait_sipi) {
		pr_err("this CPU has no wait-for-SIPI activity state for VMX guests (IA32_VMX_MISC "
		       "bit 8): uhv cannot give the guest %u CPUs; boot with cpus=1\n", given);
		return -EOPNOTSUPP;
	}
	if (given > 1 && (!vmx_ctl_allowed(&vmx.caps, VMX_CTL_PROC2,
					   SECONDARY_EXEC_ENABLE_EPT |
					   SECONDARY_EXEC_UNRESTRICTED_GUEST) ||
			  !(vmx.caps.ept_vpid & VMX_EPT_INVEPT_ALL_CONTEXT))) {
		pr_err("giving the guest %u CPUs needs EPT and unrestricted guest, which this CPU "
		       "lacks; boot with cpus=1\n", given);
		return -EOPNOTSUPP;
	}
	if (given > 1 && !vm->mmu->uses_eptp) {
		pr_err("mem=shadow serves one vCPU, but the guest was given %u CPUs\n", given);
		return -EINVAL;
	}
	__atomic_store_n(&ap_vm, vm, __ATOMIC_RELEASE);
	if (wait_until(aps_settled, NULL, AP_START_US) < 0)
		pr_err("not every AP reported in VMX non-root within %u ms\n", AP_START_US / 1000);
	unsigned bad = 0;
	for (unsigned c = 1; c < smp_cpu_slots(); c++) {
		struct percpu *pc = cpu_get(c);
		if (!pc || pc->state == CPU_ABSENT)
			continue;
		struct vcpu *v = pc->vmx;
		bool parked = pc->state == CPU_PARKED;
		bool ok = v && v->launched && (pc->state == CPU_VMX || parked);
		bad += !ok;
		if (ok && parked)
			pr_info("CPU %u (APIC ID %u): in VMX root, HLT loop (CR4 %#llx, CR4.MCE=%u): "
				"parked (hidden from the guest)\n", c, pc->apic_id, v->park_cr4,
				!!(v->park_cr4 & CR4_MCE));
		else
			pr_info("CPU %u (APIC ID %u): %s\n", c, pc->apic_id,
				!ok ? "NOT under VMX" :
				"in VMX non-root, wait-for-SIPI: a CPU of the guest");
	}
	if (bad) {
		pr_err("%u AP(s) are not under VMX: not running the guest\n", bad);
		return -EIO;
	}
	char said[OPTIONS_CPUS_NAME_LEN];
	pr_info("the guest gets %u of %u CPUs (cpus=%s%s); %u parked\n", given, up,
		options_cpus_name(o->cpus, said),
		!vm->mmu->uses_eptp && o->cpus != 1 ? ", mem=shadow: at most 1" : "", up - given);
	return 0;
}

void vmx_smp_stop_others(void)
{
	if (smp_cpu_count() > 1)
		smp_stop_others();
}

void vmx_smp_print_stats(void)
{
	for (unsigned c = 0; c < smp_cpu_slots(); c++) {
		const struct vcpu *v = vmx_vcpu_of(c);
		u64 n = 0;

		if (!v)
			continue;
		for (unsigned i = 0; i < VMX_NR_EXIT_STATS; i++)
			n += v->stats[i].count;
		const struct percpu *pc = cpu_get(c);
		pr_info("  CPU %u (APIC ID %u, %s): %llu exits, guest INIT %llu, SIPI %llu, NMIs "
			"that came while in uhv %llu passed on, %llu merged, %llu ignored (no guest "
			"on the CPU):", c, v->apic_id, role(v), n, v->guest_inits, v->guest_sipis,
			v->nmis_injected, v->nmis_dropped, pc ? pc->nmis_ignored : 0);
		for (unsigned i = 0; i < VMX_NR_EXIT_STATS; i++)
			if (v->stats[i].count)
				log_raw(" %s %llu", i <= VMX_MAX_EXIT_REASON ?
					vmx_exit_reason_name(i) : "(other)", v->stats[i].count);
		log_raw("\n");
	}
}

/* An NMI that arrived while this CPU ran uhv's code (the host IDT, arch/exceptions.c): the guest
 * owns NMIs, so it is the guest's, pending until the way back into the guest delivers it (vmx/
 * event.c) as soon as the guest can take it. Nothing here touches the VMCS: an exit handler may be
 * in the middle of writing it. A second NMI while one waits is merged into it, as the processor
 * holds at most one. False on a CPU that runs no vCPU of the guest (parked, or not launched yet):
 * the caller counts and ignores the NMI there. A parked CPU gets one when the guest's APIC targets
 * its APIC ID: the NMI is held while it waits for SIPI and arrives here with the next VM exit. */
bool vmx_nmi_in_root(u64 *rip)
{
	struct percpu *pc = smp_this_cpu_checked();
	struct vcpu *v = pc ? pc->vmx : NULL;

	if (!v || !v->launched || pc->state != CPU_VMX || !v->given)
		return false;
	if (v->nmi_pending || v->nmi_window)
		v->nmis_dropped++;
	else
		v->nmi_pending = 1;
	vmx_nmi_rewind(rip);
	return true;
}
