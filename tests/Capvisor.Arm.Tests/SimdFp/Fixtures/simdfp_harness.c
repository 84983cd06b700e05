/*
 * Differential-test harness for Capvisor's SIMD&FP engine, run under
 * qemu-aarch64-static -cpu cortex-a57. Reads fixed-size records (instruction word, FPCR,
 * FPSR, NZCV, X0-X30, V0-V31), executes the instruction once with exactly that state and
 * writes the resulting state (status, FPSR, NZCV, X0-X30, V0-V31).
 *
 * usage: simdfp_harness IN OUT
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct state {
    uint64_t x[32];      /* 0: x0..x30, pad */
    uint8_t v[512];      /* 256 */
    uint64_t fpcr;       /* 768 */
    uint64_t fpsr;       /* 776 */
    uint64_t nzcv;       /* 784 */
};

struct in_rec {
    uint32_t insn, fpcr, fpsr, nzcv;
    uint64_t x[31];
    uint8_t v[512];
};

struct out_rec {
    uint32_t status, fpsr, nzcv, pad;
    uint64_t x[31];
    uint8_t v[512];
};

void run_insn(struct state *s, void *code);
void run_insn_cont(void);

__asm__(
    ".text\n"
    ".global run_insn\n"
    "run_insn:\n"
    "  stp x29, x30, [sp, #-176]!\n"
    "  stp x19, x20, [sp, #16]\n"
    "  stp x21, x22, [sp, #32]\n"
    "  stp x23, x24, [sp, #48]\n"
    "  stp x25, x26, [sp, #64]\n"
    "  stp x27, x28, [sp, #80]\n"
    "  stp d8, d9, [sp, #96]\n"
    "  stp d10, d11, [sp, #112]\n"
    "  stp d12, d13, [sp, #128]\n"
    "  stp d14, d15, [sp, #144]\n"
    "  str x0, [sp, #160]\n"
    "  mov x16, x1\n"
    "  mov x30, x0\n"
    "  add x17, x30, #256\n"
    "  ld1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x17], #64\n"
    "  ld1 {v4.16b, v5.16b, v6.16b, v7.16b}, [x17], #64\n"
    "  ld1 {v8.16b, v9.16b, v10.16b, v11.16b}, [x17], #64\n"
    "  ld1 {v12.16b, v13.16b, v14.16b, v15.16b}, [x17], #64\n"
    "  ld1 {v16.16b, v17.16b, v18.16b, v19.16b}, [x17], #64\n"
    "  ld1 {v20.16b, v21.16b, v22.16b, v23.16b}, [x17], #64\n"
    "  ld1 {v24.16b, v25.16b, v26.16b, v27.16b}, [x17], #64\n"
    "  ld1 {v28.16b, v29.16b, v30.16b, v31.16b}, [x17], #64\n"
    "  ldr x17, [x30, #768]\n"
    "  msr fpcr, x17\n"
    "  ldr x17, [x30, #776]\n"
    "  msr fpsr, x17\n"
    "  ldr x17, [x30, #784]\n"
    "  msr nzcv, x17\n"
    "  ldp x0, x1, [x30, #0]\n"
    "  ldp x2, x3, [x30, #16]\n"
    "  ldp x4, x5, [x30, #32]\n"
    "  ldp x6, x7, [x30, #48]\n"
    "  ldp x8, x9, [x30, #64]\n"
    "  ldp x10, x11, [x30, #80]\n"
    "  ldp x12, x13, [x30, #96]\n"
    "  ldp x14, x15, [x30, #112]\n"
    "  ldp x18, x19, [x30, #144]\n"
    "  ldp x20, x21, [x30, #160]\n"
    "  ldp x22, x23, [x30, #176]\n"
    "  ldp x24, x25, [x30, #192]\n"
    "  ldp x26, x27, [x30, #208]\n"
    "  ldp x28, x29, [x30, #224]\n"
    "  br x16\n"
    ".global run_insn_cont\n"
    "run_insn_cont:\n"
    "  ldr x0, [sp, #176]\n"
    "  str x1, [x0, #8]\n"
    "  stp x2, x3, [x0, #16]\n"
    "  stp x4, x5, [x0, #32]\n"
    "  stp x6, x7, [x0, #48]\n"
    "  stp x8, x9, [x0, #64]\n"
    "  stp x10, x11, [x0, #80]\n"
    "  stp x12, x13, [x0, #96]\n"
    "  stp x14, x15, [x0, #112]\n"
    "  stp x16, x17, [x0, #128]\n"
    "  stp x18, x19, [x0, #144]\n"
    "  stp x20, x21, [x0, #160]\n"
    "  stp x22, x23, [x0, #176]\n"
    "  stp x24, x25, [x0, #192]\n"
    "  stp x26, x27, [x0, #208]\n"
    "  stp x28, x29, [x0, #224]\n"
    "  str x30, [x0, #240]\n"
    "  mrs x1, fpsr\n"
    "  str x1, [x0, #776]\n"
    "  mrs x1, nzcv\n"
    "  str x1, [x0, #784]\n"
    "  ldr x1, [sp], #16\n"
    "  str x1, [x0, #0]\n"
    "  add x17, x0, #256\n"
    "  st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x17], #64\n"
    "  st1 {v4.16b, v5.16b, v6.16b, v7.16b}, [x17], #64\n"
    "  st1 {v8.16b, v9.16b, v10.16b, v11.16b}, [x17], #64\n"
    "  st1 {v12.16b, v13.16b, v14.16b, v15.16b}, [x17], #64\n"
    "  st1 {v16.16b, v17.16b, v18.16b, v19.16b}, [x17], #64\n"
    "  st1 {v20.16b, v21.16b, v22.16b, v23.16b}, [x17], #64\n"
    "  st1 {v24.16b, v25.16b, v26.16b, v27.16b}, [x17], #64\n"
    "  st1 {v28.16b, v29.16b, v30.16b, v31.16b}, [x17], #64\n"
    "  ldp x19, x20, [sp, #16]\n"
    "  ldp x21, x22, [sp, #32]\n"
    "  ldp x23, x24, [sp, #48]\n"
    "  ldp x25, x26, [sp, #64]\n"
    "  ldp x27, x28, [sp, #80]\n"
    "  ldp d8, d9, [sp, #96]\n"
    "  ldp d10, d11, [sp, #112]\n"
    "  ldp d12, d13, [sp, #128]\n"
    "  ldp d14, d15, [sp, #144]\n"
    "  ldp x29, x30, [sp], #176\n"
    "  ret\n");

