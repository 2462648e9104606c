/* Multiprocessor bring-up: every enabled CPU in the MADT is started with INIT-SIPI-SIPI through
 * the real-mode trampoline of arch/ap_boot.asm and ends up in uhv's C code on its own stack; and
 * the panic path's stop-all (see <uhv/smp.h>, docs/smp.md). */
#define LOG_MODULE "smp"
#include <uhv/smp.h>
#include <uhv/acpi.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/kmem.h>
#include <uhv/lapic.h>
#include <uhv/log.h>
#include <uhv/memmap.h>
#include <uhv/options.h>
#include <uhv/ptab.h>
#include <uhv/ptab_x86.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include <uhv/trap.h>

#define INIT_DELAY_US		10000	/* INIT to SIPI (SDM Vol. 3A 9.4.4.1) */
#define SIPI_RETRY_US		10000	/* first SIPI to second if the AP is not up yet */
#define AP_START_TIMEOUT_US	10000000 /* second SIPI to the AP in C: 10 s, as a vCPU thread
					  * of an overcommitted nested host may not run
					  * for a second (seen in 73-smp-nested) */
#define STOP_TIMEOUT_US		1000000	/* the other CPUs to confirm they stopped */
#define LOW_MEM_END		0xa0000ULL	/* conventional memory ends at VGA */
#define AP_STACKS_SIZE		(CPU_STACK_SIZE + 3 * IST_STACK_SIZE)
/* an AP's pool block: its stacks, then its struct percpu above them (stacks grow down, away
 * from it) */
#define AP_AREA_SIZE		(AP_STACKS_SIZE + ALIGN_UP(sizeof(struct percpu), PAGE_SIZE))

/* Every CPU's block, by slot: 0 = the boot CPU, then the APs in MADT order. Written by the boot
 * CPU before the AP of a slot starts; afterwards each CPU writes only its own state. There is no
 * fixed number of CPUs: the boot CPU's block is static (it is needed before the pool exists), the
 * table of slots and every AP's block (next to its stacks) come from the pool, sized from the
 * MADT's count (claim_slots). */
static struct percpu boot_cpu;
static struct percpu *boot_table[1] = { &boot_cpu };
static struct percpu **cpu_tab = boot_table;
static unsigned nslots = 1;
static unsigned outside;	/* enabled MADT CPUs without per-CPU memory: never started */
/* Set once by the first smp_stop_others(). */
static volatile bool stopping;
/* What every AP copies from the boot CPU, and where it goes then; set by smp_start_aps. */
static struct {
	u64 cr0, cr4, cr3, efer, pat;
	void (*entry)(struct percpu *pc);
} boot;

/* The patchable part of arch/ap_boot.asm's trampoline (offsets match the asm's comments). */
struct ap_tramp_data {
	u64 gdt[4];
	u16 pad[3];
	u16 gdtr_limit;		/* 0x26 */
	u32 gdtr_base;		/* 0x28 */
	u32 pad2;
	u32 pm32_off, pm32_sel;	/* 0x30: far pointer to the 32-bit part */
	u32 lm64_off, lm64_sel;	/* 0x38: far pointer to the 64-bit part */
	u64 cr3, efer, cr0;	/* 0x40 */
	u64 stack, percpu;	/* 0x58 */
	u64 entry;		/* 0x68 */
	volatile u32 alive;	/* 0x70 */
	u32 pad3;
};
_Static_assert(sizeof(struct ap_tramp_data) == 0x78, "struct ap_tramp_data vs ap_boot.asm");
_Static_assert(__builtin_offsetof(struct ap_tramp_data, gdtr_base) == 0x28, "gdtr");
_Static_assert(__builtin_offsetof(struct ap_tramp_data, cr3) == 0x40, "cr3");
_Static_assert(__builtin_offsetof(struct ap_tramp_data, alive) == 0x70, "alive");

extern const u8 ap_tramp_start[], ap_tramp_end[], ap_tramp_data[], ap_tramp_data_end[];
extern const u32 ap_tramp_pm32_off, ap_tramp_lm64_off, ap_tramp_gdt_off;
extern u8 boot_stack_bottom[], boot_stack_top[];

__noreturn void smp_ap_entry(struct percpu *pc);	/* from arch/ap_boot.asm */

static u32 cpuid_apic_id(void)
{
	/* leaf 0xB gives the full x2APIC ID; leaf 1 the 8-bit initial APIC ID */
	if (cpuid(0, 0).eax >= 0xb && cpuid(0xb, 0).ebx)
		return cpuid(0xb, 0).edx;
	return cpuid(1, 0).ebx >> 24;
}

