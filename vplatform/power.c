/* The guest's platform: its ACPI copy, and power-off and reset ending the run
 * (see <uhv/platform_guest.h>). */
#define LOG_MODULE "platform"
#include <uhv/platform.h>
#include <uhv/platform_guest.h>
#include <uhv/vm.h>
#include <uhv/acpi.h>
#include "acpi_view.h"
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/guest.h>
#include <uhv/io.h>
#include <uhv/loader.h>
#include <uhv/log.h>
#include <uhv/smp.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/smbios.h>
#include <uhv/kmem.h>

#define LOW_MEM_START	0x1000ULL	/* page 0 holds the real-mode IVT */
#define LOW_MEM_END	0xa0000ULL	/* conventional memory ends at the VGA window */

/* PM1x_CNT (ACPI 4.8.3.2.1) */
#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_TYP_MASK	7
#define PM1_SLP_EN		BIT(13)

#define KBC_CMD_PORT		0x64
#define KBC_PULSE_RESET		0xfe	/* pulse the CPU reset line */

/* ---- the ACPI copy -------------------------------------------------------------------------- */

static bool clear_of_modules(u64 start, u64 end, const struct loader_module *mods, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (mods[i].gpa != LOADER_NOT_IN_GUEST && start < mods[i].gpa + mods[i].size &&
		    mods[i].gpa < end)
			return false;
	return true;
}

/* Highest page-aligned place for size bytes of guest RAM in [lo, hi), clear of the modules
 * (still to be loaded). 0 if none. */
static u64 find_place(const struct guest *g, u64 size, u64 lo, u64 hi,
		      const struct loader_module *mods, unsigned n)
{
	for (unsigned i = g->nr_mem; i-- > 0;) {
		const struct guest_region *r = &g->mem[i];
		u64 rlo = ALIGN_UP(MAX(r->gpa, lo), PAGE_SIZE);
		u64 rhi = ALIGN_DOWN(MIN(r->gpa + r->size, hi), PAGE_SIZE);

		if (r->type != GUEST_MEM_RAM || rhi <= rlo || rhi - rlo < size)
			continue;
		for (u64 at = rhi - size; at >= rlo; at -= PAGE_SIZE) {
			if (clear_of_modules(at, at + size, mods, n))
				return at;
			if (at - rlo < PAGE_SIZE)
				break;
		}
	}
	return 0;
}

/* Make [gpa, gpa + size), inside one RAM region, a region of its own of type type. */
static int retype(struct guest *g, u64 gpa, u64 size, u32 type)
{
	u64 end = gpa + size;

	for (unsigned i = 0; i < g->nr_mem; i++) {
		struct guest_region r = g->mem[i], piece[3];
		u64 r_end = r.gpa + r.size;
		unsigned np = 0;

		if (gpa < r.gpa || end > r_end)
			continue;
		if (gpa > r.gpa)
			piece[np++] = (struct guest_region){ r.gpa, gpa - r.gpa, r.hpa, r.type };
		piece[np++] = (struct guest_region){ gpa, size, r.hpa + (gpa - r.gpa), type };
		if (end < r_end)
			piece[np++] = (struct guest_region){ end, r_end - end,
							     r.hpa + (end - r.gpa), r.type };
		if (g->nr_mem + np - 1 > GUEST_MAX_REGIONS)
			return -ENOSPC;
		memmove(&g->mem[i + np], &g->mem[i + 1], (g->nr_mem - i - 1) * sizeof(r));
		memcpy(&g->mem[i], piece, np * sizeof(r));
		g->nr_mem += np - 1;
		return 0;
	}
	return -EINVAL;
}

