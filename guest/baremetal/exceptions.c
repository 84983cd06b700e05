/* exceptions: synchronous exceptions taken to EL1 and what ESR_EL1/FAR_EL1/ELR_EL1/SPSR_EL1
 * report for them: SVC, BRK, UDF, SMC without EL3, HVC with an unknown PSCI function,
 * PC alignment faults, alignment and external data aborts, and EL0 (ERET to EL0, traps of
 * EL1-only and SCTLR-controlled registers, SVC back). The MMU stays off. */
#include "rt.h"

/* A physical address that the virt board leaves unmapped (between the virtio-mmio
 * transports and the platform bus): an access is a synchronous external abort. */
#define UNMAPPED_PA 0x0b000000ul

static const char *const vec_names[16] = {
    "sync/cur-sp0", "irq/cur-sp0", "fiq/cur-sp0", "serror/cur-sp0",
    "sync/cur-spx", "irq/cur-spx", "fiq/cur-spx", "serror/cur-spx",
    "sync/lower-a64", "irq/lower-a64", "fiq/lower-a64", "serror/lower-a64",
    "sync/lower-a32", "irq/lower-a32", "fiq/lower-a32", "serror/lower-a32",
};

static volatile struct {
    int count, vec;
    u64 esr, far, elr, spsr;
    u64 resume; /* if non-zero: ELR on return; otherwise ELR += skip */
    u64 skip;
    u64 set_x0; /* value for x0 on return when has_x0 */
    int has_x0;
} ex;

static int handler(exc_frame *f, int vec)
{
    ex.count++;
    ex.vec = vec;
    ex.esr = f->esr;
    ex.far = f->far;
    ex.elr = f->elr;
    ex.spsr = f->spsr;
    if (ex.resume) {
        f->elr = ex.resume;
        ex.resume = 0;
    } else {
        f->elr += ex.skip;
    }
    if (ex.has_x0)
        f->x[0] = ex.set_x0;
    return 1;
}

static void expect(u64 skip)
{
    ex.vec = -1;
    ex.esr = ex.far = ex.elr = ex.spsr = 0;
    ex.skip = skip;
    ex.resume = 0;
    ex.has_x0 = 0;
}

/* Prints the syndrome; insn is the address of the instruction that caused it. */
static void report(const char *what, u64 insn, int show_far, u64 far_base)
{
    if (ex.vec < 0) {
        printf("%-12s no exception\n", what);
        return;
    }
    printf("%-12s %s EC=%02x IL=%u ISS=%07x ELR=insn%+ld SPSR=%08lx", what, vec_names[ex.vec],
           esr_ec(ex.esr), esr_il(ex.esr), esr_iss(ex.esr), (s64)(ex.elr - insn), ex.spsr);
    if (show_far)
        printf(" FAR=base%+ld", (s64)(ex.far - far_base));
    printf("\n");
}

static void el1_tests(void)
{
    u64 insn, r;

    expect(0);
    __asm__ volatile("adr %0, 1f\n1: svc #0x123" : "=r"(insn) : : "memory");
    report("svc", insn, 0, 0);

    expect(4);
    __asm__ volatile("adr %0, 1f\n1: brk #0x42" : "=r"(insn) : : "memory");
    report("brk", insn, 0, 0);

    expect(4);
    __asm__ volatile("adr %0, 1f\n1: udf #7" : "=r"(insn) : : "memory");
    report("udf", insn, 0, 0);

    expect(4);
    __asm__ volatile("adr %0, 1f\n1: .inst 0x00201234" : "=r"(insn) : : "memory");
    report("unallocated", insn, 0, 0);

    expect(4);
    __asm__ volatile("adr %0, 1f\n1: smc #0" : "=r"(insn) : : "memory", "x0", "x1", "x2", "x3");
    report("smc (no EL3)", insn, 0, 0);

    expect(4);
    __asm__ volatile("adr %0, 1f\n1: mrs x0, vbar_el2" : "=r"(insn) : : "memory", "x0");
    report("mrs vbar_el2", insn, 0, 0);

    expect(4);
    long ret = hvc_call(0x8400ff00u, 1, 2, 3);
    printf("%-12s returned %ld, exceptions so far %d\n", "hvc unknown", ret, ex.count);
    ret = hvc_call(0xc2001234u, 0, 0, 0);
    printf("%-12s returned %ld\n", "hvc smc64 id", ret);

    /* Not tested, because QEMU 7.2 TCG deviates from the architecture here and the point
     * of this program is to print what QEMU prints: SP alignment faults (QEMU omits the
     * check) and unaligned non-exclusive accesses to Device memory with the MMU off (QEMU
     * performs them). */

    /* PC alignment: branch with link to a misaligned address; resume at the return address */
    extern char pc_target[];
    expect(0);
    __asm__ volatile("adr x9, 2f\n\t"
                     "str x9, %1\n\t"
                     "adr %0, pc_target\n\t"
                     "add x10, %0, #2\n\t"
                     "blr x10\n"
                     "2:\n\t"
                     "b 3f\n"
                     "pc_target: nop\n\tnop\n"
                     "3:"
                     : "=&r"(insn), "=m"(ex.resume)
                     :
                     : "memory", "x9", "x10", "x30");
    report("pc align", insn + 2, 1, (u64)pc_target);

    /* alignment fault: exclusives need aligned addresses */
    static u64 buf[4];
    expect(4);
    __asm__ volatile("adr %0, 1f\n1: ldxr %1, [%2]" : "=&r"(insn), "=r"(r) : "r"((u64)buf + 4) : "memory");
    report("ldxr unalign", insn, 1, (u64)buf);

    /* external abort: nothing decodes this physical address */
    expect(4);
    __asm__ volatile("adr %0, 1f\n1: ldr %w1, [%2]" : "=&r"(insn), "=r"(r) : "r"(UNMAPPED_PA) : "memory");
    report("ldr unmapped", insn, 1, UNMAPPED_PA);
    expect(4);
    __asm__ volatile("adr %0, 1f\n1: str %1, [%2, #8]" : "=&r"(insn) : "r"(r), "r"(UNMAPPED_PA) : "memory");
    report("str unmapped", insn, 1, UNMAPPED_PA);

    /* the flags are part of SPSR */
    expect(4);
    __asm__ volatile("mov x9, #1\n\tcmp x9, #1\n\tadr %0, 1f\n1: brk #1" : "=&r"(insn) : : "memory", "x9", "cc");
    report("brk eq", insn, 0, 0);
}

