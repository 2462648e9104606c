/* What the VT-d self-test's parts share (drivers/vtd_selftest.c drives the NIC and tests DMA
 * remapping, drivers/vtd_ir_selftest.c tests interrupt remapping with the same NIC). */
#ifndef UHV_VTD_SELFTEST_H
#define UHV_VTD_SELFTEST_H

#include <uhv/mmio.h>
#include <uhv/pci.h>
#include "e1000_regs.h"

/* IOVAs: inside 39 bits, far above any RAM QEMU gives us, so IOVA != HPA */
#define IOVA_BASE	0x4000000000ULL		/* 256 GiB */
#define IOVA_TX_RING	(IOVA_BASE + 0x0000)
#define IOVA_RX_RING	(IOVA_BASE + 0x1000)
#define IOVA_TX_BUF	(IOVA_BASE + 0x2000)
#define IOVA_RX_BUF	(IOVA_BASE + 0x3000)
#define IOVA_UNMAPPED	(IOVA_BASE + 0x100000)

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

static inline u32 r32(struct nic *n, unsigned off) { return mmio_read32(n->bar + off); }
static inline void w32(struct nic *n, unsigned off, u32 v) { mmio_write32(n->bar + off, v); }

/* vtd_selftest.c: an ARP request to the gateway into buffer f; queue a frame whose buffer is at
 * iova (must_complete: a missing write-back is an error); hand the next RX descriptor (buffer at
 * iova) to the NIC; has the NIC written that descriptor back? */
void build_arp(struct nic *n, u8 *f);
int send(struct nic *n, u64 iova, bool must_complete);
volatile struct e1000_rx_desc *post_rx(struct nic *n, u64 iova);
bool rx_done(void *ctx);

/* vtd_ir_selftest.c: interrupt remapping with the NIC's MSI (e1000e; skipped, said so, for a NIC
 * without MSI or a unit without remapping). The test domain maps the NIC's rings and TX buffer
 * (IOVA_TX_BUF). 0 or -errno (said why). */
int vtd_ir_selftest(struct nic *n, const struct pci_cfg_ops *cfg);

#endif
