using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    public sealed unsafe partial class Cpu
    {
        private struct TlbEntry
        {
            /// <summary>Page VA with bits 11:0 clear, or <see cref="ulong.MaxValue"/> when empty.</summary>
            public ulong Tag;
            /// <summary>Host address of the page's first byte.</summary>
            public byte* Host;
        }

        /// <summary>What a successful translation gives.</summary>
        private struct Translation
        {
            public ulong Pa;
            public byte* Host;
            /// <summary>The physical address space the access goes to.</summary>
            public SecurityState Pas;
        }

        private enum AccessKind : byte { Read, Write, Execute }

        // Software TLB: one direct-mapped table per (access kind, privilege). An entry exists
        // only when that access is permitted, so a hit needs one compare. The tag keeps the
        // access's misaligned low bits, so only aligned accesses hit (Device pages included).
        private const int TlbEntries = 256;
        private const ulong TlbMask = TlbEntries - 1;
        private const ulong PageTagMask = ~0xFFFul;
        private readonly TlbEntry[] _tlb = new TlbEntry[6 * TlbEntries];
        private int _readBase, _writeBase;
        private ulong _fetchPage = ulong.MaxValue;
        private byte* _fetchHost;

        /// <summary>
        /// When true, unaligned accesses to Device memory (including every data access with the
        /// MMU off) take an alignment fault, as the architecture requires. Off by default because
        /// QEMU 7.2 (the reference this board is checked against) does not check them, and
        /// bare-metal programs written against it rely on that.
        /// </summary>
        public bool EnforceDeviceAlignment;

        /// <summary>Physical address size in bits (ID_AA64MMFR0_EL1.PARange = 44 bits).</summary>
        public const int PaBits = 44;

        /// <summary>Discards every cached translation (TLBI, translation-control writes, GPT changes).</summary>
        public void FlushTlb()
        {
            for (int i = 0; i < _tlb.Length; i++)
            {
                _tlb[i].Tag = ulong.MaxValue;
            }

            InvalidateFetch();
        }

        private void InvalidateFetch()
        {
            _fetchPage = ulong.MaxValue;
            int priv = CurrentEl == 0 ? 0 : 1;
            _readBase = (int)(((int)AccessKind.Read * 2 + priv) * TlbEntries);
            _writeBase = (int)(((int)AccessKind.Write * 2 + priv) * TlbEntries);
        }

        private static class FaultStatus
        {
            public const uint AddressSize = 0x00; // + level
            public const uint Translation = 0x04; // + level
            public const uint AccessFlag = 0x08; // + level
            public const uint Permission = 0x0C; // + level
            public const uint ExternalAbort = 0x10;
            public const uint ExternalAbortOnWalk = 0x14; // + level
            public const uint Alignment = 0x21;
            public const uint GranuleProtection = 0x28;
        }

        private Translation TranslateOrFault(ulong va, AccessKind kind, bool unprivileged, int size)
        {
            uint fsc = Walk(va, kind, unprivileged, out var w);
            if (fsc != NoFault && (fsc & Stage2WalkFault) != 0)
            {
                Stage2Abort(va, _stage2FaultIpa, fsc & ~Stage2WalkFault, kind, s1ptw: true);
            }

            if (fsc != NoFault)
            {
                if (kind == AccessKind.Execute)
                {
                    InstructionAbort(va, fsc);
                }

                DataAbort(va, fsc, kind == AccessKind.Write);
            }

            SecurityState pas = Security;
            ulong ipa = w.Pa;
            if (Stage2Enabled)
            {
                uint s2 = Stage2Walk(ipa, kind, out w.Pa, out bool s2Device, out pas);
                if (s2 != NoFault)
                {
                    Stage2Abort(va, ipa, s2, kind, s1ptw: false);
                }

                w.Device |= s2Device;
            }

            if (w.Device && EnforceDeviceAlignment && kind != AccessKind.Execute && (va & (ulong)(size - 1)) != 0)
            {
                DataAbort(va, FaultStatus.Alignment, kind == AccessKind.Write);
            }

            byte* host = _memory.GetRamPage(w.Pa & ~0xFFFul, pas, out var physicalFault);
            if (physicalFault != PhysicalFault.None)
            {
                uint status = PhysicalFaultStatus(physicalFault);
                if (physicalFault == PhysicalFault.GranuleProtection && Stage2Enabled)
                {
                    // A GPF on the output of stage 2 is reported to EL2, like the stage-2 faults.
                    Stage2Abort(va, ipa, status, kind, s1ptw: false);
                }

                if (kind == AccessKind.Execute)
                {
                    InstructionAbort(va, status);
                }

                DataAbort(va, status, kind == AccessKind.Write);
            }

            bool armed = kind == AccessKind.Execute ? _breakpointsArmed : _watchpointsArmed;
            if (host != null && !armed)
            {
                int priv = unprivileged || CurrentEl == 0 ? 0 : 1;
                ref TlbEntry e = ref _tlb[((int)kind * 2 + priv) * TlbEntries + (int)((va >> 12) & TlbMask)];
                e.Tag = va & PageTagMask;
                e.Host = host;
            }

            return new Translation { Pa = w.Pa, Host = host, Pas = pas };
        }

        private const uint NoFault = uint.MaxValue;

        private struct WalkResult
        {
            public ulong Pa;
            public bool Device;
            public byte Attr; // MAIR attribute byte
            public byte Shareability;
            public int Level;
        }

        /// <summary>
        /// Stage-1 translation of the EL1&amp;0 regime with the 4 KiB granule. Returns the fault
        /// status code, or <see cref="NoFault"/>.
        /// </summary>
        private uint Walk(ulong va, AccessKind kind, bool unprivileged, out WalkResult result)
        {
            result = default;
            ulong sctlr = SctlrEl[1];
            bool el0 = CurrentEl == 0 || unprivileged;
            if ((sctlr & SctlrM) == 0 || CurrentEl > 1)
            {
                // MMU off: flat, data accesses are Device-nGnRnE, instruction fetches Normal.
                if ((va >> PaBits) != 0)
                {
                    return FaultStatus.AddressSize;
                }

                result.Pa = va;
                result.Device = kind != AccessKind.Execute;
                result.Attr = (byte)(kind == AccessKind.Execute ? 0x44 : 0x00);
                result.Shareability = 2;
                return NoFault;
            }

            ulong tcr = TcrEl1;
            bool upper = ((va >> 55) & 1) != 0;
            int tsz = (int)((upper ? tcr >> 16 : tcr) & 0x3F);
            bool tbi = kind != AccessKind.Execute && ((tcr >> (upper ? 38 : 37)) & 1) != 0;
            bool epd = ((tcr >> (upper ? 23 : 7)) & 1) != 0;
            uint tg = (uint)((upper ? tcr >> 30 : tcr >> 14) & 3);
            bool granule4K = upper ? tg == 2 : tg == 0;
            tsz = Math.Clamp(tsz, 16, 39);
            int inputBits = 64 - tsz;
            int topBits = tbi ? 56 : 64;
            ulong top = topBits == 64 ? va >> inputBits : (va << 8) >> (inputBits + 8);
            ulong expectedTop = upper ? (1ul << (topBits - inputBits)) - 1 : 0;
            if (top != expectedTop || epd || !granule4K)
            {
                return FaultStatus.Translation;
            }

            int level = inputBits > 39 ? 0 : inputBits > 30 ? 1 : inputBits > 21 ? 2 : 3;
            int paLimit = Math.Min(PaBits, IpsBits((uint)(tcr >> 32) & 7));
            ulong ttbr = upper ? Ttbr1El1 : Ttbr0El1;
            int firstIndexBits = inputBits - (12 + 9 * (3 - level));
            var tableAttributes = default(TableAttributes);
            uint walk = WalkTables(va, ttbr, level, firstIndexBits, paLimit, stage1: true, ref tableAttributes,
                out ulong descriptor, out level, out ulong outputAddress);
            if (walk != NoFault)
            {
                return walk;
            }

            uint ap = (uint)(descriptor >> 6) & 3;
            bool el0Read = (ap & 1) != 0 && !tableAttributes.NoEl0;
            bool el0Write = ap == 1 && !tableAttributes.NoEl0 && !tableAttributes.ReadOnly;
            bool el1Write = (ap & 2) == 0 && !tableAttributes.ReadOnly;
            bool uxn = ((descriptor >> 54) & 1) != 0 || tableAttributes.Uxn;
            bool pxn = ((descriptor >> 53) & 1) != 0 || tableAttributes.Pxn;
            bool wxn = (sctlr & SctlrWxn) != 0;
            bool allowed = kind switch
            {
                AccessKind.Read => !el0 || el0Read,
                AccessKind.Write => el0 ? el0Write : el1Write,
                _ => el0
                    ? !uxn && !(wxn && el0Write)
                    : !pxn && !el0Write && !(wxn && el1Write),
            };
            if (!allowed)
            {
                return FaultStatus.Permission + (uint)level;
            }

            byte attr = (byte)(MairEl1 >> (8 * (int)((descriptor >> 2) & 7)));
            result.Pa = outputAddress;
            result.Attr = attr;
            result.Device = (attr & 0xF0) == 0;
            result.Shareability = (byte)((descriptor >> 8) & 3);
            result.Level = level;
            return NoFault;
        }

        /// <summary>The hierarchical attributes a stage-1 walk collects from table descriptors.</summary>
        private struct TableAttributes
        {
            public bool NoEl0, ReadOnly, Uxn, Pxn;
        }

        /// <summary>
        /// Walks 4 KiB-granule tables from the root in <paramref name="baseRegister"/> (TTBR or
        /// VTTBR) at <paramref name="level"/> (with <paramref name="indexBits"/> index bits there:
        /// concatenated roots have more than nine) down to the block or page descriptor for
        /// <paramref name="address"/>, and checks its output address size and access flag. A
        /// stage-1 walk reads its descriptors through stage 2 when that is on and collects the
        /// table attributes. Returns the fault status code, or <see cref="NoFault"/> with the leaf
        /// <paramref name="descriptor"/>, its <paramref name="leafLevel"/> and the
        /// <paramref name="outputAddress"/> of <paramref name="address"/>.
        /// </summary>
        private uint WalkTables(ulong address, ulong baseRegister, int level, int indexBits, int paLimit, bool stage1,
            ref TableAttributes attributes, out ulong descriptor, out int leafLevel, out ulong outputAddress)
        {
            descriptor = outputAddress = 0;
            leafLevel = level;
            ulong table = baseRegister & 0x0000_FFFF_FFFF_FFFEul & ~((8ul << indexBits) - 1);
            if ((table >> paLimit) != 0)
            {
                return FaultStatus.AddressSize + (uint)level;
            }

            while (true)
            {
                int shift = 12 + 9 * (3 - level);
                ulong descriptorPa = table + ((address >> shift) & ((1ul << indexBits) - 1)) * 8;
                SecurityState pas = Security;
                if (stage1 && Stage2Enabled)
                {
                    // The table address is an IPA: the walk's own reads go through stage 2.
                    uint s2 = Stage2Walk(descriptorPa, AccessKind.Read, out ulong descriptorOutput, out _, out pas);
                    if (s2 != NoFault)
                    {
                        _stage2FaultIpa = descriptorPa;
                        return s2 | Stage2WalkFault;
                    }

                    descriptorPa = descriptorOutput;
                }

                byte* page = _memory.GetRamPage(descriptorPa & ~0xFFFul, pas, out var physicalFault);
                if (page == null)
                {
                    return physicalFault == PhysicalFault.GranuleProtection
                        ? FaultStatus.GranuleProtection
                        : FaultStatus.ExternalAbortOnWalk + (uint)level;
                }

                descriptor = Volatile.Read(ref *(ulong*)(page + (descriptorPa & 0xFFF)));
                if ((descriptor & 1) == 0)
                {
                    return FaultStatus.Translation + (uint)level;
                }

                bool isTable = (descriptor & 2) != 0;
                if (level == 3 || !isTable)
                {
                    // Level 3 needs a page descriptor (0b11); level 0 has no blocks with 4 KiB.
                    if (level == 3 ? !isTable : level == 0)
                    {
                        return FaultStatus.Translation + (uint)level;
                    }

                    leafLevel = level;
                    ulong offsetMask = (1ul << shift) - 1;
                    ulong outputBase = descriptor & 0x0000_FFFF_FFFF_F000ul & ~offsetMask;
                    if ((outputBase >> paLimit) != 0)
                    {
                        return FaultStatus.AddressSize + (uint)level;
                    }

                    if (((descriptor >> 10) & 1) == 0)
                    {
                        return FaultStatus.AccessFlag + (uint)level;
                    }

                    outputAddress = outputBase | (address & offsetMask);
                    return NoFault;
                }

                table = descriptor & 0x0000_FFFF_FFFF_F000ul;
                if ((table >> paLimit) != 0)
                {
                    return FaultStatus.AddressSize + (uint)level;
                }

                if (stage1)
                {
                    attributes.NoEl0 |= ((descriptor >> 61) & 1) != 0;
                    attributes.ReadOnly |= ((descriptor >> 62) & 1) != 0;
                    attributes.Uxn |= ((descriptor >> 60) & 1) != 0;
                    attributes.Pxn |= ((descriptor >> 59) & 1) != 0;
                }

                level++;
                indexBits = 9;
            }
        }

        private static int IpsBits(uint ips) => ips switch
        {
            0 => 32,
            1 => 36,
            2 => 40,
            3 => 42,
            4 => 44,
            _ => 48,
        };

        /// <summary>AT S1E1R/W, S1E0R/W: translates without faulting and writes PAR_EL1.</summary>
        private void AddressTranslate(ulong va, bool write, bool el0)
        {
            int savedEl = CurrentEl;
            uint fsc = Walk(va, write ? AccessKind.Write : AccessKind.Read, unprivileged: el0 && savedEl == 1, out var w);
            if (fsc != NoFault && (fsc & Stage2WalkFault) != 0)
            {
                // A stage-2 fault on the stage-1 walk: PAR.S and PAR.PTW set.
                ParEl1 = 1ul | ((ulong)(fsc & 0x3F) << 1) | (1ul << 8) | (1ul << 9);
                return;
            }

            if (fsc == NoFault && !Stage2Enabled)
            {
                _memory.GetRamPage(w.Pa & ~0xFFFul, Security, out var physicalFault);
                if (physicalFault == PhysicalFault.GranuleProtection)
                {
                    fsc = FaultStatus.GranuleProtection;
                }
            }

            if (fsc != NoFault)
            {
                ParEl1 = 1ul | (fsc << 1);
            }
            else
            {
                // NS (bit 9) reports a Non-secure output address; SH and ATTR as translated.
                ParEl1 = ((ulong)w.Attr << 56) | (w.Pa & 0x0000_FFFF_FFFF_F000ul)
                    | (Security == SecurityState.NonSecure ? 1ul << 9 : 0) | ((ulong)w.Shareability << 7);
            }
        }

        private void DataAbort(ulong va, uint fsc, bool write, bool cacheMaintenance = false)
        {
            var ec = CurrentEl == 0 ? ExceptionClass.DataAbortLowerEl : ExceptionClass.DataAbortSameEl;
            uint iss = fsc | (write ? 1u << 6 : 0) | (cacheMaintenance ? 1u << 8 : 0);
            RaiseSynchronous(ec, iss, va);
        }

        private void InstructionAbort(ulong va, uint fsc)
        {
            var ec = CurrentEl == 0 ? ExceptionClass.InstructionAbortLowerEl : ExceptionClass.InstructionAbortSameEl;
            TakeSynchronous(ec, fsc, va, va);
            throw ArchitecturalException.Instance;
        }
    }
}
