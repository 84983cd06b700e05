using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Cose;

namespace Capvisor.Cli.Commands.Attest
{
    /// <summary>Human-readable rendering of CCA claims: one claim per line, byte strings in hex.</summary>
    internal static class ClaimPrinter
    {
        public static void Print(TextWriter w, string title, CoseSign1? message, PlatformClaims claims)
        {
            Header(w, title, message);
            Line(w, "profile", 265, claims.Profile);
            Nonce(w, claims.Challenge, claims.NonceCount);
            Line(w, "implementation-id", 2396, claims.ImplementationId);
            Line(w, "instance-id", 256, claims.InstanceId);
            Line(w, "config", 2401, claims.Config);
            if (claims.Lifecycle is { } lc)
            {
                Line(w, "lifecycle", 2395, $"0x{lc:x4} ({PlatformLifecycle.StateOf(lc) ?? "invalid"})");
            }

            Line(w, "service-indicator", 2400, claims.VerificationService);
            Line(w, "hash-algo-id", 2402, claims.HashAlgorithm);
            if (claims.SoftwareComponents is { } components)
            {
                Line(w, "sw-components", 2399, components.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                for (var i = 0; i < components.Count; i++)
                {
                    var c = components[i];
                    w.WriteLine($"    [{i}] {c.MeasurementType ?? "(no type)"}{(c.Version is null ? "" : " " + c.Version)}{(c.MeasurementDescription is null ? "" : " (" + c.MeasurementDescription + ")")}");
                    w.WriteLine($"        measurement {Hex(c.MeasurementValue)}");
                    w.WriteLine($"        signer-id   {Hex(c.SignerId)}");
                }
            }
        }

        public static void Print(TextWriter w, string title, CoseSign1? message, RealmClaims claims)
        {
            Header(w, title, message);
            Line(w, "profile", 265, claims.Profile ?? "(none: legacy format)");
            Nonce(w, claims.Challenge, claims.NonceCount);
            Line(w, "personalization-value", 44235, claims.PersonalizationValue);
            Line(w, "hash-algo-id", 44236, claims.HashAlgorithm);
            Line(w, "initial-measurement", 44238, claims.InitialMeasurement);
            if (claims.ExtensibleMeasurements is { } rems)
            {
                for (var i = 0; i < rems.Count; i++)
                {
                    Line(w, $"extensible-measurement[{i}]", 44239, rems[i]);
                }
            }

            Line(w, "public-key", 44237, claims.PublicKey);
            Line(w, "public-key-hash-algo-id", 44240, claims.PublicKeyHashAlgorithm);
        }

        private static void Header(TextWriter w, string title, CoseSign1? message)
        {
            var alg = message?.Algorithm?.ToString() ?? "unknown algorithm";
            w.WriteLine(message is null ? $"{title}:" : $"{title}: COSE_Sign1, {alg}, {message.Payload.Length}-byte payload");
        }

        private static void Nonce(TextWriter w, byte[]? challenge, int count)
        {
            Line(w, "challenge", 10, challenge);
            if (count > 1)
            {
                w.WriteLine($"  {"",-35} ({count} nonces; only the first is shown)");
            }
        }

        private static void Line(TextWriter w, string name, long key, byte[]? value)
        {
            if (value is not null)
            {
                Line(w, name, key, value.Length == 0 ? "(empty)" : Hex(value));
            }
        }

        private static void Line(TextWriter w, string name, long key, string? value)
        {
            if (value is not null)
            {
                w.WriteLine($"  {name,-26} {"(" + key.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")",-8} {value}");
            }
        }

        private static string Hex(byte[]? value) => value is null ? "(missing)" : Convert.ToHexStringLower(value);
    }
}
