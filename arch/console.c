/* Which UART is uhv's console, decided once at boot after ACPI and PCI are known: console=, or
 * without it COM1 if a UART answers there, else the one ACPI SPCR names, else DBG2's first
 * 16550, else the first PCI serial controller. Says which and why; a console= that cannot be had is reported and the
 * same chain is taken. The log written before (on COM1, if anything) is replayed on the new
 * console. The device stays uhv's: the guest never sees it (docs/console.md). */
#define LOG_MODULE "console"
#include <uhv/console.h>
#include <uhv/uart.h>
#include <uhv/uart_pick.h>
#include <uhv/mmio.h>
#include <uhv/kmem.h>
#include <uhv/memmap.h>
#include <uhv/options.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/format.h>
#include <uhv/pci.h>
#include <uhv/acpi.h>

#define REGS_NAME_LEN 64

/* Map what needs mapping, then program it as the console. Memory the map calls RAM (or uhv's)
 * is no UART: the scratch test would pass on it and the output would vanish. */
static int try_regs(struct uart_regs *r, u32 baud)
{
	if (r->access != UART_ACCESS_PIO) {
		int type = memmap_type_at(kmem_memmap(), r->base);
		if (type != -ENOENT && type != MEMMAP_RESERVED) {
			pr_err("%#llx is %s in the memory map, not device memory: no UART there\n",
			       r->base, memmap_type_name((u32)type));
			return -EINVAL;
		}
		r->va = mmio_map(r->base, 8u << r->shift);
		if (!r->va)
			return -ENOMEM;
	}
	return uart_init_regs(r, baud);
}

static int from_pci(const struct pci_dev *d, const struct pci_cfg_ops *cfg, u32 baud,
		    char *why, size_t cap)
{
	struct uart_regs r;
	unsigned bar;
	char name[REGS_NAME_LEN];

	if (uart_pick_pci_bar(d, &r, &bar) < 0) {
		pr_err("PCI %02x:%02x.%x has no I/O or memory BAR a 16550 could be behind\n",
		       d->bus, d->dev, d->fn);
		return -ENODEV;
	}
	/* firmware may have left decode off on a card it does not use itself */
	u16 need = r.access == UART_ACCESS_PIO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	if (!(d->command & need))
		pci_write_command(cfg, d, d->command | need);
	int ret = try_regs(&r, baud);
	if (ret < 0) {
		pr_err("PCI %02x:%02x.%x %04x:%04x: no 16550 answers at BAR%u (%s)\n", d->bus,
		       d->dev, d->fn, d->vendor, d->device, bar, uart_regs_name(&r, name,
		       sizeof(name)));
		return ret;
	}
	ksnprintf(why, cap, "PCI %02x:%02x.%x %04x:%04x BAR%u", d->bus, d->dev, d->fn, d->vendor,
		  d->device, bar);
	return 0;
}

/* The UART of the SPCR table, or of DBG2 (its first 16550 debug port). */
static int from_table(bool dbg2, const struct acpi *acpi, const struct pci *pci,
		      const struct pci_cfg_ops *cfg, u32 baud, char *why, size_t cap)
{
	struct acpi_spcr_info s;
	struct uart_regs r;
	char name[REGS_NAME_LEN];
	const char *sig = dbg2 ? "DBG2" : "SPCR";
	int ret = dbg2 ? acpi_dbg2_parse(acpi_find_table(acpi, sig, 0), &s) :
			 acpi_spcr_parse(acpi_find_table(acpi, sig, 0), &s);

	if (ret < 0)
		return ret;
	uart_pick_spcr(&s, &r);
	if (s.pci) {
		const struct pci_dev *d = pci_find_bdf(pci, s.pci_seg, s.pci_bus, s.pci_dev,
						       s.pci_fn);
		/* SPCR's address is the BAR as firmware set it; enable decode as for console=pci */
		u16 need = s.mmio ? PCI_COMMAND_MEMORY : PCI_COMMAND_IO;
		if (d && !(d->command & need))
			pci_write_command(cfg, d, d->command | need);
	}
	ret = try_regs(&r, baud ? baud : s.baud);
	if (ret < 0) {
		pr_err("ACPI %s names a 16550 at %s, but none answers there\n", sig,
		       uart_regs_name(&r, name, sizeof(name)));
		return ret;
	}
	ksnprintf(why, cap, "ACPI %s (interface type %u%s)", sig, s.interface_type,
		  s.pci ? ", a PCI function" : "");
	return 0;
}

