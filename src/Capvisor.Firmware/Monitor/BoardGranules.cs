using Capvisor.Arm;
using Capvisor.Board.Memory;
using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Monitor
{
    /// <summary>
    /// The RMM's <see cref="IPhysicalGranules"/> over the board's RAM and granule protection table:
    /// the RMM reads and writes granules as the Realm state does (Realm and Non-secure granules
    /// only), and its PAS transitions are the EL3 monitor's GPT updates (which flush every CPU's TLB).
    /// </summary>
    public sealed class BoardGranules : IPhysicalGranules
    {
        private readonly RamBlock _ram;
        private readonly GranuleProtectionTable _gpt;

        /// <summary>Creates the adapter over <paramref name="ram"/>, protected by <paramref name="gpt"/>.</summary>
        public BoardGranules(RamBlock ram, GranuleProtectionTable gpt)
        {
            _ram = ram;
            _gpt = gpt;
        }

        /// <inheritdoc/>
        public bool IsRam(ulong pa) =>
            (pa & (GranuleProtectionTable.GranuleSize - 1)) == 0 && _ram.Contains(pa, GranuleProtectionTable.GranuleSize) && _gpt.Covers(pa);

        /// <inheritdoc/>
        public GranulePas GetPas(ulong pa) => ToGranulePas(_gpt.GetPas(pa));

        /// <inheritdoc/>
        public Span<byte> GetGranule(ulong pa) => _ram.GetSpan(pa, (int)GranuleProtectionTable.GranuleSize, SecurityState.Realm);

        /// <inheritdoc/>
        public bool TransitionPas(ulong pa, GranulePas from, GranulePas to) =>
            IsRam(pa) && _gpt.TryTransition(pa, ToSecurityState(from), ToSecurityState(to));

        private static GranulePas ToGranulePas(SecurityState s) => s switch
        {
            SecurityState.NonSecure => GranulePas.NonSecure,
            SecurityState.Secure => GranulePas.Secure,
            SecurityState.Realm => GranulePas.Realm,
            _ => GranulePas.Root,
        };

        private static SecurityState ToSecurityState(GranulePas p) => p switch
        {
            GranulePas.NonSecure => SecurityState.NonSecure,
            GranulePas.Secure => SecurityState.Secure,
            GranulePas.Realm => SecurityState.Realm,
            GranulePas.Root => SecurityState.Root,
            _ => throw new ArgumentOutOfRangeException(nameof(p)),
        };
    }
}