int platform_guest_acpi(struct guest *g, const struct acpi *a, const struct loader_module *mods,
			unsigned nr_mods, struct loader_firmware *fw)
{
	struct acpi_guest_info info;
	size_t size = ALIGN_UP(acpi_guest_size(a), PAGE_SIZE);
	/* the boot CPU, then the guest's APs: a subset of the host MADT's CPUs (ACPI_MAX_CPUS) */
	static u32 apic_ids[ACPI_MAX_CPUS];
	unsigned ncpus = smp_guest_apic_ids(apic_ids, ACPI_MAX_CPUS);
	u64 at;
	int ret;

	if (!size)
		return 0;	/* no ACPI: the guest finds none either */
	at = find_place(g, size, LOW_MEM_START, LOW_MEM_END, mods, nr_mods);
	if (!at)
		at = find_place(g, size, MiB(1), GiB(4), mods, nr_mods);
	if (!at) {
		pr_err("no free guest RAM below 4 GiB for the guest's ACPI tables (%zu bytes)\n",
		       size);
		return -ENOMEM;
	}
	void *buf = guest_ptr(g, at, size);
	ret = buf ? acpi_guest_build(a, apic_ids, ncpus, buf, size, at, &info) : -EFAULT;
	if (ret < 0)
		return ret;
	ret = retype(g, at, size, GUEST_MEM_ACPI);
	if (ret < 0) {
		pr_err("cannot add the guest's ACPI region to its memory map (%s)\n",
		       errno_name(ret));
		return ret;
	}
	fw->rsdp_gpa = info.rsdp_gpa;
	fw->rsdp_v1 = buf;
	fw->rsdp_v1_len = ACPI_RSDP_V1_SIZE;
	fw->rsdp_v2 = info.xsdt_gpa ? buf : NULL;
	fw->rsdp_v2_len = info.xsdt_gpa ? ACPI_RSDP_V2_SIZE : 0;
	char cpus[48];
	if (info.cpus_kept > 1)
		ksnprintf(cpus, sizeof(cpus), "%u CPUs, boot CPU APIC ID %u", info.cpus_kept,
			  apic_ids[0]);
	else
		ksnprintf(cpus, sizeof(cpus), "APIC ID %u only", apic_ids[0]);
	pr_info("guest ACPI: RSDP at %#llx (RSDT %#llx, XSDT %#llx, MADT %#llx) in [%#llx, %#llx): "
		"%u tables listed, %u hidden (DMAR), MADT with %s (%u other CPUs hidden)\n",
		info.rsdp_gpa, info.rsdt_gpa, info.xsdt_gpa, info.madt_gpa,
		at, (at + size), info.entries, info.dropped, cpus, info.cpus_dropped);
	return 0;
}

/* ---- SMBIOS in the F segment ---------------------------------------------------------------- */

#define FSEG_START	0xf0000ULL
#define FSEG_END	0x100000ULL

/* Add [gpa, gpa + PAGE_SIZE) backed by hpa, typed type, where no region is (kept in address
 * order). */
static int add_alias(struct guest *g, u64 gpa, u64 hpa, u32 type)
{
	unsigned at = 0;

	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + PAGE_SIZE)
			return -EEXIST;
		if (r->gpa < gpa)
			at = i + 1;
	}
	if (g->nr_mem == GUEST_MAX_REGIONS)
		return -ENOSPC;
	memmove(&g->mem[at + 1], &g->mem[at], (g->nr_mem - at) * sizeof(g->mem[0]));
	g->mem[at] = (struct guest_region){ gpa, PAGE_SIZE, hpa, type };
	g->nr_mem++;
	return 0;
}

static u64 guest_hpa(const struct guest *g, u64 gpa)
{
	for (unsigned i = 0; i < g->nr_mem; i++)
		if (gpa >= g->mem[i].gpa && gpa - g->mem[i].gpa < g->mem[i].size)
			return g->mem[i].hpa + (gpa - g->mem[i].gpa);
	return 0;
}

