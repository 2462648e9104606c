/* Linux boot data and boot CPU: boot_params, command line, GDT, identity page
 * tables and stack in one block of low guest memory, and the register state the
 * boot protocol's 32-bit or 64-bit entry wants. Apart from linux.c, which parses
 * the image and places kernel and initrd, because this part only writes what
 * those steps decided. */
#define LOG_MODULE "linux"
#include "linux_priv.h"
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>

/* Boot data block, page offsets (see linux_setup_boot_data) */
#define DATA_BOOT_PARAMS	0x0000
#define DATA_GDT		0x1000
#define DATA_STACK		0x2000	/* one page; RSP starts at its top */
#define DATA_PML4		0x3000
#define DATA_PDPT		0x4000
#define DATA_PD			0x5000	/* 4 page directories: 4 GiB in 2 MiB pages */
#define DATA_FIXED_64		0x9000
#define DATA_FIXED_32		DATA_PML4	/* no page tables */

/* x86 paging entry bits (SDM Vol. 3A 4.5) */
#define PTE_P	BIT(0)
#define PTE_RW	BIT(1)
#define PTE_PS	BIT(7)

/* Flat 4 GiB descriptors with the accessed bit already set, so the CPU never
 * writes the GDT and VM entry's segment checks (accessed type) hold. */
#define GDT_CODE64	0x00af9b000000ffffULL	/* L=1, DPL 0, execute/read */
#define GDT_CODE32	0x00cf9b000000ffffULL	/* D=1, G=1, execute/read */
#define GDT_DATA	0x00cf93000000ffffULL	/* B=1, G=1, read/write */
#define GDT_ENTRIES	4			/* null, unused, __BOOT_CS, __BOOT_DS */

_Static_assert(LINUX_BOOT_CS == 2 * 8 && LINUX_BOOT_DS == 3 * 8, "GDT slots");

static void build_page_tables(u8 *data, u64 base)
{
	u64 *pml4 = (u64 *)(data + DATA_PML4), *pdpt = (u64 *)(data + DATA_PDPT);

	pml4[0] = (base + DATA_PDPT) | PTE_P | PTE_RW;
	for (unsigned i = 0; i < 4; i++) {
		u64 *pd = (u64 *)(data + DATA_PD + i * PAGE_SIZE);

		pdpt[i] = (base + DATA_PD + i * PAGE_SIZE) | PTE_P | PTE_RW;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = (GiB(i) + j * LARGE_PAGE_SIZE) | PTE_P | PTE_RW | PTE_PS;
	}
}

/* 4. boot data, as low as possible in conventional memory: Linux keeps
 * the first MiB reserved, and its decompressor takes the top of
 * conventional memory for a trampoline */
static int place_boot_data(struct linux_load *l)
{
	l->data_size = (l->entry64 ? DATA_FIXED_64 : DATA_FIXED_32) +
		       ALIGN_UP(l->cmdline_len + 1, PAGE_SIZE);
	l->busy->n = 0;
	loader_busy_add(l->busy, l->load, l->load + l->k->pm_size);
	loader_busy_add(l->busy, l->rt, l->rt_end);
	loader_busy_add(l->busy, l->initrd, l->initrd + l->initrd_size);
	l->data = loader_place_low(l->g, l->data_size, LOADER_LOW_MEM_START, LOADER_LOW_MEM_END,
				   l->busy);
	if (!l->data)
		l->data = loader_place_low(l->g, l->data_size, LOADER_HIGH_MEM_START, FOUR_GIB,
					   l->busy);
	if (!l->data) {
		pr_err("no room for the kernel's boot data (%llu KiB) in guest RAM below 4 GiB "
		       "clear of the kernel and initrd\n", (l->data_size >> 10));
		loader_print_ram(l->g);
		return -ENOMEM;
	}
	l->cmdline_gpa = l->data + l->data_size - ALIGN_UP(l->cmdline_len + 1, PAGE_SIZE);
	return 0;
}

static void fill_boot_params(const struct linux_load *l, struct linux_boot_params *bp,
			     u64 rsdp_gpa)
{
	const struct linux_image *k = l->k;

	memcpy(&bp->hdr, &k->hdr, k->hdr_len);
	bp->hdr.type_of_loader = LINUX_LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags = (k->hdr.loadflags | LINUX_LF_LOADED_HIGH | LINUX_LF_CAN_USE_HEAP) &
			    ~LINUX_LF_KEEP_SEGMENTS;
	bp->hdr.heap_end_ptr = LINUX_HEAP_END_PTR;	/* only the real-mode code uses it */
	bp->hdr.code32_start = (u32)l->load;
	bp->hdr.cmd_line_ptr = (u32)l->cmdline_gpa;
	bp->ext_cmd_line_ptr = (u32)(l->cmdline_gpa >> 32);
	bp->hdr.ramdisk_image = (u32)l->initrd;
	bp->ext_ramdisk_image = (u32)(l->initrd >> 32);
	bp->hdr.ramdisk_size = (u32)l->initrd_size;
	bp->ext_ramdisk_size = (u32)(l->initrd_size >> 32);
	bp->hdr.setup_data = 0;
	if (rsdp_gpa && k->version >= LINUX_RSDP_VERSION)
		bp->acpi_rsdp_addr = rsdp_gpa;
	else if (rsdp_gpa)
		pr_warn("boot protocol %u.%02u has no acpi_rsdp_addr: Linux will look for the "
			"RSDP in the BIOS area itself\n", k->version >> 8, k->version & 0xff);
	bp->e820_entries = (u8)l->nr_e820;
	memcpy(bp->e820_table, l->e820, (size_t)l->nr_e820 * sizeof(l->e820[0]));
}

