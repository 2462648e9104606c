/* Debugging the guest: the console escape, the uhv> monitor and the GDB
 * stub, wired to the VMX runtime (debug/backend.c). See docs/debugging.md.
 *
 * vmx_debug_init() (kmain, after the EPT, before vmx_run_guest) traps the
 * console UART's ports for the guest (<uhv/vuart.h>), hides the gdb= port
 * from it, and turns on the VMX-preemption timer (with "save timer value", so
 * that it fires every ~10 ms of guest time however often the guest exits)
 * to poll the console and the GDB port. Nothing is added to the other exit
 * paths. */
#ifndef UHV_VMX_DEBUG_H
#define UHV_VMX_DEBUG_H

#include <uhv/types.h>
#include <uhv/vuart.h>
#include <uhv/monitor.h>
#include <uhv/gdbstub.h>

struct uhv_options;
struct guest;
struct pci;
struct vcpu;
struct vm;

enum step_owner { STEP_NONE, STEP_MONITOR, STEP_GDB };

/* The vm's debugger: one console, one monitor, one stub. Set up by vmx_debug_init before the
 * guest runs; afterwards changed only in exit handlers under the vm's emul_lock (the console
 * UART's ports are a trapped device) or on the boot vCPU (the console-poll timer runs there
 * alone). The monitor and the stub see the vCPU of the exit being handled (v). */
struct vm_debug {
	bool ready;
	struct vcpu *v;		/* the vCPU of the exit being handled */
	struct guest *guest;
	const struct pci *pci;
	u16 con_port;
	struct vuart vu;
	struct vuart_ops con_ops;	/* the real console UART, with this state as context */
	u16 gdb_port;			/* gdb=, 0 if none */
	bool gdb_on_console;		/* the console is handed to the stub */
	bool stub_attached;
	struct monitor mon;
	struct gdb_stub stub;
	bool timer;			/* preemption timer polling on */
	u32 timer_value;
	/* ...or polling from the guest's idle exits (debug/idle_poll.c) */
	bool idle_poll;
	u32 idle_proc;			/* the exiting controls it added (boot CPU only) */
	u64 idle_ticks;			/* poll period in TSC ticks */
	u64 idle_next;			/* TSC when the next poll is due (MWAIT) */
	u64 idle_halts, idle_mwaits;	/* HLT and MWAIT exits taken */
	u64 idle_polls, idle_irq_wakes;	/* polls done while idle; halts ended by an interrupt */
	bool mtf;			/* monitor trap flag available */
	unsigned rx_wait;		/* timer ticks a received byte waited for the guest */
	/* run control */
	bool want_interrupt;		/* GDB asked for a stop (Ctrl-C, '?') */
	bool want_step;
	enum step_owner step_req;	/* asked for by the monitor / stub */
	enum step_owner stepping;	/* armed, waiting for its exit */
	bool step_tf;			/* armed with RFLAGS.TF (no MTF) */
	bool tf_was_set;		/* the guest's own TF before a TF step */
	u64 step_rip;
	bool want_reset;
	/* hardware breakpoints */
	bool hw_active;
	bool guest_dr_saved;
	u64 guest_dr[4], guest_dr7;
	u64 gdb_dr[4], gdb_dr7;
	u64 exits_stopped;		/* stops, for "info" */
	u8 fx[512] __aligned(16);	/* FXSAVE image for GDB's x87/SSE registers */
};

/* 0, or -errno after saying why (the guest then runs without the monitor). */
int vmx_debug_init(struct vm *vm, const struct pci *pci);

/* Exit handlers (vmx/exit.c's table). */
void vmx_handle_exception(struct vcpu *v);		/* #BP, #DB when intercepted */
void vmx_handle_mtf(struct vcpu *v);		/* monitor trap flag: a step */
void vmx_handle_preemption_timer(struct vcpu *v);	/* console / GDB polling */
/* HLT and MWAIT exits that poll the console instead of the preemption timer (idle_poll.c):
 * true when handled (the caller does nothing more). */
bool vmx_debug_idle_exit(struct vcpu *v, bool mwait);

/* The run is ending (vmx_stop): tell an attached GDB the guest is gone. */
void vmx_debug_guest_gone(struct vm *vm, bool pass);

#endif
