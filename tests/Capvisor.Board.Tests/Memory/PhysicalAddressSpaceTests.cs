using Capvisor.Arm;
using Capvisor.Board.Memory;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Memory
{
    public sealed unsafe class PhysicalAddressSpaceTests
    {
        private sealed class Dummy : IMmioDevice
        {
            public bool Read(ulong offset, int size, out ulong value)
            {
                value = 0xAB00 + offset;
                return true;
            }

            public bool Write(ulong offset, int size, ulong value) => true;
        }

        private sealed class RealmOnly : IGranuleProtectionTable
        {
            public PhysicalFault Check(ulong pa, SecurityState state) =>
                pa >= 0x4000_1000 && pa < 0x4000_2000 && state != SecurityState.Realm ? PhysicalFault.GranuleProtection : PhysicalFault.None;
        }

        [Fact]
        public void OverlappingRegionsAreRejected()
        {
            var bus = new MmioBus();
            bus.Map("a", 0x1000, 0x1000, new Dummy());
            Assert.Throws<ArgumentException>(() => bus.Map("b", 0x1FFF, 0x10, new Dummy()));
            Assert.Throws<ArgumentException>(() => bus.Map("c", 0x0, 0x1001, new Dummy()));
            Assert.Throws<ArgumentException>(() => bus.Map("d", 0x500, 0x10000, new Dummy()));
            Assert.Throws<ArgumentException>(() => bus.Map("e", ulong.MaxValue - 1, 0x10, new Dummy()));
            Assert.Throws<ArgumentException>(() => bus.Map("f", 0x3000, 0, new Dummy()));
            bus.Map("g", 0x2000, 0x1000, new Dummy()); // adjacent is fine
            Assert.Equal(2, bus.Regions.Count);
        }

        [Fact]
        public void DevicesMayNotOverlapRam()
        {
            using var ram = new RamBlock(0x4000_0000, 0x10_0000);
            var space = new PhysicalAddressSpace(ram, new MmioBus());
            Assert.Throws<ArgumentException>(() => space.MapDevice("x", 0x400F_F000, 0x2000, new Dummy()));
        }

        [Fact]
        public void UnmappedAddressesAbortAndAccessesStayInsideTheirRegion()
        {
            using var m = Machines.Create();
            var cpu = m.Cpus[0];
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.Read(cpu, 0x0, 4, SecurityState.NonSecure, out _));
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.Write(cpu, 0x0A00_0000, 4, SecurityState.NonSecure, 1));
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.Read(cpu, VirtMemoryMap.Uart + 0xFFC, 8, SecurityState.NonSecure, out _));
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.Read(cpu, m.Ram.End, 1, SecurityState.NonSecure, out _));
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.Read(cpu, m.Ram.End - 4, 8, SecurityState.NonSecure, out _));
            Assert.True(m.Memory.GetRamPage(0x0900_0000, SecurityState.NonSecure, out var fault) == null);
            Assert.Equal(PhysicalFault.None, fault);
        }

        [Fact]
        public void RamPagesAreGranuleAlignedHostPointers()
        {
            using var m = Machines.Create();
            byte* p = m.Memory.GetRamPage(0x4000_1234, SecurityState.NonSecure, out var fault);
            Assert.Equal(PhysicalFault.None, fault);
            Assert.True(p != null);
            Assert.Equal(0ul, (ulong)p & 0xFFF);
            p[0x234] = 0x5A;
            Assert.Equal(PhysicalFault.None, m.Memory.Read(m.Cpus[0], 0x4000_1234, 1, SecurityState.NonSecure, out ulong v));
            Assert.Equal(0x5Aul, v);
        }

        [Fact]
        public void GranuleProtectionIsConsultedPerGranuleAndState()
        {
            using var m = Machines.Create();
            m.Memory.GranuleProtection = new RealmOnly();
            Assert.True(m.Memory.GetRamPage(0x4000_1000, SecurityState.NonSecure, out var fault) == null);
            Assert.Equal(PhysicalFault.GranuleProtection, fault);
            Assert.True(m.Memory.GetRamPage(0x4000_1000, SecurityState.Realm, out fault) != null);
            Assert.True(m.Memory.GetRamPage(0x4000_2000, SecurityState.NonSecure, out _) != null);
            Span<byte> buffer = stackalloc byte[0x20];
            Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.ReadRam(0x4000_0FF0, buffer));
            Assert.Equal(PhysicalFault.None, m.Memory.ReadRam(0x4000_0FF0, buffer[..0x10]));
        }

        [Fact]
        public void BoundsCheckedAccessorsRejectRangesOutsideRam()
        {
            using var m = Machines.Create();
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.WriteRam(m.Ram.End - 2, new byte[4]));
            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.ReadRam(ulong.MaxValue - 1, new byte[4]));
            Assert.Equal(PhysicalFault.None, m.Memory.WriteRam(m.Ram.End - 4, new byte[4]));
            Assert.Throws<ArgumentOutOfRangeException>(() => m.Ram.GetSpan(m.Ram.End - 1, 2));
        }
    }
}
