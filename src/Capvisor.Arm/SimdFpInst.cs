namespace Capvisor.Arm
{
    /// <summary>
    /// A pre-decoded SIMD&amp;FP data-processing instruction: its class, sub-operation and fields,
    /// validated once (unallocated encodings decode to <see cref="SimdFpKind.Undefined"/>).
    /// </summary>
    internal struct SimdFpInst
    {
        /// <summary>The instruction word this entry was decoded from.</summary>
        public uint Raw;
        public bool Valid;
        public SimdFpKind Kind;
        /// <summary>Sub-operation within the class (usually U:opcode).</summary>
        public ushort Sub;
        public byte Rd, Rn, Rm, Ra;
        /// <summary>log2 of the element size in bytes (0 = B … 3 = D), or the FP format (0 = H, 1 = S, 2 = D).</summary>
        public byte Size;
        /// <summary>Vector length in bytes (8 or 16), or 0 for scalar forms.</summary>
        public byte Bytes;
        /// <summary>Shift amount, index, fraction bits or condition, per class.</summary>
        public int Imm;
        /// <summary>Second index, rounding mode or other small field, per class.</summary>
        public int Imm2;
        /// <summary>Expanded immediate (MOVI/FMOV immediate).</summary>
        public ulong Imm64;
    }
}
