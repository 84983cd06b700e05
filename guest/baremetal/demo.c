/* demo: the program `capvisor demo` runs first - a banner, a CRC32 computed in software and
 * with the CRC32 instructions, a small sort and a prime sieve, then PSCI SYSTEM_OFF. */
#include "rt.h"

static const char message[] = "Capvisor: Arm CCA realms on an emulated Armv9-A virt board";

static u32 crc32_soft(const u8 *p, size_t n)
{
    u32 c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static u32 crc32_insn(const u8 *p, size_t n)
{
    u32 c = 0xffffffffu;
    while (n--)
        __asm__("crc32b %w0, %w0, %w1" : "+r"(c) : "r"((u32)*p++));
    return ~c;
}

int main(void)
{
    printf("\n");
    printf("  +------------------------------------------------+\n");
    printf("  |  Capvisor demo: bare-metal program on virt     |\n");
    printf("  |  EL%lu, MMU off, PL011 UART at 0x09000000        |\n", read_sysreg(CurrentEL) >> 2);
    printf("  +------------------------------------------------+\n\n");

    size_t n = strlen(message);
    printf("message: \"%s\" (%lu bytes)\n", message, n);
    printf("CRC32 (software loop)     %08x\n", crc32_soft((const u8 *)message, n));
    printf("CRC32 (CRC32B insn)       %08x\n", crc32_insn((const u8 *)message, n));

    u32 a[16], x = 2463534242u;
    for (int i = 0; i < 16; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        a[i] = x % 1000;
    }
    printf("unsorted:");
    for (int i = 0; i < 16; i++)
        printf(" %u", a[i]);
    for (int i = 1; i < 16; i++) {
        u32 v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
    printf("\nsorted:  ");
    for (int i = 0; i < 16; i++)
        printf(" %u", a[i]);
    printf("\n");

    static u8 composite[200];
    int count = 0;
    printf("primes below 200:");
    for (int i = 2; i < 200; i++) {
        if (composite[i])
            continue;
        count++;
        printf(" %d", i);
        for (int j = i * i; j < 200; j += i)
            composite[j] = 1;
    }
    printf("\n%d primes\n\n", count);
    printf("powering off with PSCI SYSTEM_OFF\n");
    return 0;
}
