using System.Security.Cryptography;
using Capvisor.Attestation.Cca;

namespace Capvisor.Attestation.Tests.Infrastructure
{
    /// <summary>Claims and tokens made with this library's signer, for round-trip tests.</summary>
    internal static class TestTokens
    {
        public static PlatformClaims Platform() => new()
        {
            Profile = CcaProfiles.Platform,
            ImplementationId = SHA256.HashData("implementation"u8),
            InstanceId = [0x01, .. SHA256.HashData("instance"u8)],
            Config = [0xcf, 0xcf],
            Lifecycle = PlatformLifecycle.Secured,
            SoftwareComponents =
            [
                new SoftwareComponent
                {
                    MeasurementType = "RMM",
                    MeasurementValue = SHA256.HashData("rmm"u8),
                    Version = "1.0",
                    SignerId = SHA256.HashData("signer"u8),
                    MeasurementDescription = "sha-256",
                },
            ],
            HashAlgorithm = "sha-256",
        };

        public static RealmClaims Realm(byte[]? challenge = null) => new()
        {
            Challenge = challenge ?? Enumerable.Range(0, 64).Select(i => (byte)i).ToArray(),
            PersonalizationValue = new byte[64],
            InitialMeasurement = SHA256.HashData("rim"u8),
            ExtensibleMeasurements = [new byte[32], new byte[32], new byte[32], new byte[32]],
            HashAlgorithm = "sha-256",
        };

        /// <summary>A valid token with fresh P-384 keys; the CPAK is returned for verifying.</summary>
        public static byte[] Create(out ECDsa cpak)
        {
            cpak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            using var rak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            return new CcaTokenSigner(cpak, rak, Platform()).CreateToken(Realm());
        }
    }
}
