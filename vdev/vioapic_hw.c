/* The guest's IOAPICs, the hypervisor side (<uhv/vioapic.h>, docs/interrupts.md "IOAPIC"):
 * each IOAPIC page is trapped (the MMIO policy does not map it), its accesses are decoded from
 * the instruction at the guest's RIP and handed to the pure emulation (vdev/vioapic.c), which
 * reaches the real IOAPIC through the callbacks here: IOREGSEL/IOWIN on uhv's UC mapping, the
 * guest's CPUs, the IRTE writes (irq_remap_ioapic_set) and the refusal report. Trap handlers
 * run under the vm's emul_lock, which also serializes uhv's IOREGSEL/IOWIN pairs. */
#define LOG_MODULE "ioapic"
#include <uhv/vioapic.h>
#include <uhv/vm.h>
#include <uhv/acpi.h>
#include <uhv/mmio.h>
#include <uhv/mmio_emul.h>
#include <uhv/vmx_trap.h>
#include <uhv/smp.h>
#include <uhv/percpu.h>
#include <uhv/irq_remap.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/format.h>

_Static_assert(VM_MAX_IOAPICS == MMIO_MAX_IOAPICS, "one vioapic per IOAPIC of the policy");
_Static_assert(VIOAPIC_CPUS >= ACPI_MAX_CPUS, "room for every guest CPU's APIC ID");

#define MP_DEFAULT_IOAPIC	0xfec00000ULL	/* MP spec default, for firmware without a MADT */

#define hw_ctx vioapic_hw_ctx

static volatile u8 *regs(const struct hw_ctx *c)
{
	return c->vm->ioapic.regs[c->i];
}

static u32 hw_read(void *ctx, u8 reg)
{
	volatile u8 *r = regs(ctx);

	mmio_write32(r + IOAPIC_IOREGSEL, reg);
	return mmio_read32(r + IOAPIC_IOWIN);
}

static void hw_write(void *ctx, u8 reg, u32 val)
{
	volatile u8 *r = regs(ctx);

	mmio_write32(r + IOAPIC_IOREGSEL, reg);
	mmio_write32(r + IOAPIC_IOWIN, val);
}

static void hw_eoi(void *ctx, u32 val)
{
	mmio_write32(regs(ctx) + IOAPIC_EOI, val);
}

static void guest_cpus(void *ctx, struct vioapic_cpus *c)
{
	struct vm_ioapics *s = &((struct hw_ctx *)ctx)->vm->ioapic;
	unsigned n = smp_guest_apic_ids(s->apic_ids, VIOAPIC_CPUS);

	/* logical destinations match LDRs the guest programs: safe only when no CPU is uhv's */
	*c = (struct vioapic_cpus){ s->apic_ids, n,
		n == smp_cpu_slots() && smp_cpus_outside() == 0 };
}

static int hw_remap(void *ctx, unsigned index, const struct irq_remap_dest *d)
{
	const struct hw_ctx *c = ctx;

	return irq_remap_ioapic_set(c->vm->ioapic.io[c->i].id, index, d);
}

static void refused(void *ctx, unsigned pin, u64 rte, const char *why)
{
	const struct hw_ctx *c = ctx;
	struct vm_ioapics *s = &c->vm->ioapic;

	vm_deny_count(&c->vm->denied.ioapic_refused);
	if (s->said)
		return;
	s->said = true;
	pr_warn("the guest's IOAPIC id %u entry %u (%#018llx) is refused: %s; it stays masked "
		"on the hardware and reads back masked (said once, every refusal is counted in the "
		"statistics)\n", s->io[c->i].id, pin, rte, why);
}

/* ---- the trap ---- */

static int ioapic_rw(void *ctx, struct vcpu *v, u64 gpa, unsigned size, bool write, u64 *val)
{
	struct hw_ctx *c = ctx;
	struct vioapic *io = &c->vm->ioapic.io[c->i];
	unsigned off = (unsigned)(gpa & 0xfff);

	/* 8-byte accesses: the low dword (the registers are 32-bit, 16 bytes apart) */
	if (write)
		vioapic_mmio_write(io, off, MIN(size, 4u), (u32)*val);
	else
		*val = vioapic_mmio_read(io, off, MIN(size, 4u));
	return 0;
}

