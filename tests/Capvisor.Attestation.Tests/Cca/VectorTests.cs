using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Cca
{
    /// <summary>Every vector of Fixtures/VECTORS.md gives the result stated there.</summary>
    public class VectorTests
    {
        // §1: complete signed tokens. Key: a PEM/JWK file, or "ta:" + a rust trust-anchor store.
        public static TheoryData<string, string, CcaCheck, CcaCollectionForm?> Tokens => new()
        {
            { "ccatoken/realm/testvectors/tf-rmm/cca_token.cbor", "ccatoken/realm/testvectors/tf-rmm/cca_platform.pub", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "ccatoken/realm/testvectors/tf-rmm/cca_token.cbor", "ccatoken/realm/testvectors/tf-rmm/cca_platform.pem", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "ccatoken/extracted/testRMMLegacyEvidence.hex", "ccatoken/extracted/keys/testRMMCPAK.jwk.json", CcaCheck.None, CcaCollectionForm.Tag907 },
            { "ccatoken/extracted/testGoodCCAToken.hex", "ccatoken/extracted/keys/testIAK.jwk.json", CcaCheck.None, CcaCollectionForm.Tag907 },
            { "ccatoken/extracted/testGoodLegacyCCAToken.hex", "ccatoken/extracted/keys/testIAK.jwk.json", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "ccatoken/extracted/testGoodCCAToken.hex", "ccatoken/extracted/keys/testAltIAK.jwk.json", CcaCheck.PlatformSignature, CcaCollectionForm.Tag907 },
            { "ccatoken/extracted/testBadUnwrappedTokens.hex", "ccatoken/extracted/keys/testIAK.jwk.json", CcaCheck.Format, null },
            { "rust-ccatoken/testdata/cca-token-01.cbor", "ta:rust-ccatoken/testdata/ta-tfa.json", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "rust-ccatoken/testdata/cca-token-01.cbor", "ta:rust-ccatoken/testdata/ta.json", CcaCheck.PlatformSignature, CcaCollectionForm.Tag399 },
            { "rust-ccatoken/testdata/cca-token-02.cbor", "ta:rust-ccatoken/testdata/ta-02-ok.json", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "rust-ccatoken/testdata/cca-token-draft-ffm-00.cbor", "ta:rust-ccatoken/testdata/ta-tfa.json", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "rust-ccatoken/testdata/cca-token-draft-ffm-00.cbor", "rust-ccatoken/testdata/cpak.json", CcaCheck.None, CcaCollectionForm.Tag399 },
            { "rust-ccatoken/testdata/bug-33-repro.cbor", "ta:rust-ccatoken/testdata/ta-tfa.json", CcaCheck.Binding, CcaCollectionForm.Tag399 },
        };

        [Theory]
        [MemberData(nameof(Tokens))]
        public void TokenVerifiesAsStated(string token, string key, CcaCheck expected, CcaCollectionForm? form)
        {
            using var cpak = key.StartsWith("ta:", StringComparison.Ordinal) ? Fixture.TrustAnchor(key[3..]) : Fixture.Key(key);
            var result = CcaTokenVerifier.Verify(Fixture.Bytes(token), cpak);
            Assert.True(expected == result.FailedCheck, result.ToString());
            Assert.Equal(form, result.Token?.Form);
        }

        [Fact]
        public void TfRmmTokenHasTheClaimsTheReadmeStates()
        {
            using var cpak = Fixture.Key("ccatoken/realm/testvectors/tf-rmm/cca_platform.pub");
            var result = CcaTokenVerifier.Verify(Fixture.Bytes("ccatoken/realm/testvectors/tf-rmm/cca_token.cbor"), cpak);
            Assert.True(result.IsValid, result.ToString());
            Assert.Equal(CcaProfiles.LegacyPlatform, result.Platform!.Profile);
            Assert.Equal(0x3003, result.Platform.Lifecycle);
            Assert.Equal(32, result.Platform.Challenge!.Length);
            Assert.True(result.Realm!.IsLegacy);
            Assert.Equal(97, result.Realm.PublicKey!.Length);
            Assert.Equal(32, result.Realm.InitialMeasurement!.Length);
            Assert.Equal(4, result.Realm.ExtensibleMeasurements!.Count);
            Assert.Equal(64, result.Realm.Challenge!.Length);
            Assert.Equal(64, result.Realm.PersonalizationValue!.Length);
        }

        [Fact]
        public void GoodCcaTokenUsesTheRmm10ProfilesAndASha512Binding()
        {
            using var cpak = Fixture.Key("ccatoken/extracted/keys/testIAK.jwk.json");
            var result = CcaTokenVerifier.Verify(Fixture.Bytes("ccatoken/extracted/testGoodCCAToken.hex"), cpak);
            Assert.True(result.IsValid, result.ToString());
            Assert.Equal(CcaProfiles.Platform, result.Platform!.Profile);
            Assert.Equal(CcaProfiles.Realm, result.Realm!.Profile);
            Assert.Equal("sha-512", result.Realm.PublicKeyHashAlgorithm);
            Assert.Equal(Fixture.Bytes("ccatoken/extracted/keys/testRAKPubCOSE.hex"), result.Realm.PublicKey);
        }

        [Fact]
        public void RustTrustAnchorAndReferenceValuesMatchToken01()
        {
            // ta-tfa.json locates the CPAK by implementation and instance ID, as a verifier would;
            // rv.json holds the realm reference values of cca-token-01.
            var anchor = System.Text.Json.Nodes.JsonNode.Parse(Fixture.Text("rust-ccatoken/testdata/ta-tfa.json"))![0]!;
            using var cpak = Fixture.TrustAnchor("rust-ccatoken/testdata/ta-tfa.json");
            var rv = System.Text.Json.Nodes.JsonNode.Parse(Fixture.Text("rust-ccatoken/testdata/rv.json"))!["realm"]![0]!;
            var expected = new CcaReferenceValues
            {
                InitialMeasurement = Convert.FromHexString((string)rv["initial-measurement"]!),
                PersonalizationValue = Convert.FromHexString((string)rv["personalization-value"]!),
            };
            var result = CcaTokenVerifier.Verify(Fixture.Bytes("rust-ccatoken/testdata/cca-token-01.cbor"), cpak, expected);
            Assert.True(result.IsValid, result.ToString());
            Assert.Equal((string)anchor["implementation-id"]!, Convert.ToHexStringLower(result.Platform!.ImplementationId!));
            Assert.Equal((string)anchor["instance-id"]!, Convert.ToHexStringLower(result.Platform.InstanceId!));
            Assert.Equal("sha-256", (string)rv["rak-hash-algorithm"]!);
            Assert.All(result.Realm!.ExtensibleMeasurements!, rem => Assert.Equal(rv["extensible-measurements"]![0]!.GetValue<string>(), Convert.ToHexString(rem)));

            var ta = System.Text.Json.Nodes.JsonNode.Parse(Fixture.Text("rust-ccatoken/testdata/ta.json"))![0]!;
            Assert.Equal(((string)ta["implementation-id"]!).ToLowerInvariant(), Convert.ToHexStringLower(Fixture.Bytes("rust-ccatoken/testdata/impl-id.bin")));
            Assert.Equal(((string)ta["instance-id"]!).ToLowerInvariant(), Convert.ToHexStringLower(Fixture.Bytes("rust-ccatoken/testdata/inst-id.bin")));
        }

        [Fact]
        public void BadUnwrappedTokensFailOnTheEntryType()
        {
            using var cpak = Fixture.Key("ccatoken/extracted/keys/testIAK.jwk.json");
            var result = CcaTokenVerifier.Verify(Fixture.Bytes("ccatoken/extracted/testBadUnwrappedTokens.hex"), cpak);
            Assert.Equal(CcaCheck.Format, result.FailedCheck);
            Assert.Contains("not a byte string", result.Reason);
        }

        // §2 platform claims, CBOR: null = valid; otherwise the claim key that must fail.
        public static TheoryData<string, long?> PlatformCbor => new()
        {
            { "ccatoken/extracted/platform/testEncodedCcaPlatformClaimsAll.hex", null },
            { "ccatoken/extracted/platform/testEncodedCcaPlatformClaimsMandatoryOnly.hex", null },
            { "ccatoken/extracted/platform/testEncodedCcaPlatformLegacyClaimsAll.hex", null },
            { "ccatoken/extracted/platform/testEncodedCcaPlatformLegacyClaimsMandatoryOnly.hex", null },
            { "ccatoken/extracted/platform/testEncodedCcaPlatformClaimsInvalidMultiNonce.hex", CcaClaimKeys.Challenge },
            { "ccatoken/extracted/platform/testEncodedCcaPlatformClaimsMissingMandatoryNonce.hex", CcaClaimKeys.Challenge },
            { "rust-ccatoken/testdata/platform-claims.cbor", null },
        };

        [Theory]
        [MemberData(nameof(PlatformCbor))]
        public void PlatformCborClaimsValidateAsStated(string file, long? failingClaim)
        {
            var claims = PlatformClaims.Decode(Fixture.Bytes(file));
            var error = claims.Validate();
            Assert.Equal(failingClaim, error?.Key);
        }

        [Fact]
        public void MultiNonceFailsWithTheNonceCount()
        {
            var claims = PlatformClaims.Decode(Fixture.Bytes("ccatoken/extracted/platform/testEncodedCcaPlatformClaimsInvalidMultiNonce.hex"));
            Assert.Contains("got 2 nonces, want 1", claims.Validate()!.Reason);
            var missing = PlatformClaims.Decode(Fixture.Bytes("ccatoken/extracted/platform/testEncodedCcaPlatformClaimsMissingMandatoryNonce.hex"));
            Assert.Contains("missing mandatory claim", missing.Validate()!.Reason);
        }

        [Theory]
        [InlineData("ccatoken/extracted/platform/testNotCBOR.hex")]
        [InlineData("ccatoken/extracted/realm/testNotCBOR.hex")]
        public void NotCborIsAFormatError(string file)
        {
            Assert.Throws<AttestationFormatException>(() => PlatformClaims.Decode(Fixture.Bytes(file)));
            Assert.Throws<AttestationFormatException>(() => RealmClaims.Decode(Fixture.Bytes(file)));
        }

        // §2 platform claims, JSON: null = valid; otherwise the claim the failure must name.
        [Theory]
        [InlineData("test-token-valid-full.json", null)]
        [InlineData("test-invalid-profile.json", "cca-platform-profile")]
        [InlineData("test-vsi-invalid-empty.json", "cca-platform-service-indicator")]
        [InlineData("test-implementation-id-invalid-long.json", "cca-platform-implementation-id")]
        [InlineData("test-implementation-id-invalid-missing.json", "cca-platform-implementation-id")]
        [InlineData("test-no-sw-components.json", "cca-platform-sw-components")]
        [InlineData("test-sw-components-invalid-combo.json", "measurement-value is not valid base64")]
        [InlineData("test-sw-components-invalid-missing.json", "cca-platform-sw-components")]
        [InlineData("test-hash-algid-invalid.json", "cca-platform-hash-algo-id")]
        [InlineData("test-hash-algid-missing.json", "cca-platform-hash-algo-id")]
        [InlineData("test-lifecycle-invalid.json", "cca-platform-lifecycle")]
        [InlineData("test-nonce-invalid.json", "cca-platform-challenge")]
        [InlineData("test-instance-id-missing.json", "cca-platform-instance-id")]
        [InlineData("test-instance-id-invalid.json", "cca-platform-instance-id")]
        [InlineData("test-config-missing.json", "cca-platform-config")]
        [InlineData("test-invalid-psa-claims.json", "cca-platform-implementation-id")]
        public void PlatformJsonClaimsValidateAsStated(string file, string? failure)
        {
            var text = Fixture.Text("ccatoken/platform/testvectors/json/" + file);
            string? problem;
            try
            {
                var claims = CcaClaimsJson.ParsePlatform(text);
                problem = claims.Validate()?.ToString();
                if (problem is null)
                {
                    Assert.Equal(CcaProfiles.LegacyPlatform, claims.Profile);
                }
            }
            catch (AttestationFormatException e)
            {
                problem = e.Message;
            }

            if (failure is null)
            {
                Assert.True(problem is null, problem);
            }
            else
            {
                Assert.NotNull(problem);
                Assert.StartsWith(failure, problem);
            }
        }

        [Fact]
        public void NoSwComponentsDecodesButDoesNotValidate()
        {
            var claims = CcaClaimsJson.ParsePlatform(Fixture.Text("ccatoken/platform/testvectors/json/test-no-sw-components.json"));
            Assert.Equal(CcaClaimKeys.SoftwareComponents, claims.Validate()!.Key);
        }

        // §3 realm claims, CBOR.
        public static TheoryData<string, long?> RealmCbor => new()
        {
            { "ccatoken/extracted/realm/testEncodedCcaRealmClaimsAll.hex", null },
            { "ccatoken/extracted/realm/testEncodedCcaRealmLegacyClaimsAll.hex", null },
            { "ccatoken/extracted/realm/testEncodedCcaRealmClaimsMissingMandNonce.hex", CcaClaimKeys.Challenge },
            { "ccatoken/extracted/realm/testEncodedCcaClaimsMissingMandInitialMeas.hex", CcaClaimKeys.InitialMeasurement },
            { "ccatoken/extracted/realm/testEncodedCcaClaimsMissingMandHashAlgID.hex", CcaClaimKeys.RealmHashAlgorithm },
            { "ccatoken/extracted/realm/testEncodedCcaClaimsMissingMandPubKey.hex", CcaClaimKeys.RealmPublicKey },
            { "ccatoken/extracted/realm/testEncodedCcaClaimsMissingMandExtendedMeas.hex", CcaClaimKeys.ExtensibleMeasurements },
            { "rust-ccatoken/testdata/realm-claims.cbor", null },
            { "rust-ccatoken/testdata/realm-claims+spurious-numeric-key.cbor", null },
            { "rust-ccatoken/testdata/realm-claims+spurious-text-key.cbor", null },
            { "rust-ccatoken/testdata/realm-claims-missing-challenge.cbor", CcaClaimKeys.Challenge },
        };

        [Theory]
        [MemberData(nameof(RealmCbor))]
        public void RealmCborClaimsValidateAsStated(string file, long? failingClaim)
        {
            var claims = RealmClaims.Decode(Fixture.Bytes(file));
            var error = claims.Validate();
            Assert.True(failingClaim == error?.Key, error?.ToString() ?? "valid");
            if (error is not null)
            {
                Assert.Contains("missing mandatory claim", error.Reason);
            }
        }

        [Fact]
        public void RealmClaimsAllRoundTripsThroughDeterministicEncoding()
        {
            // Go's encoder keeps struct order (265 first), so bytes differ from the deterministic
            // order; the decoded maps must still be equal.
            var bytes = Fixture.Bytes("ccatoken/extracted/realm/testEncodedCcaRealmClaimsAll.hex");
            var reencoded = RealmClaims.Decode(bytes).Encode();
            Assert.Equal(Capvisor.Attestation.Cbor.CborDecoder.Decode(bytes), Capvisor.Attestation.Cbor.CborDecoder.Decode(reencoded));
            Assert.Equal(reencoded, RealmClaims.Decode(reencoded).Encode());
        }

        // §3 realm claims, JSON: every one must fail.
        [Theory]
        [InlineData("test-cca-claims-all-valid.json", "cca-realm-public-key")]
        [InlineData("test-invalid-nonce.json", "cca-realm-challenge")]
        [InlineData("test-invalid-extended-meas.json", "cca-realm-extensible-measurements")]
        [InlineData("test-invalid-initial-meas.json", "cca-realm-initial-measurement")]
        [InlineData("test-invalid-public-key.json", "cca-realm-public-key")]
        [InlineData("test-invalid-personalization-val.json", "cca-realm-personalization-value")]
        [InlineData("test-missing-nonce.json", "cca-realm-challenge")]
        [InlineData("test-missing-hash-alg-id.json", "cca-realm-hash-algo-id")]
        [InlineData("test-missing-personalization-val.json", "cca-realm-personalization-value")]
        [InlineData("test-missing-initial-meas.json", "cca-realm-initial-measurement")]
        [InlineData("test-missing-extended-meas.json", "cca-realm-extensible-measurements")]
        [InlineData("test-missing-public-key.json", "cca-realm-public-key")]
        [InlineData("test-missing-public-key-alg-id.json")]
        public void RealmJsonClaimsAreInvalid(string file, string? intended = null)
        {
            // Several also carry a RAK that is no P-384 point (see VECTORS.md), so only the
            // failure itself is asserted, plus the intended claim for those whose RAK is sound.
            var text = Fixture.Text("ccatoken/realm/testvectors/json/" + file);
            var error = CcaClaimsJson.ParseRealm(text).Validate();
            Assert.NotNull(error);
            if (intended is not null)
            {
                Assert.Equal(intended, error.Name);
            }
        }
    }
}
