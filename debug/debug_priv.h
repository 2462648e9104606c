/* Inside the debugger's VMX side: what its files share. backend.c sets it up, serves the
 * console and the GDB port and holds the guest while it is stopped; stepping.c arms single
 * steps and takes the #BP, #DB and MTF exits; guest_state.c reads the guest's registers and
 * memory; gdb_backend.c and monitor_backend.c are the two backends. Only these files include
 * this header; the rest of uhv sees <uhv/vmx_debug.h>. */
#ifndef UHV_DEBUG_DEBUG_PRIV_H
#define UHV_DEBUG_DEBUG_PRIV_H

#include <uhv/types.h>
#include <uhv/cpu.h>
#include <uhv/vm.h>
#include <uhv/vmx_debug.h>


/* DRn of this CPU: not switched by VM entry/exit, so the guest's (uhv does not use them). */
#define DEFINE_DR(n) \
	static inline void write_dr##n(u64 v) { asm volatile("mov %0, %%db" #n : : "r"(v)); } \
	static inline u64 read_dr##n(void) \
	{ u64 v; asm volatile("mov %%db" #n ", %0" : "=r"(v)); return v; }

/* The debugger state of the vm this CPU runs: every debugger path but setup runs in a vCPU's
 * exit handler. */
static inline struct vm_debug *dbg_of_cpu(void)
{
	return &vm_current()->dbg;
}

/* ---- backend.c, idle_poll.c ---------------------------------------------------------------- */

/* One console-poll tick: the VT-d fault registers, the console and GDB ports; stops the guest
 * here when the escape or the stub asks for it. */
void dbg_poll_tick(struct vcpu *v);
/* The poll's clock when the VMX-preemption timer is not used (preempt-timer=off or a timer
 * erratum): turns on HLT and MWAIT exiting and says so. ticks: the poll period in TSC ticks. */
void dbg_idle_poll_setup(struct vm_debug *dbg, u64 ticks, const char *why);

/* ---- guest_state.c ------------------------------------------------------------------------- */

/* CR0, CR4 and RFLAGS as the guest sees them (read shadows; no TF uhv set for a step). */
u64 dbg_guest_cr0(void);
u64 dbg_guest_cr4(void);
u64 dbg_guest_rflags(void);
/* Guest-physical RAM, or guest-virtual through the guest's page tables: bytes copied
 * (short at the first page that fails) or -EFAULT. */
int dbg_gpa_rw(u64 gpa, void *buf, size_t len, bool write);
int dbg_gva_rw(u64 gva, void *buf, size_t len, bool write);

/* ---- stepping.c ---------------------------------------------------------------------------- */

/* #BP and #DB in the exception bitmap as the stub's breakpoints and a TF step need them. */
void dbg_update_intercepts(void);
void dbg_arm_step(enum step_owner who);
void dbg_set_rf_if_needed(void);

/* ---- backend.c ----------------------------------------------------------------------------- */

void dbg_port_putc(u16 port, u8 c);
/* Stop the guest for the monitor or for GDB; returns when both let it run again. */
void dbg_stop_monitor(const char *why);
void dbg_stop_gdb(const struct gdb_stop *why);

/* ---- gdb_backend.c ------------------------------------------------------------------------- */

/* Start a GDB session, on the console (which the stub then owns) or on the gdb= port; running:
 * the guest runs now, else it is stopped and '?' answers at once. */
void dbg_attach_gdb(struct vm_debug *dbg, bool on_console, bool running);

/* ---- monitor_backend.c --------------------------------------------------------------------- */

extern const struct monitor_backend dbg_mon_be;

#endif
