namespace Capvisor.Board.DeviceTree
{
    /// <summary>
    /// Builds the device tree QEMU 7.2 generates for <c>-M virt,gic-version=3 -cpu cortex-a57</c>,
    /// restricted to the devices Capvisor models: memory, GICv3 (no ITS), PL011 with its
    /// apb-pclk clock, PL031, PL061 with the gpio-keys power button, the architected timer, PSCI,
    /// CPUs and /chosen. Absent on purpose: flash, fw-cfg, PCIe, platform bus, virtio-mmio, ITS,
    /// PMU and kaslr-seed. Phandles follow QEMU's allocation (clock 0x8000, CPUs from 0x8001
    /// down, GIC after them, then the ITS's number left unused, then the GPIO controller).
    /// </summary>
    public static class VirtDeviceTree
    {
        /// <summary>Builds the tree.</summary>
        public static FdtNode Build(VirtDeviceTreeOptions o)
        {
            const uint clockPhandle = 0x8000;
            uint gicPhandle = clockPhandle + (uint)o.CpuCount + 1;
            uint gpioPhandle = gicPhandle + 2;
            var root = new FdtNode("");
            root.SetCells("interrupt-parent", gicPhandle);
            root.SetString("model", "linux,dummy-virt");
            root.SetCells("#size-cells", 2);
            root.SetCells("#address-cells", 2);
            root.SetString("compatible", "linux,dummy-virt");

            root.AddChild("psci")
                .SetCells("migrate", 0xC400_0005)
                .SetCells("cpu_on", 0xC400_0003)
                .SetCells("cpu_off", 0x8400_0002)
                .SetCells("cpu_suspend", 0xC400_0001)
                .SetString("method", o.PsciMethod)
                .SetStrings("compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci");

            root.AddChild($"memory@{o.RamBase:x}")
                .SetU64s("reg", o.RamBase, o.RamSize)
                .SetString("device_type", "memory");

            foreach (int i in o.VirtioTransports.Order())
            {
                root.AddChild($"virtio_mmio@{Virtio.VirtioLayout.Address(i):x}")
                    .SetEmpty("dma-coherent")
                    .SetCells("interrupts", 0, (uint)(Virtio.VirtioLayout.FirstSpi + i), 1)
                    .SetU64s("reg", Virtio.VirtioLayout.Address(i), Virtio.VirtioMmioTransport.Size)
                    .SetString("compatible", "virtio,mmio");
            }

            root.AddChild("gpio-keys")
                .SetString("compatible", "gpio-keys")
                .AddChild("poweroff")
                .SetCells("gpios", gpioPhandle, VirtMemoryMap.PowerButtonPin, 0)
                .SetCells("linux,code", 116) // KEY_POWER
                .SetString("label", "GPIO Key Poweroff");

            root.AddChild($"pl061@{VirtMemoryMap.Gpio:x}")
                .SetCells("phandle", gpioPhandle)
                .SetStrings("clock-names", "apb_pclk")
                .SetCells("clocks", clockPhandle)
                .SetCells("interrupts", 0, VirtMemoryMap.GpioSpi, 4)
                .SetEmpty("gpio-controller")
                .SetCells("#gpio-cells", 2)
                .SetStrings("compatible", "arm,pl061", "arm,primecell")
                .SetU64s("reg", VirtMemoryMap.Gpio, VirtMemoryMap.PrimeCellSize);

            root.AddChild($"pl031@{VirtMemoryMap.Rtc:x}")
                .SetStrings("clock-names", "apb_pclk")
                .SetCells("clocks", clockPhandle)
                .SetCells("interrupts", 0, VirtMemoryMap.RtcSpi, 4)
                .SetU64s("reg", VirtMemoryMap.Rtc, VirtMemoryMap.PrimeCellSize)
                .SetStrings("compatible", "arm,pl031", "arm,primecell");

            root.AddChild($"pl011@{VirtMemoryMap.Uart:x}")
                .SetStrings("clock-names", "uartclk", "apb_pclk")
                .SetCells("clocks", clockPhandle, clockPhandle)
                .SetCells("interrupts", 0, VirtMemoryMap.UartSpi, 4)
                .SetU64s("reg", VirtMemoryMap.Uart, VirtMemoryMap.PrimeCellSize)
                .SetStrings("compatible", "arm,pl011", "arm,primecell");

            root.AddChild($"intc@{VirtMemoryMap.GicDistributor:x}")
                .SetCells("phandle", gicPhandle)
                .SetU64s("reg", VirtMemoryMap.GicDistributor, 0x1_0000,
                    VirtMemoryMap.GicRedistributors, VirtMemoryMap.GicRedistributorRegionSize)
                .SetCells("#redistributor-regions", 1)
                .SetString("compatible", "arm,gic-v3")
                .SetEmpty("ranges")
                .SetCells("#size-cells", 2)
                .SetCells("#address-cells", 2)
                .SetEmpty("interrupt-controller")
                .SetCells("#interrupt-cells", 3);

            var cpus = root.AddChild("cpus");
            cpus.SetCells("#size-cells", 0);
            cpus.SetCells("#address-cells", 1);
            var cluster = cpus.AddChild("cpu-map").AddChild("socket0").AddChild("cluster0");
            for (int i = 0; i < o.CpuCount; i++)
            {
                cluster.AddChild($"core{i}").SetCells("cpu", CpuPhandle(o.CpuCount, i));
            }

            for (int i = 0; i < o.CpuCount; i++)
            {
                uint mpidr = (uint)((i / 8) << 8 | (i % 8));
                cpus.AddChild($"cpu@{mpidr:x}")
                    .SetCells("phandle", CpuPhandle(o.CpuCount, i))
                    .SetCells("reg", mpidr)
                    .SetString("enable-method", "psci")
                    .SetString("compatible", "arm,cortex-a57")
                    .SetString("device_type", "cpu");
            }

            // Secure EL1, non-secure EL1, virtual, hypervisor: PPIs 13, 14, 11, 10, level-high.
            root.AddChild("timer")
                .SetCells("interrupts", 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4)
                .SetEmpty("always-on")
                .SetStrings("compatible", "arm,armv8-timer", "arm,armv7-timer");

            root.AddChild("apb-pclk")
                .SetCells("phandle", clockPhandle)
                .SetString("clock-output-names", "clk24mhz")
                .SetCells("clock-frequency", 24_000_000)
                .SetCells("#clock-cells", 0)
                .SetString("compatible", "fixed-clock");

            var chosen = root.AddChild("chosen");
            chosen.SetString("stdout-path", $"/pl011@{VirtMemoryMap.Uart:x}");
            if (o.RngSeed is { Length: > 0 } seed)
            {
                chosen.Set("rng-seed", seed);
            }

            ApplyChosen(root, o.BootArgs, o.InitrdStart, o.InitrdEnd);
            return root;
        }

