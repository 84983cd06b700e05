namespace Capvisor.Arm
{
    /// <summary>
    /// Operations the execution engine dispatches on. Common forms get their own value (32/64-bit,
    /// flag-setting or not, LSL-only shifts, unsigned-offset addressing) so their case is a few
    /// instructions; rare forms share a generic value that reads its variant from the fields.
    /// </summary>
    internal enum Op : ushort
    {
        /// <summary>Unallocated or unimplemented encoding: UNDEFINED.</summary>
        Undefined = 0,
        Nop,

        // PC-relative addressing
        Adr, Adrp,

        // Add/subtract (immediate); Rd and Rn are not SP
        AddImm64, AddImm32, SubImm64, SubImm32, AddsImm64, AddsImm32, SubsImm64, SubsImm32,
        /// <summary>Any add/subtract (immediate) with SP as a source or destination. C = flags (see Decoder.AsFlags).</summary>
        AddSubImmSp,

        // Logical (immediate): Imm = bitmask
        AndImm, OrrImm64, OrrImm32, EorImm64, EorImm32, AndsImm64, AndsImm32,
        /// <summary>AND/ORR/EOR (immediate) to SP. C = opc, Size = 1 for 64-bit.</summary>
        LogicImmSp,

        // Move wide
        MovImm, MovK64, MovK32,

        // Bitfield: A = immr, Imm = wmask, Imm2 = tmask
        Ubfm64, Ubfm32, Sbfm64, Sbfm32, Bfm64, Bfm32,
        LslImm64, LslImm32, LsrImm64, LsrImm32, AsrImm64, AsrImm32,
        /// <summary>Unsigned bitfield extract: (Rn &gt;&gt; A) &amp; Imm.</summary>
        Ubfx,
        /// <summary>Signed bitfield extract: A = lsb, B = width.</summary>
        Sbfx64, Sbfx32,
        Extr64, Extr32,

        // Logical (shifted register) with LSL: A = amount, Imm = 0 or ~0 (inverted forms)
        AndLsl64, AndLsl32, OrrLsl64, OrrLsl32, EorLsl64, EorLsl32, AndsLsl64, AndsLsl32,
        /// <summary>Any logical (shifted register): A = amount, B = shift type, C = opc, Size = 1 for 64-bit, Imm = invert mask.</summary>
        LogicShifted,
        /// <summary>MOV Xd, Xm (ORR with XZR, LSL #0).</summary>
        MovReg64, MovReg32,

        // Add/subtract (shifted register) with LSL: A = amount
        AddLsl64, AddLsl32, SubLsl64, SubLsl32, AddsLsl64, AddsLsl32, SubsLsl64, SubsLsl32,
        /// <summary>Add/subtract (shifted register) with LSR/ASR: A = amount, B = shift type, C = flags.</summary>
        AddSubShifted,
        /// <summary>Add/subtract (extended register): A = left shift, B = option, C = flags.</summary>
        AddSubExtended,
        /// <summary>ADC/ADCS/SBC/SBCS: C = flags.</summary>
        AdcSbc,
        /// <summary>CCMN/CCMP: C = flags (AsImm for the immediate form), B = cond, A = nzcv, Imm = imm5.</summary>
        CondCompare,

        // Conditional select: B = cond
        Csel64, Csel32, Csinc64, Csinc32, Csinv64, Csinv32, Csneg64, Csneg32,

        // Data processing (1 source)
        Rbit64, Rbit32, Rev16_64, Rev16_32, Rev32_64, Rev64, Rev32, Clz64, Clz32, Cls64, Cls32,

        // Data processing (2 source)
        Udiv64, Udiv32, Sdiv64, Sdiv32, Lslv64, Lslv32, Lsrv64, Lsrv32, Asrv64, Asrv32, Rorv64, Rorv32,
        /// <summary>CRC32*/CRC32C*: Size = bytes, A = 1 for the Castagnoli polynomial.</summary>
        Crc32,

        // Data processing (3 source)
        Madd64, Madd32, Msub64, Msub32, Mul64, Mul32, Smaddl, Smsubl, Umaddl, Umsubl, Smulh, Umulh,

        // Branches: Imm = offset from this instruction
        B, Bl, BCond, Cbz64, Cbz32, Cbnz64, Cbnz32, Tbz, Tbnz, Br, Blr, Ret, Eret,

        // Exception generation and system: Imm = imm16 or the system-register encoding, Rd = Rt (raw)
        Svc, Hvc, Smc, Brk, Msr, Mrs, MsrImm, Sys, Wfi, Wfe, Sev, Sevl, Clrex,

        // Loads and stores (general-purpose registers). Size = bytes, B = extension (Decoder.Ext*),
        // C = addressing mode (Decoder.Mode*), D = AccessFlags, Imm = offset.
        /// <summary>LDR Xt, [Xn, #imm] (unsigned offset, or unscaled).</summary>
        LdrX,
        /// <summary>LDR Wt, LDRH, LDRB (zero-extending) at [Xn, #imm].</summary>
        LdrW, LdrH, LdrB,
        StrX, StrW, StrH, StrB,
        /// <summary>Any single-register load with an immediate offset (pre/post-index, sign-extending, unprivileged).</summary>
        LdImm,
        StImm,
        /// <summary>Register offset: A = option (extend), D = shift.</summary>
        LdReg, StReg,
        LdLit,
        /// <summary>Pairs: B = 1 for LDPSW.</summary>
        Ldp, Stp,
        Ldxr, Stxr, Ldxp, Stxp, Ldar, Stlr,

        /// <summary>The SIMD&amp;FP data-processing space (op0 = x111): handed to <see cref="Cpu.ExecuteSimdFp"/>.</summary>
        SimdFp,

        // SIMD&FP register loads and stores: Rd = Vt, Rm = Vt2, Size = bytes (1..16)
        FpLdImm, FpStImm, FpLdReg, FpStReg, FpLdLit, FpLdp, FpStp,

        // AdvSIMD structure loads and stores: Rd = Vt, Rn = base, Rm = post-index register (31 = by
        // the transfer size), Size = log2(element bytes), C = 1 for post-index, D = Q.
        /// <summary>LD1-LD4 / ST1-ST4 (multiple structures): A = register repeats, B = elements per structure.</summary>
        SimdLdMulti, SimdStMulti,
        /// <summary>LD1-LD4 / ST1-ST4 (single structure): A = lane index, B = registers.</summary>
        SimdLdSingle, SimdStSingle,
        /// <summary>LD1R-LD4R: B = registers.</summary>
        SimdLdReplicate,

        // Fast forms of common generic encodings (split out of the generic values above because
        // Linux runs them often enough that the helper call showed in boot profiles).
        /// <summary>ADD Xd, Xn, Xm, LSR/ASR #A (64-bit, no flags).</summary>
        AddLsr64, AddAsr64,
        /// <summary>ADD Xd|SP, Xn|SP, Rm, extend #A (64-bit, no flags): B = option.</summary>
        AddExt64,
        /// <summary>Zero-extending load / store with a register offset Xm, LSL #D (option UXTX/LSL or SXTX).</summary>
        LdRegLsl, StRegLsl,
        /// <summary>LDP/STP of two X registers (any addressing mode): C = mode.</summary>
        LdpX, StpX,
    }
}
