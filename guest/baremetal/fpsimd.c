/* fpsimd: the FP/AdvSIMD trap at reset (CPACR_EL1.FPEN = 0, EC 0x07), then, with FP enabled,
 * scalar double/single arithmetic on special values (zeros, subnormals, infinities, quiet
 * and signalling NaNs) with the FPSR flags each op raises, comparisons, conversions and
 * rounding, FPCR modes (rounding, flush-to-zero, default NaN), and AdvSIMD integer, permute,
 * saturating (FPSR.QC) and vector FP ops. Results print as raw bit patterns.
 * This file is compiled with FP/SIMD enabled; main() is general-regs-only so nothing touches
 * a V register before CPACR_EL1 allows it. */
#include "rt.h"

typedef unsigned long v2u64 __attribute__((vector_size(16)));

static volatile u64 dvals_v[] = {
    0x0000000000000000u, 0x8000000000000000u, 0x3ff0000000000000u, 0xbff8000000000000u,
    0x7fefffffffffffffu, 0x0010000000000000u, 0x0000000000000001u, 0x7ff0000000000000u,
    0xfff0000000000000u, 0x7ff8000000000000u, 0x7ff0000000000001u, 0x400921fb54442d18u,
    0xc0f86a0000000000u,
};
#define ND (sizeof(dvals_v) / sizeof(dvals_v[0]))
static u64 dv[ND];

static volatile u32 svals_v[] = {
    0x00000000u, 0x80000000u, 0x3f800000u, 0xbfc00000u, 0x7f7fffffu, 0x00800000u,
    0x00000001u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u, 0x40490fdbu,
};
#define NS (sizeof(svals_v) / sizeof(svals_v[0]))
static u32 sv[NS];

static inline void fpsr_clear(void) { __asm__ volatile("msr fpsr, xzr"); }
static inline u64 fpsr_get(void) { u64 v; __asm__ volatile("mrs %0, fpsr" : "=r"(v)); return v; }

static inline double d_of(u64 b) { double d; __asm__ volatile("fmov %d0, %1" : "=w"(d) : "r"(b)); return d; }
static inline u64 bits_of(double d) { u64 b; __asm__ volatile("fmov %0, %d1" : "=r"(b) : "w"(d)); return b; }
static inline float s_of(u32 b) { float s; __asm__ volatile("fmov %s0, %w1" : "=w"(s) : "r"(b)); return s; }
static inline u32 sbits_of(float s) { u32 b; __asm__ volatile("fmov %w0, %s1" : "=r"(b) : "w"(s)); return b; }

#define DOP2(name, insn)                                                                  \
    static u64 name(u64 a, u64 b)                                                         \
    {                                                                                     \
        double r;                                                                         \
        __asm__ volatile(insn " %d0, %d1, %d2" : "=w"(r) : "w"(d_of(a)), "w"(d_of(b)));   \
        return bits_of(r);                                                                \
    }
DOP2(d_fadd, "fadd") DOP2(d_fsub, "fsub") DOP2(d_fmul, "fmul") DOP2(d_fdiv, "fdiv")
DOP2(d_fmax, "fmax") DOP2(d_fmin, "fmin") DOP2(d_fmaxnm, "fmaxnm") DOP2(d_fminnm, "fminnm")
DOP2(d_fnmul, "fnmul") DOP2(d_fabd, "fabd")
static u64 d_fmadd(u64 a, u64 b)
{
    double r;
    __asm__ volatile("fmadd %d0, %d1, %d2, %d3" : "=w"(r) : "w"(d_of(a)), "w"(d_of(b)), "w"(d_of(0x3fe0000000000000u)));
    return bits_of(r);
}
static u64 d_fnmsub(u64 a, u64 b)
{
    double r;
    __asm__ volatile("fnmsub %d0, %d1, %d2, %d3" : "=w"(r) : "w"(d_of(a)), "w"(d_of(b)), "w"(d_of(b)));
    return bits_of(r);
}
static u64 d_fcmp(u64 a, u64 b)
{
    u64 f;
    __asm__ volatile("fcmp %d1, %d2\n\tmrs %0, nzcv" : "=r"(f) : "w"(d_of(a)), "w"(d_of(b)) : "cc");
    return f >> 28;
}
static u64 d_fcmpe(u64 a, u64 b)
{
    u64 f;
    __asm__ volatile("fcmpe %d1, %d2\n\tmrs %0, nzcv" : "=r"(f) : "w"(d_of(a)), "w"(d_of(b)) : "cc");
    return f >> 28;
}
static u64 d_fccmp(u64 a, u64 b)
{
    u64 f;
    __asm__ volatile("cmp xzr, xzr\n\tfccmp %d1, %d2, #0x5, eq\n\tmrs %0, nzcv\n\t" : "=r"(f) : "w"(d_of(a)), "w"(d_of(b)) : "cc");
    return f >> 28;
}
static u64 d_fcsel(u64 a, u64 b)
{
    double r;
    __asm__ volatile("fcmp %d1, %d2\n\tfcsel %d0, %d1, %d2, gt" : "=w"(r) : "w"(d_of(a)), "w"(d_of(b)) : "cc");
    return bits_of(r);
}

