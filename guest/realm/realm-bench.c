/* Attestation token latency from inside a realm: TOKENS rounds of INIT + CONTINUE..., each
 * timed with the virtual counter (CNTVCT_EL0 at CNTFRQ_EL0). Used by bench/realm.sh. */
#include "realm.h"

#ifndef TOKENS
#define TOKENS 20
#endif

static unsigned char token[16384] __attribute__((aligned(4096)));

int main(void)
{
    unsigned char challenge[64];
    rsi_u64 len = 0, total = 0, best = ~0ul;

    if (realm_init() != 0)
        return 1;
    u64 freq = read_sysreg(cntfrq_el0);
    for (int i = 0; i < 64; i++)
        challenge[i] = (unsigned char)i;
    for (int n = 0; n < TOKENS; n++) {
        challenge[0] = (unsigned char)n;
        isb();
        u64 t0 = read_sysreg(cntvct_el0);
        rsi_u64 ret = rsi_attestation_token(challenge, token, sizeof token, &len);
        isb();
        u64 t1 = read_sysreg(cntvct_el0);
        if (ret != RSI_SUCCESS) {
            printf("realm-bench: token %d failed: %lu\n", n, ret);
            return 1;
        }
        total += t1 - t0;
        if (t1 - t0 < best)
            best = t1 - t0;
    }
    printf("BENCH tokens %d bytes %lu cntfrq %lu total_ticks %lu best_ticks %lu\n", TOKENS, len, freq, total, best);
    return 0;
}
