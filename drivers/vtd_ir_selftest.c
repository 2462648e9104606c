/* vtd-selftest, the interrupt-remapping part (issue 16 item 4), run by vtd_selftest() after the
 * DMA steps with the same NIC, when it has an MSI capability (QEMU's e1000e) and its unit
 * remaps interrupts:
 *   5. an IRTE (vector VEC_REMAP to this CPU, only the NIC's requester id) and the NIC's MSI set
 *      to the remappable message for it: an interrupt cause set in the NIC must arrive at
 *      VEC_REMAP on this CPU (its local APIC requests it; uhv's IDT handler, in a window with
 *      the PIC masked, counts it). The IRTE masked (not present): the next one must not arrive;
 *   6. the MSI in compatibility format (0xFEE00000, vector VEC_COMPAT): blocked by a unit that
 *      honours CFI (GSTS.CFIS clear) with fault 0x25; one that delivers it is named;
 *   7. the MSI with a bad handle (an allocated index not present, an index beyond the table):
 *      nothing may arrive; a fault of reason 0x22 / 0x21 is checked when the unit records one;
 *   8. the NIC writing a received frame by DMA to 0xFEE00000 (dwords in compatibility format and
 *      in remappable format with bad handles: what a hostile device does): nothing may arrive
 *      at a vector uhv did not program, uhv keeps running. Last, and with interrupts off from
 *      here on: a unit that lets compatibility format through turns frame bytes into NMIs,
 *      SIPIs, ExtINT and illegal vectors, which must stay pending, never reach the IDT.
 * Detection uses the local APIC's IRR and, for IR faults, the fault records; never NIC status.
 * Lines read "uhv vtd-selftest: ok: ..." or "... ERROR: FAIL: ..." like the DMA steps'
 * (test/system/48-vtd-ir-selftest.sh greps them). */
#define LOG_MODULE "vtd-selftest"
#include <uhv/vtd.h>
#include <uhv/irq_remap.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/io.h>
#include <uhv/lapic.h>
#include <uhv/log.h>
#include <uhv/percpu.h>
#include <uhv/timer.h>
#include <uhv/trap.h>
#include "vtd_ir.h"
#include "vtd_selftest.h"

#define VEC_REMAP	0xa5	/* what the IRTE delivers */
#define VEC_COMPAT	0xa6	/* what the compatibility-format message asks for */
#define IRQ_WAIT_US	200000
#define IDX_BEYOND	0x7fff	/* beyond uhv's table (VTD_IR_TABLE_ENTRIES) */

/* local APIC registers the test touches (SDM Vol. 3A table 11-1) */
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_SVR_ENABLE	BIT(8)
#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1

/* MSI capability (PCI spec 6.8.1) */
#define MSI_MC_ENABLE	BIT(0)
#define MSI_MC_64BIT	BIT(7)

struct apic { volatile u8 *regs; bool x2; u32 id; };
static struct apic apic;
static volatile u32 hits[256];
static volatile u32 hit_apic_id;

static u32 apic_rd(unsigned off)
{
	return apic.x2 ? (u32)rdmsr(LAPIC_X2APIC_MSR(off)) : mmio_read32(apic.regs + off);
}

static void apic_wr(unsigned off, u32 v)
{
	if (apic.x2)
		wrmsr(LAPIC_X2APIC_MSR(off), v);
	else
		mmio_write32(apic.regs + off, v);
}

static bool irr_has(unsigned vec)
{
	return apic_rd(LAPIC_IRR + (vec / 32) * 0x10) & BIT(vec % 32);
}

static bool irr_any(void)
{
	for (unsigned i = 1; i < LAPIC_IRR_REGS; i++)	/* vectors 32-255 */
		if (apic_rd(LAPIC_IRR + i * 0x10))
			return true;
	return false;
}

static bool count_irq(unsigned vector)
{
	hits[vector]++;
	hit_apic_id = apic.x2 ? apic_rd(LAPIC_ID) : apic_rd(LAPIC_ID) >> 24;
	apic_wr(APIC_EOI, 0);
	return true;
}

