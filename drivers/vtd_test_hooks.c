/* Test variant only (include/uhv/test_hooks.h): the firmware-like VT-d state of test 47 and a
 * NIC DMA in the middle of uhv's takeover. vtd-test-fw-te on the command line makes
 * test_hook_vtd_firmware_te turn translation on before uhv's VT-d setup, as a pre-boot DMA
 * protection would leave it (an empty root table: every DMA blocked; its invalidation queue
 * on), and test_hook_vtd_takeover_window, called once uhv has probed (and taken over) every
 * unit but not yet enabled them, makes the e1000 fetch a TX descriptor from a page of uhv's
 * memory by its host-physical address: the descriptor written back means that DMA reached
 * uhv's memory during the takeover; untouched (and a fault recorded) means it was blocked. */
#define LOG_MODULE "vtd"
#include <uhv/vtd.h>
#include <uhv/dmar.h>
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/mmio.h>
#include <uhv/options.h>
#include <uhv/pci.h>
#include <uhv/test_hooks.h>
#include <uhv/timer.h>
#include "e1000_regs.h"

struct fw_unit { volatile u8 *regs; paddr_t base; };

static u32 r32(struct fw_unit *u, unsigned off) { return mmio_read32(u->regs + off); }
static void w32(struct fw_unit *u, unsigned off, u32 v) { mmio_write32(u->regs + off, v); }
static void w64(struct fw_unit *u, unsigned off, u64 v)
{
	w32(u, off, (u32)v);
	w32(u, off + 4, (u32)(v >> 32));
}

static bool spin_until(struct fw_unit *u, unsigned off, u32 mask, u32 want)
{
	for (int i = 0; i < 1000000; i++)
		if ((r32(u, off) & mask) == want)
			return true;
	pr_err("test hook: firmware-like state: unit @%#llx: register %#x stuck at %#x\n", u->base,
	       off, r32(u, off));
	return false;
}

static int fw_unit_on(void *ctx, const struct dmar_drhd *d)
{
	struct fw_unit u = { mmio_map(d->base, PAGE_SIZE), d->base };
	paddr_t root = kmem_alloc_page(), iq = kmem_alloc_page();
	if (!u.regs || !root || !iq)
		return -ENOMEM;
	u64 ecap = (u64)r32(&u, VTD_ECAP) | (u64)r32(&u, VTD_ECAP + 4) << 32;
	w64(&u, VTD_RTADDR, root);
	w32(&u, VTD_GCMD, VTD_GCMD_SRTP);
	if (!spin_until(&u, VTD_GSTS, VTD_GSTS_RTPS, VTD_GSTS_RTPS))
		return -ETIMEDOUT;
	w64(&u, VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_CIRG_GLOBAL);
	if (!spin_until(&u, VTD_CCMD + 4, BIT(31), 0))
		return -ETIMEDOUT;
	w64(&u, vtd_ecap_iro(ecap) + VTD_IOTLB, VTD_IOTLB_IVT | VTD_IOTLB_IIRG_GLOBAL);
	if (!spin_until(&u, vtd_ecap_iro(ecap) + VTD_IOTLB + 4, BIT(31), 0))
		return -ETIMEDOUT;
	u32 cmd = VTD_GCMD_TE;
	w32(&u, VTD_GCMD, cmd);
	if (!spin_until(&u, VTD_GSTS, VTD_GSTS_TES, VTD_GSTS_TES))
		return -ETIMEDOUT;
	if (vtd_ecap_qi(ecap)) {
		w64(&u, VTD_IQT, 0);
		w64(&u, VTD_IQA, iq);
		w32(&u, VTD_GCMD, cmd | VTD_GCMD_QIE);
		if (!spin_until(&u, VTD_GSTS, VTD_GSTS_QIES, VTD_GSTS_QIES))
			return -ETIMEDOUT;
		/* used once, as firmware would have: one wait descriptor (QEMU lets a queue be
		 * stopped only after a wait descriptor) */
		volatile struct vtd_entry128 *q = phys_to_virt(iq);
		volatile u32 *status = phys_to_virt(iq + PAGE_SIZE / 2);
		struct vtd_entry128 w = vtd_qi_wait(iq + PAGE_SIZE / 2, 1);
		q[0].lo = w.lo;
		q[0].hi = w.hi;
		w64(&u, VTD_IQT, 1 << VTD_IQT_SHIFT);
		for (int i = 0; i < 1000000 && *status != 1; i++)
			;
	}
	pr_info("test hook: firmware-like VT-d state: unit @%#llx translating (GSTS %#x) with an "
		"empty root table at %#llx%s\n", d->base, r32(&u, VTD_GSTS), root,
		vtd_ecap_qi(ecap) ? ", invalidation queue on" : "");
	return 0;
}

void test_hook_vtd_firmware_te(const struct uhv_options *o, const void *dmar, size_t len)
{
	struct dmar_table t;
	if (!o->vtd_test_fw_te || !dmar || dmar_parse(dmar, len, &t))
		return;
	struct dmar_visitor v = { .drhd = fw_unit_on };
	if (dmar_walk(&t, &v))
		pr_err("test hook: could not set up the firmware-like VT-d state\n");
}

static bool desc_written(void *ctx)
{
	volatile struct e1000_tx_desc *d = ctx;
	return d->status & E1000_TXD_STAT_DD;
}

