/* vtd-selftest: prove that DMA really goes through uhv's tables, with an
 * e1000/e1000e (QEMU -device intel-iommu -device e1000,netdev=n0 and a user
 * netdev that answers ARP):
 *   1. a test domain maps IOVAs far from the host frames behind them;
 *   2. the NIC fetches TX descriptors and a frame (an ARP request) through it
 *      and writes the ARP reply into an RX buffer through it: the reply must
 *      land in the host frame behind the RX IOVA;
 *   3. a TX buffer at an unmapped IOVA must fault: read, the NIC's BDF, that page;
 *   4. an RX buffer at an IOVA equal to a page of uhv memory must fault (write)
 *      and that page must stay unchanged.
 * Faults are detected through the fault records, never through NIC status
 * (QEMU's e1000 sets DD even when its buffer read faulted). */
#define LOG_MODULE "vtd-selftest"
#include <uhv/vtd.h>
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/mmio.h>
#include <uhv/pci.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include "e1000_regs.h"

/* IOVAs: inside 39 bits, far above any RAM QEMU gives us, so IOVA != HPA */
#define IOVA_BASE	0x4000000000ULL		/* 256 GiB */
#define IOVA_TX_RING	(IOVA_BASE + 0x0000)
#define IOVA_RX_RING	(IOVA_BASE + 0x1000)
#define IOVA_TX_BUF	(IOVA_BASE + 0x2000)
#define IOVA_RX_BUF	(IOVA_BASE + 0x3000)
#define IOVA_UNMAPPED	(IOVA_BASE + 0x100000)
#define RING_LEN	256			/* bytes: 16 descriptors */
#define NDESC		(RING_LEN / 16)

struct nic {
	const struct pci_dev *dev;
	volatile u8 *bar;
	u16 sid;
	u8 mac[6];
	volatile struct e1000_tx_desc *tx;
	volatile struct e1000_rx_desc *rx;
	u8 *txbuf, *rxbuf;
	unsigned tx_tail, rx_next;
};

static u32 r32(struct nic *n, unsigned off) { return mmio_read32(n->bar + off); }
static void w32(struct nic *n, unsigned off, u32 v) { mmio_write32(n->bar + off, v); }

struct bitwait { struct nic *n; unsigned off; u32 mask, want; };
static bool bit_done(void *ctx)
{
	struct bitwait *w = ctx;
	return (r32(w->n, w->off) & w->mask) == w->want;
}

static bool tx_done(void *ctx)
{
	volatile struct e1000_tx_desc *d = ctx;
	return d->status & E1000_TXD_STAT_DD;
}

static bool rx_done(void *ctx)
{
	volatile struct e1000_rx_desc *d = ctx;
	return d->status & E1000_RXD_STAT_DD;
}

static void build_arp(struct nic *n, u8 *f)
{
	static const u8 ip_me[4] = { 10, 0, 2, 15 }, ip_gw[4] = { 10, 0, 2, 2 };
	memset(f, 0, 60);
	memset(f, 0xff, 6);				/* broadcast */
	memcpy(f + 6, n->mac, 6);
	f[12] = 0x08; f[13] = 0x06;			/* ARP */
	f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4;
	f[20] = 0; f[21] = 1;				/* request */
	memcpy(f + 22, n->mac, 6);
	memcpy(f + 28, ip_me, 4);
	memcpy(f + 38, ip_gw, 4);
}

/* Queue one frame whose buffer is at iova; wait for the NIC to take it. */
static int send(struct nic *n, u64 iova, u16 len)
{
	volatile struct e1000_tx_desc *d = &n->tx[n->tx_tail];
	d->addr = iova;
	d->length = len;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	d->status = 0;
	n->tx_tail = (n->tx_tail + 1) % NDESC;
	w32(n, E1000_TDT, n->tx_tail);
	if (wait_until(tx_done, (void *)d, 1000000)) {
		pr_err("TX descriptor not written back within 1 s (TDH %u TDT %u)\n",
		       r32(n, E1000_TDH), r32(n, E1000_TDT));
		return -ETIMEDOUT;
	}
	return 0;
}

