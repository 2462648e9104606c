/* vtd-selftest: prove that DMA really goes through uhv's tables, with an
 * e1000/e1000e (QEMU -device intel-iommu -device e1000,netdev=n0 and a user
 * netdev, whose gateway 10.0.2.2 answers ARP):
 *   1. a test domain maps IOVAs far from the host frames behind them (not an
 *      identity map); the NIC fetches its TX descriptors and an ARP request
 *      through it and writes the reply and the RX descriptor through it: the
 *      reply must land in the host frame behind the RX IOVA, with no fault;
 *   2. a TX buffer at an unmapped IOVA must fault: read, the NIC's BDF, that page;
 *   3. the same again must be counted, not printed again (and it is recorded
 *      at all only because the first record was cleared); then the TX buffer
 *      is unmapped after use: reading it must fault (IOTLB invalidated), and
 *      mapped again it works again (step 4 sends through it);
 *   4. a TX buffer and an RX buffer at an IOVA equal to the host-physical
 *      address of a page of uhv's image (what an identity map would expose)
 *      must fault, read and write, and that page must keep its checksum.
 * Faults are detected through the fault records, never through NIC status
 * (QEMU's e1000 sets DD even when its buffer access faulted). Its lines read
 * "uhv vtd-selftest: ok: ...", failures "uhv vtd-selftest: ERROR: FAIL: ...",
 * and the last one "uhv vtd-selftest: PASS (N ms)" or "... ERROR: FAIL (why)";
 * test/system/4*-vtd-*.sh grep them: keep them stable. */
#define LOG_MODULE "vtd-selftest"
#include <uhv/vtd.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/mmio.h>
#include <uhv/pci.h>
#include <uhv/passthrough.h>
#include <uhv/options.h>
#include <uhv/string.h>
#include <uhv/timer.h>
#include "e1000_regs.h"
#include "vtd_selftest.h"

#define RING_LEN	256			/* bytes: 16 descriptors */
#define NDESC		(RING_LEN / 16)
#define FRAME_LEN	60

#define NIC_TIMEOUT_US		1000000
/* QEMU's e1000 refuses frames for 1 s after an RCTL write, then delivers */
#define ARP_TIMEOUT_US		3000000
#define FAULT_TIMEOUT_US	1000000

#define REASON_READ	0x06	/* read from a page without read permission */
#define REASON_WRITE	0x05	/* write to a page without write permission */

/* A page of uhv's own image that the NIC is pointed at in step 4: in an
 * identity-mapped domain its host-physical address would reach it. It is
 * static on purpose: it must be uhv image memory, not pool memory. */
static u8 uhv_page[PAGE_SIZE] __aligned(PAGE_SIZE);

static void nic_regs(struct nic *n, const char *what)
{
	pr_err("%s: NIC CTRL %#x STATUS %#x TCTL %#x TDH %u TDT %u RCTL %#x RDH %u RDT %u\n", what,
	       r32(n, E1000_CTRL), r32(n, E1000_STATUS), r32(n, E1000_TCTL), r32(n, E1000_TDH),
	       r32(n, E1000_TDT), r32(n, E1000_RCTL), r32(n, E1000_RDH), r32(n, E1000_RDT));
}

struct bitwait { struct nic *n; unsigned off; u32 mask, want; };
static bool bit_done(void *ctx)
{
	struct bitwait *w = ctx;
	return (r32(w->n, w->off) & w->mask) == w->want;
}

static int wait_bits(struct nic *n, unsigned off, u32 mask, u32 want, const char *what)
{
	struct bitwait w = { n, off, mask, want };
	if (wait_until(bit_done, &w, NIC_TIMEOUT_US) == 0)
		return 0;
	pr_err("FAIL: timed out after %u ms waiting for %s (register %#x = %#x)\n",
	       NIC_TIMEOUT_US / 1000, what, off, r32(n, off));
	nic_regs(n, what);
	return -ETIMEDOUT;
}

static bool tx_done(void *ctx)
{
	volatile struct e1000_tx_desc *d = ctx;
	return d->status & E1000_TXD_STAT_DD;
}

