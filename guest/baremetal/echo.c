/* echo: the PL011 receive path, as an interactive console uses it. Reads one line by polling
 * UARTFR.RXFE and UARTDR (FIFOs off, as at reset), then a second line through the receive interrupt (SPI 1 =
 * INTID 33 via the GICv3 distributor), and prints both back in capitals. The test feeds
 * "hello, capvisor\nsecond line\n" on standard input to QEMU and to Capvisor. */
#include "rt.h"

#define UART 0x09000000ul
#define UARTDR 0x00
#define UARTFR 0x18
#define UARTLCR_H 0x2c
#define UARTIMSC 0x38
#define UARTRIS 0x3c
#define UARTMIS 0x40
#define UARTICR 0x44
#define GICD 0x08000000ul
#define INTID_UART 33

static char line2[128];
static volatile int len2, done2, errors2;
static volatile u32 mis_seen;

static int handler(exc_frame *f, int vec)
{
    if (vec != (VEC_CUR_SPX | VEC_IRQ))
        return 0;
    u64 iar = read_sysreg(icc_iar1_el1);
    if (((u32)iar & 0xffffff) == INTID_UART) {
        mis_seen |= mmio_read32(UART + UARTMIS);
        /* clear first, then drain: a character arriving after the drain raises the interrupt
         * again (clearing after the drain could swallow that and leave it unread) */
        mmio_write32(UART + UARTICR, (1u << 4) | (1u << 6));
        while (!(mmio_read32(UART + UARTFR) & (1u << 4))) {
            u32 d = mmio_read32(UART + UARTDR);
            if (d & 0xf00)
                errors2++;
            char c = (char)(d & 0xff);
            if (c == '\n')
                done2 = 1;
            else if (len2 < (int)sizeof(line2) - 1)
                line2[len2++] = c;
        }
    }
    write_sysreg(icc_eoir1_el1, iar);
    isb();
    return 1;
}

static void upper_print(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        char c = s[i];
        uart_putc(c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
    }
}

int main(void)
{
    printf("echo: type two lines\n");
    rt_set_handler(handler);
    /* FIFOs stay off (reset state): toggling UARTLCR_H.FEN flushes the receive FIFO, and input
     * may already be waiting, so changing it would lose input depending on timing. */

    /* line 1: polling */
    static char line1[128];
    int n = 0, errors = 0;
    for (;;) {
        while (mmio_read32(UART + UARTFR) & (1u << 4))
            ;
        u32 d = mmio_read32(UART + UARTDR);
        if (d & 0xf00)
            errors++;
        char c = (char)(d & 0xff);
        if (c == '\n')
            break;
        if (n < (int)sizeof(line1) - 1)
            line1[n++] = c;
    }
    printf("polled %d bytes, %d errors: ", n, errors);
    upper_print(line1, n);
    printf("\n");

    /* line 2: receive interrupt */
    gic_init_cpu0();
    gic_enable_spi_cpu0(INTID_UART);
    /* no UARTICR write here: a character may already be waiting, and clearing its interrupt
     * would leave nothing to raise it again */
    mmio_write32(UART + UARTIMSC, (1u << 4) | (1u << 6)); /* RXIM, RTIM */
    while (!done2) {
        while (!(read_sysreg(isr_el1) & 0x80))
            __asm__ volatile("wfi" : : : "memory");
        __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
    }
    mmio_write32(UART + UARTIMSC, 0);
    printf("by interrupt %d bytes, %d errors, MIS had RX %u: ", len2, errors2,
           (mis_seen >> 4) & 1);
    upper_print(line2, len2);
    printf("\necho: done\n");
    return 0;
}
