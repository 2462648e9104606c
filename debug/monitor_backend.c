/* The uhv> monitor's backend under VMX (struct monitor_backend, <uhv/monitor.h>): the
 * summary, exit counts, VT-d and PCI state, EPT walks, the guest's registers and memory, and
 * the commands that leave the monitor (step, continue, reset, gdb). */
#include <uhv/vmx_exit.h>
#include <uhv/monitor.h>
#include <uhv/gdbstub.h>
#include <uhv/gwalk.h>
#include <uhv/guest.h>
#include <uhv/pci.h>
#include <uhv/vtd.h>
#include <uhv/ept.h>
#include <uhv/uart.h>
#include <uhv/cpu.h>
#include <uhv/kmem.h>
#include <uhv/platform.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include "debug_priv.h"

static void mon_put(void *ctx, const char *s, size_t len)
{
	uart_write(s, len);
}

static const char *paging_name(enum gwalk_paging p)
{
	static const char *const names[] = { "off", "32-bit", "PAE", "4-level", "5-level" };
	return (unsigned)p < ARRAY_SIZE(names) ? names[p] : "?";
}

static void mon_info(void *ctx, struct monitor *m)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 cr0 = dbg_guest_cr0(), cr4 = dbg_guest_cr4(), efer = vmread(VMCS_GUEST_IA32_EFER);
	u64 ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);
	const char *mode = !(cr0 & CR0_PE) ? "real mode" :
			   (efer & EFER_LMA) ? ((ar & BIT(13)) ? "64-bit" : "compatibility mode") :
			   "32-bit protected mode";

	char con[64];

	monitor_printf(m, "uhv: platform %s, console %s (the guest's UART at port %#x is "
		       "virtual)\n", platform_name(platform_get()),
		       uart_regs_name(uart_console_regs(), con, sizeof(con)), dbg->con_port);
	if (!dbg->gdb_port)
		monitor_printf(m, "uhv: GDB stub on the console (Ctrl-] g or 'gdb')\n");
	else
		monitor_printf(m, "uhv: GDB stub on port %#x, %s\n", dbg->gdb_port,
			       !dbg->stub_attached ? "not attached" :
			       gdb_get_state(&dbg->stub) == GDB_STATE_DETACHED ? "detached" :
			       "attached");
	monitor_printf(m, "guest: %s, %s, paging %s, CPL %llu\n",
		       dbg->guest->kind ? dbg->guest->kind : "?", mode,
		       paging_name(gwalk_paging(cr0, cr4, efer)),
		       ((vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3));
	monitor_printf(m, "guest: rip %#llx, %llu VM exits, %llu MiB RAM\n",
		       vmread(VMCS_GUEST_RIP), vmx_exit_count(~0U),
		       (guest_ram_total(dbg->guest) >> 20));
	monitor_printf(m, "single step: %s; console: %llu bytes to the guest, %llu dropped\n",
		       dbg->mtf ? "monitor trap flag" : "RFLAGS.TF with #DB intercepted",
		       dbg->vu.received, dbg->vu.dropped);
}

static void mon_exits(void *ctx, struct monitor *m)
{
	for (u32 i = 0; i <= VMX_MAX_EXIT_REASON; i++) {
		u64 n = vmx_exit_count(i);
		if (n)
			monitor_printf(m, "  %2u %-28s %12llu\n", i, vmx_exit_reason_name(i), n);
	}
	monitor_printf(m, "  total %llu\n", vmx_exit_count(~0U));
}

static void mon_iommu(void *ctx, struct monitor *m)
{
	if (!vtd_active()) {
		monitor_printf(m, "VT-d: not active (no DMAR, iommu=off, or setup failed)\n");
		return;
	}
	vtd_poll_faults();
	monitor_printf(m, "VT-d: active, the guest's DMA is confined; %llu fault(s) recorded\n",
		       vtd_fault_count());
	if (vtd_fault_count())
		vtd_fault_summary();
}

static void mon_pci(void *ctx, struct monitor *m)
{
	struct vm_debug *dbg = dbg_of_cpu();
	if (!dbg->pci) {
		monitor_printf(m, "no PCI scan\n");
		return;
	}
	monitor_printf(m, "PCI devices (all passed through to the guest):\n");
	pci_print(dbg->pci);
}

