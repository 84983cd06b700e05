using Capvisor.Board;
using Capvisor.Board.Boot;
using Capvisor.Board.Virtio;
using Capvisor.Board.Virtio.Net;
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
            var hostDevices = new List<IDisposable>();
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

                var extraVirtio = CreateHostDevices(options, hostDevices);
                var machineOptions = new VirtMachineOptions
                {
                    ExtraVirtioDevices = extraVirtio,
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
                    foreach (var net in extraVirtio.OfType<VirtioNet>())
                    {
                        messages.WriteLine(FormattableString.Invariant(
                            $"capvisor run: virtio-net {Convert.ToHexString(net.Mac)}: {net.TxFrames} frames sent, {net.RxFrames} received, {net.TxDropped} sent and {net.RxDropped} received dropped"));
                    }
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
                foreach (var device in hostDevices)
                {
                    device.Dispose();
                }

                foreach (var disk in disks)
                {
                    disk.File.Dispose();
                }
            }
        }

        /// <summary>--net and --vsock devices (their sockets are bound here, so a busy port is an argument error).</summary>
        private static List<IVirtioDevice> CreateHostDevices(RunOptions options, List<IDisposable> owned)
        {
            var devices = new List<IVirtioDevice>();
            for (int i = 0; i < options.Nets.Count; i++)
            {
                var net = options.Nets[i];
                var backend = net.Local != null
                    ? DatagramNetBackend.Udp(net.Local, net.Remote!)
                    : DatagramNetBackend.UnixDatagram(net.LocalPath!, net.RemotePath!);
                byte[] mac = net.Mac ?? [.. VirtioNet.DefaultMac[..5], (byte)(VirtioNet.DefaultMac[5] + i)];
                var device = new VirtioNet(backend, mac);
                owned.Add(device);
                devices.Add(device);
            }

            if (options.Vsock is { } vsock)
            {
                var device = new VirtioVsock(vsock.Cid, vsock.Path);
                owned.Add(device);
                devices.Add(device);
            }

            return devices;
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
