using System.Security.Cryptography;
using Capvisor.Attestation.Cca;

namespace Capvisor.Attestation.Tests.Cca
{
    public sealed class PlatformIdentityTests : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("capvisor-identity-").FullName;

        public void Dispose() => Directory.Delete(_root, recursive: true);

        [Fact]
        public void ConcurrentCreatorsAgreeOnOneKey()
        {
            var dir = Path.Combine(_root, "state");
            var results = new (bool Created, byte[] Spki)[16];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                using var identity = PlatformIdentity.LoadOrCreate(dir, out var created);
                results[i] = (created, identity.Cpak.ExportSubjectPublicKeyInfo());
            });

            Assert.Single(results, r => r.Created);
            Assert.All(results, r => Assert.Equal(results[0].Spki, r.Spki));
            Assert.Equal([PlatformIdentity.KeyFileName], Directory.GetFiles(dir).Select(Path.GetFileName));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, PlatformIdentity.KeyFileName)));
            }
        }

        [Fact]
        public void IdentityFollowsTheKey()
        {
            var dir = Path.Combine(_root, "ids");
            using var identity = PlatformIdentity.LoadOrCreate(dir, out _);
            var q = identity.Cpak.ExportParameters(false).Q;
            Assert.Equal([0x01, .. SHA256.HashData([0x04, .. q.X!, .. q.Y!])], identity.InstanceId);
            Assert.Equal(384, identity.Cpak.KeySize);

            using var again = PlatformIdentity.Load(dir);
            Assert.Equal(identity.InstanceId, again.InstanceId);

            var claims = identity.CreateClaims([new SoftwareComponent { MeasurementValue = new byte[32], SignerId = new byte[32] }], []);
            Assert.Null((claims with { Challenge = new byte[32] }).Validate());
            Assert.Equal(CcaProfiles.Platform, claims.Profile);
        }

        [Fact]
        public void RefusesAPublicOrForeignKey()
        {
            var dir = Path.Combine(_root, "public");
            Directory.CreateDirectory(dir);
            using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            File.WriteAllText(Path.Combine(dir, PlatformIdentity.KeyFileName), p384.ExportSubjectPublicKeyInfoPem());
            Assert.Throws<AttestationFormatException>(() => PlatformIdentity.Load(dir));
            using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(Path.Combine(dir, PlatformIdentity.KeyFileName), p256.ExportPkcs8PrivateKeyPem());
            Assert.Throws<AttestationFormatException>(() => PlatformIdentity.Load(dir));
        }
    }
}
