namespace Capvisor.Caps.Kernel
{
    /// <summary>Where a frame (or device region) capability is mapped: the VSpace, the IPA and the effective rights.</summary>
    /// <param name="VSpace">The stage-2 address space.</param>
    /// <param name="Ipa">The intermediate physical address of the first byte.</param>
    /// <param name="Rights">The rights of the mapping (the capability's rights masked by the request).</param>
    public sealed record FrameMapping(VSpaceObject VSpace, ulong Ipa, CapRights Rights);
}
