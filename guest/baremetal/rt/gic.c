/* GICv3 bring-up shared by the programs that take device interrupts on CPU 0. */
#include "rt.h"

#define GICD 0x08000000ul
#define GICR 0x080a0000ul

void gic_init_cpu0(void)
{
    /* distributor: affinity routing, group 1 enabled; wait for the write to take effect */
    mmio_write32(GICD, (1u << 4) | (1u << 1));
    while (mmio_read32(GICD) & (1u << 31))
        ;
    /* redistributor 0: clear ProcessorSleep, wait until ChildrenAsleep clears */
    mmio_write32(GICR + 0x14, mmio_read32(GICR + 0x14) & ~2u);
    while (mmio_read32(GICR + 0x14) & 4u)
        ;
    write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
    isb();
    write_sysreg(icc_pmr_el1, 0xf0);
    write_sysreg(icc_igrpen1_el1, 1);
    isb();
}

void gic_enable_spi_cpu0(unsigned intid)
{
    u32 bit = 1u << (intid % 32);
    mmio_write32(GICD + 0x0080 + 4 * (intid / 32), mmio_read32(GICD + 0x0080 + 4 * (intid / 32)) | bit);
    /* priority 0x80 for the whole IPRIORITYR word holding intid */
    mmio_write32(GICD + 0x0400 + (intid & ~3u), 0x80808080u);
    mmio_write64(GICD + 0x6000 + 8 * intid, 0);
    mmio_write32(GICD + 0x0100 + 4 * (intid / 32), bit);
}
