/* mmu: stage-1 translation with 4 KiB granules and 39-bit VAs (walks start at level 1).
 * TTBR0 identity-maps the device region and RAM, TTBR1 maps one 2 MiB block high. Checks
 * translation, access-flag, permission (EL1 write to read-only, EL0 access to EL1-only) and
 * translation faults at levels 1-3, instruction aborts, TLBI after changing a descriptor,
 * and AT S1E1R/S1E1W/S1E0R with PAR_EL1 (only F, FST and PA are printed). */
#include "rt.h"

#define DESC_VALID (1ul << 0)
#define DESC_TABLE (1ul << 1) /* table at levels 1-2, page at level 3 */
#define DESC_PAGE (3ul)
#define DESC_BLOCK (1ul)
#define ATTR_NORMAL (0ul << 2)
#define ATTR_DEVICE (1ul << 2)
#define AP_EL1_RW (0ul << 6)
#define AP_ALL_RW (1ul << 6)
#define AP_EL1_RO (2ul << 6)
#define AP_ALL_RO (3ul << 6)
#define SH_INNER (3ul << 8)
#define AF (1ul << 10)
#define PXN (1ul << 53)
#define UXN (1ul << 54)

#define NORMAL_RW (ATTR_NORMAL | SH_INNER | AF | AP_EL1_RW | UXN)

static u64 l1_lo[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l3_img[512] __attribute__((aligned(4096)));
static u64 l3_test[512] __attribute__((aligned(4096)));
static u64 l1_hi[512] __attribute__((aligned(4096)));
static u64 l2_hi[512] __attribute__((aligned(4096)));

#define RAM_BASE 0x40000000ul
#define TEST_VA 0x40400000ul   /* l2_ram[2] -> l3_test */
#define TEST_PA 0x40600000ul   /* inside the identity-mapped block l2_ram[3] */
#define HIGH_VA 0xffffff8000000000ul

extern char __el0_text_start[], __el0_text_end[];

static volatile struct {
    int count;
    u64 esr, far, elr;
    int fix_af; /* access-flag fault: set AF in l3_test[fix_af_idx] and retry */
    int resume_lr;
} ex;

static int handler(exc_frame *f, int vec)
{
    ex.count++;
    ex.esr = f->esr;
    ex.far = f->far;
    ex.elr = f->elr;
    u32 fsc = esr_iss(f->esr) & 0x3f;
    if (ex.fix_af && (fsc & 0x3c) == 0x08) {
        l3_test[(f->far - TEST_VA) >> 12] |= AF;
        dsb(ish);
        return 1; /* retry the access */
    }
    if (ex.resume_lr)
        f->elr = f->x[30];
    else
        f->elr += 4;
    return 1;
}

static const char *fsc_name(u32 fsc)
{
    switch (fsc & 0x3c) {
    case 0x04: return "translation";
    case 0x08: return "access flag";
    case 0x0c: return "permission";
    case 0x00: return "address size";
    }
    return fsc == 0x10 ? "external" : fsc == 0x21 ? "alignment" : "other";
}

static void report(const char *what, int before)
{
    if (ex.count == before) {
        printf("%-22s no fault\n", what);
        return;
    }
    u32 iss = esr_iss(ex.esr), fsc = iss & 0x3f;
    printf("%-22s EC=%02x IL=%u ISS=%07x (%s level %u%s) FAR=%lx\n", what, esr_ec(ex.esr),
           esr_il(ex.esr), iss, fsc_name(fsc), fsc & 3, (iss >> 6) & 1 ? ", write" : "", ex.far);
}

static u64 load(u64 va)
{
    u64 v = 0xbad;
    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(va) : "memory");
    return v;
}

static void store(u64 va, u64 v) { __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(va) : "memory"); }

static void print_par(const char *what, u64 par)
{
    if (par & 1)
        printf("%-22s PAR.F=1 FST=%02lx (%s level %lu)\n", what, (par >> 1) & 0x3f,
               fsc_name((par >> 1) & 0x3f), (par >> 1) & 3);
    else
        printf("%-22s PAR.F=0 PA=%lx\n", what, par & 0x0000fffffffff000ul);
}

#define AT(op, va) ({ __asm__ volatile("at " #op ", %0\n\tisb" : : "r"((u64)(va)) : "memory"); read_sysreg(par_el1); })

