using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Capvisor.Arm;
using Capvisor.Board.Boot;
using Capvisor.Board.DeviceTree;
using Capvisor.Board.Devices;
using Capvisor.Board.Interrupts;
using Capvisor.Board.Memory;
using Capvisor.Board.Timers;
using Capvisor.Board.Virtio;

namespace Capvisor.Board
{
    /// <summary>
    /// QEMU's <c>-M virt,gic-version=3 -cpu cortex-a57</c> board: RAM at 0x40000000, GICv3, PL011,
    /// PL031, generic timers, N CPUs, and the direct kernel boot. The CPUs run round-robin in
    /// slices of <see cref="VirtMachineOptions.Quantum"/> instructions on the calling thread;
    /// HVC/SMC go to the <see cref="IFirmware"/> the caller supplies.
    /// </summary>
    public sealed partial class VirtMachine : ICpuHost, IMachineControl, IDisposable
    {
        private readonly VirtMachineOptions _options;
        private readonly IFirmware? _firmware;
        private readonly SerialInputPump? _input;
        private readonly LoopDetector[] _loops;
        private readonly (IVirtioHostInput Device, VirtioMmioTransport Transport)[] _hostInputs;
        private readonly AutoResetEvent _hostWake = new(false);
        private ulong _lastEventCounter;
        private bool _inputReleased;
        private MachineExit? _exit;

        /// <summary>Builds the board and loads the boot images.</summary>
        /// <exception cref="ArgumentException">An option is out of range.</exception>
        /// <exception cref="BootImageException">A boot image cannot be loaded.</exception>
        public VirtMachine(VirtMachineOptions options, Func<IMachineControl, IFirmware>? firmware = null)
        {
            _options = options;
            if (options.CpuCount < 1 || options.CpuCount > VirtMachineOptions.MaxCpus)
            {
                throw new ArgumentException($"the number of CPUs must be 1..{VirtMachineOptions.MaxCpus}, not {options.CpuCount}");
            }

            if (options.MemoryMiB < 16 || options.MemoryMiB > VirtMachineOptions.MaxMemoryMiB)
            {
                throw new ArgumentException($"RAM must be 16..{VirtMachineOptions.MaxMemoryMiB} MiB, not {options.MemoryMiB}");
            }

            if (options.Quantum < 1)
            {
                throw new ArgumentException("the quantum must be at least one instruction");
            }

            int n = options.CpuCount;
            Clock = new MachineClock(options.Deterministic);
            Clock.Attach(n);
            Ram = new RamBlock(VirtMemoryMap.RamBase, (ulong)options.MemoryMiB << 20);
            Memory = new PhysicalAddressSpace(Ram, new MmioBus());
            Gic = new GicV3(n);
            var serialOutput = options.SerialOutput;
            _inputReleased = string.IsNullOrEmpty(options.SerialInputAfter);
            if (!_inputReleased)
            {
                serialOutput = new MarkerWatchStream(serialOutput, System.Text.Encoding.UTF8.GetBytes(options.SerialInputAfter!), () => _inputReleased = true);
            }

            Uart = new Pl011(serialOutput, new SpiLine(Gic, VirtMemoryMap.UartSpi));
            long epoch = options.Deterministic ? DeterministicEpoch : DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            Rtc = new Pl031(() => Clock.NowNs, epoch, new SpiLine(Gic, VirtMemoryMap.RtcSpi));
            Memory.MapDevice("gic-distributor", VirtMemoryMap.GicDistributor, GicV3.DistributorSize, Gic.Distributor);
            Memory.MapDevice("gic-redistributors", VirtMemoryMap.GicRedistributors, GicV3.RedistributorStride * (ulong)n, Gic.Redistributors);
            Memory.MapDevice("pl011", VirtMemoryMap.Uart, VirtMemoryMap.PrimeCellSize, Uart);
            Memory.MapDevice("pl031", VirtMemoryMap.Rtc, VirtMemoryMap.PrimeCellSize, Rtc);
            Gpio = new Pl061(new SpiLine(Gic, VirtMemoryMap.GpioSpi));
            Memory.MapDevice("pl061", VirtMemoryMap.Gpio, VirtMemoryMap.PrimeCellSize, Gpio);

            Virtio = CreateVirtioDevices(options);
            _hostInputs = [.. Virtio.Where(t => t.Transport.Device is IVirtioHostInput).Select(t => ((IVirtioHostInput)t.Transport.Device, t.Transport))];
            foreach (var (device, _) in _hostInputs)
            {
                device.InputArrived = WakeForHostInput;
            }

            Cpus = new Cpu[n];
            Timers = new GenericTimer[n];
            _loops = new LoopDetector[n];
            for (int i = 0; i < n; i++)
            {
                Cpus[i] = new Cpu(i, Memory, this);
                if (i > 0)
                {
                    // Run() runs the CPUs one after the other on one thread: one decoded copy of the code.
                    Cpus[i].ShareDecodedPages(Cpus[0]);
                }

                Timers[i] = new GenericTimer();
            }

            Gic.Connect(Cpus);
            if (options.EnableRmm)
            {
                Gpt = new GranuleProtectionTable(Ram) { Cpus = Cpus };
                Memory.GranuleProtection = Gpt;
            }

            _firmware = firmware?.Invoke(this);
            if (options.SerialInput != null)
            {
                _input = new SerialInputPump(options.SerialInput);
            }

            if (options.Kernel != null)
            {
                var kernel = KernelImage.Parse(options.Kernel, options.KernelName);
                Boot = BootLoader.Load(Memory, kernel, options.Initrd, (start, end) => DeviceTreeBlob = BuildDeviceTree(start, end));
                Cpus[0].PowerOn(Boot.Entry, Boot.X0);
                Cpus[0].X[1] = Cpus[0].X[2] = Cpus[0].X[3] = 0;
            }
            else
            {
                DeviceTreeBlob = BuildDeviceTree(null, null);
            }
        }

