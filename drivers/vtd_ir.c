/* VT-d interrupt remapping, the hardware side (issue 16 item 1; docs/vtd.md "Interrupt
 * remapping", docs/interrupts.md): on every unit with ECAP.IR uhv puts its own
 * interrupt-remapping table (IRT, in uhv's pool, never in guest RAM) in with SIRTP, invalidates
 * the interrupt-entry cache (IEC), blocks compatibility-format interrupts (CFI clear) and turns
 * IRE on. From then on an interrupt message from a device reaches a CPU only through a present
 * IRTE whose source id matches the device: a DMA write to 0xFEEx_xxxx in compatibility format, or
 * naming an index uhv did not fill for that device, is blocked and recorded as an IR fault
 * (reasons 0x20-0x27, decoded by vtd_fault.c, printed by vtd_fault_poll.c).
 *
 * IR needs queued invalidation: the IEC has no register interface, only the IEC descriptor
 * (VT-d spec 6.5.2.7), and the spec requires ECAP.QI of every unit reporting ECAP.IR. With
 * vtd-inval=reg (no queue), or a unit breaking that rule, uhv refuses IR on the unit, says so,
 * and turns off an IR that firmware left on (its table may lie in the guest's RAM).
 *
 * Firmware left IRE on: IRE stays on; CFI is cleared first, then uhv's table goes in with
 * SIRTP and the IEC is invalidated globally: interrupts are remapped throughout, by firmware's
 * cached entries at most until the invalidation completes (measured, reported).
 *
 * The API for MSI/MSI-X passthrough is <uhv/irq_remap.h>; the formats are in vtd_ir_format.c. */
#define LOG_MODULE "vtd"
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/lapic.h>
#include <uhv/log.h>
#include <uhv/cpu.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include <uhv/format.h>
#include <uhv/dmar.h>
#include "vtd_priv.h"
#include "vtd_ir.h"

#define IRT_BYTES	(VTD_IRT_ENTRIES * sizeof(struct vtd_entry128))
_Static_assert(VTD_IRT_ENTRIES == VTD_IR_TABLE_ENTRIES, "vtd_ir.h and vtd_priv.h disagree");

/* ---- table writes ---------------------------------------------------------------------------- */

static void irte_sync(struct vtd_unit *u, unsigned index)
{
	/* units that do not snoop read the IRTE from memory */
	if (!vtd_ecap_c(u->ecap))
		clflush((void *)&u->irt[index]);
	mfence();
}

static int iec_flush_index(struct vtd_unit *u, unsigned index)
{
	struct vtd_entry128 d = vtd_qi_iec_index(index, 0);
	return vtd_qi_submit(u, &d, 1);
}

/* Install e at index. A present entry is changed with one 64-bit store of the low half when the
 * high half (the source check) stays, so the unit never reads a torn entry; otherwise the entry
 * is made not present first. Caller holds nothing; the IEC is invalidated before return. */
static int irte_write(struct vtd_unit *u, unsigned index, struct vtd_entry128 e)
{
	volatile struct vtd_entry128 *p = &u->irt[index];
	if ((p->lo & VTD_IRTE_P) && p->hi != e.hi) {
		p->lo = 0;
		irte_sync(u, index);
		int err = iec_flush_index(u, index);
		if (err)
			return err;
	}
	p->hi = e.hi;
	irte_sync(u, index);
	p->lo = e.lo;			/* P last */
	irte_sync(u, index);
	return iec_flush_index(u, index);
}

/* ---- the API (include/uhv/irq_remap.h) ------------------------------------------------------- */

static struct vtd_unit *ir_unit(u16 seg, u8 bus, u8 devfn)
{
	struct dmar_drhd d;
	if (!vtd.units || dmar_find_unit(&vtd.dmar, seg, bus, devfn, &vtd.pci, &d))
		return NULL;
	struct vtd_unit *u = &vtd.units[d.index];
	return u->ir ? u : NULL;
}

static bool used(const struct vtd_unit *u, unsigned i)
{
	return u->ir_used[i / 64] & BIT(i % 64);
}

static void set_used(struct vtd_unit *u, unsigned i, bool on)
{
	if (on)
		u->ir_used[i / 64] |= BIT(i % 64);
	else
		u->ir_used[i / 64] &= ~BIT(i % 64);
}

