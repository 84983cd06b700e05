namespace Capvisor.Firmware.Rmm
{
    /// <summary>Hash algorithm of a realm's measurements (<c>RmiHashAlgorithm</c>), chosen at REALM_CREATE.</summary>
    public enum MeasurementAlgorithm : byte
    {
        /// <summary>SHA-256: 32-byte measurements, zero-padded to the 64-byte slot.</summary>
        Sha256 = 0,

        /// <summary>SHA-512: 64-byte measurements.</summary>
        Sha512 = 1,
    }
}
