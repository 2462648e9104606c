/* The GDB stub's backend under VMX (struct gdb_backend, <uhv/gdbstub.h>): the stub's bytes
 * out on the console or the gdb= port, the guest's registers in GDB's layout, guest-virtual
 * memory, DR0-DR3/DR7 for hardware breakpoints, and run control. */
#include <uhv/vmx_exit.h>
#include <uhv/gdbstub.h>
#include <uhv/uart.h>
#include <uhv/cpu.h>
#include <uhv/string.h>
#include "debug_priv.h"

#define DR7_ENABLES	0xffULL
#define DR7_RESET	0x400ULL

DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)

static u64 *gpr_slot(unsigned sdm)
{
	struct vm_debug *dbg = dbg_of_cpu();
	return &dbg->v->gpr[sdm];
}

static void gdb_put(void *ctx, const void *buf, size_t len)
{
	struct vm_debug *dbg = dbg_of_cpu();
	const u8 *b = buf;

	for (size_t i = 0; i < len; i++) {
		if (dbg->gdb_on_console)
			uart_putc((char)b[i]);	/* raw: no \n translation */
		else
			dbg_port_putc(dbg->gdb_port, b[i]);
	}
}

static const u8 gdb_gpr_map[16] = {
	GPR_RAX, GPR_RBX, GPR_RCX, GPR_RDX, GPR_RSI, GPR_RDI, GPR_RBP, GPR_RSP,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
};

static u64 read_cr8(void)
{
	u64 v;
	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static int gdb_read_regs(void *ctx, struct gdb_regs *r)
{
	struct vm_debug *dbg = dbg_of_cpu();
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 16; i++)
		r->gpr[i] = gdb_gpr_map[i] == GPR_RSP ? vmread(VMCS_GUEST_RSP) :
							 *gpr_slot(gdb_gpr_map[i]);
	r->rip = vmread(VMCS_GUEST_RIP);
	r->eflags = (u32)dbg_guest_rflags();
	r->seg[0] = (u32)vmread(VMCS_GUEST_CS_SELECTOR);
	r->seg[1] = (u32)vmread(VMCS_GUEST_SS_SELECTOR);
	r->seg[2] = (u32)vmread(VMCS_GUEST_DS_SELECTOR);
	r->seg[3] = (u32)vmread(VMCS_GUEST_ES_SELECTOR);
	r->seg[4] = (u32)vmread(VMCS_GUEST_FS_SELECTOR);
	r->seg[5] = (u32)vmread(VMCS_GUEST_GS_SELECTOR);
	/* uhv uses no FPU/SSE: the guest's state is still in the registers */
	if (read_cr4() & BIT(9)) {	/* OSFXSR: FXSAVE stores the XMM registers */
		u64 cr0 = read_cr0();
		if (cr0 & (CR0_TS | BIT(2)))	/* TS, EM would fault */
			write_cr0(cr0 & ~(u64)(CR0_TS | BIT(2)));
		asm volatile("fxsave64 %0" : "=m"(dbg->fx));
		if (cr0 & (CR0_TS | BIT(2)))
			write_cr0(cr0);
		r->x87[0] = *(u16 *)&dbg->fx[0];		/* FCW */
		r->x87[1] = *(u16 *)&dbg->fx[2];		/* FSW */
		r->x87[2] = dbg->fx[4];			/* abridged FTW */
		r->x87[7] = *(u16 *)&dbg->fx[6];		/* FOP */
		r->x87[4] = *(u32 *)&dbg->fx[8];		/* FIP */
		r->x87[6] = *(u32 *)&dbg->fx[16];	/* FDP */
		for (unsigned i = 0; i < 8; i++)
			memcpy(r->st[i], &dbg->fx[32 + 16 * i], 10);
		for (unsigned i = 0; i < 16; i++)
			memcpy(r->xmm[i], &dbg->fx[160 + 16 * i], 16);
		r->mxcsr = *(u32 *)&dbg->fx[24];
	}
	r->fs_base = vmread(VMCS_GUEST_FS_BASE);
	r->gs_base = vmread(VMCS_GUEST_GS_BASE);
	r->cr0 = dbg_guest_cr0();
	r->cr2 = read_cr2();
	r->cr3 = vmread(VMCS_GUEST_CR3);
	r->cr4 = dbg_guest_cr4();
	r->cr8 = read_cr8();
	r->efer = vmread(VMCS_GUEST_IA32_EFER);
	return 0;
}

/* GPRs, RIP, RFLAGS (arithmetic flags, DF, AC, ID...), FS/GS base; segment
 * selectors, x87/SSE and control registers are read-only here. */
