/* Exceptions in the test guests: an IDT for vectors 0-31 and a catcher that
 * lets a probe instruction fault and resume after it.
 *
 * A probe stores the address after its instruction in catch_fixup before
 * running it; the handler, finding catch_fixup set, records the vector and
 * resumes there. With catch_fixup clear an exception is a failure that ends
 * the run (after printing where it happened). */
#include "rt.h"

struct trap_frame {
	u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;	/* pushad */
	u32 vector, error;
	u32 eip, cs, eflags;
};

struct idt_entry {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
} __packed;

volatile u32 catch_fixup;
volatile int catch_vector = -1;
volatile u32 catch_error, catch_cr2;
volatile u32 catch_eip, catch_eflags;
void (*volatile trap_nmi_hook)(u32 eip);

extern const u32 isr_table[32];
static struct idt_entry idt[32] __aligned(8);

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *vector_name(int v)
{
	if (v < 0)
		return "none";
	return v < 32 && names[v] ? names[v] : "?";
}

void trap_init(void)
{
	struct { u16 limit; u32 base; } __packed idtr = { sizeof(idt) - 1, (u32)(uintptr_t)idt };

	for (unsigned i = 0; i < 32; i++) {
		idt[i] = (struct idt_entry){
			.off_lo = isr_table[i] & 0xffff, .sel = 0x08,
			.type = 0x8e,	/* present, DPL 0, 32-bit interrupt gate */
			.off_hi = isr_table[i] >> 16,
		};
	}
	asm volatile("lidt %0" : : "m"(idtr));
}

void trap_handler(struct trap_frame *f)
{
	if (f->vector == 2 && trap_nmi_hook) {
		trap_nmi_hook(f->eip);
		return;
	}
	if (catch_fixup) {
		catch_vector = f->vector;
		catch_error = f->error;
		catch_cr2 = f->vector == VEC_PF ? read_cr2() : 0;
		catch_eip = f->eip;
		catch_eflags = f->eflags;
		if (f->vector == 1)
			f->eflags &= ~0x100u;	/* a single step ends with its trap */
		f->eip = catch_fixup;
		catch_fixup = 0;
		return;
	}
	printf("guest: unexpected exception %u %s at eip 0x%x, error code 0x%x, cr2 0x%x, eax 0x%x "
	       "ebx 0x%x ecx 0x%x edx 0x%x\n", f->vector, vector_name(f->vector), f->eip,
	       f->error, read_cr2(), f->eax, f->ebx, f->ecx, f->edx);
	test_fail("exceptions", "unexpected %s at 0x%x", vector_name(f->vector), f->eip);
	test_finish();
}

/* Each probe: arm the catcher with the label after the instruction, run it,
 * disarm. The catcher leaves every register as the fault found it. */
#define ARM	"movl $1f, %[fx]\n\t"
#define DISARM	"\n1:\n\tmovl $0, %[fx]"

