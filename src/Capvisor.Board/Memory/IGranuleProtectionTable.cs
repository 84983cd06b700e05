using Capvisor.Arm;

namespace Capvisor.Board.Memory
{
    /// <summary>
    /// The granule protection check (Arm RME): whether an access from a security state may use
    /// a 4 KiB granule of RAM. Installed on <see cref="PhysicalAddressSpace"/>; without one every
    /// granule is accessible from every state, as on a board without RME.
    /// </summary>
    public interface IGranuleProtectionTable
    {
        /// <summary>The fault an access from <paramref name="state"/> to the granule of <paramref name="pa"/> takes, or <see cref="PhysicalFault.None"/>.</summary>
        PhysicalFault Check(ulong pa, SecurityState state);
    }
}