static const char *state_name(u32 s)
{
	static const char *const names[] = {
		[CPU_ABSENT] = "absent", [CPU_STARTING] = "starting", [CPU_ROOT] = "in uhv",
		[CPU_VMX] = "in VMX operation", [CPU_STOPPED] = "stopped", [CPU_FAILED] = "failed",
		[CPU_PARKED] = "parked in VMX root",
	};
	return s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* ---- per-CPU data ------------------------------------------------------------------------- */

void smp_init_boot_cpu(void)
{
	struct percpu *pc = cpu_tab[0];

	pc->self = pc;
	pc->cpu = 0;
	pc->apic_id = pc->apic_id_seen = cpuid_apic_id();
	pc->state = CPU_ROOT;
	pc->guest = true;
	pc->stack_bottom = (u64)(uintptr_t)boot_stack_bottom;
	pc->stack_top = (u64)(uintptr_t)boot_stack_top;
	wrmsr(MSR_IA32_GS_BASE, (u64)(uintptr_t)pc);
}

struct percpu *cpu_get(unsigned cpu)
{
	if (cpu >= nslots || cpu_tab[cpu]->state == CPU_ABSENT)
		return NULL;
	return cpu_tab[cpu];
}

static bool is_up(const struct percpu *pc)
{
	return pc->state == CPU_ROOT || pc->state == CPU_VMX || pc->state == CPU_STOPPED ||
	       pc->state == CPU_PARKED;
}

unsigned smp_cpu_count(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nslots; i++)
		n += is_up(cpu_tab[i]);
	return n;
}

unsigned smp_cpu_slots(void) { return nslots; }
unsigned smp_cpus_outside(void) { return outside; }

struct percpu *smp_this_cpu_checked(void)
{
	u64 gs = rdmsr(MSR_IA32_GS_BASE);

	/* a walk, not a range check: the blocks are scattered in the pool */
	for (unsigned i = 0; i < nslots; i++)
		if (gs == (u64)(uintptr_t)cpu_tab[i])
			return cpu_tab[i];
	return NULL;
}

/* ---- the AP's side ------------------------------------------------------------------------ */

/* On the AP's own stack, still on the trampoline's GDT and temporary page tables. */
__noreturn void smp_ap_entry(struct percpu *pc)
{
	u32 expect = CPU_STARTING;

	gdt_init_ap(pc);	/* first: the trampoline's GDT goes with the temporary tables */
	idt_load();
	wrmsr(MSR_IA32_GS_BASE, (u64)(uintptr_t)pc);
	write_cr3(boot.cr3);
	write_cr4(boot.cr4);
	write_cr0(boot.cr0);
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | (boot.efer & (EFER_NXE | EFER_SCE)));
	wrmsr(MSR_IA32_PAT, boot.pat);
	lapic_ap_follow_boot_cpu();	/* before anything sends from this CPU */
	pc->apic_id_seen = cpuid_apic_id();
	/* the boot CPU may have given up on us (CPU_FAILED): then stay out of the way */
	if (!__atomic_compare_exchange_n(&pc->state, &expect, CPU_ROOT, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		for (;;)
			asm volatile("cli; hlt");
	boot.entry(pc);
	pr_err("CPU %u (APIC ID %u): its entry function returned\n", pc->cpu, pc->apic_id);
	smp_stop_this_cpu();
}

/* ---- the boot CPU's side ------------------------------------------------------------------ */

/* The highest available page in [4 KiB, 640 KiB): the SIPI vector is its page number. */
static paddr_t find_trampoline_page(void)
{
	const struct memmap *m = kmem_memmap();
	paddr_t best = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct memmap_range *r = &m->r[i];
		u64 lo = ALIGN_UP(MAX(r->base, PAGE_SIZE), PAGE_SIZE);
		u64 hi = ALIGN_DOWN(MIN(r->end, LOW_MEM_END), PAGE_SIZE);

		if (r->type == MEMMAP_LOW && hi >= lo + PAGE_SIZE)
			best = MAX(best, hi - PAGE_SIZE);
	}
	return best;
}

/* The trampoline's page tables: uhv's upper half (the image, the direct map with the APs'
 * stacks) and the trampoline page identity-mapped for the instructions right after paging is
 * on. The pool is below 4 GiB, so a 32-bit CR3 load reaches them. */
static paddr_t temp_tables[4];

