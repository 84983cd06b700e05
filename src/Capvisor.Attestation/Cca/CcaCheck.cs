namespace Capvisor.Attestation.Cca
{
    /// <summary>The checks of CCA token verification, in the order they run.</summary>
    public enum CcaCheck
    {
        /// <summary>No check failed.</summary>
        None,

        /// <summary>The collection and the two COSE_Sign1 messages are well formed.</summary>
        Format,

        /// <summary>The platform claims decode and follow their profile.</summary>
        PlatformClaims,

        /// <summary>The realm claims decode and follow their profile (including a known profile and a parsable RAK).</summary>
        RealmClaims,

        /// <summary>The platform token is signed by the CPAK.</summary>
        PlatformSignature,

        /// <summary>The realm token is signed by the RAK it carries.</summary>
        RealmSignature,

        /// <summary>The platform challenge is the hash of the RAK claim.</summary>
        Binding,

        /// <summary>The realm challenge is the expected one.</summary>
        Challenge,

        /// <summary>The realm initial measurement is the expected one.</summary>
        InitialMeasurement,

        /// <summary>The realm personalization value is the expected one.</summary>
        PersonalizationValue,
    }
}
