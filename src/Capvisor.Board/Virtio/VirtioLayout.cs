namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// Where QEMU's virt board puts its virtio-mmio transports: transport i at
    /// 0x0A000000 + 0x200 * i with SPI 16 + i. QEMU plugs the first virtio device into the
    /// highest-addressed transport (31), the next into 30, and so on.
    /// </summary>
    public static class VirtioLayout
    {
        /// <summary>Address of transport 0.</summary>
        public const ulong Base = 0x0A00_0000;

        /// <summary>Number of transports (NUM_VIRTIO_TRANSPORTS).</summary>
        public const int TransportCount = 32;

        /// <summary>SPI of transport 0.</summary>
        public const int FirstSpi = 16;

        /// <summary>Address of transport <paramref name="index"/>.</summary>
        public static ulong Address(int index) => Base + VirtioMmioTransport.Size * (ulong)index;

        /// <summary>The transport QEMU gives the <paramref name="nth"/> virtio device (0-based).</summary>
        public static int TransportFor(int nth) => TransportCount - 1 - nth;
    }
}
