/* Debugging the guest under VMX: the console's virtual UART and escape keys,
 * the backends of the uhv> monitor (arch/monitor.c) and of the GDB stub
 * (lib/gdbstub.c), and the exits that stop the guest for them (#BP, #DB,
 * monitor trap flag, VMX-preemption timer). docs/debugging.md has the design.
 *
 * The guest is "stopped" by staying inside an exit handler: stop_loop() polls
 * the serial ports until the monitor and the stub both let the guest run,
 * then arms a single step if one was asked for and returns to VM entry. */
#define LOG_MODULE "debug"
#include <uhv/vmx_debug.h>
#include <uhv/vm.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/shadow_vmx.h>
#include <uhv/vuart.h>
#include <uhv/monitor.h>
#include <uhv/gdbstub.h>
#include <uhv/console_escape.h>
#include <uhv/gwalk.h>
#include <uhv/guest.h>
#include <uhv/options.h>
#include <uhv/pci.h>
#include <uhv/vtd.h>
#include <uhv/ept.h>
#include <uhv/uart.h>
#include <uhv/io.h>
#include <uhv/cpu.h>
#include <uhv/kmem.h>
#include <uhv/timer.h>
#include <uhv/platform.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/string.h>

#define VEC_DB		1
#define VEC_BP		3
#define RFLAGS_TF	BIT(8)
#define RFLAGS_RF	BIT(16)
#define DR6_BS		BIT(14)
#define DR6_BD		BIT(13)
#define DR6_B0_3	0xfULL
#define DR7_ENABLES	0xffULL
#define DR7_RESET	0x400ULL
/* ticks of the preemption timer the guest may leave a received byte in the
 * real UART (with its receive interrupt on) before uhv drains it anyway */
#define RX_IRQ_GRACE	20

/* The debugger state of the vm this CPU runs: every debugger path but setup runs in a vCPU's
 * exit handler. */
static struct vm_debug *dbg_of_cpu(void)
{
	return &vm_current()->dbg;
}

/* ---- serial ports -------------------------------------------------------------------------- */

static u8 con_in(void *ctx, unsigned reg)
{
	struct vm_debug *dbg = dbg_of_cpu();
	return inb((u16)(dbg->con_port + reg));
}

static void con_out(void *ctx, unsigned reg, u8 val)
{
	struct vm_debug *dbg = dbg_of_cpu();
	outb((u16)(dbg->con_port + reg), val);
}

static const struct vuart_ops con_ops = { .in = con_in, .out = con_out };

static void port_putc(u16 port, u8 c)
{
	for (u32 i = 0; i < 1000000 && !(inb(port + UART_LSR) & UART_LSR_THRE); i++)
		cpu_relax();
	outb(port + UART_THR, c);
}

static int port_getc(u16 port)
{
	u8 lsr = inb(port + UART_LSR);

	if (lsr == 0xff || !(lsr & UART_LSR_DR))
		return -1;
	return inb(port + UART_RBR);
}

static int port_init(u16 port, u32 baud)
{
	u32 div = baud ? UART_CLOCK / baud : 1;

	outb(port + UART_SCR, 0xa5);
	if (inb(port + UART_SCR) != 0xa5)
		return -ENODEV;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, UART_LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLM, (div >> 8) & 0xff);
	outb(port + UART_LCR, UART_LCR_8N1);
	/* FIFO on without clearing it: GDB may have spoken already */
	outb(port + UART_FCR, 0x01);
	outb(port + UART_MCR, 0x03);
	return 0;
}

/* ---- guest state ----------------------------------------------------------------------------- */

static u64 guest_cr0(void)
{
	u64 mask = vmread(VMCS_CR0_GUEST_HOST_MASK);

	return (vmread(VMCS_GUEST_CR0) & ~mask) | (vmread(VMCS_CR0_READ_SHADOW) & mask);
}

static u64 guest_cr4(void)
{
	u64 mask = vmread(VMCS_CR4_GUEST_HOST_MASK);

	return (vmread(VMCS_GUEST_CR4) & ~mask) | (vmread(VMCS_CR4_READ_SHADOW) & mask);
}

