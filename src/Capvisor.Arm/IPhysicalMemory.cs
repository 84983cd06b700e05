namespace Capvisor.Arm
{
    /// <summary>
    /// The physical address space as the CPU sees it. The board implements it; the CPU calls it
    /// only on a TLB miss (<see cref="GetRamPage"/>) or for device accesses.
    /// </summary>
    public unsafe interface IPhysicalMemory
    {
        /// <summary>
        /// Returns the host address of the 4 KiB RAM granule that holds <paramref name="pa"/>
        /// when an access from <paramref name="state"/> may use it directly, or null when the
        /// address is not RAM (then <see cref="Read"/>/<see cref="Write"/> are used) or the
        /// granule protection check fails (<paramref name="fault"/> says which).
        /// </summary>
        byte* GetRamPage(ulong pa, SecurityState state, out PhysicalFault fault);

        /// <summary>Reads 1, 2, 4 or 8 bytes at <paramref name="pa"/> from a device.</summary>
        /// <returns><see cref="PhysicalFault.None"/> or the fault the access takes.</returns>
        PhysicalFault Read(Cpu cpu, ulong pa, int size, SecurityState state, out ulong value);

        /// <summary>Writes 1, 2, 4 or 8 bytes at <paramref name="pa"/> to a device.</summary>
        PhysicalFault Write(Cpu cpu, ulong pa, int size, SecurityState state, ulong value);
    }
}
