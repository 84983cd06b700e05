namespace Capvisor.Arm
{
    /// <summary>
    /// System register encodings packed as op0:op1:CRn:CRm:op2 (16 bits), which is bits [20:5] of
    /// an MRS/MSR instruction.
    /// </summary>
    public static class SysReg
    {
        /// <summary>Packs a system register or system instruction encoding.</summary>
        public static uint Encode(uint op0, uint op1, uint crn, uint crm, uint op2) =>
            (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;

        /// <summary>Field op0 of a packed encoding.</summary>
        public static uint Op0(uint e) => e >> 14;
        /// <summary>Field op1 of a packed encoding.</summary>
        public static uint Op1(uint e) => (e >> 11) & 7;
        /// <summary>Field CRn of a packed encoding.</summary>
        public static uint CRn(uint e) => (e >> 7) & 15;
        /// <summary>Field CRm of a packed encoding.</summary>
        public static uint CRm(uint e) => (e >> 3) & 15;
        /// <summary>Field op2 of a packed encoding.</summary>
        public static uint Op2(uint e) => e & 7;

        public const uint MIDR_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (0 << 3) | 0;
        public const uint MPIDR_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (0 << 3) | 5;
        public const uint REVIDR_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (0 << 3) | 6;
        public const uint ID_AA64PFR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (4 << 3) | 0;
        public const uint ID_AA64DFR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (5 << 3) | 0;
        public const uint ID_AA64ISAR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (6 << 3) | 0;
        public const uint ID_AA64MMFR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (7 << 3) | 0;
        public const uint CCSIDR_EL1 = (3 << 14) | (1 << 11) | (0 << 7) | (0 << 3) | 0;
        public const uint CLIDR_EL1 = (3 << 14) | (1 << 11) | (0 << 7) | (0 << 3) | 1;
        public const uint AIDR_EL1 = (3 << 14) | (1 << 11) | (0 << 7) | (0 << 3) | 7;
        public const uint CSSELR_EL1 = (3 << 14) | (2 << 11) | (0 << 7) | (0 << 3) | 0;
        public const uint CTR_EL0 = (3 << 14) | (3 << 11) | (0 << 7) | (0 << 3) | 1;
        public const uint DCZID_EL0 = (3 << 14) | (3 << 11) | (0 << 7) | (0 << 3) | 7;
        public const uint SCTLR_EL1 = (3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 0;
        public const uint ACTLR_EL1 = (3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 1;
        public const uint CPACR_EL1 = (3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 2;
        public const uint TTBR0_EL1 = (3 << 14) | (0 << 11) | (2 << 7) | (0 << 3) | 0;
        public const uint TTBR1_EL1 = (3 << 14) | (0 << 11) | (2 << 7) | (0 << 3) | 1;
        public const uint TCR_EL1 = (3 << 14) | (0 << 11) | (2 << 7) | (0 << 3) | 2;
        public const uint SPSR_EL1 = (3 << 14) | (0 << 11) | (4 << 7) | (0 << 3) | 0;
        public const uint ELR_EL1 = (3 << 14) | (0 << 11) | (4 << 7) | (0 << 3) | 1;
        public const uint SP_EL0 = (3 << 14) | (0 << 11) | (4 << 7) | (1 << 3) | 0;
        public const uint SPSel = (3 << 14) | (0 << 11) | (4 << 7) | (2 << 3) | 0;
        public const uint CurrentEL = (3 << 14) | (0 << 11) | (4 << 7) | (2 << 3) | 2;
        public const uint NZCV = (3 << 14) | (3 << 11) | (4 << 7) | (2 << 3) | 0;
        public const uint DAIF = (3 << 14) | (3 << 11) | (4 << 7) | (2 << 3) | 1;
        public const uint FPCR = (3 << 14) | (3 << 11) | (4 << 7) | (4 << 3) | 0;
        public const uint FPSR = (3 << 14) | (3 << 11) | (4 << 7) | (4 << 3) | 1;
        public const uint SP_EL1 = (3 << 14) | (4 << 11) | (4 << 7) | (1 << 3) | 0;
        public const uint AFSR0_EL1 = (3 << 14) | (0 << 11) | (5 << 7) | (1 << 3) | 0;
        public const uint AFSR1_EL1 = (3 << 14) | (0 << 11) | (5 << 7) | (1 << 3) | 1;
        public const uint ESR_EL1 = (3 << 14) | (0 << 11) | (5 << 7) | (2 << 3) | 0;
        public const uint FAR_EL1 = (3 << 14) | (0 << 11) | (6 << 7) | (0 << 3) | 0;
        public const uint PAR_EL1 = (3 << 14) | (0 << 11) | (7 << 7) | (4 << 3) | 0;
        public const uint MAIR_EL1 = (3 << 14) | (0 << 11) | (10 << 7) | (2 << 3) | 0;
        public const uint AMAIR_EL1 = (3 << 14) | (0 << 11) | (10 << 7) | (3 << 3) | 0;
        public const uint VBAR_EL1 = (3 << 14) | (0 << 11) | (12 << 7) | (0 << 3) | 0;
        public const uint ISR_EL1 = (3 << 14) | (0 << 11) | (12 << 7) | (1 << 3) | 0;
        public const uint CONTEXTIDR_EL1 = (3 << 14) | (0 << 11) | (13 << 7) | (0 << 3) | 1;
        public const uint TPIDR_EL1 = (3 << 14) | (0 << 11) | (13 << 7) | (0 << 3) | 4;
        public const uint TPIDR_EL0 = (3 << 14) | (3 << 11) | (13 << 7) | (0 << 3) | 2;
        public const uint TPIDRRO_EL0 = (3 << 14) | (3 << 11) | (13 << 7) | (0 << 3) | 3;
        public const uint CNTKCTL_EL1 = (3 << 14) | (0 << 11) | (14 << 7) | (1 << 3) | 0;
        public const uint MDSCR_EL1 = (2 << 14) | (0 << 11) | (0 << 7) | (2 << 3) | 2;
        public const uint OSLAR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 4;
        public const uint OSLSR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (1 << 3) | 4;
        public const uint OSDLR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (3 << 3) | 4;
    }
}