static void build_tables(void)
{
    u64 el0_lo = (u64)__el0_text_start, el0_hi = (u64)__el0_text_end;
    /* device region 0-1 GiB: one block */
    l1_lo[0] = 0x0ul | DESC_BLOCK | ATTR_DEVICE | AF | AP_EL1_RW | PXN | UXN;
    l1_lo[1] = (u64)l2_ram | DESC_VALID | DESC_TABLE;
    /* RAM: first 2 MiB in pages (the image), the rest in 2 MiB blocks up to 128 MiB */
    l2_ram[0] = (u64)l3_img | DESC_VALID | DESC_TABLE;
    for (u64 i = 0; i < 512; i++) {
        u64 pa = RAM_BASE + (i << 12), d = pa | DESC_PAGE | NORMAL_RW;
        if (pa >= el0_lo && pa < el0_hi)
            d = pa | DESC_PAGE | ATTR_NORMAL | SH_INNER | AF | AP_ALL_RO; /* EL0 and EL1 execute */
        l3_img[i] = d;
    }
    for (u64 i = 1; i < 64; i++)
        l2_ram[i] = (RAM_BASE + (i << 21)) | DESC_BLOCK | NORMAL_RW;
    l2_ram[2] = (u64)l3_test | DESC_VALID | DESC_TABLE;
    /* test pages */
    l3_test[0] = TEST_PA | DESC_PAGE | NORMAL_RW;
    l3_test[1] = (TEST_PA + 0x1000) | DESC_PAGE | (NORMAL_RW & ~AF);
    l3_test[2] = (TEST_PA + 0x2000) | DESC_PAGE | (NORMAL_RW & ~AP_ALL_RO) | AP_EL1_RO;
    l3_test[3] = 0; /* translation fault, level 3 */
    l3_test[4] = (TEST_PA + 0x4000) | DESC_PAGE | NORMAL_RW; /* EL1 only */
    l3_test[5] = (TEST_PA + 0x5000) | DESC_PAGE | NORMAL_RW | AP_ALL_RW; /* EL0 data + stack */
    l3_test[6] = (TEST_PA + 0x6000) | DESC_PAGE | NORMAL_RW | PXN;
    /* TTBR1: 2 MiB block at the bottom of the high range, aliasing TEST_PA */
    l1_hi[0] = (u64)l2_hi | DESC_VALID | DESC_TABLE;
    l2_hi[0] = TEST_PA | DESC_BLOCK | NORMAL_RW;
    dsb(ish);
}

static void enable_mmu(void)
{
    write_sysreg(mair_el1, 0x44ul << 16 | 0x00ul << 8 | 0xfful);
    u64 tcr = 25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | 0ul << 14 | /* TTBR0: 39 bits, 4K */
              25ul << 16 | 1ul << 24 | 1ul << 26 | 3ul << 28 | 2ul << 30 | /* TTBR1 */
              2ul << 32;                                                 /* IPS: 40 bits */
    write_sysreg(tcr_el1, tcr);
    write_sysreg(ttbr0_el1, (u64)l1_lo);
    write_sysreg(ttbr1_el1, (u64)l1_hi);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory");
    u64 sctlr = read_sysreg(sctlr_el1);
    sctlr |= 1ul << 0 | 1ul << 2 | 1ul << 12; /* M, C, I */
    write_sysreg(sctlr_el1, sctlr);
    isb();
}

/* EL0 code: its own pages (.el0text), mapped AP=RO for EL0 and EL1, executable at EL0.
 * Uses the EL0 data page (TEST_VA+0x5000), the EL1-only page (+0x4000) and the EL1
 * read-only page (+0x2000); returns a sum. */
u64 el0_probe(u64 arg);
__asm__(".pushsection .el0text, \"ax\"\n"
        "el0_probe:\n"
        "  mov x0, #0x5000\n  movk x0, #0x4040, lsl #16\n"
        "  mov x1, #0x4000\n  movk x1, #0x4040, lsl #16\n"
        "  mov x2, #0x2000\n  movk x2, #0x4040, lsl #16\n"
        "  mov x9, x0\n"
        "  ldr x3, [x0]\n"         /* allowed */
        "  str x3, [x0, #8]\n"     /* allowed */
        "  mov x4, #0\n"
        "  ldr x4, [x1]\n"         /* permission fault: EL1-only */
        "  str x3, [x2]\n"         /* permission fault: EL1 read-only, no EL0 access */
        "  mov x5, #0\n"
        "  ldtr x5, [x9, #8]\n"    /* unprivileged load at EL0: allowed */
        "  add x0, x3, x4\n"
        "  add x0, x0, x5\n"
        "  ret\n"
        ".popsection\n");

