namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// An intermediate translation table. The VSpace keeps its mappings itself, so a page table
    /// here only accounts for the memory a real stage-2 table would occupy.
    /// </summary>
    public sealed class PageTableObject : KernelObject
    {
        internal PageTableObject(ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.PageTable, 12, physicalAddress, pas, source, 0)
        {
        }
    }
}