static void free_temp_tables(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(temp_tables); i++)
		if (temp_tables[i])
			kmem_free(temp_tables[i], PAGE_SIZE);
	memset(temp_tables, 0, sizeof(temp_tables));
}

static paddr_t build_temp_tables(paddr_t tramp)
{
	for (unsigned i = 0; i < ARRAY_SIZE(temp_tables); i++)
		if (!(temp_tables[i] = kmem_alloc_page())) {
			free_temp_tables();
			return 0;
		}
	u64 *pml4 = phys_to_virt(temp_tables[0]);
	const u64 *kernel = phys_to_virt(kmem_page_tables()->root);

	for (unsigned i = 256; i < 512; i++)
		pml4[i] = kernel[i];
	pml4[0] = temp_tables[1] | PTE_P | PTE_RW;
	((u64 *)phys_to_virt(temp_tables[1]))[0] = temp_tables[2] | PTE_P | PTE_RW;
	((u64 *)phys_to_virt(temp_tables[2]))[0] = temp_tables[3] | PTE_P | PTE_RW;
	((u64 *)phys_to_virt(temp_tables[3]))[(tramp >> 12) & 511] = tramp | PTE_P | PTE_RW;
	return temp_tables[0];
}

static bool ap_answered(void *ctx)
{
	return ((struct percpu *)ctx)->state != CPU_STARTING;
}

/* Run one AP through the trampoline at tramp. true when it reached CPU_ROOT. */
static bool start_one(struct percpu *pc, paddr_t tramp, struct ap_tramp_data *d)
{
	u8 vector = (u8)(tramp >> 12);
	u32 expect = CPU_STARTING;
	int ret;

	d->stack = pc->stack_top;
	d->percpu = (u64)(uintptr_t)pc;
	d->alive = 0;
	pc->state = CPU_STARTING;
	mfence();	/* all of it visible before the AP can look */
	ret = lapic_send_sipi(pc->apic_id, vector);
	if (ret == 0 && wait_until(ap_answered, pc, SIPI_RETRY_US) < 0) {
		/* a second SIPI is ignored by a CPU that already left wait-for-SIPI */
		ret = lapic_send_sipi(pc->apic_id, vector);
		if (ret == 0)
			wait_until(ap_answered, pc, AP_START_TIMEOUT_US);
	}
	if (__atomic_compare_exchange_n(&pc->state, &expect, CPU_FAILED, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST)) {
		if (ret < 0)
			pr_err("CPU %u (APIC ID %u) NOT started: the start-up IPI could not be "
			       "sent (%s)\n", pc->cpu, pc->apic_id, errno_name(ret));
		else
			pr_err("CPU %u (APIC ID %u) NOT started: %s within %u ms of "
			       "INIT-SIPI-SIPI; parked with INIT, not given to the guest\n",
			       pc->cpu, pc->apic_id,
			       d->alive ? "it ran the trampoline but did not reach uhv's C code"
					: "no sign of life", AP_START_TIMEOUT_US / 1000);
		/* back to wait-for-SIPI, so it cannot run the trampoline page once it is
		 * guest memory again */
		lapic_send_init(pc->apic_id);
		udelay(INIT_DELAY_US);
		return false;
	}
	if (pc->apic_id_seen != pc->apic_id)
		pr_warn("CPU %u: the MADT says APIC ID %u but the CPU reports %u; using the "
			"MADT's\n", pc->cpu, pc->apic_id, pc->apic_id_seen);
	pr_info("CPU %u (APIC ID %u) started\n", pc->cpu, pc->apic_id);
	return true;
}

/* Is c a CPU to start: enabled, not the boot CPU, not an APIC ID seen before it in the MADT? */
static bool is_candidate(const struct acpi_madt_info *madt, unsigned i, u32 bsp_id)
{
	const struct acpi_cpu *c = &madt->cpus[i];

	if (!c->enabled || c->apic_id == bsp_id)
		return false;
	for (unsigned j = 0; j < i; j++)
		if (madt->cpus[j].enabled && madt->cpus[j].apic_id == c->apic_id)
			return false;
	return true;
}

/* The MADT's APs (n of them) have no per-CPU memory: say so, with the figures and what to do.
 * They stay in the firmware's hands, so no guest may run (arch/main.c ends the run). */