/* RFLAGS as the guest should see it: without a TF uhv set for a step */
static u64 guest_rflags(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 f = vmread(VMCS_GUEST_RFLAGS);

	if (dbg->step_tf && !dbg->tf_was_set)
		f &= ~(u64)RFLAGS_TF;
	return f;
}

static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct vm_debug *dbg = dbg_of_cpu();
	const void *p = guest_ptr(dbg->guest, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static const struct gwalk_ops walk_ops = { .read_gpa = read_gpa };

static void walk_mode(struct gwalk_mode *m)
{
	memset(m, 0, sizeof(*m));
	m->cr0 = guest_cr0();
	m->cr3 = vmread(VMCS_GUEST_CR3);
	m->cr4 = guest_cr4();
	m->efer = vmread(VMCS_GUEST_IA32_EFER);
	for (unsigned i = 0; i < 4; i++)
		m->pdpte[i] = vmread(VMCS_GUEST_PDPTE0 + 2 * i);
	m->maxphyaddr = (u8)MAX(32u, MIN(52u, vmx.phys_bits));
	m->pdpe1gb = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
}

/* Guest-physical RAM only (never MMIO: a read could have side effects). */
static int gpa_rw(u64 gpa, void *buf, size_t len, bool write)
{
	struct vm_debug *dbg = dbg_of_cpu();
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, (size_t)(PAGE_SIZE - ((gpa + done) & (PAGE_SIZE - 1))));
		u8 *p = guest_ptr(dbg->guest, gpa + done, n);
		if (!p)
			break;
		if (write)
			memcpy(p, (const u8 *)buf + done, n);
		else
			memcpy((u8 *)buf + done, p, n);
		done += n;
	}
	return done ? (int)done : -EFAULT;
}

/* Guest-virtual through the guest's current page tables; A/D bits are not
 * set, and read-only pages can be written (breakpoints go into code). */
static int gva_rw(u64 gva, void *buf, size_t len, bool write)
{
	struct gwalk_mode mode;
	struct gwalk_result res;
	size_t done = 0;

	walk_mode(&mode);
	while (done < len) {
		u64 la = gva + done;
		size_t n = MIN(len - done, (size_t)(PAGE_SIZE - (la & (PAGE_SIZE - 1))));
		if (gwalk(&walk_ops, &mode, la, GWALK_NO_AD | GWALK_AC, &res) < 0)
			break;
		int got = gpa_rw(res.gpa, (u8 *)buf + done, n, write);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return done ? (int)done : -EFAULT;
}

static u64 *gpr_slot(unsigned sdm)
{
	struct vm_debug *dbg = dbg_of_cpu();
	return &dbg->v->gpr[sdm];
}

/* ---- stepping and intercepts ------------------------------------------------------------------ */

static bool stub_has_sw_breakpoints(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	if (!dbg->stub_attached)
		return false;
	for (unsigned i = 0; i < GDB_SW_BP_MAX; i++)
		if (dbg->stub.sw[i].used)
			return true;
	return false;
}

/* Only #BP and #DB are ours in the exception bitmap (mem=shadow owns #PF). */
static void update_intercepts(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u32 bitmap = (u32)vmread(VMCS_EXCEPTION_BITMAP) & ~(u32)(BIT(VEC_BP) | BIT(VEC_DB));

	if (stub_has_sw_breakpoints())
		bitmap |= BIT(VEC_BP);
	if (dbg->hw_active || dbg->step_tf)
		bitmap |= BIT(VEC_DB);
	vmwrite(VMCS_EXCEPTION_BITMAP, bitmap);
}

static void arm_step(enum step_owner who)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 rflags = vmread(VMCS_GUEST_RFLAGS);

	dbg->stepping = who;
	dbg->step_rip = vmread(VMCS_GUEST_RIP);
	pr_debug("step from rip %#llx by %s\n", dbg->step_rip, dbg->mtf ? "MTF" : "TF");
	if (dbg->mtf) {
		vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS,
			vmread(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS) | CPU_BASED_MONITOR_TRAP_FLAG);
		return;
	}
	/* RFLAGS.TF: a single-step #DB after the instruction, intercepted */
	dbg->step_tf = true;
	dbg->tf_was_set = rflags & RFLAGS_TF;
	vmwrite(VMCS_GUEST_RFLAGS, rflags | RFLAGS_TF);
}

