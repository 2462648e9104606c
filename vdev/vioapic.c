/* The guest's IOAPIC, mediated (see <uhv/vioapic.h>, docs/interrupts.md "IOAPIC"): the guest's
 * view of the redirection table, the check of each entry and its translation for the
 * hardware. Pure: the real IOAPIC is reached through io->ops. */
#include <uhv/vioapic.h>

/* ---- the check and the translation ---- */

static bool guest_cpu(const struct vioapic_cpus *c, u32 id)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->apic_id[i] == id)
			return true;
	return false;
}

/* The delivery-mode half of vioapic_check. */
static const char *check_mode(u64 rte, struct irq_remap_dest *d)
{
	switch ((rte & RTE_DLM_MASK) >> RTE_DLM_SHIFT) {
	case RTE_DLM_FIXED:
		return NULL;
	case RTE_DLM_LOWPRI:
		d->lowest_priority = true;
		return NULL;
	case RTE_DLM_NMI:
		/* a watchdog's NMI: an NMI in VMX non-root goes to the guest (no NMI exiting) */
		d->special = IRQ_REMAP_DLM_NMI;
		return (rte & RTE_TRIGGER_LEVEL) ? "level-triggered NMI (NMI is edge only)" : NULL;
	case RTE_DLM_EXTINT:
		/* the guest's own 8259 through the IOAPIC (Linux's timer check, virtual wire) */
		d->special = IRQ_REMAP_DLM_EXTINT;
		return NULL;
	case RTE_DLM_SMI:
		return "delivery mode SMI (system management mode is firmware's, never the guest's)";
	case RTE_DLM_INIT:
		return "delivery mode INIT (resets the destination CPU)";
	default:
		return "reserved delivery mode";
	}
}

const char *vioapic_check(u64 rte, const struct vioapic_cpus *c, struct irq_remap_dest *d)
{
	u32 dest = (u32)(rte >> RTE_DEST_SHIFT);
	const char *why;

	*d = (struct irq_remap_dest){ 0 };
	if (rte & RTE_IR_FORMAT)
		return "remappable format (bit 48: interrupt-remapping entries are uhv's)";
	why = check_mode(rte, d);
	if (why)
		return why;
	d->vector = (u8)(rte & RTE_VECTOR_MASK);
	d->level = rte & RTE_TRIGGER_LEVEL;
	if (!d->special && d->vector < 16)
		return "illegal vector 0-15";
	d->dest_apic_id = dest;
	d->dest_logical = rte & RTE_DESTMOD_LOGICAL;
	if (d->dest_logical) {
		if (!c->all)
			return "logical destination while uhv keeps CPUs the guest does not have";
		return dest ? NULL : "logical destination 0 (no CPU)";
	}
	if (dest == 0xff)
		return "physical broadcast destination 0xff";
	return guest_cpu(c, dest) ? NULL : "destination APIC ID is not one of the guest's CPUs";
}

u64 vioapic_hw_rte(u64 rte, const struct irq_remap_dest *d, bool remapped, unsigned index)
{
	/* polarity is the pin's electrical fact; trigger and mask are the guest's choice */
	u64 hw = (rte & (RTE_POLARITY_LOW | RTE_MASKED)) | d->vector |
		 (d->level ? RTE_TRIGGER_LEVEL : 0);
	unsigned dlm = d->lowest_priority ? RTE_DLM_LOWPRI : d->special;

	if (remapped)
		/* VT-d 5.1.5.1: bits 10:8 zero, the vector equal to the IRTE's (EOI matching),
		 * the trigger mode equal to the IRTE's */
		return hw | RTE_IR_FORMAT | ((u64)(index & 0x7fff) << RTE_IR_INDEX_SHIFT) |
		       ((index & 0x8000) ? RTE_IR_INDEX15 : 0);
	return hw | ((u64)dlm << RTE_DLM_SHIFT) | (d->dest_logical ? RTE_DESTMOD_LOGICAL : 0) |
	       ((u64)(d->dest_apic_id & 0xff) << RTE_DEST_SHIFT);
}

/* ---- the hardware entry ---- */

static u8 redtbl(unsigned pin)
{
	return (u8)(IOAPIC_REG_REDTBL + 2 * pin);
}

/* Write the hardware entry so that it is never unmasked with a half-written destination: a
 * new high half goes in with the entry masked. */
static void hw_write(struct vioapic *io, unsigned pin, u64 val)
{
	u64 old = io->hw[pin];

	if ((old >> 32) != (val >> 32)) {
		if (!(old & RTE_MASKED))
			io->ops.write(io->ops.ctx, redtbl(pin), (u32)old | RTE_MASKED);
		io->ops.write(io->ops.ctx, redtbl(pin) + 1, (u32)(val >> 32));
		io->ops.write(io->ops.ctx, redtbl(pin), (u32)val);
	} else if ((u32)old != (u32)val) {
		io->ops.write(io->ops.ctx, redtbl(pin), (u32)val);
	}
	io->hw[pin] = val;
}

static void set_refused(struct vioapic *io, unsigned pin, bool on)
{
	if (on)
		io->refused[pin / 64] |= BIT(pin % 64);
	else
		io->refused[pin / 64] &= ~BIT(pin % 64);
}

static bool is_refused(const struct vioapic *io, unsigned pin)
{
	return io->refused[pin / 64] & BIT(pin % 64);
}

