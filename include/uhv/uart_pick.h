/* Where a console 16550 is: from a PCI function or the ACPI SPCR table (drivers/uart_pick.c). */
#ifndef UHV_UART_PICK_H
#define UHV_UART_PICK_H

#include <uhv/uart.h>
#include <uhv/pci.h>
#include <uhv/acpi.h>

#define PCI_CLASS_COMM		0x07	/* simple communication controller */
#define PCI_SUBCLASS_SERIAL	0x00	/* serial controller; prog-if 02 = 16550 */

/* The first 16550-compatible serial controller (class 0700, prog-if 02-06), or NULL. */
const struct pci_dev *uart_pick_pci_first(const struct pci *p);
/* The function at that address, or NULL (said: no such function, or a bridge); one that is not
 * a 16550 serial controller is tried all the same, with a warning. */
const struct pci_dev *uart_pick_pci_bdf(const struct pci *p, u16 seg, u8 bus, u8 dev, u8 fn);
/* The registers of d's first usable BAR (I/O: ports, memory: bytes). 0, or -ENODEV (none). */
int uart_pick_pci_bar(const struct pci_dev *d, struct uart_regs *r, unsigned *bar);
/* SPCR's UART as registers (va not set). */
void uart_pick_spcr(const struct acpi_spcr_info *s, struct uart_regs *r);
/* Where the guest finds its virtual UART (debug/backend.c) for uhv's console con: the console's
 * own port when it is a legacy COM port or console=0xPORT named it (port_option), else COM1
 * (0x3f8): a PCI card's or an MMIO console's output reaches the guest's ttyS0. */
u16 uart_pick_guest_port(bool port_option, const struct uart_regs *con);

#endif
