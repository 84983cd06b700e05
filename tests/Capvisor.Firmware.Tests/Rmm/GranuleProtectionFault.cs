namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>What the fake GPT raises when the host touches a granule that is not Non-secure.</summary>
    public sealed class GranuleProtectionFault : Exception
    {
        public GranuleProtectionFault(ulong pa)
            : base($"Granule protection fault at 0x{pa:x}")
        {
            Address = pa;
        }

        public ulong Address { get; }
    }
}
