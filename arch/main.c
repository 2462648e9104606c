/* kmain: the boot flow after the NASM entry (boot/entry.asm), top to bottom.
 * Each step prints what it found; a step that cannot continue says why and
 * what to do, then ends the run (platform_exit). */
#define LOG_MODULE "uhv"
#include <uhv/types.h>
#include <uhv/log.h>
#include <uhv/uart.h>
#include <uhv/console.h>
#include <uhv/platform.h>
#include <uhv/mca.h>
#include <uhv/kmem.h>
#include <uhv/trap.h>
#include <uhv/timer.h>
#include <uhv/mb2.h>
#include <uhv/options.h>
#include <uhv/cpu.h>
#include <uhv/acpi.h>
#include <uhv/pci.h>
#include <uhv/dmar.h>
#include <uhv/vtd.h>
#include <uhv/memmap.h>
#include <uhv/string.h>
#include <uhv/errno.h>
#include <uhv/smp.h>
#include <uhv/vmx_smp.h>
#include <uhv/vm.h>
#include <uhv/passthrough.h>
#include <uhv/test_hooks.h>
#include <uhv/fbcon.h>
#include <uhv/smbios.h>

/* Boot-time facts other subsystems consult; written once here. */
static struct mb2_info boot_info;
static struct uhv_options options;
static struct acpi acpi;
static struct acpi_madt_info madt;
static struct acpi_mcfg_info mcfg;
static struct pci pci;
static struct pci_cfg_ops pci_cfg;
static struct pci_ecam pci_ecam;
static struct smbios_ep smbios;

/* Fail closed: a fixed-size table that filled up leaves part of the machine unknown to uhv
 * (CPUs it does not hold under VMX, devices and config windows it cannot hide), so the guest
 * does not run. The table's parser has said which limit to raise. */
static __noreturn void table_full(const char *which)
{
	pr_err("%s: the guest is not started (see above)\n", which);
	platform_exit(false, which);
}

/* ACPI tables live in RAM (direct map) or in firmware-reserved ranges. */
static const void *acpi_map(void *ctx, paddr_t pa, size_t len)
{
	return kmem_map_firmware(pa, len);
}

static void discover_acpi(void)
{
	const void *rsdp = boot_info.rsdp_v2 ? boot_info.rsdp_v2 : boot_info.rsdp_v1;
	size_t rsdp_len = boot_info.rsdp_v2 ? boot_info.rsdp_v2_len : boot_info.rsdp_v1_len;
	if (!rsdp) {
		/* BIOS systems keep the RSDP in the EBDA or at 0xe0000-0xfffff */
		paddr_t pa = acpi_scan_rsdp(acpi_map, NULL, 0xe0000, 0x100000);
		if (pa) {
			rsdp = acpi_map(NULL, pa, 36);
			rsdp_len = 36;
			pr_info("acpi: boot loader gave no RSDP; found one at %#llx\n",
				pa);
		}
	}
	int ret = rsdp ? acpi_init(&acpi, rsdp, rsdp_len, acpi_map, NULL) : -ENOENT;
	if (ret == -ENOSPC)
		table_full("ACPI table list full");
	if (ret < 0) {
		pr_warn("no usable ACPI tables: no MADT (one CPU assumed), no MCFG "
			"(PCI through ports 0xcf8/0xcfc), no DMAR (no DMA remapping)\n");
		memset(&acpi, 0, sizeof(acpi));
		return;
	}
	acpi_print_tables(&acpi);
	ret = acpi_madt_parse(acpi_find_table(&acpi, "APIC", 0), &madt);
	if (ret == -ENOSPC)
		table_full("MADT tables full");
	if (ret >= 0)
		acpi_madt_print(&madt);
	else
		pr_warn("no MADT: assuming one CPU\n");
	ret = acpi_mcfg_parse(acpi_find_table(&acpi, "MCFG", 0), &mcfg);
	if (ret == -ENOSPC)
		table_full("ECAM window table full");
	if (ret > 0)
		acpi_mcfg_print(&mcfg);
}

#define SMBIOS_FSEG		0xf0000
#define SMBIOS_FSEG_END		0x100000

/* The SMBIOS entry point: UEFI firmware names it in the EFI system table (and may leave none in
 * the F segment), BIOS firmware keeps it in the F segment. The guest may read it and the
 * structure table where they are (vm/mmio_setup.c). */
