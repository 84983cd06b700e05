using System.Runtime.InteropServices;
using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Fixtures
{
    /// <summary>One block of RAM at a physical base; everything else is an external abort.</summary>
    public sealed unsafe class FlatRam : IPhysicalMemory, IDisposable
    {
        public ulong Base { get; }
        public ulong Size { get; }
        public byte* Host { get; private set; }

        public FlatRam(ulong baseAddress, ulong size)
        {
            Base = baseAddress;
            Size = size;
            Host = (byte*)NativeMemory.AllocZeroed((nuint)size);
        }

        public Span<byte> Span(ulong pa, int length) => new(Host + (pa - Base), length);

        public void WriteWords(ulong pa, ReadOnlySpan<uint> words)
        {
            for (int i = 0; i < words.Length; i++)
            {
                *(uint*)(Host + (pa - Base) + (ulong)(4 * i)) = words[i];
            }
        }

        public ulong Read64(ulong pa) => *(ulong*)(Host + (pa - Base));

        public void Write64(ulong pa, ulong value) => *(ulong*)(Host + (pa - Base)) = value;

        public byte* GetRamPage(ulong pa, SecurityState state, out PhysicalFault fault)
        {
            fault = PhysicalFault.None;
            if (pa >= Base && pa - Base < Size)
            {
                return Host + ((pa - Base) & ~0xFFFul);
            }

            return null;
        }

        public PhysicalFault Read(Cpu cpu, ulong pa, int size, SecurityState state, out ulong value)
        {
            value = 0;
            return PhysicalFault.ExternalAbort;
        }

        public PhysicalFault Write(Cpu cpu, ulong pa, int size, SecurityState state, ulong value) => PhysicalFault.ExternalAbort;

        public void Dispose()
        {
            if (Host != null)
            {
                NativeMemory.Free(Host);
                Host = null;
            }
        }
    }
}