/* Hide the TF uhv set from the guest: clear it again, and take it out of
 * what a stepped PUSHF stored. */
static void finish_tf_step(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u8 insn[16];
	int n;
	unsigned i = 0;
	bool lm = vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA;

	dbg->step_tf = false;
	if (dbg->tf_was_set)
		return;
	vmwrite(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) & ~(u64)RFLAGS_TF);
	n = gva_rw(vmread(VMCS_GUEST_CS_BASE) + dbg->step_rip, insn, sizeof(insn), false);
	if (n <= 0)
		return;
	/* legacy prefixes, then REX in 64-bit mode */
	while (i < (unsigned)n && (insn[i] == 0x66 || insn[i] == 0x67 || insn[i] == 0xf2 ||
				   insn[i] == 0xf3 || insn[i] == 0x2e || insn[i] == 0x36 ||
				   insn[i] == 0x3e || insn[i] == 0x26 || insn[i] == 0x64 ||
				   insn[i] == 0x65 || insn[i] == 0xf0))
		i++;
	if (lm && i < (unsigned)n && (insn[i] & 0xf0) == 0x40)
		i++;
	if (i < (unsigned)n && insn[i] == 0x9c) {	/* PUSHF: TF is bit 0 of byte 1 */
		u64 sp = vmread(VMCS_GUEST_SS_BASE) + vmread(VMCS_GUEST_RSP) + 1;
		u8 b;
		if (!lm)
			sp &= 0xffffffffULL;
		if (gva_rw(sp, &b, 1, false) == 1) {
			b &= (u8)~1;
			gva_rw(sp, &b, 1, true);
		}
	}
}

/* An execute breakpoint at the resume address would fire again at once. */
static void set_rf_if_needed(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 rip = vmread(VMCS_GUEST_RIP);

	if (!dbg->hw_active)
		return;
	for (unsigned i = 0; i < 4; i++) {
		bool exec = ((dbg->gdb_dr7 >> (16 + 4 * i)) & 3) == 0;
		if ((dbg->gdb_dr7 & (3ULL << (2 * i))) && exec && dbg->gdb_dr[i] == rip)
			vmwrite(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
	}
}

/* ---- stopping ------------------------------------------------------------------------------- */

static void con_put(const char *s, size_t len)
{
	uart_write(s, len);
}

static void handle_console_action(enum console_action a);

static bool held(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	return monitor_active(&dbg->mon) ||
	       (dbg->stub_attached && gdb_get_state(&dbg->stub) == GDB_STATE_STOPPED);
}

/* Bytes from GDB. Once one came, keep listening until the line has been
 * quiet for GDB_QUIET_US (at most GDB_BURST_US): a GDB that attaches
 * exchanges a dozen packets before its '?' stops the guest, and answering
 * one per timer tick would let a short guest finish first. */
#define GDB_QUIET_US	100000
#define GDB_BURST_US	3000000
static void poll_gdb_port(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 start, last;
	int c;

	if (!dbg->gdb_port || (c = port_getc(dbg->gdb_port)) < 0)
		return;
	start = last = time_us();
	for (;;) {
		if (c >= 0) {
			gdb_rx_byte(&dbg->stub, (u8)c);
			last = time_us();
		} else if (time_us() - last > GDB_QUIET_US || time_us() - start > GDB_BURST_US ||
			   dbg->want_interrupt || dbg->want_step || gdb_get_state(&dbg->stub) ==
			   GDB_STATE_STOPPED) {
			return;
		} else {
			cpu_relax();
		}
		c = port_getc(dbg->gdb_port);
	}
}

/* The guest is stopped: serve the monitor and the stub until both let it run. */
static void stop_loop(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	int c;

	dbg->exits_stopped++;
	while (held() && !dbg->want_reset) {
		if (monitor_active(&dbg->mon)) {
			if ((c = uart_getc()) >= 0)
				monitor_feed(&dbg->mon, (u8)c);
		} else if (dbg->gdb_on_console) {
			if ((c = uart_getc()) >= 0)
				gdb_rx_byte(&dbg->stub, (u8)c);
		} else {
			/* the stub on its own port holds the guest: the escape
			 * keys still work on the console */
			handle_console_action(vuart_poll(&dbg->vu));
		}
		poll_gdb_port();
		if (dbg->want_interrupt) {
			struct gdb_stop st = { .reason = GDB_STOP_INTERRUPT };
			dbg->want_interrupt = false;
			gdb_notify_stop(&dbg->stub, &st);
		}
		cpu_relax();
	}
	if (dbg->want_reset) {
		uart_flush();
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);	/* PCI reset control: hard reset */
		outb(0x92, 0x01);	/* fast reset (system control port A) */
		outb(0x64, 0xfe);	/* keyboard controller reset pulse */
		udelay(100000);
		pr_err("the machine did not reset (tried ports 0xcf9, 0x92, 0x64)\n");
		vmx_stop(false, "monitor reset failed");
	}
	if (dbg->step_req != STEP_NONE) {
		arm_step(dbg->step_req);
		dbg->step_req = STEP_NONE;
	}
	set_rf_if_needed();
	update_intercepts();
}

