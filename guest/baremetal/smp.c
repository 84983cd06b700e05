/* smp: two CPUs contending on shared memory (run with 2 CPUs). Atomic increments with
 * LDAXR/STLXR retry loops, a ticket-free spinlock (LDAXR/STXR + STLR) around a plain
 * read-modify-write, and a message passed with release/acquire. Only final values are printed,
 * so the transcript is the same however the CPUs interleave - and wrong if a store by one CPU
 * fails to clear the other's exclusive monitor. */
#include "rt.h"

#define ITER 20000

static u64 stack1[1024] __attribute__((aligned(16)));
static volatile u64 atomic_counter __attribute__((aligned(64)));
static volatile u64 lock __attribute__((aligned(64)));
static volatile u64 plain_counter __attribute__((aligned(64)));
static volatile u64 go, finished[2];
static volatile u64 message, message_ready;

static void atomic_add(volatile u64 *p, u64 v)
{
    u64 tmp, st;
    __asm__ volatile("1: ldaxr %0, [%2]\n\tadd %0, %0, %3\n\tstlxr %w1, %0, [%2]\n\tcbnz %w1, 1b"
                     : "=&r"(tmp), "=&r"(st) : "r"(p), "r"(v) : "memory");
}

static void spin_lock(volatile u64 *l)
{
    u64 tmp, st;
    __asm__ volatile("1: ldaxr %0, [%2]\n\tcbnz %0, 1b\n\tstxr %w1, %3, [%2]\n\tcbnz %w1, 1b"
                     : "=&r"(tmp), "=&r"(st) : "r"(l), "r"(1ul) : "memory");
}

static void spin_unlock(volatile u64 *l) { __asm__ volatile("stlr xzr, [%0]" : : "r"(l) : "memory"); }

static void work(u64 cpu)
{
    while (!go)
        ;
    for (int i = 0; i < ITER; i++) {
        atomic_add(&atomic_counter, cpu + 1);
        spin_lock(&lock);
        plain_counter = plain_counter + 1;
        spin_unlock(&lock);
    }
    dsb(sy);
    finished[cpu] = 1;
}

static void secondary(u64 arg)
{
    work(1);
    /* wait for the message published with a store-release */
    u64 ready;
    do
        __asm__ volatile("ldar %0, [%1]" : "=r"(ready) : "r"(&message_ready) : "memory");
    while (!ready);
    u64 m = message;
    atomic_add(&atomic_counter, m);
    dsb(sy);
    finished[1] = 2;
}

int main(void)
{
    printf("smp: start\n");
    long r = psci_cpu_on(1, secondary, 0, stack1 + 1024);
    go = 1;
    dsb(sy);
    work(0);
    while (finished[1] != 1)
        ;
    message = 1000000;
    __asm__ volatile("stlr %0, [%1]" : : "r"(1ul), "r"(&message_ready) : "memory");
    while (finished[1] != 2)
        ;
    while (hvc_call(PSCI_AFFINITY_INFO, 1, 0, 0) != 1)
        ;
    u64 expect_atomic = (u64)ITER * (1 + 2) + 1000000;
    printf("CPU_ON %ld\n", r);
    printf("atomic counter %lu (expected %lu)\n", atomic_counter, expect_atomic);
    printf("locked counter %lu (expected %u)\n", plain_counter, 2 * ITER);
    printf("lock free at end %d\n", lock == 0);
    printf("smp: done\n");
    return 0;
}