static const struct { const char *name; u64 (*fn)(u64, u64); } dops[] = {
    {"fadd", d_fadd}, {"fsub", d_fsub}, {"fmul", d_fmul}, {"fdiv", d_fdiv}, {"fmax", d_fmax},
    {"fmin", d_fmin}, {"fmaxnm", d_fmaxnm}, {"fminnm", d_fminnm}, {"fnmul", d_fnmul},
    {"fabd", d_fabd}, {"fmadd", d_fmadd}, {"fnmsub", d_fnmsub}, {"fcmp", d_fcmp},
    {"fcmpe", d_fcmpe}, {"fccmp", d_fccmp}, {"fcsel", d_fcsel},
};

static void double_binary(void)
{
    printf("== double binary ops: result/FPSR ==\n");
    for (unsigned i = 0; i < sizeof(dops) / sizeof(dops[0]); i++)
        for (unsigned a = 0; a < ND; a++) {
            printf("%s %lx:", dops[i].name, dv[a]);
            for (unsigned b = 0; b < ND; b++) {
                fpsr_clear();
                u64 r = dops[i].fn(dv[a], dv[b]);
                printf(" %lx/%lx", r, fpsr_get());
            }
            printf("\n");
        }
}

#define DUN(insn, rd, rn) \
    __asm__ volatile(insn : "=" rd(r) : rn(x))

static void double_unary(void)
{
    printf("== double unary ops and conversions: result/FPSR ==\n");
    for (unsigned i = 0; i < ND; i++) {
        double x = d_of(dv[i]);
        u64 out[24], fl[24];
        int n = 0;
#define U_D(insn)  do { double r; fpsr_clear(); __asm__ volatile(insn " %d0, %d1" : "=w"(r) : "w"(x)); out[n] = bits_of(r); fl[n++] = fpsr_get(); } while (0)
#define U_X(insn)  do { u64 r; fpsr_clear(); __asm__ volatile(insn " %0, %d1" : "=r"(r) : "w"(x)); out[n] = r; fl[n++] = fpsr_get(); } while (0)
#define U_W(insn)  do { u64 r; fpsr_clear(); __asm__ volatile(insn " %w0, %d1" : "=r"(r) : "w"(x)); out[n] = r; fl[n++] = fpsr_get(); } while (0)
        U_D("fsqrt"); U_D("fabs"); U_D("fneg"); U_D("frintn"); U_D("frintz"); U_D("frinta");
        U_D("frintm"); U_D("frintp"); U_D("frintx"); U_D("frinti");
        U_X("fcvtzs"); U_X("fcvtzu"); U_X("fcvtns"); U_X("fcvtas"); U_X("fcvtms"); U_X("fcvtps");
        U_W("fcvtzs"); U_W("fcvtzu");
        { float r; fpsr_clear(); __asm__ volatile("fcvt %s0, %d1" : "=w"(r) : "w"(x)); out[n] = sbits_of(r); fl[n++] = fpsr_get(); }
        { u64 r; fpsr_clear(); __asm__ volatile("fcvt h0, %d1\n\tumov %w0, v0.h[0]" : "=r"(r) : "w"(x) : "v0"); out[n] = r; fl[n++] = fpsr_get(); }
        { u64 r; fpsr_clear(); __asm__ volatile("fcvtzs %0, %d1, #8" : "=r"(r) : "w"(x)); out[n] = r; fl[n++] = fpsr_get(); }
        { double r; fpsr_clear(); __asm__ volatile("frecpe %d0, %d1" : "=w"(r) : "w"(x)); out[n] = bits_of(r); fl[n++] = fpsr_get(); }
        { double r; fpsr_clear(); __asm__ volatile("frsqrte %d0, %d1" : "=w"(r) : "w"(x)); out[n] = bits_of(r); fl[n++] = fpsr_get(); }
        printf("d %lx:", dv[i]);
        for (int k = 0; k < n; k++)
            printf(" %lx/%lx", out[k], fl[k]);
        printf("\n");
    }
    static const u64 ints[] = {0, 1, 0xffffffffffffffffu, 0x8000000000000000u, 0x7fffffffffffffffu,
                               0x20000000000001u, 0x123456789abcdefu};
    for (unsigned i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        u64 v = ints[i];
        double a, b, c;
        float s;
        fpsr_clear();
        __asm__ volatile("scvtf %d0, %1" : "=w"(a) : "r"(v));
        u64 f1 = fpsr_get();
        fpsr_clear();
        __asm__ volatile("ucvtf %d0, %1" : "=w"(b) : "r"(v));
        u64 f2 = fpsr_get();
        __asm__ volatile("scvtf %d0, %w1" : "=w"(c) : "r"(v));
        __asm__ volatile("ucvtf %s0, %1, #4" : "=w"(s) : "r"(v));
        printf("int %lx: scvtf %lx/%lx ucvtf %lx/%lx scvtf.w %lx ucvtf.s#4 %x\n", v, bits_of(a), f1,
               bits_of(b), f2, bits_of(c), sbits_of(s));
    }
}