static int apic_setup(void)
{
	u64 base = rdmsr(0x1b);	/* IA32_APIC_BASE */
	apic.x2 = base & APIC_BASE_EXTD;
	if (!(base & APIC_BASE_EN))
		return -ENODEV;
	if (!apic.x2) {
		apic.regs = mmio_map(base & APIC_BASE_ADDR, PAGE_SIZE);
		if (!apic.regs)
			return -ENOMEM;
	}
	apic.id = apic.x2 ? apic_rd(LAPIC_ID) : apic_rd(LAPIC_ID) >> 24;
	/* software-enabled, spurious vector 0xff, accept every priority */
	apic_wr(APIC_SVR, apic_rd(APIC_SVR) | APIC_SVR_ENABLE | 0xff);
	apic_wr(APIC_TPR, 0);
	return 0;
}

/* Take whatever the local APIC requests through uhv's IDT: a few instructions with IF set and
 * the PIC masked (firmware left its timer on, at vectors that are exceptions here). */
static void take_interrupts(void)
{
	u8 m1 = inb(PIC1_DATA), m2 = inb(PIC2_DATA);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	trap_irq_hook = count_irq;
	asm volatile("sti; nop; nop; nop; cli" ::: "memory");
	trap_irq_hook = NULL;
	outb(PIC2_DATA, m2);
	outb(PIC1_DATA, m1);
}

struct irr_wait { unsigned vec; };
static bool irr_seen(void *ctx)
{
	return irr_has(((struct irr_wait *)ctx)->vec);
}

/* ---- the NIC's MSI ---------------------------------------------------------------------------- */

struct msi { const struct pci_cfg_ops *cfg; const struct pci_dev *d; u8 cap; bool is64; };

static void msi_program(struct msi *m, u64 addr, u32 data, bool enable)
{
	u32 w0 = pci_read32(m->cfg, m->d, m->cap);
	pci_write32(m->cfg, m->d, m->cap, w0 & ~((u32)MSI_MC_ENABLE << 16));
	pci_write32(m->cfg, m->d, m->cap + 4, (u32)addr);
	if (m->is64)
		pci_write32(m->cfg, m->d, m->cap + 8, (u32)(addr >> 32));
	pci_write32(m->cfg, m->d, m->cap + (m->is64 ? 12 : 8), data);
	if (enable)
		pci_write32(m->cfg, m->d, m->cap, w0 | ((u32)MSI_MC_ENABLE << 16));
}

/* A cause set in the NIC: one MSI (the cause cleared again after). Did vec arrive? */
static bool fire(struct nic *n, unsigned vec)
{
	struct irr_wait w = { vec };
	r32(n, E1000_ICR);
	w32(n, E1000_IMS, E1000_INT_TXDW);
	w32(n, E1000_ICS, E1000_INT_TXDW);
	bool seen = wait_until(irr_seen, &w, IRQ_WAIT_US) == 0;
	w32(n, E1000_IMC, E1000_INT_ALL);
	r32(n, E1000_ICR);
	return seen;
}

/* ---- the steps ---------------------------------------------------------------------------------- */