int platform_guest_smbios(struct guest *g, const struct smbios_ep *smbios,
			  const struct loader_module *mods, unsigned nr_mods)
{
	const u8 *ep = smbios ? kmem_map_firmware(smbios->ep_pa, smbios->ep_len) : NULL;
	u64 page = FSEG_START;
	int slot = -ENOSPC, ret;

	if (!smbios || smbios->source != SMBIOS_EFI)
		return 0;	/* none, or where the guest looks already */
	for (; ep && page < FSEG_END && slot < 0; page += PAGE_SIZE) {
		const u8 *host = kmem_map_firmware(page, PAGE_SIZE);
		slot = host ? smbios_fseg_slot(host, PAGE_SIZE, smbios->ep_len) : -EFAULT;
	}
	page -= PAGE_SIZE;
	u64 at = slot >= 0 ? find_place(g, PAGE_SIZE, LOW_MEM_START, LOW_MEM_END, mods, nr_mods) : 0;
	u8 *copy = at ? guest_ptr(g, at, PAGE_SIZE) : NULL;
	if (!copy) {
		pr_err("the guest gets no SMBIOS entry point in its F segment: %s\n",
		       slot < 0 ? "no free 16-byte slot in 0xf0000-0xfffff" :
		       "no free page of guest RAM below 640 KiB for the copy");
		return slot < 0 ? slot : -ENOMEM;
	}
	memcpy(copy, kmem_map_firmware(page, PAGE_SIZE), PAGE_SIZE);
	memcpy(copy + slot, ep, smbios->ep_len);
	ret = retype(g, at, PAGE_SIZE, GUEST_MEM_ACPI);
	if (!ret)
		ret = add_alias(g, page, guest_hpa(g, at), GUEST_MEM_ACPI);
	if (ret < 0) {
		pr_err("the guest gets no SMBIOS entry point in its F segment: its memory map has "
		       "no room for the page (%s)\n", errno_name(ret));
		return ret;
	}
	pr_info("guest SMBIOS: %s entry point at %#llx (a copy of the firmware's at %#llx, named "
		"by the EFI configuration table), backed by guest RAM %#llx; structure table at "
		"%#llx\n", smbios->v3 ? "_SM3_" : "_SM_", page + (u64)slot, smbios->ep_pa, at,
		smbios->table_pa);
	return 0;
}

/* ---- power-off and reset ------------------------------------------------------------------- */


