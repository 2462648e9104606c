/* The hypervisor's GDTs and TSSs, one of each per CPU (in its struct percpu). The TSS matters
 * for two reasons: the IST stacks let double faults, NMIs and machine checks run on a
 * known-good stack, and VMX requires a non-null host TR selector. */
#include <uhv/trap.h>
#include <uhv/percpu.h>
#include <uhv/string.h>

/* The boot CPU's IST stacks; an AP's come from the pool (arch/ap_start.c). */
static u8 boot_ist_stacks[3][IST_STACK_SIZE] __aligned(16);

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

u64 gdt_base(void) { return this_cpu()->gdt_base; }
u64 tss_base(void) { return this_cpu()->tss_base; }

static void load(struct percpu *pc, u64 ist_bottom)
{
	struct tss64 *tss = &pc->tss;
	u64 *gdt = pc->gdt;

	memset(tss, 0, sizeof(*tss));
	for (int i = 0; i < 3; i++)
		tss->ist[i] = ist_bottom + (u64)(i + 1) * IST_STACK_SIZE;
	tss->iomap_base = sizeof(*tss);	/* no I/O permission bitmap */

	u64 base = (u64)(uintptr_t)tss;
	u64 limit = sizeof(*tss) - 1;
	gdt[0] = 0;
	gdt[1] = 0x00209a0000000000ULL;	/* 0x08: 64-bit code, DPL 0 */
	gdt[2] = 0x0000920000000000ULL;	/* 0x10: data */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);	/* available 64-bit TSS */
	gdt[4] = base >> 32;
	gdt[5] = gdt[6] = 0;
	pc->ist_bottom = ist_bottom;
	pc->gdt_base = (u64)(uintptr_t)gdt;
	pc->tss_base = base;

	struct desc_ptr gdtr = { GDT_ENTRIES * 8 - 1, (u64)(uintptr_t)gdt };
	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movw %w2, %%ax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movw %%ax, %%es\n\t"
		     "movw %%ax, %%ss\n\t"
		     "ltr %w3"
		     : : "m"(gdtr), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS), "r"(GDT_TSS)
		     : "rax", "memory");
}

void gdt_init(void)
{
	load(this_cpu(), (u64)(uintptr_t)boot_ist_stacks);
}

void gdt_init_ap(struct percpu *pc)
{
	load(pc, pc->ist_bottom);
}
