#include "rt.h"

long hvc_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
    register u64 x0 __asm__("x0") = fn;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                       "x15", "x16", "x17", "memory");
    return (long)x0;
}

void psci_system_off(void)
{
    hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void psci_cpu_off(void)
{
    hvc_call(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

extern char secondary_entry[];

struct cpu_boot {
    u64 stack_top;
    u64 fn;
    u64 arg;
};
static struct cpu_boot boot_ctx[8];

long psci_cpu_on(u64 mpidr, void (*fn)(u64), u64 arg, void *stack_top)
{
    struct cpu_boot *b = &boot_ctx[mpidr & 7];
    b->stack_top = (u64)stack_top;
    b->fn = (u64)fn;
    b->arg = arg;
    dsb(sy);
    return hvc_call(PSCI_CPU_ON, mpidr, (u64)secondary_entry, (u64)b);
}