static u32 port_in(u16 port, unsigned size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void port_out(u16 port, unsigned size, u32 val)
{
	if (size == 1)
		outb(port, (u8)val);
	else if (size == 2)
		outw(port, (u16)val);
	else
		outl(port, val);
}

static __noreturn void end_run(bool pass, const char *why)
{
	u64 tsc = rdtsc();	/* Bochs: its tick count (bench/linux-boot.sh) */

	log_release();
	pr_info("%s (TSC %llu)\n", why, tsc);
	platform_end_request(PLATFORM_END_POWEROFF);
	vmx_stop(pass, why);
}

__noreturn void platform_guest_reset(const char *how)
{
	log_release();
	pr_info("the guest reset the machine (%s); uhv does not restart guests\n", how);
	platform_end_request(PLATFORM_END_RESET);
	vmx_stop(true, "guest reset the machine");
}

static int pm1_cnt_access(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct pm1_cnt *p = ctx;
	unsigned shift = 8 * (port - p->port);
	u32 bits = *val << shift;

	if (in) {
		*val = port_in(port, size);
		return 0;
	}
	if (bits & PM1_SLP_EN) {
		unsigned typ = (bits >> PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK;

		if (!p->s5_known || typ == p->s5_typ)
			end_run(true, "guest powered off");
		/* Any other sleep state would leave the machine without uhv on resume (the
		 * waking vector is the guest's, VMX and VT-d off): SLP_EN never reaches it. */
		vm_deny_count(&p->vm->denied.io_filtered);
		if (platform_note_once(&p->vm->platform, PF_NOTED_SLEEP))
			pr_warn("the guest asked for sleep state SLP_TYP %u through PM1%c_CNT "
				"(%#x): dropped; uhv supports only S5 (soft off, SLP_TYP %u) "
				"(said once)\n", typ, p->name, p->port, p->s5_typ);
		bits &= ~(u32)PM1_SLP_EN;
		*val = bits >> shift;
	}
	port_out(port, size, *val);
	return 0;
}

/* 8042 commands that move the CPU's reset line: the pulse commands 0xf0-0xff pulse the output
 * port bits whose command bit is clear (bit 0 = reset), and 0xd1 writes the output port from
 * the next data byte, which the guest writes to 0x60 natively. */
#define KBC_PULSE_FIRST		0xf0
#define KBC_WRITE_OUTPUT	0xd1

static int kbc_cmd(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct vm *vm = ctx;
	u8 cmd = (u8)*val;

	if (in) {
		*val = port_in(port, size);
		return 0;
	}
	if (cmd == KBC_PULSE_RESET)
		platform_guest_reset("keyboard controller command 0xfe");
	if (cmd >= KBC_PULSE_FIRST && !(cmd & 1))
		platform_guest_reset("keyboard controller reset pulse");
	if (cmd == KBC_WRITE_OUTPUT) {
		vm_deny_count(&vm->denied.io_filtered);
		if (platform_note_once(&vm->platform, PF_NOTED_KBC))
			pr_warn("guest sent the keyboard controller command 0xd1 (write output "
				"port: the reset and A20 lines): dropped (said once)\n");
		return 0;
	}
	port_out(port, size, *val);
	return 0;
}

static int reset_reg(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	const struct vm_platform *pf = ctx;

	if (in) {
		*val = port_in(port, size);
		return 0;
	}
	if ((*val & 0xff) == pf->reset_value)
		platform_guest_reset("ACPI reset register");
	port_out(port, size, *val);
	return 0;
}

static int trap_pm1(struct vm *vm, struct pm1_cnt *p, const char *name)
{
	int ret = vmx_trap_io(vm, p->port, p->port + p->len - 1, pm1_cnt_access, p, name);

	if (ret < 0)
		pr_err("cannot trap %s at port %#x (%s): the guest's power-off would reach the "
		       "hardware\n", name, p->port, errno_name(ret));
	return ret;
}

int platform_guest_setup(struct vm *vm, const struct acpi *a)
{
	struct guest *g = &vm->guest;
	struct vm_platform *pf = &vm->platform;
	struct pm1_cnt *pm1 = pf->pm1;
	struct acpi_fadt_info f;
	u8 typ_a = 0, typ_b = 0;
	bool s5 = false;
	int ret;

	/* A guest that drives the console UART itself: uhv keeps quiet until the run ends. */
	g->console_quiet = g->kind && !strcmp(g->kind, "Linux bzImage");

	bool fadt = acpi_fadt_parse(acpi_find_table(a, ACPI_SIG_FADT, 0), &f) == 0;
	ret = platform_ports_setup(vm, fadt ? &f : NULL);	/* RTC, 0x92, SMI_CMD */
	if (ret < 0)
		return ret;
	if (fadt) {
		s5 = acpi_dsdt_s5(acpi_find_table(a, ACPI_SIG_DSDT, 0), &typ_a, &typ_b) == 0;
		u8 len = f.pm1_cnt_len >= 2 && f.pm1_cnt_len <= 4 ? f.pm1_cnt_len : 2;

		pm1[0] = (struct pm1_cnt){ f.pm1a_cnt_port, len, typ_a, s5, 'a', vm };
		pm1[1] = (struct pm1_cnt){ f.pm1b_cnt_port, len, typ_b, s5, 'b', vm };
		if (pm1[0].port && (ret = trap_pm1(vm, &pm1[0], "ACPI PM1a_CNT (power-off)")) < 0)
			return ret;
		if (pm1[1].port && (ret = trap_pm1(vm, &pm1[1], "ACPI PM1b_CNT (power-off)")) < 0)
			return ret;
		if (f.reset_supported && f.reset_reg.space_id == ACPI_GAS_IO &&
		    f.reset_reg.address && f.reset_reg.address != KBC_CMD_PORT &&
		    !vmx_trap_io_find(vm, (u16)f.reset_reg.address)) {
			pf->reset_port = (u16)f.reset_reg.address;
			pf->reset_value = f.reset_value;
			ret = vmx_trap_io(vm, pf->reset_port, pf->reset_port, reset_reg, pf,
					  "ACPI reset register");
			if (ret < 0)
				return ret;
		}
	}
	ret = vmx_trap_io(vm, KBC_CMD_PORT, KBC_CMD_PORT, kbc_cmd, vm,
			  "keyboard controller (reset command)");
	if (ret < 0)
		return ret;
	if (pm1[0].port)
		pr_info("guest power-off: PM1a_CNT %#x%s, S5 SLP_TYP %s%u; reset: port 0x64 "
			"0xfe%s\n",
			pm1[0].port, pm1[1].port ? " and PM1b_CNT" : "", s5 ? "" : "unknown, any ",
			typ_a, pf->reset_port ? " and the ACPI reset register" : "");
	else
		pr_warn("no FADT PM1a control port: a guest power-off will not end the run\n");
	return 0;
}
