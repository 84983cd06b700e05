/* psci: PSCI over HVC #0 (run with 2 CPUs): VERSION, FEATURES, MIGRATE_INFO_TYPE,
 * AFFINITY_INFO, CPU_ON of the secondary CPU (which prints and returns into CPU_OFF), error
 * returns, and SYSTEM_OFF at the end. The CPUs never print at the same time: the primary
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
    printf("psci: done, SYSTEM_OFF\n");
    return 0;
}
