using System.Runtime.InteropServices;

namespace Capvisor.Arm
{
    /// <summary>
    /// A pre-decoded instruction: the encoding's fields extracted once, so executing it again
    /// costs a cache lookup and a switch. Nothing in it depends on the instruction's address.
    /// </summary>
    /// <remarks>
    /// Register fields hold architectural numbers, except that a register position where
    /// 31 means XZR is mapped by the decoder to <see cref="Decoder.Zr"/> (32, always zero)
    /// when read and to <see cref="Decoder.Sink"/> (33, discarded) when written; 31 in a
    /// field therefore always means SP. The meaning of <see cref="A"/>..<see cref="D"/>,
    /// <see cref="Imm"/> and <see cref="Imm2"/> depends on <see cref="Op"/> (see Decoder.cs).
    /// 32 bytes.
    /// </remarks>
    [StructLayout(LayoutKind.Sequential)]
    internal struct DecodedInst
    {
        /// <summary>The instruction word this entry was decoded from.</summary>
        public uint Raw;
        /// <summary>What to execute.</summary>
        public Op Op;
        /// <summary>False for an empty cache slot.</summary>
        public bool Valid;
        /// <summary>Access size in bytes for loads/stores; 1 = 64-bit for generic data-processing ops.</summary>
        public byte Size;
        /// <summary>Destination register, or Rt for loads/stores and system instructions.</summary>
        public byte Rd;
        /// <summary>First source register, or the base register.</summary>
        public byte Rn;
        /// <summary>Second source register, Rs (status) for store-exclusive, or Rt2 for pairs.</summary>
        public byte Rm;
        /// <summary>Third source register (multiply-accumulate).</summary>
        public byte Ra;
        /// <summary>Small operation-specific fields (shift amount, shift type, condition, mode...).</summary>
        public byte A, B, C, D;
        /// <summary>Immediate, already shifted, scaled or sign-extended.</summary>
        public long Imm;
        /// <summary>Second immediate (bitfield top mask).</summary>
        public ulong Imm2;
    }
}
