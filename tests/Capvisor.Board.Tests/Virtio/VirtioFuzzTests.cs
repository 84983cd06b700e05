using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioFuzzTests
    {
        /// <summary>
        /// Random register writes and random bytes in the rings never throw on the host: the
        /// transport either serves requests or sets DEVICE_NEEDS_RESET.
        /// </summary>
        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void RandomDriversNeverCrashTheHost(int seed)
        {
            var random = new Random(seed);
            var disk = new MemoryStream(new byte[64 * 512]);
            using var d = new FakeDriver(m => new VirtioBlock(disk, readOnly: seed == 2));
            int[] registers = [0x14, 0x20, 0x24, 0x30, 0x38, 0x44, 0x50, 0x64, 0x70, 0x80, 0x84, 0x90, 0x94, 0xA0, 0xA4];
            for (int round = 0; round < 200; round++)
            {
                d.Initialise();
                for (int i = 0; i < 50; i++)
                {
                    // Scribble over the descriptor table, the rings and the data area.
                    var ram = d.Ram.GetSpan(FakeDriver.Desc(0) + (ulong)random.Next(0xA800), 16);
                    random.NextBytes(ram);
                    if (random.Next(4) == 0)
                    {
                        // Plausible descriptors pointing into RAM, so some requests get served.
                        var desc = d.Ram.GetSpan(FakeDriver.Desc(0) + 16 * (ulong)random.Next(64), 16);
                        BitConverter.TryWriteBytes(desc, FakeDriver.DataBase + (ulong)random.Next(0x1000));
                        BitConverter.TryWriteBytes(desc[8..], (uint)random.Next(0x2000));
                    }

                    if (random.Next(8) == 0)
                    {
                        int reg = registers[random.Next(registers.Length)];
                        d.Transport.Write((ulong)reg, 4, (ulong)random.NextInt64());
                    }

                    d.Transport.Write((ulong)random.Next(0x200), 1 << random.Next(4), (ulong)random.NextInt64());
                    d.Notify(0);
                    d.Transport.Read((ulong)random.Next(0x200), 4, out _);
                }

                d.W(0x70, 0);
            }
        }
    }
}
