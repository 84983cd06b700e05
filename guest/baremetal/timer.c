/* timer: GICv3 (distributor 0x08000000, redistributor 0x080a0000) and the generic timer.
 * Wakes the redistributor, enables PPIs 30 (CNTP) and 27 (CNTV) and SGI 1, and takes the
 * interrupts as IRQ exceptions: IAR1 gives the INTID, EOIR1 ends it. Prints INTIDs,
 * states and counts only - never times, which differ between emulators. */
#include "rt.h"

#define GICD 0x08000000ul
#define GICD_CTLR 0x0000
#define GICD_PIDR2 0xffe8
#define GICR 0x080a0000ul /* CPU 0 RD_base */
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI (GICR + 0x10000)
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ISPENDR0 0x0200
#define GICR_IPRIORITYR 0x0400

#define INTID_SGI 1
#define INTID_CNTV 27
#define INTID_CNTP 30

static volatile struct {
    int count;
    u32 intid;
    u64 ctl, rpr, hppir_none;
    s64 tval;
} irq;

static volatile int irq_vec;
static volatile u64 irq_spsr;

static int handler(exc_frame *f, int vec)
{
    if (vec != (VEC_CUR_SPX | VEC_IRQ) && vec != (VEC_LOWER_A64 | VEC_IRQ))
        return 0;
    irq_vec = vec;
    irq_spsr = f->spsr;
    u64 iar = read_sysreg(icc_iar1_el1);
    irq.intid = (u32)iar & 0xffffff;
    irq.rpr = read_sysreg(icc_rpr_el1);
    if (irq.intid == INTID_CNTP) {
        irq.ctl = read_sysreg(cntp_ctl_el0);
        irq.tval = (s32)read_sysreg(cntp_tval_el0);
        write_sysreg(cntp_ctl_el0, 0); /* deassert the level-sensitive PPI before EOI */
    } else if (irq.intid == INTID_CNTV) {
        irq.ctl = read_sysreg(cntv_ctl_el0);
        irq.tval = (s32)read_sysreg(cntv_tval_el0);
        write_sysreg(cntv_ctl_el0, 2); /* enable=0, IMASK=1 */
    } else {
        irq.ctl = 0;
        irq.tval = 0;
    }
    isb();
    irq.hppir_none = read_sysreg(icc_hppir1_el1) & 0xffffff;
    write_sysreg(icc_eoir1_el1, iar);
    isb();
    irq.count++;
    return 1;
}

/* WFI until an IRQ is pending (it wakes WFI even while masked), then unmask and let it be
 * taken: the number of interrupts taken does not depend on how long anything took. */
static void take_irq(const char *what)
{
    int before = irq.count;
    while (!(read_sysreg(isr_el1) & 0x80))
        __asm__ volatile("wfi" : : : "memory");
    u32 pend = mmio_read32(GICR_SGI + GICR_ISPENDR0);
    __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
    printf("%-6s irqs %d intid %u pending-bit %u ctl %lx tval<=0 %d rpr-in-handler %lx "
           "hppir-in-handler %lu rpr-after %lx\n",
           what, irq.count - before, irq.intid, (pend >> irq.intid) & 1, irq.ctl, irq.tval <= 0,
           irq.rpr, irq.hppir_none, read_sysreg(icc_rpr_el1));
}

/* Runs at EL0 (the MMU is off, so EL0 may read this program's data): spins until the IRQ
 * handler has counted one more interrupt. */
static u64 el0_wait(u64 before)
{
    while ((u64)irq.count == before)
        ;
    return (u64)irq.count;
}

