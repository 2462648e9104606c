/* Traps: how subsystems claim guest I/O ports and guest-physical MMIO
 * ranges (vmx/intercept.c). PCI passthrough claims 0xcf8-0xcff and the ECAM
 * window, the platform code the ACPI power-off port, the console its UART.
 * Which ports the guest reaches natively, which a trap handles and which are
 * unassigned is the port table's decision (<uhv/io_policy.h>): every trap must
 * cover ports the table calls emulated or filtered, and every such port needs
 * a trap, or uhv does not start the guest. Guest-physical ranges neither mapped
 * (<uhv/mmio_policy.h>) nor claimed are unassigned space: reads all-ones,
 * writes dropped.
 *
 * Register after vmx_init() (the I/O bitmaps exist then) and before
 * vmx_run_guest(). */
#ifndef UHV_VMX_TRAP_H
#define UHV_VMX_TRAP_H

#include <uhv/types.h>

struct vcpu;
struct vm;

/* A port access: in = guest reads (fill *val), else *val holds what the guest
 * writes. size is 1, 2 or 4. Return 0 when handled (uhv then skips the
 * instruction), or a negative errno to stop the guest with a report. */
typedef int (*vmx_io_fn)(void *ctx, u16 port, unsigned size, bool in, u32 *val);

/* An EPT violation inside a claimed range: the handler gets the exit
 * qualification and must emulate the access (decode the instruction at the
 * guest RIP, advance RIP) itself. Return 0 when handled, or a negative errno
 * to stop the guest with a report. */
typedef int (*vmx_mmio_fn)(void *ctx, struct vcpu *v, u64 gpa, u64 qualification);

#define VMX_TRAP_MAX_IO		16
#define VMX_TRAP_MAX_MMIO	24	/* ECAM windows and up to 16 IOAPICs */

/* Claim ports [first, last]. -EBUSY if a port is already claimed, -ENOSPC
 * when the table is full (said, and the vm is marked so that
 * vm_io_policy_apply refuses to start the guest whatever the caller does). */
int vmx_trap_io(struct vm *vm, u16 first, u16 last, vmx_io_fn fn, void *ctx, const char *name);
/* Claim guest-physical [first, last] (must not be mapped in the EPT). */
int vmx_trap_mmio(struct vm *vm, u64 first, u64 last, vmx_mmio_fn fn, void *ctx, const char *name);

/* For the exit handlers: the claim covering port / gpa, or NULL. */
struct vmx_io_trap {
	u16 first, last;
	vmx_io_fn fn;
	void *ctx;
	const char *name;
};
struct vmx_mmio_trap {
	u64 first, last;
	vmx_mmio_fn fn;
	void *ctx;
	const char *name;
};
/* The vm's intercept tables: filled while the vm is built, before any vCPU runs; read-only
 * after, so exit handlers on every CPU read them without a lock. */
struct vm_traps {
	struct vmx_io_trap io[VMX_TRAP_MAX_IO];
	unsigned nr_io;
	bool io_full;		/* a claim found the table full: the guest must not run */
	struct vmx_mmio_trap mmio[VMX_TRAP_MAX_MMIO];
	unsigned nr_mmio;
};

const struct vmx_io_trap *vmx_trap_io_find(const struct vm *vm, u16 port);

/* ---- the port table applied to the vm (vmx/io_setup.c) ---- */
struct acpi;
/* After every trap is registered (last step of vm_build): build vm->io from the table and the
 * facts (FADT blocks, the platform's and the debugger's traps, the NIC's I/O BARs), write the
 * I/O bitmaps (deny by default) and check the traps against it. < 0: said why; the guest must
 * not run. */
int vm_io_policy_apply(struct vm *vm, const struct acpi *a);
/* A guest access with a byte at port that no rule names: said once per unassigned range
 * (the caller counts the access). */
void vm_io_unassigned(struct vm *vm, u16 port, unsigned size, bool in);
/* The guest moved an I/O BAR of the NIC (under emul_lock): the table and the bitmaps follow.
 * 0, or < 0 when the table refuses the new range (the caller's BAR check should have). */
int vm_io_nic_bar_moved(struct vm *vm, u16 old, u16 new);
const struct vmx_mmio_trap *vmx_trap_mmio_find(const struct vm *vm, u64 gpa);
void vmx_trap_print(const struct vm *vm);

#endif
