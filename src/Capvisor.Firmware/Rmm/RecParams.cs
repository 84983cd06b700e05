using System.Buffers.Binary;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// RmiRecParams, the 4096-byte Non-secure granule the host passes to REC_CREATE
    /// (layout: TF-RMM <c>lib/smc/include/smc-rmi.h</c> <c>struct rmi_rec_params</c>).
    /// </summary>
    public sealed class RecParams
    {
        /// <summary>Size of the structure: one granule.</summary>
        public const int Size = 4096;

        /// <summary>Flag bit 0: the REC starts runnable (and is measured into the RIM).</summary>
        public const ulong FlagRunnable = 1;

        /// <summary>Number of general-purpose registers (X0–X7) REC_CREATE sets.</summary>
        public const int GprCount = 8;

        /// <summary>Maximum number of auxiliary granules the structure carries.</summary>
        public const int MaxAux = 16;

        internal const int OffsetFlags = 0x000;
        internal const int OffsetMpidr = 0x100;
        internal const int OffsetPc = 0x200;
        internal const int OffsetGprs = 0x300;
        internal const int OffsetNumAux = 0x800;
        internal const int OffsetAux = 0x808;

        public ulong Flags { get; set; }

        /// <summary>MPIDR in RmiRecMpidr form: Aff0 [3:0], Aff1 [15:8], Aff2 [23:16], Aff3 [31:24].</summary>
        public ulong Mpidr { get; set; }

        public ulong Pc { get; set; }

        /// <summary>Initial X0–X7.</summary>
        public ulong[] Gprs { get; } = new ulong[GprCount];

        public ulong NumAux { get; set; }

        /// <summary>Physical addresses of the auxiliary granules.</summary>
        public ulong[] Aux { get; } = new ulong[MaxAux];

        /// <summary>Decodes a copy of the granule (the caller copies it out of Non-secure memory first).</summary>
        public static RecParams Read(ReadOnlySpan<byte> granule)
        {
            if (granule.Length < Size)
            {
                throw new ArgumentException($"RmiRecParams needs {Size} bytes.", nameof(granule));
            }

            var p = new RecParams
            {
                Flags = BinaryPrimitives.ReadUInt64LittleEndian(granule[OffsetFlags..]),
                Mpidr = BinaryPrimitives.ReadUInt64LittleEndian(granule[OffsetMpidr..]),
                Pc = BinaryPrimitives.ReadUInt64LittleEndian(granule[OffsetPc..]),
                NumAux = BinaryPrimitives.ReadUInt64LittleEndian(granule[OffsetNumAux..]),
            };
            for (int i = 0; i < GprCount; i++)
            {
                p.Gprs[i] = BinaryPrimitives.ReadUInt64LittleEndian(granule[(OffsetGprs + (8 * i))..]);
            }

            for (int i = 0; i < MaxAux; i++)
            {
                p.Aux[i] = BinaryPrimitives.ReadUInt64LittleEndian(granule[(OffsetAux + (8 * i))..]);
            }

            return p;
        }

        /// <summary>Encodes the structure into a zero-filled 4096-byte buffer (what a host writes).</summary>
        public void Write(Span<byte> granule)
        {
            if (granule.Length < Size)
            {
                throw new ArgumentException($"RmiRecParams needs {Size} bytes.", nameof(granule));
            }

            granule[..Size].Clear();
            WriteMeasured(granule);
            BinaryPrimitives.WriteUInt64LittleEndian(granule[OffsetMpidr..], Mpidr);
            BinaryPrimitives.WriteUInt64LittleEndian(granule[OffsetNumAux..], NumAux);
            for (int i = 0; i < MaxAux; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(granule[(OffsetAux + (8 * i))..], Aux[i]);
            }
        }

        /// <summary>
        /// Writes only the measured fields (flags, pc, gprs) into an already zeroed buffer; MPIDR and
        /// the auxiliary granules are not measured (TF-RMM <c>lib/measurement/src/rim.c</c>).
        /// </summary>
        internal void WriteMeasured(Span<byte> granule)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(granule[OffsetFlags..], Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(granule[OffsetPc..], Pc);
            for (int i = 0; i < GprCount; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(granule[(OffsetGprs + (8 * i))..], Gprs[i]);
            }
        }
    }
}
