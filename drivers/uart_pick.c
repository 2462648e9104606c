/* Where a console 16550 is, from what uhv knows: a PCI function's BARs (console=pci,
 * console=BB:DD.F) or the ACPI SPCR table. Pure: the host unit test (test/unit/test_uart_pick.c)
 * checks it; arch/console.c maps and programs what it returns. */
#define LOG_MODULE "console"
#include <uhv/uart_pick.h>
#include <uhv/errno.h>
#include <uhv/log.h>

/* A serial controller (class 07 subclass 00) whose programming interface is a 16550 or a
 * superset that starts in 16550 mode (16650, 16750, 16850, 16950: prog-if 02-06). */
static bool is_16550(const struct pci_dev *d)
{
	return d->class == PCI_CLASS_COMM && d->subclass == PCI_SUBCLASS_SERIAL &&
	       d->prog_if >= 0x02 && d->prog_if <= 0x06 && d->header_type == PCI_HEADER_NORMAL;
}

const struct pci_dev *uart_pick_pci_first(const struct pci *p)
{
	for (unsigned i = 0; i < p->count; i++)
		if (is_16550(&p->devs[i]))
			return &p->devs[i];
	return NULL;
}

int uart_pick_pci_bar(const struct pci_dev *d, struct uart_regs *r, unsigned *bar_out)
{
	/* the first BAR that decodes anything: BAR0 on the cards Linux's 8250_pci calls
	 * "generic", an I/O BAR as on QEMU's pci-serial or a memory BAR as on PCIe cards */
	for (unsigned b = 0; b < d->nbars; b++) {
		const struct pci_bar *bar = &d->bar[b];
		if (bar->type == PCI_BAR_NONE || !bar->base || bar->size < 8)
			continue;
		if (bar->type == PCI_BAR_IO && bar->base > 0xfff8)
			continue;
		*r = (struct uart_regs){
			.access = bar->type == PCI_BAR_IO ? UART_ACCESS_PIO : UART_ACCESS_MMIO8,
			.base = bar->base,
		};
		*bar_out = b;
		return 0;
	}
	return -ENODEV;
}

void uart_pick_spcr(const struct acpi_spcr_info *s, struct uart_regs *r)
{
	*r = (struct uart_regs){
		.access = !s->mmio ? UART_ACCESS_PIO : s->access_bytes == 4 ? UART_ACCESS_MMIO32 :
			  UART_ACCESS_MMIO8,
		.shift = s->shift,
		.base = s->address,
	};
}

const struct pci_dev *uart_pick_pci_bdf(const struct pci *p, u16 seg, u8 bus, u8 dev, u8 fn)
{
	const struct pci_dev *d = pci_find_bdf(p, seg, bus, dev, fn);

	if (!d) {
		pr_err("console=%04x:%02x:%02x.%x: there is no such PCI function (the list above "
		       "has every function found); give a serial controller's address, or "
		       "console=pci for the first one\n", seg, bus, dev, fn);
		return NULL;
	}
	if (d->header_type != PCI_HEADER_NORMAL) {
		pr_err("console=%04x:%02x:%02x.%x is a bridge, not a UART\n", seg, bus, dev, fn);
		return NULL;
	}
	if (!is_16550(d))
		pr_warn("console=%04x:%02x:%02x.%x is class %02x%02x prog-if %02x (%s), not a 16550 "
			"serial controller (0700 prog-if 02): trying it as one\n", seg, bus, dev,
			fn, d->class, d->subclass, d->prog_if, pci_class_name(d->class, d->subclass));
	return d;
}

u16 uart_pick_guest_port(bool port_option, const struct uart_regs *con)
{
	static const u16 com[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

	if (con->access != UART_ACCESS_PIO)
		return 0x3f8;
	if (port_option)
		return (u16)con->base;	/* console=0xPORT: the guest finds it there, as ever */
	for (unsigned i = 0; i < sizeof(com) / sizeof(com[0]); i++)
		if (con->base == com[i])
			return com[i];
	return 0x3f8;	/* a PCI card's I/O BAR: the guest's COM1 */
}
