using System.Text;
using Capvisor.Board;
using Capvisor.Firmware.Psci;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Boots Debian's kernel and the cached initramfs on an in-process <see cref="VirtMachine"/> in
    /// deterministic mode, types a shell script once busybox prompts, and returns how the run ended
    /// with the serial transcript.
    /// </summary>
    internal static class InProcessLinux
    {
        /// <summary>
        /// Runs <paramref name="script"/> (one command a line; the last should power off).
        /// <paramref name="configure"/> adds devices or changes the defaults.
        /// </summary>
        public static (MachineExit Exit, string Log) Run(
            string kernel, string initrd, IEnumerable<string> script, Func<VirtMachineOptions, VirtMachineOptions>? configure = null)
        {
            var serial = new MemoryStream();
            var options = new VirtMachineOptions
            {
                Kernel = File.ReadAllBytes(kernel),
                Initrd = File.ReadAllBytes(initrd),
                CommandLine = "console=ttyAMA0 nokaslr",
                Deterministic = true,
                Timeout = TimeSpan.FromMinutes(10),
                SerialOutput = serial,
                SerialInput = new MemoryStream(Encoding.ASCII.GetBytes(string.Join("\n", script) + "\n")),
                SerialInputAfter = "/ # ",
            };
            options = configure?.Invoke(options) ?? options;
            MachineExit exit;
            using (var machine = new VirtMachine(options, m => new PsciFirmware(m)))
            {
                exit = machine.Run();
            }

            return (exit, Encoding.UTF8.GetString(serial.ToArray()));
        }

        /// <summary>The end of a transcript, for assertion messages.</summary>
        public static string Tail(string log) => log.Length > 6000 ? log[^6000..] : log;
    }
}
