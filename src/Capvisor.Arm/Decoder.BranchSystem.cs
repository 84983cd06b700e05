namespace Capvisor.Arm
{
    internal static partial class Decoder
    {
        private static void DecodeBranchSystem(uint raw, ref DecodedInst d)
        {
            uint op0 = raw >> 29;
            switch (op0)
            {
                case 0b000:
                case 0b100:
                    // B / BL
                    d.Op = op0 == 0 ? Op.B : Op.Bl;
                    d.Imm = SignExtend((ulong)(raw & 0x3FFFFFF) << 2, 28);
                    return;

                case 0b001:
                case 0b101:
                {
                    uint rt = raw & 31;
                    if (((raw >> 25) & 1) == 0)
                    {
                        // CBZ / CBNZ
                        bool nz = ((raw >> 24) & 1) != 0, sf = op0 == 0b101;
                        d.Op = (nz, sf) switch
                        {
                            (false, true) => Op.Cbz64,
                            (false, false) => Op.Cbz32,
                            (true, true) => Op.Cbnz64,
                            _ => Op.Cbnz32,
                        };
                        d.Rd = Rs(rt);
                        d.Imm = SignExtend((ulong)((raw >> 5) & 0x7FFFF) << 2, 21);
                        return;
                    }

                    // TBZ / TBNZ
                    d.Op = ((raw >> 24) & 1) != 0 ? Op.Tbnz : Op.Tbz;
                    d.Rd = Rs(rt);
                    d.A = (byte)(((raw >> 31) << 5) | ((raw >> 19) & 31));
                    d.Imm = SignExtend((ulong)((raw >> 5) & 0x3FFF) << 2, 16);
                    return;
                }

                case 0b010:
                    // B.cond (bit 24 and bit 4 set are other or later instructions)
                    if (((raw >> 24) & 3) != 0 || ((raw >> 4) & 1) != 0)
                    {
                        return;
                    }

                    d.Op = Op.BCond;
                    d.B = (byte)(raw & 15);
                    d.Imm = SignExtend((ulong)((raw >> 5) & 0x7FFFF) << 2, 21);
                    return;

                case 0b110:
                    if (((raw >> 25) & 1) != 0)
                    {
                        DecodeBranchRegister(raw, ref d);
                    }
                    else if (((raw >> 24) & 1) == 0)
                    {
                        DecodeExceptionGeneration(raw, ref d);
                    }
                    else if (((raw >> 22) & 3) == 0)
                    {
                        DecodeSystem(raw, ref d);
                    }

                    return;

                default:
                    return;
            }
        }

        private static void DecodeBranchRegister(uint raw, ref DecodedInst d)
        {
            uint opc = (raw >> 21) & 15, op2 = (raw >> 16) & 31, op3 = (raw >> 10) & 63, rn = (raw >> 5) & 31, op4 = raw & 31;
            if (op2 != 31 || op3 != 0 || op4 != 0)
            {
                return;
            }

            d.Rn = Rs(rn);
            switch (opc)
            {
                case 0: d.Op = Op.Br; return;
                case 1: d.Op = Op.Blr; return;
                case 2: d.Op = Op.Ret; return;
                case 4:
                    if (rn == 31)
                    {
                        d.Op = Op.Eret;
                    }

                    return;
                default:
                    return; // DRPS and pointer-authentication branches are not implemented
            }
        }

        private static void DecodeExceptionGeneration(uint raw, ref DecodedInst d)
        {
            uint opc = (raw >> 21) & 7, op2 = (raw >> 2) & 7, ll = raw & 3;
            if (op2 != 0)
            {
                return;
            }

            d.Imm = (raw >> 5) & 0xFFFF;
            d.Op = (opc, ll) switch
            {
                (0, 1) => Op.Svc,
                (0, 2) => Op.Hvc,
                (0, 3) => Op.Smc,
                (1, 0) => Op.Brk,
                _ => Op.Undefined, // HLT, DCPS1-3 (no external debug) and unallocated
            };
        }

        private static void DecodeSystem(uint raw, ref DecodedInst d)
        {
            uint l = (raw >> 21) & 1, op0 = (raw >> 19) & 3, op1 = (raw >> 16) & 7, crn = (raw >> 12) & 15,
                crm = (raw >> 8) & 15, op2 = (raw >> 5) & 7, rt = raw & 31;
            d.Rd = (byte)rt;
            if (op0 == 0)
            {
                if (l != 0 || rt != 31)
                {
                    return;
                }

                switch (crn)
                {
                    case 2:
                        // Hints (op1 = 3): every unallocated hint executes as NOP.
                        if (op1 != 3)
                        {
                            return;
                        }

                        d.Op = (crm, op2) switch
                        {
                            (0, 2) => Op.Wfe,
                            (0, 3) => Op.Wfi,
                            (0, 4) => Op.Sev,
                            (0, 5) => Op.Sevl,
                            _ => Op.Nop,
                        };
                        return;
                    case 3:
                        // Barriers: CLREX, DSB (incl. SSBB/PSSBB), DMB, ISB. SB (op2 = 7) needs
                        // FEAT_SB, which Armv8.0 and QEMU's cortex-a57 lack: UNDEFINED.
                        if (op1 != 3)
                        {
                            return;
                        }

                        d.Op = op2 switch
                        {
                            2 => Op.Clrex,
                            4 or 5 or 6 => Op.Nop,
                            _ => Op.Undefined,
                        };
                        return;
                    case 4:
                        d.Op = Op.MsrImm;
                        d.A = (byte)op1;
                        d.B = (byte)op2;
                        d.C = (byte)crm;
                        return;
                    default:
                        return;
                }
            }

            d.Imm = (raw >> 5) & 0xFFFF;
            if (op0 == 1)
            {
                // SYS; SYSL has no allocated encodings here.
                if (l == 0)
                {
                    d.Op = Op.Sys;
                }

                return;
            }

            d.Op = l == 0 ? Op.Msr : Op.Mrs;
        }
    }
}
