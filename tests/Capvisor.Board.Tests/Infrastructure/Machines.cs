namespace Capvisor.Board.Tests.Infrastructure
{
    /// <summary>Machines for tests: small RAM, deterministic, test firmware.</summary>
    internal static class Machines
    {
        public static VirtMachine Create(int cpus = 1, byte[]? kernel = null, MemoryStream? output = null,
            Stream? input = null, TimeSpan? timeout = null, long quantum = 20_000) =>
            new(new VirtMachineOptions
            {
                CpuCount = cpus,
                MemoryMiB = 16,
                Kernel = kernel,
                Deterministic = true,
                SerialOutput = output,
                SerialInput = input,
                Timeout = timeout ?? TimeSpan.FromSeconds(20),
                Quantum = quantum,
            }, m => new TestFirmware(m));

        /// <summary>Runs an ELF made of <paramref name="code"/> at RAM base + 0x80000; returns the exit and the UART output.</summary>
        public static (MachineExit Exit, string Serial, VirtMachine Machine) RunProgram(IEnumerable<uint> code, int cpus = 1,
            TimeSpan? timeout = null, Stream? input = null)
        {
            var output = new MemoryStream();
            var machine = Create(cpus, A64.Elf(code, VirtMemoryMap.RamBase + 0x80000), output, input, timeout);
            var exit = machine.Run();
            return (exit, System.Text.Encoding.ASCII.GetString(output.ToArray()), machine);
        }
    }
}
