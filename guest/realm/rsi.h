/* Realm Services Interface (RSI) 1.0 for realm programs: function IDs, return codes and
 * structures of the Arm RMM specification 1.0 (DEN0137, as TF-RMM v1.0-rel0 and Linux's
 * arch/arm64/include/asm/rsi_smc.h define them), and the SMC calling convention: SMC #0 with
 * the function ID in X0, arguments in X1..X10, results in X0..X8.
 * Header-only, freestanding C (GCC/Clang inline assembly, AArch64). */
#ifndef RSI_H
#define RSI_H

typedef unsigned long rsi_u64;

/* Function IDs: SMC64 fast calls, Standard Secure Service owner. */
#define RSI_FID(n) (0xC4000000ul | (n))
#define RSI_VERSION RSI_FID(0x190)
#define RSI_FEATURES RSI_FID(0x191)
#define RSI_MEASUREMENT_READ RSI_FID(0x192)
#define RSI_MEASUREMENT_EXTEND RSI_FID(0x193)
#define RSI_ATTESTATION_TOKEN_INIT RSI_FID(0x194)
#define RSI_ATTESTATION_TOKEN_CONTINUE RSI_FID(0x195)
#define RSI_REALM_CONFIG RSI_FID(0x196)
#define RSI_IPA_STATE_SET RSI_FID(0x197)
#define RSI_IPA_STATE_GET RSI_FID(0x198)
#define RSI_HOST_CALL RSI_FID(0x199)

/* Return codes (X0). */
#define RSI_SUCCESS 0ul
#define RSI_ERROR_INPUT 1ul
#define RSI_ERROR_STATE 2ul
#define RSI_INCOMPLETE 3ul
#define RSI_ERROR_UNKNOWN 4ul

/* Versions are (major << 16) | minor. */
#define RSI_ABI_VERSION_1_0 0x10000ul
#define RSI_VERSION_MAJOR(v) ((v) >> 16)
#define RSI_VERSION_MINOR(v) ((v) & 0xffff)

/* Measurement slots: 0 = RIM, 1..4 = REM0..REM3; values up to 64 bytes. */
#define RSI_MEASUREMENT_RIM 0
#define RSI_MEASUREMENT_REM(n) (1 + (n))
#define RSI_MAX_MEASUREMENT_SIZE 64

/* Hash algorithms (RsiRealmConfig.hash_algo). */
#define RSI_HASH_SHA_256 0
#define RSI_HASH_SHA_512 1

/* RIPAS values and IPA_STATE_SET flags / responses. */
#define RSI_RIPAS_EMPTY 0
#define RSI_RIPAS_RAM 1
#define RSI_RIPAS_DESTROYED 2
#define RSI_CHANGE_DESTROYED 1ul
#define RSI_ACCEPT 0ul
#define RSI_REJECT 1ul

#define RSI_GRANULE_SIZE 4096ul

/* RsiRealmConfig: a 4 KiB, granule-aligned buffer in protected (RIPAS RAM) memory. */
struct rsi_realm_config {
    rsi_u64 ipa_width; /* 0x000 */
    rsi_u64 hash_algo; /* 0x008: the RMM writes one byte; 0x008..0x1ff are zero */
    unsigned char reserved0[0x200 - 0x10];
    unsigned char rpv[64]; /* 0x200 */
    unsigned char reserved1[0x1000 - 0x240];
} __attribute__((aligned(4096)));

/* RsiHostCall: 256 bytes, 256-byte aligned, not crossing a granule. */
struct rsi_host_call {
    unsigned short imm; /* 0x000 */
    unsigned char reserved[6];
    rsi_u64 gprs[31]; /* 0x008 */
} __attribute__((aligned(256)));

/* Registers of one SMC: x[0] = function ID on entry, results on return. */
struct rsi_regs {
    rsi_u64 x[11];
};

/* SMC #0 with X0..X10 from r->x and X0..X10 back into r->x (SMCCC 1.2: X4..X17 may change). */
static inline void rsi_smc(struct rsi_regs *r)
{
    register rsi_u64 x0 __asm__("x0") = r->x[0];
    register rsi_u64 x1 __asm__("x1") = r->x[1];
    register rsi_u64 x2 __asm__("x2") = r->x[2];
    register rsi_u64 x3 __asm__("x3") = r->x[3];
    register rsi_u64 x4 __asm__("x4") = r->x[4];
    register rsi_u64 x5 __asm__("x5") = r->x[5];
    register rsi_u64 x6 __asm__("x6") = r->x[6];
    register rsi_u64 x7 __asm__("x7") = r->x[7];
    register rsi_u64 x8 __asm__("x8") = r->x[8];
    register rsi_u64 x9 __asm__("x9") = r->x[9];
    register rsi_u64 x10 __asm__("x10") = r->x[10];
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
                       "+r"(x7), "+r"(x8), "+r"(x9), "+r"(x10)
                     :
                     : "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    r->x[0] = x0; r->x[1] = x1; r->x[2] = x2; r->x[3] = x3; r->x[4] = x4; r->x[5] = x5;
    r->x[6] = x6; r->x[7] = x7; r->x[8] = x8; r->x[9] = x9; r->x[10] = x10;
}

static inline rsi_u64 rsi_call4(rsi_u64 fid, rsi_u64 a1, rsi_u64 a2, rsi_u64 a3, rsi_u64 *out1, rsi_u64 *out2)
{
    struct rsi_regs r = { { fid, a1, a2, a3 } };
    rsi_smc(&r);
    if (out1)
        *out1 = r.x[1];
    if (out2)
        *out2 = r.x[2];
    return r.x[0];
}

