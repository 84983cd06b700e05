/* Tiny runtime for Capvisor's bare-metal test programs on the virt board. */
#ifndef RT_H
#define RT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long s64;
typedef unsigned long size_t;
typedef __builtin_va_list va_list;
#define va_start __builtin_va_start
#define va_end __builtin_va_end
#define va_arg __builtin_va_arg

#define NULL ((void *)0)

#define read_sysreg(r) ({ u64 __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")
#define isb() __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")
#define barrier() __asm__ volatile("" : : : "memory")

static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)addr; }
static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline u64 mmio_read64(u64 addr) { return *(volatile u64 *)addr; }
static inline void mmio_write64(u64 addr, u64 v) { *(volatile u64 *)addr = v; }

/* uart.c: PL011 at 0x09000000 */
void uart_putc(char c);
void uart_puts(const char *s);

/* print.c */
int printf(const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

/* psci.c: PSCI over HVC #0 (QEMU virt without EL2/EL3) */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_MIGRATE 0xc4000005u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
long hvc_call(u64 fn, u64 a1, u64 a2, u64 a3);
/* GICv3 on CPU 0 (rt/gic.c): distributor, redistributor 0 and ICC interface on, PMR 0xf0 */
void gic_init_cpu0(void);
/* an SPI in group 1, priority 0x80 (whole IPRIORITYR word), routed to CPU 0, enabled */
void gic_enable_spi_cpu0(unsigned intid);

void psci_system_off(void) __attribute__((noreturn));
void psci_cpu_off(void) __attribute__((noreturn));
/* Starts CPU `mpidr` at fn(arg) on its own stack; returns the PSCI status. */
long psci_cpu_on(u64 mpidr, void (*fn)(u64), u64 arg, void *stack_top);

/* exceptions (start.S + exc.c) */
typedef struct exc_frame {
    u64 x[31];
    u64 elr, spsr, esr, far;
    u64 pad;
} exc_frame;

enum {
    /* vector index = 4 * source + type */
    VEC_SYNC = 0, VEC_IRQ = 1, VEC_FIQ = 2, VEC_SERROR = 3,
    VEC_CUR_SP0 = 0, VEC_CUR_SPX = 4, VEC_LOWER_A64 = 8, VEC_LOWER_A32 = 12,
};

/* Returns non-zero if it handled the exception; the frame is restored on return, so the
 * handler may change ELR/SPSR/registers. */
typedef int (*exc_handler_fn)(exc_frame *f, int vec);
void rt_set_handler(exc_handler_fn fn);

/* Runs fn at EL0 (SP_EL0 = stack_top, DAIF masked) until it executes `svc #0xfff`;
 * returns x0 at that SVC. Requires rt_el0_exit_hook() to be called from the program's
 * handler for EL0 SVCs, or the default dispatch (which handles it if no handler claims it). */
u64 run_el0(u64 (*fn)(u64), u64 arg, void *stack_top);
/* The same with an explicit SPSR (EL0t and the DAIF bits to run with). */
u64 run_el0_spsr(u64 (*fn)(u64), u64 arg, void *stack_top, u64 spsr);
#define EL0_EXIT_SVC 0xfff

static inline u32 esr_ec(u64 esr) { return (u32)(esr >> 26) & 0x3f; }
static inline u32 esr_il(u64 esr) { return (u32)(esr >> 25) & 1; }
static inline u32 esr_iss(u64 esr) { return (u32)esr & 0x1ffffff; }

static inline u64 read_nzcv(void) { return read_sysreg(nzcv) >> 28; }

#endif
