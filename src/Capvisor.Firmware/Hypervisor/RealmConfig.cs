using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>What the host asks REALM_CREATE for (the measured RmiRealmParams fields plus the RPV).</summary>
    public sealed record RealmConfig
    {
        /// <summary>IPA width (s2sz); the top bit selects the unprotected half.</summary>
        public int IpaBits { get; init; } = 33;

        /// <summary>Measurement hash algorithm.</summary>
        public MeasurementAlgorithm Algorithm { get; init; } = MeasurementAlgorithm.Sha256;

        /// <summary>Realm Personalization Value (at most 64 bytes; zero-padded).</summary>
        public byte[] Rpv { get; init; } = new byte[RealmParams.RpvSize];

        /// <summary>
        /// Breakpoints, ID_AA64DFR0_EL1.BRPs encoding (count − 1), as KVM copies it from the vCPU:
        /// 5 = the six breakpoints of the Cortex-A57 the board presents.
        /// </summary>
        public uint NumBps { get; init; } = 5;

        /// <summary>Watchpoints, ID_AA64DFR0_EL1.WRPs encoding: 3 = the A57's four.</summary>
        public uint NumWps { get; init; } = 3;

        /// <summary>
        /// The IPA width kvmtool-cca would pick for RAM ending at <paramref name="ramEnd"/>: enough
        /// bits for RAM (at least 32), plus one for the unprotected alias.
        /// </summary>
        public static int IpaBitsFor(ulong ramEnd)
        {
            int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(ramEnd - 1);
            return Math.Max(32, bits) + 1;
        }
    }
}
