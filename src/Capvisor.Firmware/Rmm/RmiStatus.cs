namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// RMI command status, the low byte of X0 (RMM 1.0 <c>RmiStatusCode</c>; TF-RMM
    /// <c>lib/smc/include/smc-rmi.h</c>). The byte above it carries an index, e.g. the RTT level
    /// at which a walk stopped for <see cref="ErrorRtt"/>.
    /// </summary>
    public enum RmiStatus : byte
    {
        /// <summary>The command completed.</summary>
        Success = 0,

        /// <summary>An argument is malformed, misaligned, out of range or names a granule in the wrong state.</summary>
        ErrorInput = 1,

        /// <summary>The realm is in the wrong state or still in use.</summary>
        ErrorRealm = 2,

        /// <summary>The REC is in the wrong state or in use.</summary>
        ErrorRec = 3,

        /// <summary>The RTT walk did not reach the required level or found an entry in the wrong state.</summary>
        ErrorRtt = 4,
    }
}