static void single_ops(void)
{
    printf("== single ops: fadd fmul fdiv fsqrt fcvt.d ==\n");
    for (unsigned a = 0; a < NS; a++) {
        printf("s %x:", sv[a]);
        for (unsigned b = 0; b < NS; b += 2) {
            float r, q, p;
            fpsr_clear();
            __asm__ volatile("fadd %s0, %s3, %s4\n\tfmul %s1, %s3, %s4\n\tfdiv %s2, %s3, %s4"
                             : "=&w"(r), "=&w"(q), "=&w"(p) : "w"(s_of(sv[a])), "w"(s_of(sv[b])));
            printf(" %x,%x,%x/%lx", sbits_of(r), sbits_of(q), sbits_of(p), fpsr_get());
        }
        float sq;
        double d;
        fpsr_clear();
        __asm__ volatile("fsqrt %s0, %s1" : "=w"(sq) : "w"(s_of(sv[a])));
        u64 f = fpsr_get();
        __asm__ volatile("fcvt %d0, %s1" : "=w"(d) : "w"(s_of(sv[a])));
        printf(" | sqrt %x/%lx cvt %lx\n", sbits_of(sq), f, bits_of(d));
    }
}

static void fpcr_modes(void)
{
    printf("== FPCR modes ==\n");
    static const struct { const char *name; u64 fpcr; } modes[] = {
        {"RN", 0}, {"RP", 1ul << 22}, {"RM", 2ul << 22}, {"RZ", 3ul << 22},
        {"FZ", 1ul << 24}, {"DN", 1ul << 25}, {"AHP", 1ul << 26},
    };
    for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        __asm__ volatile("msr fpcr, %0\n\tisb" : : "r"(modes[m].fpcr));
        u64 third, neg_third, sub, nan, rint, cvt, h;
        fpsr_clear();
        third = d_fdiv(0x3ff0000000000000u, 0x4008000000000000u);
        neg_third = d_fdiv(0xbff0000000000000u, 0x4008000000000000u);
        sub = d_fmul(0x0010000000000000u, 0x3fe0000000000000u); /* subnormal result */
        u64 subin = d_fadd(0x0000000000000001u, 0);              /* subnormal input */
        nan = d_fadd(0x7ff0000000000001u, 0x3ff0000000000000u);
        double r;
        __asm__ volatile("frinti %d0, %d1" : "=w"(r) : "w"(d_of(0xc004000000000000u))); /* -2.5 */
        rint = bits_of(r);
        __asm__ volatile("fcvtzs %0, %d1" : "=r"(cvt) : "w"(d_of(0x4004000000000000u)));
        __asm__ volatile("fcvt h0, %d1\n\tumov %w0, v0.h[0]" : "=r"(h) : "w"(d_of(0x40f86a0000000000u)) : "v0");
        u64 fpcr;
        __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
        printf("%s fpcr %lx: 1/3 %lx -1/3 %lx sub %lx subin %lx snan+1 %lx rinti(-2.5) %lx cvtzs(2.5) %lx h(100000) %lx fpsr %lx\n",
               modes[m].name, fpcr, third, neg_third, sub, subin, nan, rint, cvt, h, fpsr_get());
    }
    __asm__ volatile("msr fpcr, xzr\n\tisb");
}

