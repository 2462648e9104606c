/* Intel 8254x (e1000, QEMU "e1000" = 82540EM 8086:100e) and 82574L (QEMU
 * "e1000e", 8086:10d3) registers and legacy descriptors, the subset the
 * VT-d self-test and NIC drivers use (8254x Software Developer's Manual). */
#ifndef UHV_E1000_REGS_H
#define UHV_E1000_REGS_H

#include <uhv/types.h>

#define E1000_VENDOR_INTEL	0x8086
#define E1000_DEV_82540EM	0x100e	/* QEMU e1000 */
#define E1000_DEV_82574L	0x10d3	/* QEMU e1000e */

/* registers (BAR0 offsets) */
#define E1000_CTRL	0x0000	/* device control */
#define E1000_STATUS	0x0008	/* device status */
#define E1000_EECD	0x0010	/* EEPROM/flash control */
#define E1000_EERD	0x0014	/* EEPROM read */
#define E1000_CTRL_EXT	0x0018	/* extended device control */
#define E1000_MDIC	0x0020	/* MDI control (PHY access) */
#define E1000_ICR	0x00c0	/* interrupt cause read (clears on read) */
#define E1000_ICS	0x00c8	/* interrupt cause set */
#define E1000_IMS	0x00d0	/* interrupt mask set */
#define E1000_IMC	0x00d8	/* interrupt mask clear */
#define E1000_RCTL	0x0100	/* receive control */
#define E1000_TCTL	0x0400	/* transmit control */
#define E1000_TIPG	0x0410	/* transmit inter-packet gap */
#define E1000_RDBAL	0x2800	/* RX descriptor base low */
#define E1000_RDBAH	0x2804	/* RX descriptor base high */
#define E1000_RDLEN	0x2808	/* RX ring length in bytes (multiple of 128) */
#define E1000_RDH	0x2810	/* RX head */
#define E1000_RDT	0x2818	/* RX tail */
#define E1000_TDBAL	0x3800	/* TX descriptor base low */
#define E1000_TDBAH	0x3804	/* TX descriptor base high */
#define E1000_TDLEN	0x3808	/* TX ring length in bytes (multiple of 128) */
#define E1000_TDH	0x3810	/* TX head */
#define E1000_TDT	0x3818	/* TX tail */
#define E1000_MTA	0x5200	/* multicast table array, 128 dwords */
#define E1000_RAL0	0x5400	/* receive address low (MAC bytes 0-3) */
#define E1000_RAH0	0x5404	/* receive address high (MAC bytes 4-5, AV) */

/* CTRL */
#define E1000_CTRL_FD		BIT(0)	/* full duplex */
#define E1000_CTRL_ASDE		BIT(5)	/* auto-speed detection */
#define E1000_CTRL_SLU		BIT(6)	/* set link up */
#define E1000_CTRL_RST		BIT(26)	/* device reset (self-clearing) */
#define E1000_CTRL_PHY_RST	BIT(31)

/* STATUS */
#define E1000_STATUS_LU		BIT(1)	/* link up */

/* EERD (82540EM layout) */
#define E1000_EERD_START	BIT(0)
#define E1000_EERD_DONE		BIT(4)
#define E1000_EERD_ADDR(a)	((u32)(a) << 8)
#define E1000_EERD_DATA(v)	((u16)((v) >> 16))

/* interrupt causes (ICR/ICS/IMS/IMC) */
#define E1000_INT_TXDW		BIT(0)	/* TX descriptor written back */
#define E1000_INT_LSC		BIT(2)	/* link status change */
#define E1000_INT_RXT0		BIT(7)	/* RX timer (packet received) */
#define E1000_INT_ALL		0x1ffff

/* RCTL */
#define E1000_RCTL_EN		BIT(1)
#define E1000_RCTL_SBP		BIT(2)	/* store bad packets */
#define E1000_RCTL_UPE		BIT(3)	/* unicast promiscuous */
#define E1000_RCTL_MPE		BIT(4)	/* multicast promiscuous */
#define E1000_RCTL_LPE		BIT(5)	/* long packets */
#define E1000_RCTL_LBM_MAC	(1u << 6)	/* MAC loopback */
#define E1000_RCTL_BAM		BIT(15)	/* accept broadcast */
#define E1000_RCTL_BSIZE_2048	(0u << 16)
#define E1000_RCTL_SECRC	BIT(26)	/* strip Ethernet CRC */

/* TCTL */
#define E1000_TCTL_EN		BIT(1)
#define E1000_TCTL_PSP		BIT(3)	/* pad short packets */
#define E1000_TCTL_CT(n)	((u32)(n) << 4)		/* collision threshold */
#define E1000_TCTL_COLD(n)	((u32)(n) << 12)	/* collision distance */

/* TIPG value recommended for 802.3 copper */
#define E1000_TIPG_DEFAULT	(10u | (8u << 10) | (6u << 20))

/* RAH */
#define E1000_RAH_AV		BIT(31)	/* address valid */

/* legacy transmit descriptor */
struct e1000_tx_desc {
	u64 addr;
	u16 length;
	u8 cso;
	u8 cmd;
	u8 status;
	u8 css;
	u16 special;
} __packed;

#define E1000_TXD_CMD_EOP	BIT(0)	/* end of packet */
#define E1000_TXD_CMD_IFCS	BIT(1)	/* insert FCS */
#define E1000_TXD_CMD_RS	BIT(3)	/* report status (sets DD) */
#define E1000_TXD_STAT_DD	BIT(0)	/* descriptor done */

/* legacy receive descriptor */
struct e1000_rx_desc {
	u64 addr;
	u16 length;
	u16 csum;
	u8 status;
	u8 errors;
	u16 special;
} __packed;

#define E1000_RXD_STAT_DD	BIT(0)
#define E1000_RXD_STAT_EOP	BIT(1)

#endif