static void discover_smbios(void)
{
	int ret = -ENOENT;

	if (boot_info.efi64_systab)
		ret = smbios_find_efi(acpi_map, NULL, boot_info.efi64_systab, &smbios);
	if (ret < 0)
		ret = smbios_scan(acpi_map, NULL, SMBIOS_FSEG, SMBIOS_FSEG_END, &smbios);
	if (ret < 0) {
		pr_info("SMBIOS: no entry point (neither in the EFI configuration tables nor in "
			"0xf0000-0xfffff); the guest finds none either\n");
		return;
	}
	pr_info("SMBIOS: %s entry point at %#llx (%s), structure table at %#llx, %u bytes\n",
		smbios.v3 ? "3.x" : "2.x", smbios.ep_pa,
		smbios.source == SMBIOS_EFI ? "EFI configuration table" : "F segment",
		smbios.table_pa, smbios.table_len);
}

#define PCI_TABLE_FIRST	64	/* entries: a small machine's functions fit in the first block */

/* The PCI function table grows in uhv's pool as enumeration finds functions (twice the size
 * each time), so its size follows the machine; no pool memory left ends the scan (fail closed). */
static struct pci_dev *pci_grow(struct pci *p, unsigned *cap)
{
	unsigned want = p->cap ? p->cap * 2 : PCI_TABLE_FIRST;
	size_t pages = ALIGN_UP(want * sizeof(struct pci_dev), PAGE_SIZE) / PAGE_SIZE;
	paddr_t pa = kmem_alloc_pages(pages, PAGE_SIZE);

	if (!pa)
		return NULL;
	struct pci_dev *devs = phys_to_virt(pa);
	if (p->devs) {
		memcpy(devs, p->devs, p->count * sizeof(struct pci_dev));
		kmem_free(virt_to_phys(p->devs),
			  ALIGN_UP(p->cap * sizeof(struct pci_dev), PAGE_SIZE));
	}
	*cap = (unsigned)(pages * PAGE_SIZE / sizeof(struct pci_dev));
	return devs;
}

static void discover_pci(void)
{
	pci_cfg_setup(&pci_cfg, &pci_ecam, mcfg.count ? &mcfg : NULL);
	pci.grow = pci_grow;
	int ret = pci_scan(&pci, &pci_cfg, 0, 0, 0xff, 0);
	pci_print(&pci);
	pr_info("PCI function table: room for %u functions, %llu KiB of uhv's pool\n", pci.cap,
		(u64)ALIGN_UP(pci.cap * sizeof(struct pci_dev), PAGE_SIZE) >> 10);
	if (ret == -ENOSPC)
		table_full("PCI function table: no memory");
}

static void setup_iommu(void)
{
	const struct acpi_sdt_header *dmar = acpi_find_table(&acpi, "DMAR", 0);
	vtd_use_pci(&pci);
	test_hook_vtd_firmware_te(&options, dmar, dmar ? dmar->length : 0);
	test_hook_vtd_firmware_ir(&options, dmar, dmar ? dmar->length : 0);
	int ret = vtd_init(dmar, dmar ? dmar->length : 0, &options, &pci_cfg);
	if (ret < 0 && dmar && options.iommu)
		pr_err("VT-d setup failed (%s); devices' DMA is not confined\n", errno_name(ret));
	if (options.vtd_selftest) {
		ret = vtd_selftest(&pci, &pci_cfg, &options);
		platform_exit(ret == 0, ret == 0 ? "vtd-selftest passed" : "vtd-selftest failed");
	}
}

/* probe: the NIC a guest would get, chosen as guest mode chooses it, so a nic= that names no
 * network controller fails here as it would at the guest's start. */
static __noreturn void probe_nic(void)
{
	int err;
	const struct pci_dev *d = nic_choose(&pci, &options, &err);

	if (err < 0)
		platform_exit(false, "nic= names no network controller");
	if (d)
		pr_info("a guest would get the NIC %02x:%02x.%x %04x:%04x (%s)\n", d->bus, d->dev,
			d->fn, d->vendor, d->device,
			options.nic_given ? "nic=" : "the first Ethernet controller");
	kmem_footprint_print("at the end of probe");
	platform_exit(true, "probe complete");
}

static void apply_exit_option(const struct uhv_options *o)
{
	switch (o->exit) {
	case UHV_EXIT_QEMU: platform_set(PLATFORM_QEMU); break;
	case UHV_EXIT_BOCHS: platform_set(PLATFORM_BOCHS); break;
	case UHV_EXIT_HALT:
		platform_set(PLATFORM_HW);
		platform_set_machine_end(false);
		break;
	case UHV_EXIT_HW: platform_set(PLATFORM_HW); break;
	default: break;
	}
}