static v2u64 vin[4];

#define V3(insn)                                                                          \
    do {                                                                                  \
        v2u64 r;                                                                          \
        fpsr_clear();                                                                     \
        __asm__ volatile(insn : "=&w"(r) : "w"(vin[0]), "w"(vin[1]), "w"(vin[2]));        \
        printf("%-28s %016lx:%016lx fpsr %lx\n", insn, r[1], r[0], fpsr_get());           \
    } while (0)

static void simd(void)
{
    printf("== AdvSIMD ==\n");
    vin[0] = (v2u64){0x0123456789abcdefu, 0xfedcba9876543210u};
    vin[1] = (v2u64){0x8000000180000001u, 0x7fff7fff00ff00ffu};
    vin[2] = (v2u64){0x0f0e0d0c0b0a0908u, 0x1f1e1d1c03020100u};
    vin[3] = (v2u64){0x3ff0000000000000u, 0xc000000000000000u};
    V3("add %0.4s, %1.4s, %2.4s");
    V3("sub %0.2d, %1.2d, %2.2d");
    V3("mul %0.8h, %1.8h, %2.8h");
    V3("mla %0.4s, %1.4s, %2.4s");
    V3("cmeq %0.16b, %1.16b, %2.16b");
    V3("cmhs %0.8h, %1.8h, %2.8h");
    V3("cmgt %0.4s, %1.4s, %2.4s");
    V3("cmtst %0.2d, %1.2d, %2.2d");
    V3("umaxp %0.16b, %1.16b, %2.16b");
    V3("uminp %0.8h, %1.8h, %2.8h");
    V3("addp %0.4s, %1.4s, %2.4s");
    V3("smax %0.4s, %1.4s, %2.4s");
    V3("uabd %0.16b, %1.16b, %2.16b");
    V3("and %0.16b, %1.16b, %2.16b");
    V3("orr %0.16b, %1.16b, %2.16b");
    V3("eor %0.16b, %1.16b, %2.16b");
    V3("bic %0.16b, %1.16b, %2.16b");
    V3("orn %0.16b, %1.16b, %2.16b");
    V3("zip1 %0.16b, %1.16b, %2.16b");
    V3("zip2 %0.8h, %1.8h, %2.8h");
    V3("uzp1 %0.4s, %1.4s, %2.4s");
    V3("uzp2 %0.16b, %1.16b, %2.16b");
    V3("trn1 %0.8h, %1.8h, %2.8h");
    V3("trn2 %0.4s, %1.4s, %2.4s");
    V3("ext %0.16b, %1.16b, %2.16b, #5");
    V3("tbl %0.16b, {%1.16b}, %3.16b");
    V3("tbl %0.8b, {%1.16b}, %2.8b");
    V3("sqadd %0.8h, %1.8h, %2.8h");
    V3("uqsub %0.16b, %1.16b, %2.16b");
    V3("sqdmulh %0.4s, %1.4s, %2.4s");
    V3("uqadd %0.2d, %1.2d, %2.2d");
    V3("sshl %0.4s, %1.4s, %3.4s");
    V3("ushl %0.16b, %1.16b, %3.16b");
    V3("umull %0.2d, %1.2s, %2.2s");
    V3("smull2 %0.4s, %1.8h, %2.8h");
    V3("uaddw %0.8h, %1.8h, %2.8b");
    V3("addhn %0.8b, %1.8h, %2.8h");
    V3("pmul %0.16b, %1.16b, %2.16b");
    V3("shrn %0.8b, %1.8h, #4");
    V3("sqxtn %0.8b, %1.8h");
    V3("uqxtn %0.4h, %1.4s");
    V3("xtn %0.2s, %1.2d");
    V3("uxtl %0.8h, %1.8b");
    V3("sxtl2 %0.2d, %1.4s");
    V3("ushr %0.4s, %1.4s, #7");
    V3("sshr %0.2d, %1.2d, #63");
    V3("shl %0.8h, %1.8h, #3");
    V3("sli %0.2d, %1.2d, #17");
    V3("ursra %0.16b, %1.16b, #3");
    V3("rev64 %0.16b, %1.16b");
    V3("rev32 %0.8h, %1.8h");
    V3("rev16 %0.16b, %1.16b");
    V3("cnt %0.16b, %1.16b");
    V3("clz %0.4s, %1.4s");
    V3("abs %0.8h, %1.8h");
    V3("neg %0.2d, %1.2d");
    V3("not %0.16b, %1.16b");
    V3("rbit %0.16b, %1.16b");
    V3("addv %b0, %1.16b");
    V3("umaxv %h0, %1.8h");
    V3("uaddlv %s0, %1.8h");
    V3("dup %0.4s, %1.s[3]");
    V3("dup %0.16b, %1.b[9]");
    V3("movi %0.2d, #0xff00ff0000ffff00");
    V3("movi %0.4s, #0xab, lsl #16");
    V3("mvni %0.8h, #0x12, lsl #8");
    V3("mov %0.16b, %1.16b\n\tins %0.s[1], %2.s[2]");
    V3("mov %0.16b, %1.16b\n\tbit %0.16b, %2.16b, %3.16b");
    V3("mov %0.16b, %1.16b\n\tbif %0.16b, %2.16b, %3.16b");
    V3("mov %0.16b, %3.16b\n\tbsl %0.16b, %1.16b, %2.16b");
    V3("mov %0.16b, %1.16b\n\tmov %0.d[1], %2.d[0]");
    V3("cmeq %0.2d, %1.2d, #0");
    V3("cmlt %0.4s, %1.4s, #0");
    u64 g;
    __asm__ volatile("umov %w0, %1.b[13]" : "=r"(g) : "w"(vin[0]));
    printf("umov b[13] %lx", g);
    __asm__ volatile("smov %0, %1.h[7]" : "=r"(g) : "w"(vin[0]));
    printf(" smov h[7] %lx", g);
    __asm__ volatile("mov %0, %1.d[1]" : "=r"(g) : "w"(vin[1]));
    printf(" mov d[1] %lx\n", g);
    v2u64 r;
    __asm__ volatile("dup %0.8h, %w1" : "=w"(r) : "r"(0x12345678ul));
    printf("dup.8h w %016lx:%016lx\n", r[1], r[0]);

    /* vector FP */
    vin[0] = (v2u64){0x3ff8000000000000u, 0x7ff0000000000000u};
    vin[1] = (v2u64){0x4000000000000000u, 0xfff0000000000000u};
    vin[2] = (v2u64){0x3f8000003fc00000u, 0x7f800001c0000000u};
    V3("fadd %0.2d, %1.2d, %2.2d");
    V3("fmul %0.2d, %1.2d, %2.2d");
    V3("fmla %0.2d, %1.2d, %2.2d");
    V3("fadd %0.4s, %3.4s, %3.4s");
    V3("fmaxp %0.4s, %3.4s, %3.4s");
    V3("fcmge %0.2d, %1.2d, %2.2d");
    V3("fcmeq %0.4s, %3.4s, %3.4s");
    V3("fcvtzs %0.4s, %3.4s");
    V3("fcvtzu %0.2d, %1.2d");
    V3("scvtf %0.4s, %3.4s");
    V3("frecpe %0.4s, %3.4s");
    V3("frsqrte %0.2d, %1.2d");
    V3("frecps %0.4s, %3.4s, %3.4s");
    V3("fcvtn %0.2s, %1.2d");
    V3("fcvtl %0.2d, %3.2s");
    V3("fabs %0.4s, %3.4s");
    V3("fsqrt %0.2d, %1.2d");
    V3("faddp %d0, %1.2d");
    V3("fmaxnmv %s0, %3.4s");

    /* loads and stores of vectors (aligned: the MMU is off) */
    static u8 mem[64] __attribute__((aligned(16)));
    for (int i = 0; i < 64; i++)
        mem[i] = (u8)(i * 7 + 3);
    v2u64 a, b;
    __asm__ volatile("ld1 {%0.16b, %1.16b}, [%2]" : "=&w"(a), "=&w"(b) : "r"(mem) : "memory");
    printf("ld1 x2: %016lx:%016lx %016lx:%016lx\n", a[1], a[0], b[1], b[0]);
    __asm__ volatile("ld2 {v0.8h, v1.8h}, [%2]\n\tmov %0.16b, v0.16b\n\tmov %1.16b, v1.16b" : "=&w"(a), "=&w"(b) : "r"(mem) : "memory", "v0", "v1");
    printf("ld2.8h: %016lx:%016lx %016lx:%016lx\n", a[1], a[0], b[1], b[0]);
    __asm__ volatile("ld1r {%0.4s}, [%1]" : "=w"(a) : "r"(mem + 8) : "memory");
    printf("ld1r.4s: %016lx:%016lx\n", a[1], a[0]);
    u8 *p = mem;
    __asm__ volatile("ld1 {%0.d}[1], [%1], #8" : "=w"(a), "+r"(p) : "0"(vin[2]) : "memory");
    printf("ld1 lane post: %016lx:%016lx base+%ld\n", a[1], a[0], (s64)(p - mem));
    __asm__ volatile("ldr q0, [%0, #16]\n\tstr q0, [%0, #48]\n\tldp d1, d2, [%0]\n\tstp d2, d1, [%0, #32]\n\tstr s1, [%0, #4]\n\tstr h2, [%0, #10]\n\tstr b2, [%0, #15]"
                     : : "r"(mem) : "memory", "v0", "v1", "v2");
    printf("stores:");
    for (int i = 0; i < 64; i += 8) {
        u64 w = 0;
        for (int k = 7; k >= 0; k--)
            w = (w << 8) | mem[i + k];
        printf(" %016lx", w);
    }
    printf("\n");
    __asm__ volatile("st2 {%0.4s, %1.4s}, [%2]" : : "w"(vin[0]), "w"(vin[1]), "r"(mem) : "memory");
    printf("st2.4s:");
    for (int i = 0; i < 32; i += 8) {
        u64 w = 0;
        for (int k = 7; k >= 0; k--)
            w = (w << 8) | mem[i + k];
        printf(" %016lx", w);
    }
    printf("\n");
}