static void refuse_cpus(unsigned n, u64 each, u64 vmx_each)
{
	struct kmem_footprint f;

	kmem_footprint(&f);
	outside = n;
	pr_err("%u CPU(s) NOT started: uhv's pool has no room for their per-CPU memory (%llu KiB "
	       "each: stacks and per-CPU block %llu KiB, VMXON, VMCS and exit stack %llu KiB; %llu "
	       "KiB for all, %llu KiB of %llu KiB free); they stay where the firmware parked them, "
	       "outside uhv's control, so uhv will not start the guest (boot with a larger uhvmem=, "
	       "or disable CPUs in the firmware setup)\n", n, (each + vmx_each) >> 10, each >> 10,
	       vmx_each >> 10, (n * (each + vmx_each)) >> 10, f.free >> 10, f.pool >> 10);
}

u64 smp_pool_need(const struct acpi_madt_info *madt, u64 vmx_each)
{
	unsigned n = 0;

	for (unsigned i = 0; madt && i < madt->ncpus; i++)
		n += is_candidate(madt, i, boot_cpu.apic_id);
	return n ? ALIGN_UP((n + 1) * sizeof(*cpu_tab), PAGE_SIZE) + n * (AP_AREA_SIZE + vmx_each)
		 : 0;
}

/* Fill the slots for the MADT's APs: the slot table, and each AP's stacks and struct percpu, from
 * the pool, sized by the MADT's count. vmx_each is what the VMX side will take per AP later
 * (vmx_ap_main): all of it must fit now, or no AP is started. Returns the number of slots. */
static unsigned claim_slots(const struct acpi_madt_info *madt, u32 bsp_id, u64 vmx_each)
{
	unsigned n = 0, disabled = 0;
	struct kmem_footprint f;

	for (unsigned i = 0; i < madt->ncpus; i++) {
		disabled += !madt->cpus[i].enabled;
		n += is_candidate(madt, i, bsp_id);
		if (madt->cpus[i].enabled && madt->cpus[i].apic_id == bsp_id)
			boot_cpu.acpi_uid = madt->cpus[i].acpi_uid;
	}
	if (disabled)
		pr_info("%u CPU(s) the MADT lists as disabled are left alone\n", disabled);
	if (!n)
		return nslots;
	u64 table = ALIGN_UP((n + 1) * sizeof(*cpu_tab), PAGE_SIZE);
	kmem_footprint(&f);
	if (smp_pool_need(madt, vmx_each) > f.free) {
		refuse_cpus(n, AP_AREA_SIZE, vmx_each);
		return nslots;
	}
	paddr_t tpa = kmem_alloc_for(KMEM_PERCPU, table / PAGE_SIZE, PAGE_SIZE);
	if (!tpa) {
		refuse_cpus(n, AP_AREA_SIZE, vmx_each);
		return nslots;
	}
	cpu_tab = phys_to_virt(tpa);
	cpu_tab[0] = &boot_cpu;
	for (unsigned i = 0; i < madt->ncpus; i++) {
		if (!is_candidate(madt, i, bsp_id))
			continue;
		paddr_t area = kmem_alloc_for(KMEM_PERCPU, AP_AREA_SIZE / PAGE_SIZE, PAGE_SIZE);
		if (!area) {	/* fits in total but not in one piece: all or none */
			for (unsigned j = 1; j < nslots; j++)
				cpu_tab[j]->state = CPU_FAILED;
			refuse_cpus(n, AP_AREA_SIZE, vmx_each);
			return nslots;
		}
		u8 *va = phys_to_virt(area);
		struct percpu *pc = (struct percpu *)(va + AP_STACKS_SIZE);
		*pc = (struct percpu){ .self = pc, .cpu = nslots, .apic_id = madt->cpus[i].apic_id,
				       .acpi_uid = madt->cpus[i].acpi_uid, .state = CPU_STARTING };
		pc->stack_bottom = (u64)(uintptr_t)va;
		pc->stack_top = pc->stack_bottom + CPU_STACK_SIZE;
		pc->ist_bottom = pc->stack_top;
		cpu_tab[nslots++] = pc;	/* a candidate; start_one decides */
	}
	return nslots;
}

/* INIT every AP first: whatever loop the firmware parked them in, they now wait for a
 * SIPI and no longer run code in memory that is about to change */
static void init_aps(void)
{
	int ret;

	for (unsigned i = 1; i < nslots; i++)
		if (cpu_tab[i]->state == CPU_STARTING && (ret = lapic_send_init(cpu_tab[i]->apic_id)) < 0) {
			pr_err("CPU %u (APIC ID %u) NOT started: INIT could not be sent (%s)\n",
			       cpu_tab[i]->cpu, cpu_tab[i]->apic_id, errno_name(ret));
			cpu_tab[i]->state = CPU_FAILED;
		}
	udelay(INIT_DELAY_US);
}

