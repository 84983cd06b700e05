/* psci: PSCI over HVC #0 (run with 2 CPUs): VERSION, FEATURES, MIGRATE_INFO_TYPE,
 * AFFINITY_INFO, CPU_ON of the secondary CPU (which prints and returns into CPU_OFF), error
 * returns, SGIs from one CPU to the other, and SYSTEM_OFF at the end. The CPUs never print at the same time: the primary
 * waits for the secondary's flag and for AFFINITY_INFO to report it OFF. */
#include "rt.h"

static u64 stack1[1024] __attribute__((aligned(16)));
static volatile u64 done_flag;
static volatile u64 seen_arg;

static void secondary(u64 arg)
{
    u64 mpidr = read_sysreg(mpidr_el1);
    printf("cpu%lu: up at EL%lu, MPIDR %lx, arg %lx, SPSel %lu, DAIF %lx\n", mpidr & 0xff,
           read_sysreg(CurrentEL) >> 2, mpidr, arg, read_sysreg(spsel), read_sysreg(daif) >> 6);
    printf("cpu%lu: AFFINITY_INFO(self) %ld\n", mpidr & 0xff, hvc_call(PSCI_AFFINITY_INFO, mpidr & 0xff, 0, 0));
    seen_arg = arg;
    dsb(sy);
    done_flag = 1;
    dsb(sy);
    /* returning enters CPU_OFF (rt/start.S) */
}

static void wait_off(u64 cpu)
{
    while (!done_flag)
        __asm__ volatile("yield" : : : "memory");
    long st;
    int polls = 0;
    while ((st = hvc_call(PSCI_AFFINITY_INFO, cpu, 0, 0)) != 1 && polls < 10000000)
        polls++;
    printf("cpu%lu reported OFF: %s\n", cpu, st == 1 ? "yes" : "no");
    done_flag = 0;
}

/* ---- SGIs between the CPUs (GICv3, affinity routing) ---- */
#define GICD 0x08000000ul
#define GICR_BASE(cpu) (0x080a0000ul + 0x20000ul * (cpu))
#define SGI_FRAME(cpu) (GICR_BASE(cpu) + 0x10000ul)

static volatile u32 sgi_intid[2];
static volatile int sgi_count[2];
static volatile u64 ready_flag;

static int irq_handler(exc_frame *f, int vec)
{
    if (vec != (VEC_CUR_SPX | VEC_IRQ))
        return 0;
    u64 cpu = read_sysreg(mpidr_el1) & 0xff;
    u64 iar = read_sysreg(icc_iar1_el1);
    sgi_intid[cpu & 1] = (u32)iar & 0xffffff;
    sgi_count[cpu & 1]++;
    write_sysreg(icc_eoir1_el1, iar);
    isb();
    return 1;
}

static void gic_cpu_init(u64 cpu, u32 sgi)
{
    mmio_write32(GICR_BASE(cpu) + 0x14, mmio_read32(GICR_BASE(cpu) + 0x14) & ~2u);
    while (mmio_read32(GICR_BASE(cpu) + 0x14) & 4u)
        ;
    mmio_write32(SGI_FRAME(cpu) + 0x80, 0xffffffffu);      /* group 1 */
    mmio_write32(SGI_FRAME(cpu) + 0x400, 0x80808080u);     /* priorities of INTIDs 0-3 */
    mmio_write32(SGI_FRAME(cpu) + 0x100, 1u << sgi);       /* enable */
    write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
    isb();
    write_sysreg(icc_pmr_el1, 0xf0);
    write_sysreg(icc_igrpen1_el1, 1);
    isb();
}

static void wait_and_take_irq(void)
{
    while (!(read_sysreg(isr_el1) & 0x80))
        __asm__ volatile("wfi" : : : "memory");
    __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
}

static void sgi_secondary(u64 arg)
{
    gic_cpu_init(1, 2);
    ready_flag = 1;
    dsb(sy);
    wait_and_take_irq();
    printf("cpu1: IRQ count %d INTID %u\n", sgi_count[1], sgi_intid[1]);
    /* SGI 3 back to CPU 0: target list bit 0, affinity 0.0.0 */
    write_sysreg(icc_sgi1r_el1, (3ul << 24) | 1);
    isb();
    done_flag = 1;
    dsb(sy);
}

