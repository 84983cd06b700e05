using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary><c>capvisor sdf compile</c>: output, exit statuses and messages.</summary>
    public sealed class SdfCommandTests : IDisposable
    {
        private const string System = """
            <system>
              <memory_region name="ram" size="0x200000" page_size="0x200000" />
              <protection_domain name="vmm" priority="200">
                <map mr="ram" vaddr="0x20000000" />
                <virtual_machine name="guest"><vcpu id="0" /><map mr="ram" vaddr="0x40000000" perms="rwx" /></virtual_machine>
              </protection_domain>
              <protection_domain name="other" priority="100" />
              <channel><end pd="vmm" id="1" /><end pd="other" id="1" /></channel>
            </system>
            """;

        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-sdf-").FullName;

        public SdfCommandTests()
        {
            File.WriteAllText(PathOf("ok.system"), System);
            File.WriteAllText(PathOf("bad.system"), System.Replace("<end pd=\"other\"", "<end pd=\"ghost\""));
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private string PathOf(string name) => Path.Combine(_dir, name);

        private static (int Code, string Stdout, string Stderr) Run(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = SdfCommand.Execute(args, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }

        [Fact]
        public void CompilesToCapDLThatTheCheckerAccepts()
        {
            var (code, spec, _) = Run("compile", PathOf("ok.system"));
            Assert.Equal(0, code);
            Assert.StartsWith("arch aarch64", spec);
            Assert.Contains("guest_vcpu0 = vcpu", spec);
            File.WriteAllText(PathOf("ok.cdl"), spec);
            var check = new StringWriter();
            Assert.Equal(0, CapdlCommand.Execute(["check", PathOf("ok.cdl"), "--isolate", "mr_ram", "--from", "other_tcb"], check, new StringWriter()));
            Assert.Equal(1, CapdlCommand.Execute(["check", PathOf("ok.cdl"), "--isolate", "mr_ram", "--from", "vmm_tcb"], check, new StringWriter()));
        }

        [Fact]
        public void WritesToAFile()
        {
            Assert.Equal(0, Run("compile", PathOf("ok.system"), "-o", PathOf("out.cdl")).Code);
            Assert.StartsWith("arch aarch64", File.ReadAllText(PathOf("out.cdl")));
        }

        [Fact]
        public void InvalidDescriptionsExitTwo()
        {
            var (code, _, stderr) = Run("compile", PathOf("bad.system"));
            Assert.Equal(2, code);
            Assert.Contains("bad.system:8:", stderr);
            Assert.Contains("invalid PD name 'ghost'", stderr);
            Assert.Throws<UsageException>(() => Run("compile"));
            Assert.Throws<UsageException>(() => Run("link", PathOf("ok.system")));
        }
    }
}