/* console= as given; < 0 when it could not be had (said). */
static int from_option(const struct uhv_options *o, const struct acpi *acpi,
		       const struct pci *pci, const struct pci_cfg_ops *cfg, char *why, size_t cap)
{
	const struct pci_dev *d;
	struct uart_regs r;
	char name[REGS_NAME_LEN];
	int ret;

	switch (o->console_kind) {
	case UHV_CONSOLE_PCI:
		d = uart_pick_pci_first(pci);
		if (!d) {
			pr_err("console=pci: no PCI serial controller (class 0700, prog-if 02-06) "
			       "in the list above\n");
			return -ENODEV;
		}
		return from_pci(d, cfg, o->console_baud, why, cap);
	case UHV_CONSOLE_PCI_BDF:
		d = uart_pick_pci_bdf(pci, o->console_seg, o->console_bus, o->console_dev,
				      o->console_fn);
		return d ? from_pci(d, cfg, o->console_baud, why, cap) : -ENODEV;
	case UHV_CONSOLE_MMIO:
	case UHV_CONSOLE_MMIO32:
		r = (struct uart_regs){ .base = o->console_addr,
			.access = o->console_kind == UHV_CONSOLE_MMIO ? UART_ACCESS_MMIO8 :
				  UART_ACCESS_MMIO32,
			.shift = o->console_kind == UHV_CONSOLE_MMIO ? 0 : 2 };
		ret = try_regs(&r, o->console_baud);
		if (ret < 0)
			pr_err("console=%s: no 16550 answers at %s\n", o->console_kind ==
			       UHV_CONSOLE_MMIO ? "mmio" : "mmio32", uart_regs_name(&r, name,
			       sizeof(name)));
		return ret;
	case UHV_CONSOLE_SPCR:
		ret = from_table(false, acpi, pci, cfg, o->console_baud, why, cap);
		if (ret == -ENOENT)
			pr_err("console=spcr: the firmware has no ACPI SPCR table\n");
		return ret;
	default:
		return -EINVAL;
	}
}

/* No console= (or one that failed): COM1, SPCR, DBG2, the first PCI serial controller. */
static int from_chain(bool com1, const struct acpi *acpi, const struct pci *pci,
		      const struct pci_cfg_ops *cfg, char *why, size_t cap)
{
	const struct pci_dev *d;

	/* COM1 as kmain set it up is left as it is: no reprogramming, no FIFO cleared */
	bool on_com1 = uart_present() && uart_port() == 0x3f8 && uart_divisor() == 1;
	if (com1 && (on_com1 || uart_init(0x3f8, 115200) == 0)) {
		ksnprintf(why, cap, "a UART answers at COM1");
		return 0;
	}
	if (from_table(false, acpi, pci, cfg, 0, why, cap) == 0 ||
	    from_table(true, acpi, pci, cfg, 0, why, cap) == 0)
		return 0;
	d = uart_pick_pci_first(pci);
	if (d && from_pci(d, cfg, 0, why, cap) == 0) {
		size_t n = strlen(why);
		ksnprintf(why + n, cap - n, ", the first PCI serial controller (no UART at COM1, "
			  "no usable SPCR or DBG2)");
		return 0;
	}
	return -ENODEV;
}

void console_setup(const struct uhv_options *o, bool com1, const struct acpi *acpi,
		   const struct pci *pci, const struct pci_cfg_ops *cfg)
{
	struct uart_regs before = *uart_console_regs();
	bool was_present = uart_present();
	char why[128] = "", name[REGS_NAME_LEN], opt[48];
	int ret = 0;

	if (o->console_kind == UHV_CONSOLE_PORT) {
		uart_early_replay(true);	/* switched (and replayed) in kmain */
		return;
	}
	if (o->console_kind != UHV_CONSOLE_AUTO) {
		if (was_present)
			pr_info("console=%s: the log continues there once it answers\n",
				options_console_name(o, opt, sizeof(opt)));
		ret = from_option(o, acpi, pci, cfg, why, sizeof(why));
		options_console_name(o, opt, sizeof(opt));
		if (ret < 0) {
			pr_err("console=%s cannot be had (see above): taking the default chain "
			       "(COM1, ACPI SPCR, DBG2, first PCI serial controller)\n", opt);
		} else {
			size_t n = strlen(why);
			ksnprintf(why + n, sizeof(why) - n, "%sconsole=%s", n ? ", " : "", opt);
		}
	}
	if (o->console_kind == UHV_CONSOLE_AUTO || ret < 0)
		ret = from_chain(com1, acpi, pci, cfg, why, sizeof(why));
	const struct uart_regs *now = uart_console_regs();
	bool same = was_present && ret == 0 && now->access == before.access &&
		    now->base == before.base;
	if (ret < 0) {
		uart_init(0x3f8, 115200);	/* nothing works: output dropped, as before */
		uart_early_replay(true);
		return;
	}
	if (!same)
		uart_early_replay(false);
	else
		uart_early_replay(true);
	pr_info("%s at %u baud (%s)\n", uart_regs_name(now, name, sizeof(name)),
		UART_CLOCK / (uart_divisor() ? uart_divisor() : 1), why);
}
