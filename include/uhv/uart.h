/* 16550 UART, polled (drivers/uart16550.c). */
#ifndef UHV_UART_H
#define UHV_UART_H

#include <uhv/types.h>

/* 16550 register offsets from the I/O base */
#define UART_THR	0	/* transmit holding (write) */
#define UART_RBR	0	/* receive buffer (read) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1	/* interrupt enable */
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_FCR	2	/* FIFO control (write) */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_SCR	7	/* scratch */

#define UART_LCR_8N1	0x03
#define UART_LCR_DLAB	0x80
#define UART_LSR_DR	0x01	/* data ready */
#define UART_LSR_THRE	0x20	/* transmit holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty: last bit left the wire */

#define UART_CLOCK	115200	/* divisor base */

/* Program the port; returns -ENODEV if no UART answers there (output is then dropped). */
int uart_init(u16 port, u32 baud);
void uart_putc(char c);
void uart_write(const char *s, size_t len);
/* Wait until the transmitter is empty (LSR.TEMT), bounded. */
void uart_flush(void);
/* -1 when no byte is waiting */
int uart_getc(void);
u16 uart_port(void);
/* The baud rate divisor uart_init() programmed. */
u16 uart_divisor(void);

#endif
