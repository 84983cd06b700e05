/* Entry, exception vectors and EL0 switching for the bare-metal programs.
 * QEMU's ELF loader (and Capvisor's) enter at _start on CPU 0 at EL1h, MMU off,
 * DAIF masked; secondary CPUs start powered off and come up through PSCI CPU_ON. */

#define FRAME_SIZE 288   /* sizeof(exc_frame) */

    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x0, =__stack0_top
    mov     sp, x0
    adr     x0, vectors
    msr     vbar_el1, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  bl      main
    bl      psci_system_off
3:  wfi
    b       3b

/* CPU_ON entry point: x0 = context_id = pointer to { stack_top, fn, arg }. */
    .global secondary_entry
secondary_entry:
    ldr     x1, [x0]
    mov     sp, x1
    adr     x1, vectors
    msr     vbar_el1, x1
    isb
    ldr     x1, [x0, #8]
    ldr     x0, [x0, #16]
    blr     x1
    bl      psci_cpu_off
4:  wfi
    b       4b

    .text
/* u64 run_el0(u64 (*fn)(u64), u64 arg, void *stack_top): at EL0t with DAIF masked */
    .global run_el0
run_el0:
    mov     x3, #0x3c0          /* EL0t, D A I F masked */
/* u64 run_el0_spsr(u64 (*fn)(u64), u64 arg, void *stack_top, u64 spsr) */
    .global run_el0_spsr
run_el0_spsr:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mov     x5, sp
    ldr     x4, =el1_saved_sp
    str     x5, [x4]
    msr     sp_el0, x2
    ldr     x5, =el0_trampoline
    msr     elr_el1, x5
    msr     spsr_el1, x3
    mov     x2, x0              /* fn */
    mov     x0, x1              /* arg */
    mov     x1, x2
    eret

/* Reached at EL1h by the exception handler when EL0 executes svc #0xfff (x0 = result). */
    .global el0_return
el0_return:
    ldr     x4, =el1_saved_sp
    ldr     x3, [x4]
    mov     sp, x3
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret

    .section .el0text, "ax"
el0_trampoline:
    blr     x1
    svc     #0xfff
5:  b       5b

    .bss
    .balign 8
el1_saved_sp:
    .skip   8

    .text
.macro VENTRY vec
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\vec
    b       exc_common
.endm

    .balign 0x800
    .global vectors
vectors:
    VENTRY  0
    VENTRY  1
    VENTRY  2
    VENTRY  3
    VENTRY  4
    VENTRY  5
    VENTRY  6
    VENTRY  7
    VENTRY  8
    VENTRY  9
    VENTRY  10
    VENTRY  11
    VENTRY  12
    VENTRY  13
    VENTRY  14
    VENTRY  15

exc_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #248]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #264]
    mov     x1, x0
    mov     x0, sp
    bl      exc_dispatch
    ldp     x2, x3, [sp, #248]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #FRAME_SIZE
    eret