/* Copy the trampoline to the page at tramp (the caller saved the page's contents) and fill in
 * the addresses it needs there, the temporary page tables pml4 and the boot CPU's modes. */
static struct ap_tramp_data *install_trampoline(paddr_t tramp, paddr_t pml4)
{
	u8 *page = phys_to_virt(tramp);
	struct ap_tramp_data *d = (void *)(page + (ap_tramp_data - ap_tramp_start));

	memcpy(page, ap_tramp_start, ap_tramp_end - ap_tramp_start);
	d->gdtr_base = (u32)(tramp + ap_tramp_gdt_off);
	d->pm32_off = (u32)(tramp + ap_tramp_pm32_off);
	d->lm64_off = (u32)(tramp + ap_tramp_lm64_off);
	d->cr3 = pml4;
	d->efer = boot.efer & (EFER_LME | EFER_NXE);
	d->cr0 = boot.cr0;
	return d;
}

int smp_start_aps(const struct acpi_madt_info *madt, void (*entry)(struct percpu *pc),
		  u64 vmx_each)
{
	static u8 saved[PAGE_SIZE];	/* the trampoline page's contents: guest memory */
	u32 bsp_id = cpu_tab[0]->apic_id;
	unsigned started = 0, failed = 0;
	paddr_t tramp, pml4;
	int ret;

	if (!madt || !madt->ncpus) {
		pr_info("no CPUs listed in the MADT: uhv runs on the boot CPU only\n");
		return 0;
	}
	claim_slots(madt, bsp_id, vmx_each);
	if (outside)
		return 0;
	if (nslots == 1) {
		pr_info("1 CPU (APIC ID %u): no application processors to start\n", bsp_id);
		return 0;
	}
	boot.cr0 = read_cr0();
	boot.cr4 = read_cr4() & ~CR4_VMXE;
	boot.cr3 = kmem_page_tables()->root;
	boot.efer = rdmsr(MSR_IA32_EFER);
	boot.pat = rdmsr(MSR_IA32_PAT);
	boot.entry = entry;

	ret = lapic_init();
	tramp = find_trampoline_page();
	pml4 = tramp && !ret ? build_temp_tables(tramp) : 0;
	if (ret < 0 || !tramp || !pml4) {
		pr_err("application processors NOT started: %s\n", ret < 0 ?
		       "the local APIC cannot be mapped" : !tramp ?
		       "no free page below 640 KiB for the start-up trampoline (the firmware's "
		       "memory map reserves all of it; the other CPUs stay outside uhv, so the "
		       "guest will not run: disable all but one CPU in the firmware setup, or "
		       "boot in legacy BIOS (CSM) mode)" :
		       "no memory for the trampoline's page tables");
		for (unsigned i = 1; i < nslots; i++)
			cpu_tab[i]->state = CPU_FAILED;
		return 0;
	}

	init_aps();
	u8 *page = phys_to_virt(tramp);
	memcpy(saved, page, PAGE_SIZE);
	struct ap_tramp_data *d = install_trampoline(tramp, pml4);
	pr_info("starting %u application processor(s) through a trampoline at %#llx (SIPI vector "
		"%#llx), %s\n", nslots - 1, tramp, (tramp >> 12),
		lapic_mode() == LAPIC_X2APIC ? "x2APIC" : "xAPIC");

	for (unsigned i = 1; i < nslots; i++) {
		if (cpu_tab[i]->state != CPU_STARTING)
			failed++;
		else if (start_one(cpu_tab[i], tramp, d))
			started++;
		else
			failed++;
	}

	memcpy(page, saved, PAGE_SIZE);	/* every AP is past the trampoline or parked */
	free_temp_tables();
	if (failed)
		pr_err("%u of %u CPUs run uhv; %u did NOT start (see above) and stay parked "
		       "outside the guest\n", started + 1, nslots, failed);
	else
		pr_info("all %u CPUs run uhv (boot CPU APIC ID %u + %u application "
			"processor(s))\n", nslots, bsp_id, started);
	return (int)started;
}

/* ---- the guest's CPUs (cpus=) --------------------------------------------------------------- */

