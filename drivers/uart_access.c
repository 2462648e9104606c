/* A 16550's registers, reached as struct uart_regs says: I/O ports (COM1, PCI I/O BARs), or
 * memory-mapped bytes or dwords with a register stride (PCI memory BARs, Intel LPSS, what
 * ACPI SPCR describes). A dword register carries the 8-bit register in its low byte; the
 * upper bytes are written as zero, as Linux's mmio32 earlycon does. */
#include <uhv/uart.h>
#include <uhv/io.h>
#include <uhv/format.h>

u8 uart_regs_read(const struct uart_regs *r, unsigned reg)
{
	unsigned off = uart_reg_offset(r, reg);

	switch (r->access) {
	case UART_ACCESS_MMIO8:
		return *(r->va + off);
	case UART_ACCESS_MMIO32:
		return (u8)*(const volatile u32 *)(r->va + off);
	default:
		return inb((u16)(r->base + off));
	}
}

void uart_regs_write(const struct uart_regs *r, unsigned reg, u8 val)
{
	unsigned off = uart_reg_offset(r, reg);

	switch (r->access) {
	case UART_ACCESS_MMIO8:
		*(r->va + off) = val;
		break;
	case UART_ACCESS_MMIO32:
		*(volatile u32 *)(r->va + off) = val;
		break;
	default:
		outb((u16)(r->base + off), val);
		break;
	}
}

const char *uart_regs_name(const struct uart_regs *r, char *buf, size_t cap)
{
	if (r->access == UART_ACCESS_PIO)
		ksnprintf(buf, cap, "port %#llx", r->base);
	else
		ksnprintf(buf, cap, "%s %#llx (register shift %u)",
			  r->access == UART_ACCESS_MMIO32 ? "mmio32" : "mmio", r->base, r->shift);
	return buf;
}
