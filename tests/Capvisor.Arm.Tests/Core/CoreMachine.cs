using System.Runtime.InteropServices;
using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Core
{
    /// <summary>A CPU over 16 MiB of RAM at 0x40000000 and one 4 KiB device page at 0x09000000.</summary>
    internal sealed unsafe class CoreMachine : IPhysicalMemory, ICpuHost, IDisposable
    {
        public const ulong RamBase = 0x4000_0000;
        public const ulong RamSize = 16 << 20;
        public const ulong DeviceBase = 0x0900_0000;

        private readonly byte* _ram;
        public readonly List<(ulong Pa, int Size, ulong Value)> DeviceWrites = new();
        public readonly List<ushort> HypervisorCalls = new();

        public CoreMachine()
        {
            _ram = (byte*)NativeMemory.AllocZeroed((nuint)RamSize);
            Cpu = new Cpu(0, this, this);
            Cpu.PowerOn(RamBase, 0);
        }

        public Cpu Cpu { get; }

        public void Dispose() => NativeMemory.Free(_ram);

        public void Poke64(ulong pa, ulong value) => *(ulong*)(_ram + (pa - RamBase)) = value;

        public ulong Peek64(ulong pa) => *(ulong*)(_ram + (pa - RamBase));

        /// <summary>A RAM page in the Realm PAS: only Realm and Root accesses reach it (a GPT of one entry).</summary>
        public ulong RealmPage = ulong.MaxValue;

        /// <summary>The physical address space of the last device access.</summary>
        public SecurityState LastDeviceState;

        public byte* GetRamPage(ulong pa, SecurityState state, out PhysicalFault fault)
        {
            fault = PhysicalFault.None;
            if (pa >> 12 == RealmPage >> 12 && state != SecurityState.Realm && state != SecurityState.Root)
            {
                fault = PhysicalFault.GranuleProtection;
                return null;
            }

            if (pa >= RamBase && pa - RamBase < RamSize)
            {
                return _ram + (pa - RamBase);
            }

            if (pa >> 12 != DeviceBase >> 12)
            {
                fault = PhysicalFault.ExternalAbort;
            }

            return null;
        }

        public PhysicalFault Read(Cpu cpu, ulong pa, int size, SecurityState state, out ulong value)
        {
            LastDeviceState = state;
            value = 0x5A;
            return pa >> 12 == DeviceBase >> 12 ? PhysicalFault.None : PhysicalFault.ExternalAbort;
        }

        public PhysicalFault Write(Cpu cpu, ulong pa, int size, SecurityState state, ulong value)
        {
            if (pa >> 12 != DeviceBase >> 12)
            {
                return PhysicalFault.ExternalAbort;
            }

            DeviceWrites.Add((pa, size, value));
            return PhysicalFault.None;
        }

        public bool HypervisorCall(Cpu cpu, ushort imm)
        {
            HypervisorCalls.Add(imm);
            return imm == 0;
        }

        public bool SecureMonitorCall(Cpu cpu, ushort imm) => false;

        public int EventBroadcasts;

        public void SendEventToAll(Cpu source)
        {
            EventBroadcasts++;
            source.SendEventLocal();
        }

        public bool TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value)
        {
            value = 0;
            return false;
        }

        public bool TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value) => false;

        /// <summary>Runs <paramref name="access"/> and returns true when it took a guest exception.</summary>
        public bool Faults(Action access)
        {
            try
            {
                access();
                return false;
            }
            catch (ArchitecturalException)
            {
                return true;
            }
        }
    }
}