/* RSI_VERSION: asks for `requested`; lower/higher implemented revisions come back. */
static inline rsi_u64 rsi_version(rsi_u64 requested, rsi_u64 *lower, rsi_u64 *higher)
{
    return rsi_call4(RSI_VERSION, requested, 0, 0, lower, higher);
}

static inline rsi_u64 rsi_features(rsi_u64 index, rsi_u64 *value)
{
    return rsi_call4(RSI_FEATURES, index, 0, 0, value, 0);
}

/* RSI_REALM_CONFIG into `cfg` (its IPA = its address: realm programs run with the MMU off or
 * identity-mapped). */
static inline rsi_u64 rsi_realm_config(struct rsi_realm_config *cfg)
{
    return rsi_call4(RSI_REALM_CONFIG, (rsi_u64)cfg, 0, 0, 0, 0);
}

static inline void rsi_put_le64(unsigned char *p, rsi_u64 v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline rsi_u64 rsi_get_le64(const unsigned char *p)
{
    rsi_u64 v = 0;
    for (int i = 0; i < 8; i++)
        v |= (rsi_u64)p[i] << (8 * i);
    return v;
}

/* RSI_MEASUREMENT_READ of slot `index` into out[64] (bytes 0..63 = X1..X8 little-endian). */
static inline rsi_u64 rsi_measurement_read(rsi_u64 index, unsigned char out[64])
{
    struct rsi_regs r = { { RSI_MEASUREMENT_READ, index } };
    rsi_smc(&r);
    for (int i = 0; i < 8; i++)
        rsi_put_le64(out + 8 * i, r.x[1 + i]);
    return r.x[0];
}

/* RSI_MEASUREMENT_EXTEND of REM slot `index` (1..4) with `size` (<= 64) bytes of `value`. */
static inline rsi_u64 rsi_measurement_extend(rsi_u64 index, const unsigned char *value, rsi_u64 size)
{
    unsigned char buf[64] = { 0 };
    struct rsi_regs r = { { RSI_MEASUREMENT_EXTEND, index, size } };
    for (rsi_u64 i = 0; i < size && i < 64; i++)
        buf[i] = value[i];
    for (int i = 0; i < 8; i++)
        r.x[3 + i] = rsi_get_le64(buf + 8 * i);
    rsi_smc(&r);
    return r.x[0];
}

/* RSI_ATTESTATION_TOKEN_INIT with a 64-byte challenge; *max_size = upper bound of the token. */
static inline rsi_u64 rsi_attestation_token_init(const unsigned char challenge[64], rsi_u64 *max_size)
{
    struct rsi_regs r = { { RSI_ATTESTATION_TOKEN_INIT } };
    for (int i = 0; i < 8; i++)
        r.x[1 + i] = rsi_get_le64(challenge + 8 * i);
    rsi_smc(&r);
    if (max_size)
        *max_size = r.x[1];
    return r.x[0];
}

/* RSI_ATTESTATION_TOKEN_CONTINUE: copies up to `size` bytes of the token to granule-aligned
 * `ipa` + `offset`; *written = bytes copied. RSI_INCOMPLETE means call again. */
static inline rsi_u64 rsi_attestation_token_continue(rsi_u64 ipa, rsi_u64 offset, rsi_u64 size, rsi_u64 *written)
{
    return rsi_call4(RSI_ATTESTATION_TOKEN_CONTINUE, ipa, offset, size, written, 0);
}

/* The whole token flow: INIT, then CONTINUE in one granule at a time until SUCCESS.
 * `buf` must be granule-aligned protected memory of `buf_size` bytes; returns RSI_SUCCESS and
 * the token length in *len, or the failing RSI status (RSI_ERROR_INPUT if buf is too small). */
static inline rsi_u64 rsi_attestation_token(const unsigned char challenge[64], unsigned char *buf, rsi_u64 buf_size, rsi_u64 *len)
{
    rsi_u64 max, ret, offset = 0, written;
    ret = rsi_attestation_token_init(challenge, &max);
    if (ret != RSI_SUCCESS)
        return ret;
    for (;;) {
        rsi_u64 granule = offset & ~(RSI_GRANULE_SIZE - 1);
        rsi_u64 within = offset - granule;
        if (offset >= buf_size)
            return RSI_ERROR_INPUT;
        ret = rsi_attestation_token_continue((rsi_u64)buf + granule, within, RSI_GRANULE_SIZE - within, &written);
        if (ret != RSI_SUCCESS && ret != RSI_INCOMPLETE)
            return ret;
        offset += written;
        if (ret == RSI_SUCCESS)
            break;
    }
    *len = offset;
    return RSI_SUCCESS;
}

/* RSI_IPA_STATE_SET [base, top) to `ripas`; *new_base = top of the changed region,
 * *response = RSI_ACCEPT or RSI_REJECT (the host's answer). */
static inline rsi_u64 rsi_ipa_state_set(rsi_u64 base, rsi_u64 top, rsi_u64 ripas, rsi_u64 flags, rsi_u64 *new_base, rsi_u64 *response)
{
    struct rsi_regs r = { { RSI_IPA_STATE_SET, base, top, ripas, flags } };
    rsi_smc(&r);
    if (new_base)
        *new_base = r.x[1];
    if (response)
        *response = r.x[2];
    return r.x[0];
}

static inline rsi_u64 rsi_ipa_state_get(rsi_u64 base, rsi_u64 end, rsi_u64 *top, rsi_u64 *ripas)
{
    return rsi_call4(RSI_IPA_STATE_GET, base, end, 0, top, ripas);
}

/* RSI_HOST_CALL with `call` (its IPA = its address); the host's answer replaces call->gprs. */
static inline rsi_u64 rsi_host_call(struct rsi_host_call *call)
{
    return rsi_call4(RSI_HOST_CALL, (rsi_u64)call, 0, 0, 0, 0);
}

#endif
