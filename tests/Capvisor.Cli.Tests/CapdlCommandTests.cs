using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary><c>capvisor capdl print|measure|check</c>: exit statuses, output and messages.</summary>
    public sealed class CapdlCommandTests : IDisposable
    {
        private const string DataOnly = """
            arch aarch64
            objects {
              host = tcb  hc = cnode (3 bits)
              realm = tcb  rc = cnode (3 bits)
              ram[2] = frame (4k)  ring = frame (4k)  kick = notification  ep0 = ep
            }
            caps {
              host { cspace: hc }  realm { cspace: rc }
              hc { 0: ring (RW) 1: kick (W) 2: ep0 (W) }
              rc { 0: ring (RW) 1: kick (R) 2: ep0 (R) 3: ram[0..1] (RW) }
            }
            """;

        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-capdl-").FullName;

        public CapdlCommandTests()
        {
            File.WriteAllText(PathOf("data.cdl"), DataOnly);
            File.WriteAllText(PathOf("grant.cdl"), DataOnly.Replace("2: ep0 (W)", "2: ep0 (R)").Replace("2: ep0 (R) 3:", "2: ep0 (WG) 3:"));
            File.WriteAllText(PathOf("bad.cdl"), "arch aarch64\nobjects {\n  x = fram\n}\n");
            File.WriteAllText(PathOf("fill.cdl"), "arch aarch64 objects { f = frame (4k, fill: [{0 3 CDL_FrameFill_FileData \"blob\" 0}]) }");
            File.WriteAllBytes(PathOf("blob"), [1, 2, 3, 4]);
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private string PathOf(string name) => Path.Combine(_dir, name);

        private static (int Code, string Stdout, string Stderr) Run(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = CapdlCommand.Execute(args, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }

        [Fact]
        public void CheckExitsZeroWhenOnlyDataChannelsConnect()
        {
            var (code, stdout, _) = Run("check", PathOf("data.cdl"), "--isolate", "ram", "--from", "host");
            Assert.Equal(0, code);
            Assert.Contains("isolated", stdout);
        }

        [Fact]
        public void CheckExitsOneWithAWitnessWhenAGrantPathExists()
        {
            var (code, stdout, _) = Run("check", PathOf("grant.cdl"), "--isolate", "ram", "--from", "host");
            Assert.Equal(1, code);
            Assert.Contains("NOT isolated", stdout);
            foreach (string name in new[] { "host", "hc", "realm", "rc", "ep0", "ram[0]" })
            {
                Assert.Contains(name, stdout);
            }
        }

        [Fact]
        public void InvalidSpecsExitTwoWithTheirPosition()
        {
            var (code, _, stderr) = Run("check", PathOf("bad.cdl"), "--isolate", "ram", "--from", "host");
            Assert.Equal(2, code);
            Assert.Contains("bad.cdl:3:7: unknown object type 'fram'", stderr);
            Assert.Equal(2, Run("check", PathOf("data.cdl"), "--isolate", "nothing", "--from", "host").Code);
            Assert.Equal(2, Run("print", PathOf("missing.cdl")).Code);
            Assert.Throws<UsageException>(() => Run("check", PathOf("data.cdl"), "--from", "host"));
            Assert.Throws<UsageException>(() => Run("frobnicate", PathOf("data.cdl")));
        }

        [Fact]
        public void PrintIsAFixedPoint()
        {
            var (code, printed, _) = Run("print", PathOf("data.cdl"));
            Assert.Equal(0, code);
            File.WriteAllText(PathOf("printed.cdl"), printed);
            Assert.Equal(printed, Run("print", PathOf("printed.cdl")).Stdout);
        }

        [Fact]
        public void MeasureIsStableAndReadsFills()
        {
            var (code, digest, _) = Run("measure", PathOf("data.cdl"));
            Assert.Equal(0, code);
            Assert.Matches("^sha256:[0-9a-f]{64}\n$", digest.ReplaceLineEndings("\n"));
            File.WriteAllText(PathOf("printed.cdl"), Run("print", PathOf("data.cdl")).Stdout);
            Assert.Equal(digest, Run("measure", PathOf("printed.cdl")).Stdout);

            string a = Run("measure", PathOf("fill.cdl")).Stdout;
            File.WriteAllBytes(PathOf("blob"), [1, 2, 9, 4]);
            string b = Run("measure", PathOf("fill.cdl")).Stdout;
            Assert.NotEqual(a, b);
            File.Delete(PathOf("blob"));
            var (missing, _, err) = Run("measure", PathOf("fill.cdl"));
            Assert.Equal(2, missing);
            Assert.Contains("blob", err);
        }
    }
}
