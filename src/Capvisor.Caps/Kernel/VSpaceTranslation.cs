namespace Capvisor.Caps.Kernel
{
    /// <summary>The result of translating an IPA through a VSpace.</summary>
    /// <param name="PhysicalAddress">The physical address the IPA maps to.</param>
    /// <param name="AddressSpace">The physical address space of that memory.</param>
    /// <param name="Rights">The rights of the mapping.</param>
    /// <param name="Object">The frame or device region that backs the IPA.</param>
    public readonly record struct VSpaceTranslation(ulong PhysicalAddress, PhysicalAddressSpace AddressSpace, CapRights Rights, KernelObject Object);
}
