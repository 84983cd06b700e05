using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// <c>capvisor run --realm</c> end to end, as a child process: guest/realm's realm-hello reads
    /// its RIM, extends REM0 and prints a token; the token must verify with <c>capvisor attest
    /// verify</c> against the CPAK of the run's state directory and with the independent Python
    /// checker, and its claims must hold the challenge, RPV, the RIM the host printed and the REM0
    /// the test computes itself.
    /// </summary>
    public sealed class RunRealmTests : IDisposable
    {
        private const string RemValue = "capvisor realm-hello REM0";

        private static readonly Lazy<string?> BuildError = new(BuildRealmGuests);

        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-realm-").FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static string RealmDir => Path.Combine(BareMetalRunner.RepoRoot, "guest", "realm");

        private static string? BuildRealmGuests()
        {
            var r = BareMetalRunner.Run("make", ["-s", "-C", RealmDir], TimeSpan.FromMinutes(3));
            return r.Exited && r.ExitCode == 0 ? null : $"make -C guest/realm failed (exit {r.ExitCode}):\n{r.Serial}\n{r.StderrTail(30)}";
        }

        private static string RealmElf(string name)
        {
            if (BuildError.Value is { } error)
            {
                Assert.Fail(error + "\n(scripts/prerequisites.sh test installs gcc-aarch64-linux-gnu and make)");
            }

            return Path.Combine(RealmDir, "build", name + ".elf");
        }

        private static BareMetalRun Capvisor(params string[] args)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "capvisor.dll");
            var self = Environment.ProcessPath;
            var dotnet = self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
            return BareMetalRunner.Run(dotnet, [dll, .. args], TimeSpan.FromMinutes(2));
        }

        private static string Line(string text, string label)
        {
            string? line = text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(label + " ", StringComparison.Ordinal));
            Assert.True(line != null, $"no '{label}' line in:\n{text}");
            return line![(label.Length + 1)..];
        }

        private static byte[] Token(string serial)
        {
            string[] lines = serial.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            int begin = Array.IndexOf(lines, "TOKEN-BEGIN"), end = Array.IndexOf(lines, "TOKEN-END");
            Assert.True(begin >= 0 && end > begin, $"no token in:\n{serial}");
            return Convert.FromHexString(string.Concat(lines[(begin + 1)..end]));
        }

        private (BareMetalRun Run, string Rim, byte[] Token, string Serial) RunHello(params string[] extra)
        {
            var run = Capvisor(["run", "--realm", "-k", RealmElf("realm-hello"), "--print-rim", "--deterministic",
                "--state-dir", Path.Combine(_dir, "state"), "--timeout", "60", .. extra]);
            Assert.True(run.Exited && run.ExitCode == 0, $"exit {run.ExitCode}\nstderr:\n{run.Stderr}\nserial:\n{run.Serial}");
            string rim = Line(run.Stderr, "RIM");
            return (run, rim, Token(run.Serial), run.Serial);
        }

        [Theory]
        [InlineData("sha256")]
        [InlineData("sha512")]
        public void RealmHelloTokenVerifiesAgainstTheCpakWithTheHostsRim(string algorithm)
        {
            const string pv = "capvisor realm test";
            var (run, rim, token, serial) = RunHello("--measurement-algo", algorithm, "--realm-pv", pv);
            int hashSize = algorithm == "sha512" ? 64 : 32;

            // The RIM the host printed before the realm started is the one the guest reads.
            Assert.Equal(hashSize * 2, rim.Length);
            Assert.Equal(rim, Line(serial, "RIM"));
            Assert.Contains($"hash_algo {(hashSize == 64 ? "sha-512" : "sha-256")}", serial);

            // REM0 = H(zero REM || value), computed here independently of the RMM.
            byte[] rem0 = hashSize == 64
                ? SHA512.HashData([.. new byte[64], .. Encoding.ASCII.GetBytes(RemValue)])
                : SHA256.HashData([.. new byte[32], .. Encoding.ASCII.GetBytes(RemValue)]);
            Assert.Equal(Convert.ToHexStringLower(rem0), Line(serial, "REM0"));

            byte[] rpv = new byte[64];
            Encoding.UTF8.GetBytes(pv).CopyTo(rpv, 0);
            Assert.Equal(Convert.ToHexStringLower(rpv), Line(serial, "RPV"));

            string challenge = Line(serial, "CHALLENGE");
            string tokenFile = Path.Combine(_dir, "token.cbor");
            File.WriteAllBytes(tokenFile, token);
            string cpak = Path.Combine(_dir, "state", "cpak.pem");
            var verify = Capvisor("attest", "verify", tokenFile, "--cpak", cpak, "--rim", rim, "--challenge", challenge,
                "--rpv", Convert.ToHexStringLower(rpv));
            Assert.True(verify.ExitCode == 0, verify.Serial + verify.Stderr);
            Assert.StartsWith("valid:", verify.Serial);

            // A different RIM or challenge is refused: the check above can fail.
            string otherRim = (rim[0] == '0' ? "1" : "0") + rim[1..];
            Assert.Equal(1, Capvisor("attest", "verify", tokenFile, "--cpak", cpak, "--rim", otherRim).ExitCode);
            Assert.Equal(1, Capvisor("attest", "verify", tokenFile, "--cpak", cpak, "--challenge", "00").ExitCode);

            // The independent Python verifier (cbor2 + cryptography) accepts it, and its view of the
            // claims matches.
            var (pyStatus, pyOut) = Python(PythonClaims, tokenFile, cpak);
            Assert.True(pyStatus == 0, pyOut);
            var claims = pyOut.Split('\n').Select(l => l.Trim()).Where(l => l.Contains('=')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
            Assert.Equal("ok", claims["verify"]);
            Assert.Equal(challenge, claims["challenge"]);
            Assert.Equal(Convert.ToHexStringLower(rpv), claims["rpv"]);
            Assert.Equal(rim, claims["rim"]);
            Assert.Equal(Convert.ToHexStringLower(rem0), claims["rem0"]);
            Assert.Equal(hashSize == 64 ? "sha-512" : "sha-256", claims["hash"]);
            Assert.Equal(string.Concat(Enumerable.Repeat("00", hashSize)), claims["rem3"]);
            _ = run;
        }

        [Fact]
        public void RealmPvHexShowsInTheRealmAndTheRimDoesNotDependOnIt()
        {
            var a = RunHello("--realm-pv-hex", "00112233445566778899aabbccddeeff");
            var b = RunHello();
            Assert.StartsWith("00112233445566778899aabbccddeeff0000", Line(a.Serial, "RPV"));
            Assert.Equal(new string('0', 128), Line(b.Serial, "RPV"));
            Assert.Equal(a.Rim, b.Rim); // the RPV is not measured (RMM 1.0)
        }

        [Fact]
        public void TheRimDependsOnTheImageAndTheMemorySize()
        {
            var hello = Capvisor("run", "--realm", "-k", RealmElf("realm-hello"), "--print-rim", "--state-dir", Path.Combine(_dir, "s"), "--timeout", "60", "--deterministic");
            var bench = Capvisor("run", "--realm", "-k", RealmElf("realm-bench"), "--print-rim", "--state-dir", Path.Combine(_dir, "s"), "--timeout", "60", "--deterministic", "-m", "64");
            Assert.Equal(0, hello.ExitCode);
            Assert.Equal(0, bench.ExitCode);
            Assert.NotEqual(Line(hello.Stderr, "RIM"), Line(bench.Stderr, "RIM"));
        }

        [Theory]
        [InlineData("--realm-pv and --realm-pv-hex exclude each other", "--realm", "--realm-pv", "a", "--realm-pv-hex", "00")]
        [InlineData("--realm-pv-hex needs an even number of hex digits", "--realm", "--realm-pv-hex", "zz")]
        [InlineData("at most 64 bytes", "--realm", "--realm-pv", "0123456789012345678901234567890123456789012345678901234567890123456789")]
        [InlineData("--measurement-algo must be sha256 or sha512", "--realm", "--measurement-algo", "md5")]
        [InlineData("need --realm", "--print-rim")]
        [InlineData("not supported with --realm", "--realm", "-d", "disk.img")]
        public void BadRealmArgumentsExit2WithAMessage(string message, params string[] args)
        {
            var run = Capvisor(["run", "-k", "/nonexistent.elf", "--state-dir", Path.Combine(_dir, "s"), .. args]);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains(message, run.Stderr);
            Assert.False(Directory.Exists(Path.Combine(_dir, "s")), "bad arguments must not create platform state");
        }

        [Fact]
        public void MissingKernelExits2()
        {
            var run = Capvisor("run", "--realm", "-k", Path.Combine(_dir, "missing.elf"), "--state-dir", Path.Combine(_dir, "s"));
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("does not exist", run.Stderr);
        }

        [Fact]
        public void HelpDescribesTheRealmOptions()
        {
            var run = Capvisor("run", "--help");
            Assert.Equal(0, run.ExitCode);
            foreach (var option in new[] { "--realm", "--measurement-algo", "--realm-pv", "--realm-pv-hex", "--print-rim", "--state-dir" })
            {
                Assert.Contains(option, run.Serial);
            }
        }

        [Fact]
        public void DemoRunsTheRealmAndVerifiesItsToken()
        {
            RealmElf("realm-hello");
            BareMetalRunner.Elf("demo");
            var psi = new ProcessStartInfo(Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = BareMetalRunner.RepoRoot,
            };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "capvisor.dll"));
            psi.ArgumentList.Add("demo");
            psi.Environment["CAPVISOR_ROOT"] = BareMetalRunner.RepoRoot;
            psi.Environment["CAPVISOR_STATE_DIR"] = Path.Combine(_dir, "demo-state");
            psi.Environment["CAPVISOR_GUEST_DIR"] = Path.Combine(_dir, "no-linux"); // skip part 3
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(120_000), "demo did not finish");
            string err = stderr.Result;
            Assert.True(p.ExitCode == 0, err);
            Assert.Contains("2/3 running guest/realm/build/realm-hello.elf", err);
            Assert.Contains("the RIM the realm read with RSI_MEASUREMENT_READ equals the host's", err);
            Assert.Contains("verified against the CPAK", err);
            Assert.Contains(": valid, platform tag:arm.com,2023:cca_platform#1.0.0", err);
            Assert.Equal(Line(err, "RIM"), Line(stdout.Result, "RIM"));
            Assert.True(File.Exists(Path.Combine(_dir, "demo-state", "cpak.pem")));
        }

        /// <summary>Verifies with Fixtures/cross_impl.py, then prints the claims it decoded itself.</summary>
        private const string PythonClaims = """
            import importlib.util, sys, cbor2, io, contextlib
            spec = importlib.util.spec_from_file_location("cross_impl", sys.argv[1])
            m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = m.verify(sys.argv[2], sys.argv[3])
            print("verify=" + out.getvalue().strip())
            top = cbor2.loads(open(sys.argv[2], "rb").read())
            realm = cbor2.loads(cbor2.loads(top.value[44241]).value[2])
            print("challenge=" + realm[10].hex())
            print("rpv=" + realm[44235].hex())
            print("rim=" + realm[44238].hex())
            print("hash=" + realm[44236])
            for i, rem in enumerate(realm[44239]):
                print(f"rem{i}=" + rem.hex())
            sys.exit(status)
            """;

        private static (int Status, string Output) Python(string script, string token, string cpak)
        {
            string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
            string checker = Path.Combine(BareMetalRunner.RepoRoot, "tests", "Capvisor.Attestation.Tests", "Fixtures", "cross_impl.py");
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", script, checker, token, cpak })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(60_000), "python did not finish");
            string text = stdout.Result + stderr.Result;
            Assert.False(text.Contains("ModuleNotFoundError", StringComparison.Ordinal), "needs python3-cbor2 and python3-cryptography (scripts/prerequisites.sh test)\n" + text);
            return (p.ExitCode, text);
        }
    }
}