int main(void)
{
    printf("mmu: start\n");
    rt_set_handler(handler);
    build_tables();
    /* write the backing pages before translation */
    for (u64 i = 0; i < 7; i++)
        mmio_write64(TEST_PA + (i << 12), 0x1000 + i);
    enable_mmu();
    printf("MMU on: SCTLR_EL1.M=%lu\n", read_sysreg(sctlr_el1) & 1);

    /* translation: VA page -> different PA, checked through the identity map */
    store(TEST_VA + 0x10, 0xabcdef);
    printf("TEST_VA[0x10] -> identity(TEST_PA)[0x10] = %lx\n", load(TEST_PA + 0x10));
    printf("TEST_VA[0] = %lx, TEST_VA+0x6000 = %lx\n", load(TEST_VA), load(TEST_VA + 0x6000));
    store(HIGH_VA + 0x18, 0x5151);
    printf("TTBR1 %lx -> TEST_PA[0x18] = %lx, read back high %lx\n", HIGH_VA + 0x18,
           load(TEST_PA + 0x18), load(HIGH_VA + 0x18));

    /* address translation instructions */
    print_par("AT S1E1R TEST_VA", AT(s1e1r, TEST_VA + 0x123));
    print_par("AT S1E1R high", AT(s1e1r, HIGH_VA + 0x1ff000));
    print_par("AT S1E1R image", AT(s1e1r, (u64)l1_lo));
    print_par("AT S1E1R uart", AT(s1e1r, 0x09000000ul));
    print_par("AT S1E1W read-only", AT(s1e1w, TEST_VA + 0x2000));
    print_par("AT S1E1R read-only", AT(s1e1r, TEST_VA + 0x2000));
    print_par("AT S1E1R no AF", AT(s1e1r, TEST_VA + 0x1000));
    print_par("AT S1E1R unmapped L3", AT(s1e1r, TEST_VA + 0x3000));
    print_par("AT S1E1R unmapped L2", AT(s1e1r, 0x48000000ul));
    print_par("AT S1E1R unmapped L1", AT(s1e1r, 0x80000000ul));
    print_par("AT S1E1R high L1", AT(s1e1r, HIGH_VA + 0x40000000ul));
    print_par("AT S1E0R EL1-only", AT(s1e0r, TEST_VA + 0x4000));
    print_par("AT S1E0W EL0 page", AT(s1e0w, TEST_VA + 0x5000));

    /* DC ZVA on Normal memory zeroes one DCZID_EL0-sized block */
    u64 dczid = read_sysreg(dczid_el0);
    for (u64 i = 0; i < 512; i += 8)
        store(TEST_VA + 0x800 + i, ~0ul);
    __asm__ volatile("dc zva, %0" : : "r"(TEST_VA + 0x900 + 8) : "memory");
    u64 zeroed = 0, first = 0;
    for (u64 i = 0; i < 512; i += 8)
        if (load(TEST_VA + 0x800 + i) == 0) {
            if (!zeroed)
                first = i;
            zeroed += 8;
        }
    printf("DCZID_EL0 %lx: DC ZVA zeroed %lu bytes from +%lx\n", dczid, zeroed, first);

    /* data aborts */
    int c;
    u64 v;
    c = ex.count; ex.fix_af = 1;
    v = load(TEST_VA + 0x1000);
    ex.fix_af = 0;
    report("load no AF", c);
    printf("  retried after setting AF: %lx, faults %d\n", v, ex.count - c);
    c = ex.count; store(TEST_VA + 0x2000, 1); report("store read-only", c);
    printf("  read-only page still %lx\n", load(TEST_VA + 0x2000));
    c = ex.count; v = load(TEST_VA + 0x3000); report("load unmapped L3", c);
    c = ex.count; v = load(0x48000000ul); report("load unmapped L2", c);
    c = ex.count; store(0x80000000ul, 2); report("store unmapped L1", c);
    c = ex.count; v = load(HIGH_VA + 0x40000000ul); report("load high L1", c);
    c = ex.count; v = load(1ul << 40); report("load beyond T0SZ", c);

    /* instruction aborts: resume at the link register */
    ex.resume_lr = 1;
    c = ex.count;
    __asm__ volatile("blr %0" : : "r"(TEST_VA + 0x3000) : "x30", "memory");
    report("exec unmapped", c);
    printf("  ELR=FAR: %d\n", ex.elr == ex.far);
    c = ex.count;
    __asm__ volatile("blr %0" : : "r"(TEST_VA + 0x6000) : "x30", "memory");
    report("exec PXN", c);
    c = ex.count;
    __asm__ volatile("blr %0" : : "r"(TEST_VA + 0x5000) : "x30", "memory");
    report("exec EL0-writable", c);
    ex.resume_lr = 0;

    /* EL0 */
    c = ex.count;
    u64 r = run_el0(el0_probe, 0, (void *)(TEST_VA + 0x6000));
    printf("EL0 returned %lx with %d faults; last:\n", r, ex.count - c);
    report("  EL0 store EL1-RO", c);

    /* TLBI after changing a descriptor: only the value after invalidation is defined */
    printf("before remap: %lx\n", load(TEST_VA + 0x4000));
    l3_test[4] = (TEST_PA + 0x6000) | DESC_PAGE | NORMAL_RW;
    __asm__ volatile("dsb ishst\n\ttlbi vae1is, %0\n\tdsb ish\n\tisb" : : "r"((TEST_VA + 0x4000) >> 12) : "memory");
    printf("after TLBI VAE1IS: %lx\n", load(TEST_VA + 0x4000));
    l3_test[4] = (TEST_PA + 0x0000) | DESC_PAGE | NORMAL_RW;
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" : : : "memory");
    printf("after TLBI VMALLE1: %lx\n", load(TEST_VA + 0x4000));
    l3_test[4] = 0;
    __asm__ volatile("dsb ishst\n\ttlbi vaae1, %0\n\tdsb ish\n\tisb" : : "r"((TEST_VA + 0x4000) >> 12) : "memory");
    c = ex.count; v = load(TEST_VA + 0x4000); report("after unmap + TLBI", c);

    /* ASIDs: two TTBR0 tables map TEST_VA non-globally (nG) to different pages; switching
     * TTBR0.ASID needs no TLBI, and TLBI ASIDE1 affects only its ASID */
    static u64 l1_b[512] __attribute__((aligned(4096)));
    static u64 l2_b[512] __attribute__((aligned(4096)));
    static u64 l3_b[512] __attribute__((aligned(4096)));
    for (int i = 0; i < 512; i++) {
        l1_b[i] = l1_lo[i];
        l2_b[i] = l2_ram[i];
        l3_b[i] = l3_test[i];
    }
    l1_b[1] = (u64)l2_b | DESC_VALID | DESC_TABLE;
    l2_b[2] = (u64)l3_b | DESC_VALID | DESC_TABLE;
    l3_test[0] |= 1ul << 11;                                            /* nG */
    l3_b[0] = (TEST_PA + 0x6000) | DESC_PAGE | NORMAL_RW | (1ul << 11); /* nG */
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" : : : "memory");
    u64 asid_a, asid_b, asid_a2, asid_a3, asid_b2;
    write_sysreg(ttbr0_el1, (u64)l1_lo | (1ul << 48));
    isb();
    asid_a = load(TEST_VA);
    write_sysreg(ttbr0_el1, (u64)l1_b | (2ul << 48));
    isb();
    asid_b = load(TEST_VA);
    write_sysreg(ttbr0_el1, (u64)l1_lo | (1ul << 48));
    isb();
    asid_a2 = load(TEST_VA);
    l3_test[0] = (TEST_PA + 0x4000) | DESC_PAGE | NORMAL_RW | (1ul << 11);
    __asm__ volatile("dsb ishst\n\ttlbi aside1, %0\n\tdsb ish\n\tisb" : : "r"(1ul << 48) : "memory");
    asid_a3 = load(TEST_VA);
    write_sysreg(ttbr0_el1, (u64)l1_b | (2ul << 48));
    isb();
    asid_b2 = load(TEST_VA);
    printf("ASID 1 %lx, ASID 2 %lx, ASID 1 again %lx, ASID 1 after remap + TLBI ASIDE1 %lx, ASID 2 %lx\n",
           asid_a, asid_b, asid_a2, asid_a3, asid_b2);
    write_sysreg(ttbr0_el1, (u64)l1_lo);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" : : : "memory");

    printf("faults: %d\n", ex.count);
    printf("mmu: done\n");
    return 0;
}