static int ioapic_access(void *ctx, struct vcpu *v, u64 gpa, u64 q)
{
	return mmio_emulate(v, gpa, q, "IOAPIC", ioapic_rw, ctx);
}

/* ---- setup ---- */

/* IRTEs for every pin where a remapping unit names the IOAPIC; else, with compatibility
 * format blocked somewhere, the IOAPIC's interrupts would be lost: allow it, loudly. */
static void setup_remap(struct vioapic *io, u64 base)
{
	char why[120];
	u16 sid;
	int err = irq_remap_ioapic(io->id, &sid);

	if (!err)
		err = irq_remap_ioapic_alloc(io->id, io->npins, &io->irte_first);
	if (!err) {
		io->remapped = true;
		pr_info("IOAPIC id %u @%#llx: remapped, IRTEs %u-%u, source id %02x:%02x.%x\n",
			io->id, base, io->irte_first, io->irte_first + io->npins - 1, sid >> 8,
			(sid >> 3) & 0x1f, sid & 7);
		return;
	}
	if (!irq_remap_compat_blocked())
		return;
	ksnprintf(why, sizeof(why), "IOAPIC id %u @%#llx %s", io->id, base,
		  err == -ENODEV ? "is named by no DMAR unit's device scope"
				 : "got no interrupt-remapping entries");
	irq_remap_compat_allow(why);
}

static int add_ioapic(struct vm *vm, u8 id, u64 base)
{
	struct vm_ioapics *s = &vm->ioapic;
	unsigned i = s->n;
	struct vioapic_ops ops = { hw_read, hw_write, hw_eoi, guest_cpus, hw_remap, refused,
				   &s->ctx[i] };
	struct vioapic *io = &s->io[i];
	int err;

	s->ctx[i] = (struct hw_ctx){ vm, i };
	s->regs[i] = mmio_map(base, PAGE_SIZE);
	if (!s->regs[i]) {
		pr_err("cannot map IOAPIC id %u @%#llx\n", id, base);
		return -ENOMEM;
	}
	vioapic_init(io, id, &ops);
	setup_remap(io, base);
	if (!io->remapped)
		io->ops.remap = NULL;
	err = vmx_trap_mmio(vm, base, base + PAGE_SIZE - 1, ioapic_access, &s->ctx[i],
			    "IOAPIC (emulated)");
	if (err < 0) {
		pr_err("cannot trap IOAPIC id %u @%#llx (%s)\n", id, base, errno_name(err));
		return err;
	}
	s->n++;
	pr_info("IOAPIC id %u @%#llx version %#x, %u pins: emulated (redirection entries "
		"checked%s)\n", id, base, io->version, io->npins,
		io->remapped ? ", remappable format on the hardware" : ", compatibility format");
	return 0;
}

int vm_ioapic_setup(struct vm *vm, const struct acpi *acpi)
{
	static struct acpi_madt_info madt;	/* build scratch, too large for the stack */
	const struct acpi_sdt_header *t = acpi ? acpi_find_table(acpi, "APIC", 0) : NULL;
	int err = 0;

	if (!t || acpi_madt_parse(t, &madt) < 0) {
		/* no MADT: the MP default; its id is what the IOAPIC says of itself */
		volatile u8 *r = mmio_map(MP_DEFAULT_IOAPIC, PAGE_SIZE);

		if (!r)
			return -ENOMEM;
		mmio_write32(r + IOAPIC_IOREGSEL, IOAPIC_REG_ID);
		return add_ioapic(vm, (u8)((mmio_read32(r + IOAPIC_IOWIN) >> 24) & 0xf),
				  MP_DEFAULT_IOAPIC);
	}
	for (unsigned i = 0; i < madt.nioapics && i < VM_MAX_IOAPICS && !err; i++)
		err = add_ioapic(vm, madt.ioapics[i].id, madt.ioapics[i].address);
	return err;
}

void vm_ioapic_print(const struct vm *vm)
{
	const struct vm_ioapics *s = &vm->ioapic;

	for (unsigned i = 0; i < s->n; i++)
		pr_info("IOAPIC id %u: %llu guest accesses emulated, %llu entries refused%s\n",
			s->io[i].id, s->io[i].accesses, s->io[i].refusals,
			s->io[i].remapped ? " (remapped)" : "");
}