static int mon_ept(void *ctx, struct monitor *m, u64 gpa)
{
	static const char *const lvl[] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
	u64 *t;

	struct vm *vm = vm_current();
	if (gpa >= EPT_GPA_LIMIT || !vm->ept.eptp)
		return -EINVAL;
	t = phys_to_virt(vm->ept.eptp & ~0xfffULL);
	for (unsigned l = EPT_LEVELS; l >= 1; l--) {
		unsigned idx = (gpa >> (12 + 9 * (l - 1))) & 511;
		u64 e = t[idx];
		monitor_printf(m, "  %-5s[%3u] = %016llx\n", lvl[l], idx, e);
		if (!(e & EPT_RWX)) {
			monitor_printf(m, "GPA %#llx: not mapped (no access for the guest)\n",
				       gpa);
			return 0;
		}
		if (l == 1 || (e & EPT_LARGE)) {
			u64 size = 1ULL << (12 + 9 * (l - 1));
			u64 hpa = (e & 0x000ffffffffff000ULL & ~(size - 1)) | (gpa & (size - 1));
			monitor_printf(m, "GPA %#llx -> HPA %#llx, %s%s%s, memory type %llu, "
				       "%llu KiB page\n", gpa, hpa,
				       e & EPT_READ ? "R" : "-", e & EPT_WRITE ? "W" : "-",
				       e & EPT_EXEC ? "X" : "-",
				       ((e & EPT_MT_MASK) >> EPT_MT_SHIFT), (size >> 10));
			return 0;
		}
		t = phys_to_virt(e & 0x000ffffffffff000ULL);
	}
	return 0;
}

static int mon_get_regs(void *ctx, struct monitor_regs *r)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 *g = dbg->v->gpr;

	r->rax = g[GPR_RAX]; r->rbx = g[GPR_RBX]; r->rcx = g[GPR_RCX]; r->rdx = g[GPR_RDX];
	r->rsi = g[GPR_RSI]; r->rdi = g[GPR_RDI]; r->rbp = g[GPR_RBP];
	r->rsp = vmread(VMCS_GUEST_RSP);
	r->r8 = g[GPR_R8]; r->r9 = g[GPR_R9]; r->r10 = g[GPR_R10]; r->r11 = g[GPR_R11];
	r->r12 = g[GPR_R12]; r->r13 = g[GPR_R13]; r->r14 = g[GPR_R14]; r->r15 = g[GPR_R15];
	r->rip = vmread(VMCS_GUEST_RIP);
	r->rflags = dbg_guest_rflags();
	r->cs = (u16)vmread(VMCS_GUEST_CS_SELECTOR);
	r->ss = (u16)vmread(VMCS_GUEST_SS_SELECTOR);
	r->ds = (u16)vmread(VMCS_GUEST_DS_SELECTOR);
	r->es = (u16)vmread(VMCS_GUEST_ES_SELECTOR);
	r->fs = (u16)vmread(VMCS_GUEST_FS_SELECTOR);
	r->gs = (u16)vmread(VMCS_GUEST_GS_SELECTOR);
	r->tr = (u16)vmread(VMCS_GUEST_TR_SELECTOR);
	r->ldtr = (u16)vmread(VMCS_GUEST_LDTR_SELECTOR);
	r->fs_base = vmread(VMCS_GUEST_FS_BASE);
	r->gs_base = vmread(VMCS_GUEST_GS_BASE);
	r->cr0 = dbg_guest_cr0();
	r->cr2 = read_cr2();
	r->cr3 = vmread(VMCS_GUEST_CR3);
	r->cr4 = dbg_guest_cr4();
	r->efer = vmread(VMCS_GUEST_IA32_EFER);
	r->dr7 = dbg->guest_dr_saved ? dbg->guest_dr7 : vmread(VMCS_GUEST_DR7);
	return 0;
}

static int mon_read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	return dbg_gpa_rw(gpa, buf, len, false);
}

static int mon_read_gva(void *ctx, u64 gva, void *buf, size_t len)
{
	return dbg_gva_rw(gva, buf, len, false);
}

static int mon_loglevel(void *ctx, enum log_level l)
{
	log_set_level(l);
	return 0;
}

static void mon_step(void *ctx)
{
	struct vm_debug *dbg = dbg_of_cpu();
	dbg->step_req = STEP_MONITOR;
}

static void mon_cont(void *ctx)
{
}

static void mon_reset(void *ctx)
{
	struct vm_debug *dbg = dbg_of_cpu();
	dbg->want_reset = true;
}

static void mon_gdb(void *ctx)
{
	dbg_attach_gdb(dbg_of_cpu(), true, false);
}

const struct monitor_backend dbg_mon_be = {
	.put = mon_put,
	.info = mon_info,
	.print_exits = mon_exits,
	.iommu_print = mon_iommu,
	.pci_print = mon_pci,
	.ept_walk = mon_ept,
	.get_regs = mon_get_regs,
	.read_gpa = mon_read_gpa,
	.read_gva = mon_read_gva,
	.set_loglevel = mon_loglevel,
	.step = mon_step,
	.cont = mon_cont,
	.reset = mon_reset,
	.gdb = mon_gdb,
};
