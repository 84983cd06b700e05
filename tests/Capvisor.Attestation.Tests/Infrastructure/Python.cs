using System.Diagnostics;

namespace Capvisor.Attestation.Tests.Infrastructure
{
    /// <summary>Runs Fixtures/cross_impl.py with the Debian Python that has python3-cbor2 and python3-cryptography.</summary>
    internal static class Python
    {
        public static (int ExitCode, string Output) Run(params string[] args)
        {
            // Debian's interpreter first: a pyenv or venv python3 on PATH may lack the apt modules.
            var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
            var start = new ProcessStartInfo(python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Fixture.PathOf("cross_impl.py"));
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start python3");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill();
                throw new TimeoutException("cross_impl.py did not finish");
            }

            var text = stdout.Result + stderr.Result;
            if (text.Contains("ModuleNotFoundError", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("cross_impl.py needs python3-cbor2 and python3-cryptography: run scripts/prerequisites.sh test\n" + text);
            }

            return (process.ExitCode, text);
        }
    }
}