bool irq_remap_active(u16 seg, u8 bus, u8 devfn)
{
	return ir_unit(seg, bus, devfn) != NULL;
}

static int alloc_on(struct vtd_unit *u, unsigned count, unsigned *first, const char *who);
static int set_cfi(struct vtd_unit *u);

int irq_remap_alloc(u16 seg, u8 bus, u8 devfn, unsigned count, unsigned *first)
{
	struct vtd_unit *u = ir_unit(seg, bus, devfn);
	char who[16];
	if (!u)
		return -ENODEV;
	ksnprintf(who, sizeof(who), "%02x:%02x.%x", bus, devfn >> 3, devfn & 7);
	return alloc_on(u, count, first, who);
}

static int alloc_on(struct vtd_unit *u, unsigned count, unsigned *first, const char *who)
{
	if (!count || count > IRQ_REMAP_MAX_BLOCK)
		return -EINVAL;
	spin_lock(&u->qi_lock);
	/* index 0 stays unused: a message with handle 0 is always a fault */
	unsigned run = 0;
	for (unsigned i = 1; i < VTD_IRT_ENTRIES; i++) {
		run = used(u, i) ? 0 : run + 1;
		if (run == count) {
			*first = i + 1 - count;
			for (unsigned j = *first; j <= i; j++)
				set_used(u, j, true);
			spin_unlock(&u->qi_lock);
			return 0;
		}
	}
	spin_unlock(&u->qi_lock);
	pr_warn("%s: interrupt-remapping table full: no %u free entries for %s\n", u->name,
		count, who);
	return -ENOSPC;
}

void irq_remap_free(u16 seg, u8 bus, u8 devfn, unsigned first, unsigned count)
{
	struct vtd_unit *u = ir_unit(seg, bus, devfn);
	if (!u)
		return;
	for (unsigned i = first; i < first + count && i < VTD_IRT_ENTRIES; i++) {
		if (!used(u, i))
			continue;
		irq_remap_mask(seg, bus, devfn, i);
		spin_lock(&u->qi_lock);
		set_used(u, i, false);
		spin_unlock(&u->qi_lock);
	}
}

int irq_remap_set(u16 seg, u8 bus, u8 devfn, unsigned index, const struct irq_remap_dest *d)
{
	struct vtd_unit *u = ir_unit(seg, bus, devfn);
	if (!u)
		return -ENODEV;
	if (index >= VTD_IRT_ENTRIES || !used(u, index) || vtd_irte_check(d, u->eim))
		return -EINVAL;
	/* the id the unit sees: behind a bridge to conventional PCI, the bridge's alias */
	u16 sid = vtd_dma_requester(seg, bus, devfn);
	return irte_write(u, index, vtd_irte(d, sid, u->eim));
}

/* ---- IOAPIC sources: the unit and source id from the DRHD scope of type IOAPIC ---- */

static struct vtd_unit *ioapic_unit(u8 id, u16 *sid)
{
	struct dmar_drhd d;
	if (!vtd.units || dmar_find_ioapic(&vtd.dmar, id, &vtd.pci, &d, sid))
		return NULL;
	struct vtd_unit *u = &vtd.units[d.index];
	return u->ir ? u : NULL;
}

int irq_remap_ioapic(u8 ioapic_id, u16 *sid)
{
	return ioapic_unit(ioapic_id, sid) ? 0 : -ENODEV;
}

int irq_remap_ioapic_alloc(u8 ioapic_id, unsigned count, unsigned *first)
{
	u16 sid;
	struct vtd_unit *u = ioapic_unit(ioapic_id, &sid);
	char who[24];
	if (!u)
		return -ENODEV;
	ksnprintf(who, sizeof(who), "IOAPIC id %u", ioapic_id);
	return alloc_on(u, count, first, who);
}

int irq_remap_ioapic_set(u8 ioapic_id, unsigned index, const struct irq_remap_dest *d)
{
	u16 sid;
	struct vtd_unit *u = ioapic_unit(ioapic_id, &sid);
	if (!u)
		return -ENODEV;
	if (index >= VTD_IRT_ENTRIES || !used(u, index) || vtd_irte_check(d, u->eim))
		return -EINVAL;
	return irte_write(u, index, vtd_irte(d, sid, u->eim));
}

