#include "rt.h"

#define UART_BASE 0x09000000ul
#define UARTDR 0x00
#define UARTFR 0x18
#define UARTFR_TXFF (1u << 5)

void uart_putc(char c)
{
    while (mmio_read32(UART_BASE + UARTFR) & UARTFR_TXFF)
        ;
    mmio_write32(UART_BASE + UARTDR, (u8)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}
