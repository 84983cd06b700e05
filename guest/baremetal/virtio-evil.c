/* virtio-evil: a malicious virtio driver. It finds the virtio-blk device behind QEMU virt's
 * virtio-mmio transports (0x0A000000 + 0x200 * i, version 2), and after a well-formed read
 * submits hostile requests: a looping descriptor chain, buffers outside RAM, a 0xFFFFFFFF
 * length, a buffer range that wraps around 2^64, an available index more than a queue ahead,
 * descriptor indices outside the table, a writable buffer before a readable one, bad indirect
 * tables (unnegotiated, misaligned length, nested, with NEXT, outside RAM, looping), rings
 * outside RAM, queue sizes that are not a power of two or above the maximum,
 * notifications before DRIVER_OK and of queues that do not exist. After each it prints what the
 * device did (status register, NEEDS_RESET, used index, the request's status byte), resets the
 * device (status 0) and goes on; a well-formed read at the end shows the device still works. */
#include "rt.h"

#define VIRTIO_BASE 0x0a000000ul
#define VIRTIO_COUNT 32
#define RAM_END (0x40000000ul + (128ul << 20)) /* -m 128 */

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

#define QSIZE 8
#define POLL_LIMIT 200000

struct desc {
    u64 addr;
    u32 len;
    u16 flags, next;
};

static struct desc ring_desc[QSIZE] __attribute__((aligned(16)));
static struct desc indirect[4] __attribute__((aligned(16)));
static struct desc indirect2[4] __attribute__((aligned(16)));
static struct {
    u16 flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(4)));
static struct {
    u16 flags, idx;
    struct { u32 id, len; } ring[QSIZE];
    u16 avail_event;
} used __attribute__((aligned(4)));
static struct {
    u32 type, reserved;
    u64 sector;
} header __attribute__((aligned(16)));
static u8 data[512] __attribute__((aligned(16)));
static volatile u8 blk_status;

static u64 dev;
static volatile int aborts;

static u32 rd(u32 reg) { return mmio_read32(dev + reg); }
static void wr(u32 reg, u32 v) { mmio_write32(dev + reg, v); }

static int handler(exc_frame *f, int vec)
{
    /* A transport the board does not have (Capvisor maps only those with a device): skip the
     * load and count it. */
    if (vec == (VEC_CUR_SPX | VEC_SYNC) && esr_ec(f->esr) == 0x25 && (esr_iss(f->esr) & 0x3f) == 0x10) {
        aborts++;
        f->elr += 4;
        return 1;
    }
    return 0;
}

static u64 find_blk(void)
{
    for (int i = VIRTIO_COUNT - 1; i >= 0; i--) {
        u64 base = VIRTIO_BASE + 0x200ul * (u64)i;
        int before = aborts;
        u32 magic = mmio_read32(base + R_MAGIC), version = mmio_read32(base + R_VERSION);
        u32 id = mmio_read32(base + R_DEVICE_ID);
        if (aborts != before || magic != 0x74726976 || id == 0)
            continue;
        printf("transport %d: version %u device %u\n", i, version, id);
        if (version == 2 && id == 2)
            return base;
    }
    return 0;
}

/* Negotiates VERSION_1 (and features_lo) and sets up queue 0 with `size` entries at the given rings; returns
 * the status register after DRIVER_OK (or before it, if `driver_ok` is 0). */
static u32 features_hi = 1; /* VIRTIO_F_VERSION_1 */
static u32 features_lo;