static int remapped_msi(struct nic *n, struct msi *m, unsigned idx)
{
	const struct pci_dev *d = n->dev;
	u8 devfn = (u8)(d->dev << 3 | d->fn);
	struct irq_remap_dest dest = { .vector = VEC_REMAP, .dest_apic_id = apic.id };
	int err = irq_remap_set(d->seg, d->bus, devfn, idx, &dest);
	if (err) {
		pr_err("FAIL: cannot write IRTE %u (%s)\n", idx, errno_name(err));
		return err;
	}
	u64 addr;
	u32 data;
	irq_remap_msi_msg(idx, &addr, &data);
	msi_program(m, addr, data, true);
	bool seen = fire(n, VEC_REMAP);
	u32 before = hits[VEC_REMAP];
	take_interrupts();
	if (!seen || hits[VEC_REMAP] != before + 1 || hit_apic_id != apic.id) {
		pr_err("FAIL: remapped MSI (IRTE %u, address %#llx data %#x): vector %#x %s, uhv's "
		       "handler counted %u, on APIC ID %u (want 1 on %u)\n", idx, addr, data,
		       VEC_REMAP, seen ? "requested" : "never requested", hits[VEC_REMAP] - before,
		       hit_apic_id, apic.id);
		return -EIO;
	}
	pr_info("ok: remapped MSI: NIC %02x:%02x.%x's MSI through IRTE %u (address %#llx data %#x) "
		"arrived at vector %#x on CPU %u (APIC ID %u), counted by uhv's IDT handler\n",
		d->bus, d->dev, d->fn, idx, addr, data, VEC_REMAP, this_cpu()->cpu, apic.id);
	err = irq_remap_mask(d->seg, d->bus, devfn, idx);
	if (!err && fire(n, VEC_REMAP)) {
		pr_err("FAIL: MSI through IRTE %u arrived after the entry was masked\n", idx);
		err = -EIO;
	}
	if (!err)
		pr_info("ok: IRTE %u masked (not present, interrupt-entry cache invalidated): the "
			"same MSI no longer arrives\n", idx);
	return err;
}

/* New IR faults since before: reason want at index idx, or none at all (units that record no
 * interrupt-remapping faults, QEMU before 9.0). -EIO for any other fault. */
static int ir_fault(u64 before, u8 want, int idx, const char *what)
{
	vtd_poll_faults();
	if (vtd_fault_count() == before) {
		pr_info("note: %s: the unit recorded no fault (QEMU 7.2 drops bad interrupt requests "
			"without a fault record)\n", what);
		return 0;
	}
	struct vtd_fault_seen f = { 0 };
	vtd_last_fault(&f);
	if (f.reason != want || (idx >= 0 && (f.addr >> 48) != (u64)idx)) {
		pr_err("FAIL: %s: expected an interrupt fault reason %#04x at index %d, latest "
		       "reason %#04x (%s) info %#llx\n", what, want, idx, f.reason,
		       vtd_fault_reason_text(f.reason), f.addr);
		return -EIO;
	}
	pr_info("ok: %s: reported as fault reason %#04x (%s), index %llu\n", what, want,
		vtd_fault_reason_text(want), f.addr >> 48);
	return 0;
}

static int compat_msi(struct nic *n, struct msi *m, bool cfis)
{
	u64 addr = MSI_ADDR_BASE | ((u64)apic.id << 12);
	u64 before = vtd_fault_count();
	msi_program(m, addr, VEC_COMPAT, true);
	bool seen = fire(n, VEC_COMPAT);
	if (seen)
		take_interrupts();
	if (!seen)
		return ir_fault(before, VTD_FR_IR_COMPAT, -1, "compatibility-format MSI blocked");
	if (cfis) {
		pr_err("FAIL: compatibility-format MSI arrived and GSTS.CFIS is set: uhv left "
		       "compatibility format allowed\n");
		return -EIO;
	}
	pr_warn("compatibility-format MSI (address %#llx data %#x) DELIVERED although GSTS.CFIS "
		"is clear: this unit does not block compatibility format (QEMU 7.2 does not "
		"implement CFI; the VT-d spec, 5.1.4, blocks it)\n", addr, VEC_COMPAT);
	return 0;
}