static sigjmp_buf jb;
static volatile int got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
    siglongjmp(jb, 1);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (!in || !out) {
        perror("open");
        return 2;
    }
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);

    static struct state st;
    struct in_rec r;
    struct out_rec o;
    uint64_t cont = (uint64_t)(uintptr_t)&run_insn_cont;
    while (fread(&r, sizeof r, 1, in) == 1) {
        memset(&st, 0, sizeof st);
        memcpy(st.x, r.x, sizeof r.x);
        memcpy(st.v, r.v, sizeof r.v);
        st.fpcr = r.fpcr;
        st.fpsr = r.fpsr;
        st.nzcv = r.nzcv;
        code[0] = 0xf9404bd0; /* ldr x16, [x30, #144]? placeholder, fixed below */
        code[0] = 0xf94043d0; /* ldr x16, [x30, #128] */
        code[1] = 0xf94047d1; /* ldr x17, [x30, #136] */
        code[2] = 0xf9407bde; /* ldr x30, [x30, #240] */
        code[3] = r.insn;
        code[4] = 0xf81f0fe0; /* str x0, [sp, #-16]! */
        code[5] = 0x58000040; /* ldr x0, .+8 */
        code[6] = 0xd61f0000; /* br x0 */
        code[7] = 0xd503201f; /* nop (pad to 8-byte literal) */
        memcpy(&code[8], &cont, 8);
        code[5] = 0x58000060; /* ldr x0, .+12 -> code[8] */
        __builtin___clear_cache((char *)code, (char *)(code + 10));
        memset(&o, 0, sizeof o);
        got_signal = 0;
        if (sigsetjmp(jb, 1) == 0) {
            run_insn(&st, code);
            o.status = 0;
            o.fpsr = (uint32_t)st.fpsr;
            o.nzcv = (uint32_t)st.nzcv;
            memcpy(o.x, st.x, sizeof o.x);
            memcpy(o.v, st.v, sizeof o.v);
        } else {
            o.status = got_signal == SIGILL ? 1 : 2;
        }
        fwrite(&o, sizeof o, 1, out);
    }
    fclose(out);
    return 0;
}
