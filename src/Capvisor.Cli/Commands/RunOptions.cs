using System.Globalization;

namespace Capvisor.Cli.Commands
{
    /// <summary>The options of <c>capvisor run</c>, in kvmtool's spelling.</summary>
    public sealed record RunOptions
    {
        /// <summary>The option summary <c>--help</c> prints.</summary>
        public const string Usage = """
            usage: capvisor run -k KERNEL [OPTIONS]

            Runs a kernel on the emulated Armv9-A virt board (QEMU -M virt,gic-version=3 layout).
            The guest's serial console is standard input/output (a terminal is put in raw mode;
            Ctrl-A x quits); Capvisor's own messages go to standard error. Exit status: 0 when the
            guest switches off or resets (PSCI SYSTEM_OFF/SYSTEM_RESET), 1 when the run fails
            (timeout, exception loop, deadlock, cancelled), 2 for unusable arguments or files.

            options:
              -k, --kernel FILE     Linux arm64 Image (optionally gzipped), ELF64 AArch64 program,
                                    or raw binary (loaded at RAM base + 0x80000)
              -i, --initrd FILE     initial ramdisk
              -p, --params CMDLINE  kernel command line (/chosen/bootargs)
              -d, --disk FILE[,ro]  raw disk image as a virtio-blk device (repeatable; placed as
                                    QEMU does, so Linux names the last one /dev/vda; ",ro"
                                    makes it read-only)
                  --rng             add a virtio-rng device (host entropy; seeded when
                                    --deterministic)
                  --virtio-console FILE  add a virtio-console device (/dev/hvc0 in Linux) whose
                                    output is written to FILE
                  --net udp:LPORT:RHOST:RPORT[,mac=MAC]
                                    add a virtio-net device (repeatable) on an unprivileged UDP
                                    socket, one Ethernet frame per datagram: the wire format of
                                    QEMU's -netdev dgram,local.type=inet,... and of -netdev
                                    socket,udp=RHOST:RPORT,localaddr=HOST:LPORT. Binds LPORT on
                                    loopback when RHOST is loopback, else on all addresses.
                                    MAC defaults to 52:54:00:12:34:56 (+1 per device), as QEMU
                  --net unix:LOCALPATH:REMOTEPATH[,mac=MAC]
                                    the same over Unix datagram sockets (QEMU's local.type=unix)
                  --vsock CID:PATH  add a virtio-vsock device; the guest's CID is CID (3 or more).
                                    Firecracker's convention: a host program connects to the Unix
                                    socket PATH and writes "CONNECT <port>\n", and reads
                                    "OK <hostport>\n" once the guest accepts; a guest connection
                                    to CID 2 port P is connected to the Unix socket PATH_P.
                                    Network and vsock input arrive in host time: runs with them
                                    are not reproducible even with --deterministic
              -m, --mem MiB         RAM size in MiB (suffix M or G accepted; default 128, as QEMU)
              -c, --cpus N          number of CPUs (default 1)
                  --dtb FILE        use this device tree blob instead of the generated one
                                    (/chosen and /memory are updated as QEMU does)
                  --dumpdtb FILE    write the device tree blob to FILE and exit
                  --timeout SECONDS stop with an error after this much wall-clock time
                  --deterministic   time from instructions retired: every run is identical
                  --stats           print instructions retired and MIPS to standard error at the end
              -h, --help            show this help
            """;

        /// <summary>-k/--kernel.</summary>
        public string? Kernel { get; init; }

        /// <summary>-i/--initrd.</summary>
        public string? Initrd { get; init; }

        /// <summary>-p/--params.</summary>
        public string? Params { get; init; }

        /// <summary>-m/--mem in MiB.</summary>
        public int MemoryMiB { get; init; } = Board.VirtMachineOptions.DefaultMemoryMiB;

        /// <summary>-c/--cpus.</summary>
        public int Cpus { get; init; } = 1;

        /// <summary>-d/--disk, in order.</summary>
        public IReadOnlyList<DiskOption> Disks { get; init; } = [];

        /// <summary>--rng.</summary>
        public bool Rng { get; init; }

        /// <summary>--virtio-console: where the virtio console's output goes.</summary>
        public string? VirtioConsole { get; init; }