bool rx_done(void *ctx)
{
	volatile struct e1000_rx_desc *d = ctx;
	return d->status & E1000_RXD_STAT_DD;
}

/* Checksum (FNV-1a) of a page, to show it is unchanged. */
static u64 page_sum(const u8 *p)
{
	u64 h = 0xcbf29ce484222325ULL;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static const u8 ip_me[4] = { 10, 0, 2, 15 }, ip_gw[4] = { 10, 0, 2, 2 };

void build_arp(struct nic *n, u8 *f)
{
	memset(f, 0, FRAME_LEN);
	memset(f, 0xff, 6);				/* broadcast */
	memcpy(f + 6, n->mac, 6);
	f[12] = 0x08; f[13] = 0x06;			/* ARP */
	f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4;
	f[20] = 0; f[21] = 1;				/* request */
	memcpy(f + 22, n->mac, 6);
	memcpy(f + 28, ip_me, 4);
	memcpy(f + 38, ip_gw, 4);
}

static bool is_arp_reply(const struct nic *n, const u8 *f)
{
	return memcmp(f, n->mac, 6) == 0 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 &&
	       f[21] == 2 && memcmp(f + 28, ip_gw, 4) == 0 && memcmp(f + 32, n->mac, 6) == 0 &&
	       memcmp(f + 38, ip_me, 4) == 0;
}

/* Queue one frame whose buffer is at iova. must_complete: a missing write-back is
 * an error (for frames that fault, hardware may or may not complete them). */
int send(struct nic *n, u64 iova, bool must_complete)
{
	volatile struct e1000_tx_desc *d = &n->tx[n->tx_tail];
	d->addr = iova;
	d->length = FRAME_LEN;
	d->cso = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	d->status = 0;
	d->css = 0;
	d->special = 0;
	n->tx_tail = (n->tx_tail + 1) % NDESC;
	mfence();
	w32(n, E1000_TDT, n->tx_tail);
	if (wait_until(tx_done, (void *)d, NIC_TIMEOUT_US) == 0 || !must_complete)
		return 0;
	pr_err("FAIL: TX descriptor (IOVA %#llx) not written back within %u ms\n",
	       (IOVA_TX_RING + ((n->tx_tail + NDESC - 1) % NDESC) * 16),
	       NIC_TIMEOUT_US / 1000);
	nic_regs(n, "TX");
	return -ETIMEDOUT;
}

/* Hand RX descriptor rx_next (buffer at iova) to the NIC. */
volatile struct e1000_rx_desc *post_rx(struct nic *n, u64 iova)
{
	volatile struct e1000_rx_desc *d = &n->rx[n->rx_next];
	d->addr = iova;
	d->length = 0;
	d->status = 0;
	d->errors = 0;
	n->rx_next = (n->rx_next + 1) % NDESC;
	mfence();
	w32(n, E1000_RDT, n->rx_next);
	return d;
}

static int nic_setup(struct nic *n)
{
	w32(n, E1000_IMC, E1000_INT_ALL);
	w32(n, E1000_CTRL, r32(n, E1000_CTRL) | E1000_CTRL_RST);
	udelay(1000);
	int err = wait_bits(n, E1000_CTRL, E1000_CTRL_RST, 0, "NIC reset");
	if (err)
		return err;
	w32(n, E1000_IMC, E1000_INT_ALL);
	w32(n, E1000_CTRL, r32(n, E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE);
	u32 ral = r32(n, E1000_RAL0), rah = r32(n, E1000_RAH0);
	if (!(rah & E1000_RAH_AV)) {
		/* Bochs empties RAL/RAH on reset: the MAC is in the EEPROM */
		for (unsigned i = 0; i < 3; i++) {
			w32(n, E1000_EERD, E1000_EERD_START | E1000_EERD_ADDR(i));
			err = wait_bits(n, E1000_EERD, E1000_EERD_DONE, E1000_EERD_DONE,
					"EEPROM read");
			if (err)
				return err;
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

struct fault_wait { u64 before; };
static bool fault_seen(void *ctx)
{
	struct fault_wait *w = ctx;
	vtd_poll_faults();
	return vtd_fault_count() != w->before;
}

/* The DMA started after 'before' was taken must have faulted exactly as
 * expected (source, page, access, reason), 'count' times in all for that
 * kind, and caused no fault of any other kind. */
static int expect_fault(struct nic *n, u64 before, u64 addr, enum vtd_access acc, u64 count,
			const char *what)
{
	u8 reason = acc == VTD_ACCESS_READ ? REASON_READ : REASON_WRITE;
	u64 page = addr & ~(PAGE_SIZE - 1);
	struct fault_wait w = { before };

	if (wait_until(fault_seen, &w, FAULT_TIMEOUT_US)) {
		pr_err("FAIL: %s: no fault recorded within %u ms\n", what, FAULT_TIMEOUT_US / 1000);
		return -EIO;
	}
	u64 got = vtd_fault_kind_count(n->sid, reason, acc, page);
	u64 total = vtd_fault_count() - before;
	if (got != count || total != 1) {
		struct vtd_fault_seen f = { 0 };
		vtd_last_fault(&f);
		pr_err("FAIL: %s: expected %s of %#llx by %02x:%02x.%x reason %#04x (seen %llu "
		       "time(s), want %llu), %llu new fault(s); latest new kind: %s of %#llx by "
		       "%02x:%02x.%x reason %#04x\n", what, vtd_access_name(acc),
		       page, n->sid >> 8, (n->sid >> 3) & 0x1f, n->sid & 7,
		       reason, got, count,
		       total, vtd_access_name(f.access),
		       f.addr, f.sid >> 8, (f.sid >> 3) & 0x1f, f.sid & 7,
		       f.reason);
		return -EIO;
	}
	pr_info("ok: %s: fault recorded: %s of %#llx by %02x:%02x.%x, reason %#04x (%s), "
		"%llu time(s)\n", what, vtd_access_name(acc), page,
		n->sid >> 8, (n->sid >> 3) & 0x1f, n->sid & 7, reason,
		vtd_fault_reason_text(reason), count);
	return 0;
}

/* Step 1: ARP request out and reply in, all through the test domain. */
static int dma_through_domain(struct nic *n, paddr_t rx_buf)
{
	u64 faults0 = vtd_fault_count();
	u64 t0 = time_us();

	memset(n->rxbuf, 0x5a, PAGE_SIZE);
	volatile struct e1000_rx_desc *rd = post_rx(n, IOVA_RX_BUF);
	build_arp(n, n->txbuf);
	int err = send(n, IOVA_TX_BUF, true);
	if (err)
		return err;
	if (wait_until(rx_done, (void *)rd, ARP_TIMEOUT_US)) {
		pr_err("FAIL: no ARP reply from %u.%u.%u.%u within %u ms through the test domain "
		       "(QEMU needs -netdev user)\n", ip_gw[0], ip_gw[1], ip_gw[2], ip_gw[3],
		       ARP_TIMEOUT_US / 1000);
		nic_regs(n, "RX");
		vtd_poll_faults();
		return -ETIMEDOUT;
	}
	vtd_poll_faults();
	if (vtd_fault_count() != faults0) {
		pr_err("FAIL: DMA through mapped IOVAs faulted (see the fault lines above)\n");
		return -EIO;
	}
	if (!(rd->status & E1000_RXD_STAT_EOP) || rd->length < 42 || !is_arp_reply(n, n->rxbuf)) {
		pr_err("FAIL: host frame %#llx behind RX IOVA %#llx does not hold the ARP reply "
		       "(descriptor status %#x length %u; bytes %02x %02x %02x %02x .. "
		       "type %02x%02x op %02x)\n", rx_buf,
		       IOVA_RX_BUF, rd->status, rd->length, n->rxbuf[0],
		       n->rxbuf[1], n->rxbuf[2], n->rxbuf[3], n->rxbuf[12], n->rxbuf[13],
		       n->rxbuf[21]);
		return -EIO;
	}
	const u8 *gw = n->rxbuf + 22;
	pr_info("ok: DMA through the test domain: NIC read its TX ring and an ARP request at "
		"IOVAs %#llx/%#llx, wrote the %u-byte reply from %02x:%02x:%02x:%02x:%02x:%02x "
		"to host frame %#llx behind IOVA %#llx (%llu ms), no fault\n",
		IOVA_TX_RING, IOVA_TX_BUF, rd->length,
		gw[0], gw[1], gw[2], gw[3], gw[4], gw[5], rx_buf,
		IOVA_RX_BUF, ((time_us() - t0) / 1000));
	return 0;
}

/* Steps 2 and 3: reads of an unmapped IOVA, printed once, counted twice. */
static int unmapped_reads(struct nic *n)
{
	for (u64 i = 1; i <= 2; i++) {
		u64 before = vtd_fault_count();
		int err = send(n, IOVA_UNMAPPED, false);
		if (!err)
			err = expect_fault(n, before, IOVA_UNMAPPED, VTD_ACCESS_READ, i,
					   i == 1 ? "read of an unmapped IOVA"
						  : "same read again (counted, not printed again)");
		if (err)
			return err;
	}
	return 0;
}

/* Step 3b: a page unmapped after the NIC used it must fault at once: the
 * IOTLB entry the first transfer left behind has to be invalidated. Mapped
 * again, the buffer must work again (used by step 4). */
static int stale_translation(struct nic *n, struct vtd_domain *dom, paddr_t tx_buf)
{
	u64 before = vtd_fault_count();
	int err = vtd_domain_unmap(dom, IOVA_TX_BUF, PAGE_SIZE);
	if (err) {
		pr_err("FAIL: cannot unmap IOVA %#llx (%s)\n", IOVA_TX_BUF,
		       errno_name(err));
		return err;
	}
	err = send(n, IOVA_TX_BUF, false);
	if (!err)
		err = expect_fault(n, before, IOVA_TX_BUF, VTD_ACCESS_READ, 1,
				   "read of an IOVA unmapped after use (IOTLB invalidated)");
	if (err)
		return err;
	err = vtd_domain_map(dom, IOVA_TX_BUF, tx_buf, PAGE_SIZE, VTD_SL_R);
	if (err)
		pr_err("FAIL: cannot map IOVA %#llx again (%s)\n", IOVA_TX_BUF,
		       errno_name(err));
	return err;
}

/* Step 4: the NIC aims at uhv's own page by its host-physical address; the
 * write is carried by the ARP reply to a request sent from the re-mapped
 * TX buffer, so it also shows that buffer works again. */
static int uhv_memory(struct nic *n)
{
	paddr_t pa = virt_to_phys(uhv_page);

	if (!kmem_is_hypervisor(pa, PAGE_SIZE)) {
		pr_err("FAIL: test page %#llx is not counted as uhv memory\n",
		       pa);
		return -EIO;
	}
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		uhv_page[i] = (u8)(0xa5 ^ i ^ (i >> 8));
	u64 sum0 = page_sum(uhv_page);
	pr_info("uhv image page %#llx (checksum %#llx) used as IOVA: read, then write\n",
		pa, sum0);

	u64 before = vtd_fault_count();
	int err = send(n, pa, false);
	if (!err)
		err = expect_fault(n, before, pa, VTD_ACCESS_READ, 1,
				   "read of an IOVA that is uhv memory");
	if (err)
		return err;

	before = vtd_fault_count();
	volatile struct e1000_rx_desc *rd = post_rx(n, pa);
	build_arp(n, n->txbuf);
	err = send(n, IOVA_TX_BUF, true);
	if (err)
		return err;
	/* the reply comes; QEMU marks the descriptor done although the write faulted */
	(void)wait_until(rx_done, (void *)rd, ARP_TIMEOUT_US);
	err = expect_fault(n, before, pa, VTD_ACCESS_WRITE, 1,
			   "write to an IOVA that is uhv memory");
	/* checked whatever the fault records say */
	u64 sum1 = page_sum(uhv_page);
	if (sum1 != sum0) {
		unsigned i = 0;
		while (i < PAGE_SIZE && uhv_page[i] == (u8)(0xa5 ^ i ^ (i >> 8)))
			i++;
		pr_err("FAIL: uhv page %#llx changed: checksum %#llx -> %#llx, first change at "
		       "offset %u\n", pa, sum0,
		       sum1, i);
		return -EIO;
	}
	pr_info("%s: uhv memory at %#llx unchanged (checksum %#llx before and after)\n",
		err ? "note" : "ok", pa, sum1);
	return err;
}

static bool drivable(const struct pci_dev *d)
{
	return d && d->vendor == E1000_VENDOR_INTEL &&
	       (d->device == E1000_DEV_82540EM || d->device == E1000_DEV_82574L) &&
	       d->bar[0].type != PCI_BAR_NONE && d->bar[0].type != PCI_BAR_IO;
}

/* The NIC under test: the one nic= names, chosen and checked as guest mode chooses the guest's
 * (nic_choose: same rules, same messages), else the first e1000/e1000e. -errno: said why. */
static int choose_test_nic(const struct pci *pci, const struct uhv_options *o,
			   const struct pci_dev **out)
{
	int err = 0;

	if (o && o->nic_given) {
		const struct pci_dev *d = nic_choose(pci, o, &err);
		if (err < 0)
			return err;
		if (!drivable(d)) {
			pr_err("FAIL: nic=%04x:%02x:%02x.%x is %04x:%04x (%s); the self-test drives "
			       "only an e1000 (8086:100e) or e1000e (8086:10d3) with a memory BAR 0: "
			       "name one, or leave nic= out to take the first\n", d->seg, d->bus,
			       d->dev, d->fn, d->vendor, d->device,
			       pci_class_name(d->class, d->subclass));
			return -EINVAL;
		}
		*out = d;
		return 0;
	}
	*out = pci_find_id(pci, E1000_VENDOR_INTEL, E1000_DEV_82540EM, 0);
	if (!*out)
		*out = pci_find_id(pci, E1000_VENDOR_INTEL, E1000_DEV_82574L, 0);
	if (!drivable(*out)) {
		pr_err("FAIL: needs an e1000 or e1000e (QEMU: -netdev user,id=n0 -device "
		       "e1000,netdev=n0)\n");
		return -ENODEV;
	}
	return 0;
}

/* VT-d is on and the NIC to test is an e1000/e1000e with a memory BAR 0: what the test needs. */
static int find_test_nic(const struct pci *pci, const struct uhv_options *o, struct nic *n)
{
	if (!vtd_active()) {
		pr_err("FAIL: DMA remapping is not active (no DMAR table, iommu=off, or VT-d setup "
		       "failed: see the 'vtd:' lines above); QEMU needs -device intel-iommu\n");
		pr_err("FAIL (%s)\n", errno_name(-ENODEV));
		return -ENODEV;
	}
	int err = pci ? choose_test_nic(pci, o, &n->dev) : -ENODEV;
	if (err < 0) {
		pr_err("FAIL (%s)\n", errno_name(err));
		return err;
	}
	/* behind a bridge to conventional PCI the unit sees the bridge's id, not the NIC's */
	n->sid = vtd_dma_requester(n->dev->seg, n->dev->bus, (u8)(n->dev->dev << 3 | n->dev->fn));
	if (n->sid != (u16)(n->dev->bus << 8 | n->dev->dev << 3 | n->dev->fn))
		pr_info("NIC %02x:%02x.%x's DMA reaches the unit as %02x:%02x.%x\n", n->dev->bus,
			n->dev->dev, n->dev->fn, n->sid >> 8, (n->sid >> 3) & 0x1f, n->sid & 7);
	return 0;
}

/* The host frames behind the test domain's IOVAs. */
struct test_frames { paddr_t tx_ring, rx_ring, tx_buf, rx_buf; };

/* Map the NIC's registers, give it rings and buffers, and attach it to a test domain that maps
 * them at the IOVA_* addresses (the TX buffer read-only) and nothing else. */
static int setup_domain(struct nic *n, struct vtd_domain *dom, struct test_frames *fr)
{
	n->bar = mmio_map(n->dev->bar[0].base, 0x20000);
	fr->tx_ring = kmem_alloc_page();
	fr->rx_ring = kmem_alloc_page();
	fr->tx_buf = kmem_alloc_page();
	fr->rx_buf = kmem_alloc_page();
	if (!n->bar || !fr->tx_ring || !fr->rx_ring || !fr->tx_buf || !fr->rx_buf) {
		pr_err("FAIL (out of memory)\n");
		return -ENOMEM;
	}
	n->tx = phys_to_virt(fr->tx_ring);
	n->rx = phys_to_virt(fr->rx_ring);
	n->txbuf = phys_to_virt(fr->tx_buf);
	n->rxbuf = phys_to_virt(fr->rx_buf);

	int err = vtd_domain_create(dom, VTD_DOMAIN_MAY_MAP_HYPERVISOR);
	if (err) {
		pr_err("FAIL (cannot create the test domain: %s)\n", errno_name(err));
		return err;
	}
	const u64 rw = VTD_SL_R | VTD_SL_W;
	err = vtd_domain_map(dom, IOVA_TX_RING, fr->tx_ring, PAGE_SIZE, rw);
	if (!err) err = vtd_domain_map(dom, IOVA_RX_RING, fr->rx_ring, PAGE_SIZE, rw);
	if (!err) err = vtd_domain_map(dom, IOVA_TX_BUF, fr->tx_buf, PAGE_SIZE, VTD_SL_R);
	if (!err) err = vtd_domain_map(dom, IOVA_RX_BUF, fr->rx_buf, PAGE_SIZE, rw);
	if (!err) err = vtd_attach_device(dom, n->dev->seg, n->dev->bus,
					  (u8)(n->dev->dev << 3 | n->dev->fn));
	if (err) {
		pr_err("FAIL (cannot set up the test domain: %s)\n", errno_name(err));
		return err;
	}
	pr_info("test domain %u for NIC %02x:%02x.%x %04x:%04x: IOVA -> host frame: TX ring "
		"%#llx -> %#llx, RX ring %#llx -> %#llx, TX buffer %#llx -> %#llx, RX buffer %#llx "
		"-> %#llx; %#llx unmapped\n", dom->did, n->dev->bus, n->dev->dev, n->dev->fn,
		n->dev->vendor, n->dev->device,
		IOVA_TX_RING, fr->tx_ring,
		IOVA_RX_RING, fr->rx_ring,
		IOVA_TX_BUF, fr->tx_buf,
		IOVA_RX_BUF, fr->rx_buf,
		IOVA_UNMAPPED);
	return 0;
}

int vtd_selftest(const struct pci *pci, const struct pci_cfg_ops *cfg,
		 const struct uhv_options *o)
{
	struct nic n = { 0 };
	struct vtd_domain dom;
	struct test_frames fr;
	u64 t0 = time_us();

	int err = find_test_nic(pci, o, &n);
	if (err)
		return err;
	err = setup_domain(&n, &dom, &fr);
	if (err)
		return err;

	pci_write_command(cfg, n.dev,
			  (u16)(n.dev->command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	vtd_poll_faults();
	err = nic_setup(&n);
	if (!err)
		err = dma_through_domain(&n, fr.rx_buf);
	if (!err)
		err = unmapped_reads(&n);
	if (!err)
		err = stale_translation(&n, &dom, fr.tx_buf);
	if (!err)
		err = uhv_memory(&n);
	if (!err)
		err = vtd_ir_selftest(&n, cfg);

	w32(&n, E1000_RCTL, 0);
	w32(&n, E1000_TCTL, 0);
	pci_write_command(cfg, n.dev, n.dev->command);
	vtd_detach_device(n.dev->seg, n.dev->bus, (u8)(n.dev->dev << 3 | n.dev->fn));
	vtd_poll_faults();
	vtd_fault_summary();
	if (err)
		pr_err("FAIL (%s)\n", errno_name(err));
	else
		pr_info("PASS (%llu ms)\n", ((time_us() - t0) / 1000));
	return err;
}
