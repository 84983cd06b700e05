#include "rt.h"

extern char el0_return[];
static exc_handler_fn handler;

void rt_set_handler(exc_handler_fn fn) { handler = fn; }

static const char *const vec_names[16] = {
    "sync/cur-sp0", "irq/cur-sp0", "fiq/cur-sp0", "serror/cur-sp0",
    "sync/cur-spx", "irq/cur-spx", "fiq/cur-spx", "serror/cur-spx",
    "sync/lower-a64", "irq/lower-a64", "fiq/lower-a64", "serror/lower-a64",
    "sync/lower-a32", "irq/lower-a32", "fiq/lower-a32", "serror/lower-a32",
};

void exc_dispatch(exc_frame *f, u64 vec)
{
    if (vec == (VEC_LOWER_A64 | VEC_SYNC) && esr_ec(f->esr) == 0x15 &&
        (esr_iss(f->esr) & 0xffff) == EL0_EXIT_SVC) {
        /* leave EL0: resume at el0_return in EL1h with IRQs etc. masked */
        f->elr = (u64)el0_return;
        f->spsr = 0x3c5;
        return;
    }
    if (handler && handler(f, (int)vec))
        return;
    printf("UNEXPECTED EXCEPTION %s ESR=%08lx ELR=%lx FAR=%lx SPSR=%lx\n",
           vec_names[vec & 15], f->esr, f->elr, f->far, f->spsr);
    psci_system_off();
}
