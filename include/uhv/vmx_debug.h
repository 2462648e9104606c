/* Debugging the guest: the console escape, the uhv> monitor and the GDB
 * stub, wired to the VMX runtime (vmx/debug.c). See docs/debugging.md.
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

struct uhv_options;
struct guest;
struct pci;
struct vcpu;


/* 0, or -errno after saying why (the guest then runs without the monitor). */
int vmx_debug_init(const struct uhv_options *o, struct guest *g, const struct pci *pci);

/* Exit handlers (vmx/exit.c's table). */
void vmx_handle_exception(struct vcpu *v);		/* #BP, #DB when intercepted */
void vmx_handle_mtf(struct vcpu *v);		/* monitor trap flag: a step */
void vmx_handle_preemption_timer(struct vcpu *v);	/* console / GDB polling */

/* The run is ending (vmx_stop): tell an attached GDB the guest is gone. */
void vmx_debug_guest_gone(bool pass);

#endif