static u32 setup(u32 size, u64 d, u64 a, u64 u, int driver_ok)
{
    wr(R_STATUS, 0);
    memset(ring_desc, 0, sizeof ring_desc);
    memset((void *)&avail, 0, sizeof avail);
    memset((void *)&used, 0, sizeof used);
    wr(R_STATUS, S_ACK);
    wr(R_STATUS, S_ACK | S_DRIVER);
    wr(R_DRIVER_FEATURES_SEL, 0);
    wr(R_DRIVER_FEATURES, features_lo);
    wr(R_DRIVER_FEATURES_SEL, 1);
    wr(R_DRIVER_FEATURES, features_hi);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(rd(R_STATUS) & S_FEATURES_OK))
        printf("  FEATURES_OK refused\n");
    wr(R_QUEUE_SEL, 0);
    wr(R_QUEUE_NUM, size);
    wr(R_QUEUE_DESC, (u32)d);
    wr(R_QUEUE_DESC + 4, (u32)(d >> 32));
    wr(R_QUEUE_DRIVER, (u32)a);
    wr(R_QUEUE_DRIVER + 4, (u32)(a >> 32));
    wr(R_QUEUE_DEVICE, (u32)u);
    wr(R_QUEUE_DEVICE + 4, (u32)(u >> 32));
    wr(R_QUEUE_READY, 1);
    if (driver_ok)
        wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return rd(R_STATUS);
}

static u32 setup_default(void)
{
    return setup(QSIZE, (u64)ring_desc, (u64)&avail, (u64)&used, 1);
}

/* The three descriptors of a read of sector 0 at 0, 1, 2 (callers break one of them). */
static void read_request(void)
{
    header.type = 0; /* VIRTIO_BLK_T_IN */
    header.reserved = 0;
    header.sector = 0;
    memset(data, 0, sizeof data);
    blk_status = 0xee;
    ring_desc[0] = (struct desc){ (u64)&header, 16, F_NEXT, 1 };
    ring_desc[1] = (struct desc){ (u64)data, 512, F_NEXT | F_WRITE, 2 };
    ring_desc[2] = (struct desc){ (u64)&blk_status, 1, F_WRITE, 0 };
}

/* Makes head available `advance` times past the current index and notifies queue `queue`;
 * waits (bounded) for the used index to move or NEEDS_RESET. */
static void submit(u16 head, u16 advance, u32 queue)
{
    avail.ring[avail.idx % QSIZE] = head;
    dsb(sy);
    avail.idx = (u16)(avail.idx + advance);
    dsb(sy);
    wr(R_QUEUE_NOTIFY, queue);
    for (int i = 0; i < POLL_LIMIT; i++) {
        dsb(sy);
        if (*(volatile u16 *)&used.idx != 0 || (rd(R_STATUS) & S_NEEDS_RESET))
            break;
    }
}

static int needs_reset_count, cases;

/* Prints what the device did, then resets it and checks the reset took. */
static void report(const char *name)
{
    u32 status = rd(R_STATUS), isr = rd(R_INTERRUPT_STATUS);
    u16 uidx = *(volatile u16 *)&used.idx;
    cases++;
    if (status & S_NEEDS_RESET)
        needs_reset_count++;
    printf("%s: status %02x%s, interrupt %x, used %u", name, status,
           (status & S_NEEDS_RESET) ? " NEEDS_RESET" : "", isr, uidx);
    if (uidx)
        printf(" (len %u, blk status %u)", used.ring[0].len, blk_status);
    printf("\n");
    wr(R_INTERRUPT_ACK, isr);
    wr(R_STATUS, 0);
    if (rd(R_STATUS) != 0 || rd(R_INTERRUPT_STATUS) != 0)
        printf("  reset did not clear status %x interrupt %x\n", rd(R_STATUS), rd(R_INTERRUPT_STATUS));
}

static void good_read(const char *name)
{
    setup_default();
    read_request();
    submit(0, 1, 0);
    report(name);
    printf("  sector 0: %c%c%c%c%c%c%c%c\n", data[0], data[1], data[2], data[3], data[4], data[5],
           data[6], data[7]);
}

