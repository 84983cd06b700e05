/* Runtime for realm programs: the bare-metal runtime (guest/baremetal/rt: start, exceptions,
 * printf, string functions) with the console and PSCI a realm needs. */
#ifndef REALM_H
#define REALM_H

#include "rt.h"
#include "rsi.h"

/* The realm's configuration (RSI_REALM_CONFIG), filled by realm_init(). */
extern struct rsi_realm_config realm_config;

/* Checks RSI 1.0 (RSI_VERSION), reads the realm configuration and points the console at the
 * PL011's unprotected alias 0x09000000 | 1 << (ipa_width - 1). Returns 0, or -1 when the RMM
 * does not speak RSI 1.0 (the console then stays silent). */
int realm_init(void);

/* The PL011's IPA as the realm reaches it (0 before realm_init()). */
extern u64 realm_uart_base;

/* Digest size of the realm's measurement algorithm, in bytes. */
unsigned realm_hash_size(void);

/* Prints `n` bytes as lowercase hex (no separators, no newline). */
void print_hex(const unsigned char *p, unsigned n);

#endif