        /// <summary>Unix time the RTC shows at machine time 0 in deterministic mode (2026-01-01T00:00:00Z).</summary>
        public const long DeterministicEpoch = 1_767_225_600;

        /// <summary>The CPUs; index = MPIDR Aff1 * 8 + Aff0.</summary>
        public Cpu[] Cpus { get; }

        /// <summary>Each CPU's EL1 physical and virtual timers.</summary>
        public GenericTimer[] Timers { get; }

        /// <summary>The physical address space.</summary>
        public PhysicalAddressSpace Memory { get; }

        /// <summary>Guest RAM.</summary>
        public RamBlock Ram { get; }

        /// <summary>The granule protection table (<see cref="VirtMachineOptions.EnableRmm"/>), or null.</summary>
        public GranuleProtectionTable? Gpt { get; }

        /// <summary>The interrupt controller.</summary>
        public GicV3 Gic { get; }

        /// <summary>The UART.</summary>
        public Pl011 Uart { get; }

        /// <summary>The RTC.</summary>
        public Pl031 Rtc { get; }

        /// <summary>The GPIO controller; pin 3 is the power button.</summary>
        public Pl061 Gpio { get; }

        /// <summary>The virtio-mmio transports that have a device, with their transport index.</summary>
        public IReadOnlyList<(int Index, VirtioMmioTransport Transport)> Virtio { get; }

        /// <summary>Machine time and the system counter.</summary>
        public MachineClock Clock { get; }

        /// <summary>Where the boot images went, or null when no kernel was given.</summary>
        public BootLayout? Boot { get; }

        /// <summary>The device tree blob given to the guest.</summary>
        public byte[] DeviceTreeBlob { get; private set; } = [];

        /// <summary>How the last run ended, or null while running.</summary>
        public MachineExit? Exit => _exit;

