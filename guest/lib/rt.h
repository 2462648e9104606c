/* The test guests' runtime (guest/lib): 32-bit freestanding, entered from a
 * multiboot2 boot loader (uhv or GRUB) in flat protected mode.
 *
 * Output goes through UHV_HC_CONSOLE_WRITE when running under uhv and to COM1
 * otherwise, so the same guest also boots natively under GRUB. Each check
 * prints one line "guest: test <name>: ok|FAIL <details>|skipped (<why>)";
 * test_finish() prints the summary and ends the run (UHV_HC_SHUTDOWN under
 * uhv; natively QEMU isa-debug-exit, then the Bochs shutdown port; never the
 * Bochs magic break). */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <uhv/types.h>
#include <uhv/abi/hypercall.h>

/* ---- boot ------------------------------------------------------------------------------------ */

struct boot_module {
	u32 start, end;
	const char *string;
};

#define GUEST_MAX_MODULES	16
#define GUEST_MAX_MMAP		128

struct mmap_range {
	u64 base, len;
	u32 type;
};

struct boot_info {
	u32 magic;		/* EAX at entry */
	u32 info;		/* EBX at entry: multiboot2 information */
	u32 info_size;
	bool valid;		/* magic and structure fine */
	const char *cmdline;	/* "" if none */
	const char *loader_name;
	unsigned nr_mods;
	struct boot_module mods[GUEST_MAX_MODULES];
	unsigned nr_mmap;
	struct mmap_range mmap[GUEST_MAX_MMAP];
	bool has_meminfo;
	u32 mem_lower, mem_upper;
	bool has_rsdp;
};

extern struct boot_info boot;
extern bool under_uhv;		/* CPUID says uhv is the hypervisor */

/* The guest's image (text, data, bss incl. stack), from the linker script. */
extern char __image_start[], __image_end[];

/* Each guest defines it; called with the boot information parsed. */
void guest_main(void);

/* Value of "key=value" on the command line (value copied into buf), or NULL. */
const char *cmdline_get(const char *key, char *buf, size_t size);

/* ---- output ---------------------------------------------------------------------------------- */

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
void printf(const char *fmt, ...) __printf(1, 2);
void console_write(const char *s, size_t len);
void console_flush(void);

/* ---- tests ----------------------------------------------------------------------------------- */

void test_ok(const char *name);
void test_fail(const char *name, const char *fmt, ...) __printf(2, 3);
void test_skip(const char *name, const char *why);
/* "ok" if cond, else FAIL with the message. Returns cond. */
bool test_check(const char *name, bool cond, const char *fmt, ...) __printf(3, 4);
unsigned test_failures(void);
/* Summary, then end the run: pass iff no check failed. */
__noreturn void test_finish(void);
/* End the run now (native: debug-exit / shutdown ports; uhv: UHV_HC_SHUTDOWN). */
__noreturn void guest_exit(bool pass);

/* ---- CPU ------------------------------------------------------------------------------------- */

struct cpuid_r { u32 eax, ebx, ecx, edx; };

static inline struct cpuid_r cpuid(u32 leaf, u32 sub)
{
	struct cpuid_r r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(sub));
	return r;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u16 inw(u16 port)
{
	u16 v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u32 inl(u16 port)
{
	u32 v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 read_cr0(void) { u32 v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 read_cr2(void) { u32 v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 read_cr3(void) { u32 v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 read_cr4(void) { u32 v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u32 v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(u32 v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(u32 v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(u32 va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* 64-bit by 32-bit division without libgcc (there is no 32-bit libgcc). */
u64 udiv64(u64 n, u32 d, u32 *rem);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* ---- hypercalls (include/uhv/abi/hypercall.h) ---------------------------------------------------- */

struct hc_result {
	u32 eax, ebx, ecx, edx;
};

/* VMCALL with EAX = fn and the arguments in EBX, ECX, EDX, ESI. Only under uhv
 * (natively VMCALL raises #UD; see try_vmcall()). */
struct hc_result hypercall(u32 fn, u32 ebx, u32 ecx, u32 edx, u32 esi);

static inline int hc(u32 fn, u32 a1, u32 a2)
{
	return (int)hypercall(fn, a1, a2, 0, 0).eax;
}

/* Test hooks (UHV_HC_TEST_HOOK, EBX = hook), see docs/guests.md. */
#define HOOK_UHV_ADDR		1	/* -> EAX 0, EBX:ECX = host-physical address in uhv */
#define HOOK_EPT_SKIP		2	/* ECX = length: skip instructions that violate EPT */
#define HOOK_EPT_COUNT		3	/* -> EAX = EPT violations seen so far */

/* TSC ticks per millisecond measured against PIT channel 2 (guest/lib/pit.c); 0 when
 * the PIT never counted down. */
u32 pit_tsc_per_ms(void);

/* The uhv test port: always intercepted, reads 0x75687600 | access width. */
#define UHV_TEST_PORT		0x510

/* ---- exceptions ------------------------------------------------------------------------------ */

/* A faulting access inside a try_* helper resumes after the instruction; the
 * helper returns the vector, or -1 when nothing faulted. Any other exception
 * is a test failure that ends the run. */
extern volatile u32 catch_fixup;
extern volatile int catch_vector;
extern volatile u32 catch_error, catch_cr2;
extern volatile u32 catch_eip, catch_eflags;	/* where it faulted, the RFLAGS it pushed */
/* Called for an NMI instead of the catcher (with the interrupted EIP), when set. */
extern void (*volatile trap_nmi_hook)(u32 eip);

#define VEC_UD	6
#define VEC_GP	13
#define VEC_PF	14

void trap_init(void);
const char *vector_name(int v);

int try_rdmsr(u32 msr, u64 *val);
int try_wrmsr(u32 msr, u64 val);
int try_read32(u32 addr, u32 *val);	/* "movl (%ebx), %eax": 2 bytes, see HOOK_EPT_SKIP */
int try_write32(u32 addr, u32 val);	/* "movl %eax, (%ebx)": 2 bytes */
int try_write_cr4(u32 val);
int try_vmcall(u32 fn, u32 *eax);

/* VMX instructions, run outside VMX operation: each must raise #UD in a guest. */
enum vmx_insn { VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME,
		INVEPT, INVVPID, NR_VMX_INSN };
extern const char *const vmx_insn_name[NR_VMX_INSN];
int try_vmx(enum vmx_insn which);

#endif
