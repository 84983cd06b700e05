namespace Capvisor.Attestation.Cca
{
    /// <summary>CBOR labels of the CCA collection and its claims (RMM 1.0 §A7, PSA token, EAT).</summary>
    public static class CcaClaimKeys
    {
        /// <summary>Collection tag emitted by TF-RMM 1.0 and the only one rust-ccatoken accepts.</summary>
        public const ulong CollectionTag = 399;

        /// <summary>CMW collection tag used by newer TF-RMM and Go ccatoken's signer.</summary>
        public const ulong CmwCollectionTag = 907;

        /// <summary>CoAP content format of an EAT CWT, the type of each entry in a tag-907 collection.</summary>
        public const long CmwContentFormat = 263;

        /// <summary>Collection entry holding the platform token.</summary>
        public const long PlatformToken = 44234;

        /// <summary>Collection entry holding the realm token.</summary>
        public const long RealmToken = 44241;

        /// <summary>EAT profile (both tokens).</summary>
        public const long Profile = 265;

        /// <summary>EAT nonce: the challenge (both tokens).</summary>
        public const long Challenge = 10;

        /// <summary>Platform implementation ID.</summary>
        public const long ImplementationId = 2396;

        /// <summary>Platform instance ID (EAT UEID).</summary>
        public const long InstanceId = 256;

        /// <summary>Platform configuration.</summary>
        public const long Config = 2401;

        /// <summary>Platform security lifecycle.</summary>
        public const long Lifecycle = 2395;

        /// <summary>Platform software components.</summary>
        public const long SoftwareComponents = 2399;

        /// <summary>Platform verification service indicator.</summary>
        public const long VerificationService = 2400;

        /// <summary>Platform hash algorithm.</summary>
        public const long PlatformHashAlgorithm = 2402;

        /// <summary>Realm personalization value (RPV).</summary>
        public const long PersonalizationValue = 44235;

        /// <summary>Realm measurement hash algorithm.</summary>
        public const long RealmHashAlgorithm = 44236;

        /// <summary>Realm attestation key (RAK).</summary>
        public const long RealmPublicKey = 44237;

        /// <summary>Realm initial measurement (RIM).</summary>
        public const long InitialMeasurement = 44238;

        /// <summary>Realm extensible measurements (REMs).</summary>
        public const long ExtensibleMeasurements = 44239;

        /// <summary>Hash algorithm of the RAK hash that binds the platform token.</summary>
        public const long RealmPublicKeyHashAlgorithm = 44240;
    }
}