        private List<(int, VirtioMmioTransport)> CreateVirtioDevices(VirtMachineOptions options)
        {
            var devices = new List<IVirtioDevice>();
            foreach (var disk in options.Disks)
            {
                devices.Add(new VirtioBlock(disk.File, disk.ReadOnly, disk.Serial));
            }

            if (options.VirtioRng)
            {
                devices.Add(new VirtioRng(options.Deterministic ? 0x6361_7076_6973_6F72ul : null));
            }

            if (options.VirtioConsoleOutput != null)
            {
                devices.Add(new VirtioConsole(options.VirtioConsoleOutput));
            }

            devices.AddRange(options.ExtraVirtioDevices);

            if (devices.Count > VirtioLayout.TransportCount)
            {
                throw new ArgumentException($"at most {VirtioLayout.TransportCount} virtio devices, not {devices.Count}");
            }

            var transports = new List<(int, VirtioMmioTransport)>();
            for (int k = 0; k < devices.Count; k++)
            {
                int index = VirtioLayout.TransportFor(k);
                var transport = new VirtioMmioTransport(devices[k], Memory, new SpiLine(Gic, VirtioLayout.FirstSpi + index));
                Memory.MapDevice($"virtio-mmio{index}", VirtioLayout.Address(index), VirtioMmioTransport.Size, transport);
                transports.Add((index, transport));
            }

            return transports;
        }

        private byte[] BuildDeviceTree(ulong? initrdStart, ulong? initrdEnd)
        {
            FdtNode root;
            if (_options.DeviceTree is { } user)
            {
                try
                {
                    root = FdtReader.Parse(user);
                }
                catch (FormatException e)
                {
                    throw new BootImageException($"the device tree file is not a valid DTB: {e.Message}");
                }

                VirtDeviceTree.ApplyChosen(root, _options.CommandLine, initrdStart, initrdEnd);
                VirtDeviceTree.ApplyMemory(root, Ram.Base, Ram.Size);
            }
            else
            {
                root = VirtDeviceTree.Build(new VirtDeviceTreeOptions
                {
                    CpuCount = _options.CpuCount,
                    RamBase = Ram.Base,
                    RamSize = Ram.Size,
                    PsciMethod = _options.PsciMethod,
                    BootArgs = _options.CommandLine,
                    InitrdStart = initrdStart,
                    InitrdEnd = initrdEnd,
                    VirtioTransports = Virtio.Select(t => t.Index).ToArray(),
                    RngSeed = _options.Deterministic
                        ? SHA256.HashData(Encoding.ASCII.GetBytes("capvisor deterministic rng-seed"))
                        : RandomNumberGenerator.GetBytes(32),
                });
            }

            return FdtWriter.Write(root);
        }

        /// <summary>Runs until the guest switches off, the timeout passes, or something stops it.</summary>
        public MachineExit Run(CancellationToken cancellation = default)
        {
            _exit = null;
            var wall = Stopwatch.StartNew();
            long quantum = _options.Quantum;
            while (true)
            {
                if (cancellation.IsCancellationRequested)
                {
                    return Finish(MachineExitReason.Cancelled, "the run was cancelled");
                }

                if (_options.Timeout is TimeSpan limit && wall.Elapsed > limit)
                {
                    return Finish(MachineExitReason.Timeout, $"timed out after {limit.TotalSeconds:0.###} s");
                }

                PumpInput();
                PumpHostInput();
                ulong slice = (ulong)quantum;
                if (Clock.Deterministic)
                {
                    ulong deadlineNs = NextDeadlineNs();
                    if (deadlineNs > Clock.SliceStartNs && deadlineNs - Clock.SliceStartNs < slice)
                    {
                        slice = deadlineNs - Clock.SliceStartNs;
                    }
                }

                bool progress = false;
                for (int i = 0; i < Cpus.Length && _exit == null; i++)
                {
                    var cpu = Cpus[i];
                    if (!cpu.PoweredOn)
                    {
                        continue;
                    }

                    ulong retired = cpu.Retired, exceptions = cpu.ExceptionsTaken;
                    Clock.BeginSlice(i, retired);
                    var why = cpu.Run((long)slice);
                    if (Cpus.Length > 1)
                    {
                        // The exclusive monitors are per CPU; other CPUs run (and store) between
                        // slices, so a reservation must not outlive its slice: an LDXR/STXR pair
                        // that straddles a switch fails and retries (a permitted spurious clear).
                        cpu.ClearExclusiveMonitor();
                    }

                    if (cpu.Retired != retired || why == CpuExit.Budget)
                    {
                        progress = true;
                    }

                    if (_loops[i].Observe(cpu, cpu.Retired - retired, cpu.ExceptionsTaken - exceptions, _options.ExceptionLoopLimit))
                    {
                        int el = Math.Max(1, cpu.CurrentEl);
                        Finish(MachineExitReason.ExceptionLoop,
                            $"exception loop on CPU {i}: ESR_EL{el}=0x{cpu.EsrEl[el]:x} ELR_EL{el}=0x{cpu.ElrEl[el]:x} FAR_EL{el}=0x{cpu.FarEl[el]:x} VBAR_EL{el}=0x{cpu.VbarEl[el]:x}");
                    }
                }

                if (Clock.Deterministic)
                {
                    Clock.Advance(slice);
                }

                UpdateTimeDevices();
                if (_exit != null)
                {
                    Uart.Flush();
                    return _exit;
                }

                if (!progress && !Idle(wall))
                {
                    Uart.Flush();
                    return _exit!;
                }
            }
        }

