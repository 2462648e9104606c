/* The guest: its physical memory and its boot state.
 *
 * uhv runs one guest. Its physical memory is described by regions mapping
 * guest-physical to host-physical addresses (identity by default: all RAM
 * uhv does not use, at the same addresses). The loader (loader/) fills the
 * boot state; the VMX code (vmx/) builds EPT from the regions and starts the
 * boot CPU from the boot state. */
#ifndef UHV_GUEST_H
#define UHV_GUEST_H

#include <uhv/types.h>

#define GUEST_MAX_REGIONS 256

/* E820-style types of the memory map the guest is given */
#define GUEST_MEM_RAM		1
#define GUEST_MEM_RESERVED	2
#define GUEST_MEM_ACPI		3
#define GUEST_MEM_NVS		4

struct mb2_framebuffer;

struct guest_region {
	u64 gpa;
	u64 size;
	paddr_t hpa;
	u32 type;	/* GUEST_MEM_*: RAM is mapped RWX in EPT; ACPI/NVS/RESERVED read-write as firmware left them */
};

enum guest_cpu_mode {
	GUEST_MODE_PROTECTED32,	/* flat 32-bit protected mode, paging off (multiboot, Linux 32-bit entry) */
	GUEST_MODE_LONG64,	/* 64-bit, identity page tables built by the loader (Linux 64-bit entry) */
	GUEST_MODE_REAL,	/* real mode at CS:IP (SIPI, Linux real-mode entry) */
};

/* Initial register state of the boot CPU, as the loader wants it. */
struct guest_boot_state {
	enum guest_cpu_mode mode;
	u64 rip, rsp, rflags;
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 cr0, cr3, cr4, efer;
	u64 gdt_base;	/* a GDT the loader placed in guest memory (LONG64; PROTECTED32 if cs) */
	u16 gdt_limit;
	u16 cs, ds;	/* flat code / data selectors in that GDT; DS=ES=SS=FS=GS=ds.
			 * 0: the VMX side's defaults (0x08 / 0x10) */
	u16 real_cs;	/* GUEST_MODE_REAL */
};

struct guest {
	struct guest_region mem[GUEST_MAX_REGIONS];	/* sorted by gpa, non-overlapping */
	unsigned nr_mem;
	struct guest_boot_state boot;
	char cmdline[1024];	/* the guest's command line (first module's string) */
	const char *kind;	/* "multiboot2 ELF", "multiboot ELF", "Linux bzImage", for the log */
	bool console_quiet;	/* the guest drives the console UART itself: uhv holds its log
				 * lines while it runs (log_hold, vplatform/power.c) */
	/* The screen uhv was given (drivers/fbcon.c; NULL: none), set before loading; a loader
	 * that tells the guest about it (Linux: screen_info) sets screen_given, and the MMIO
	 * policy then lets the guest reach the framebuffer (MMIO_RULE_FRAMEBUFFER). */
	const struct mb2_framebuffer *screen;
	bool screen_given;
};

/* Host-virtual pointer to guest-physical [gpa, gpa+len) if it lies inside one
 * RAM region, else NULL (loader/guest_mem.c). */
void *guest_ptr(struct guest *g, u64 gpa, u64 len);
int guest_write(struct guest *g, u64 gpa, const void *src, u64 len);
int guest_read(struct guest *g, u64 gpa, void *dst, u64 len);
int guest_zero(struct guest *g, u64 gpa, u64 len);
/* Is guest-physical [gpa, gpa+len) entirely guest RAM? */
bool guest_is_ram(const struct guest *g, u64 gpa, u64 len);
u64 guest_ram_total(const struct guest *g);

#endif