bool irq_remap_compat_blocked(void)
{
	for (unsigned i = 0; vtd.units && i < vtd.nr_units; i++)
		if (vtd.units[i].ir && !(rd32(&vtd.units[i], VTD_GSTS) & VTD_GSTS_CFIS))
			return true;
	return false;
}

void irq_remap_compat_allow(const char *why)
{
	if (!irq_remap_compat_blocked())
		return;
	pr_warn("compatibility-format interrupts ALLOWED on every remapping unit (as "
		"vtd-ir-compat=allow): %s; blocking them would cut the guest off from those "
		"interrupts, allowing them lets any device's DMA to 0xfeexxxxx send any interrupt\n",
		why);
	vtd.ir_compat = true;
	for (unsigned i = 0; i < vtd.nr_units; i++)
		if (vtd.units[i].ir)
			set_cfi(&vtd.units[i]);
}

int irq_remap_mask(u16 seg, u8 bus, u8 devfn, unsigned index)
{
	struct vtd_unit *u = ir_unit(seg, bus, devfn);
	if (!u)
		return -ENODEV;
	if (index >= VTD_IRT_ENTRIES || !used(u, index))
		return -EINVAL;
	u->irt[index].lo = 0;
	irte_sync(u, index);
	return iec_flush_index(u, index);
}

/* ---- enabling -------------------------------------------------------------------------------- */

/* SIRTP with the state bits as they are (IRE stays as it is), then the global IEC invalidation
 * the spec requires after every SIRTP (VT-d spec 11.4.4.1). */
static int set_ir_table(struct vtd_unit *u)
{
	wr64(u, VTD_IRTA, vtd_irta(u->irt_pa, VTD_IRT_LOG2, u->eim));
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	wr32(u, VTD_GCMD, sts | VTD_GCMD_SIRTP);
	int err = vtd_wait_reg(u, VTD_GSTS, false, VTD_GSTS_IRTPS, VTD_GSTS_IRTPS,
			       "interrupt remapping table pointer");
	if (err)
		return err;
	struct vtd_entry128 d = vtd_qi_iec_global();
	return vtd_qi_submit(u, &d, 1);
}

static int alloc_table(struct vtd_unit *u)
{
	u->irt_pa = kmem_alloc_for(KMEM_VTD, IRT_BYTES / PAGE_SIZE, PAGE_SIZE);
	if (!u->irt_pa)
		return -ENOMEM;
	u->irt = phys_to_virt(u->irt_pa);
	memset((void *)u->irt, 0, IRT_BYTES);
	if (!vtd_ecap_c(u->ecap))
		for (size_t off = 0; off < IRT_BYTES; off += 64)
			clflush((u8 *)u->irt + off);
	mfence();
	memset(u->ir_used, 0, sizeof(u->ir_used));
	return 0;
}

/* GSTS.CFIS as vtd-ir-compat= wants it (default clear: compatibility format blocked). A unit
 * that ignores the command (QEMU 7.2 implements no CFI) is said once and left so. */
