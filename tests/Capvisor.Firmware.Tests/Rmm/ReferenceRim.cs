using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// An independent model of the RIM, written from the layouts in
    /// <c>shared/reference/cca-interfaces.md</c> §4 (not from the production code): each step
    /// builds its 4096-byte parameter block or 256-byte descriptor by hand and hashes it.
    /// The RIPAS walk follows veraison/cca-realm-measurements (<c>src/realm.rs</c>,
    /// <c>find_block_size</c>): one descriptor per largest aligned block that fits.
    /// </summary>
    public sealed class ReferenceRim
    {
        private readonly bool _sha512;
        private byte[] _rim = new byte[64];

        public ReferenceRim(bool sha512) => _sha512 = sha512;

        public byte[] Rim => _rim;

        private byte[] H(ReadOnlySpan<byte> data)
        {
            byte[] slot = new byte[64];
            if (_sha512)
            {
                SHA512.HashData(data, slot);
            }
            else
            {
                SHA256.HashData(data, slot);
            }

            return slot;
        }

        private int HashLength => _sha512 ? 64 : 32;

        public void RealmCreate(ulong flags, uint s2sz, uint sveVl, uint numBps, uint numWps, uint pmuCtrs)
        {
            byte[] p = new byte[4096];
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(0x00), flags);
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(0x08), s2sz);
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(0x10), sveVl);
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(0x18), numBps);
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(0x20), numWps);
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(0x28), pmuCtrs);
            p[0x30] = _sha512 ? (byte)1 : (byte)0;
            _rim = H(p);
        }

        private byte[] Descriptor(byte type)
        {
            byte[] d = new byte[0x100];
            d[0] = type;
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(0x08), 0x100);
            _rim.AsSpan(0, HashLength).CopyTo(d.AsSpan(0x10));
            return d;
        }

        public void Ripas(ulong baseIpa, ulong topIpa)
        {
            byte[] d = Descriptor(2);
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(0x50), baseIpa);
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(0x58), topIpa);
            _rim = H(d);
        }

        /// <summary>RTT_INIT_RIPAS over [base, top) with tables down to the largest aligned block (start level <paramref name="startLevel"/>).</summary>
        public void InitRipas(ulong baseIpa, ulong topIpa, int startLevel)
        {
            ulong cur = baseIpa;
            while (cur < topIpa)
            {
                ulong size = 4096;
                for (int level = startLevel; level <= 3; level++)
                {
                    ulong s = 1UL << (((3 - level) * 9) + 12);
                    if (cur % s == 0 && topIpa - cur >= s)
                    {
                        size = s;
                        break;
                    }
                }

                Ripas(cur, cur + size);
                cur += size;
            }
        }

        public void Data(ulong ipa, ReadOnlySpan<byte> granule, bool measureContent)
        {
            byte[] d = Descriptor(0);
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(0x50), ipa);
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(0x58), measureContent ? 1UL : 0UL);
            if (measureContent)
            {
                H(granule).AsSpan().CopyTo(d.AsSpan(0x60));
            }

            _rim = H(d);
        }

        public void Rec(ulong flags, ulong pc, ReadOnlySpan<ulong> gprs)
        {
            byte[] p = new byte[4096];
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(0x000), flags);
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(0x200), pc);
            for (int i = 0; i < 8; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(0x300 + (8 * i)), gprs[i]);
            }

            byte[] d = Descriptor(1);
            H(p).AsSpan().CopyTo(d.AsSpan(0x50));
            _rim = H(d);
        }
    }
}