/* The IRTE for the pin, written only when it changes (each write costs an interrupt-entry
 * cache invalidation). */
static const char *remap(struct vioapic *io, unsigned pin, const struct irq_remap_dest *d)
{
	u64 key = BIT(63) | d->vector | (u64)d->dest_apic_id << 8 |
		  (u64)d->lowest_priority << 40 | (u64)d->dest_logical << 41 | (u64)d->level << 42 |
		  (u64)d->special << 43;

	if (io->irte_key[pin] == key)
		return NULL;
	io->irte_key[pin] = 0;
	if (!io->ops.remap || io->ops.remap(io->ops.ctx, io->irte_first + pin, d) < 0)
		return "no interrupt-remapping entry could be written for it";
	io->irte_key[pin] = key;
	return NULL;
}

/* The guest changed entry pin: the hardware follows, or the entry stays masked there. */
static void apply(struct vioapic *io, unsigned pin)
{
	u64 rte = io->rte[pin];
	struct vioapic_cpus c = { 0 };
	struct irq_remap_dest d;
	const char *why;

	set_refused(io, pin, false);
	if (rte & RTE_MASKED) {
		hw_write(io, pin, io->hw[pin] | RTE_MASKED);
		return;
	}
	if (io->ops.cpus)
		io->ops.cpus(io->ops.ctx, &c);
	why = vioapic_check(rte, &c, &d);
	if (!why && io->remapped)
		why = remap(io, pin, &d);
	if (why) {
		set_refused(io, pin, true);
		io->refusals++;
		hw_write(io, pin, io->hw[pin] | RTE_MASKED);
		if (io->ops.refused)
			io->ops.refused(io->ops.ctx, pin, rte, why);
		return;
	}
	hw_write(io, pin, vioapic_hw_rte(rte, &d, io->remapped, io->irte_first + pin));
}

/* ---- the guest's accesses ---- */

void vioapic_init(struct vioapic *io, u8 id, const struct vioapic_ops *ops)
{
	u32 ver = ops->read(ops->ctx, IOAPIC_REG_VER);

	*io = (struct vioapic){ .id = id, .version = (u8)ver, .ops = *ops };
	io->npins = IOAPIC_VER_MRE(ver);
	if (io->npins > VIOAPIC_MAX_PINS)
		io->npins = VIOAPIC_MAX_PINS;
	for (unsigned pin = 0; pin < io->npins; pin++) {
		u64 lo = ops->read(ops->ctx, redtbl(pin));
		u64 hi = ops->read(ops->ctx, redtbl(pin) + 1);

		io->hw[pin] = (hi << 32 | lo) & ~RTE_RO_BITS;
		io->rte[pin] = io->hw[pin];
	}
}

/* The pin an indirect register belongs to, or -1. */
static int reg_pin(const struct vioapic *io, u8 reg)
{
	if (reg < IOAPIC_REG_REDTBL || (unsigned)(reg - IOAPIC_REG_REDTBL) / 2 >= io->npins)
		return -1;
	return (reg - IOAPIC_REG_REDTBL) / 2;
}

static u32 win_read(struct vioapic *io)
{
	u8 reg = io->ioregsel;
	int pin = reg_pin(io, reg);
	u64 rte;

	if (pin < 0)	/* ID, version, arbitration: the hardware's */
		return io->ops.read(io->ops.ctx, reg);
	rte = io->rte[pin];
	if (reg & 1)
		return (u32)(rte >> 32);
	/* the live status bits of the hardware entry; a refused entry reads masked */
	return (u32)rte | (io->ops.read(io->ops.ctx, reg) & (u32)RTE_RO_BITS) |
	       (is_refused(io, (unsigned)pin) ? (u32)RTE_MASKED : 0);
}

static void win_write(struct vioapic *io, u32 val)
{
	u8 reg = io->ioregsel;
	int pin = reg_pin(io, reg);
	u64 *rte;

	/* ID (the DMAR names the IOAPIC by the id firmware gave it), version, arbitration and
	 * the registers beyond the table: not the guest's to change */
	if (pin < 0)
		return;
	rte = &io->rte[pin];
	if (reg & 1)
		*rte = (*rte & 0xffffffffull) | (u64)val << 32;
	else
		*rte = (*rte & ~0xffffffffull) | (val & ~(u32)RTE_RO_BITS);
	apply(io, (unsigned)pin);
}

u32 vioapic_mmio_read(struct vioapic *io, unsigned off, unsigned size)
{
	io->accesses++;
	if (off == IOAPIC_IOREGSEL)
		return io->ioregsel;
	if (off == IOAPIC_IOWIN && size == 4)
		return win_read(io);
	return 0;	/* the EOI register and the rest of the page read 0 */
}

void vioapic_mmio_write(struct vioapic *io, unsigned off, unsigned size, u32 val)
{
	io->accesses++;
	if (off == IOAPIC_IOREGSEL)
		io->ioregsel = (u8)val;
	else if (off == IOAPIC_IOWIN && size == 4)
		win_write(io, val);
	else if (off == IOAPIC_EOI && io->version >= IOAPIC_VER_EOI && io->ops.eoi)
		/* the vector is the guest's in either format (a remapped entry keeps it) */
		io->ops.eoi(io->ops.ctx, val & 0xff);
}