        /// <summary>
        /// Nothing ran this round: every powered CPU waits, or none is powered. Moves time to the
        /// next timer deadline (deterministic) or sleeps until it (real time). Returns false when
        /// the run must end.
        /// </summary>
        private bool Idle(Stopwatch wall)
        {
            Uart.Flush();
            bool anyOn = false;
            foreach (var cpu in Cpus)
            {
                if (cpu.PoweredOn)
                {
                    anyOn = true;
                    if (cpu.IrqLine || cpu.FiqLine)
                    {
                        return true; // a line rose at the end of the round: run again
                    }
                }
            }

            if (!anyOn)
            {
                Finish(MachineExitReason.AllCpusOff, "every CPU is powered off");
                return false;
            }

            ulong deadline = NextDeadlineNs();
            bool inputPossible = (_input != null && !_input.Finished) || _hostInputs.Length > 0;
            if (Clock.Deterministic)
            {
                if (GuestTransmitted())
                {
                    // Give the host a moment to answer before time jumps to the next deadline
                    // (a guest waiting for a reply would otherwise time out at once).
                    _hostWake.WaitOne(HostAnswerWait);
                    return true;
                }

                if (deadline != ulong.MaxValue)
                {
                    Clock.AdvanceTo(deadline);
                    UpdateTimeDevices();
                    return true;
                }

                if (inputPossible)
                {
                    if (_input != null && !_input.Finished)
                    {
                        _input.WaitForData(TimeSpan.FromMilliseconds(_hostInputs.Length > 0 ? 5 : 20));
                    }
                    else
                    {
                        _hostWake.WaitOne(TimeSpan.FromMilliseconds(20));
                    }

                    return true;
                }

                Finish(MachineExitReason.Deadlock, "every CPU waits for an interrupt and no timer or input can raise one");
                return false;
            }

            // Real time: sleep until the deadline, waking early for input; at most 20 ms at a time.
            ulong now = Clock.NowNs;
            var wait = TimeSpan.FromMilliseconds(20);
            if (deadline != ulong.MaxValue)
            {
                wait = deadline <= now ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Min((deadline - now) / 100, (ulong)wait.Ticks));
            }
            else if (!inputPossible && _options.Timeout == null)
            {
                Finish(MachineExitReason.Deadlock, "every CPU waits for an interrupt and no timer or input can raise one");
                return false;
            }

            if (_options.Timeout is TimeSpan limit && limit - wall.Elapsed < wait)
            {
                wait = limit - wall.Elapsed;
            }

            if (wait > TimeSpan.Zero)
            {
                if (_hostInputs.Length > 0)
                {
                    // Serial input has its own wake-up: poll it in short slices.
                    _hostWake.WaitOne(_input != null && wait > TimeSpan.FromMilliseconds(5) ? TimeSpan.FromMilliseconds(5) : wait);
                }
                else if (_input != null)
                {
                    _input.WaitForData(wait);
                }
                else
                {
                    Thread.Sleep(wait);
                }
            }

