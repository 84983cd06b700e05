namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// Offsets in RmiRecRun, the 4096-byte Non-secure granule of REC_ENTER (TF-RMM
    /// <c>lib/smc/include/smc-rmi.h</c> <c>struct rmi_rec_enter</c>/<c>rmi_rec_exit</c>).
    /// </summary>
    public static class RecRunLayout
    {
        public const int Size = 4096;
        public const int EnterSize = 0x800;
        public const int ExitOffset = 0x800;
        public const int ExitSize = 0x800;

        // Entry (relative to the start of RecRun).
        public const int EnterFlags = 0x000;
        public const int EnterGprs = 0x200;
        public const int EnterGicv3Hcr = 0x300;
        public const int EnterGicv3Lrs = 0x308;

        public const ulong EnterFlagEmulMmio = 1UL << 0;
        public const ulong EnterFlagInjectSea = 1UL << 1;
        public const ulong EnterFlagTrapWfi = 1UL << 2;
        public const ulong EnterFlagTrapWfe = 1UL << 3;
        public const ulong EnterFlagRipasResponse = 1UL << 4;

        // Exit (relative to the start of the exit record at ExitOffset).
        public const int ExitReason = 0x000;
        public const int ExitEsr = 0x100;
        public const int ExitFar = 0x108;
        public const int ExitHpfar = 0x110;
        public const int ExitGprs = 0x200;
        public const int ExitGicv3Hcr = 0x300;
        public const int ExitGicv3Lrs = 0x308;
        public const int ExitGicv3Misr = 0x388;
        public const int ExitGicv3Vmcr = 0x390;
        public const int ExitCntpCtl = 0x400;
        public const int ExitCntpCval = 0x408;
        public const int ExitCntvCtl = 0x410;
        public const int ExitCntvCval = 0x418;
        public const int ExitRipasBase = 0x500;
        public const int ExitRipasTop = 0x508;
        public const int ExitRipasValue = 0x510;
        public const int ExitImm = 0x600;
        public const int ExitPmuOvfStatus = 0x700;

        public const ulong ExitSync = 0;
        public const ulong ExitIrq = 1;
        public const ulong ExitFiq = 2;
        public const ulong ExitPsci = 3;
        public const ulong ExitRipasChange = 4;
        public const ulong ExitHostCall = 5;
        public const ulong ExitSerror = 6;
    }
}
