/* nictest: an e1000 driver for the test guest (guest/nic/e1000.c) and the checks that use it
 * (guest/nic/main.c). The guest runs with paging off, so the NIC's registers and the rings
 * are reached at their physical addresses; descriptors hold the same addresses (GPA = HPA
 * under uhv, whose VT-d domain for the NIC maps guest memory 1:1). */
#ifndef GUEST_NIC_H
#define GUEST_NIC_H

#include "rt.h"
#include "../../drivers/e1000_regs.h"

/* ---- PCI through ports 0xCF8/0xCFC ------------------------------------------------------------ */
u32 pci_cfg_read32(u8 bus, u8 dev, u8 fn, u8 off);
void pci_cfg_write16(u8 bus, u8 dev, u8 fn, u8 off, u16 v);

/* ---- time ------------------------------------------------------------------------------------- */
/* TSC ticks per millisecond, measured against PIT channel 2 (0 if the PIT did not answer). */
u32 tsc_calibrate(void);
extern u32 tsc_per_ms;
void delay_ms(u32 ms);

/* ---- the NIC ---------------------------------------------------------------------------------- */
#define NIC_RX_DESCS	32
#define NIC_TX_DESCS	16
#define NIC_BUF_SIZE	2048

struct nic {
	u8 bus, dev, fn;
	u16 device;
	volatile u8 *regs;	/* BAR0 */
	u32 bar0;
	u8 mac[6];
	bool mac_from_eeprom;
	unsigned rx_next, tx_next;
	u32 rx_frames, tx_frames;
};

/* Find an Intel 8254x/82574 by scanning every bus through 0xCF8/0xCFC. Returns 0 or -ENODEV. */
int nic_find(struct nic *n);
/* Reset, MAC, rings, RCTL (written once: QEMU's e1000 then blocks RX for 1 s), TCTL, link up.
 * Returns 0 or a negative errno with a message printed. */
int nic_init(struct nic *n);
/* Queue one frame (len <= NIC_BUF_SIZE, padded by the NIC) and wait for its DD bit.
 * Returns 0 or -ETIMEDOUT. */
int nic_send(struct nic *n, const void *frame, unsigned len);
/* The next received frame, or NULL if none: *len gets its length. Call nic_rx_done() after. */
const u8 *nic_recv(struct nic *n, unsigned *len);
void nic_rx_done(struct nic *n);
u32 nic_read(struct nic *n, u32 reg);

/* Hostile DMA (guest/nic/dma.c). Point the RX descriptor the NIC fills next at addr (0: back at
 * its own buffer); the descriptor already belongs to the NIC, which reads it when a frame comes
 * (QEMU's e1000/e1000e do not prefetch). */
void nic_rx_aim(struct nic *n, u64 addr);
/* nic_send() with the frame read from addr, whatever is there. */
int nic_send_from(struct nic *n, u64 addr, unsigned len);
/* Move the TX ring to base (8 descriptors) and hand the NIC one descriptor there. True if TDH
 * moved on within 100 ms. The TX side needs nic_init() afterwards. */
bool nic_tx_ring_at(struct nic *n, u64 base);
/* dma-attack=1: DMA into uhv's memory through the NIC (under uhv with VT-d only), then the NIC
 * is reset; provoke() sends something the network answers (an ARP request). */
void nic_dma_attack(struct nic *n, void (*provoke)(void));

/* ---- isolation checks (guest/nic/hostile.c; command line hostile=1, under uhv) ----------------- */
void nic_hostile(const struct nic *n);

#endif
