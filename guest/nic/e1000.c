/* A polling e1000 driver for the test guest: PCI discovery through 0xCF8/0xCFC, reset, MAC from
 * RAL/RAH or the EEPROM, legacy TX/RX rings in the guest's own memory. No interrupts (they are
 * masked in the NIC): the data path is descriptor memory plus the TDT/RDT doorbells, which is
 * what uhv must pass through without exits. */
#include "nic.h"
#include <uhv/errno.h>
#include <uhv/pci.h>

#define CFG_ADDR	0xcf8
#define CFG_DATA	0xcfc

static u32 cfg_addr(u8 bus, u8 dev, u8 fn, u8 off)
{
	return 0x80000000u | (u32)bus << 16 | (u32)dev << 11 | (u32)fn << 8 | (off & 0xfc);
}

u32 pci_cfg_read32(u8 bus, u8 dev, u8 fn, u8 off)
{
	outl(CFG_ADDR, cfg_addr(bus, dev, fn, off));
	return inl(CFG_DATA);
}

void pci_cfg_write16(u8 bus, u8 dev, u8 fn, u8 off, u16 v)
{
	outl(CFG_ADDR, cfg_addr(bus, dev, fn, off));
	outw(CFG_DATA + (off & 2), v);
}

/* ---- time --------------------------------------------------------------------------------------- */

u32 tsc_per_ms;

u32 tsc_calibrate(void)
{
	tsc_per_ms = pit_tsc_per_ms();
	return tsc_per_ms;
}

void delay_ms(u32 ms)
{
	/* without a calibration assume 1 GHz */
	u64 end = rdtsc() + (u64)ms * (tsc_per_ms ? tsc_per_ms : 1000000);

	while (rdtsc() < end)
		asm volatile("pause");
}

/* ---- registers ---------------------------------------------------------------------------------- */

/* The barrier keeps descriptor stores before the doorbell write (GCC moved them otherwise). */
static void wr(struct nic *n, u32 reg, u32 v)
{
	asm volatile("" ::: "memory");
	*(volatile u32 *)(n->regs + reg) = v;
	asm volatile("" ::: "memory");
}

u32 nic_read(struct nic *n, u32 reg)
{
	asm volatile("" ::: "memory");
	u32 v = *(volatile u32 *)(n->regs + reg);
	asm volatile("" ::: "memory");
	return v;
}

/* Wait until (reg & mask) == want, at most ms milliseconds. */
static bool wait_reg(struct nic *n, u32 reg, u32 mask, u32 want, u32 ms)
{
	u64 end = rdtsc() + (u64)ms * (tsc_per_ms ? tsc_per_ms : 1000000);

	do {
		if ((nic_read(n, reg) & mask) == want)
			return true;
	} while (rdtsc() < end);
	return false;
}

/* ---- discovery ---------------------------------------------------------------------------------- */

static bool known_device(u16 id)
{
	switch (id) {
	case E1000_DEV_82540EM:
	case 0x100f:		/* 82545EM copper */
	case 0x1004:		/* 82543GC copper (QEMU e1000-82544gc uses 0x100c) */
	case 0x100c:		/* 82544GC */
	case E1000_DEV_82574L:
		return true;
	}
	return false;
}

int nic_find(struct nic *n)
{
	for (unsigned bus = 0; bus < 256; bus++) {
		for (u8 dev = 0; dev < 32; dev++) {
			u32 id0 = pci_cfg_read32(bus, dev, 0, PCI_VENDOR_ID);
			if ((id0 & 0xffff) == 0xffff || (id0 & 0xffff) == 0)
				continue;
			u8 ht = (u8)(pci_cfg_read32(bus, dev, 0, PCI_HEADER_TYPE & ~3) >> 16);
			u8 nfn = (ht & PCI_HEADER_MULTIFUNC) ? 8 : 1;
			for (u8 fn = 0; fn < nfn; fn++) {
				u32 id = fn ? pci_cfg_read32(bus, dev, fn, PCI_VENDOR_ID) : id0;
				u32 cls = pci_cfg_read32(bus, dev, fn, PCI_REVISION_ID);
				if ((id & 0xffff) != E1000_VENDOR_INTEL || !known_device(id >> 16) ||
				    (cls >> 16) != 0x0200)
					continue;
				n->bus = (u8)bus;
				n->dev = dev;
				n->fn = fn;
				n->device = (u16)(id >> 16);
				return 0;
			}
		}
	}
	return -ENODEV;
}

/* ---- setup -------------------------------------------------------------------------------------- */

static struct e1000_rx_desc rx_ring[NIC_RX_DESCS] __aligned(128);
static struct e1000_tx_desc tx_ring[NIC_TX_DESCS] __aligned(128);
static u8 rx_buf[NIC_RX_DESCS][NIC_BUF_SIZE] __aligned(4096);
static u8 tx_buf[NIC_TX_DESCS][NIC_BUF_SIZE] __aligned(4096);