unsigned smp_assign_guest_cpus(unsigned asked, unsigned most, const char *why)
{
	unsigned up = smp_cpu_count(), n = 0, want = asked;
	char list[128] = "", said[OPTIONS_CPUS_NAME_LEN], limit[48] = "";
	size_t len = 0;

	if (most && (want == 0 || want > most)) {
		want = most;
		ksnprintf(limit, sizeof(limit), " (%s: at most %u)", why, most);
	}
	if (want > up) {
		pr_warn("cpus=%u but uhv controls %u CPU(s): the guest gets all of them\n", want,
			up);
		want = 0;
	}
	for (unsigned i = 0; i < nslots; i++) {
		struct percpu *pc = cpu_tab[i];

		pc->guest = is_up(pc) && (want == 0 || n < want);
		if (!pc->guest)
			continue;
		if (len + 16 < sizeof(list))
			len += ksnprintf(list + len, sizeof(list) - len, "%s%u", n ? "," : "",
					 pc->apic_id);
		else if (list[len - 1] != '.')
			len += ksnprintf(list + len, sizeof(list) - len, ",...");
		n++;
	}
	pr_info("cpus=%s%s: the guest gets %u of %u CPU(s) (APIC IDs %s); %u parked in uhv, "
		"hidden from its MADT\n", options_cpus_name(asked, said), limit, n, up, list, up - n);
	return n;
}

unsigned smp_guest_apic_ids(u32 *ids, unsigned cap)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nslots && n < cap; i++)
		if (i == 0 || (cpu_tab[i]->guest && is_up(cpu_tab[i])))
			ids[n++] = cpu_tab[i]->apic_id;
	return n;
}

/* ---- stopping every CPU (the panic path) ---------------------------------------------------- */

bool smp_stopping(void) { return stopping; }

__noreturn void smp_stop_this_cpu(void)
{
	struct percpu *pc;

	cli();
	pc = smp_this_cpu_checked();
	if (pc)	/* the stop-all NMI may come while this line is being said: it returns here */
		pc->stop_entered = true;
	if (pc && pc->state != CPU_STOPPED) {
		log_raw("uhv: CPU %u (APIC ID %u) stopped\n", pc->cpu, pc->apic_id);
		pc->state = CPU_STOPPED;
	}
	for (;;)
		asm volatile("cli; hlt");
}

static bool signalled;	/* smp_stop_others signalled a CPU (its stop_signalled) */

static bool others_stopped(void *ctx)
{
	for (unsigned i = 0; i < nslots; i++)
		if (cpu_tab[i]->stop_signalled && cpu_tab[i]->state != CPU_STOPPED)
			return false;
	return true;
}

void smp_stop_others(void)
{
	struct percpu *me = smp_this_cpu_checked();

	if (__atomic_exchange_n(&stopping, true, __ATOMIC_SEQ_CST))
		return;	/* another CPU is at it (or this one already was) */
	for (unsigned i = 0; i < nslots; i++) {
		struct percpu *pc = cpu_tab[i];
		u32 st = pc->state;
		int ret;

		if (pc == me)
			continue;
		if (st == CPU_VMX) {
			/* INIT makes a running vCPU exit; a CPU in wait-for-SIPI holds INIT
			 * off (SDM Vol. 3C 25.2), but its SIPI exit sees smp_stopping() */
			ret = lapic_send_init(pc->apic_id);
			if (ret == 0)
				ret = lapic_send_sipi(pc->apic_id, 0);
		} else if (st == CPU_STARTING)
			ret = lapic_send_init(pc->apic_id);
		else if (st == CPU_ROOT || st == CPU_PARKED)	/* the NMI handler stops it */
			ret = lapic_send_nmi(pc->apic_id);
		else
			continue;
		if (ret < 0)
			log_raw("uhv: cannot signal CPU %u (APIC ID %u, %s) to stop (%s)\n",
				pc->cpu, pc->apic_id, state_name(st), errno_name(ret));
		else if (st != CPU_STARTING)	/* INIT puts a starting CPU back to waiting */
			signalled = pc->stop_signalled = true;
	}
	if (!signalled)
		return;
	if (wait_until(others_stopped, NULL, STOP_TIMEOUT_US) == 0)
		return;
	for (unsigned i = 0; i < nslots; i++)
		if (cpu_tab[i]->stop_signalled && cpu_tab[i]->state != CPU_STOPPED)
			log_raw("uhv: CPU %u (APIC ID %u) did not confirm it stopped within %u ms "
				"(state: %s)\n", i, cpu_tab[i]->apic_id, STOP_TIMEOUT_US / 1000,
				state_name(cpu_tab[i]->state));
}