static __attribute__((noinline)) void fp_tests(void)
{
    for (unsigned i = 0; i < ND; i++)
        dv[i] = dvals_v[i];
    for (unsigned i = 0; i < NS; i++)
        sv[i] = svals_v[i];
    double_binary();
    double_unary();
    single_ops();
    fpcr_modes();
    simd();
}

static volatile u64 trap_esr;
static volatile int trap_count;

__attribute__((target("general-regs-only"))) static int trap_handler(exc_frame *f, int vec)
{
    trap_esr = f->esr;
    trap_count++;
    f->elr += 4;
    return 1;
}

__attribute__((target("general-regs-only"))) int main(void)
{
    printf("fpsimd: start\n");
    rt_set_handler(trap_handler);
    printf("CPACR_EL1.FPEN at reset %lu\n", (read_sysreg(cpacr_el1) >> 20) & 3);
    __asm__ volatile("fmov d0, xzr" : : : "v0");
    printf("fmov with FPEN=0: traps %d EC=%02x IL=%u ISS=%07x\n", trap_count, esr_ec(trap_esr),
           esr_il(trap_esr), esr_iss(trap_esr));
    __asm__ volatile("mrs x0, fpcr" : : : "x0");
    printf("mrs fpcr with FPEN=0: traps %d EC=%02x ISS=%07x\n", trap_count, esr_ec(trap_esr),
           esr_iss(trap_esr));
    write_sysreg(cpacr_el1, 3ul << 20);
    isb();
    __asm__ volatile("fmov d0, xzr" : : : "v0");
    printf("fmov with FPEN=3: traps %d\n", trap_count);
    rt_set_handler(NULL);
    fp_tests();
    printf("fpsimd: done\n");
    return 0;
}
