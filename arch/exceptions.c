/* CPU exceptions: every one is fatal to the hypervisor and is reported in
 * full (CPU, vector, error code, RIP, CR2, registers, stack trace); then every
 * other CPU is stopped and the run ends. NMIs are not exceptions of uhv's code
 * (nmi_dispatch): one while a panic stops all CPUs halts the CPU it arrives on,
 * one on a CPU running a vCPU is the guest's, any other is counted and ignored.
 * Device interrupts (vector >= 32) go to registered handlers. The IDT is shared
 * by all CPUs. */
#define LOG_MODULE "uhv"
#include <uhv/trap.h>
#include <uhv/log.h>
#include <uhv/cpu.h>
#include <uhv/platform.h>
#include <uhv/string.h>
#include <uhv/smp.h>
#include <uhv/vmx_smp.h>
#include <uhv/test_hooks.h>
#include <uhv/mca.h>

struct idt_entry {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __packed;

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

extern const u64 isr_table[256];
extern u8 __image_start[], __text_end[];
extern u8 boot_stack_bottom[], boot_stack_top[];

#define NO_CPU	0xffffffffu

static struct idt_entry idt[256] __aligned(16);
/* Nested exceptions while reporting one: stop instead of recursing (per CPU in struct percpu;
 * this one when GS does not point at a valid block). */
static u32 in_trap_nogs;
/* NMIs ignored on a CPU whose GS does not point at its block yet (nmi_dispatch). */
static u64 nmis_ignored_nogs;
/* The CPU that reports a panic; any other CPU that faults meanwhile just stops. */
static volatile u32 panic_cpu = NO_CPU;

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved (15)", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization exception",
	"#CP control protection", "reserved (22)", "reserved (23)", "reserved (24)",
	"reserved (25)", "reserved (26)", "reserved (27)", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved (31)",
};

const char *exception_name(unsigned vector)
{
	return vector < 32 ? exc_names[vector] : "interrupt";
}

u64 idt_base(void) { return (u64)(uintptr_t)idt; }