void test_hook_vtd_takeover_window(const struct uhv_options *o, const struct pci *pci,
				   const struct pci_cfg_ops *cfg)
{
	if (!o || !o->vtd_test_fw_te || !pci)
		return;
	const struct pci_dev *n = pci_find_id(pci, E1000_VENDOR_INTEL, E1000_DEV_82540EM, 0);
	paddr_t ring = kmem_alloc_page(), buf = kmem_alloc_page();
	volatile u8 *bar = n && n->bar[0].type != PCI_BAR_IO ? mmio_map(n->bar[0].base, 0x20000)
							     : NULL;
	if (!bar || !ring || !buf) {
		pr_err("test hook: takeover window: needs an e1000 (82540EM) with a memory BAR\n");
		return;
	}
	volatile struct e1000_tx_desc *d = phys_to_virt(ring);
	d->addr = buf;
	d->length = 60;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;
	d->status = 0;
	pci_write_command(cfg, n, (u16)(n->command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	mmio_write32(bar + E1000_TDBAL, (u32)ring);
	mmio_write32(bar + E1000_TDBAH, (u32)(ring >> 32));
	mmio_write32(bar + E1000_TDLEN, 128);
	mmio_write32(bar + E1000_TDH, 0);
	mmio_write32(bar + E1000_TDT, 0);
	mmio_write32(bar + E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	mmio_write32(bar + E1000_TDT, 1);
	bool reached = wait_until(desc_written, (void *)d, 100000) == 0;
	mmio_write32(bar + E1000_TCTL, 0);
	pci_write_command(cfg, n, n->command);
	pr_info("test hook: NIC %02x:%02x.%x DMA during the VT-d takeover (TX descriptor at %#llx "
		"in uhv's memory): %s\n", n->bus, n->dev, n->fn, ring,
		reached ? "REACHED uhv's memory (descriptor written back)"
			: "blocked (descriptor untouched)");
	vtd_poll_faults();
}

/* vtd-test-ir-preenable: interrupt remapping on as firmware (or a kexec'd-from kernel) might
 * leave it, with its table in a page uhv does not own afterwards: entries 1 and 2 present,
 * delivering vector FW_IR_VECTOR to APIC ID 0 from any source, compatibility format allowed.
 * uhv must replace the table (test 49: its self-test's remapped MSI then arrives at uhv's
 * vector, not this one) and turn CFI off. */
#define FW_IR_VECTOR	0x5a

static int fw_ir_on(void *ctx, const struct dmar_drhd *d)
{
	struct fw_unit u = { mmio_map(d->base, PAGE_SIZE), d->base };
	paddr_t table = kmem_alloc_page();
	if (!u.regs || !table)
		return -ENOMEM;
	u64 ecap = (u64)r32(&u, VTD_ECAP) | (u64)r32(&u, VTD_ECAP + 4) << 32;
	if (!vtd_ecap_ir(ecap))
		return 0;
	volatile struct vtd_entry128 *irt = phys_to_virt(table);
	for (unsigned i = 1; i <= 2; i++) {
		irt[i].hi = 0;				/* SVT 0: any source */
		irt[i].lo = BIT(0) | (u64)FW_IR_VECTOR << 16;	/* present, fixed, APIC ID 0 */
	}
	w64(&u, VTD_IRTA, table | 7);			/* 256 entries, xAPIC */
	u32 keep = r32(&u, VTD_GSTS) & VTD_GCMD_STATE_MASK;
	w32(&u, VTD_GCMD, keep | VTD_GCMD_SIRTP);
	if (!spin_until(&u, VTD_GSTS, VTD_GSTS_IRTPS, VTD_GSTS_IRTPS))
		return -ETIMEDOUT;
	w32(&u, VTD_GCMD, keep | VTD_GCMD_IRE);
	if (!spin_until(&u, VTD_GSTS, VTD_GSTS_IRES, VTD_GSTS_IRES))
		return -ETIMEDOUT;
	/* QEMU 7.2 implements no CFI: GSTS.CFIS then stays clear */
	w32(&u, VTD_GCMD, keep | VTD_GCMD_IRE | VTD_GCMD_CFI);
	bool cfis = false;
	for (int i = 0; i < 100000 && !cfis; i++)
		cfis = r32(&u, VTD_GSTS) & VTD_GSTS_CFIS;
	pr_info("test hook: firmware-like interrupt remapping: unit @%#llx remapping (GSTS %#x) "
		"with a throwaway table at %#llx: entries 1-2 deliver vector %#x, %s\n", d->base,
		r32(&u, VTD_GSTS), table, FW_IR_VECTOR, cfis ? "compatibility format allowed"
		: "compatibility format allowed if the unit had CFI (GSTS.CFIS stayed clear)");
	return 0;
}

void test_hook_vtd_firmware_ir(const struct uhv_options *o, const void *dmar, size_t len)
{
	struct dmar_table t;
	if (!o->vtd_test_ir_preenable || !dmar || dmar_parse(dmar, len, &t))
		return;
	struct dmar_visitor v = { .drhd = fw_ir_on };
	if (dmar_walk(&t, &v))
		pr_err("test hook: could not set up the firmware-like interrupt remapping\n");
}
