/* The hypervisor's GDT and TSS. The TSS matters for two reasons: the IST
 * stacks let double faults and NMIs run on a known-good stack, and VMX
 * requires a non-null host TR selector. */
#include <uhv/trap.h>
#include <uhv/string.h>

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

#define IST_STACK_SIZE 8192

/* One CPU for now; per-CPU copies come with SMP. */
static u64 gdt[7] __aligned(16);
static struct tss64 tss __aligned(16);
static u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

u64 gdt_base(void) { return (u64)(uintptr_t)gdt; }
u64 tss_base(void) { return (u64)(uintptr_t)&tss; }

void gdt_init(void)
{
	memset(&tss, 0, sizeof(tss));
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (u64)(uintptr_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss);	/* no I/O permission bitmap */

	u64 base = (u64)(uintptr_t)&tss;
	u64 limit = sizeof(tss) - 1;
	gdt[0] = 0;
	gdt[1] = 0x00209a0000000000ULL;	/* 0x08: 64-bit code, DPL 0 */
	gdt[2] = 0x0000920000000000ULL;	/* 0x10: data */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);	/* available 64-bit TSS */
	gdt[4] = base >> 32;
	gdt[5] = gdt[6] = 0;

	struct desc_ptr gdtr = { sizeof(gdt) - 1, (u64)(uintptr_t)gdt };
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
