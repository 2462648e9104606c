/* GDT, TSS, IDT and CPU exceptions (arch/gdt.c, arch/exceptions.c, arch/isr.asm). */
#ifndef UHV_TRAP_H
#define UHV_TRAP_H

#include <uhv/types.h>

#define GDT_KERNEL_CS	0x08
#define GDT_KERNEL_DS	0x10
#define GDT_TSS		0x18	/* 16-byte system descriptor: 0x18 and 0x20 */

#define IST_DF	1	/* double fault gets its own stack */
#define IST_NMI	2
#define IST_MC	3
#define IST_STACK_SIZE	8192	/* each of a CPU's three IST stacks */

#define GDT_ENTRIES	7	/* null, code, data, TSS (two slots), two spare */

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct percpu;

/* Saved by arch/isr.asm; order matches the pushes there. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

/* The boot CPU's GDT and TSS (in its struct percpu; IST stacks in the image), loaded. */
void gdt_init(void);
/* An application processor's, from pc->ist_bottom; sets pc->gdt_base and pc->tss_base. */
void gdt_init_ap(struct percpu *pc);
/* Build the shared IDT and load it (boot CPU); idt_load() loads it on an AP. */
void idt_init(void);
void idt_load(void);
const char *exception_name(unsigned vector);

/* The current CPU's TSS and GDT (this_cpu()), and the shared IDT, for the VMCS host-state area. */
u64 gdt_base(void);
u64 tss_base(void);
u64 idt_base(void);

/* NMIs that reached a CPU running no guest (parked, not launched yet, before VMX) are counted
 * per CPU (struct percpu) and ignored; this prints one line with the counts when there were
 * any (platform_exit, before the run's last line). */
void nmi_report_ignored(void);

/* uhv runs with interrupts off; a self-test that opens a window for an interrupt of its own
 * (drivers/vtd_ir_selftest.c) sets this: called for vectors 32-255, true when it handled the
 * interrupt (and sent the EOI). NULL otherwise: such a vector is reported and ignored. */
extern bool (*trap_irq_hook)(unsigned vector);

/* Print a stack trace starting at frame pointer rbp. */
void stack_trace(u64 rbp, u64 rip);

#endif
