using Capvisor.Arm;

namespace Capvisor.Board.Memory
{
    /// <summary>
    /// The board's physical address space as the CPU sees it: RAM, the MMIO bus, and an optional
    /// granule protection table. Addresses that are neither RAM nor a device give a synchronous
    /// external abort.
    /// </summary>
    public sealed unsafe class PhysicalAddressSpace : IPhysicalMemory
    {
        /// <summary>Guest RAM.</summary>
        public RamBlock Ram { get; }

        /// <summary>The devices.</summary>
        public MmioBus Bus { get; }

        /// <summary>The granule protection table, or null when every granule is accessible.</summary>
        /// <remarks>Installing one also makes host-side accesses through <see cref="RamBlock.GetSpan(ulong, int)"/> checked (as Non-secure).</remarks>
        public IGranuleProtectionTable? GranuleProtection
        {
            get => _granuleProtection;
            set
            {
                _granuleProtection = value;
                Ram.GranuleProtection = value;
            }
        }

        private IGranuleProtectionTable? _granuleProtection;

        /// <summary>Creates the address space; RAM must not overlap any mapped device.</summary>
        public PhysicalAddressSpace(RamBlock ram, MmioBus bus)
        {
            Ram = ram;
            Bus = bus;
        }

        /// <summary>Maps a device, rejecting overlaps with RAM and with other devices.</summary>
        /// <exception cref="ArgumentException">The region overlaps RAM or another device.</exception>
        public void MapDevice(string name, ulong physicalBase, ulong size, IMmioDevice device)
        {
            if (physicalBase < Ram.End && Ram.Base < physicalBase + size)
            {
                throw new ArgumentException($"MMIO region '{name}' at 0x{physicalBase:x} overlaps RAM");
            }

            Bus.Map(name, physicalBase, size, device);
        }

        /// <inheritdoc/>
        public byte* GetRamPage(ulong pa, SecurityState state, out PhysicalFault fault)
        {
            if (!Ram.Contains(pa, 1))
            {
                fault = PhysicalFault.None;
                return null;
            }

            fault = GranuleProtection?.Check(pa, state) ?? PhysicalFault.None;
            return fault == PhysicalFault.None ? Ram.HostPointer(pa & ~0xFFFul) : null;
        }

        /// <inheritdoc/>
        public PhysicalFault Read(Cpu cpu, ulong pa, int size, SecurityState state, out ulong value)
        {
            value = 0;
            if (size is not (1 or 2 or 4 or 8))
            {
                return PhysicalFault.ExternalAbort;
            }

            if (Ram.Contains(pa, (ulong)size))
            {
                var fault = GranuleProtection?.Check(pa, state) ?? PhysicalFault.None;
                if (fault != PhysicalFault.None)
                {
                    return fault;
                }

                byte* p = Ram.HostPointer(pa);
                value = size switch
                {
                    8 => *(ulong*)p,
                    4 => *(uint*)p,
                    2 => *(ushort*)p,
                    _ => *p,
                };
                return PhysicalFault.None;
            }

            if (Bus.TryFind(pa, size, out var device, out ulong offset) && device!.Read(offset, size, out value))
            {
                value &= SizeMask(size);
                return PhysicalFault.None;
            }

            value = 0;
            return PhysicalFault.ExternalAbort;
        }

        /// <inheritdoc/>
        public PhysicalFault Write(Cpu cpu, ulong pa, int size, SecurityState state, ulong value)
        {
            if (size is not (1 or 2 or 4 or 8))
            {
                return PhysicalFault.ExternalAbort;
            }

            if (Ram.Contains(pa, (ulong)size))
            {
                var fault = GranuleProtection?.Check(pa, state) ?? PhysicalFault.None;
                if (fault != PhysicalFault.None)
                {
                    return fault;
                }

                byte* p = Ram.HostPointer(pa);
                switch (size)
                {
                    case 8: *(ulong*)p = value; break;
                    case 4: *(uint*)p = (uint)value; break;
                    case 2: *(ushort*)p = (ushort)value; break;
                    default: *p = (byte)value; break;
                }

                return PhysicalFault.None;
            }

            if (Bus.TryFind(pa, size, out var device, out ulong offset) && device!.Write(offset, size, value & SizeMask(size)))
            {
                return PhysicalFault.None;
            }

            return PhysicalFault.ExternalAbort;
        }

        /// <summary>
        /// Copies guest RAM into <paramref name="destination"/> for a device or firmware: the whole
        /// range must be RAM and pass the granule protection check for <paramref name="state"/>.
        /// </summary>
        public PhysicalFault ReadRam(ulong pa, Span<byte> destination, SecurityState state = SecurityState.NonSecure)
        {
            var fault = CheckRange(pa, (ulong)destination.Length, state);
            if (fault == PhysicalFault.None)
            {
                new ReadOnlySpan<byte>(Ram.HostPointer(pa), destination.Length).CopyTo(destination);
            }

            return fault;
        }

        /// <summary>Copies <paramref name="source"/> into guest RAM, with the same checks as <see cref="ReadRam"/>.</summary>
        public PhysicalFault WriteRam(ulong pa, ReadOnlySpan<byte> source, SecurityState state = SecurityState.NonSecure)
        {
            var fault = CheckRange(pa, (ulong)source.Length, state);
            if (fault == PhysicalFault.None)
            {
                source.CopyTo(new Span<byte>(Ram.HostPointer(pa), source.Length));
            }

            return fault;
        }

        private PhysicalFault CheckRange(ulong pa, ulong length, SecurityState state)
        {
            if (!Ram.Contains(pa, length))
            {
                return PhysicalFault.ExternalAbort;
            }

            if (GranuleProtection is { } gpt && length > 0)
            {
                for (ulong g = pa & ~0xFFFul; g < pa + length; g += 0x1000)
                {
                    var fault = gpt.Check(g, state);
                    if (fault != PhysicalFault.None)
                    {
                        return fault;
                    }
                }
            }

            return PhysicalFault.None;
        }

        private static ulong SizeMask(int size) => size == 8 ? ulong.MaxValue : (1ul << (size * 8)) - 1;
    }
}
