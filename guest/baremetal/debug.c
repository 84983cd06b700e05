/* debug: self-hosted debug exceptions taken from EL0 to EL1 - a hardware breakpoint
 * (DBGBVR0/DBGBCR0), a watchpoint (DBGWVR0/DBGWCR0) and software step (MDSCR_EL1.SS with
 * SPSR_EL1.SS) - with the OS lock released through OSLAR_EL1 as Linux does. */
#include "rt.h"

/* x0 = address of the watched variable; returns its incremented value */
u64 el0_dbg(u64 addr);
__asm__(".text\n"
        ".balign 16\n"
        "el0_dbg:\n"
        "  nop\n"              /* +0 */
        "  ldr x1, [x0]\n"     /* +4: watchpoint (load) */
        "  add x1, x1, #1\n"   /* +8 */
        "  str x1, [x0]\n"     /* +12: breakpoint */
        "  mov x0, x1\n"       /* +16 */
        "  ret\n");            /* +20 */

static volatile u64 watched __attribute__((aligned(8))) = 41;
static u64 el0_stack[256] __attribute__((aligned(16)));

static volatile struct {
    int count;
    u64 esr[8], elr[8], far[8];
    int step_more;
} ev;

static int handler(exc_frame *f, int vec)
{
    if (vec != (VEC_LOWER_A64 | VEC_SYNC))
        return 0;
    int k = ev.count++;
    if (k < 8) {
        ev.esr[k] = f->esr;
        ev.elr[k] = f->elr;
        ev.far[k] = f->far;
    }
    switch (esr_ec(f->esr)) {
    case 0x30: /* breakpoint: disable it so the instruction can run */
        write_sysreg(dbgbcr0_el1, 0);
        break;
    case 0x34: /* watchpoint: disable it so the access can complete */
        write_sysreg(dbgwcr0_el1, 0);
        break;
    case 0x32: /* software step: step again while wanted */
        if (ev.step_more > 0) {
            ev.step_more--;
            f->spsr |= 1ul << 21;
        } else {
            write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~1ul);
            f->spsr &= ~(1ul << 21);
        }
        break;
    default:
        return 0;
    }
    isb();
    return 1;
}

static void report(const char *what, u64 r, int from)
{
    printf("%s: returned %lu, %d debug exceptions\n", what, r, ev.count - from);
    for (int k = from; k < ev.count && k < 8; k++) {
        u64 esr = ev.esr[k];
        printf("  EC=%02x IL=%u ISS=%07x ELR=el0_dbg%+ld", esr_ec(esr), esr_il(esr), esr_iss(esr),
               (s64)(ev.elr[k] - (u64)el0_dbg));
        if (esr_ec(esr) == 0x34)
            printf(" FAR=watched%+ld", (s64)(ev.far[k] - (u64)&watched));
        printf("\n");
    }
}

int main(void)
{
    printf("debug: start\n");
    rt_set_handler(handler);
    printf("OSLSR_EL1.OSLK at reset %lu\n", (read_sysreg(oslsr_el1) >> 1) & 1);
    write_sysreg(oslar_el1, 0);
    isb();
    printf("OSLSR_EL1.OSLK after OSLAR_EL1=0: %lu\n", (read_sysreg(oslsr_el1) >> 1) & 1);
    write_sysreg(mdscr_el1, 1ul << 15); /* MDE */
    isb();

    /* breakpoint on el0_dbg+12 at EL0 only (PMC=0b10), all bytes (BAS=0xf) */
    int c = ev.count;
    write_sysreg(dbgbvr0_el1, (u64)el0_dbg + 12);
    write_sysreg(dbgbcr0_el1, (0xful << 5) | (2ul << 1) | 1);
    isb();
    u64 r = run_el0(el0_dbg, (u64)&watched, el0_stack + 256);
    report("breakpoint", r, c);

    /* watchpoint on `watched`, EL0 (PAC=0b10), loads and stores (LSC=0b11), 8 bytes */
    c = ev.count;
    write_sysreg(dbgwvr0_el1, (u64)&watched);
    write_sysreg(dbgwcr0_el1, (0xfful << 5) | (3ul << 3) | (2ul << 1) | 1);
    isb();
    r = run_el0(el0_dbg, (u64)&watched, el0_stack + 256);
    report("watchpoint", r, c);

    /* software step: four steps from the ERET into EL0 */
    c = ev.count;
    ev.step_more = 3;
    write_sysreg(mdscr_el1, (1ul << 15) | 1);
    isb();
    r = run_el0_spsr(el0_dbg, (u64)&watched, el0_stack + 256, 0x3c0 | (1ul << 21));
    report("software step", r, c);

    write_sysreg(mdscr_el1, 0);
    isb();
    printf("debug: done\n");
    return 0;
}
