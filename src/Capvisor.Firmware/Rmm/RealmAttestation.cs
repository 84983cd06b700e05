using System.Buffers.Binary;
using System.Security.Cryptography;
using Capvisor.Attestation.Cca;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// The RMM's attestation state for one boot: a fresh P-384 realm attestation key (RAK), and
    /// the platform token signed once with the CPAK, whose challenge is the hash of the RAK
    /// (what TF-RMM obtains from EL3 at boot). Realm tokens are signed with the RAK.
    /// </summary>
    public sealed class RealmAttestation : IDisposable
    {
        private readonly ECDsa _rak;
        private readonly CcaTokenSigner _signer;

        /// <summary>Creates the RAK and signs the platform token with <paramref name="cpak"/>.</summary>
        /// <param name="cpak">The platform attestation key (borrowed, not disposed).</param>
        /// <param name="platform">Platform claims; the challenge is replaced by the RAK hash.</param>
        /// <exception cref="ArgumentException">The key or the claims are not usable (see <see cref="CcaTokenSigner"/>).</exception>
        public RealmAttestation(ECDsa cpak, PlatformClaims platform)
        {
            _rak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            try
            {
                _signer = new CcaTokenSigner(cpak, _rak, platform);
            }
            catch
            {
                _rak.Dispose();
                throw;
            }
        }

        /// <summary>
        /// The attestation of a Capvisor platform: <paramref name="identity"/>'s CPAK, implementation
        /// and instance IDs, lifecycle "secured", software components = <see cref="FirmwareComponents"/>,
        /// and the RMM's feature register 0 as the platform configuration.
        /// </summary>
        public static RealmAttestation ForPlatform(PlatformIdentity identity, RmmFeatures? features = null)
        {
            ArgumentNullException.ThrowIfNull(identity);
            byte[] config = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(config, (features ?? new RmmFeatures()).Register0);
            return new RealmAttestation(identity.Cpak, identity.CreateClaims(FirmwareComponents(), config));
        }

        /// <summary>
        /// What plays the platform firmware on Capvisor, measured honestly: SHA-256 of the
        /// assemblies that implement the RMM and EL3 monitor (Capvisor.Firmware), the CPU
        /// (Capvisor.Arm) and the board (Capvisor.Board), signed by the Capvisor implementation.
        /// </summary>
        public static IReadOnlyList<SoftwareComponent> FirmwareComponents() => LazyComponents.Value;

        private static readonly Lazy<IReadOnlyList<SoftwareComponent>> LazyComponents = new(() => new[]
        {
            Component("RMM", typeof(RealmAttestation)),
            Component("CPU", typeof(Capvisor.Arm.Cpu)),
            Component("BOARD", typeof(Capvisor.Board.VirtMachine)),
        });

        private static SoftwareComponent Component(string type, Type inAssembly)
        {
            var assembly = inAssembly.Assembly;
            byte[] digest;
            string location = assembly.Location;
            if (location.Length > 0 && File.Exists(location))
            {
                digest = SHA256.HashData(File.ReadAllBytes(location));
            }
            else
            {
                // Single-file publish: no file to hash; the module version ID changes with every build.
                digest = SHA256.HashData(assembly.ManifestModule.ModuleVersionId.ToByteArray());
            }

            return new SoftwareComponent
            {
                MeasurementType = type,
                MeasurementValue = digest,
                Version = assembly.GetName().Version?.ToString(),
                SignerId = PlatformIdentity.ImplementationId,
                MeasurementDescription = "sha-256",
            };
        }

        /// <summary>The platform token (COSE_Sign1 signed with the CPAK), the same for every realm token of this boot.</summary>
        public byte[] PlatformToken => _signer.PlatformToken;

        /// <summary>The platform claims as signed.</summary>
        public PlatformClaims Platform => _signer.Platform;

        /// <summary>The RAK public key as claim 44237 carries it (COSE_Key).</summary>
        public byte[] RealmPublicKey => _signer.RealmPublicKey;

        /// <summary>
        /// The CCA token (tag-399 collection) for <paramref name="realm"/> with
        /// <paramref name="challenge"/> (64 bytes): its RPV, RIM, REMs and hash algorithm as they
        /// are now.
        /// </summary>
        public byte[] CreateToken(RealmDescriptor realm, ReadOnlySpan<byte> challenge)
        {
            ArgumentNullException.ThrowIfNull(realm);
            if (challenge.Length != RealmClaims.ChallengeLength)
            {
                throw new ArgumentException("the challenge is 64 bytes", nameof(challenge));
            }

            int size = RealmMeasurement.HashSize(realm.Algorithm);
            Span<ulong> words = stackalloc ulong[8];
            var measurements = new byte[RealmMeasurement.SlotCount][];
            for (int i = 0; i < RealmMeasurement.SlotCount; i++)
            {
                realm.TryRead((ulong)i, words);
                byte[] m = new byte[RealmMeasurement.SlotSize];
                for (int w = 0; w < 8; w++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(m.AsSpan(w * 8), words[w]);
                }

                measurements[i] = m[..size];
            }

            var claims = new RealmClaims
            {
                Challenge = challenge.ToArray(),
                PersonalizationValue = realm.Rpv.ToArray(),
                InitialMeasurement = measurements[0],
                ExtensibleMeasurements = measurements[1..],
                HashAlgorithm = realm.Algorithm == MeasurementAlgorithm.Sha256 ? "sha-256" : "sha-512",
            };
            return _signer.CreateToken(claims);
        }

        /// <summary>Destroys the RAK.</summary>
        public void Dispose() => _rak.Dispose();
    }
}
