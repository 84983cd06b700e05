namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// The RMM's narrow view of physical memory: which addresses are RAM granules, their contents
    /// and their physical address space, and the EL3 monitor's granule protection table (GPT)
    /// transitions between Non-secure and Realm. The board implements it over its RAM and GPT;
    /// tests use an in-memory fake.
    /// </summary>
    public interface IPhysicalGranules
    {
        /// <summary>Whether the 4 KiB-aligned <paramref name="pa"/> is the base of a granule of RAM (not MMIO, not a hole).</summary>
        bool IsRam(ulong pa);

        /// <summary>The current physical address space of the granule at <paramref name="pa"/> (RAM only).</summary>
        GranulePas GetPas(ulong pa);

        /// <summary>
        /// The 4096 bytes of the granule at <paramref name="pa"/> (RAM only), as the RMM running in
        /// the Realm state sees them. Only the RMM calls this; it never hands the span out.
        /// </summary>
        Span<byte> GetGranule(ulong pa);

        /// <summary>
        /// Asks the EL3 monitor to move the granule at <paramref name="pa"/> from <paramref name="from"/>
        /// to <paramref name="to"/> in the GPT (only NonSecure ↔ Realm is requested). Returns false
        /// when EL3 refuses, e.g. because the granule is not in <paramref name="from"/>.
        /// </summary>
        bool TransitionPas(ulong pa, GranulePas from, GranulePas to);
    }
}