static void sgi_test(void)
{
    rt_set_handler(irq_handler);
    mmio_write32(GICD, (1u << 4) | (1u << 1));
    while (mmio_read32(GICD) & (1u << 31))
        ;
    gic_cpu_init(0, 3);
    long r = psci_cpu_on(1, sgi_secondary, 0, stack1 + 1024);
    while (!ready_flag)
        __asm__ volatile("yield" : : : "memory");
    /* SGI 2 to CPU 1: target list bit 1 */
    write_sysreg(icc_sgi1r_el1, (2ul << 24) | 2);
    isb();
    while (!done_flag)
        __asm__ volatile("yield" : : : "memory");
    wait_and_take_irq();
    printf("cpu0: CPU_ON %ld, IRQ count %d INTID %u\n", r, sgi_count[0], sgi_intid[0]);
    wait_off(1);
}

int main(void)
{
    printf("psci: start\n");
    long v = hvc_call(PSCI_VERSION, 0, 0, 0);
    printf("PSCI_VERSION %ld.%ld\n", v >> 16, v & 0xffff);

    static const struct { const char *name; u32 id; } fns[] = {
        {"PSCI_VERSION", 0x84000000u}, {"CPU_SUSPEND", 0x84000001u}, {"CPU_SUSPEND64", 0xc4000001u},
        {"CPU_OFF", 0x84000002u}, {"CPU_ON", 0x84000003u}, {"CPU_ON64", 0xc4000003u},
        {"AFFINITY_INFO", 0x84000004u}, {"AFFINITY_INFO64", 0xc4000004u},
        {"MIGRATE", 0x84000005u}, {"MIGRATE64", 0xc4000005u},
        {"MIGRATE_INFO_TYPE", 0x84000006u}, {"MIGRATE_INFO_UP_CPU", 0x84000007u},
        {"SYSTEM_OFF", 0x84000008u}, {"SYSTEM_RESET", 0x84000009u},
        {"PSCI_FEATURES", 0x8400000au}, {"CPU_FREEZE", 0x8400000bu},
        {"SYSTEM_SUSPEND64", 0xc400000eu}, {"SYSTEM_RESET2", 0x84000012u},
        {"unknown 0x8400001f", 0x8400001fu}, {"SMCCC_VERSION", 0x80000000u},
    };
    for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        printf("PSCI_FEATURES(%s) %ld\n", fns[i].name, hvc_call(PSCI_FEATURES, fns[i].id, 0, 0));

    printf("MIGRATE_INFO_TYPE %ld\n", hvc_call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0));
    printf("AFFINITY_INFO(0) %ld\n", hvc_call(PSCI_AFFINITY_INFO, 0, 0, 0));
    printf("AFFINITY_INFO(1) %ld\n", hvc_call(PSCI_AFFINITY_INFO, 1, 0, 0));
    printf("AFFINITY_INFO(7) %ld\n", hvc_call(PSCI_AFFINITY_INFO, 7, 0, 0));
    printf("AFFINITY_INFO(1, level 1) %ld\n", hvc_call(PSCI_AFFINITY_INFO, 1, 1, 0));
    printf("MPIDR_EL1 of cpu0 %lx\n", read_sysreg(mpidr_el1));

    long r = psci_cpu_on(1, secondary, 0x1234, stack1 + 1024);
    wait_off(1);
    printf("CPU_ON(1) %ld, secondary saw arg %lx\n", r, seen_arg);

    r = psci_cpu_on(1, secondary, 0x5678, stack1 + 1024);
    wait_off(1);
    printf("CPU_ON(1) again %ld, secondary saw arg %lx\n", r, seen_arg);

    printf("CPU_ON(0) %ld\n", psci_cpu_on(0, secondary, 0, stack1 + 1024));
    printf("CPU_ON(5) %ld\n", psci_cpu_on(5, secondary, 0, stack1 + 1024));
    sgi_test();
    printf("psci: done, SYSTEM_OFF\n");
    return 0;
}