            UpdateTimeDevices();
            return true;
        }

        private MachineExit Finish(MachineExitReason reason, string message)
        {
            _exit ??= new MachineExit(reason, message);
            return _exit;
        }

        /// <summary>How long an idle machine waits for the host to answer what the guest just transmitted.</summary>
        private static readonly TimeSpan HostAnswerWait = TimeSpan.FromMilliseconds(50);

        /// <summary>Network frames and vsock data that arrived from the host, into the guest's queues.</summary>
        private void PumpHostInput()
        {
            foreach (var (device, transport) in _hostInputs)
            {
                if (device.HasInput)
                {
                    device.DeliverInput(transport);
                }
            }
        }

        private void WakeForHostInput()
        {
            try
            {
                _hostWake.Set();
            }
            catch (ObjectDisposedException)
            {
                // A frame that arrived while the machine was being disposed.
            }
        }

        private bool GuestTransmitted()
        {
            bool any = false;
            foreach (var (device, _) in _hostInputs)
            {
                any |= device.TakeTransmitted();
            }

            return any;
        }

        private void PumpInput()
        {
            if (_input == null || !_inputReleased)
            {
                return;
            }

            while (Uart.CanReceive && _input.TryRead(out byte b))
            {
                Uart.Receive(b);
            }
        }

        /// <summary>Timer outputs, the event stream and the RTC at the current machine time.</summary>
        private void UpdateTimeDevices()
        {
            ulong counter = Clock.Counter;
            for (int i = 0; i < Cpus.Length; i++)
            {
                UpdateTimerLines(i, counter);
                SendEventStream(Cpus[i], counter);
            }

            _lastEventCounter = counter;
            Rtc.Tick();
            Uart.Flush();
        }

        /// <summary>CNTKCTL_EL1 event stream: an event when the selected counter bit flips (wakes WFE).</summary>
        private void SendEventStream(Cpu cpu, ulong counter)
        {
            if (cpu.Waiting && NextEventStreamTick(cpu, _lastEventCounter) <= counter)
            {
                cpu.SendEvent();
            }
        }

        /// <summary>
        /// The first counter value after <paramref name="after"/> at which <paramref name="cpu"/>'s
        /// event stream fires (CNTKCTL_EL1.EVNTEN/EVNTDIR/EVNTI), or <see cref="ulong.MaxValue"/>.
        /// </summary>
        private static ulong NextEventStreamTick(Cpu cpu, ulong after)
        {
            ulong k = cpu.CntkctlEl1;
            if ((k & (1 << 2)) == 0)
            {
                return ulong.MaxValue;
            }

            int bit = (int)((k >> 4) & 0xF);
            ulong period = 2ul << bit;
            // EVNTDIR = 0: the bit going 0 to 1 (at half a period); 1: going 1 to 0 (at a period boundary).
            ulong phase = (k & (1 << 3)) == 0 ? period / 2 : 0;
            ulong next = (after & ~(period - 1)) + phase;
            return next > after ? next : next + period;
        }

        private void UpdateTimerLines(int cpu, ulong counter)
        {
            var t = Timers[cpu];
            Gic.SetPpiLevel(cpu, GenericTimer.PhysicalIntid, t.PhysicalOutput(counter));
            Gic.SetPpiLevel(cpu, GenericTimer.VirtualIntid, t.VirtualOutput(counter));
        }

        /// <summary>Machine time (ns) of the earliest timer deadline of a powered CPU, or <see cref="ulong.MaxValue"/>.</summary>
        private ulong NextDeadlineNs()
        {
            ulong counter = Clock.Counter;
            ulong next = ulong.MaxValue;
            for (int i = 0; i < Cpus.Length; i++)
            {
                var cpu = Cpus[i];
                if (cpu.PoweredOn)
                {
                    next = Math.Min(next, Timers[i].NextDeadline(counter));
                    if (cpu.Waiting)
                    {
                        // A CPU in WFE needs the event stream; WFI may wake spuriously, which is allowed.
                        next = Math.Min(next, NextEventStreamTick(cpu, counter));
                    }
                }
            }

            return next >= ulong.MaxValue / MachineClock.NanosecondsPerTick ? ulong.MaxValue : next * MachineClock.NanosecondsPerTick;
        }

