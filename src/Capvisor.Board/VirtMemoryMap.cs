namespace Capvisor.Board
{
    /// <summary>QEMU <c>-M virt</c> physical addresses and interrupt numbers (hw/arm/virt.c, QEMU 7.2) for the devices Capvisor models.</summary>
    public static class VirtMemoryMap
    {
        /// <summary>GICv3 distributor.</summary>
        public const ulong GicDistributor = 0x0800_0000;

        /// <summary>GICv3 redistributor region (0x20000 per CPU).</summary>
        public const ulong GicRedistributors = 0x080A_0000;

        /// <summary>Size of QEMU's first redistributor region (room for 123 CPUs), as the device tree states it.</summary>
        public const ulong GicRedistributorRegionSize = 0xF6_0000;

        /// <summary>PL011 UART.</summary>
        public const ulong Uart = 0x0900_0000;

        /// <summary>PL031 RTC.</summary>
        public const ulong Rtc = 0x0901_0000;

        /// <summary>PL061 GPIO (pin 3: power button).</summary>
        public const ulong Gpio = 0x0903_0000;

        /// <summary>Size of a PrimeCell device frame.</summary>
        public const ulong PrimeCellSize = 0x1000;

        /// <summary>Start of RAM.</summary>
        public const ulong RamBase = 0x4000_0000;

        /// <summary>UART interrupt: SPI 1 (INTID 33).</summary>
        public const int UartSpi = 1;

        /// <summary>RTC interrupt: SPI 2 (INTID 34).</summary>
        public const int RtcSpi = 2;

        /// <summary>GPIO interrupt: SPI 7 (INTID 39).</summary>
        public const int GpioSpi = 7;

        /// <summary>The GPIO pin of the power button (gpio-keys, KEY_POWER).</summary>
        public const int PowerButtonPin = 3;

        /// <summary>Most CPUs the redistributor region holds.</summary>
        public const int MaxCpus = 123;
    }
}
