#include "realm.h"

#define UART_IPA 0x09000000ul
#define UARTDR 0x00
#define UARTFR 0x18
#define UARTFR_TXFF (1u << 5)

struct rsi_realm_config realm_config;
u64 realm_uart_base;

int realm_init(void)
{
    rsi_u64 lower, higher;
    if (rsi_version(RSI_ABI_VERSION_1_0, &lower, &higher) != RSI_SUCCESS)
        return -1;
    if (rsi_realm_config(&realm_config) != RSI_SUCCESS)
        return -1;
    if (realm_config.ipa_width < 32 || realm_config.ipa_width > 52)
        return -1;
    realm_uart_base = UART_IPA | (1ul << (realm_config.ipa_width - 1));
    return 0;
}

unsigned realm_hash_size(void)
{
    return (realm_config.hash_algo & 0xff) == RSI_HASH_SHA_512 ? 64 : 32;
}

/* Every access is a single 32-bit LDR/STR, so the RMM reports it to the host as an
 * emulatable data abort (ISV = 1). */
void uart_putc(char c)
{
    if (!realm_uart_base)
        return;
    while (mmio_read32(realm_uart_base + UARTFR) & UARTFR_TXFF)
        ;
    mmio_write32(realm_uart_base + UARTDR, (u8)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void print_hex(const unsigned char *p, unsigned n)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        uart_putc(digits[p[i] >> 4]);
        uart_putc(digits[p[i] & 15]);
    }
}

/* PSCI from a realm goes to the RMM by SMC (the device tree says method = "smc"). */
static u64 smc_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
    struct rsi_regs r = { { fn, a1, a2, a3 } };
    rsi_smc(&r);
    return r.x[0];
}

void psci_system_off(void)
{
    smc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void psci_cpu_off(void)
{
    smc_call(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
