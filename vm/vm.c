/* Building the vm from the boot facts, step by step, and running it (<uhv/vm.h>). Each step
 * prints what it did; a step that cannot continue says why and ends the run. */
#define LOG_MODULE "uhv"
#include <uhv/vm.h>
#include <uhv/mb2.h>
#include <uhv/acpi.h>
#include <uhv/pci.h>
#include <uhv/loader.h>
#include <uhv/kmem.h>
#include <uhv/options.h>
#include <uhv/platform.h>
#include <uhv/vmx_run.h>
#include <uhv/vtd.h>
#include <uhv/log.h>
#include <uhv/fbcon.h>

/* placement=offset: where each guest RAM region really is. */
static void print_placement(const struct guest *g)
{
	unsigned moved = 0;

	for (unsigned i = 0; i < g->nr_mem; i++)
		moved += g->mem[i].gpa != g->mem[i].hpa;
	pr_info("placement=offset: %u of %u guest regions at other host addresses "
		"(boot information and modules left out, copied in by the loader):\n", moved,
		g->nr_mem);
	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];
		pr_info("  GPA [%#014llx-%#014llx) -> HPA %#014llx %s\n", r->gpa, r->gpa + r->size,
			r->hpa, guest_mem_type_name(r->type));
	}
}

/* The guest's memory: all RAM uhv does not use, at the same addresses (placement=identity) or,
 * above 1 MiB, at other host addresses (offset). */
static void build_memory(struct vm *vm)
{
	if (guest_mem_from_memmap(&vm->guest, kmem_memmap(), vm->opt->placement) < 0) {
		pr_err("the memory map has more than %d ranges for the guest\n", GUEST_MAX_REGIONS);
		platform_exit(false, "guest memory setup failed");
	}
	if (vm->opt->placement == UHV_PLACEMENT_OFFSET)
		print_placement(&vm->guest);
}

/* The guest's kernel and modules, and its ACPI view (DMAR hidden, its CPUs only in the MADT). */
static void load_guest(struct vm *vm, const struct boot_facts *f)
{
	static struct loader_module mods[MB2_MAX_MODULES];	/* build scratch: too large for the stack */
	const struct mb2_info *bi = f->boot;
	bool offset = vm->opt->placement == UHV_PLACEMENT_OFFSET;

	for (u32 i = 0; i < bi->nr_modules; i++) {
		const struct mb2_module *m = &bi->modules[i];
		/* identity: GRUB's copy is in guest RAM at the same address; offset: the
		 * modules are outside guest memory and the loader copies them in */
		mods[i] = (struct loader_module){
			.data = phys_to_virt(m->start), .size = m->end - m->start,
			.gpa = offset ? LOADER_NOT_IN_GUEST : m->start, .string = m->string,
		};
	}
	struct loader_firmware fw = {
		.rsdp_v1 = bi->rsdp_v1, .rsdp_v1_len = bi->rsdp_v1_len,
		.rsdp_v2 = bi->rsdp_v2, .rsdp_v2_len = bi->rsdp_v2_len,
	};
	/* fw then points at the guest's copy of the tables */
	if (platform_guest_acpi(&vm->guest, f->acpi, mods, bi->nr_modules, &fw) < 0)
		pr_warn("the guest gets the firmware's ACPI tables as they are (DMAR included)\n");
	vm->guest.screen = fbcon_framebuffer();	/* a Linux guest is told about it */
	platform_guest_smbios(&vm->guest, f->smbios, mods, bi->nr_modules);
	if (loader_load_ex(&vm->guest, mods, bi->nr_modules, &fw, NULL) < 0)
		platform_exit(false, "loading the guest failed");
}

struct vm *vm_build(const struct boot_facts *f)
{
	static struct vm the_vm;	/* uhv runs one guest: its storage */
	struct vm *vm = &the_vm;
	const struct acpi_sdt_header *dmar = acpi_find_table(f->acpi, "DMAR", 0);

	vm->opt = f->opt;
	build_memory(vm);
	load_guest(vm, f);
	if (vtd_active() && vtd_guest_domain_setup(vm) < 0)
		platform_exit(false, "the guest's DMA domain could not be built");
	/* VMX last: a bad guest is reported first, on any machine */
	if (vmx_init(vm->opt, vm) < 0)
		platform_exit(false, "no usable VMX");
	if (vm_mmio_setup(vm, f->acpi, dmar, f->smbios) < 0)
		platform_exit(false, "the guest's MMIO policy could not be built");
	if (vm_ioapic_setup(vm, f->acpi) < 0)	/* the IOAPIC pages: trapped, emulated */
		platform_exit(false, "the guest's IOAPICs could not be set up");
	if (vm->mmu->setup_memory(vm, dmar, dmar ? dmar->length : 0) < 0)
		platform_exit(false, vm->mmu->uses_eptp ? "building the guest's EPT failed" :
			      "shadow paging setup failed");
	/* Subsystems that emulate or filter something for the guest claim their
	 * ports and MMIO ranges here (<uhv/vmx_trap.h>). */
	if (nic_passthrough_setup(vm, f->pci, f->pci_cfg, f->mcfg) < 0)
		platform_exit(false, "NIC passthrough setup failed");
	if (platform_guest_setup(vm, f->acpi) < 0)	/* power-off, reset; after 0xcf9's owner */
		platform_exit(false, "trapping the guest's power-off and reset ports failed");
	if (vmx_debug_init(vm, f->pci) < 0)	/* console escape, monitor, GDB stub */
		pr_warn("running the guest without the monitor and the GDB stub\n");
	/* deny by default: the port table opens the native ports, checks every trap */
	if (vm_io_policy_apply(vm, f->acpi) < 0)
		platform_exit(false, "the guest's port table could not be applied");
	vmx_trap_print(vm);
	return vm;
}

__noreturn void vm_run(struct vm *vm)
{
	vmx_run_guest(vm);
	platform_exit(false, "the guest could not be started");
}
