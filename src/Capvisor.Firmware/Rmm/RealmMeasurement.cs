using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// Realm measurements as TF-RMM v1.0-rel0 computes them, byte for byte
    /// (<c>lib/measurement/src/rim.c</c>, <c>measurement.c</c>, <c>measurement_descs.h</c>).
    /// A measurement lives in a 64-byte slot; a SHA-256 value fills the first 32 bytes and the
    /// rest stays zero. Every RIM update hashes a zero-filled 256-byte descriptor that embeds the
    /// current RIM; the new RIM replaces the old one.
    /// </summary>
    public static class RealmMeasurement
    {
        /// <summary>Size of a measurement slot (SHA-512 output).</summary>
        public const int SlotSize = 64;

        /// <summary>Number of slots: 0 is the RIM, 1–4 the REMs.</summary>
        public const int SlotCount = 5;

        /// <summary>Size of a measurement descriptor.</summary>
        public const int DescriptorSize = 0x100;

        /// <summary>DATA_CREATE flag: measure the granule's contents.</summary>
        public const ulong MeasureContent = 1;

        private const int DescTypeData = 0;
        private const int DescTypeRec = 1;
        private const int DescTypeRipas = 2;

        // Descriptor offsets shared by all three types.
        private const int OffsetDescType = 0x00;
        private const int OffsetLen = 0x08;
        private const int OffsetRim = 0x10;

        /// <summary>Digest length of <paramref name="algorithm"/> in bytes.</summary>
        public static int HashSize(MeasurementAlgorithm algorithm) => algorithm switch
        {
            MeasurementAlgorithm.Sha256 => 32,
            MeasurementAlgorithm.Sha512 => 64,
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };

        /// <summary>Hashes <paramref name="data"/> into the first bytes of <paramref name="slot"/> and zeroes the rest of the slot.</summary>
        public static void Hash(MeasurementAlgorithm algorithm, ReadOnlySpan<byte> data, Span<byte> slot)
        {
            Span<byte> digest = stackalloc byte[SlotSize];
            digest.Clear();
            _ = algorithm == MeasurementAlgorithm.Sha256
                ? SHA256.HashData(data, digest)
                : SHA512.HashData(data, digest);
            digest.CopyTo(slot[..SlotSize]);
        }

        /// <summary>
        /// The initial RIM: H(zero-filled 4096-byte RmiRealmParams holding only the measured fields).
        /// </summary>
        public static void MeasureRealmParams(RealmParams parameters, MeasurementAlgorithm algorithm, Span<byte> rim)
        {
            byte[] buffer = new byte[RealmParams.Size];
            parameters.WriteMeasured(buffer);
            Hash(algorithm, buffer, rim);
        }

        /// <summary>
        /// RIM update for DATA_CREATE: DATA descriptor (type 0) with ipa @0x50, flags @0x58 and
        /// content @0x60 = H(granule) when flags == MEASURE_CONTENT, else zero.
        /// </summary>
        public static void MeasureData(MeasurementAlgorithm algorithm, Span<byte> rim, ReadOnlySpan<byte> granule, ulong ipa, ulong flags)
        {
            Span<byte> desc = stackalloc byte[DescriptorSize];
            BeginDescriptor(desc, DescTypeData, algorithm, rim);
            BinaryPrimitives.WriteUInt64LittleEndian(desc[0x50..], ipa);
            BinaryPrimitives.WriteUInt64LittleEndian(desc[0x58..], flags);
            if (flags == MeasureContent)
            {
                Hash(algorithm, granule[..4096], desc.Slice(0x60, SlotSize));
            }

            Hash(algorithm, desc, rim);
        }

        /// <summary>
        /// RIM update for a runnable REC_CREATE: REC descriptor (type 1) with content @0x50 =
        /// H(zero-filled RmiRecParams holding flags, pc and gprs).
        /// </summary>
        public static void MeasureRec(MeasurementAlgorithm algorithm, Span<byte> rim, RecParams parameters)
        {
            byte[] buffer = new byte[RecParams.Size];
            parameters.WriteMeasured(buffer);
            Span<byte> desc = stackalloc byte[DescriptorSize];
            BeginDescriptor(desc, DescTypeRec, algorithm, rim);
            Hash(algorithm, buffer, desc.Slice(0x50, SlotSize));
            Hash(algorithm, desc, rim);
        }

        /// <summary>RIM update for one RTT entry RTT_INIT_RIPAS visits: RIPAS descriptor (type 2) with base @0x50, top @0x58.</summary>
        public static void MeasureRipas(MeasurementAlgorithm algorithm, Span<byte> rim, ulong baseIpa, ulong topIpa)
        {
            Span<byte> desc = stackalloc byte[DescriptorSize];
            BeginDescriptor(desc, DescTypeRipas, algorithm, rim);
            BinaryPrimitives.WriteUInt64LittleEndian(desc[0x50..], baseIpa);
            BinaryPrimitives.WriteUInt64LittleEndian(desc[0x58..], topIpa);
            Hash(algorithm, desc, rim);
        }

        /// <summary>
        /// RSI_MEASUREMENT_EXTEND: REM = H(REM[0..hash size) ‖ value). <paramref name="value"/> is
        /// the first <c>size</c> bytes the realm passed (0..64); TF-RMM does not pad it.
        /// </summary>
        public static void Extend(MeasurementAlgorithm algorithm, Span<byte> rem, ReadOnlySpan<byte> value)
        {
            if (value.Length > SlotSize)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "A REM extension is at most 64 bytes.");
            }

            int hashSize = HashSize(algorithm);
            Span<byte> input = stackalloc byte[SlotSize * 2];
            rem[..hashSize].CopyTo(input);
            value.CopyTo(input[hashSize..]);
            Hash(algorithm, input[..(hashSize + value.Length)], rem);
        }

        private static void BeginDescriptor(Span<byte> desc, int type, MeasurementAlgorithm algorithm, ReadOnlySpan<byte> rim)
        {
            desc.Clear();
            desc[OffsetDescType] = (byte)type;
            BinaryPrimitives.WriteUInt64LittleEndian(desc[OffsetLen..], DescriptorSize);
            rim[..HashSize(algorithm)].CopyTo(desc[OffsetRim..]);
        }
    }
}