        /// <inheritdoc/>
        bool ICpuHost.HypervisorCall(Cpu cpu, ushort imm) => _firmware?.HypervisorCall(cpu, imm) ?? false;

        /// <inheritdoc/>
        bool ICpuHost.SecureMonitorCall(Cpu cpu, ushort imm) => _firmware?.SecureMonitorCall(cpu, imm) ?? false;

        /// <inheritdoc/>
        void ICpuHost.SendEventToAll(Cpu source)
        {
            foreach (var cpu in Cpus)
            {
                cpu.SendEvent();
            }
        }

        /// <inheritdoc/>
        bool ICpuHost.TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value)
        {
            if (GenericTimer.Handles(encoding))
            {
                return Timers[cpu.Index].TryRead(encoding, Clock.CounterFor(cpu.Index, cpu.Retired), out value);
            }

            return Gic.TryReadSystemRegister(cpu.Index, encoding, out value);
        }

        /// <inheritdoc/>
        bool ICpuHost.TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value)
        {
            if (GenericTimer.Handles(encoding))
            {
                ulong now = Clock.CounterFor(cpu.Index, cpu.Retired);
                if (!Timers[cpu.Index].TryWrite(encoding, now, value))
                {
                    return false;
                }

                // The line follows CTL/CVAL at once: a handler that masks the timer must not see it again.
                UpdateTimerLines(cpu.Index, now);
                return true;
            }

            return Gic.TryWriteSystemRegister(cpu.Index, encoding, value);
        }

        /// <inheritdoc/>
        public int CpuCount => Cpus.Length;

        /// <inheritdoc/>
        public Cpu GetCpu(int index) => Cpus[index];

        /// <inheritdoc/>
        public int FindCpu(ulong mpidr)
        {
            // Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]; CPU i has Aff1 = i / 8, Aff0 = i % 8.
            if ((mpidr & 0xFF_00FF_0000ul) != 0)
            {
                return -1;
            }

            ulong aff0 = mpidr & 0xFF, aff1 = (mpidr >> 8) & 0xFF;
            if (aff0 >= 8)
            {
                return -1;
            }

            ulong index = aff1 * 8 + aff0;
            return index < (ulong)Cpus.Length ? (int)index : -1;
        }

        /// <inheritdoc/>
        public bool IsRam(ulong pa, ulong length) => Ram.Contains(pa, length);

        /// <inheritdoc/>
        public void PowerOnCpu(int index, ulong entry, ulong context)
        {
            Timers[index].Reset();
            UpdateTimerLines(index, Clock.Counter);
            Cpus[index].PowerOn(entry, context);
            _loops[index] = default;
        }

        /// <inheritdoc/>
        public void PowerOffCpu(int index) => Cpus[index].PowerOff();

        /// <inheritdoc/>
        public void SystemOff() => Stop(MachineExitReason.SystemOff, "the guest switched the system off (PSCI SYSTEM_OFF)");

        /// <inheritdoc/>
        public void SystemReset() =>
            Stop(MachineExitReason.SystemReset, "the guest asked for a reset (PSCI SYSTEM_RESET); Capvisor does not reboot");

        private void Stop(MachineExitReason reason, string message)
        {
            Finish(reason, message);
            foreach (var cpu in Cpus)
            {
                cpu.RequestStop();
            }
        }

        /// <summary>Frees guest RAM and stops the input reader.</summary>
        public void Dispose()
        {
            Uart.Flush();
            _input?.Dispose();
            foreach (var (device, _) in _hostInputs)
            {
                device.InputArrived = null;
            }

            _hostWake.Dispose();
            Ram.Dispose();
        }

        private sealed class SpiLine(GicV3 gic, int spi) : IInterruptLine
        {
            public void Set(bool level) => gic.SetSpiLevel(spi, level);
        }
    }
}
