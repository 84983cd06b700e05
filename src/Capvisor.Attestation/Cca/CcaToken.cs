using Capvisor.Attestation.Cbor;
using K = Capvisor.Attestation.Cca.CcaClaimKeys;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// A CCA attestation token: the collection holding a platform token and a realm token, each a
    /// serialized COSE_Sign1 message. Decoding checks the envelope only.
    /// </summary>
    public sealed class CcaToken
    {
        /// <summary>Creates a token from its two serialized COSE_Sign1 messages.</summary>
        public CcaToken(byte[] platformToken, byte[] realmToken, CcaCollectionForm form = CcaCollectionForm.Tag399)
        {
            PlatformToken = platformToken ?? throw new ArgumentNullException(nameof(platformToken));
            RealmToken = realmToken ?? throw new ArgumentNullException(nameof(realmToken));
            Form = form;
        }

        /// <summary>The platform token (entry 44234), a COSE_Sign1 message signed with the CPAK.</summary>
        public byte[] PlatformToken { get; }

        /// <summary>The realm token (entry 44241), a COSE_Sign1 message signed with the RAK.</summary>
        public byte[] RealmToken { get; }

        /// <summary>The envelope it came in.</summary>
        public CcaCollectionForm Form { get; }

        /// <summary>
        /// Decodes the collection: tag 399 with byte-string entries, or tag 907 with
        /// <c>[263, bytes]</c> entries. Both entries are mandatory and no other is allowed
        /// (as rust-ccatoken requires).
        /// </summary>
        /// <exception cref="AttestationFormatException">Not such a collection.</exception>
        public static CcaToken Decode(ReadOnlySpan<byte> encoded)
        {
            var item = CborDecoder.Decode(encoded);
            if (item.Kind != CborKind.Tag || item.TagNumber is not (K.CollectionTag or K.CmwCollectionTag))
            {
                throw new AttestationFormatException($"CCA token: expected CBOR tag 399 or 907, found {CborValue.Describe(item.Kind)} {item}");
            }

            var form = item.TagNumber == K.CollectionTag ? CcaCollectionForm.Tag399 : CcaCollectionForm.Tag907;
            var map = item.TagContent;
            if (map.Kind != CborKind.Map)
            {
                throw new AttestationFormatException("CCA token: collection is not a map");
            }

            foreach (var (key, _) in map.Entries)
            {
                if (!key.TryGetInt64(out var k) || k is not (K.PlatformToken or K.RealmToken))
                {
                    throw new AttestationFormatException($"CCA token: unexpected collection entry {key}");
                }
            }

            return new CcaToken(Entry(map, K.PlatformToken, "platform", form), Entry(map, K.RealmToken, "realm", form), form);
        }

        /// <summary>The collection in its form: tag 399 <c>{44234: bytes, 44241: bytes}</c> by default.</summary>
        public byte[] Encode()
        {
            CborValue Wrap(byte[] token) => Form == CcaCollectionForm.Tag399
                ? CborValue.FromBytes(token)
                : CborValue.FromArray(K.CmwContentFormat, CborValue.FromBytes(token));

            var tag = Form == CcaCollectionForm.Tag399 ? K.CollectionTag : K.CmwCollectionTag;
            return CborValue.FromTag(tag, CborValue.FromMap((K.PlatformToken, Wrap(PlatformToken)), (K.RealmToken, Wrap(RealmToken)))).Encode();
        }

        private static byte[] Entry(CborValue map, long key, string name, CcaCollectionForm form)
        {
            if (!map.TryGetValue(key, out var entry))
            {
                throw new AttestationFormatException($"CCA token: no {name} token ({key})");
            }

            if (form == CcaCollectionForm.Tag907)
            {
                if (entry.Kind != CborKind.Array || entry.Count != 2 || !entry.Items[0].TryGetInt64(out var type) || type != K.CmwContentFormat)
                {
                    throw new AttestationFormatException($"CCA token: {name} entry is not a [263, bytes] CMW record");
                }

                entry = entry.Items[1];
            }

            if (entry.Kind != CborKind.ByteString)
            {
                throw new AttestationFormatException($"CCA token: {name} token is a {CborValue.Describe(entry.Kind)}, not a byte string holding a COSE_Sign1");
            }

            return entry.AsBytes();
        }
    }
}