__noreturn void kmain(u32 magic, u64 mbi_pa, u64 load_base)
{
	smp_init_boot_cpu();	/* GS -> CPU 0's struct percpu: logging and gdt_init use it */
	bool com1 = uart_init(0x3f8, 115200) == 0;
	log_raw("\nuhv microhypervisor - built " __DATE__ " " __TIME__ "\n");
	gdt_init();
	idt_init();
	mce_enable_here();	/* a machine check from here on is reported, not a shutdown */
	platform_set(platform_detect());
	pr_info("loaded at %#llx, multiboot2 info at %#llx, platform %s\n",
		load_base, mbi_pa,
		platform_name(platform_get()));
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("not started by a multiboot2 loader (EAX=%#x, expected %#x); "
		       "boot uhv with GRUB's 'multiboot2' command\n", magic, MB2_BOOTLOADER_MAGIC);
		platform_exit(false, "bad boot magic");
	}

	/* The boot page tables map the first 4 GiB at DMAP_BASE; GRUB keeps the
	 * info block below that. */
	u64 avail = mbi_pa < GiB(4) ? MIN(GiB(4) - mbi_pa, MiB(16)) : 0;
	if (mb2_parse(phys_to_virt(mbi_pa), avail, &boot_info) < 0) {
		pr_err("the multiboot2 boot information is malformed (see above); "
		       "check the boot loader and its configuration\n");
		platform_exit(false, "malformed multiboot2 information");
	}

	int errors = options_parse(boot_info.cmdline, &options);
	if (options.console_kind == UHV_CONSOLE_PORT &&
	    (options.console_port != 0x3f8 || options.console_baud != 115200)) {
		pr_info("switching the console to port %#x at %u baud\n",
			options.console_port, options.console_baud);
		if (uart_init(options.console_port, options.console_baud) < 0) {
			uart_init(0x3f8, 115200);
			pr_warn("no UART answers at port %#x; staying on ttyS0\n", options.console_port);
		} else {
			uart_early_replay(false);	/* the banner and the lines so far */
		}
	}
	log_set_level(options.loglevel);
	/* the screen: the loader's framebuffer, or VGA text under BIOS (no EFI system table) */
	fbcon_init(mb2_has(&boot_info, MB2_TAG_FRAMEBUFFER) ? &boot_info.fb : NULL,
		   !mb2_has(&boot_info, MB2_TAG_EFI64) && !mb2_has(&boot_info, MB2_TAG_EFI32),
		   options.console_screen);
	apply_exit_option(&options);
	if (errors)
		pr_warn("%d bad option value(s) on the command line, defaults used for them "
			"(see above; 'uhv: options' below lists what is in effect)\n", errors);
	mb2_print(&boot_info);
	options_print(&options);

	test_hook_lowmem_reserve(&options);	/* test build, lowmem-reserve=: for kmem_init */
	if (kmem_init(&boot_info, mbi_pa, load_base, options.uhvmem) < 0)
		platform_exit(false, "memory setup failed");
	fbcon_remap();	/* uhv's page tables are in use: the framebuffer into them */
	panic_test(&options, true);	/* test build, panic-test= with probe: here */

	discover_acpi();
	timer_init(acpi.count ? &acpi : NULL, &options);	/* PM timer/HPET need the ACPI tables */
	machine_end_init(&acpi);	/* how the guest's power-off or reset ends a real machine */
	end_test(&options);		/* test build, end-test=: that end without a guest */
	discover_smbios();
	discover_pci();
	console_setup(&options, com1, &acpi, &pci, &pci_cfg);
	setup_iommu();

	if (options.probe)
		probe_nic();

	/* Every other CPU into uhv (vmx_ap_main), before the guest's MADT is made of those
	 * that came up. */
	smp_start_aps(&madt, vmx_ap_main);
	/* arch/ap_start.c said how many and which limit; vmx_smp_release_aps would refuse the
	 * guest anyway, but only after VMX is up: end here, before any guest is built */
	if (smp_cpus_outside())
		platform_exit(false, "the MADT lists more CPUs than uhv handles (UHV_MAX_CPUS)");
	if (options.mem == UHV_MEM_SHADOW && options.cpus != 1 && smp_cpu_count() > 1) {
		pr_warn("mem=shadow: the guest gets one CPU (uhv's shadow page tables serve one "
			"vCPU); the others stay parked under uhv\n");
		smp_assign_guest_cpus(options.cpus, 1, "mem=shadow");
	} else {
		smp_assign_guest_cpus(options.cpus, 0, NULL);
	}
	panic_test(&options, false);	/* test build, panic-test= without probe: the APs are up */

	struct boot_facts facts = {
		.boot = &boot_info, .opt = &options, .acpi = &acpi, .mcfg = &mcfg, .pci = &pci,
		.pci_cfg = &pci_cfg, .smbios = smbios.source ? &smbios : NULL,
	};
	struct vm *vm = vm_build(&facts);

	kmem_footprint_print("at the end of boot");
	vm_run(vm);
}