static void stop_monitor(const char *why)
{
	struct vm_debug *dbg = dbg_of_cpu();
	monitor_enter(&dbg->mon, why);
	stop_loop();
}

static void stop_gdb(const struct gdb_stop *why)
{
	struct vm_debug *dbg = dbg_of_cpu();
	gdb_notify_stop(&dbg->stub, why);
	stop_loop();
}

/* ---- GDB backend ---------------------------------------------------------------------------- */

static void gdb_put(void *ctx, const void *buf, size_t len)
{
	struct vm_debug *dbg = dbg_of_cpu();
	const u8 *b = buf;

	for (size_t i = 0; i < len; i++) {
		if (dbg->gdb_on_console)
			uart_putc((char)b[i]);	/* raw: no \n translation */
		else
			port_putc(dbg->gdb_port, b[i]);
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
	r->eflags = (u32)guest_rflags();
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
	r->cr0 = guest_cr0();
	r->cr2 = read_cr2();
	r->cr3 = vmread(VMCS_GUEST_CR3);
	r->cr4 = guest_cr4();
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
	return gva_rw(gva, buf, len, false);
}

static int gdb_write_mem(void *ctx, u64 gva, const void *buf, size_t len)
{
	return gva_rw(gva, (void *)buf, len, true);
}

#define DEFINE_DR(n) \
	static void write_dr##n(u64 v) { asm volatile("mov %0, %%db" #n : : "r"(v)); } \
	static u64 read_dr##n(void) { u64 v; asm volatile("mov %%db" #n ", %0" : "=r"(v)); return v; }
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
#undef DEFINE_DR

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
	update_intercepts();
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
	update_intercepts();
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

/* ---- monitor backend ------------------------------------------------------------------------ */

static void mon_put(void *ctx, const char *s, size_t len)
{
	con_put(s, len);
}

static const char *paging_name(enum gwalk_paging p)
{
	static const char *const names[] = { "off", "32-bit", "PAE", "4-level", "5-level" };
	return (unsigned)p < ARRAY_SIZE(names) ? names[p] : "?";
}

static void mon_info(void *ctx, struct monitor *m)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 cr0 = guest_cr0(), cr4 = guest_cr4(), efer = vmread(VMCS_GUEST_IA32_EFER);
	u64 ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);
	const char *mode = !(cr0 & CR0_PE) ? "real mode" :
			   (efer & EFER_LMA) ? ((ar & BIT(13)) ? "64-bit" : "compatibility mode") :
			   "32-bit protected mode";

	monitor_printf(m, "uhv: platform %s, console port %#x (the guest's UART is virtual)\n",
		       platform_name(platform_get()), dbg->con_port);
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
	r->rflags = guest_rflags();
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
	r->cr0 = guest_cr0();
	r->cr2 = read_cr2();
	r->cr3 = vmread(VMCS_GUEST_CR3);
	r->cr4 = guest_cr4();
	r->efer = vmread(VMCS_GUEST_IA32_EFER);
	r->dr7 = dbg->guest_dr_saved ? dbg->guest_dr7 : vmread(VMCS_GUEST_DR7);
	return 0;
}