static int bad_handle_msi(struct nic *n, struct msi *m, unsigned idx)
{
	static const char *const what[2] = { "MSI with a handle whose IRTE is not present",
					     "MSI with a handle beyond the table" };
	const unsigned index[2] = { idx, IDX_BEYOND };
	const u8 reason[2] = { VTD_FR_IR_NOT_PRESENT, VTD_FR_IR_INDEX_OVER };
	for (unsigned i = 0; i < 2; i++) {
		u64 addr, before = vtd_fault_count();
		u32 data;
		irq_remap_msi_msg(index[i], &addr, &data);
		msi_program(m, addr, data, true);
		bool seen = fire(n, VEC_REMAP) || irr_any();
		if (seen) {
			pr_err("FAIL: %s (address %#llx): an interrupt arrived\n", what[i], addr);
			return -EIO;
		}
		pr_info("ok: %s (index %u, address %#llx): blocked, nothing arrived\n", what[i],
			index[i], addr);
		int err = ir_fault(before, reason[i], (int)index[i], what[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Step 8: the ARP reply written by DMA to 0xFEE00000. Interrupts stay off from here on. */
static int frame_to_interrupt_window(struct nic *n)
{
	u64 nmis = this_cpu()->nmis_ignored, before = vtd_fault_count();
	volatile struct e1000_rx_desc *rd = post_rx(n, MSI_ADDR_BASE);
	build_arp(n, n->txbuf);
	int err = send(n, IOVA_TX_BUF, true);
	if (err)
		return err;
	(void)wait_until(rx_done, (void *)rd, 3000000);
	udelay(10000);
	u64 nmi_got = this_cpu()->nmis_ignored - nmis;
	bool other = false;
	for (unsigned v = 32; v < 256; v++)
		if (v != 0xff && irr_has(v))
			other = true;
	vtd_poll_faults();
	pr_info("NIC DMA write of a %u-byte frame to %#x (dwords in compatibility and remappable "
		"format): %llu new fault record(s), %llu NMI(s) and %s pending at this CPU; uhv "
		"keeps running\n", rd->length, MSI_ADDR_BASE, vtd_fault_count() - before, nmi_got,
		other ? "interrupts" : "no interrupt");
	if (nmi_got || other)
		pr_warn("the frame's compatibility-format dwords reached the CPU as interrupt "
			"messages: this unit does not block compatibility format (QEMU 7.2; the VT-d "
			"spec blocks them with CFIS clear); its remappable dwords with bad handles "
			"were dropped\n");
	else
		pr_info("ok: DMA write to the interrupt window blocked: nothing reached the CPU\n");
	return 0;
}

int vtd_ir_selftest(struct nic *n, const struct pci_cfg_ops *cfg)
{
	const struct pci_dev *d = n->dev;
	u8 devfn = (u8)(d->dev << 3 | d->fn);
	if (!irq_remap_active(d->seg, d->bus, devfn)) {
		pr_info("interrupt remapping steps skipped: the unit covering the NIC does not remap "
			"interrupts (ECAP.IR 0, or IR refused: see the 'vtd:' lines)\n");
		return 0;
	}
	if (!d->cap_msi) {
		pr_info("interrupt remapping steps skipped: NIC %04x:%04x has no MSI capability "
			"(QEMU: use an e1000e)\n", d->vendor, d->device);
		return 0;
	}
	int err = apic_setup();
	unsigned idx = 0;
	if (!err)
		err = irq_remap_alloc(d->seg, d->bus, devfn, 2, &idx);
	if (err) {
		pr_err("FAIL: interrupt remapping setup (%s)\n", errno_name(err));
		return err;
	}
	u32 gsts = vtd_ir_gsts(d->seg, d->bus, devfn);
	struct msi m = { cfg, d, d->cap_msi, (pci_read32(cfg, d, d->cap_msi) >> 16) & MSI_MC_64BIT };
	pr_info("interrupt remapping: IRTEs %u-%u for NIC %02x:%02x.%x (requester id %02x:%02x.%x), "
		"this CPU's APIC ID %u, unit GSTS %#x (IRES %u CFIS %u)\n", idx, idx + 1, d->bus,
		d->dev, d->fn, n->sid >> 8, (n->sid >> 3) & 0x1f, n->sid & 7, apic.id, gsts,
		!!(gsts & VTD_GSTS_IRES), !!(gsts & VTD_GSTS_CFIS));
	err = remapped_msi(n, &m, idx);
	if (!err)
		err = compat_msi(n, &m, gsts & VTD_GSTS_CFIS);
	if (!err)
		err = bad_handle_msi(n, &m, idx + 1);
	msi_program(&m, 0, 0, false);
	if (!err)
		err = frame_to_interrupt_window(n);
	irq_remap_free(d->seg, d->bus, devfn, idx, 2);
	return err;
}