int main(void)
{
    printf("timer: start\n");
    rt_set_handler(handler);

    u32 pidr2 = mmio_read32(GICD + GICD_PIDR2);
    u64 rtyper = mmio_read64(GICR + GICR_TYPER);
    printf("GICD_PIDR2.ArchRev %u, GICR_TYPER: affinity %lx processor %lu last %lu\n",
           (pidr2 >> 4) & 0xf, rtyper >> 32, (rtyper >> 8) & 0xffff, (rtyper >> 4) & 1);

    /* distributor: affinity routing, group 1 enabled (single security state) */
    mmio_write32(GICD + GICD_CTLR, (1u << 4) | (1u << 1));
    while (mmio_read32(GICD + GICD_CTLR) & (1u << 31))
        ;
    printf("GICD_CTLR %x\n", mmio_read32(GICD + GICD_CTLR));

    /* redistributor: wake up */
    u32 waker = mmio_read32(GICR + GICR_WAKER);
    printf("GICR_WAKER at reset %x\n", waker);
    mmio_write32(GICR + GICR_WAKER, waker & ~2u);
    while (mmio_read32(GICR + GICR_WAKER) & 4u)
        ;
    printf("GICR_WAKER awake %x\n", mmio_read32(GICR + GICR_WAKER));

    mmio_write32(GICR_SGI + GICR_IGROUPR0, 0xffffffffu);
    for (u32 i = 0; i < 8; i++)
        mmio_write32(GICR_SGI + GICR_IPRIORITYR + 4 * i, 0x80808080u);
    mmio_write32(GICR_SGI + GICR_ICENABLER0, 0xffffffffu);
    mmio_write32(GICR_SGI + GICR_ISENABLER0,
                 (1u << INTID_SGI) | (1u << INTID_CNTV) | (1u << INTID_CNTP));
    printf("GICR_ISENABLER0 %x\n", mmio_read32(GICR_SGI + GICR_ISENABLER0));

    /* CPU interface */
    write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
    isb();
    write_sysreg(icc_pmr_el1, 0xf0);
    write_sysreg(icc_bpr1_el1, 0);
    write_sysreg(icc_igrpen1_el1, 1);
    isb();
    printf("ICC_SRE_EL1.SRE %lu ICC_PMR_EL1 %lx ICC_IGRPEN1_EL1 %lx\n",
           read_sysreg(icc_sre_el1) & 1, read_sysreg(icc_pmr_el1), read_sysreg(icc_igrpen1_el1));
    printf("idle: IAR1 %lu RPR %lx HPPIR1 %lu\n", read_sysreg(icc_iar1_el1) & 0xffffff,
           read_sysreg(icc_rpr_el1), read_sysreg(icc_hppir1_el1) & 0xffffff);

    u64 frq = read_sysreg(cntfrq_el0);
    int before;
    printf("CNTFRQ_EL0 %lu\n", frq);
    u64 t0 = read_sysreg(cntpct_el0);
    u64 t1 = read_sysreg(cntpct_el0);
    printf("CNTPCT monotonic %d\n", t1 >= t0);

    /* physical timer: a few ticks, each 100 us ahead */
    for (int i = 0; i < 4; i++) {
        write_sysreg(cntp_tval_el0, frq / 10000);
        write_sysreg(cntp_ctl_el0, 1);
        isb();
        take_irq("cntp");
    }
    /* virtual timer with an absolute compare value */
    for (int i = 0; i < 3; i++) {
        write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + frq / 5000);
        write_sysreg(cntv_ctl_el0, 1);
        isb();
        take_irq("cntv");
    }
    /* a timer whose compare value is already in the past fires at once */
    write_sysreg(cntp_cval_el0, 0);
    write_sysreg(cntp_ctl_el0, 1);
    isb();
    take_irq("past");
    /* masked timer: ISTATUS set, no interrupt */
    write_sysreg(cntp_cval_el0, 0);
    write_sysreg(cntp_ctl_el0, 3);
    isb();
    printf("masked: CNTP_CTL %lx ISR_EL1.I %lu\n", read_sysreg(cntp_ctl_el0),
           (read_sysreg(isr_el1) >> 7) & 1);
    write_sysreg(cntp_ctl_el0, 0);
    isb();
    /* software-generated interrupt to this CPU (Aff0 target list bit 0) */
    write_sysreg(icc_sgi1r_el1, ((u64)INTID_SGI << 24) | 1);
    isb();
    take_irq("sgi");

    /* priority: PMR masks an interrupt whose priority is not higher (lower value) than it;
     * with two pending, the higher-priority one is acknowledged first */
    mmio_write32(GICR_SGI + GICR_IPRIORITYR + 0, 0x80804080u); /* INTID 1 -> 0x40 */
    write_sysreg(icc_pmr_el1, 0x80);
    isb();
    write_sysreg(cntp_cval_el0, 0);
    write_sysreg(cntp_ctl_el0, 1);
    isb();
    while (!((mmio_read32(GICR_SGI + GICR_ISPENDR0) >> INTID_CNTP) & 1))
        ;
    printf("PMR 0x80, CNTP (prio 0x80) pending: ISR_EL1.I %lu HPPIR1 %lu\n",
           (read_sysreg(isr_el1) >> 7) & 1, read_sysreg(icc_hppir1_el1) & 0xffffff);
    write_sysreg(icc_sgi1r_el1, ((u64)INTID_SGI << 24) | 1);
    isb();
    while (!((mmio_read32(GICR_SGI + GICR_ISPENDR0) >> INTID_SGI) & 1))
        ;
    printf("SGI 1 (prio 0x40) pending too: ISR_EL1.I %lu HPPIR1 %lu\n",
           (read_sysreg(isr_el1) >> 7) & 1, read_sysreg(icc_hppir1_el1) & 0xffffff);
    before = irq.count;
    __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
    u32 first = irq.intid;
    printf("taken with PMR 0x80: irqs %d intid %u\n", irq.count - before, first);
    write_sysreg(icc_pmr_el1, 0xf0);
    isb();
    before = irq.count;
    __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
    printf("taken with PMR 0xf0: irqs %d intid %u\n", irq.count - before, irq.intid);
    mmio_write32(GICR_SGI + GICR_IPRIORITYR + 0, 0x80808080u);

    /* an interrupt taken from EL0 (EL0t with IRQs unmasked): vector "IRQ, lower EL" */
    static u64 el0_stack[256] __attribute__((aligned(16)));
    before = irq.count;
    write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + frq / 5000);
    write_sysreg(cntv_ctl_el0, 1);
    isb();
    u64 seen = run_el0_spsr(el0_wait, (u64)before, el0_stack + 256, 0x0);
    printf("el0: irqs %d intid %u vector %s SPSR.M %lx SPSR.DAIF %lx el0 saw %d\n",
           irq.count - before, irq.intid, irq_vec == (VEC_LOWER_A64 | VEC_IRQ) ? "irq/lower-a64" : "other",
           irq_spsr & 0xf, (irq_spsr >> 6) & 0xf, (int)seen - before);

    printf("total irqs %d\n", irq.count);
    printf("timer: done\n");
    return 0;
}
