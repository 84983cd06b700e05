/*
 * Differential-test harness for Capvisor's A64 interpreter, run under
 * qemu-aarch64-static -cpu cortex-a57. Built by the test with
 *   aarch64-linux-gnu-gcc -static -O2 -o harness harness.c
 *
 * Protocol (little-endian, stdin -> stdout), repeated until a zero command:
 *   in:  u32 command (0 = end, 1 = run, 2 = run and dump the data buffer)
 *        u8  code[4096]       the code page, mapped at CODE_PAGE; the sequence
 *                             starts at CODE_PAGE + SEQ_OFFSET and its last
 *                             instruction branches to EPILOGUE
 *        u64 seed             fills the data buffer (xorshift64*)
 *        u64 state[STATE_N]   X0-X30, SP, NZCV, V0-V7 (low, high)
 *   out: u32 signal (0 = completed), u64 fault_pc, u64 state[STATE_N],
 *        u64 buffer_hash (FNV-1a 64), then for command 2 the buffer.
 * On a signal the state is the register state at the faulting instruction
 * (V registers are then reported as zero).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define DATA_BASE 0x41000000UL
#define DATA_SIZE 0x10000UL
#define CODE_PAGE 0x42000000UL
#define STUB_PAGE 0x42001000UL
#define SEQ_OFFSET 0x800
#define STATE_N 49

/* Register block shared with the stubs; offsets are used in the assembly below. */
struct block {
    uint64_t x[31];      /* 0 */
    uint64_t sp;         /* 248 */
    uint64_t nzcv;       /* 256 */
    uint64_t pad;        /* 264 */
    uint64_t v[16];      /* 272 */
    uint64_t saved_sp;   /* 400 */
    uint64_t saved_tp;   /* 408 */
    uint64_t saved[12];  /* 416: x19-x30 */
};

extern char prologue_start[], prologue_end[], epilogue_start[], epilogue_end[];

/* prologue(block *): saves the host context, loads the guest state, then
 * (a branch appended at run time) jumps to the sequence. */
__asm__(
    ".text\n.balign 4\n.global prologue_start\nprologue_start:\n"
    "stp x19, x20, [x0, #416]\n stp x21, x22, [x0, #432]\n stp x23, x24, [x0, #448]\n"
    "stp x25, x26, [x0, #464]\n stp x27, x28, [x0, #480]\n stp x29, x30, [x0, #496]\n"
    "mov x1, sp\n str x1, [x0, #400]\n mrs x1, tpidr_el0\n str x1, [x0, #408]\n msr tpidr_el0, x0\n"
    "ldr x1, [x0, #248]\n mov sp, x1\n ldr x1, [x0, #256]\n msr nzcv, x1\n"
    "ldp q0, q1, [x0, #272]\n ldp q2, q3, [x0, #304]\n ldp q4, q5, [x0, #336]\n ldp q6, q7, [x0, #368]\n"
    "clrex\n msr fpcr, xzr\n msr fpsr, xzr\n mov x30, x0\n"
    "ldp x0, x1, [x30, #0]\n ldp x2, x3, [x30, #16]\n ldp x4, x5, [x30, #32]\n ldp x6, x7, [x30, #48]\n"
    "ldp x8, x9, [x30, #64]\n ldp x10, x11, [x30, #80]\n ldp x12, x13, [x30, #96]\n ldp x14, x15, [x30, #112]\n"
    "ldp x16, x17, [x30, #128]\n ldp x18, x19, [x30, #144]\n ldp x20, x21, [x30, #160]\n ldp x22, x23, [x30, #176]\n"
    "ldp x24, x25, [x30, #192]\n ldp x26, x27, [x30, #208]\n ldp x28, x29, [x30, #224]\n ldr x30, [x30, #240]\n"
    ".global prologue_end\nprologue_end:\n"
    ".global epilogue_start\nepilogue_start:\n"
    "fmov d31, x0\n mrs x0, tpidr_el0\n"
    "stp x1, x2, [x0, #8]\n stp x3, x4, [x0, #24]\n stp x5, x6, [x0, #40]\n stp x7, x8, [x0, #56]\n"
    "stp x9, x10, [x0, #72]\n stp x11, x12, [x0, #88]\n stp x13, x14, [x0, #104]\n stp x15, x16, [x0, #120]\n"
    "stp x17, x18, [x0, #136]\n stp x19, x20, [x0, #152]\n stp x21, x22, [x0, #168]\n stp x23, x24, [x0, #184]\n"
    "stp x25, x26, [x0, #200]\n stp x27, x28, [x0, #216]\n stp x29, x30, [x0, #232]\n"
    "fmov x1, d31\n str x1, [x0, #0]\n mov x1, sp\n str x1, [x0, #248]\n mrs x1, nzcv\n str x1, [x0, #256]\n"
    "stp q0, q1, [x0, #272]\n stp q2, q3, [x0, #304]\n stp q4, q5, [x0, #336]\n stp q6, q7, [x0, #368]\n"
    "ldr x1, [x0, #400]\n mov sp, x1\n ldr x1, [x0, #408]\n msr tpidr_el0, x1\n"
    "ldp x19, x20, [x0, #416]\n ldp x21, x22, [x0, #432]\n ldp x23, x24, [x0, #448]\n"
    "ldp x25, x26, [x0, #464]\n ldp x27, x28, [x0, #480]\n ldp x29, x30, [x0, #496]\n"
    "ret\n"
    ".global epilogue_end\nepilogue_end:\n");

