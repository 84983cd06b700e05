namespace Capvisor.Firmware.Rmm
{
    /// <summary>Realm IPA state of a protected IPA (<c>RmiRipas</c>).</summary>
    public enum Ripas : byte
    {
        /// <summary>Unused by the realm; an access is a synchronous external abort.</summary>
        Empty = 0,

        /// <summary>Realm code or data.</summary>
        Ram = 1,

        /// <summary>The host destroyed the contents; inaccessible until the realm changes it.</summary>
        Destroyed = 2,
    }
}