static int mon_read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	return gpa_rw(gpa, buf, len, false);
}

static int mon_read_gva(void *ctx, u64 gva, void *buf, size_t len)
{
	return gva_rw(gva, buf, len, false);
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

static void start_stub_on_console(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	dbg->gdb_on_console = true;
	dbg->stub_attached = true;
	gdb_attach(&dbg->stub, &gdb_be, false);
}

static void mon_gdb(void *ctx)
{
	start_stub_on_console();
}

static const struct monitor_backend mon_be = {
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

/* ---- console escape ------------------------------------------------------------------------- */

static void handle_console_action(enum console_action a)
{
	struct vm_debug *dbg = dbg_of_cpu();
	vuart_take_action(&dbg->vu);
	switch (a) {
	case CONSOLE_MONITOR:
		if (!monitor_active(&dbg->mon))
			monitor_enter(&dbg->mon, "escape");
		break;
	case CONSOLE_GDB:
		if (dbg->gdb_port) {
			uart_write("\nuhv: the GDB stub is on its own port (gdb=); attach GDB there\n",
				   64);
			break;
		}
		uart_write("\nuhv: guest stopped; console handed to the GDB stub\n", 52);
		start_stub_on_console();
		break;
	case CONSOLE_HELP:
		uart_write("\n", 1);
		uart_write(console_escape_help(), strlen(console_escape_help()));
		uart_write("\n", 1);
		break;
	default:
		break;
	}
}

/* Console and GDB port while the guest runs; stops it when asked to. */
static void poll_running(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	int c;

	if (dbg->gdb_on_console) {
		for (unsigned i = 0; i < 4096 && (c = uart_getc()) >= 0; i++)
			gdb_rx_byte(&dbg->stub, (u8)c);
	} else if (dbg->vu.action == CONSOLE_NONE) {
		/* with its receive interrupt on, the guest reads the UART itself
		 * (through vuart_io, which filters); drain only if it does not */
		if (!vuart_rx_irq_on(&dbg->vu) || !(inb(dbg->con_port + UART_LSR) & UART_LSR_DR))
			dbg->rx_wait = 0;
		if (!vuart_rx_irq_on(&dbg->vu) || ++dbg->rx_wait > RX_IRQ_GRACE) {
			vuart_poll(&dbg->vu);
			dbg->rx_wait = 0;
		}
	}
	poll_gdb_port();
	if (dbg->vu.action != CONSOLE_NONE)
		handle_console_action(dbg->vu.action);
	if (dbg->want_interrupt) {
		struct gdb_stop st = { .reason = GDB_STOP_INTERRUPT };
		dbg->want_interrupt = false;
		stop_gdb(&st);
		return;
	}
	if (held())
		stop_loop();
}

/* ---- trapped ports -------------------------------------------------------------------------- */

static int con_io(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u32 out = 0;

	for (unsigned i = 0; i < size; i++) {
		u16 p = (u16)(port + i);
		u8 b = (u8)(*val >> (8 * i));
		if (p >= dbg->con_port && p < dbg->con_port + 8)
			vuart_io(&dbg->vu, p - dbg->con_port, in, &b);
		else if (in)
			b = inb(p);
		else
			outb(p, b);
		out |= (u32)b << (8 * i);
	}
	if (in)
		*val = out;
	/* an escape came in with the guest's read: act at once, outside this
	 * instruction (a zero preemption timer exits before the next one) */
	if (dbg->vu.action != CONSOLE_NONE) {
		if (dbg->timer)
			vmwrite(VMCS_VMX_PREEMPTION_TIMER_VALUE, 0);
		else
			poll_running();
	}
	return 0;
}

/* The GDB port is uhv's: the guest sees no UART there. */
static int gdb_port_io(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	if (in)
		*val = 0xffffffffU;
	return 0;
}

/* ---- exits ---------------------------------------------------------------------------------- */

static void step_done(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	enum step_owner who = dbg->stepping;

	dbg->stepping = STEP_NONE;
	if (who == STEP_MONITOR) {
		stop_monitor("step");
	} else if (who == STEP_GDB) {
		struct gdb_stop st = { .reason = GDB_STOP_STEP };
		stop_gdb(&st);
	} else {
		update_intercepts();
	}
}

void vmx_handle_mtf(struct vcpu *v)
{
	struct vm_debug *dbg = &v->vm->dbg;
	dbg->v = v;
	pr_debug("MTF exit at rip %#llx\n", vmread(VMCS_GUEST_RIP));
	vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS,
		vmread(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS) & ~(u64)CPU_BASED_MONITOR_TRAP_FLAG);
	step_done();
}

static void reinject(u32 info, unsigned vec)
{
	u32 type = INTR_INFO_TYPE(info);
	u32 entry = vec | (type << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID;

	if (info & INTR_INFO_DELIVER_ERROR_CODE) {
		entry |= INTR_INFO_DELIVER_ERROR_CODE;
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE,
			vmread(VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE));
	}
	if (type == INTR_TYPE_SOFT_EXCEPTION || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SOFT_INTR)
		vmwrite(VMCS_VM_ENTRY_INSTRUCTION_LEN, vmread(VMCS_VM_EXIT_INSTRUCTION_LEN));
	vmwrite(VMCS_VM_ENTRY_INTERRUPTION_INFO, entry);
}

void vmx_handle_exception(struct vcpu *v)
{
	struct vm_debug *dbg = &v->vm->dbg;
	u32 info = (u32)vmread(VMCS_VM_EXIT_INTERRUPTION_INFO);
	unsigned vec = info & INTR_INFO_VECTOR_MASK;
	u64 q;

	dbg->v = v;
	if (vec == VEC_BP) {
		u64 rip = vmread(VMCS_GUEST_RIP);
		if (dbg->stub_attached && gdb_is_breakpoint(&dbg->stub, rip)) {
			struct gdb_stop st = { .reason = GDB_STOP_INT3, .rip = rip };
			stop_gdb(&st);
			return;
		}
		reinject(info, vec);	/* the guest's own int3 */
		return;
	}
	if (vec != VEC_DB) {
		shadow_vmx_handle_exception(v);	/* #PF (mem=shadow); stops on anything else */
		return;
	}
	q = vmread(VMCS_EXIT_QUALIFICATION);
	if (dbg->step_tf && (q & DR6_BS)) {
		finish_tf_step();
		if (!(q & DR6_B0_3) || !dbg->hw_active) {
			step_done();
			return;
		}
	}
	if (dbg->stub_attached && dbg->hw_active && (q & DR6_B0_3)) {
		struct gdb_stop st = { .reason = GDB_STOP_DEBUG, .dr6 = q };
		dbg->stepping = STEP_NONE;
		stop_gdb(&st);
		return;
	}
	/* the guest's own #DB: DR6 as the CPU would have set it, then deliver */
	write_dr6((read_dr6() & ~(DR6_B0_3 | DR6_BD | DR6_BS)) | (q & (DR6_B0_3 | DR6_BD | DR6_BS)));
	reinject(info, vec);
}

void vmx_handle_preemption_timer(struct vcpu *v)
{
	struct vm_debug *dbg = &v->vm->dbg;
	dbg->v = v;
	vmwrite(VMCS_VMX_PREEMPTION_TIMER_VALUE, dbg->timer_value);
	vtd_poll_faults();	/* the guest's device faults are reported while it runs */
	poll_running();
}

void vmx_debug_guest_gone(struct vm *vm, bool pass)
{
	struct vm_debug *dbg = &vm->dbg;
	if (!dbg->ready || !dbg->stub_attached || gdb_get_state(&dbg->stub) != GDB_STATE_RUNNING)
		return;
	struct gdb_stop st = { .reason = GDB_STOP_EXITED, .code = pass ? 0 : 1 };
	gdb_notify_stop(&dbg->stub, &st);
	if (dbg->gdb_port)
		for (u32 i = 0; i < 1000000 && !(inb(dbg->gdb_port + UART_LSR) & UART_LSR_TEMT); i++)
			cpu_relax();
}

/* ---- setup ---------------------------------------------------------------------------------- */

static void setup_timer(struct vm_debug *dbg, u32 poll_ms)
{
	u64 ticks = tsc_khz() * poll_ms;

	if (!poll_ms) {
		pr_info("console-poll=0: no periodic exits; Ctrl-] is seen only when the guest "
			"touches its UART\n");
		return;
	}
	if (!vmx_ctl_allowed(&vmx.caps, VMX_CTL_PIN, PIN_BASED_VMX_PREEMPTION_TIMER) ||
	    !vmx_ctl_allowed(&vmx.caps, VMX_CTL_EXIT, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER)) {
		pr_warn("no VMX-preemption timer with saved value: the console escape works only "
			"while the guest reads its UART\n");
		return;
	}
	if (!ticks)
		ticks = 1000000ULL * poll_ms;	/* uncalibrated: assume 1 GHz */
	ticks >>= vmx.caps.preemption_timer_shift;
	dbg->timer_value = (u32)MIN(ticks, 0xffffffffULL);
	if (!dbg->timer_value)
		dbg->timer_value = 1;
	vmx.pin |= PIN_BASED_VMX_PREEMPTION_TIMER;
	vmx.exit |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	vmwrite(VMCS_VMX_PREEMPTION_TIMER_VALUE, dbg->timer_value);
	dbg->timer = true;
}

int vmx_debug_init(struct vm *vm, const struct pci *pci)
{
	struct vm_debug *dbg = &vm->dbg;
	const struct uhv_options *o = vm->opt;
	struct guest *g = &vm->guest;
	int ret;

	dbg->guest = g;
	dbg->pci = pci;
	dbg->con_port = uart_port();
	dbg->mtf = vmx_ctl_allowed(&vmx.caps, VMX_CTL_PROC, CPU_BASED_MONITOR_TRAP_FLAG);
	/* Bochs 2.7 offers the monitor trap flag (tigerlake) but its MTF exit
	 * never came in our tests (docs/debugging.md, "Known problems") */
	if (dbg->mtf && platform_get() == PLATFORM_BOCHS) {
		pr_info("Bochs: not using its monitor trap flag (no MTF exits seen); stepping "
			"with RFLAGS.TF\n");
		dbg->mtf = false;
	}
	monitor_init(&dbg->mon, &mon_be);
	vuart_init(&dbg->vu, &con_ops, true);
	/* what uart_init() programmed is what the guest finds */
	dbg->vu.lcr = inb(dbg->con_port + UART_LCR);
	dbg->vu.mcr = inb(dbg->con_port + UART_MCR);
	dbg->vu.ier = inb(dbg->con_port + UART_IER) & 0x0f;
	ret = vmx_trap_io(vm, dbg->con_port, dbg->con_port + 7, con_io, NULL, "console UART (vuart)");
	if (ret < 0) {
		pr_err("cannot trap the console UART's ports (%s): no monitor\n", errno_name(ret));
		return ret;
	}
	if (o->gdb_port && o->gdb_port != dbg->con_port) {
		if (port_init(o->gdb_port, o->gdb_baud) < 0) {
			pr_warn("gdb=%#x: no UART answers there; GDB stub only through Ctrl-] g\n",
				o->gdb_port);
		} else {
			dbg->gdb_port = o->gdb_port;
			vmx_trap_io(vm, dbg->gdb_port, dbg->gdb_port + 7, gdb_port_io, NULL,
				    "GDB stub UART (hidden)");
			gdb_attach(&dbg->stub, &gdb_be, true);
			dbg->stub_attached = true;
		}
	} else if (o->gdb_port) {
		/* gdb= names the console: the stub has it from the start */
		dbg->gdb_on_console = true;
		dbg->stub_attached = true;
		gdb_attach(&dbg->stub, &gdb_be, true);
	}
	setup_timer(dbg, o->console_poll_ms);
	dbg->ready = true;
	pr_info("console escape: %s m monitor, %s g GDB stub%s; single step by %s\n",
		CONSOLE_ESCAPE_NAME, CONSOLE_ESCAPE_NAME,
		dbg->gdb_port ? " (GDB stub on its own port)" : "",
		dbg->mtf ? "monitor trap flag" : "RFLAGS.TF");
	if (dbg->gdb_port)
		pr_info("GDB stub listening on port %#x at %u baud\n", dbg->gdb_port, o->gdb_baud);
	return 0;
}
