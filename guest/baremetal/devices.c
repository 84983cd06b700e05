/* devices: what Linux's drivers read from the virt board's devices - PrimeCell ID registers
 * of the PL011, PL031 and PL061 (the AMBA bus matches drivers on them), PL011 reset state and
 * its transmit interrupt delivered as SPI 1 (INTID 33) through the GICv3 distributor
 * (affinity routing, GICD_IROUTER), the PL031 registers that do not depend on the time of
 * day, and GICD_TYPER.ITLinesNumber. */
#include "rt.h"

#define UART 0x09000000ul
#define RTC 0x09010000ul
#define GPIO 0x09030000ul
#define GICD 0x08000000ul
#define GICR 0x080a0000ul
#define GICR_SGI (GICR + 0x10000)
#define INTID_UART 33

static volatile int aborts;

static void primecell_ids(const char *name, u64 base)
{
    int before = aborts;
    u32 id[8];
    for (int i = 0; i < 8; i++)
        id[i] = mmio_read32(base + 0xfe0 + 4 * (u64)i) & 0xff;
    if (aborts != before) {
        printf("%s ids: external abort\n", name);
        return;
    }
    printf("%s ids:", name);
    for (int i = 0; i < 8; i++)
        printf(" %02x", id[i]);
    printf("\n");
}

static volatile struct {
    int count;
    u32 intid, mis, ris_after;
} irq;

static int handler(exc_frame *f, int vec)
{
    if (vec == (VEC_CUR_SPX | VEC_SYNC) && esr_ec(f->esr) == 0x25 && (esr_iss(f->esr) & 0x3f) == 0x10) {
        aborts++; /* no device there: skip the load */
        f->elr += 4;
        return 1;
    }
    if (vec != (VEC_CUR_SPX | VEC_IRQ))
        return 0;
    u64 iar = read_sysreg(icc_iar1_el1);
    irq.intid = (u32)iar & 0xffffff;
    if (irq.intid == INTID_UART) {
        irq.mis = mmio_read32(UART + 0x40);
        mmio_write32(UART + 0x38, 0);      /* UARTIMSC: mask everything */
        mmio_write32(UART + 0x44, 0x7ff);  /* UARTICR: clear everything */
        irq.ris_after = mmio_read32(UART + 0x3c) & ~0x20u; /* TX may re-assert at once */
    }
    write_sysreg(icc_eoir1_el1, iar);
    isb();
    irq.count++;
    return 1;
}

int main(void)
{
    printf("devices: start\n");
    rt_set_handler(handler);
    primecell_ids("pl011", UART);
    primecell_ids("pl031", RTC);

    printf("pl011: FR %x CR %x LCR_H %x IFLS %x IMSC %x\n", mmio_read32(UART + 0x18) & 0x1f8,
           mmio_read32(UART + 0x30), mmio_read32(UART + 0x2c), mmio_read32(UART + 0x34),
           mmio_read32(UART + 0x38));
    mmio_write32(UART + 0x24, 13); /* IBRD */
    mmio_write32(UART + 0x28, 1);  /* FBRD */
    printf("pl011: IBRD %u FBRD %u\n", mmio_read32(UART + 0x24), mmio_read32(UART + 0x28));

    u32 dr = mmio_read32(RTC + 0x00);
    printf("pl031: DR nonzero %d, LR %x CR %x IMSC %x RIS %x\n", dr != 0, mmio_read32(RTC + 0x08),
           mmio_read32(RTC + 0x0c), mmio_read32(RTC + 0x10), mmio_read32(RTC + 0x14));

    u32 typer = mmio_read32(GICD + 0x0004);
    printf("GICD_TYPER.ITLinesNumber %u\n", typer & 0x1f);

    /* GIC: distributor with affinity routing, redistributor awake, CPU interface on */
    gic_init_cpu0();
    /* SPI 1 = INTID 33: level, group 1, priority 0x80, routed to affinity 0.0.0.0, enabled */
    mmio_write32(GICD + 0x0c08, mmio_read32(GICD + 0x0c08) & ~(3u << 2));
    gic_enable_spi_cpu0(INTID_UART);
    printf("GICD: IGROUPR1 bit %u ISENABLER1 bit %u IROUTER33 %lx IPRIORITYR33 %x\n",
           (mmio_read32(GICD + 0x0084) >> 1) & 1, (mmio_read32(GICD + 0x0104) >> 1) & 1,
           mmio_read64(GICD + 0x6000 + 8 * INTID_UART), mmio_read32(GICD + 0x0420) >> 8 & 0xff);

    /* PL011 transmit interrupt: unmask TXIM with IRQs masked at the CPU, write, then take it */
    mmio_write32(UART + 0x44, 0x7ff);
    mmio_write32(UART + 0x38, 1u << 5);
    uart_putc('*');
    uart_putc('\n');
    u32 ris = mmio_read32(UART + 0x3c), mis = mmio_read32(UART + 0x40);
    u32 pend = (mmio_read32(GICD + 0x0204) >> 1) & 1;
    u64 isr = read_sysreg(isr_el1);
    __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
    printf("pl011 TX irq: RIS %x MIS %x GICD pending %u ISR_EL1.I %lu -> irqs %d intid %u MIS-in-handler %x RIS-after-clear %x\n",
           ris & 0x7ff, mis & 0x7ff, pend, (isr >> 7) & 1, irq.count, irq.intid, irq.mis & 0x7ff,
           irq.ris_after & 0x7ff);
    printf("after: GICD pending %u IMSC %x\n", (mmio_read32(GICD + 0x0204) >> 1) & 1,
           mmio_read32(UART + 0x38));
    primecell_ids("pl061", GPIO);
    printf("devices: done\n");
    return 0;
}