int main(void)
{
    printf("virtio-evil: start\n");
    rt_set_handler(handler);
    dev = find_blk();
    if (!dev) {
        printf("no virtio-blk device\n");
        psci_system_off();
    }
    wr(R_QUEUE_SEL, 0);
    u32 max0 = rd(R_QUEUE_NUM_MAX);
    wr(R_QUEUE_SEL, 9);
    printf("queue 0 max %u, queue 9 max %u\n", max0, rd(R_QUEUE_NUM_MAX));

    good_read("good read");

    /* 1. descriptors 0 -> 1 -> 0 -> ... */
    setup_default();
    read_request();
    ring_desc[1].next = 0;
    submit(0, 1, 0);
    report("looping chain");

    /* 2. a chain of one descriptor that points at itself */
    setup_default();
    read_request();
    ring_desc[2].flags = F_WRITE | F_NEXT;
    ring_desc[2].next = 2;
    submit(0, 1, 0);
    report("self loop");

    /* 3. the data buffer just past the end of RAM, then far above it */
    setup_default();
    read_request();
    ring_desc[1].addr = RAM_END;
    submit(0, 1, 0);
    report("buffer past RAM");

    setup_default();
    read_request();
    ring_desc[0].addr = 0x0000ff0000000000ul;
    submit(0, 1, 0);
    report("buffer far outside RAM");

    /* 4. a 0xFFFFFFFF length in RAM */
    setup_default();
    read_request();
    ring_desc[1].len = 0xffffffffu;
    submit(0, 1, 0);
    report("huge length");

    /* 5. an address range that wraps around 2^64 */
    setup_default();
    read_request();
    ring_desc[1].addr = 0xfffffffffffff000ul;
    ring_desc[1].len = 0x2000;
    submit(0, 1, 0);
    report("wrapping range");

    /* 6. the available index jumps by more than the queue size */
    setup_default();
    read_request();
    submit(0, QSIZE + 5, 0);
    report("avail idx +13");

    setup_default();
    read_request();
    submit(0, 0x8000, 0);
    report("avail idx +0x8000");

    /* 7. a head and a next index outside the descriptor table */
    setup_default();
    read_request();
    submit(QSIZE + 100, 1, 0);
    report("head outside table");

    setup_default();
    read_request();
    ring_desc[0].next = 0xffff;
    submit(0, 1, 0);
    report("next outside table");

    /* 8. a device-writable buffer before the device-readable header */
    setup_default();
    read_request();
    ring_desc[0] = (struct desc){ (u64)data, 512, F_NEXT | F_WRITE, 1 };
    ring_desc[1] = (struct desc){ (u64)&header, 16, F_NEXT, 2 };
    submit(0, 1, 0);
    report("writable before readable");

    /* 9. indirect tables: not negotiated; nested; a length that is not a multiple of 16 */
    setup_default();
    read_request();
    indirect[0] = ring_desc[0];
    indirect[1] = ring_desc[1];
    indirect[2] = ring_desc[2];
    ring_desc[3] = (struct desc){ (u64)indirect, 3 * 16, F_INDIRECT, 0 };
    submit(3, 1, 0);
    report("indirect not negotiated");

    /* 9b. with VIRTIO_F_INDIRECT_DESC negotiated: a well-formed indirect read, then a table
     * whose length is not a multiple of 16, a nested table, an indirect descriptor that also has
     * NEXT, a table outside RAM and a loop inside the table */
    features_lo = 1u << 28;
    setup_default();
    read_request();
    indirect[0] = (struct desc){ (u64)&header, 16, F_NEXT, 1 };
    indirect[1] = (struct desc){ (u64)data, 512, F_NEXT | F_WRITE, 2 };
    indirect[2] = (struct desc){ (u64)&blk_status, 1, F_WRITE, 0 };
    ring_desc[3] = (struct desc){ (u64)indirect, 3 * 16, F_INDIRECT, 0 };
    submit(3, 1, 0);
    report("indirect read");

    setup_default();
    read_request();
    ring_desc[3] = (struct desc){ (u64)indirect, 3 * 16 - 4, F_INDIRECT, 0 };
    submit(3, 1, 0);
    report("indirect length 44");

    setup_default();
    read_request();
    indirect2[0] = (struct desc){ (u64)indirect, 3 * 16, F_INDIRECT, 0 };
    ring_desc[3] = (struct desc){ (u64)indirect2, 16, F_INDIRECT, 0 };
    submit(3, 1, 0);
    report("nested indirect");

    setup_default();
    read_request();
    ring_desc[3] = (struct desc){ (u64)indirect, 3 * 16, F_INDIRECT | F_NEXT, 2 };
    submit(3, 1, 0);
    report("indirect with NEXT");

    setup_default();
    read_request();
    ring_desc[3] = (struct desc){ RAM_END - 16, 3 * 16, F_INDIRECT, 0 };
    submit(3, 1, 0);
    report("indirect table past RAM");

    setup_default();
    read_request();
    indirect[2] = (struct desc){ (u64)&blk_status, 1, F_WRITE | F_NEXT, 1 };
    ring_desc[3] = (struct desc){ (u64)indirect, 3 * 16, F_INDIRECT, 0 };
    submit(3, 1, 0);
    report("loop in indirect table");
    features_lo = 0;

    /* 10. a request the device can parse but must refuse: status byte, no NEEDS_RESET */
    setup_default();
    read_request();
    header.sector = 0xfffffffffffffff0ul;
    submit(0, 1, 0);
    report("sector past the end");

    setup_default();
    read_request();
    header.type = 0x77;
    submit(0, 1, 0);
    report("unknown request type");

    setup_default();
    read_request();
    ring_desc[0].len = 8; /* a header shorter than 16 bytes */
    submit(0, 1, 0);
    report("short header");

    /* 11. rings outside RAM or misaligned */
    printf("rings outside RAM: status after DRIVER_OK %02x\n",
           setup(QSIZE, 0x1000, (u64)&avail, (u64)&used, 1));
    read_request();
    submit(0, 1, 0);
    report("rings outside RAM");

    setup(QSIZE, (u64)ring_desc + 8, (u64)&avail, (u64)&used, 1);
    read_request();
    submit(0, 1, 0);
    report("misaligned descriptor table");

    /* 12. queue sizes that are not a power of two, or above QueueNumMax */
    wr(R_QUEUE_SEL, 0);
    setup(3, (u64)ring_desc, (u64)&avail, (u64)&used, 1);
    read_request();
    submit(0, 1, 0);
    report("queue size 3");

    setup(4096, (u64)ring_desc, (u64)&avail, (u64)&used, 1);
    read_request();
    submit(0, 1, 0);
    report("queue size 4096");

    /* 13. a notification before DRIVER_OK: nothing may happen until DRIVER_OK */
    setup(QSIZE, (u64)ring_desc, (u64)&avail, (u64)&used, 0);
    read_request();
    submit(0, 1, 0);
    printf("notify before DRIVER_OK: used %u\n", *(volatile u16 *)&used.idx);
    wr(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    for (int i = 0; i < POLL_LIMIT && *(volatile u16 *)&used.idx == 0; i++)
        dsb(sy);
    report("then DRIVER_OK");

    /* 14. DRIVER_OK without FEATURES_OK */
    wr(R_STATUS, 0);
    memset((void *)&used, 0, sizeof used);
    wr(R_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
    report("DRIVER_OK without FEATURES_OK");

    /* 15. a queue the device does not have: made ready and notified; 8- and 16-bit register
     * accesses (the transport only takes 32-bit ones) */
    setup_default();
    wr(R_QUEUE_SEL, 9);
    wr(R_QUEUE_NUM, QSIZE);
    wr(R_QUEUE_READY, 1);
    wr(R_QUEUE_NOTIFY, 9);
    printf("queue 9: ready %u, byte read of magic %x, halfword read of version %x\n", rd(R_QUEUE_READY),
           *(volatile u8 *)(dev + R_MAGIC), *(volatile u16 *)(dev + R_VERSION));
    *(volatile u8 *)(dev + R_STATUS) = 0;
    report("queue 9 and narrow accesses");

    /* 16. a notification of a queue the device does not have */
    setup_default();
    read_request();
    submit(0, 1, 7);
    report("notify queue 7");

    good_read("good read after all that");
    printf("%d cases, %d left the device needing a reset\n", cases, needs_reset_count);
    printf("virtio-evil: done\n");
    psci_system_off();
}