static int set_cfi(struct vtd_unit *u)
{
	bool is = rd32(u, VTD_GSTS) & VTD_GSTS_CFIS;
	if (is == vtd.ir_compat)
		return 0;
	u32 sts = rd32(u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	if (!vtd.ir_compat) {
		wr32(u, VTD_GCMD, sts & ~VTD_GCMD_CFI);
		return vtd_wait_reg(u, VTD_GSTS, false, VTD_GSTS_CFIS, 0,
				    "compatibility-format interrupts off");
	}
	wr32(u, VTD_GCMD, sts | VTD_GCMD_CFI);
	for (unsigned i = 0; i < 1000 && !(rd32(u, VTD_GSTS) & VTD_GSTS_CFIS); i++)
		udelay(10);
	if (!(rd32(u, VTD_GSTS) & VTD_GSTS_CFIS))
		pr_warn("%s: the unit does not take CFI (GSTS.CFIS stays clear): "
			"vtd-ir-compat=allow has no effect here\n", u->name);
	return 0;
}

/* Firmware left IRE on: CFI off first (compatibility-format interrupts blocked from here),
 * then uhv's table with IRE kept on. Firmware's cached IRTEs are usable from the SIRTP until
 * the global IEC invalidation completes: that window is measured and reported. */
static int take_over_ir(struct vtd_unit *u)
{
	u64 khz = tsc_khz() ? tsc_khz() : 1;
	paddr_t old = rd64(u, VTD_IRTA) & VTD_ENTRY_ADDR_MASK;
	pr_warn("%s: firmware left interrupt remapping enabled (table %#llx%s); taking over "
		"without turning it off\n", u->name, old,
		(rd32(u, VTD_GSTS) & VTD_GSTS_CFIS) ? ", compatibility format allowed" : "");
	u64 t0 = rdtsc();
	int err = 0;
	err = set_cfi(u);
	u64 t1 = rdtsc();
	if (!err)
		err = set_ir_table(u);
	u64 t2 = rdtsc();
	if (err) {
		pr_err("%s: taking over interrupt remapping failed (%s)\n", u->name, errno_name(err));
		return err;
	}
	pr_info("%s: took over interrupt remapping: remapping stayed on, new table and global "
		"interrupt-entry-cache invalidation; firmware's cached entries usable for at most "
		"%llu TSC ticks (%llu us), the whole takeover %llu ticks\n", u->name, t2 - t1,
		(t2 - t1) * 1000 / khz, t2 - t0);
	return 0;
}

static int fresh_ir(struct vtd_unit *u)
{
	int err = set_ir_table(u);
	if (!err)
		err = set_cfi(u);
	if (!err)
		err = vtd_gcmd(u, VTD_GCMD_IRE, true, "interrupt remapping enable");
	return err;
}

/* No queue: IR is refused (see the top of this file); firmware's IR goes off, loudly. */
static void refuse_ir(struct vtd_unit *u, bool fw_on)
{
	pr_warn("%s: interrupt remapping NOT used: it needs queued invalidation (the "
		"interrupt-entry cache has no register interface), and %s; devices can send any "
		"interrupt to any CPU\n", u->name,
		vtd_ecap_qi(u->ecap) ? "vtd-inval=reg turned the queue off"
				     : "this unit has none (ECAP.QI 0, against the VT-d spec)");
	if (fw_on && !vtd_gcmd(u, VTD_GCMD_IRE, false, "interrupt remapping disable"))
		pr_warn("%s: firmware's interrupt remapping turned off (its table may be in the "
			"guest's RAM)\n", u->name);
}

static void choose_eim(struct vtd_unit *u)
{
	bool x2apic = lapic_mode() == LAPIC_X2APIC;
	u->eim = x2apic && vtd_ecap_eim(u->ecap);
	if (x2apic && !u->eim)
		pr_warn("%s: CPUs in x2APIC mode but the unit has no extended interrupt mode "
			"(ECAP.EIM 0): interrupts can reach APIC IDs 0-255 only\n", u->name);
}

void vtd_ir_unit_enable(struct vtd_unit *u)
{
	if (!vtd_ecap_ir(u->ecap))
		return;
	bool fw_on = rd32(u, VTD_GSTS) & VTD_GSTS_IRES;
	if (!u->qi) {
		refuse_ir(u, fw_on);
		return;
	}
	choose_eim(u);
	int err = alloc_table(u);
	if (!err)
		err = fw_on ? take_over_ir(u) : fresh_ir(u);
	if (err) {
		pr_err("%s: interrupt remapping NOT enabled (%s); devices' interrupt messages are "
		       "%s\n", u->name, errno_name(err),
		       (rd32(u, VTD_GSTS) & VTD_GSTS_IRES) ? "remapped by whatever table the unit "
		       "has" : "not checked");
		return;
	}
	u->ir = true;
	u32 gsts = rd32(u, VTD_GSTS);
	pr_info("%s: interrupt remapping enabled (%u-entry table at %#llx in uhv's memory, %s "
		"destinations, compatibility-format interrupts %s, GSTS %#x)\n", u->name,
		VTD_IRT_ENTRIES, u->irt_pa, u->eim ? "32-bit x2APIC (EIM)" : "8-bit xAPIC",
		(gsts & VTD_GSTS_CFIS) ? "ALLOWED (vtd-ir-compat=allow)" : "blocked", gsts);
}

/* ---- for the self-test (vtd_ir_selftest.c) --------------------------------------------------- */

u32 vtd_ir_gsts(u16 seg, u8 bus, u8 devfn)
{
	struct vtd_unit *u = ir_unit(seg, bus, devfn);
	return u ? rd32(u, VTD_GSTS) : 0;
}
