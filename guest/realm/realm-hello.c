/* An example realm: prints the RSI version and its configuration, reads its RIM, extends REM0,
 * and prints an attestation token for a fixed challenge, then switches off with PSCI.
 * The host (capvisor run --realm --print-rim) prints the RIM it expects; the two must agree,
 * and the token verifies with `capvisor attest verify` against the platform's CPAK. */
#include "realm.h"

/* Extended into REM0; tests recompute REM0 = H(zeros || this string). */
static const char rem_value[] = "capvisor realm-hello REM0";

/* The token lands here: granule-aligned protected memory (in .bss, so the host backs it
 * with fresh granules on first touch). */
static unsigned char token[16384] __attribute__((aligned(4096)));

static void print_line(const char *label, const unsigned char *p, unsigned n)
{
    printf("%s ", label);
    print_hex(p, n);
    printf("\n");
}

int main(void)
{
    unsigned char value[64], challenge[64];
    rsi_u64 lower, higher, ret, len;

    if (realm_init() != 0)
        return 1; /* no RSI 1.0: nowhere to print */
    ret = rsi_version(RSI_ABI_VERSION_1_0, &lower, &higher);
    printf("realm-hello: RSI version %lu.%lu (status %lu, implemented %lu.%lu..%lu.%lu)\n",
           RSI_VERSION_MAJOR(RSI_ABI_VERSION_1_0), RSI_VERSION_MINOR(RSI_ABI_VERSION_1_0), ret,
           RSI_VERSION_MAJOR(lower), RSI_VERSION_MINOR(lower), RSI_VERSION_MAJOR(higher), RSI_VERSION_MINOR(higher));
    printf("realm-hello: realm config: ipa_width %lu, hash_algo %s\n", realm_config.ipa_width,
           realm_hash_size() == 64 ? "sha-512" : "sha-256");
    print_line("RPV", realm_config.rpv, 64);

    ret = rsi_measurement_read(RSI_MEASUREMENT_RIM, value);
    if (ret != RSI_SUCCESS) {
        printf("realm-hello: MEASUREMENT_READ(RIM) failed: %lu\n", ret);
        return 1;
    }
    print_line("RIM", value, realm_hash_size());

    ret = rsi_measurement_extend(RSI_MEASUREMENT_REM(0), (const unsigned char *)rem_value, sizeof rem_value - 1);
    if (ret != RSI_SUCCESS) {
        printf("realm-hello: MEASUREMENT_EXTEND(REM0) failed: %lu\n", ret);
        return 1;
    }
    rsi_measurement_read(RSI_MEASUREMENT_REM(0), value);
    print_line("REM0", value, realm_hash_size());

    for (int i = 0; i < 64; i++)
        challenge[i] = (unsigned char)(0xc0 + i);
    print_line("CHALLENGE", challenge, 64);
    ret = rsi_attestation_token(challenge, token, sizeof token, &len);
    if (ret != RSI_SUCCESS) {
        printf("realm-hello: attestation token failed: %lu\n", ret);
        return 1;
    }
    printf("realm-hello: attestation token, %lu bytes\n", len);
    printf("TOKEN-BEGIN\n");
    for (rsi_u64 off = 0; off < len; off += 32) {
        print_hex(token + off, len - off < 32 ? (unsigned)(len - off) : 32);
        printf("\n");
    }
    printf("TOKEN-END\n");
    printf("realm-hello: done, switching off\n");
    return 0;
}
