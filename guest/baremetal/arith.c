/* arith: integer arithmetic, logic, shifts, bitfields, conditional ops, multiply/divide,
 * CRC32/CRC32C, NZCV after flag-setting ops, load/store addressing modes, exclusives.
 * Every operand comes from a volatile table so the compiler cannot fold anything. */
#include "rt.h"

static volatile u64 vals_v[] = {
    0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0x7fffffffffffffffu, 0x8000000000000000u,
    0xffffffffffffffffu, 0x123456789abcdef0u,
};
#define NV (sizeof(vals_v) / sizeof(vals_v[0]))
static u64 vals[NV];

typedef u64 (*op2_fn)(u64 a, u64 b, u64 *nzcv);

/* two-operand ops; the _f forms also return NZCV */
#define OP2(name, insn, w)                                                              \
    static u64 name(u64 a, u64 b, u64 *nzcv)                                            \
    {                                                                                   \
        u64 r;                                                                          \
        __asm__ volatile(insn " %" w "0, %" w "1, %" w "2" : "=r"(r) : "r"(a), "r"(b)); \
        *nzcv = 0x10;                                                                   \
        return r;                                                                       \
    }
#define OP2F(name, insn, w)                                                     \
    static u64 name(u64 a, u64 b, u64 *nzcv)                                    \
    {                                                                           \
        u64 r, f;                                                               \
        __asm__ volatile("msr nzcv, xzr\n\t" insn " %" w "0, %" w "2, %" w "3\n\t" \
                         "mrs %1, nzcv"                                         \
                         : "=&r"(r), "=r"(f)                                    \
                         : "r"(a), "r"(b)                                       \
                         : "cc");                                               \
        *nzcv = f >> 28;                                                        \
        return r;                                                               \
    }
/* carry-in variants: run once with C clear and once with C set, fold the carry-in into b's
 * meaning by using the low bit of a ^ b */
#define OP2C(name, insn, w)                                                     \
    static u64 name(u64 a, u64 b, u64 *nzcv)                                    \
    {                                                                           \
        u64 r, f, cin = ((a ^ b) & 1) << 29;                                    \
        __asm__ volatile("msr nzcv, %4\n\t" insn " %" w "0, %" w "2, %" w "3\n\t"  \
                         "mrs %1, nzcv"                                         \
                         : "=&r"(r), "=r"(f)                                    \
                         : "r"(a), "r"(b), "r"(cin)                             \
                         : "cc");                                               \
        *nzcv = f >> 28;                                                        \
        return r;                                                               \
    }

OP2(op_add, "add", "x") OP2(op_sub, "sub", "x") OP2(op_addw, "add", "w") OP2(op_subw, "sub", "w")
OP2F(op_adds, "adds", "x") OP2F(op_subs, "subs", "x") OP2F(op_addsw, "adds", "w")
OP2F(op_subsw, "subs", "w") OP2F(op_ands, "ands", "x") OP2F(op_andsw, "ands", "w")
OP2F(op_bics, "bics", "x") OP2F(op_bicsw, "bics", "w")
OP2C(op_adcs, "adcs", "x") OP2C(op_sbcs, "sbcs", "x") OP2C(op_adcsw, "adcs", "w")
OP2C(op_sbcsw, "sbcs", "w") OP2C(op_adc, "adc", "x") OP2C(op_sbcw, "sbc", "w")
OP2(op_and, "and", "x") OP2(op_orr, "orr", "x") OP2(op_eor, "eor", "x") OP2(op_bic, "bic", "x")
OP2(op_orn, "orn", "x") OP2(op_eon, "eon", "x") OP2(op_eorw, "eor", "w") OP2(op_ornw, "orn", "w")
OP2(op_lslv, "lsl", "x") OP2(op_lsrv, "lsr", "x") OP2(op_asrv, "asr", "x") OP2(op_rorv, "ror", "x")
OP2(op_lslvw, "lsl", "w") OP2(op_lsrvw, "lsr", "w") OP2(op_asrvw, "asr", "w") OP2(op_rorvw, "ror", "w")
OP2(op_mul, "mul", "x") OP2(op_mulw, "mul", "w") OP2(op_smulh, "smulh", "x") OP2(op_umulh, "umulh", "x")
OP2(op_udiv, "udiv", "x") OP2(op_sdiv, "sdiv", "x") OP2(op_udivw, "udiv", "w") OP2(op_sdivw, "sdiv", "w")
OP2(op_crc32b, "crc32b", "w") OP2(op_crc32h, "crc32h", "w") OP2(op_crc32w, "crc32w", "w")
OP2(op_crc32cb, "crc32cb", "w") OP2(op_crc32ch, "crc32ch", "w") OP2(op_crc32cw, "crc32cw", "w")