/* EERD: the 82540-class layout has DONE in bit 4 and the address at bit 8; the 82574 has DONE in
 * bit 1 and the address at bit 2. */
static int eeprom_read(struct nic *n, u8 word, u16 *val)
{
	bool i82574 = n->device == E1000_DEV_82574L;
	u32 cmd = E1000_EERD_START | (i82574 ? (u32)word << 2 : E1000_EERD_ADDR(word));
	u32 done = i82574 ? BIT(1) : E1000_EERD_DONE;

	wr(n, E1000_EERD, cmd);
	if (!wait_reg(n, E1000_EERD, done, done, 10)) {
		printf("guest: nic: EEPROM word %u: EERD stays 0x%x without DONE\n", word,
		       nic_read(n, E1000_EERD));
		return -ETIMEDOUT;
	}
	*val = E1000_EERD_DATA(nic_read(n, E1000_EERD));
	return 0;
}

static int read_mac(struct nic *n)
{
	u32 ral = nic_read(n, E1000_RAL0), rah = nic_read(n, E1000_RAH0);

	if ((rah & E1000_RAH_AV) && (ral || (rah & 0xffff))) {
		for (int i = 0; i < 4; i++)
			n->mac[i] = (u8)(ral >> (8 * i));
		n->mac[4] = (u8)rah;
		n->mac[5] = (u8)(rah >> 8);
		n->mac_from_eeprom = false;
	} else {
		/* Bochs clears RAL/RAH on reset: the MAC is in EEPROM words 0-2 */
		for (u8 w = 0; w < 3; w++) {
			u16 v;
			int ret = eeprom_read(n, w, &v);
			if (ret < 0)
				return ret;
			n->mac[2 * w] = (u8)v;
			n->mac[2 * w + 1] = (u8)(v >> 8);
		}
		n->mac_from_eeprom = true;
	}
	wr(n, E1000_RAL0, n->mac[0] | n->mac[1] << 8 | n->mac[2] << 16 | (u32)n->mac[3] << 24);
	wr(n, E1000_RAH0, n->mac[4] | n->mac[5] << 8 | E1000_RAH_AV);
	return 0;
}