        /// <summary>--net, in order.</summary>
        public IReadOnlyList<NetOption> Nets { get; init; } = [];

        /// <summary>--vsock.</summary>
        public VsockOption? Vsock { get; init; }

        /// <summary>--dtb.</summary>
        public string? Dtb { get; init; }

        /// <summary>--dumpdtb.</summary>
        public string? DumpDtb { get; init; }

        /// <summary>--timeout in seconds.</summary>
        public double? TimeoutSeconds { get; init; }

        /// <summary>--deterministic.</summary>
        public bool Deterministic { get; init; }

        /// <summary>--stats: print instructions retired and the rate to standard error at the end.</summary>
        public bool Stats { get; init; }

        /// <summary>-h/--help.</summary>
        public bool Help { get; init; }

        /// <summary>Parses the arguments after <c>run</c>.</summary>
        /// <exception cref="UsageException">An option is unknown, repeated without a value, or malformed.</exception>
        public static RunOptions Parse(IReadOnlyList<string> args)
        {
            var o = new RunOptions();
            for (int i = 0; i < args.Count; i++)
            {
                string arg = args[i];
                string? inline = null;
                if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is int eq and > 0)
                {
                    inline = arg[(eq + 1)..];
                    arg = arg[..eq];
                }

                string Value()
                {
                    if (inline != null)
                    {
                        return inline;
                    }

                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"option {arg} needs a value");
                    }

                    return args[++i];
                }

                o = arg switch
                {
                    "-k" or "--kernel" => o with { Kernel = Value() },
                    "-i" or "--initrd" => o with { Initrd = Value() },
                    "-p" or "--params" => o with { Params = Value() },
                    "-m" or "--mem" => o with { MemoryMiB = ParseMemory(Value()) },
                    "-c" or "--cpus" => o with { Cpus = ParseInt(arg, Value()) },
                    "--dtb" => o with { Dtb = Value() },
                    "--dumpdtb" => o with { DumpDtb = Value() },
                    "--timeout" => o with { TimeoutSeconds = ParseSeconds(Value()) },
                    "--deterministic" => o with { Deterministic = true },
                    "--stats" => o with { Stats = true },
                    "-h" or "--help" => o with { Help = true },
                    "-d" or "--disk" => o with { Disks = [.. o.Disks, ParseDisk(Value())] },
                    "--rng" => o with { Rng = true },
                    "--virtio-console" => o with { VirtioConsole = Value() },
                    "--net" => o with { Nets = [.. o.Nets, NetOption.Parse(Value())] },
                    "--vsock" => o with { Vsock = VsockOption.Parse(Value()) },
                    _ => throw new UsageException($"unknown option '{args[i]}'"),
                };
            }

            return o;
        }

        /// <summary>FILE or FILE,ro (kvmtool's spelling).</summary>
        private static DiskOption ParseDisk(string s)
        {
            bool readOnly = false;
            string path = s;
            if (s.EndsWith(",ro", StringComparison.Ordinal))
            {
                readOnly = true;
                path = s[..^3];
            }

            if (path.Length == 0)
            {
                throw new UsageException($"-d needs a file name, not '{s}'");
            }

            return new DiskOption(path, readOnly);
        }

        private static int ParseInt(string option, string s)
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            {
                throw new UsageException($"{option} needs a number, not '{s}'");
            }

            return v;
        }

        /// <summary>MiB, with an optional M (MiB) or G (GiB) suffix, as kvmtool accepts.</summary>
        private static int ParseMemory(string s)
        {
            long scale = 1;
            string digits = s;
            if (s.Length > 1 && char.ToUpperInvariant(s[^1]) is 'M' or 'G')
            {
                scale = char.ToUpperInvariant(s[^1]) == 'G' ? 1024 : 1;
                digits = s[..^1];
            }

            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v * scale > int.MaxValue)
            {
                throw new UsageException($"--mem needs a size in MiB, not '{s}'");
            }

            return (int)(v * scale);
        }

        private static double ParseSeconds(string s)
        {
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v <= 0 || double.IsInfinity(v))
            {
                throw new UsageException($"--timeout needs a positive number of seconds, not '{s}'");
            }

            return v;
        }
    }

    /// <summary>One -d/--disk: an image file, optionally read-only.</summary>
    public sealed record DiskOption(string Path, bool ReadOnly);
}
