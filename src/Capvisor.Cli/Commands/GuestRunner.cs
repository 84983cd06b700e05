using Capvisor.Board;
using Capvisor.Board.Boot;
using Capvisor.Firmware.Psci;

namespace Capvisor.Cli.Commands
{
    /// <summary>Builds a <see cref="VirtMachine"/> with PSCI firmware from <see cref="RunOptions"/> and runs it (shared by run and demo).</summary>
    public static class GuestRunner
    {
        /// <summary>
        /// Runs <paramref name="options"/>; serial output goes to <paramref name="serialOutput"/>,
        /// messages to <paramref name="messages"/>. Returns the process exit status.
        /// </summary>
        public static int Run(RunOptions options, Stream serialOutput, Stream? serialInput, TextWriter messages,
            CancellationToken cancellation = default)
        {
            byte[]? kernel = null, initrd = null, dtb = null;
            var disks = new List<VirtioDisk>();
            FileStream? virtioConsole = null;
            try
            {
                if (options.Kernel != null)
                {
                    kernel = ReadFile(options.Kernel, "kernel");
                }
                else if (options.DumpDtb == null)
                {
                    throw new UsageException("a kernel is required (-k FILE)");
                }

                initrd = options.Initrd != null ? ReadFile(options.Initrd, "initrd") : null;
                dtb = options.Dtb != null ? ReadFile(options.Dtb, "device tree") : null;
                foreach (var disk in options.Disks)
                {
                    if (!File.Exists(disk.Path))
                    {
                        throw new FileNotFoundException($"disk file '{disk.Path}' does not exist");
                    }

                    var stream = new FileStream(disk.Path, FileMode.Open, disk.ReadOnly ? FileAccess.Read : FileAccess.ReadWrite,
                        disk.ReadOnly ? FileShare.Read : FileShare.None);
                    disks.Add(new VirtioDisk(stream, disk.ReadOnly));
                    if (stream.Length % 512 != 0)
                    {
                        messages.WriteLine($"capvisor run: warning: disk '{disk.Path}' is not a whole number of 512-byte sectors; the tail is not visible");
                    }
                }

                if (options.VirtioConsole != null)
                {
                    virtioConsole = new FileStream(options.VirtioConsole, FileMode.Create, FileAccess.Write, FileShare.Read);
                }

                var machineOptions = new VirtMachineOptions
                {
                    VirtioConsoleOutput = virtioConsole,
                    Disks = disks,
                    VirtioRng = options.Rng,
                    MemoryMiB = options.MemoryMiB,
                    CpuCount = options.Cpus,
                    Kernel = kernel,
                    KernelName = options.Kernel ?? "kernel",
                    Initrd = initrd,
                    CommandLine = options.Params,
                    DeviceTree = dtb,
                    Deterministic = options.Deterministic,
                    Timeout = options.TimeoutSeconds is double s ? TimeSpan.FromSeconds(s) : null,
                    SerialOutput = serialOutput,
                    SerialInput = serialInput,
                };
                using var machine = new VirtMachine(machineOptions, m => new PsciFirmware(m, machineOptions.PsciMethod));
                if (options.DumpDtb != null)
                {
                    File.WriteAllBytes(options.DumpDtb, machine.DeviceTreeBlob);
                    messages.WriteLine($"capvisor run: device tree written to {options.DumpDtb} ({machine.DeviceTreeBlob.Length} bytes)");
                    return 0;
                }

                foreach (string warning in machine.Boot?.Warnings ?? [])
                {
                    messages.WriteLine($"capvisor run: warning: {warning}");
                }

                var clock = System.Diagnostics.Stopwatch.StartNew();
                var exit = machine.Run(cancellation);
                if (options.Stats)
                {
                    ulong retired = 0;
                    foreach (var cpu in machine.Cpus)
                    {
                        retired += cpu.Retired;
                    }

                    double seconds = clock.Elapsed.TotalSeconds;
                    messages.WriteLine(FormattableString.Invariant(
                        $"capvisor run: {retired} instructions retired in {seconds:F3} s ({retired / seconds / 1e6:F1} MIPS)"));
                }

                if (exit.Reason != MachineExitReason.SystemOff)
                {
                    messages.WriteLine($"capvisor run: {exit.Message}");
                }

                return exit.ExitCode;
            }
            catch (BootImageException e)
            {
                messages.WriteLine($"capvisor run: {e.Message}");
                return 2;
            }
            catch (ArgumentException e)
            {
                messages.WriteLine($"capvisor run: {e.Message}");
                return 2;
            }
            catch (IOException e)
            {
                messages.WriteLine($"capvisor run: {e.Message}");
                return 2;
            }
            catch (UnauthorizedAccessException e)
            {
                messages.WriteLine($"capvisor run: {e.Message}");
                return 2;
            }
            finally
            {
                virtioConsole?.Dispose();
                foreach (var disk in disks)
                {
                    disk.File.Dispose();
                }
            }
        }

        private static byte[] ReadFile(string path, string what)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{what} file '{path}' does not exist");
            }

            return File.ReadAllBytes(path);
        }
    }
}
