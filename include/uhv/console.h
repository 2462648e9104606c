/* uhv's console: which UART, decided at boot (arch/console.c, docs/console.md). */
#ifndef UHV_CONSOLE_H
#define UHV_CONSOLE_H

#include <uhv/types.h>

struct uhv_options;
struct acpi;
struct pci;
struct pci_cfg_ops;

/* After ACPI and PCI are known: the console= UART, or the default chain (COM1 if com1, i.e. a
 * UART answered there at boot; ACPI SPCR; the first PCI serial controller). Says which and why,
 * and replays the early log on a console it had not gone to. */
void console_setup(const struct uhv_options *o, bool com1, const struct acpi *acpi,
		   const struct pci *pci, const struct pci_cfg_ops *cfg);

#endif