int try_rdmsr(u32 msr, u64 *val)
{
	u32 lo = 0, hi = 0;

	catch_vector = -1;
	asm volatile(ARM "rdmsr" DISARM
		     : [fx] "=m"(catch_fixup), "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*val = ((u64)hi << 32) | lo;
	return catch_vector;
}

int try_wrmsr(u32 msr, u64 val)
{
	catch_vector = -1;
	asm volatile(ARM "wrmsr" DISARM
		     : [fx] "=m"(catch_fixup) : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
	return catch_vector;
}

int try_read32(u32 addr, u32 *val)
{
	u32 v = 0xdeadbeef;

	catch_vector = -1;
	asm volatile(ARM "movl (%%ebx), %%eax" DISARM
		     : [fx] "=m"(catch_fixup), "+a"(v) : "b"(addr) : "memory");
	*val = v;
	return catch_vector;
}

int try_write32(u32 addr, u32 val)
{
	catch_vector = -1;
	asm volatile(ARM "movl %%eax, (%%ebx)" DISARM
		     : [fx] "=m"(catch_fixup) : "a"(val), "b"(addr) : "memory");
	return catch_vector;
}

int try_write_cr4(u32 val)
{
	catch_vector = -1;
	asm volatile(ARM "mov %[v], %%cr4" DISARM
		     : [fx] "=m"(catch_fixup)
		     : [v] "r"(val)
		     : "memory");
	return catch_vector;
}

int try_vmcall(u32 fn, u32 *eax)
{
	u32 a = fn;

	catch_vector = -1;
	asm volatile(ARM "vmcall" DISARM
		     : [fx] "=m"(catch_fixup), "+a"(a) : "b"(0), "c"(0), "d"(0) : "memory");
	*eax = a;
	return catch_vector;
}

const char *const vmx_insn_name[NR_VMX_INSN] = {
	[VMXON] = "vmxon", [VMXOFF] = "vmxoff", [VMCLEAR] = "vmclear", [VMPTRLD] = "vmptrld",
	[VMPTRST] = "vmptrst", [VMREAD] = "vmread", [VMWRITE] = "vmwrite", [VMLAUNCH] = "vmlaunch",
	[VMRESUME] = "vmresume", [INVEPT] = "invept", [INVVPID] = "invvpid",
};

/* A page of zeroes as the memory operand: should an instruction not fault,
 * it at least points at harmless memory. */
static u8 vmx_page[4096] __aligned(4096);

int try_vmx(enum vmx_insn which)
{
	u64 desc[2] = { 0, 0 };
	u32 addr = (u32)(uintptr_t)vmx_page, field = 0, val = 0;
	u64 ptr = addr;

	catch_vector = -1;
	switch (which) {
	case VMXON:
		asm volatile(ARM "vmxon %[p]" DISARM
			     : [fx] "=m"(catch_fixup)
			     : [p] "m"(ptr)
			     : "memory", "cc");
		break;
	case VMXOFF:
		asm volatile(ARM "vmxoff" DISARM : [fx] "=m"(catch_fixup) : : "memory", "cc");
		break;
	case VMCLEAR:
		asm volatile(ARM "vmclear %[p]" DISARM
			     : [fx] "=m"(catch_fixup)
			     : [p] "m"(ptr)
			     : "memory", "cc");
		break;
	case VMPTRLD:
		asm volatile(ARM "vmptrld %[p]" DISARM
			     : [fx] "=m"(catch_fixup)
			     : [p] "m"(ptr)
			     : "memory", "cc");
		break;
	case VMPTRST:
		asm volatile(ARM "vmptrst %[p]" DISARM
			     : [fx] "=m"(catch_fixup), [p] "=m"(ptr)
			     :
			     : "memory", "cc");
		break;
	case VMREAD:
		asm volatile(ARM "vmread %[f], %[v]" DISARM
			     : [fx] "=m"(catch_fixup), [v] "+r"(val)
			     : [f] "r"(field)
			     : "memory", "cc");
		break;
	case VMWRITE:
		asm volatile(ARM "vmwrite %[v], %[f]" DISARM
			     : [fx] "=m"(catch_fixup)
			     : [f] "r"(field), [v] "r"(val)
			     : "memory", "cc");
		break;
	case VMLAUNCH:
		asm volatile(ARM "vmlaunch" DISARM : [fx] "=m"(catch_fixup) : : "memory", "cc");
		break;
	case VMRESUME:
		asm volatile(ARM "vmresume" DISARM : [fx] "=m"(catch_fixup) : : "memory", "cc");
		break;
	case INVEPT:
		asm volatile(ARM "invept %[d], %[t]" DISARM
			     : [fx] "=m"(catch_fixup) : [d] "m"(desc), [t] "r"(2) : "memory", "cc");
		break;
	case INVVPID:
		asm volatile(ARM "invvpid %[d], %[t]" DISARM
			     : [fx] "=m"(catch_fixup) : [d] "m"(desc), [t] "r"(2) : "memory", "cc");
		break;
	default:
		return -2;
	}
	return catch_vector;
}
