namespace Capvisor.Firmware.Rmm
{
    /// <summary>Lifecycle of a realm (TF-RMM <c>runtime/include/realm.h</c>).</summary>
    public enum RealmState : byte
    {
        /// <summary>Created, being populated; its RECs cannot run.</summary>
        New = 0,

        /// <summary>Activated; contents measured, RECs may run.</summary>
        Active = 1,

        /// <summary>The realm called PSCI SYSTEM_OFF or SYSTEM_RESET; no REC runs again.</summary>
        SystemOff = 2,
    }
}
