/* clock: prints raw counter values, spin counts and a two-CPU race - numbers that depend on
 * timing. Under QEMU they change from run to run; under `capvisor run --deterministic`
 * (time derived from instructions retired, CPUs scheduled round-robin) every run must print
 * the same. Not part of the QEMU differential test; run with 2 CPUs. */
#include "rt.h"

static u64 stack1[1024] __attribute__((aligned(16)));
static volatile u64 shared_count, stop, started;

static void secondary(u64 arg)
{
    started = 1;
    while (!stop)
        shared_count += arg;
}

int main(void)
{
    printf("clock: start\n");
    u64 t0 = read_sysreg(cntvct_el0);
    for (volatile int i = 0; i < 100000; i++)
        ;
    u64 t1 = read_sysreg(cntvct_el0);
    printf("counter at start %lu, 100000-iteration loop took %lu ticks\n", t0, t1 - t0);

    write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + 2000);
    write_sysreg(cntv_ctl_el0, 3); /* enabled, interrupt masked */
    isb();
    u64 spins = 0;
    while (!(read_sysreg(cntv_ctl_el0) & 4))
        spins++;
    printf("spins until CNTV ISTATUS: %lu\n", spins);
    write_sysreg(cntv_ctl_el0, 0);

    long r = psci_cpu_on(1, secondary, 3, stack1 + 1024);
    while (!started)
        ;
    for (volatile int i = 0; i < 50000; i++)
        ;
    stop = 1;
    dsb(sy);
    u64 snapshot = shared_count;
    while (hvc_call(PSCI_AFFINITY_INFO, 1, 0, 0) != 1)
        ;
    printf("CPU_ON %ld; cpu1 counted %lu while cpu0 looped (final %lu)\n", r, snapshot,
           shared_count);
    printf("counter at end %lu\n", read_sysreg(cntvct_el0));
    printf("clock: done\n");
    return 0;
}