static void set_gate(unsigned v, u64 handler, u8 ist)
{
	idt[v] = (struct idt_entry){
		.offset_lo = handler & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e,	/* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, isr_table[v], v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0);
	idt_load();
}

void idt_load(void)
{
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	asm volatile("lidt %0" : : "m"(idtr));
}

static bool in_image_text(u64 a)
{
	return a >= (u64)(uintptr_t)__image_start && a < (u64)(uintptr_t)__text_end;
}

void stack_trace(u64 rbp, u64 rip)
{
	const struct percpu *pc = smp_this_cpu_checked();
	u64 bottom = pc ? pc->stack_bottom : (u64)(uintptr_t)boot_stack_bottom;
	u64 top = pc ? pc->stack_top : (u64)(uintptr_t)boot_stack_top;

	log_raw("  stack trace (addr2line -e " UHV_IMAGE_FILE " ADDR):\n    %#llx\n", rip);
	/* Frame pointers are kept (-fno-omit-frame-pointer); follow them while
	 * they stay on this CPU's stack so a corrupt chain cannot fault us again. */
	for (int depth = 0; depth < 16 && rbp; depth++) {
		if (rbp < bottom || rbp + 16 > top || (rbp & 7))
			break;
		u64 ret = ((u64 *)(uintptr_t)rbp)[1];
		if (!in_image_text(ret))
			break;
		log_raw("    %#llx\n", ret);
		rbp = ((u64 *)(uintptr_t)rbp)[0];
	}
}

static void pf_decode(u64 err)
{
	log_raw("  page fault: %s %s access in %s mode%s%s\n",
		err & 1 ? "protection violation on" : "not-present page on",
		err & 16 ? "instruction fetch" : err & 2 ? "write" : "read",
		err & 4 ? "user" : "supervisor", err & 8 ? ", reserved bit set" : "",
		err & 32 ? ", protection key" : "");
}

/* An NMI is no fault of uhv's code: whoever sent it (the guest's APIC, which can target any
 * APIC ID, parked CPUs included; a platform NMI on LINT1; a watchdog), it must not end the run.
 * No logging here: the NMI may have interrupted this CPU inside the log lock. */
static void nmi_dispatch(struct percpu *pc, struct trap_frame *f)
{
	/* the stop-all path of a panic elsewhere (smp_stop_others); a CPU already on its way
	 * to stopping (it saw the flag first) finishes its line: the NMI returns to it */
	if (smp_stopping()) {
		if (pc && pc->stop_entered)
			return;
		smp_stop_this_cpu();
	}
	/* an NMI for the guest (an IPI from another vCPU, a PMU overflow) that came
	 * while this CPU was in uhv: passed on */
	if (vmx_nmi_in_root(&f->rip))
		return;
	/* no guest on this CPU: parked, not launched yet, or before VMX. Nobody to pass it to;
	 * counted (printed when the run ends, nmi_report_ignored) and dropped */
	if (pc)
		pc->nmis_ignored++;
	else
		nmis_ignored_nogs++;
}

void nmi_report_ignored(void)
{
	u64 total = nmis_ignored_nogs;

	for (unsigned c = 0; c < smp_cpu_slots(); c++) {
		const struct percpu *pc = cpu_get(c);
		total += pc ? pc->nmis_ignored : 0;
	}
	if (!total)
		return;
	const char *sep = "";
	log_raw("uhv: %llu NMI(s) ignored on CPUs that ran no guest:", total);
	for (unsigned c = 0; c < smp_cpu_slots(); c++) {
		const struct percpu *pc = cpu_get(c);
		if (pc && pc->nmis_ignored) {
			log_raw("%s CPU %u (APIC ID %u) %llu", sep, c, pc->apic_id, pc->nmis_ignored);
			sep = ",";
		}
	}
	if (nmis_ignored_nogs)
		log_raw("%s before its per-CPU block %llu", sep, nmis_ignored_nogs);
	log_raw("\n");
}

bool (*trap_irq_hook)(unsigned vector);

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector >= 32) {
		if (trap_irq_hook && trap_irq_hook((unsigned)f->vector))
			return;
		pr_warn("unexpected interrupt vector %llu ignored\n", f->vector);
		return;
	}
	struct percpu *pc = smp_this_cpu_checked();
	u32 me = pc ? pc->cpu : 0, apic_id = pc ? pc->apic_id : 0, owner = NO_CPU;

	if (f->vector == 2) {
		nmi_dispatch(pc, f);
		return;
	}
	log_panic();
	if ((*(pc ? &pc->in_trap : &in_trap_nogs))++) {
		log_raw("\nuhv: PANIC: exception %llu on CPU %u while reporting an exception\n",
			f->vector, me);
		smp_stop_others();
		platform_exit(false, "nested exception");
	}
	if (!__atomic_compare_exchange_n(&panic_cpu, &owner, me, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST) && owner != me) {
		log_raw("uhv: CPU %u (APIC ID %u) also took exception %llu (%s) at RIP %#llx while "
			"CPU %u reports a panic\n", me, apic_id, f->vector,
			exception_name(f->vector), f->rip, owner);
		smp_stop_this_cpu();
	}
	if (f->vector == 18)
		mce_handle(f);	/* the banks, then the same stop as below */
	u64 cr2 = read_cr2();
	log_raw("\nuhv: PANIC: CPU exception %llu (%s) in the hypervisor on CPU %u (APIC ID %u)\n",
		f->vector, exception_name(f->vector), me, apic_id);
	log_raw("  error code %#llx  RIP %#llx  CS %#llx  RFLAGS %#llx\n",
		f->error_code, f->rip,
		f->cs, f->rflags);
	log_raw("  RSP %#llx  SS %#llx  CR0 %#llx  CR2 %#llx  CR3 %#llx  CR4 %#llx\n",
		f->rsp, f->ss,
		read_cr0(), cr2,
		read_cr3(), read_cr4());
	if (f->vector == 14)
		pf_decode(f->error_code);
	log_raw("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
		f->rax, f->rbx,
		f->rcx, f->rdx);
	log_raw("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n",
		f->rsi, f->rdi,
		f->rbp, f->r8);
	log_raw("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n",
		f->r9, f->r10,
		f->r11, f->r12);
	log_raw("  R13 %016llx R14 %016llx R15 %016llx\n",
		f->r13, f->r14, f->r15);
	stack_trace(f->rbp, f->rip);
	smp_stop_others();
	platform_exit(false, "CPU exception in the hypervisor");
}