/* Hand RX descriptor rx_next (buffer at iova) to the NIC. */
static volatile struct e1000_rx_desc *post_rx(struct nic *n, u64 iova)
{
	volatile struct e1000_rx_desc *d = &n->rx[n->rx_next];
	d->addr = iova;
	d->status = 0;
	n->rx_next = (n->rx_next + 1) % NDESC;
	w32(n, E1000_RDT, n->rx_next);
	return d;
}

static int nic_setup(struct nic *n)
{
	w32(n, E1000_IMC, E1000_INT_ALL);
	w32(n, E1000_CTRL, r32(n, E1000_CTRL) | E1000_CTRL_RST);
	udelay(1000);
	struct bitwait w = { n, E1000_CTRL, E1000_CTRL_RST, 0 };
	if (wait_until(bit_done, &w, 100000)) {
		pr_err("NIC reset did not complete\n");
		return -ETIMEDOUT;
	}
	w32(n, E1000_IMC, E1000_INT_ALL);
	w32(n, E1000_CTRL, r32(n, E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE);
	u32 ral = r32(n, E1000_RAL0), rah = r32(n, E1000_RAH0);
	if (!(rah & E1000_RAH_AV)) {
		/* Bochs empties RAL/RAH on reset: the MAC is in the EEPROM */
		for (unsigned i = 0; i < 3; i++) {
			w32(n, E1000_EERD, E1000_EERD_START | E1000_EERD_ADDR(i));
			struct bitwait e = { n, E1000_EERD, E1000_EERD_DONE, E1000_EERD_DONE };
			if (wait_until(bit_done, &e, 100000))
				return -ETIMEDOUT;
			u16 word = E1000_EERD_DATA(r32(n, E1000_EERD));
			n->mac[2 * i] = (u8)word;
			n->mac[2 * i + 1] = (u8)(word >> 8);
		}
		ral = n->mac[0] | n->mac[1] << 8 | n->mac[2] << 16 | (u32)n->mac[3] << 24;
		rah = n->mac[4] | n->mac[5] << 8 | E1000_RAH_AV;
		w32(n, E1000_RAL0, ral);
		w32(n, E1000_RAH0, rah);
	}
	for (unsigned i = 0; i < 4; i++)
		n->mac[i] = (u8)(ral >> (8 * i));
	n->mac[4] = (u8)rah;
	n->mac[5] = (u8)(rah >> 8);
	for (unsigned i = 0; i < 128; i++)
		w32(n, E1000_MTA + 4 * i, 0);

	w32(n, E1000_TDBAL, (u32)IOVA_TX_RING);
	w32(n, E1000_TDBAH, (u32)(IOVA_TX_RING >> 32));
	w32(n, E1000_TDLEN, RING_LEN);
	w32(n, E1000_TDH, 0);
	w32(n, E1000_TDT, 0);
	w32(n, E1000_TIPG, E1000_TIPG_DEFAULT);
	w32(n, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT(0x10) |
			   E1000_TCTL_COLD(0x40));
	w32(n, E1000_RDBAL, (u32)IOVA_RX_RING);
	w32(n, E1000_RDBAH, (u32)(IOVA_RX_RING >> 32));
	w32(n, E1000_RDLEN, RING_LEN);
	w32(n, E1000_RDH, 0);
	w32(n, E1000_RDT, 0);
	/* QEMU's e1000 refuses packets for 1 s after every RCTL write: write it once */
	w32(n, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC |
			   E1000_RCTL_BSIZE_2048);
	return 0;
}

static int expect_fault(struct nic *n, u64 addr, enum vtd_access acc, const char *what)
{
	struct vtd_fault_seen f;
	u64 before = vtd_fault_count();

	for (unsigned i = 0; i < 100 && vtd_fault_count() == before; i++) {
		vtd_poll_faults();
		udelay(1000);
	}
	if (vtd_fault_count() == before || vtd_last_fault(&f)) {
		pr_err("FAIL: %s: no fault recorded\n", what);
		return -EIO;
	}
	if (f.sid != n->sid || f.addr != (addr & ~(PAGE_SIZE - 1)) || f.access != acc ||
	    f.reason != (acc == VTD_ACCESS_READ ? 0x06 : 0x05)) {
		pr_err("FAIL: %s: fault sid %#x addr %#llx %s reason %#x; expected sid %#x addr "
		       "%#llx %s reason %#x\n", what, f.sid, (unsigned long long)f.addr,
		       vtd_access_name(f.access), f.reason, n->sid,
		       (unsigned long long)(addr & ~(PAGE_SIZE - 1)), vtd_access_name(acc),
		       acc == VTD_ACCESS_READ ? 0x06 : 0x05);
		return -EIO;
	}
	pr_info("ok: %s: fault recorded (%s of %#llx by %02x:%02x.%x, reason %#x)\n", what,
		vtd_access_name(f.access), (unsigned long long)f.addr, f.sid >> 8,
		(f.sid >> 3) & 0x1f, f.sid & 7, f.reason);
	return 0;
}

static const struct pci_dev *find_nic(const struct pci *pci)
{
	const struct pci_dev *d = pci_find_id(pci, E1000_VENDOR_INTEL, E1000_DEV_82540EM, 0);
	return d ? d : pci_find_id(pci, E1000_VENDOR_INTEL, E1000_DEV_82574L, 0);
}

int vtd_selftest(const struct pci *pci, const struct pci_cfg_ops *cfg)
{
	struct nic n = { 0 };
	struct vtd_domain dom;
	int err;

	if (!vtd_active()) {
		pr_err("FAIL: DMA remapping is not active (no DMAR, iommu=off, or init failed)\n");
		return -ENODEV;
	}
	n.dev = pci ? find_nic(pci) : NULL;
	if (!n.dev || n.dev->bar[0].type == PCI_BAR_NONE || n.dev->bar[0].type == PCI_BAR_IO) {
		pr_err("FAIL: needs an e1000 or e1000e (QEMU: -netdev user,id=n0 -device "
		       "e1000,netdev=n0)\n");
		return -ENODEV;
	}
	n.sid = (u16)(n.dev->bus << 8 | n.dev->dev << 3 | n.dev->fn);
	n.bar = mmio_map(n.dev->bar[0].base, 0x20000);
	paddr_t tx_ring = kmem_alloc_page(), rx_ring = kmem_alloc_page();
	paddr_t tx_buf = kmem_alloc_page(), rx_buf = kmem_alloc_page(), canary = kmem_alloc_page();
	if (!n.bar || !tx_ring || !rx_ring || !tx_buf || !rx_buf || !canary)
		return -ENOMEM;
	n.tx = phys_to_virt(tx_ring);
	n.rx = phys_to_virt(rx_ring);
	n.txbuf = phys_to_virt(tx_buf);
	n.rxbuf = phys_to_virt(rx_buf);
	u8 *cv = phys_to_virt(canary);
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		cv[i] = (u8)(0xa5 ^ i);

	err = vtd_domain_create(&dom, VTD_DOMAIN_MAY_MAP_HYPERVISOR);
	if (err)
		return err;
	const u64 rw = VTD_SL_R | VTD_SL_W;
	err = vtd_domain_map(&dom, IOVA_TX_RING, tx_ring, PAGE_SIZE, rw);
	if (!err) err = vtd_domain_map(&dom, IOVA_RX_RING, rx_ring, PAGE_SIZE, rw);
	if (!err) err = vtd_domain_map(&dom, IOVA_TX_BUF, tx_buf, PAGE_SIZE, VTD_SL_R);
	if (!err) err = vtd_domain_map(&dom, IOVA_RX_BUF, rx_buf, PAGE_SIZE, rw);
	if (!err) err = vtd_attach_device(&dom, n.dev->seg, n.dev->bus,
					  (u8)(n.dev->dev << 3 | n.dev->fn));
	if (err)
		return err;
	pr_info("test domain %u: NIC %02x:%02x.%x, IOVA %#llx.. -> host frames %#llx, %#llx, "
		"%#llx, %#llx\n", dom.did, n.dev->bus, n.dev->dev, n.dev->fn,
		(unsigned long long)IOVA_BASE, (unsigned long long)tx_ring,
		(unsigned long long)rx_ring, (unsigned long long)tx_buf, (unsigned long long)rx_buf);

	pci_write_command(cfg, n.dev, (u16)(n.dev->command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	vtd_poll_faults();
	u64 faults0 = vtd_fault_count();
	err = nic_setup(&n);
	if (err)
		goto out;

	/* 1: ARP request out, reply in, both through the test domain */
	volatile struct e1000_rx_desc *rd = post_rx(&n, IOVA_RX_BUF);
	build_arp(&n, n.txbuf);
	err = send(&n, IOVA_TX_BUF, 60);
	if (err)
		goto out;
	if (wait_until(rx_done, (void *)rd, 3000000)) {
		pr_err("FAIL: no ARP reply received within 3 s through the test domain (RDH %u RDT %u)\n",
		       r32(&n, E1000_RDH), r32(&n, E1000_RDT));
		vtd_poll_faults();
		err = -ETIMEDOUT;
		goto out;
	}
	vtd_poll_faults();
	if (vtd_fault_count() != faults0) {
		pr_err("FAIL: DMA through mapped IOVAs faulted\n");
		err = -EIO;
		goto out;
	}
	if (!(n.rxbuf[12] == 0x08 && n.rxbuf[13] == 0x06 && n.rxbuf[21] == 2 &&
	      n.rxbuf[28] == 10 && n.rxbuf[31] == 2 && memcmp(n.rxbuf, n.mac, 6) == 0)) {
		pr_err("FAIL: RX buffer at host %#llx does not hold the ARP reply\n",
		       (unsigned long long)rx_buf);
		err = -EIO;
		goto out;
	}
	pr_info("ok: DMA through the test domain: descriptors and frame read, %u-byte ARP reply "
		"written to host frame %#llx (IOVA %#llx)\n", rd->length,
		(unsigned long long)rx_buf, (unsigned long long)IOVA_RX_BUF);

	/* 2: TX buffer at an unmapped IOVA: read fault */
	err = send(&n, IOVA_UNMAPPED, 60);
	if (!err)
		err = expect_fault(&n, IOVA_UNMAPPED, VTD_ACCESS_READ, "read of an unmapped IOVA");
	if (err)
		goto out;

	/* 3: RX buffer at an IOVA equal to uhv memory (the canary): write fault, page intact */
	rd = post_rx(&n, canary);
	build_arp(&n, n.txbuf);
	err = send(&n, IOVA_TX_BUF, 60);
	if (err)
		goto out;
	(void)wait_until(rx_done, (void *)rd, 3000000);
	err = expect_fault(&n, canary, VTD_ACCESS_WRITE, "write to an IOVA that is uhv memory");
	if (err)
		goto out;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (cv[i] != (u8)(0xa5 ^ i)) {
			pr_err("FAIL: uhv page %#llx changed at offset %u\n",
			       (unsigned long long)canary, i);
			err = -EIO;
			goto out;
		}
	pr_info("ok: uhv memory at %#llx unchanged\n", (unsigned long long)canary);

out:
	w32(&n, E1000_RCTL, 0);
	w32(&n, E1000_TCTL, 0);
	pci_write_command(cfg, n.dev, n.dev->command);
	vtd_detach_device(n.dev->seg, n.dev->bus, (u8)(n.dev->dev << 3 | n.dev->fn));
	vtd_poll_faults();
	vtd_fault_summary();
	if (err)
		pr_err("vtd-selftest: FAIL (%s)\n", errno_name(err));
	else
		pr_info("vtd-selftest: PASS\n");
	return err;
}
