/* Debugging the guest under VMX: setup, the console's virtual UART and escape keys, the
 * GDB port, polling them from the VMX-preemption timer, and holding the guest while the
 * uhv> monitor (monitor.c) or the GDB stub (gdbstub.c) has it stopped. Their backends are
 * monitor_backend.c and gdb_backend.c; stepping.c has single steps and the #BP, #DB and MTF
 * exits. docs/debugging.md has the design.
 *
 * The guest is "stopped" by staying inside an exit handler: stop_loop() polls
 * the serial ports until the monitor and the stub both let the guest run,
 * then arms a single step if one was asked for and returns to VM entry. */
#define LOG_MODULE "debug"
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/vuart.h>
#include <uhv/monitor.h>
#include <uhv/gdbstub.h>
#include <uhv/console_escape.h>
#include <uhv/options.h>
#include <uhv/vtd.h>
#include <uhv/uart.h>
#include <uhv/uart_pick.h>
#include <uhv/io.h>
#include <uhv/cpu.h>
#include <uhv/timer.h>
#include <uhv/preempt_errata.h>
#include <uhv/platform.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include "debug_priv.h"

/* ticks of the preemption timer the guest may leave a received byte in the
 * real UART (with its receive interrupt on) before uhv drains it anyway */
#define RX_IRQ_GRACE	20

/* ---- serial ports -------------------------------------------------------------------------- */

/* The real console is reached through the UART driver (ports or MMIO, any stride), whatever
 * port the guest finds its virtual UART at (dbg->con_port). */
static u8 con_in(void *ctx, unsigned reg)
{
	return uart_reg_read(reg);
}

static void con_thr(void *ctx, u8 val)
{
	uart_reg_write(UART_THR, val);
}

static void con_out(void *ctx, unsigned reg, u8 val)
{
	struct vm_debug *dbg = ctx;

	if (reg == UART_THR)	/* the vuart never sets the real DLAB: this is data */
		log_guest_putc(val, con_thr, dbg);	/* whole lines: never mixed with uhv's */
	else
		uart_reg_write(reg, val);
}


void dbg_port_putc(u16 port, u8 c)
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

/* ---- stopping ------------------------------------------------------------------------------- */

static void handle_console_action(enum console_action a);

static bool held(const struct vm_debug *dbg)
{
	return monitor_active(&dbg->mon) ||
	       (dbg->stub_attached && gdb_get_state(&dbg->stub) == GDB_STATE_STOPPED);
}

/* Bytes from GDB. Once one came, keep listening until the line has been
 * quiet for GDB_QUIET_US (at most GDB_BURST_US): a GDB that attaches
 * exchanges a dozen packets before its '?' stops the guest, and answering
 * one per timer tick would let a short guest finish first. */
#define GDB_QUIET_US	100000
#define GDB_BURST_US	3000000
static void poll_gdb_port(struct vm_debug *dbg)
{
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
	while (held(dbg) && !dbg->want_reset) {
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
		poll_gdb_port(dbg);
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
		dbg_arm_step(dbg->step_req);
		dbg->step_req = STEP_NONE;
	}
	dbg_set_rf_if_needed();
	dbg_update_intercepts();
}

void dbg_stop_monitor(const char *why)
{
	struct vm_debug *dbg = dbg_of_cpu();
	monitor_enter(&dbg->mon, why);
	stop_loop();
}

void dbg_stop_gdb(const struct gdb_stop *why)
{
	struct vm_debug *dbg = dbg_of_cpu();
	gdb_notify_stop(&dbg->stub, why);
	stop_loop();
}

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
			uart_write("\nuhv: the GDB stub is on its own port (gdb=); "
				   "attach GDB there\n", 64);
			break;
		}
		uart_write("\nuhv: guest stopped; console handed to the GDB stub\n", 52);
		dbg_attach_gdb(dbg, true, false);
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
/* Every console-poll tick (and when an escape arrives with a UART read): the hot part of the
 * debugger, so it gets its state from the caller, not from the current CPU. */
static void poll_running(struct vm_debug *dbg)
{
	int c;

	if (dbg->gdb_on_console) {
		for (unsigned i = 0; i < 4096 && (c = uart_getc()) >= 0; i++)
			gdb_rx_byte(&dbg->stub, (u8)c);
	} else if (dbg->vu.action == CONSOLE_NONE) {
		/* with its receive interrupt on, the guest reads the UART itself
		 * (through vuart_io, which filters); drain only if it does not */
		if (!vuart_rx_irq_on(&dbg->vu) || !(uart_reg_read(UART_LSR) & UART_LSR_DR))
			dbg->rx_wait = 0;
		if (!vuart_rx_irq_on(&dbg->vu) || ++dbg->rx_wait > RX_IRQ_GRACE) {
			vuart_poll(&dbg->vu);
			dbg->rx_wait = 0;
		}
	}
	if (dbg->gdb_port)	/* no call on the common path: most runs have no gdb= port */
		poll_gdb_port(dbg);
	log_poll();		/* uhv's lines that waited for a guest line left open */
	if (dbg->vu.action != CONSOLE_NONE)
		handle_console_action(dbg->vu.action);
	if (dbg->want_interrupt) {
		struct gdb_stop st = { .reason = GDB_STOP_INTERRUPT };
		dbg->want_interrupt = false;
		dbg_stop_gdb(&st);
		return;
	}
	if (held(dbg))
		stop_loop();
}

/* ---- trapped ports -------------------------------------------------------------------------- */