int linux_setup_boot_data(struct linux_load *l, u64 rsdp_gpa)
{
	int ret = place_boot_data(l);

	if (ret)
		return ret;
	/* loader_place_low() keeps a placement inside one region: one host pointer */
	u8 *d = guest_ptr(l->g, l->data, l->data_size);
	u64 *gdt = (u64 *)(d + DATA_GDT);

	memset(d, 0, l->data_size);
	memcpy(d + (l->cmdline_gpa - l->data), l->cmdline, l->cmdline_len);
	fill_boot_params(l, (struct linux_boot_params *)(d + DATA_BOOT_PARAMS), rsdp_gpa);
	if (l->g->screen)	/* after uhv's boot log, the screen is the guest's */
		l->g->screen_given = linux_screen_info(
			((struct linux_boot_params *)(d + DATA_BOOT_PARAMS))->screen_info, l->g->screen);
	gdt[LINUX_BOOT_CS / 8] = l->entry64 ? GDT_CODE64 : GDT_CODE32;
	gdt[LINUX_BOOT_DS / 8] = GDT_DATA;
	if (l->entry64)
		build_page_tables(d, l->data);
	return 0;
}

/* 5. the boot CPU (boot.rst "32-bit / 64-bit boot protocol"): flat
 * __BOOT_CS/__BOOT_DS from this GDT, interrupts off, RSI = boot_params */
void linux_setup_cpu(const struct linux_load *l)
{
	struct guest *g = l->g;

	memset(&g->boot, 0, sizeof(g->boot));
	g->boot.rsi = l->data + DATA_BOOT_PARAMS;
	g->boot.rsp = l->data + DATA_STACK + PAGE_SIZE;
	g->boot.rflags = 0x2;
	g->boot.gdt_base = l->data + DATA_GDT;
	g->boot.gdt_limit = GDT_ENTRIES * 8 - 1;
	g->boot.cs = LINUX_BOOT_CS;
	g->boot.ds = LINUX_BOOT_DS;
	if (l->entry64) {
		g->boot.mode = GUEST_MODE_LONG64;
		g->boot.rip = l->load + LINUX_ENTRY64_OFFSET;
		g->boot.cr0 = CR0_PE | CR0_ET | CR0_PG;
		g->boot.cr3 = l->data + DATA_PML4;
		g->boot.cr4 = CR4_PAE;
		g->boot.efer = EFER_LME | EFER_LMA;
	} else {
		g->boot.mode = GUEST_MODE_PROTECTED32;
		g->boot.rip = l->load;
		g->boot.cr0 = CR0_PE | CR0_ET;
	}
	memcpy(g->cmdline, l->cmdline, MIN(l->cmdline_len, sizeof(g->cmdline) - 1));
	g->cmdline[MIN(l->cmdline_len, sizeof(g->cmdline) - 1)] = 0;
	g->kind = "Linux bzImage";
}

void linux_report(const struct linux_load *l, struct linux_layout *layout)
{
	const struct linux_image *k = l->k;
	const struct guest *g = l->g;

	pr_info("guest kernel: Linux bzImage %s, boot protocol %u.%02u, loaded at 0x%llx "
		"(%llu KiB, init_size %llu KiB), %s entry 0x%llx\n",
		k->version_string[0] ? k->version_string : "(no version string)",
		k->version >> 8, k->version & 0xff, l->load, (k->pm_size >> 10),
		(k->init_size >> 10), l->entry64 ? "64-bit" : "32-bit",
		g->boot.rip);
	if (l->initrd_size)
		pr_info("  initrd [0x%llx, 0x%llx)%s from %u module%s\n",
			l->initrd, (l->initrd + l->initrd_size),
			l->in_place ? " (in place)" : "", l->n - 1, l->n == 2 ? "" : "s");
	pr_info("  boot_params 0x%llx, command line 0x%llx (%llu bytes), %d e820 entries\n",
		(l->data + DATA_BOOT_PARAMS), l->cmdline_gpa,
		l->cmdline_len, l->nr_e820);
	/* what the guest sizes its memory from (memtest86+ prints the sum of
	 * types 1 and 3; test/system/63-memtest.sh compares) */
	for (int i = 0; i < l->nr_e820; i++)
		pr_info("  e820 [0x%012llx-0x%012llx) type %u\n", l->e820[i].addr,
			(l->e820[i].addr + l->e820[i].size), l->e820[i].type);
	if (!layout)
		return;
	*layout = (struct linux_layout){
		.kernel_start = l->load, .kernel_end = l->load + k->pm_size,
		.runtime_start = l->rt, .runtime_end = l->rt_end,
		.initrd_start = l->initrd, .initrd_end = l->initrd + l->initrd_size,
		.initrd_in_place = l->in_place,
		.data_start = l->data, .data_end = l->data + l->data_size,
		.boot_params = l->data + DATA_BOOT_PARAMS, .cmdline = l->cmdline_gpa,
		.gdt = l->data + DATA_GDT, .pml4 = l->entry64 ? l->data + DATA_PML4 : 0,
		.stack_top = g->boot.rsp, .entry = g->boot.rip, .entry64 = l->entry64,
		.e820_entries = (unsigned)l->nr_e820,
	};
}