int nic_init(struct nic *n)
{
	u32 bar0 = pci_cfg_read32(n->bus, n->dev, n->fn, PCI_BAR0);

	if ((bar0 & PCI_BAR_IO_FLAG) || (bar0 & ~0xfu) == 0) {
		printf("guest: nic: BAR0 0x%x is not a memory BAR\n", bar0);
		return -ENODEV;
	}
	if ((bar0 & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64 &&
	    pci_cfg_read32(n->bus, n->dev, n->fn, PCI_BAR0 + 4)) {
		printf("guest: nic: BAR0 is above 4 GiB; a 32-bit guest without paging cannot "
		       "reach it\n");
		return -ENODEV;
	}
	n->bar0 = bar0 & ~0xfu;
	n->regs = (volatile u8 *)(uintptr_t)n->bar0;
	u16 cmd = (u16)pci_cfg_read32(n->bus, n->dev, n->fn, PCI_COMMAND);
	pci_cfg_write16(n->bus, n->dev, n->fn, PCI_COMMAND,
			cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	/* firmware (PXE, UEFI) may have left it running: reset, then program everything */
	wr(n, E1000_IMC, 0xffffffff);
	wr(n, E1000_CTRL, nic_read(n, E1000_CTRL) | E1000_CTRL_RST);
	delay_ms(1);
	if (!wait_reg(n, E1000_CTRL, E1000_CTRL_RST, 0, 100)) {
		printf("guest: nic: CTRL.RST did not clear: CTRL 0x%x STATUS 0x%x\n",
		       nic_read(n, E1000_CTRL), nic_read(n, E1000_STATUS));
		return -ETIMEDOUT;
	}
	delay_ms(10);
	wr(n, E1000_IMC, 0xffffffff);
	nic_read(n, E1000_ICR);

	int ret = read_mac(n);
	if (ret < 0)
		return ret;
	for (u32 i = 0; i < 128; i++)
		wr(n, E1000_MTA + 4 * i, 0);

	/* set link up; no PHY or link reset, full auto-negotiation */
	u32 ctrl = nic_read(n, E1000_CTRL);
	ctrl &= ~(E1000_CTRL_PHY_RST | BIT(3) /* LRST */ | BIT(7) /* ILOS */);
	wr(n, E1000_CTRL, ctrl | E1000_CTRL_SLU | E1000_CTRL_ASDE);

	memset(rx_ring, 0, sizeof(rx_ring));
	for (unsigned i = 0; i < NIC_RX_DESCS; i++)
		rx_ring[i].addr = (u32)(uintptr_t)rx_buf[i];
	wr(n, E1000_RDBAL, (u32)(uintptr_t)rx_ring);
	wr(n, E1000_RDBAH, 0);
	wr(n, E1000_RDLEN, sizeof(rx_ring));
	wr(n, E1000_RDH, 0);
	wr(n, E1000_RDT, NIC_RX_DESCS - 1);
	n->rx_next = 0;

	memset(tx_ring, 0, sizeof(tx_ring));
	wr(n, E1000_TDBAL, (u32)(uintptr_t)tx_ring);
	wr(n, E1000_TDBAH, 0);
	wr(n, E1000_TDLEN, sizeof(tx_ring));
	wr(n, E1000_TDH, 0);
	wr(n, E1000_TDT, 0);
	n->tx_next = 0;

	wr(n, E1000_TIPG, E1000_TIPG_DEFAULT);
	wr(n, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT(0x0f) |
	   E1000_TCTL_COLD(0x40));
	/* the only RCTL write: QEMU's e1000 refuses RX for 1 s after each one */
	wr(n, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_BSIZE_2048 |
	   E1000_RCTL_SECRC);

	if (!wait_reg(n, E1000_STATUS, E1000_STATUS_LU, E1000_STATUS_LU, 3000)) {
		printf("guest: nic: no link after 3 s: STATUS 0x%x CTRL 0x%x\n",
		       nic_read(n, E1000_STATUS), nic_read(n, E1000_CTRL));
		return -ETIMEDOUT;
	}
	return 0;
}

/* ---- data path ------------------------------------------------------------------------------------ */

int nic_send(struct nic *n, const void *frame, unsigned len)
{
	memcpy(tx_buf[n->tx_next], frame, len);
	return nic_send_from(n, (u32)(uintptr_t)tx_buf[n->tx_next], len);
}

int nic_send_from(struct nic *n, u64 addr, unsigned len)
{
	unsigned i = n->tx_next;
	volatile struct e1000_tx_desc *d = &tx_ring[i];

	d->addr = addr;
	d->length = (u16)len;
	d->cso = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	d->status = 0;
	d->css = 0;
	d->special = 0;
	n->tx_next = (i + 1) % NIC_TX_DESCS;
	wr(n, E1000_TDT, n->tx_next);
	u64 end = rdtsc() + 100ull * (tsc_per_ms ? tsc_per_ms : 1000000);
	while (!(d->status & E1000_TXD_STAT_DD)) {
		if (rdtsc() > end) {
			printf("guest: nic: TX descriptor %u not done: TDH %u TDT %u STATUS 0x%x\n",
			       i, nic_read(n, E1000_TDH), nic_read(n, E1000_TDT),
			       nic_read(n, E1000_STATUS));
			return -ETIMEDOUT;
		}
		asm volatile("pause" ::: "memory");
	}
	n->tx_frames++;
	return 0;
}

const u8 *nic_recv(struct nic *n, unsigned *len)
{
	volatile struct e1000_rx_desc *d = &rx_ring[n->rx_next];

	asm volatile("" ::: "memory");
	if (!(d->status & E1000_RXD_STAT_DD))
		return NULL;
	*len = d->length;
	n->rx_frames++;
	return rx_buf[n->rx_next];
}

/* Hand the descriptor back: it becomes the new tail, the one the NIC must not fill. */
void nic_rx_done(struct nic *n)
{
	unsigned i = n->rx_next;

	rx_ring[i].status = 0;
	n->rx_next = (i + 1) % NIC_RX_DESCS;
	wr(n, E1000_RDT, i);
}

/* ---- hostile DMA (guest/nic/dma.c) ---------------------------------------------------------------- */

void nic_rx_aim(struct nic *n, u64 addr)
{
	unsigned i = n->rx_next;

	rx_ring[i].addr = addr ? addr : (u32)(uintptr_t)rx_buf[i];
	asm volatile("" ::: "memory");
}

bool nic_tx_ring_at(struct nic *n, u64 base)
{
	u32 tctl = nic_read(n, E1000_TCTL);

	wr(n, E1000_TCTL, tctl & ~E1000_TCTL_EN);
	wr(n, E1000_TDBAL, (u32)base);
	wr(n, E1000_TDBAH, (u32)(base >> 32));
	wr(n, E1000_TDLEN, 8 * sizeof(struct e1000_tx_desc));
	wr(n, E1000_TDH, 0);
	wr(n, E1000_TDT, 0);
	wr(n, E1000_TCTL, tctl | E1000_TCTL_EN);
	wr(n, E1000_TDT, 1);
	return wait_reg(n, E1000_TDH, 0xffff, 1, 100);
}
