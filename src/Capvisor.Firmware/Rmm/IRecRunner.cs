namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// Runs a REC on the CPU for RMI_REC_ENTER, after the RMM has validated the command: completes
    /// what the previous exit left pending (MMIO emulation, SEA injection, RIPAS response, host
    /// call results), runs the realm until it must exit to the host, and fills the exit record.
    /// The CPU integration implements it.
    /// </summary>
    public interface IRecRunner
    {
        /// <summary>
        /// Runs <paramref name="rec"/> of <paramref name="realm"/>. <paramref name="enter"/> is the
        /// RMM's private copy of RmiRecEntry (0x800 bytes, never Non-secure memory);
        /// <paramref name="exit"/> is the zeroed RmiRecExit (0x800 bytes) the RMM copies back to the
        /// host's RecRun on success. Returns <see cref="RmiStatus.Success"/> or the RMI return code
        /// (e.g. <see cref="RmiStatus.ErrorRec"/> for entry flags that do not match the last exit).
        /// </summary>
        ulong Run(RealmDescriptor realm, Rec rec, ReadOnlySpan<byte> enter, Span<byte> exit);
    }
}