static int gdb_write_regs(void *ctx, const struct gdb_regs *r)
{
	const u64 keep = RFLAGS_TF | BIT(17) | BIT(14) | (3ULL << 12);	/* TF VM NT IOPL */
	u64 f = vmread(VMCS_GUEST_RFLAGS);

	for (unsigned i = 0; i < 16; i++) {
		if (gdb_gpr_map[i] == GPR_RSP)
			vmwrite(VMCS_GUEST_RSP, r->gpr[i]);
		else
			*gpr_slot(gdb_gpr_map[i]) = r->gpr[i];
	}
	vmwrite(VMCS_GUEST_RIP, r->rip);
	f = (f & keep) | (r->eflags & ~keep & 0x3f7fd5ULL) | 2;
	/* setting IF by hand would break the interruptibility state's rules */
	if (!(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF))
		f &= ~(u64)RFLAGS_IF;
	vmwrite(VMCS_GUEST_RFLAGS, f);
	vmwrite(VMCS_GUEST_FS_BASE, r->fs_base);
	vmwrite(VMCS_GUEST_GS_BASE, r->gs_base);
	return 0;
}

static int gdb_read_mem(void *ctx, u64 gva, void *buf, size_t len)
{
	return dbg_gva_rw(gva, buf, len, false);
}

static int gdb_write_mem(void *ctx, u64 gva, const void *buf, size_t len)
{
	return dbg_gva_rw(gva, (void *)buf, len, true);
}

static void load_drs(const u64 a[4])
{
	write_dr0(a[0]);
	write_dr1(a[1]);
	write_dr2(a[2]);
	write_dr3(a[3]);
}

/* DR0-3 are not switched by VM entry/exit (uhv does not use them): the
 * guest's values are the CPU's. DR7 is the VMCS's. The guest's own are kept
 * and put back when GDB's last hardware breakpoint goes. */
static int gdb_set_debugregs(void *ctx, const u64 addr[GDB_HW_SLOTS], u64 dr7)
{
	struct vm_debug *dbg = dbg_of_cpu();
	bool on = dr7 & DR7_ENABLES;

	if (on && !dbg->guest_dr_saved) {
		dbg->guest_dr[0] = read_dr0();
		dbg->guest_dr[1] = read_dr1();
		dbg->guest_dr[2] = read_dr2();
		dbg->guest_dr[3] = read_dr3();
		dbg->guest_dr7 = vmread(VMCS_GUEST_DR7);
		dbg->guest_dr_saved = true;
	}
	if (on) {
		memcpy(dbg->gdb_dr, addr, sizeof(dbg->gdb_dr));
		dbg->gdb_dr7 = dr7;
		load_drs(addr);
		vmwrite(VMCS_GUEST_DR7, dr7 | DR7_RESET);
	} else if (dbg->guest_dr_saved) {
		load_drs(dbg->guest_dr);
		vmwrite(VMCS_GUEST_DR7, dbg->guest_dr7);
		dbg->guest_dr_saved = false;
		dbg->gdb_dr7 = 0;
	}
	dbg->hw_active = on;
	dbg_update_intercepts();
	return 0;
}

static void gdb_resume(void *ctx, bool step)
{
	struct vm_debug *dbg = dbg_of_cpu();
	if (step)
		dbg->step_req = STEP_GDB;
}

static void gdb_interrupt(void *ctx)
{
	struct vm_debug *dbg = dbg_of_cpu();
	dbg->want_interrupt = true;
	/* stopped (the monitor holds the guest) or running: answered at the next poll */
	if (dbg->timer)
		vmwrite(VMCS_VMX_PREEMPTION_TIMER_VALUE, 0);
}

static void gdb_detach(void *ctx)
{
	struct vm_debug *dbg = dbg_of_cpu();
	if (dbg->gdb_on_console) {
		dbg->gdb_on_console = false;
		dbg->stub_attached = false;
		uart_write("\nuhv: GDB detached; the console is the guest's again\n", 53);
	}
	dbg->step_req = STEP_NONE;
	dbg_update_intercepts();
}

static const struct gdb_backend gdb_be = {
	.put = gdb_put,
	.read_regs = gdb_read_regs,
	.write_regs = gdb_write_regs,
	.read_mem = gdb_read_mem,
	.write_mem = gdb_write_mem,
	.set_debugregs = gdb_set_debugregs,
	.resume = gdb_resume,
	.interrupt = gdb_interrupt,
	.detach = gdb_detach,
};

void dbg_attach_gdb(struct vm_debug *dbg, bool on_console, bool running)
{
	if (on_console)
		dbg->gdb_on_console = true;
	dbg->stub_attached = true;
	gdb_attach(&dbg->stub, &gdb_be, running);
}
