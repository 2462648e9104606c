/* What a vm is: everything uhv keeps of the one guest, in one place (as Jailhouse's struct cell
 * or KVM's struct kvm). The per-CPU half is struct vcpu (<uhv/vcpu.h>); the machine's own state
 * (VMX capabilities and controls, uhv's memory, the IOMMU units, the console UART) is not here.
 *
 * Life: kmain gathers the boot facts and calls vm_build() on the boot CPU, which fills the vm
 * step by step (memory layout, kernel, DMA domain, VMX, EPT or shadow MMU, intercepts, the NIC,
 * the platform, the debugger); vm_run() then launches vCPU 0 and releases the other CPUs.
 *
 * Sharing between vCPUs. Everything filled by vm_build() is written before any vCPU runs and,
 * unless a field says otherwise, only read afterwards: exit handlers on every CPU read it
 * without a lock. What changes at run time says which lock guards it:
 *   emul_lock  - device emulation: the passthrough state (config space, BARs, ECAM), the
 *                platform ports, the debugger, the vuart (vmx_lock());
 *   console    - the hypercall console's line state (its own lock);
 *   the EPT    - changed only under emul_lock (a BAR move), flushed on every vCPU after;
 *   shadow     - mem=shadow runs one vCPU: its shadow MMU is touched by that vCPU only. */
#ifndef UHV_VM_H
#define UHV_VM_H

#include <uhv/types.h>
#include <uhv/guest.h>
#include <uhv/percpu.h>
#include <uhv/vcpu.h>
#include <uhv/vm_mmu.h>
#include <uhv/vmx_policy.h>
#include <uhv/vmx_trap.h>
#include <uhv/io_policy.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/shadow_vmx.h>
#include <uhv/passthrough.h>
#include <uhv/platform_guest.h>
#include <uhv/vmx_debug.h>
#include <uhv/vtd.h>
#include <uhv/vm_denials.h>
#include <uhv/mmio_policy.h>
#include <uhv/vioapic.h>

struct smbios_ep;
struct uhv_options;

#define VM_CONSOLE_MAX	4096	/* the longest console-write hypercall */

/* The guest's console hypercall: lines get a "guest: " prefix, and a line may arrive in pieces
 * from any vCPU. */
struct vm_console {
	volatile u32 lock;		/* guards everything below (vmx_lock) */
	bool mid_line;			/* the last write did not end its line */
	char buf[VM_CONSOLE_MAX];	/* one write's bytes, copied out of guest memory */
};

/* Bringing every CPU into VMX non-root (vmx/vcpus.c): written by the boot CPU before it releases
 * the APs (vmx_smp_release_aps). */
struct vm_cpus {
	bool *given;			/* CPU index -> a CPU of the guest (smp_cpu_slots()
					 * entries, from the pool) */
	volatile u32 setup_lock;	/* AP VMCS setup and pool allocations, one AP at a time */
};

struct vm {
	const struct uhv_options *opt;	/* the command line */
	struct guest guest;		/* memory layout (GPA -> HPA regions), boot state */

	/* Memory virtualization, chosen once in vm_build (docs/shadow.md). */
	const struct vm_mmu_ops *mmu;	/* &ept_mmu or &shadow_mmu: the one seam */
	struct vm_ept ept;		/* EPT mode: the guest's EPT */
	struct shadow_vm shadow;	/* mem=shadow: the shadow MMU */

	/* What the guest may touch directly: the VMCS of every vCPU points here. */
	u16 vpid;			/* 0: VPID off */
	paddr_t msr_bitmap_pa, io_bitmap_a_pa, io_bitmap_b_pa;
	u8 *msr_bitmap;
	struct vmx_cpuid_cfg cpuid;	/* what CPUID shows (from the controls in use) */
	struct vm_traps traps;		/* intercepted ports and MMIO ranges, and their handlers */
	struct io_policy io;		/* the port table (<uhv/io_policy.h>): changed at run time
					 * only by a NIC BAR move, under emul_lock */
	u32 msr_noted;			/* MSR classes whose refusal was reported (atomic or) */
	struct vm_denials denied;	/* what the policies refused, counted (atomics) */
	struct vm_mmio mmio;		/* guest-physical space beyond RAM (<uhv/mmio_policy.h>) */
	volatile u32 emul_lock;		/* device emulation, see above */

	/* Devices and the platform. */
	struct vtd_domain dma;		/* the guest's DMA domain: its RAM, GPA -> HPA */
	bool dma_ready;			/* dma is built (VT-d active) */
	struct passthrough pt;		/* the NIC and the guest's view of PCI */
	struct vm_platform platform;	/* power-off and reset ports */
	struct vm_debug dbg;		/* console escape, monitor, GDB stub */
	struct vm_console console;	/* the console hypercall */
	struct vm_cpus cpus;		/* which CPUs are the guest's, AP start-up */
	struct vm_ioapics ioapic;	/* the IOAPICs, emulated (entries: under emul_lock) */
};

/* What kmain found, for vm_build (all of it stays valid while the guest runs). */
struct mb2_info;
struct acpi;
struct acpi_mcfg_info;
struct pci;
struct pci_cfg_ops;
struct boot_facts {
	const struct mb2_info *boot;		/* modules (guest kernel, initrd), RSDPs */
	const struct uhv_options *opt;
	const struct acpi *acpi;
	const struct acpi_mcfg_info *mcfg;
	const struct pci *pci;
	const struct pci_cfg_ops *pci_cfg;
	const struct smbios_ep *smbios;		/* NULL: the machine has no SMBIOS */
};

/* Build the one vm (vm/vm.c): memory layout, kernel, DMA domain, VMX, EPT or shadow MMU,
 * intercepts, the NIC, power-off/reset, the debugger. Ends the run with a report when a step
 * fails. */
struct vm *vm_build(const struct boot_facts *f);
/* Launch vCPU 0 and release the other CPUs; does not return. */
__noreturn void vm_run(struct vm *vm);

/* The vm the current CPU runs (every CPU belongs to the one vm once VMX is on); NULL before. */
static inline struct vm *vm_current(void)
{
	struct vcpu *v = this_cpu()->vmx;

	return v ? v->vm : NULL;
}

#endif
