using Capvisor.Attestation.Cbor;

namespace Capvisor.Attestation.Cca
{
    /// <summary>Typed access to optional claims of a decoded claims map; a wrong type is a format error.</summary>
    internal static class ClaimReader
    {
        public static CborValue Map(ReadOnlySpan<byte> payload, string what)
        {
            var map = CborDecoder.Decode(payload);
            if (map.Kind != CborKind.Map)
            {
                throw new AttestationFormatException($"{what}: claims are not a map");
            }

            return map;
        }

        public static byte[]? Bytes(CborValue map, long key, string name)
        {
            if (!map.TryGetValue(key, out var v))
            {
                return null;
            }

            return v.Kind == CborKind.ByteString ? v.AsBytes() : throw Wrong(name, key, "a byte string", v);
        }

        public static string? Text(CborValue map, long key, string name)
        {
            if (!map.TryGetValue(key, out var v))
            {
                return null;
            }

            return v.Kind == CborKind.TextString ? v.AsText() : throw Wrong(name, key, "a text string", v);
        }

        public static IReadOnlyList<byte[]>? BytesList(CborValue map, long key, string name)
        {
            if (!map.TryGetValue(key, out var v))
            {
                return null;
            }

            if (v.Kind != CborKind.Array)
            {
                throw Wrong(name, key, "an array", v);
            }

            return v.Items.Select(i => i.Kind == CborKind.ByteString ? i.AsBytes() : throw Wrong(name, key, "an array of byte strings", i)).ToArray();
        }

        /// <summary>An EAT nonce: one byte string or an array of them (EAT §4.1).</summary>
        public static (byte[]? First, int Count) Nonce(CborValue map, long key, string name)
        {
            if (!map.TryGetValue(key, out var v))
            {
                return (null, 0);
            }

            if (v.Kind == CborKind.ByteString)
            {
                return (v.AsBytes(), 1);
            }

            var list = BytesList(map, key, name)!;
            return (list.Count > 0 ? list[0] : null, list.Count);
        }

        public static AttestationFormatException Wrong(string name, long key, string expected, CborValue found) =>
            new($"claim {name} ({key}): expected {expected}, found {CborValue.Describe(found.Kind)} {found}");
    }
}
