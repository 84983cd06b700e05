using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Capvisor.Attestation.Keys;

namespace Capvisor.Attestation.Tests.Infrastructure
{
    /// <summary>Access to the files under Fixtures/, copied next to the test assembly.</summary>
    internal static class Fixture
    {
        public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

        public static string PathOf(string relative) => Path.Combine(Root, relative);

        public static string Text(string relative) => File.ReadAllText(PathOf(relative));

        /// <summary>The bytes of a fixture; <c>.hex</c> files are decoded.</summary>
        public static byte[] Bytes(string relative)
        {
            var path = PathOf(relative);
            return relative.EndsWith(".hex", StringComparison.Ordinal)
                ? Convert.FromHexString(File.ReadAllText(path).Trim())
                : File.ReadAllBytes(path);
        }

        public static ECDsa Key(string relative) => EcKeyFile.Load(Text(relative));

        /// <summary>The first key of a rust-ccatoken trust-anchor store (ta*.json), as JWK text.</summary>
        public static string TrustAnchorJwk(string relative)
        {
            var store = JsonNode.Parse(Text(relative))!.AsArray();
            return store[0]!["pkey"]!.ToJsonString();
        }

        public static ECDsa TrustAnchor(string relative) => EcKeyFile.Load(TrustAnchorJwk(relative));
    }
}
