/* The port table applied to the vm (<uhv/vmx_trap.h>, the table itself is vmx/io_policy.c):
 * the facts it needs gathered from the FADT, the platform's and the debugger's traps and the
 * NIC; the I/O bitmaps written from it; the traps checked against it, failing closed; and at run
 * time the once-per-range report of unassigned ports and the NIC's BAR moves. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_trap.h>
#include <uhv/io_policy.h>
#include <uhv/vm.h>
#include <uhv/acpi.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/errno.h>

static struct io_range range(u16 port, unsigned len)
{
	return (struct io_range){ port, port ? (u16)len : 0 };
}

/* A UART's rule only when its trap is there: else its ports are simply unassigned. */
static struct io_range uart(const struct vm *vm, u16 port)
{
	return range(port && vmx_trap_io_find(vm, port) ? port : 0, 8);
}

static void gather(struct vm *vm, const struct acpi *a, struct io_facts *f)
{
	const struct vm_platform *pf = &vm->platform;
	struct acpi_fadt_info fadt;

	*f = (struct io_facts){ 0 };
	if (acpi_fadt_parse(acpi_find_table(a, ACPI_SIG_FADT, 0), &fadt) == 0) {
		f->at[IO_PM1A_EVT] = range(fadt.pm1a_evt_port, fadt.pm1_evt_len);
		f->at[IO_PM1B_EVT] = range(fadt.pm1b_evt_port, fadt.pm1_evt_len);
		f->at[IO_PM_TMR] = range(fadt.pm_timer_port, 4);
		f->at[IO_GPE0] = range(fadt.gpe0_port, fadt.gpe0_len);
		f->at[IO_GPE1] = range(fadt.gpe1_port, fadt.gpe1_len);
	}
	/* the filtered and emulated ones as their owners trapped them */
	f->at[IO_PM1A_CNT] = range(pf->pm1[0].port, pf->pm1[0].len);
	f->at[IO_PM1B_CNT] = range(pf->pm1[1].port, pf->pm1[1].len);
	f->at[IO_SMI_CMD] = range(pf->smi_cmd, 1);
	f->at[IO_RESET_REG] = range(pf->reset_port, 1);
	f->at[IO_CONSOLE] = uart(vm, vm->dbg.con_port);
	f->at[IO_GDB] = uart(vm, vm->dbg.gdb_port);
	f->nr_nic = pt_nic_io_bars(&vm->pt, f->nic, IO_NIC_MAX_BARS);
}

/* Every trap on ports the table traps, every trapped rule with a handler. */
static int check_traps(const struct vm *vm)
{
	struct io_claim c[VMX_TRAP_MAX_IO];

	for (unsigned i = 0; i < vm->traps.nr_io; i++)
		c[i] = (struct io_claim){ vm->traps.io[i].first, vm->traps.io[i].last,
					  vm->traps.io[i].name };
	return io_policy_check_claims(&vm->io, c, vm->traps.nr_io, vm->traps.io_full);
}

static void print_table(const struct vm *vm)
{
	const struct io_policy *p = &vm->io;
	unsigned native = 0, trapped = 0;

	for (unsigned i = 0; i < p->n; i++) {
		const struct io_rule *r = &p->r[i];
		unsigned n = r->last - r->first + 1u;

		if (r->t == IO_NATIVE)
			native += n;
		else
			trapped += n;
		pr_info("ports %#06x-%#06x %-8s %s\n", r->first, r->last,
			io_treatment_name(r->t), r->reason);
	}
	pr_info("port table: %u rules, %u ports native, %u emulated or filtered, %u unassigned "
		"(reads all-ones, writes dropped)\n", p->n, native, trapped,
		0x10000u - native - trapped);
}

int vm_io_policy_apply(struct vm *vm, const struct acpi *a)
{
	struct io_facts f;
	int ret;

	gather(vm, a, &f);
	ret = io_policy_build(&vm->io, &f);
	if (ret < 0)
		return ret;
	ret = check_traps(vm);
	if (ret < 0)
		return ret;
	io_policy_bitmaps(&vm->io, phys_to_virt(vm->io_bitmap_a_pa),
			  phys_to_virt(vm->io_bitmap_b_pa));
	print_table(vm);
	return 0;
}

void vm_io_unassigned(struct vm *vm, u16 port, unsigned size, bool in)
{
	u16 first, last;
	unsigned g = io_policy_gap(&vm->io, port, &first, &last);
	u64 bit = 1ULL << (g % 64);

	/* a guest probing every port must not flood the console: once per range */
	if (__atomic_fetch_or(&vm->io.noted[g / 64], bit, __ATOMIC_RELAXED) & bit)
		return;
	pr_warn("guest %s of port %#x (%u byte%s): unassigned (no rule for ports %#x-%#x): "
		"reads all-ones, writes dropped (said once for the range)\n", in ? "read" : "write",
		port, size, size > 1 ? "s" : "", first, last);
}

int vm_io_nic_bar_moved(struct vm *vm, u16 old, u16 new)
{
	u8 *a = phys_to_virt(vm->io_bitmap_a_pa), *b = phys_to_virt(vm->io_bitmap_b_pa);
	const struct io_rule *r = io_policy_find(&vm->io, old);

	if (!r || r->where != IO_NIC_BAR || r->first != old)
		return -ENOENT;
	u16 len = r->last - r->first + 1;
	int ret = io_policy_move_nic_bar(&vm->io, old, new);
	if (ret < 0)
		return ret;
	/* The SDM (Vol. 3C, "Software Access to Related Structures") wants the bitmaps changed
	 * only while no CPU using them runs the guest; other vCPUs may see the change late, which
	 * at worst leaves them the old ports (nothing decodes them now) or the new ones
	 * intercepted for a moment. */
	for (u32 p = old; p < (u32)old + len; p++)
		vmx_io_bitmap_intercept(a, b, (u16)p);
	for (u32 p = new; p < (u32)new + len; p++)
		vmx_io_bitmap_allow(a, b, (u16)p);
	pr_info("NIC I/O BAR moved from ports %#x to %#x (%u ports): the port table follows\n",
		old, new, len);
	return 0;
}
