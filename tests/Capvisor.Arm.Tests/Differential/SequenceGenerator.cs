namespace Capvisor.Arm.Tests.Differential
{
    /// <summary>
    /// Generates random A64 instruction sequences for differential testing, from encoding
    /// templates with random fields. Registers have roles so every memory access stays inside
    /// the data buffer: X0–X19 and X26–X30 hold data (and are the only destinations), X20–X22
    /// and SP point into the buffer (bases, changed only by writeback), X23 is a 16-byte-aligned
    /// base for exclusive and acquire/release accesses, X24/X25 hold small indexes.
    /// </summary>
    internal sealed class SequenceGenerator
    {
        public const ulong DataBase = 0x4100_0000;
        public const ulong DataSize = 0x1_0000;
        public const ulong CodePage = 0x4200_0000;
        public const ulong SeqOffset = 0x800;
        public const ulong Epilogue = 0x4200_1800;
        public const int StateCount = 49;

        private static readonly uint[] DataRegs = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 26, 27, 28, 29, 30 };
        private static readonly uint[] PointerRegs = { 20, 21, 22, 31 };
        private const uint AlignedBase = 23;

        private readonly Random _rng;

        public SequenceGenerator(int seed) => _rng = new Random(seed);

        /// <summary>One test case: the code page, the buffer seed and the initial register state.</summary>
        public sealed class Case
        {
            public byte[] Page = new byte[4096];
            public ulong BufferSeed;
            public ulong[] State = new ulong[StateCount];
            public uint[] Words = Array.Empty<uint>();
            public ulong EndPc;
        }

        private uint R(uint max) => (uint)_rng.Next((int)max);
        private bool Chance(int percent) => _rng.Next(100) < percent;
        private uint Pick(uint[] set) => set[_rng.Next(set.Length)];
        private uint D() => Pick(DataRegs);
        private uint DOrZr() => Chance(10) ? 31u : D();
        private uint AnySrc() => R(32); // any register, 31 = XZR (or SP where the encoding says so)

        private ulong Rand64()
        {
            ulong v = (ulong)_rng.NextInt64() ^ ((ulong)_rng.Next() << 40);
            return _rng.Next(8) switch
            {
                0 => 0,
                1 => ulong.MaxValue,
                2 => 0x8000_0000_0000_0000ul,
                3 => 0x7FFF_FFFF_FFFF_FFFFul,
                4 => (ulong)_rng.Next(0, 300),
                5 => 0xFFFF_FFFF_0000_0000ul | (uint)_rng.Next(),
                6 => (uint)_rng.Next() | (_rng.Next(2) == 0 ? 0x8000_0000ul : 0),
                _ => v,
            };
        }

        public Case Next(int length, bool dataProcessingOnly)
        {
            var c = new Case();
            _rng.NextBytes(c.Page);
            c.BufferSeed = (ulong)_rng.NextInt64();
            for (int i = 0; i < 31; i++)
            {
                c.State[i] = Rand64();
            }

            foreach (uint p in new uint[] { 20, 21, 22 })
            {
                c.State[p] = DataBase + 0x8000 + (ulong)(_rng.Next(-0x1000, 0x1000));
            }

            c.State[AlignedBase] = DataBase + 0x4000 + (ulong)(16 * _rng.Next(0, 64));
            c.State[24] = (ulong)_rng.Next(0, 256);
            c.State[25] = ((ulong)(uint)_rng.Next() << 32) | (uint)_rng.Next(-128, 128);
            c.State[31] = DataBase + 0x8000 + (ulong)(_rng.Next(-0x1000, 0x1000)); // SP
            c.State[32] = (ulong)_rng.Next(16) << 28;
            for (int i = 33; i < StateCount; i++)
            {
                c.State[i] = (ulong)_rng.NextInt64();
            }

            var words = new List<uint>();
            var branches = new List<int>();
            var indirect = new List<int>();
            while (words.Count < length)
            {
                if (dataProcessingOnly)
                {
                    words.Add(RandomDataProcessingWord(forceDest: false, allocated: !Chance(15)));
                    continue;
                }

                int kind = _rng.Next(100);
                if (kind < 30)
                {
                    words.Add(DataProcessing());
                }
                else if (kind < 40)
                {
                    words.Add(RandomDataProcessingWord(forceDest: true, allocated: !Chance(10)));
                }
                else if (kind < 75)
                {
                    words.Add(LoadStore());
                }
                else if (kind < 82)
                {
                    words.Add(FpLoadStore());
                }
                else if (kind < 87)
                {
                    AddExclusiveBlock(words);
                }
                else if (kind < 93)
                {
                    branches.Add(words.Count);
                    words.Add(0); // patched below
                }
                else if (kind < 95)
                {
                    // ADR Xd, target; MOVK Xd, #0, LSL #48; BR/BLR/RET Xd: an indirect branch.
                    indirect.Add(words.Count);
                    words.Add(0);
                    words.Add(0);
                    words.Add(0);
                }
                else
                {
                    words.Add(SystemWord());
                }
            }

            int n = words.Count;
            // No branch may land inside an ADR/MOVK/BR group: its register could still hold an
            // earlier group's target, and the sequence would loop forever.
            var inside = new HashSet<int>(indirect.SelectMany(i => new[] { i + 1, i + 2 }));
            int Target(int from)
            {
                int t;
                do
                {
                    t = _rng.Next(from, n + 1); // n = the final branch to the epilogue
                }
                while (inside.Contains(t));
                return t;
            }

            foreach (int i in branches)
            {
                int target = Target(i + 1);
                words[i] = Branch((uint)(target - i));
            }

            foreach (int i in indirect)
            {
                int target = Target(i + 3);
                uint rd = D();
                uint offset = (uint)(target - i) * 4;
                words[i] = ((offset & 3) << 29) | (0b10000u << 24) | ((offset >> 2) << 5) | rd; // ADR
                // No tag: qemu-user 7.2 does not remove a tag from a branch target (it spins
                // fetching from the tagged address), so tagged branches are unit-tested instead.
                uint tag = 0;
                words[i + 1] = 0xF2E00000u | (tag << 5) | rd; // MOVK Xd, #tag, LSL #48
                words[i + 2] = Pick(new uint[] { 0xD61F0000u, 0xD63F0000u, 0xD65F0000u }) | (rd << 5);
            }

            SetWords(c, words);
            return c;
        }

        /// <summary>
        /// A case made of one CONSTRAINED UNPREDICTABLE load/store (writeback with Rt == Rn,
        /// LDP with Rt == Rt2, store-exclusive with Rs == Rt or Rs == Rn), to check that
        /// Capvisor makes the same choice as QEMU.
        /// </summary>
        public Case NextUnpredictable()
        {
            var c = Next(0, dataProcessingOnly: false);
            var words = new List<uint>();
            uint p = Pick(new uint[] { 20, 21, 22 });
            switch (_rng.Next(6))
            {
                case 0: // single load/store, pre/post-index, Rt == Rn
                {
                    uint size = R(4), opc = R(4);
                    if (opc >= 2 && size == 3 || opc == 3 && size == 2) opc = 1;
                    uint kind = _rng.Next(2) == 0 ? 1u : 3u;
                    words.Add((size << 30) | (0b111000u << 24) | (opc << 22) | (R(512) << 12) | (kind << 10) | (p << 5) | p);
                    break;
                }

                case 1: // pair with writeback, Rt or Rt2 == Rn
                {
                    uint popc = Pick(new uint[] { 0, 1, 2 });
                    uint l = popc == 1 ? 1u : R(2);
                    uint mode = _rng.Next(2) == 0 ? 1u : 3u;
                    uint other = D();
                    bool first = Chance(50);
                    uint t1 = first ? p : other, t2 = first ? other : p;
                    words.Add((popc << 30) | (0b101u << 27) | (mode << 23) | (l << 22) | (R(128) << 15) | (t2 << 10) | (p << 5) | t1);
                    break;
                }

                case 2: // LDP/LDPSW/LDNP with Rt == Rt2
                {
                    uint popc = Pick(new uint[] { 0, 1, 2 });
                    uint mode = Pick(new uint[] { 1, 2, 3 });
                    uint t = D();
                    words.Add((popc << 30) | (0b101u << 27) | (mode << 23) | (1u << 22) | (R(128) << 15) | (t << 10) | (p << 5) | t);
                    break;
                }

                case 3: // LDXP with Rt == Rt2
                {
                    uint t = D();
                    words.Add(((2 + R(2)) << 30) | (0b001000011u << 21) | (31u << 16) | (R(2) << 15) | (t << 10) | (AlignedBase << 5) | t);
                    break;
                }

                default: // LDXR then STXR with Rs == Rt or Rs == Rn
                {
                    uint size = R(4);
                    uint rt = D();
                    words.Add((size << 30) | (0b001000010u << 21) | (31u << 16) | (31u << 10) | (AlignedBase << 5) | D());
                    uint rs = Chance(50) ? rt : AlignedBase;
                    words.Add((size << 30) | (0b001000000u << 21) | (rs << 16) | (R(2) << 15) | (31u << 10) | (AlignedBase << 5) | rt);
                    break;
                }
            }

            SetWords(c, words);
            return c;
        }

        /// <summary>A case made of one instruction word.</summary>
        public Case NextSingle(uint word)
        {
            var c = Next(0, dataProcessingOnly: false);
            SetWords(c, new List<uint> { word });
            return c;
        }

        private static void SetWords(Case c, List<uint> words)
        {
            int n = words.Count;
            c.Words = words.ToArray();
            for (int i = 0; i < n; i++)
            {
                BitConverter.TryWriteBytes(c.Page.AsSpan((int)SeqOffset + 4 * i), words[i]);
            }

            ulong end = CodePage + SeqOffset + 4 * (ulong)n;
            uint toEpilogue = 0x14000000u | (uint)(((Epilogue - end) >> 2) & 0x3FFFFFF);
            BitConverter.TryWriteBytes(c.Page.AsSpan((int)SeqOffset + 4 * n), toEpilogue);
            c.EndPc = end;
        }

        // ------------------------------------------------------------ data processing

        /// <summary>
        /// A random word in the data-processing encoding space. With <paramref name="allocated"/>,
        /// words are redrawn (a few times) until Capvisor's decoder accepts them, so sequences are not
        /// all cut short by the first unallocated word; QEMU still judges every one of them.
        /// </summary>
        private uint RandomDataProcessingWord(bool forceDest, bool allocated)
        {
            for (int attempt = 0; ; attempt++)
            {
                uint w = RandomDataProcessingWord(forceDest);
                if (!allocated || attempt == 20)
                {
                    return w;
                }

                Decoder.Decode(w, out var d);
                if (d.Op != Op.Undefined)
                {
                    return w;
                }
            }
        }

        private uint RandomDataProcessingWord(bool forceDest)
        {
            uint w = (uint)_rng.NextInt64(0, 1L << 32);
            uint top = _rng.Next(4) switch { 0 => 0b1000u, 1 => 0b1001u, 2 => 0b0101u, _ => 0b1101u };
            w = (w & ~(0xFu << 25)) | (top << 25);
            if (forceDest)
            {
                w = (w & ~31u) | D();
            }

            return w;
        }

        private uint DataProcessing()
        {
            uint sf = R(2), rd = D(), rn = AnySrc(), rm = AnySrc();
            switch (_rng.Next(19))
            {
                case 0: // ADR/ADRP
                    return (R(2) << 31) | (R(4) << 29) | (0b10000u << 24) | (R(1u << 19) << 5) | rd;
                case 1: // ADD/SUB (immediate), Rn not SP
                {
                    uint s = R(2);
                    if (rn == 31) rn = 0;
                    return (sf << 31) | (R(2) << 30) | (s << 29) | (0b100010u << 23) | (R(2) << 22) | (R(4096) << 10) | (rn << 5) | (s == 1 ? DOrZr() : rd);
                }

                case 2: // SP forms: add/sub Xd, sp, #imm; cmp/cmn sp; add/sub sp, sp, #16*k
                    switch (_rng.Next(3))
                    {
                        case 0: return (1u << 31) | (R(2) << 30) | (0b100010u << 23) | (R(4096) << 10) | (31u << 5) | rd;
                        case 1: return (sf << 31) | (R(2) << 30) | (1u << 29) | (0b100010u << 23) | (R(4096) << 10) | (31u << 5) | 31u;
                        default: return (1u << 31) | (R(2) << 30) | (0b100010u << 23) | ((16 * R(16)) << 10) | (31u << 5) | 31u;
                    }

                case 3: // logical (immediate)
                {
                    uint opc = R(4);
                    uint n = sf == 1 ? R(2) : 0;
                    uint dest = opc == 3 ? DOrZr() : rd;
                    return (sf << 31) | (opc << 29) | (0b100100u << 23) | (n << 22) | (R(64) << 16) | (R(64) << 10) | (rn << 5) | dest;
                }

                case 4: // move wide
                {
                    uint opc = Pick(new uint[] { 0, 2, 3, 3 });
                    uint hw = sf == 1 ? R(4) : R(2);
                    return (sf << 31) | (opc << 29) | (0b100101u << 23) | (hw << 21) | (R(65536) << 5) | rd;
                }

                case 5: // bitfield
                {
                    uint opc = R(3);
                    uint limit = sf == 1 ? 64u : 32u;
                    return (sf << 31) | (opc << 29) | (0b100110u << 23) | (sf << 22) | (R(limit) << 16) | (R(limit) << 10) | (rn << 5) | rd;
                }

                case 6: // EXTR
                {
                    uint limit = sf == 1 ? 64u : 32u;
                    return (sf << 31) | (0b00100111u << 23) | (sf << 22) | (rm << 16) | (R(limit) << 10) | (rn << 5) | rd;
                }

                case 7: // logical (shifted register)
                {
                    uint opc = R(4);
                    uint limit = sf == 1 ? 64u : 32u;
                    uint dest = opc == 3 ? DOrZr() : DOrZr();
                    return (sf << 31) | (opc << 29) | (0b01010u << 24) | (R(4) << 22) | (R(2) << 21) | (rm << 16) | (R(limit) << 10) | (rn << 5) | dest;
                }

                case 8: // add/sub (shifted register)
                {
                    uint limit = sf == 1 ? 64u : 32u;
                    return (sf << 31) | (R(2) << 30) | (R(2) << 29) | (0b01011u << 24) | (R(3) << 22) | (rm << 16) | (R(limit) << 10) | (rn << 5) | DOrZr();
                }

                case 9: // add/sub (extended register); Rn may be SP, Rd never SP
                {
                    uint s = R(2);
                    uint dest = s == 1 ? DOrZr() : rd;
                    return (sf << 31) | (R(2) << 30) | (s << 29) | (0b01011001u << 21) | (rm << 16) | (R(8) << 13) | (R(5) << 10) | (rn << 5) | dest;
                }

                case 10: // ADC/SBC
                    return (sf << 31) | (R(2) << 30) | (R(2) << 29) | (0b11010000u << 21) | (rm << 16) | (rn << 5) | DOrZr();
                case 11: // CCMN/CCMP (register or immediate)
                    return (sf << 31) | (R(2) << 30) | (1u << 29) | (0b11010010u << 21) | (R(32) << 16) | (R(16) << 12) | (R(2) << 11) | (rn << 5) | R(16);
                case 12: // conditional select
                    return (sf << 31) | (R(2) << 30) | (0b11010100u << 21) | (rm << 16) | (R(16) << 12) | (R(2) << 10) | (rn << 5) | DOrZr();
                case 13: // 1-source
                {
                    uint opcode = sf == 1 ? R(6) : Pick(new uint[] { 0, 1, 2, 4, 5 });
                    return (sf << 31) | (1u << 30) | (0b11010110u << 21) | (opcode << 10) | (rn << 5) | DOrZr();
                }

                case 14: // 2-source
                {
                    uint opcode = Pick(new uint[] { 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23 });
                    if (opcode >= 16)
                    {
                        sf = (opcode & 3) == 3 ? 1u : 0u;
                    }

                    return (sf << 31) | (0b11010110u << 21) | (rm << 16) | (opcode << 10) | (rn << 5) | DOrZr();
                }

                case 15: // 3-source
                {
                    uint op31o0 = sf == 1 ? Pick(new uint[] { 0, 1, 2, 3, 4, 10, 11, 12 }) : R(2);
                    return (sf << 31) | (0b11011u << 24) | ((op31o0 >> 1) << 21) | (rm << 16) | ((op31o0 & 1) << 15) | (AnySrc() << 10) | (rn << 5) | DOrZr();
                }

                case 16: // MRS/MSR NZCV
                    return Chance(50) ? 0xD53B4200u | rd : 0xD51B4200u | rn;
                default: // common idioms: mov, cmp, lsl, ubfx via the same templates
                    return (sf << 31) | (0b0101010u << 24) | (rm << 16) | (31u << 5) | rd; // mov
            }
        }

        // ------------------------------------------------------------ loads and stores

        private uint Base() => Pick(PointerRegs);

        private uint LoadStore()
        {
            uint rn = Base();
            uint size = R(4);
            uint opc = R(4);
            // Valid general-purpose combinations: opc 0/1 any size; opc 2 sizes 0-2 (size 3 = PRFM);
            // opc 3 sizes 0-1.
            if (opc == 3 && size >= 2)
            {
                opc = R(2);
            }

            bool load = opc != 0;
            uint rt = load ? D() : AnySrc();
            bool prfm = opc == 2 && size == 3;
            switch (_rng.Next(prfm ? 2 : 8))
            {
                case 7: // literal: LDR W/X, LDRSW, PRFM
                    return (R(4) << 30) | (0b011000u << 24) | (LiteralOffset() << 5) | D();

                case 0: // unsigned offset (small)
                    return (size << 30) | (0b111001u << 24) | (opc << 22) | (R(128) << 10) | (rn << 5) | rt;
                case 1: // unscaled
                    return (size << 30) | (0b111000u << 24) | (opc << 22) | (R(512) << 12) | (rn << 5) | rt;
                case 2: // post-index
                case 3: // pre-index
                {
                    uint kind = _rng.Next(2) == 0 ? 1u : 3u;
                    return (size << 30) | (0b111000u << 24) | (opc << 22) | (R(512) << 12) | (kind << 10) | (rn << 5) | rt;
                }

                case 4: // unprivileged
                    if (opc == 3 && size >= 2 || opc == 2 && size == 3)
                    {
                        opc = 1;
                    }

                    return (size << 30) | (0b111000u << 24) | (opc << 22) | (R(512) << 12) | (2u << 10) | (rn << 5) | rt;
                case 5: // register offset
                {
                    uint option = Pick(new uint[] { 2, 3, 6, 7 });
                    uint rm = option switch { 6 => Chance(50) ? 24u : 25u, _ => 24u };
                    return (size << 30) | (0b111000u << 24) | (opc << 22) | (1u << 21) | (rm << 16) | (option << 13) | (R(2) << 12) | (2u << 10) | (rn << 5) | rt;
                }

                default: // pairs
                {
                    uint popc = Pick(new uint[] { 0, 1, 2 });
                    uint mode = R(4); // 00 no-allocate, 01 post, 10 offset, 11 pre
                    uint l = R(2);
                    if (popc == 1)
                    {
                        l = 1;
                        if (mode == 0) mode = 2;
                    }

                    uint t1 = l == 1 ? D() : AnySrc();
                    uint t2 = l == 1 ? (Chance(5) ? t1 : D()) : AnySrc();
                    return (popc << 30) | (0b101u << 27) | (mode << 23) | (l << 22) | (R(128) << 15) | (t2 << 10) | (rn << 5) | t1;
                }
            }
        }

        private uint FpLoadStore()
        {
            uint rn = Base();
            uint rt = R(8);
            uint l = R(2);
            // size:opc<1> selects B/H/S/D/Q.
            uint size, opcHigh;
            switch (_rng.Next(5))
            {
                case 0: size = 0; opcHigh = 0; break;
                case 1: size = 1; opcHigh = 0; break;
                case 2: size = 2; opcHigh = 0; break;
                case 3: size = 3; opcHigh = 0; break;
                default: size = 0; opcHigh = 1; break;
            }

            uint opc = (opcHigh << 1) | l;
            switch (_rng.Next(8))
            {
                case 6:
                case 7:
                    return Structure(rn);

                case 0:
                    return (size << 30) | (0b111101u << 24) | (opc << 22) | (R(64) << 10) | (rn << 5) | rt;
                case 1:
                case 2:
                {
                    uint kind = Pick(new uint[] { 0, 1, 3 });
                    return (size << 30) | (0b111100u << 24) | (opc << 22) | (R(512) << 12) | (kind << 10) | (rn << 5) | rt;
                }

                case 3:
                {
                    uint option = Pick(new uint[] { 2, 3, 6, 7 });
                    uint rm = option == 6 ? 25u : 24u;
                    return (size << 30) | (0b111100u << 24) | (opc << 22) | (1u << 21) | (rm << 16) | (option << 13) | (R(2) << 12) | (2u << 10) | (rn << 5) | rt;
                }

                case 4: // pair of S/D/Q
                {
                    uint popc = R(3);
                    uint mode = R(4);
                    uint t2 = R(8);
                    if (l == 1 && t2 == rt) t2 = (rt + 1) & 7;
                    return (popc << 30) | (0b1011u << 26) | (mode << 23) | (l << 22) | (R(128) << 15) | (t2 << 10) | (rn << 5) | rt;
                }

                default: // literal S/D/Q, within the code page
                    return (R(3) << 30) | (0b011100u << 24) | (LiteralOffset() << 5) | rt;
            }
        }

        /// <summary>
        /// An AdvSIMD structure load/store (LD1-LD4, ST1-ST4, LD1R-LD4R) on registers within V0-V7,
        /// base <paramref name="rn"/>, post-indexed by the transfer size or by X24.
        /// </summary>
        private uint Structure(uint rn)
        {
            for (int attempt = 0; ; attempt++)
            {
                bool post = Chance(50);
                uint w = (uint)_rng.NextInt64(0, 1L << 32);
                w &= ~((1u << 31) | (0x1Fu << 25) | (0x1Fu << 16) | (0x1Fu << 5) | 0x1Fu);
                w |= (0b00110u << 25) | (rn << 5);
                if (post)
                {
                    w |= 1u << 23;
                    w |= (Chance(70) ? 31u : 24u) << 16;
                }
                else
                {
                    w &= ~(1u << 23);
                }

                Decoder.Decode(w, out var d);
                if (d.Op == Op.Undefined)
                {
                    if (attempt >= 3)
                    {
                        return w; // let QEMU judge an unallocated one now and then
                    }

                    continue;
                }

                int count = d.Op is Op.SimdLdMulti or Op.SimdStMulti ? d.A * d.B : d.B;
                return w | R((uint)(9 - count));
            }
        }

        private uint LiteralOffset()
        {
            // The sequence starts at page offset 0x800 and is short: +-0x100 words stays in the page.
            return (uint)_rng.Next(-0x100, 0x100) & 0x7FFFF;
        }

        private void AddExclusiveBlock(List<uint> words)
        {
            uint rn = AlignedBase;
            switch (_rng.Next(5))
            {
                case 0:
                case 1:
                {
                    uint size = R(4);
                    uint rt = D(), rs = D();
                    while (rs == rt) rs = D();
                    uint acquire = R(2), release = R(2);
                    words.Add((size << 30) | (0b001000010u << 21) | (31u << 16) | (acquire << 15) | (31u << 10) | (rn << 5) | rt);
                    if (Chance(50)) words.Add(DataProcessing());
                    uint value = Chance(80) ? rt : AnySrc();
                    if (value == rs) value = rt;
                    words.Add((size << 30) | (0b001000000u << 21) | (rs << 16) | (release << 15) | (31u << 10) | (rn << 5) | value);
                    return;
                }

                case 2:
                {
                    uint size = 2 + R(2);
                    uint t1 = D(), t2 = D(), rs = D();
                    while (t2 == t1) t2 = D();
                    while (rs == t1 || rs == t2) rs = D();
                    words.Add((size << 30) | (0b001000011u << 21) | (31u << 16) | (R(2) << 15) | (t2 << 10) | (rn << 5) | t1);
                    words.Add((size << 30) | (0b001000001u << 21) | (rs << 16) | (R(2) << 15) | (t2 << 10) | (rn << 5) | t1);
                    return;
                }

                case 3: // LDAR/STLR
                {
                    uint size = R(4);
                    bool load = Chance(50);
                    uint rt = load ? D() : AnySrc();
                    words.Add((size << 30) | (0b001000100u << 21) | ((load ? 1u : 0u) << 22) | (31u << 16) | (1u << 15) | (31u << 10) | (rn << 5) | rt);
                    return;
                }

                default: // STXR without a reservation, or CLREX between
                {
                    uint size = R(4);
                    uint rs = D(), rt = AnySrc();
                    if (rt == rs) rt = 31;
                    if (Chance(50))
                    {
                        words.Add((size << 30) | (0b001000010u << 21) | (31u << 16) | (31u << 10) | (rn << 5) | D());
                        words.Add(0xD5033F5Fu); // clrex
                    }

                    words.Add((size << 30) | (0b001000000u << 21) | (rs << 16) | (R(2) << 15) | (31u << 10) | (rn << 5) | rt);
                    return;
                }
            }
        }

        private uint Branch(uint distance)
        {
            uint rt = AnySrc();
            switch (_rng.Next(6))
            {
                case 0: return 0x14000000u | distance; // B
                case 1: return 0x94000000u | distance; // BL (X30 is a data register)
                case 2: return 0x54000000u | (distance << 5) | R(16); // B.cond
                case 3: return (R(2) << 31) | (0b011010u << 25) | (R(2) << 24) | (distance << 5) | rt; // CBZ/CBNZ
                default:
                {
                    uint bit = R(64);
                    return ((bit >> 5) << 31) | (0b011011u << 25) | (R(2) << 24) | ((bit & 31) << 19) | (distance << 5) | rt; // TBZ/TBNZ
                }
            }
        }

        private uint Hint()
        {
            uint h = R(128);
            return h is 2 or 3 ? 0xD503201Fu : 0xD503201Fu | (h << 5);
        }

        private uint SystemWord()
        {
            switch (_rng.Next(16))
            {
                case 8:
                case 9:
                {
                    // Anywhere in the hint, barrier and PSTATE spaces (op0 = 0, L = 0), Rt mostly 31.
                    uint crn = 2 + R(3);
                    uint crm = R(16), op2 = R(8);
                    if (crn == 2 && crm == 0 && op2 is 2 or 3)
                    {
                        op2 = 0; // WFE/WFI sleep on Capvisor; qemu-user runs them as NOPs
                    }

                    uint rt = Chance(85) ? 31u : R(32);
                    return 0xD5000000u | (R(8) << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt;
                }

                case 10: return 0xD53B0020u | D(); // mrs ctr_el0
                case 11: return 0xD53B00E0u | D(); // mrs dczid_el0
                case 12: return (Chance(50) ? 0xD53B4400u : 0xD53B4420u) | D(); // mrs fpcr/fpsr
                case 13: return (Chance(50) ? 0xD51B4400u : 0xD51B4420u) | AnySrc(); // msr fpcr/fpsr
                case 14: return Pick(new uint[] { 0xD50B7420u, 0xD50B7E20u, 0xD50B7520u, 0xD50B7A20u, 0xD50B7B20u }) | Pick(new uint[] { 20, 21, 22 }); // dc zva/civac, ic ivau, dc cvac/cvau
                case 15: return 0xD5033FFFu; // sb (not in Armv8.0)
            }

            return _rng.Next(8) switch
            {
                0 => 0xD503201Fu, // nop
                1 => 0xD503203Fu, // yield
                2 => 0xD5033BBFu, // dmb ish
                3 => 0xD5033F9Fu, // dsb sy
                4 => 0xD5033FDFu, // isb
                5 => Hint(), // any hint but WFI/WFE (qemu-user runs them as NOPs)
                6 => 0xD5033F5Fu, // clrex
                _ => Chance(20) ? 0xD4200000u | (R(65536) << 5) : 0xD503201Fu, // brk (ends the sequence)
            };
        }
    }
}