static int con_io(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct vm_debug *dbg = ctx;
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
			poll_running(dbg);
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

void dbg_poll_tick(struct vcpu *v)
{
	struct vm_debug *dbg = &v->vm->dbg;
	dbg->v = v;
	vtd_poll_faults();	/* the guest's device faults are reported while it runs */
	poll_running(dbg);
}

void vmx_handle_preemption_timer(struct vcpu *v)
{
	vmwrite(VMCS_VMX_PREEMPTION_TIMER_VALUE, v->vm->dbg.timer_value);
	dbg_poll_tick(v);
}

void vmx_debug_guest_gone(struct vm *vm, bool pass)
{
	struct vm_debug *dbg = &vm->dbg;
	if (dbg->idle_poll)
		pr_info("console poll from idle exits: %llu HLT, %llu MWAIT exits, %llu polls, "
			"%llu halts ended by an interrupt\n", dbg->idle_halts, dbg->idle_mwaits,
			dbg->idle_polls, dbg->idle_irq_wakes);
	if (!dbg->ready || !dbg->stub_attached || gdb_get_state(&dbg->stub) != GDB_STATE_RUNNING)
		return;
	struct gdb_stop st = { .reason = GDB_STOP_EXITED, .code = pass ? 0 : 1 };
	gdb_notify_stop(&dbg->stub, &st);
	if (!dbg->gdb_port)
		return;
	for (u32 i = 0; i < 1000000 && !(inb(dbg->gdb_port + UART_LSR) & UART_LSR_TEMT); i++)
		cpu_relax();
}

/* ---- setup ---------------------------------------------------------------------------------- */

/* Why the VMX-preemption timer is not to be used for the poll, or NULL to use it. */
static const char *preempt_timer_unusable(enum uhv_preempt_timer mode)
{
	if (mode == UHV_PREEMPT_OFF)
		return "preempt-timer=off";
	if (mode == UHV_PREEMPT_ON)
		return NULL;
	return preempt_timer_erratum(cpuid(1, 0).eax);
}

static void setup_timer(struct vm_debug *dbg, u32 poll_ms, enum uhv_preempt_timer mode)
{
	u64 ticks = tsc_khz() * poll_ms;

	if (!poll_ms) {
		pr_info("console-poll=0: no periodic exits; Ctrl-] is seen only when the guest "
			"touches its UART\n");
		return;
	}
	if (!ticks)
		ticks = 1000000ULL * poll_ms;	/* uncalibrated: assume 1 GHz */
	const char *why = preempt_timer_unusable(mode);
	if (why) {
		dbg_idle_poll_setup(dbg, ticks, why);
		return;
	}
	if (!vmx_ctl_allowed(&vmx.caps, VMX_CTL_PIN, PIN_BASED_VMX_PREEMPTION_TIMER) ||
	    !vmx_ctl_allowed(&vmx.caps, VMX_CTL_EXIT, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER)) {
		pr_warn("no VMX-preemption timer with saved value: the console escape works only "
			"while the guest reads its UART\n");
		return;
	}
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
	/* the guest's COM1 is the virtual UART when uhv's console is a PCI card or MMIO */
	dbg->con_port = uart_pick_guest_port(o->console_kind == UHV_CONSOLE_PORT,
					     uart_console_regs());
	dbg->mtf = vmx_ctl_allowed(&vmx.caps, VMX_CTL_PROC, CPU_BASED_MONITOR_TRAP_FLAG);
	/* Bochs 2.7 offers the monitor trap flag (tigerlake) but its MTF exit
	 * never came in our tests (docs/debugging.md, "Known problems") */
	if (dbg->mtf && platform_get() == PLATFORM_BOCHS) {
		pr_info("Bochs: not using its monitor trap flag (no MTF exits seen); stepping "
			"with RFLAGS.TF\n");
		dbg->mtf = false;
	}
	monitor_init(&dbg->mon, &dbg_mon_be);
	dbg->con_ops = (struct vuart_ops){ .ctx = dbg, .in = con_in, .out = con_out };
	/* what uart_init() programmed is what the guest finds */
	vuart_init(&dbg->vu, &dbg->con_ops, true, uart_divisor());
	ret = vmx_trap_io(vm, dbg->con_port, dbg->con_port + 7, con_io, dbg,
			  "console UART (vuart)");
	if (ret < 0) {
		pr_err("cannot trap the console UART's ports (%s): no monitor\n", errno_name(ret));
		return ret;
	}
	if (o->gdb_port && o->gdb_port != dbg->con_port) {
		if (port_init(o->gdb_port, o->gdb_baud) < 0) {
			pr_warn("gdb=%#x: no UART answers there; GDB stub only through Ctrl-] g\n",
				o->gdb_port);
		} else {
			ret = vmx_trap_io(vm, o->gdb_port, o->gdb_port + 7, gdb_port_io, NULL,
					  "GDB stub UART (hidden)");
			if (ret < 0) {
				pr_err("cannot trap the GDB stub's UART at %#x (%s)\n",
				       o->gdb_port, errno_name(ret));
				return ret;
			}
			dbg->gdb_port = o->gdb_port;
			dbg_attach_gdb(dbg, false, true);
		}
	} else if (o->gdb_port) {
		/* gdb= names the console: the stub has it from the start */
		dbg_attach_gdb(dbg, true, true);
	}
	setup_timer(dbg, o->console_poll_ms, o->preempt_timer);
	dbg->ready = true;
	pr_info("console escape: %s m monitor, %s g GDB stub%s; single step by %s\n",
		CONSOLE_ESCAPE_NAME, CONSOLE_ESCAPE_NAME,
		dbg->gdb_port ? " (GDB stub on its own port)" : "",
		dbg->mtf ? "monitor trap flag" : "RFLAGS.TF");
	if (dbg->gdb_port)
		pr_info("GDB stub listening on port %#x at %u baud\n", dbg->gdb_port, o->gdb_baud);
	return 0;
}
