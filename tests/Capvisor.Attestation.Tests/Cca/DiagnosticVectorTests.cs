using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Cca
{
    /// <summary>
    /// The .diag vectors, compiled by cross_impl.py: where upstream keeps compiled bytes they must
    /// match (which checks the compiler), and the two examples nobody compiles upstream must
    /// give valid claims (checked here: realistic FVP-style claim sets).
    /// </summary>
    public class DiagnosticVectorTests
    {
        public static TheoryData<string, string> Compiled => new()
        {
            { "ccatoken/platform/testvectors/cbor/CcaPlatformClaimsAll.diag", "ccatoken/extracted/platform/testEncodedCcaPlatformClaimsAll.hex" },
            { "ccatoken/platform/testvectors/cbor/CcaPlatformClaimsInvalidMultiNonce.diag", "ccatoken/extracted/platform/testEncodedCcaPlatformClaimsInvalidMultiNonce.hex" },
            { "ccatoken/platform/testvectors/cbor/CcaPlatformLegacyClaimsAll.diag", "ccatoken/extracted/platform/testEncodedCcaPlatformLegacyClaimsAll.hex" },
            { "ccatoken/realm/testvectors/cbor/CcaRealmClaimsAll.diag", "ccatoken/extracted/realm/testEncodedCcaRealmClaimsAll.hex" },
            { "ccatoken/realm/testvectors/cbor/CcaClaimsMissingMandPubKey.diag", "ccatoken/extracted/realm/testEncodedCcaClaimsMissingMandPubKey.hex" },
            { "rust-ccatoken/testdata/cca-token-01.diag", "rust-ccatoken/testdata/cca-token-01.cbor" },
            { "rust-ccatoken/testdata/realm-claims+spurious-text-key.diag", "rust-ccatoken/testdata/realm-claims+spurious-text-key.cbor" },
        };

        [Theory]
        [MemberData(nameof(Compiled))]
        public void CompilerReproducesUpstreamBytes(string diag, string reference)
        {
            Assert.Equal(Convert.ToHexStringLower(Fixture.Bytes(reference)), Compile(diag));
        }

        [Fact]
        public void PlatformExampleIsValid()
        {
            var claims = PlatformClaims.Decode(Convert.FromHexString(Compile("ccatoken/platform/testvectors/cbor/CcaPlatformExample.diag")));
            Assert.Null(claims.Validate());
            Assert.Equal(13, claims.SoftwareComponents!.Count);
            Assert.Equal(12291, claims.Lifecycle);
            Assert.Equal("SOC_FW_CONFIG", claims.SoftwareComponents[^1].MeasurementType);
        }

        [Fact]
        public void RealmExampleIsValid()
        {
            var claims = RealmClaims.Decode(Convert.FromHexString(Compile("ccatoken/realm/testvectors/cbor/CcaRealmExample.diag")));
            Assert.Null(claims.Validate());
            Assert.Equal(107, claims.PublicKey!.Length);
            Assert.Equal(Fixture.Bytes("ccatoken/extracted/keys/TestAltRAKPubCOSE.hex"), claims.PublicKey);
        }

        private static string Compile(string diag)
        {
            var (code, output) = Python.Run("diag", Fixture.PathOf(diag));
            Assert.True(code == 0, output);
            return output.Trim();
        }
    }
}
