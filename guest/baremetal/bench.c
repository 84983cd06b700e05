/* bench: CPU-bound integer work for bench/run.sh - CRC32 (bitwise), quicksort, FNV-1a and
 * xorshift hashing, a small matrix multiply - with the MMU on (identity map, 1 GiB blocks)
 * like a real kernel. Prints one checksum per workload; BENCH_SCALE sets the size. */
#include "rt.h"

#ifndef BENCH_SCALE
#define BENCH_SCALE 1
#endif

static u64 l1[512] __attribute__((aligned(4096)));

static void mmu_on(void)
{
    l1[0] = 0x0ul | 1 | (1ul << 2) | (1ul << 10) | (3ul << 53); /* device, AF, XN */
    l1[1] = 0x40000000ul | 1 | (0ul << 2) | (3ul << 8) | (1ul << 10); /* normal WB, AF */
    dsb(ish);
    write_sysreg(mair_el1, 0x00ul << 8 | 0xfful);
    write_sysreg(tcr_el1, 25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | 1ul << 23 | 2ul << 32);
    write_sysreg(ttbr0_el1, (u64)l1);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    isb();
}

#define BUF_SIZE (64 * 1024)
#define SORT_N 8192
static u8 buf[BUF_SIZE] __attribute__((aligned(16)));
static u32 arr[SORT_N];

static u64 rng = 0x9e3779b97f4a7c15ul;
static u64 xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static u32 crc32_bitwise(const u8 *p, size_t n, u32 c)
{
    c = ~c;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static void quicksort(u32 *a, long lo, long hi)
{
    while (lo < hi) {
        u32 p = a[(lo + hi) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                u32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static u64 fnv1a(const u8 *p, size_t n, u64 h)
{
    while (n--) {
        h ^= *p++;
        h *= 0x100000001b3ul;
    }
    return h;
}

#define MAT 24
static s64 ma[MAT][MAT], mb[MAT][MAT], mc[MAT][MAT];

int main(void)
{
    mmu_on();
    printf("bench: scale %d\n", BENCH_SCALE);
    for (size_t i = 0; i < BUF_SIZE; i += 8) {
        u64 v = xorshift();
        for (int k = 0; k < 8; k++)
            buf[i + k] = (u8)(v >> (8 * k));
    }

    u32 crc = 0;
    for (int r = 0; r < 2 * BENCH_SCALE; r++)
        crc = crc32_bitwise(buf, BUF_SIZE, crc);
    printf("crc32   %08x\n", crc);

    u64 sorted = 0;
    for (int r = 0; r < 4 * BENCH_SCALE; r++) {
        for (int i = 0; i < SORT_N; i++)
            arr[i] = (u32)xorshift();
        quicksort(arr, 0, SORT_N - 1);
        int ok = 1;
        for (int i = 1; i < SORT_N; i++)
            ok &= arr[i - 1] <= arr[i];
        sorted = sorted * 31 + arr[SORT_N / 2] + (u64)ok;
    }
    printf("sort    %016lx\n", sorted);

    u64 h = 0xcbf29ce484222325ul;
    for (int r = 0; r < 8 * BENCH_SCALE; r++)
        h = fnv1a(buf, BUF_SIZE, h);
    printf("fnv1a   %016lx\n", h);

    for (int i = 0; i < MAT; i++)
        for (int j = 0; j < MAT; j++) {
            ma[i][j] = (s64)(xorshift() % 2001) - 1000;
            mb[i][j] = (s64)(xorshift() % 2001) - 1000;
        }
    u64 msum = 0;
    for (int r = 0; r < 4 * BENCH_SCALE; r++) {
        for (int i = 0; i < MAT; i++)
            for (int j = 0; j < MAT; j++) {
                s64 s = 0;
                for (int k = 0; k < MAT; k++)
                    s += ma[i][k] * mb[k][j];
                mc[i][j] = s;
            }
        for (int i = 0; i < MAT; i++)
            for (int j = 0; j < MAT; j++) {
                ma[i][j] = (mc[i][j] >> 7) ^ (s64)(r + i);
                msum += (u64)mc[i][j];
            }
    }
    printf("matmul  %016lx\n", msum);
    printf("checksum %016lx\n", (u64)crc ^ sorted ^ h ^ msum);
    return 0;
}
