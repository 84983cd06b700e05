namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// Stage-2 TLB maintenance the RMM performs after it changes a live RTT entry (what TF-RMM does
    /// with TLBI IPAS2E1IS + VMALLE1IS for the realm's VMID). The CPU integration implements it
    /// against its software TLB; without one nothing is cached, so nothing needs invalidating.
    /// </summary>
    public interface IStage2Invalidator
    {
        /// <summary>Invalidates cached stage-2 translations of <paramref name="vmid"/> for IPAs in [<paramref name="ipa"/>, <paramref name="ipa"/> + <paramref name="size"/>).</summary>
        void InvalidateIpaRange(ushort vmid, ulong ipa, ulong size);
    }
}
