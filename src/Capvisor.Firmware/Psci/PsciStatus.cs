namespace Capvisor.Firmware.Psci
{
    /// <summary>PSCI return codes (signed, returned in x0).</summary>
    public static class PsciStatus
    {
        public const int Success = 0;
        public const int NotSupported = -1;
        public const int InvalidParameters = -2;
        public const int Denied = -3;
        public const int AlreadyOn = -4;
        public const int OnPending = -5;
        public const int InternalFailure = -6;
        public const int NotPresent = -7;
        public const int Disabled = -8;
        public const int InvalidAddress = -9;
    }
}