/* ---- EL0 ---- */
static volatile u64 el0_insn[16];

static u64 el0_main(u64 arg)
{
    u64 v, insn;
    /* SVC from EL0: the handler hands back a value in x0 */
    __asm__ volatile("mov x0, %2\n\tadr %1, 1f\n1: svc #0x55\n\tmov %0, x0"
                     : "=r"(v), "=&r"(insn) : "r"(arg) : "x0", "memory");
    el0_insn[0] = insn;
    arg += v;
    /* EL1-only system register: UNDEFINED at EL0 */
    __asm__ volatile("adr %0, 1f\n1: mrs x0, sctlr_el1" : "=r"(insn) : : "x0", "memory");
    el0_insn[1] = insn;
    /* DAIF at EL0 with SCTLR_EL1.UMA = 0: trapped */
    __asm__ volatile("adr %0, 1f\n1: mrs x0, daif" : "=r"(insn) : : "x0", "memory");
    el0_insn[2] = insn;
    /* CTR_EL0 with SCTLR_EL1.UCT = 0: trapped */
    __asm__ volatile("adr %0, 1f\n1: mrs x0, ctr_el0" : "=r"(insn) : : "x0", "memory");
    el0_insn[3] = insn;
    __asm__ volatile("adr %0, 1f\n1: eret" : "=r"(insn) : : "memory");
    el0_insn[4] = insn;
    __asm__ volatile("adr %0, 1f\n1: brk #0x77" : "=r"(insn) : : "memory");
    el0_insn[5] = insn;
    /* HVC at EL0 is UNDEFINED */
    __asm__ volatile("adr %0, 1f\n1: hvc #0" : "=r"(insn) : : "x0", "memory");
    el0_insn[6] = insn;
    /* with SCTLR_EL1.nTWI = 0: WFI traps (EC 0x01). (WFE with nTWE = 0 is left out: it
     * need not trap when the event register is set, and QEMU never traps it.) */
    __asm__ volatile("adr %0, 1f\n1: wfi" : "=r"(insn) : : "memory");
    el0_insn[7] = insn;
    /* SCTLR_EL1.DZE = 0: DC ZVA traps; UCI = 0: DC CVAU and IC IVAU trap */
    static u64 line[8] __attribute__((aligned(64)));
    __asm__ volatile("dc zva, %0" : : "r"(line) : "memory");
    __asm__ volatile("dc cvau, %0" : : "r"(line) : "memory");
    __asm__ volatile("ic ivau, %0" : : "r"(line) : "memory");
    /* CNTKCTL_EL1.EL0VCTEN = 0: CNTVCT_EL0 traps; CNTFRQ_EL0 too (EL0PCTEN and EL0VCTEN both 0) */
    __asm__ volatile("mrs x0, cntvct_el0" : : : "x0", "memory");
    __asm__ volatile("mrs x0, cntfrq_el0" : : : "x0", "memory");
    /* NZCV and TPIDR_EL0 are EL0-accessible */
    u64 t;
    __asm__ volatile("msr tpidr_el0, %1\n\tmrs %0, tpidr_el0" : "=r"(t) : "r"(arg * 3));
    return t + read_nzcv();
}

static u64 el0_stack[512] __attribute__((aligned(16)));