        /// <summary>
        /// Sets /chosen bootargs and linux,initrd-start/end (as QEMU does for -append/-initrd,
        /// also on a user-supplied DTB); null leaves a property untouched.
        /// </summary>
        public static void ApplyChosen(FdtNode root, string? bootArgs, ulong? initrdStart, ulong? initrdEnd)
        {
            var chosen = root.Child("chosen") ?? root.AddChild("chosen");
            if (bootArgs != null)
            {
                chosen.SetString("bootargs", bootArgs);
            }

            if (initrdStart is ulong start && initrdEnd is ulong end)
            {
                chosen.SetU64s("linux,initrd-start", start);
                chosen.SetU64s("linux,initrd-end", end);
            }
        }

        /// <summary>
        /// Sets the reg of the first top-level memory node (device_type "memory") to the board's
        /// RAM, as QEMU does for a user-supplied DTB; needs 2 address and 2 size cells at the root.
        /// </summary>
        public static void ApplyMemory(FdtNode root, ulong ramBase, ulong ramSize)
        {
            if (root.GetCells("#address-cells") is not [2] || root.GetCells("#size-cells") is not [2])
            {
                return;
            }

            foreach (var node in root.Children)
            {
                if (node.GetStrings("device_type") is ["memory"])
                {
                    node.SetU64s("reg", ramBase, ramSize);
                    return;
                }
            }
        }

        private static uint CpuPhandle(int count, int index) => 0x8000 + (uint)(count - index);
    }
}