static struct block blk;
static sigjmp_buf jump;
static volatile int caught;
static volatile uint64_t fault_pc;
static uint64_t host_tp;

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
    ucontext_t *uc = ctx;
    __asm__ volatile("msr tpidr_el0, %0" ::"r"(host_tp));
    for (int i = 0; i < 31; i++)
        blk.x[i] = uc->uc_mcontext.regs[i];
    blk.sp = uc->uc_mcontext.sp;
    blk.nzcv = uc->uc_mcontext.pstate & 0xF0000000UL;
    memset(blk.v, 0, sizeof blk.v);
    fault_pc = uc->uc_mcontext.pc;
    caught = sig;
    siglongjmp(jump, 1);
}

static uint64_t rng;
static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static int read_all(void *p, size_t n)
{
    return fread(p, 1, n, stdin) == n;
}

static uint32_t branch(uint64_t from, uint64_t to)
{
    return 0x14000000u | (uint32_t)(((to - from) >> 2) & 0x3FFFFFF);
}

int main(void)
{
    uint8_t *data = mmap((void *)DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    uint8_t *code = mmap((void *)CODE_PAGE, 0x2000, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (data != (void *)DATA_BASE || code != (void *)CODE_PAGE) {
        fprintf(stderr, "harness: cannot map fixed pages\n");
        return 2;
    }

    /* Stub page: prologue (+ branch to the sequence) at STUB_PAGE, epilogue at STUB_PAGE + 0x800. */
    uint8_t *stub = (uint8_t *)STUB_PAGE;
    size_t plen = prologue_end - prologue_start;
    memcpy(stub, prologue_start, plen);
    *(uint32_t *)(stub + plen) = branch(STUB_PAGE + plen, CODE_PAGE + SEQ_OFFSET);
    memcpy(stub + 0x800, epilogue_start, epilogue_end - epilogue_start);
    __builtin___clear_cache((char *)stub, (char *)stub + 0x1000);

    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    sigaction(SIGTRAP, &sa, 0);
    sigaction(SIGFPE, &sa, 0);

    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(host_tp));
    void (*enter)(struct block *) = (void (*)(struct block *))STUB_PAGE;
    static uint8_t page[4096];
    for (;;) {
        uint32_t cmd;
        if (!read_all(&cmd, 4) || cmd == 0)
            break;
        uint64_t seed;
        uint64_t state[STATE_N];
        if (!read_all(page, sizeof page) || !read_all(&seed, 8) || !read_all(state, sizeof state))
            return 3;
        memcpy(code, page, sizeof page);
        __builtin___clear_cache((char *)code, (char *)code + sizeof page);
        rng = seed | 1;
        for (size_t i = 0; i < DATA_SIZE; i += 8)
            *(uint64_t *)(data + i) = next();

        memcpy(blk.x, state, 31 * 8);
        blk.sp = state[31];
        blk.nzcv = state[32];
        memcpy(blk.v, state + 33, 16 * 8);
        caught = 0;
        fault_pc = 0;
        if (sigsetjmp(jump, 1) == 0)
            enter(&blk);

        uint32_t sig = caught;
        uint64_t pc = fault_pc;
        memcpy(state, blk.x, 31 * 8);
        state[31] = blk.sp;
        state[32] = blk.nzcv;
        memcpy(state + 33, blk.v, 16 * 8);
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < DATA_SIZE; i++)
            h = (h ^ data[i]) * 0x100000001b3ULL;
        fwrite(&sig, 4, 1, stdout);
        fwrite(&pc, 8, 1, stdout);
        fwrite(state, 8, STATE_N, stdout);
        fwrite(&h, 8, 1, stdout);
        if (cmd == 2)
            fwrite(data, 1, DATA_SIZE, stdout);
        fflush(stdout);
    }
    return 0;
}