static int el0_handler(exc_frame *f, int vec)
{
    handler(f, vec);
    if (vec == (VEC_LOWER_A64 | VEC_SYNC) && esr_ec(f->esr) == 0x15) {
        /* svc returns to the next instruction already: undo the skip */
        f->elr -= ex.skip;
        f->x[0] = 1000;
    }
    int k = ex.count - 1;
    static const char *const names[] = {"el0 svc", "el0 mrs el1", "el0 daif", "el0 ctr",
                                        "el0 eret", "el0 brk", "el0 hvc", "el0 wfi",
                                        "el0 dc zva", "el0 dc cvau", "el0 ic ivau",
                                        "el0 cntvct", "el0 cntfrq"};
    if (k < 13) {
        u64 insn = el0_insn[k];
        /* the insn address is recorded after the exception: compute it from ELR instead */
        (void)insn;
        printf("%-12s %s EC=%02x IL=%u ISS=%07x SPSR=%08lx\n", names[k], vec_names[vec],
               esr_ec(f->esr), esr_il(f->esr), esr_iss(f->esr), f->spsr);
    }
    return 1;
}

/* EL1 registers Linux writes whose writable bits do not depend on optional features:
 * write all-ones and a pattern, read back. PSTATE fields through their special registers. */
/* QEMU 7.2 keeps bits that the architecture makes RES0 in two of these - CONTEXTIDR_EL1
 * bits [63:32] and VBAR_EL1 bits [10:5] - so those bits are masked out of what is printed. */
#define ROUNDTRIP(reg) ROUNDTRIP_MASK(reg, ~0ul)
#define ROUNDTRIP_MASK(reg, mask)                                                             \
    do {                                                                                      \
        u64 old = read_sysreg(reg);                                                           \
        write_sysreg(reg, ~0ul);                                                              \
        isb();                                                                                \
        u64 ones = read_sysreg(reg);                                                          \
        write_sysreg(reg, 0x0123456789abcdeful);                                              \
        isb();                                                                                \
        u64 pat = read_sysreg(reg);                                                           \
        write_sysreg(reg, old);                                                               \
        isb();                                                                                \
        printf("%-15s ~0 -> %016lx  pattern -> %016lx\n", #reg, ones & (mask), pat & (mask)); \
    } while (0)

static void sysregs(void)
{
    ROUNDTRIP(tpidr_el0);
    ROUNDTRIP(tpidr_el1);
    ROUNDTRIP(tpidrro_el0);
    ROUNDTRIP_MASK(contextidr_el1, 0xfffffffful);
    ROUNDTRIP(sp_el0);
    ROUNDTRIP(mair_el1);
    ROUNDTRIP(far_el1);
    ROUNDTRIP(elr_el1);
    u64 vbar = read_sysreg(vbar_el1);
    write_sysreg(vbar_el1, 0x0123456789abcdeful);
    isb();
    u64 v = read_sysreg(vbar_el1);
    write_sysreg(vbar_el1, vbar);
    isb();
    printf("%-15s pattern -> %016lx\n", "vbar_el1", v & ~0x7fful);

    u64 d0, d1, d2, n0, n1, sp0, sp1;
    __asm__ volatile("msr daifclr, #0xf\n\tmrs %0, daif\n\tmsr daifset, #0x5\n\tmrs %1, daif\n\t"
                     "msr daif, %3\n\tmrs %2, daif\n\tmsr daifset, #0xf"
                     : "=&r"(d0), "=&r"(d1), "=&r"(d2) : "r"(0x280ul) : "memory");
    printf("DAIF: clr all %lx, set D+I %lx, msr 0x280 %lx\n", d0, d1, d2);
    __asm__ volatile("msr nzcv, %2\n\tmrs %0, nzcv\n\tcmp %3, #1\n\tmrs %1, nzcv"
                     : "=&r"(n0), "=&r"(n1) : "r"(~0ul), "r"(0ul) : "cc");
    printf("NZCV: msr ~0 %lx, after cmp 0,1 %lx\n", n0, n1);
    __asm__ volatile("msr spsel, #0\n\tmrs %0, spsel\n\tmsr spsel, #1\n\tmrs %1, spsel"
                     : "=&r"(sp0), "=&r"(sp1) : : "memory");
    printf("SPSel: %lu then %lu, CurrentEL %lx\n", sp0, sp1, read_sysreg(CurrentEL));
}

int main(void)
{
    printf("exceptions: start\n");
    rt_set_handler(handler);
    sysregs();
    el1_tests();
    printf("EL1 exceptions taken: %d\n", ex.count);

    ex.count = 0;
    expect(4);
    rt_set_handler(el0_handler);
    u64 sctlr = read_sysreg(sctlr_el1);
    write_sysreg(sctlr_el1, sctlr & ~((1ul << 16) | (1ul << 18) | (1ul << 14) | (1ul << 26)));
    write_sysreg(cntkctl_el1, 0);
    isb();
    u64 r = run_el0(el0_main, 7, el0_stack + 512);
    write_sysreg(sctlr_el1, sctlr);
    isb();
    rt_set_handler(handler);
    printf("el0 returned %lx after %d exceptions\n", r, ex.count);
    printf("el0 insn offsets:");
    for (int i = 1; i < 8; i++)
        printf(" %ld", (s64)(el0_insn[i] - el0_insn[0]));
    printf("\n");
    printf("back at EL%lu, SPSel %lu\n", read_sysreg(CurrentEL) >> 2, read_sysreg(spsel));
    printf("exceptions: done\n");
    return 0;
}