static u64 op_smull(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("smull %0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_umull(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("umull %0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_madd(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("madd %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(0x1111u + a)); *f = 0x10; return r; }
static u64 op_msub(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("msub %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(0x2222u ^ b)); *f = 0x10; return r; }
static u64 op_smaddl(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("smaddl %0, %w1, %w2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(a)); *f = 0x10; return r; }
static u64 op_umsubl(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("umsubl %0, %w1, %w2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(b)); *f = 0x10; return r; }
static u64 op_crc32x(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("crc32x %w0, %w1, %2" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_crc32cx(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("crc32cx %w0, %w1, %2" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_extr(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("extr %0, %1, %2, #13" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_extrw(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("extr %w0, %w1, %w2, #31" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_addext(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("add %0, %1, %w2, sxtw #3" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_subext(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("sub %0, %1, %w2, uxth #2" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_addsext(u64 a, u64 b, u64 *f) { u64 r, g; __asm__ volatile("adds %0, %2, %w3, sxtb #1\n\tmrs %1, nzcv" : "=&r"(r), "=r"(g) : "r"(a), "r"(b) : "cc"); *f = g >> 28; return r; }
static u64 op_addshift(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("add %0, %1, %2, lsl #12" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_subsasr(u64 a, u64 b, u64 *f) { u64 r, g; __asm__ volatile("subs %0, %2, %3, asr #63\n\tmrs %1, nzcv" : "=&r"(r), "=r"(g) : "r"(a), "r"(b) : "cc"); *f = g >> 28; return r; }
static u64 op_andror(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("and %0, %1, %2, ror #7" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_eorlsrw(u64 a, u64 b, u64 *f) { u64 r; __asm__ volatile("eor %w0, %w1, %w2, lsr #31" : "=r"(r) : "r"(a), "r"(b)); *f = 0x10; return r; }
static u64 op_cmn(u64 a, u64 b, u64 *f) { u64 g; __asm__ volatile("cmn %1, %2\n\tmrs %0, nzcv" : "=r"(g) : "r"(a), "r"(b) : "cc"); *f = g >> 28; return 0; }
static u64 op_cmpw(u64 a, u64 b, u64 *f) { u64 g; __asm__ volatile("cmp %w1, %w2\n\tmrs %0, nzcv" : "=r"(g) : "r"(a), "r"(b) : "cc"); *f = g >> 28; return 0; }
static u64 op_negs(u64 a, u64 b, u64 *f) { u64 r, g; __asm__ volatile("negs %0, %2\n\tmrs %1, nzcv" : "=&r"(r), "=r"(g) : "r"(a ^ b) : "cc"); *f = g >> 28; return r; }
static u64 op_ngcw(u64 a, u64 b, u64 *f) { u64 r, cin = (b & 1) << 29; __asm__ volatile("msr nzcv, %2\n\tngc %w0, %w1" : "=r"(r) : "r"(a), "r"(cin) : "cc"); *f = 0x10; return r; }

static const struct { const char *name; op2_fn fn; } ops[] = {
    {"add", op_add}, {"sub", op_sub}, {"add.w", op_addw}, {"sub.w", op_subw},
    {"adds", op_adds}, {"subs", op_subs}, {"adds.w", op_addsw}, {"subs.w", op_subsw},
    {"adcs", op_adcs}, {"sbcs", op_sbcs}, {"adcs.w", op_adcsw}, {"sbcs.w", op_sbcsw},
    {"adc", op_adc}, {"sbc.w", op_sbcw}, {"ngc.w", op_ngcw}, {"negs", op_negs},
    {"cmn", op_cmn}, {"cmp.w", op_cmpw},
    {"ands", op_ands}, {"ands.w", op_andsw}, {"bics", op_bics}, {"bics.w", op_bicsw},
    {"and", op_and}, {"orr", op_orr}, {"eor", op_eor}, {"bic", op_bic}, {"orn", op_orn},
    {"eon", op_eon}, {"eor.w", op_eorw}, {"orn.w", op_ornw},
    {"lslv", op_lslv}, {"lsrv", op_lsrv}, {"asrv", op_asrv}, {"rorv", op_rorv},
    {"lslv.w", op_lslvw}, {"lsrv.w", op_lsrvw}, {"asrv.w", op_asrvw}, {"rorv.w", op_rorvw},
    {"mul", op_mul}, {"mul.w", op_mulw}, {"smulh", op_smulh}, {"umulh", op_umulh},
    {"smull", op_smull}, {"umull", op_umull}, {"madd", op_madd}, {"msub", op_msub},
    {"smaddl", op_smaddl}, {"umsubl", op_umsubl},
    {"udiv", op_udiv}, {"sdiv", op_sdiv}, {"udiv.w", op_udivw}, {"sdiv.w", op_sdivw},
    {"crc32b", op_crc32b}, {"crc32h", op_crc32h}, {"crc32w", op_crc32w}, {"crc32x", op_crc32x},
    {"crc32cb", op_crc32cb}, {"crc32ch", op_crc32ch}, {"crc32cw", op_crc32cw},
    {"crc32cx", op_crc32cx},
    {"extr#13", op_extr}, {"extr.w#31", op_extrw}, {"add.sxtw3", op_addext},
    {"sub.uxth2", op_subext}, {"adds.sxtb1", op_addsext}, {"add.lsl12", op_addshift},
    {"subs.asr63", op_subsasr}, {"and.ror7", op_andror}, {"eor.w.lsr31", op_eorlsrw},
};

static void table_ops(void)
{
    printf("== two-operand ops: result/nzcv for each (a, b) ==\n");
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        for (unsigned a = 0; a < NV; a++) {
            printf("%s %lx:", ops[i].name, vals[a]);
            for (unsigned b = 0; b < NV; b++) {
                u64 f;
                u64 r = ops[i].fn(vals[a], vals[b], &f);
                if (f == 0x10)
                    printf(" %lx", r);
                else
                    printf(" %lx/%lx", r, f);
            }
            printf("\n");
        }
    }
}

/* single-operand ops with immediates */
static void unary_ops(void)
{
    printf("== unary and bitfield ops ==\n");
    for (unsigned i = 0; i < NV; i++) {
        u64 a = vals[i], r[16];
        __asm__ volatile("clz %0, %1" : "=r"(r[0]) : "r"(a));
        __asm__ volatile("cls %0, %1" : "=r"(r[1]) : "r"(a));
        __asm__ volatile("rbit %0, %1" : "=r"(r[2]) : "r"(a));
        __asm__ volatile("rev %0, %1" : "=r"(r[3]) : "r"(a));
        __asm__ volatile("rev16 %0, %1" : "=r"(r[4]) : "r"(a));
        __asm__ volatile("rev32 %0, %1" : "=r"(r[5]) : "r"(a));
        __asm__ volatile("clz %w0, %w1" : "=r"(r[6]) : "r"(a));
        __asm__ volatile("cls %w0, %w1" : "=r"(r[7]) : "r"(a));
        __asm__ volatile("ubfx %0, %1, #4, #8" : "=r"(r[8]) : "r"(a));
        __asm__ volatile("sbfx %0, %1, #28, #8" : "=r"(r[9]) : "r"(a));
        __asm__ volatile("ubfiz %0, %1, #56, #8" : "=r"(r[10]) : "r"(a));
        __asm__ volatile("sbfiz %w0, %w1, #3, #29" : "=r"(r[11]) : "r"(a));
        r[12] = 0x5555555555555555u;
        __asm__ volatile("bfi %0, %1, #17, #9" : "+r"(r[12]) : "r"(a));
        r[13] = 0xaaaaaaaaaaaaaaaau;
        __asm__ volatile("bfxil %0, %1, #31, #2" : "+r"(r[13]) : "r"(a));
        __asm__ volatile("sxtb %0, %w1" : "=r"(r[14]) : "r"(a));
        __asm__ volatile("sxth %w0, %w1" : "=r"(r[15]) : "r"(a));
        printf("bits %lx:", a);
        for (int k = 0; k < 16; k++)
            printf(" %lx", r[k]);
        printf("\n");
        __asm__ volatile("sxtw %0, %w1" : "=r"(r[0]) : "r"(a));
        __asm__ volatile("uxtb %w0, %w1" : "=r"(r[1]) : "r"(a));
        __asm__ volatile("uxth %w0, %w1" : "=r"(r[2]) : "r"(a));
        __asm__ volatile("lsl %0, %1, #63" : "=r"(r[3]) : "r"(a));
        __asm__ volatile("lsr %0, %1, #1" : "=r"(r[4]) : "r"(a));
        __asm__ volatile("asr %0, %1, #33" : "=r"(r[5]) : "r"(a));
        __asm__ volatile("ror %w0, %w1, #5" : "=r"(r[6]) : "r"(a));
        __asm__ volatile("asr %w0, %w1, #31" : "=r"(r[7]) : "r"(a));
        __asm__ volatile("and %0, %1, #0x5555555555555555" : "=r"(r[8]) : "r"(a));
        __asm__ volatile("orr %w0, %w1, #0xff00ff00" : "=r"(r[9]) : "r"(a));
        __asm__ volatile("eor %0, %1, #0xfffffffffffffffe" : "=r"(r[10]) : "r"(a));
        __asm__ volatile("ands %w0, %w1, #0x80000001\n\tmrs %1, nzcv" : "=&r"(r[11]), "=r"(r[12]) : "r"(a) : "cc");
        __asm__ volatile("mvn %0, %1" : "=r"(r[13]) : "r"(a));
        __asm__ volatile("neg %w0, %w1" : "=r"(r[14]) : "r"(a));
        __asm__ volatile("adds %0, %2, #0xfff, lsl #12\n\tmrs %1, nzcv" : "=&r"(r[15]), "=r"(r[12]) : "r"(a) : "cc");
        printf("misc %lx:", a);
        for (int k = 0; k < 16; k++)
            printf(" %lx", r[k]);
        printf("\n");
    }
    u64 m[6];
    __asm__ volatile("movz %0, #0xbeef, lsl #32" : "=r"(m[0]));
    __asm__ volatile("movn %0, #0x1234, lsl #16" : "=r"(m[1]));
    __asm__ volatile("movn %w0, #0x1" : "=r"(m[2]));
    m[3] = vals[7];
    __asm__ volatile("movk %0, #0xcafe, lsl #48" : "+r"(m[3]));
    m[4] = vals[0];
    __asm__ volatile("movk %w0, #0xf00d, lsl #16" : "+r"(m[4]));
    __asm__ volatile("mov %0, #0x00ff00ff00ff00ff" : "=r"(m[5]));
    printf("moves: %lx %lx %lx %lx %lx %lx\n", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* For each condition code: the set of NZCV values (bit n = NZCV n) for which it holds. */
#define COND_MASK(cc)                                                                   \
    do {                                                                                \
        u32 mask = 0;                                                                   \
        for (u64 f = 0; f < 16; f++) {                                                  \
            u64 r;                                                                      \
            __asm__ volatile("msr nzcv, %1\n\tcsel %w0, %w2, wzr, " #cc : "=r"(r) : "r"(f << 28), "r"(1ul) : "cc"); \
            mask |= (u32)r << f;                                                        \
        }                                                                               \
        printf(" " #cc "=%04x", mask);                                                  \
    } while (0)

#define CCMP_ROW(cc)                                                                     \
    do {                                                                                 \
        printf("ccmp." #cc ":");                                                         \
        for (u64 f = 0; f < 16; f += 5) {                                                \
            for (unsigned i = 0; i < NV; i += 2) {                                       \
                u64 r, s;                                                                \
                __asm__ volatile("msr nzcv, %2\n\tccmp %3, %4, #0xa, " #cc "\n\tmrs %0, nzcv\n\t" \
                                 "msr nzcv, %2\n\tccmn %w3, #7, #0x5, " #cc "\n\tmrs %1, nzcv" \
                                 : "=&r"(r), "=&r"(s)                                    \
                                 : "r"(f << 28), "r"(vals[i]), "r"(vals[(i + 3) % NV])  \
                                 : "cc");                                                \
                printf(" %lx%lx", r >> 28, s >> 28);                                     \
            }                                                                            \
        }                                                                                \
        printf("\n");                                                                    \
    } while (0)

static void conditionals(void)
{
    printf("== conditions ==\nconds:");
    COND_MASK(eq); COND_MASK(ne); COND_MASK(cs); COND_MASK(cc); COND_MASK(mi); COND_MASK(pl);
    COND_MASK(vs); COND_MASK(vc); COND_MASK(hi); COND_MASK(ls); COND_MASK(ge); COND_MASK(lt);
    COND_MASK(gt); COND_MASK(le); COND_MASK(al); COND_MASK(nv);
    printf("\n");
    CCMP_ROW(eq); CCMP_ROW(ne); CCMP_ROW(hs); CCMP_ROW(lo); CCMP_ROW(mi); CCMP_ROW(pl);
    CCMP_ROW(vs); CCMP_ROW(vc); CCMP_ROW(hi); CCMP_ROW(ls); CCMP_ROW(ge); CCMP_ROW(lt);
    CCMP_ROW(gt); CCMP_ROW(le);
    for (unsigned i = 0; i < NV; i++) {
        u64 a = vals[i], b = vals[(i + 1) % NV], r[6];
        __asm__ volatile("cmp %6, %7\n\t"
                         "csel %0, %6, %7, lt\n\t"
                         "csinc %1, %6, %7, ge\n\t"
                         "csinv %2, %6, %7, hi\n\t"
                         "csneg %3, %6, %7, ls\n\t"
                         "csetm %w4, vs\n\t"
                         "cinc %5, %7, mi"
                         : "=&r"(r[0]), "=&r"(r[1]), "=&r"(r[2]), "=&r"(r[3]), "=&r"(r[4]),
                           "=&r"(r[5])
                         : "r"(a), "r"(b)
                         : "cc");
        printf("csel %lx %lx: %lx %lx %lx %lx %lx %lx\n", a, b, r[0], r[1], r[2], r[3], r[4],
               r[5]);
    }
}

static u64 mem[32] __attribute__((aligned(64)));

static void loads_stores(void)
{
    printf("== loads and stores ==\n");
    for (int i = 0; i < 32; i++)
        mem[i] = 0x0123456789abcdefu * (u64)(i + 1) ^ ((u64)i << 56);
    u64 base = (u64)mem, p, r0, r1, r2, r3;

    p = base;
    __asm__ volatile("ldr %0, [%2, #16]!\n\tldr %1, [%2], #24" : "=&r"(r0), "=&r"(r1), "+r"(p));
    printf("pre/post: %lx %lx base+%lu\n", r0, r1, p - base);
    __asm__ volatile("ldr %0, [%1, %2, lsl #3]" : "=r"(r0) : "r"(base), "r"(5ul));
    __asm__ volatile("ldr %w0, [%1, %w2, uxtw #2]" : "=r"(r1) : "r"(base), "r"(7ul));
    __asm__ volatile("ldr %0, [%1, %w2, sxtw #3]" : "=r"(r2) : "r"(base + 80), "r"(-3l));
    __asm__ volatile("ldur %0, [%1, #-4]" : "=r"(r3) : "r"(base + 68));
    printf("regoff: %lx %lx %lx %lx\n", r0, r1, r2, r3);
    __asm__ volatile("ldrb %w0, [%1, #7]" : "=r"(r0) : "r"(base + 8));
    __asm__ volatile("ldrsb %0, [%1, #7]" : "=r"(r1) : "r"(base + 8));
    __asm__ volatile("ldrsb %w0, [%1, #7]" : "=r"(r2) : "r"(base + 8));
    __asm__ volatile("ldrsh %0, [%1, #6]" : "=r"(r3) : "r"(base + 16));
    printf("bytes: %lx %lx %lx %lx\n", r0, r1, r2, r3);
    __asm__ volatile("ldrh %w0, [%1, #2]" : "=r"(r0) : "r"(base + 8));
    __asm__ volatile("ldrsh %w0, [%1, #6]" : "=r"(r1) : "r"(base + 8));
    __asm__ volatile("ldrsw %0, [%1, #4]" : "=r"(r2) : "r"(base + 8));
    __asm__ volatile("ldursw %0, [%1, #-4]" : "=r"(r3) : "r"(base + 32));
    printf("halves: %lx %lx %lx %lx\n", r0, r1, r2, r3);
    p = base + 64;
    __asm__ volatile("ldp %0, %1, [%2, #-16]!" : "=&r"(r0), "=&r"(r1), "+r"(p));
    __asm__ volatile("ldp %w0, %w1, [%2], #8" : "=&r"(r2), "=&r"(r3), "+r"(p));
    printf("ldp: %lx %lx %lx %lx base+%lu\n", r0, r1, r2, r3, p - base);
    __asm__ volatile("ldpsw %0, %1, [%2, #8]" : "=&r"(r0), "=&r"(r1) : "r"(base));
    printf("ldpsw: %lx %lx\n", r0, r1);
    p = base + 128;
    __asm__ volatile("stp %1, %2, [%0, #-16]!\n\tstr %w3, [%0, #20]\n\tstrb %w3, [%0, #-1]\n\t"
                     "strh %w3, [%0, #30]\n\tstur %2, [%0, #-9]\n\tstr %2, [%0], #-32"
                     : "+r"(p)
                     : "r"(0x1111111111111111ul), "r"(0x2222222222222222ul), "r"(0xa5a6a7a8ul)
                     : "memory");
    printf("stores: base+%lu", p - base);
    for (int i = 12; i < 18; i++)
        printf(" %lx", mem[i]);
    printf("\n");
    p = base + 200;
    __asm__ volatile("str %1, [%0, #-8]!\n\tstrh %w1, [%0, #-2]!\n\tstrb %w1, [%0, #-1]!\n\t"
                     "ldrb %w1, [%0, #3]"
                     : "+r"(p), "+r"(r0) : : "memory");
    printf("pre-store: base+%lu %lx %lx %lx\n", p - base, mem[23], mem[24], r0);
    u64 lit, lit2, lit3;
    __asm__ volatile("ldr %0, 1f\n\tldrsw %1, 1f\n\tldr %w2, 1f\n\tb 2f\n\t.balign 8\n"
                     "1: .quad 0x80000000fffffff0\n2:"
                     : "=r"(lit), "=r"(lit2), "=r"(lit3));
    printf("literal: %lx %lx %lx\n", lit, lit2, lit3);
    u64 a1, a2;
    __asm__ volatile("adr %0, 1f\n\tldr %1, =1f\n1:" : "=r"(a1), "=r"(a2));
    printf("adr == literal address: %d\n", a1 == a2);
    __asm__ volatile("ldtr %0, [%1, #8]\n\tsttr %w2, [%1, #16]" : "=&r"(r0) : "r"(base), "r"(0x33ul) : "memory");
    printf("ldtr/sttr: %lx %lx\n", r0, mem[2]);
    __asm__ volatile("prfm pldl1keep, [%2]\n\tprfm pstl2strm, [%2, #64]\n\t"
                     "ldnp %0, %1, [%2, #32]\n\tstnp %1, %0, [%2, #48]"
                     : "=&r"(r0), "=&r"(r1) : "r"(base) : "memory");
    printf("ldnp/stnp: %lx %lx -> %lx %lx\n", r0, r1, mem[6], mem[7]);
    __asm__ volatile("str %1, [%2, %3, lsl #3]\n\tstrh %w1, [%2, %w4, sxtw #1]\n\t"
                     "ldrh %w0, [%2, %w4, sxtw #1]\n\tldrb %w1, [%2, %3]"
                     : "=&r"(r0), "+r"(r1) : "r"(base + 64), "r"(3ul), "r"(-4l) : "memory");
    printf("register-offset stores: %lx %lx %lx %lx\n", r0, r1, mem[11], mem[6]);
}

static u64 excl[4] __attribute__((aligned(16)));

static void exclusives(void)
{
    printf("== exclusives ==\n");
    u64 base = (u64)excl, v, s;
    excl[0] = 5;
    __asm__ volatile("ldxr %0, [%2]\n\tadd %0, %0, #1\n\tstxr %w1, %0, [%2]"
                     : "=&r"(v), "=&r"(s) : "r"(base) : "memory");
    printf("ldxr/stxr: status %lu value %lx mem %lx\n", s, v, excl[0]);
    __asm__ volatile("clrex\n\tstxr %w0, %1, [%2]" : "=&r"(s) : "r"(0x99ul), "r"(base) : "memory");
    printf("stxr after clrex: status %lu mem %lx\n", s, excl[0]);
    __asm__ volatile("ldaxr %w0, [%2]\n\tstlxr %w1, %w3, [%2]"
                     : "=&r"(v), "=&r"(s) : "r"(base), "r"(0xdeadbeeful) : "memory");
    printf("ldaxr/stlxr w: status %lu old %lx mem %lx\n", s, v, excl[0]);
    u64 lo, hi;
    excl[2] = 0x1234;
    excl[3] = 0x5678;
    __asm__ volatile("ldxp %0, %1, [%3]\n\tstxp %w2, %1, %0, [%3]"
                     : "=&r"(lo), "=&r"(hi), "=&r"(s) : "r"(base + 16) : "memory");
    printf("ldxp/stxp: status %lu %lx %lx -> %lx %lx\n", s, lo, hi, excl[2], excl[3]);
    __asm__ volatile("ldxrb %w0, [%2]\n\tstxrb %w1, %w3, [%2]"
                     : "=&r"(v), "=&r"(s) : "r"(base + 3), "r"(0x7ful) : "memory");
    printf("ldxrb/stxrb: status %lu old %lx mem %lx\n", s, v, excl[0]);
    __asm__ volatile("ldaxrh %w0, [%2]\n\tstxrh %w1, %w3, [%2]"
                     : "=&r"(v), "=&r"(s) : "r"(base + 6), "r"(0xfeedul) : "memory");
    printf("ldaxrh/stxrh: status %lu old %lx mem %lx\n", s, v, excl[0]);
    __asm__ volatile("ldaxp %0, %1, [%3]\n\tstlxp %w2, %0, %1, [%3]"
                     : "=&r"(lo), "=&r"(hi), "=&r"(s) : "r"(base + 16) : "memory");
    printf("ldaxp/stlxp: status %lu %lx %lx\n", s, lo, hi);
    u64 total = 0;
    for (int i = 0; i < 100; i++) {
        __asm__ volatile("1: ldaxr %0, [%2]\n\tadd %0, %0, #3\n\tstlxr %w1, %0, [%2]\n\tcbnz %w1, 1b"
                         : "=&r"(v), "=&r"(s) : "r"(base + 8) : "memory");
        total += v;
    }
    printf("atomic add loop: %lx total %lx\n", excl[1], total);
    __asm__ volatile("stlr %1, [%0]\n\tldar %1, [%0]\n\tstlrb %w2, [%0]\n\tldarb %w2, [%0]"
                     : "+r"(base), "+r"(v), "+r"(s) : : "memory");
    printf("ldar/stlr: %lx %lx mem %lx\n", v, s, excl[0]);
}

int main(void)
{
    for (unsigned i = 0; i < NV; i++)
        vals[i] = vals_v[i];
    printf("arith: start\n");
    u64 el = read_sysreg(CurrentEL);
    printf("CurrentEL %lu\n", el >> 2);
    table_ops();
    unary_ops();
    conditionals();
    loads_stores();
    exclusives();
    printf("arith: done\n");
    return 0;
}
