using System.Buffers.Binary;
using System.Text;
using Capvisor.Arm;
using Capvisor.Attestation.Cca;
using Capvisor.Board.DeviceTree;
using Capvisor.Board.Devices;
using Capvisor.Firmware.Hypervisor;
using Capvisor.Firmware.Rmm;
using Capvisor.Firmware.Tests.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Hypervisor
{
    /// <summary>
    /// The host VMM on a real RME board: tiny realm programs (raw images, assembled here) run
    /// through REC_ENTER and the host serves their exits; the creation sequence's RIM is checked
    /// against the independent reference model; delegated memory is out of the host's reach.
    /// </summary>
    public sealed class RealmVmmTests
    {
        private const ulong Entry = RealmVmm.RamBase + 0x8_0000; // raw images load at RAM + 0x80000
        private const ulong Uart = 0x0900_0000UL | (1UL << 32); // 128 MiB realm: 33-bit IPA

        private static RealmVmm Vmm(byte[] image, out MemoryStream serial, int cpus = 1, double timeout = 30, byte[]? initrd = null, PlatformIdentity? platform = null)
        {
            serial = new MemoryStream();
            var vmm = new RealmVmm(new RealmVmmOptions
            {
                Kernel = image,
                Initrd = initrd,
                CpuCount = cpus,
                SerialOutput = serial,
                Deterministic = true,
                Timeout = TimeSpan.FromSeconds(timeout),
                Platform = platform,
            });
            vmm.Build();
            return vmm;
        }

        [Fact]
        public void RealmWritesThePl011AtItsUnprotectedAliasAndSwitchesOff()
        {
            var a = new A64();
            a.Mov(1, Uart);
            a.Movz32(2, 'A');
            a.StrW(2, 1, 0);          // DR <- 'A'
            a.LdrW(3, 1, 0x18);       // FR (emulated read at offset 0x18)
            a.StrW(3, 1, 0);          // DR <- FR
            a.SystemOff();
            using var vmm = Vmm(a.Bytes(), out var serial);
            Assert.Equal(33, vmm.IpaBits);
            RealmRunResult r = vmm.Run();
            Assert.Equal(RealmRunEnd.SystemOff, r.End);
            Assert.Equal(0, r.ExitCode);
            new Pl011(null, null).Read(0x18, 4, out ulong fr);
            Assert.Equal(new byte[] { (byte)'A', (byte)fr }, serial.ToArray());
        }

        [Fact]
        public void ProtectedRamWithoutAGranuleIsBackedOnFirstTouch()
        {
            const ulong far = RealmVmm.RamBase + (3UL << 20) + 0x123 * 8; // RIPAS RAM, never populated
            var a = new A64();
            a.Mov(4, far);
            a.Movz32(5, 'Z');
            a.StrX(5, 4, 0);
            a.LdrX(6, 4, 0);
            a.Mov(1, Uart);
            a.StrW(6, 1, 0);
            a.SystemOff();
            using var vmm = Vmm(a.Bytes(), out var serial);
            int before = vmm.Realm.DataIpas.Count;
            Assert.Equal(RealmRunEnd.SystemOff, vmm.Run().End);
            Assert.Equal("Z", Encoding.ASCII.GetString(serial.ToArray()));
            Assert.Contains(far & ~0xFFFUL, vmm.Realm.DataIpas.Skip(before));
            Assert.True(vmm.ExitCounts[RecRunLayout.ExitSync] >= 1);
        }

        [Fact]
        public void HostCallsAreAnsweredAsSmcccCalls()
        {
            const ulong call = Entry + 0x1000; // in the populated 64 KiB, 256-byte aligned
            var a = new A64();
            a.Mov(1, Uart);
            a.Mov(4, call);
            foreach (ulong fid in new[] { RealmVmm.SmcccVersion, 0x8400_ABCDUL })
            {
                a.Mov(5, fid);
                a.StrX(5, 4, 8);      // gprs[0]
                a.Mov(0, 0xC400_0199); // RSI_HOST_CALL
                a.Mov(1, call);
                a.Smc();
                a.Mov(1, Uart);
                a.LdrX(6, 4, 8);
                a.StrW(6, 1, 0);      // low byte of the answer
            }

            a.SystemOff();
            using var vmm = Vmm(a.Bytes(), out var serial);
            Assert.Equal(RealmRunEnd.SystemOff, vmm.Run().End);
            Assert.Equal(new byte[] { 0x01, 0xFF }, serial.ToArray()); // 0x10001, NOT_SUPPORTED
            Assert.Equal(2, vmm.ExitCounts[RecRunLayout.ExitHostCall]);
        }

        [Fact]
        public void CpuOnStartsASecondRecThroughPsciComplete()
        {
            const ulong second = Entry + 0x800;
            var a = new A64();
            a.Mov(0, 0xC400_0003);     // PSCI CPU_ON
            a.Mov(1, 1);               // MPIDR of vCPU 1
            a.Mov(2, second);
            a.Mov(3, 0);
            a.Smc();
            a.Loop();
            a.At(0x800);
            a.Mov(1, Uart);
            a.Movz32(2, 'B');
            a.StrW(2, 1, 0);
            a.SystemOff();
            using var vmm = Vmm(a.Bytes(), out var serial, cpus: 2);
            RealmRunResult r = vmm.Run();
            Assert.Equal(RealmRunEnd.SystemOff, r.End);
            Assert.Equal("B", Encoding.ASCII.GetString(serial.ToArray()));
            Assert.Equal(2, vmm.ExitCounts[RecRunLayout.ExitPsci]); // CPU_ON, then SYSTEM_OFF
        }

        [Fact]
        public void RipasChangesAreAppliedWithRttSetRipas()
        {
            var a = new A64();
            a.Mov(0, 0xC400_0197);          // RSI_IPA_STATE_SET
            a.Mov(1, RealmVmm.RamBase + (2UL << 20));
            a.Mov(2, RealmVmm.RamBase + (4UL << 20));
            a.Mov(3, 0);                    // RIPAS EMPTY
            a.Mov(4, 0);
            a.Smc();
            a.Emit(0xD354FC25);             // lsr x5, x1, #20 (top reached, in MiB)
            a.Emit(0x9100C046);             // add x6, x2, #'0' (response)
            a.Mov(1, Uart);
            a.StrW(5, 1, 0);
            a.StrW(6, 1, 0);
            a.SystemOff();
            using var vmm = Vmm(a.Bytes(), out var serial);
            Assert.Equal(RealmRunEnd.SystemOff, vmm.Run().End);
            Assert.Equal(1, vmm.ExitCounts[RecRunLayout.ExitRipasChange]);
            Assert.Equal(new byte[] { 0x04, (byte)'0' }, serial.ToArray()); // 0x404 MiB reached, ACCEPT
            RmiResult e = vmm.Rmi.Call(F.RttReadEntry, vmm.Realm.Rd, RealmVmm.RamBase + (2UL << 20), 2);
            Assert.Equal((ulong)Ripas.Empty, e.X4);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void RandomRealmCodeNeverCrashesTheHost(int seed)
        {
            // Random words with a sprinkling of SMCs whose X0 is a random RSI/PSCI function ID:
            // every exit the realm can provoke is served or ends the run, never a host exception.
            var rng = new Random(seed);
            var a = new A64();
            ulong[] fids = [0xC4000190, 0xC4000192, 0xC4000193, 0xC4000194, 0xC4000195, 0xC4000196, 0xC4000197, 0xC4000198, 0xC4000199, 0xC4000003, 0x84000002];
            for (int i = 0; i < 600; i++)
            {
                switch (rng.Next(8))
                {
                    case 0:
                        a.Mov(0, fids[rng.Next(fids.Length)]);
                        a.Mov(1, RealmVmm.RamBase + ((ulong)rng.Next(1 << 16) << 12) | (rng.Next(2) == 0 ? 0 : 1UL << 32));
                        a.Mov(2, (ulong)rng.NextInt64());
                        a.Smc();
                        break;
                    case 1:
                        a.Mov(1, Uart + (ulong)(rng.Next(0x400) * 4));
                        a.LdrW(2, 1, 0);
                        break;
                    default:
                        a.Emit((uint)rng.NextInt64(0, 1L << 32));
                        break;
                }
            }

            using var vmm = Vmm(a.Bytes(), out _, cpus: 2, timeout: 0.3);
            RealmRunResult r = vmm.Run();
            Assert.NotNull(r.Message);
            Assert.NotEqual(RealmRunEnd.HostError, r.End);
        }

        [Fact]
        public void ARealmThatLoopsForeverIsEndedByTheTimeout()
        {
            var a = new A64();
            a.Loop();
            using var vmm = Vmm(a.Bytes(), out _, timeout: 0.5);
            RealmRunResult r = vmm.Run();
            Assert.Equal(RealmRunEnd.Timeout, r.End);
            Assert.Equal(1, r.ExitCode);
        }

        [Fact]
        public void UnemulatableAccessesGetAnAbortInTheRealmNotAHostCrash()
        {
            // An LDP from the PL011 alias (no ISV) and a store to an unprotected address with no
            // device: the host injects SEAs; the realm (VBAR_EL1 = 0, outside RAM) then faults
            // without end, and the run ends by the timeout, not with a host exception.
            var a = new A64();
            a.Mov(1, Uart);
            a.Emit(0xA9400C22);        // ldp x2, x3, [x1]
            a.Mov(1, 0x0C00_0000UL | (1UL << 32));
            a.StrW(2, 1, 0);
            a.SystemOff();
            using var vmm = Vmm(a.Bytes(), out var serial, timeout: 1);
            RealmRunResult r = vmm.Run();
            Assert.Contains(r.End, new[] { RealmRunEnd.Timeout, RealmRunEnd.RealmError });
            Assert.Empty(serial.ToArray());
        }

        [Fact]
        public void TheRimOfTheBuiltRealmIsTheReferenceModels()
        {
            byte[] image = new byte[70_000];
            new Random(7).NextBytes(image);
            byte[] initrd = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("initrd ", 3000)));
            using var vmm = Vmm(image, out _, cpus: 2, initrd: initrd);

            // The images as the realm sees them, rebuilt from the layout the host reports.
            var ipaSpace = new Dictionary<ulong, byte>();
            void Place(ulong ipa, byte[] data)
            {
                for (int i = 0; i < data.Length; i++)
                {
                    ipaSpace[ipa + (ulong)i] = data[i];
                }
            }

            Place(Entry, image);
            Place(vmm.Layout!.InitrdStart!.Value, initrd);
            Place(vmm.Layout.DtbAddress, vmm.DeviceTreeBlob);
            var model = new ReferenceRim(sha512: false);
            model.RealmCreate(0, 33, 0, 5, 3, 0);
            model.InitRipas(RealmVmm.RamBase, RealmVmm.RamBase + (128UL << 20), RealmBuilder.KvmStartLevel(33));
            foreach ((ulong start, ulong end) in vmm.PopulatedRanges)
            {
                for (ulong g = start; g < end; g += 4096)
                {
                    byte[] granule = new byte[4096];
                    for (int i = 0; i < 4096; i++)
                    {
                        granule[i] = ipaSpace.GetValueOrDefault(g + (ulong)i);
                    }

                    model.Data(g, granule, measureContent: true);
                }
            }

            ulong[] gprs = new ulong[8];
            gprs[0] = vmm.Layout.DtbAddress;
            model.Rec(RecParams.FlagRunnable, Entry, gprs);

            RealmDescriptor realm = vmm.Monitor.Rmm!.FindRealm(vmm.Realm.Rd)!;
            Assert.Equal(Convert.ToHexStringLower(model.Rim.AsSpan(0, 32)), Convert.ToHexStringLower(realm.Rim));
            Assert.Equal(Convert.ToHexStringLower(realm.Rim), Convert.ToHexStringLower(vmm.Realm.ExpectedRim));

            // Every blob is covered, 64 KiB aligned; the DTB is the virt board's with PSCI over SMC
            // and the realm's RAM.
            Assert.All(vmm.PopulatedRanges, r => Assert.True(r.Start % 0x10000 == 0 && r.End % 0x10000 == 0));
            FdtNode dt = FdtReader.Parse(vmm.DeviceTreeBlob);
            Assert.Equal("smc", dt.Find("/psci")!.GetStrings("method")![0]);
            Assert.Equal(new uint[] { 0, 0x4000_0000, 0, 128 << 20 }, dt.Find("/memory@40000000")!.GetCells("reg"));
            Assert.Null(dt.Find("/chosen")!.Get("rng-seed")); // the DTB is measured: nothing random in it
        }

        [Fact]
        public void TheHostAndNonSecureCodeCannotReadDelegatedRealmMemory()
        {
            byte[] image = Enumerable.Repeat((byte)0x5A, 8192).ToArray();
            using var vmm = Vmm(image, out _);
            RmiResult entry = vmm.Rmi.Call(F.RttReadEntry, vmm.Realm.Rd, Entry, 3);
            Assert.Equal(RmiStatus.Success, entry.Status);
            ulong pa = entry.X3 & 0x0000_FFFF_FFFF_F000UL;
            Assert.NotEqual(0UL, pa);

            // The host's own accessors fault: no data comes back.
            byte[] buffer = new byte[64];
            Assert.Throws<UnauthorizedAccessException>(() => vmm.HostMemory.Read(pa, buffer));
            Assert.Throws<UnauthorizedAccessException>(() => vmm.HostMemory.Write(pa, buffer));
            Assert.Throws<UnauthorizedAccessException>(() => vmm.Machine.Ram.GetSpan(pa, 64));
            Assert.Equal(PhysicalFault.GranuleProtection, vmm.Machine.Memory.ReadRam(pa, buffer));
            Assert.All(buffer, b => Assert.Equal(0, b));

            // RMI cannot be talked into it either: undelegating a DATA granule fails.
            Assert.NotEqual(RmiStatus.Success, vmm.Rmi.Call(F.GranuleUndelegate, pa).Status);

            // A Non-secure program loading from it takes a granule protection fault (DFSC 0x28) and
            // its destination register keeps its old value.
            ulong code = vmm.HostMemory.AllocateGranule();
            byte[] program = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(program, 0xF9400001); // ldr x1, [x0]
            BinaryPrimitives.WriteUInt32LittleEndian(program.AsSpan(4), 0x14000000); // b .
            vmm.HostMemory.Write(code, program);
            Cpu cpu = vmm.Machine.Cpus[0];
            cpu.PowerOn(code, pa);
            cpu.X[1] = 0x1111;
            cpu.Run(1);
            Assert.Equal(0x25UL, cpu.EsrEl[1] >> 26);
            Assert.Equal(0x28UL, cpu.EsrEl[1] & 0x3F);
            Assert.Equal(0x1111UL, cpu.X[1]);
        }

        /// <summary>A few A64 encodings, enough for the test programs.</summary>
        private sealed class A64
        {
            private readonly List<uint> _words = new();

            public void Emit(uint word) => _words.Add(word);

            public void At(int offset)
            {
                while (_words.Count * 4 < offset)
                {
                    _words.Add(0x14000000); // b .
                }
            }

            public void Mov(int rd, ulong value)
            {
                Emit(0xD2800000u | ((uint)(value & 0xFFFF) << 5) | (uint)rd);
                for (int hw = 1; hw < 4; hw++)
                {
                    uint part = (uint)(value >> (16 * hw)) & 0xFFFF;
                    if (part != 0)
                    {
                        Emit(0xF2800000u | ((uint)hw << 21) | (part << 5) | (uint)rd);
                    }
                }
            }

            public void Movz32(int rd, uint imm) => Emit(0x52800000u | (imm << 5) | (uint)rd);

            public void StrW(int rt, int rn, int offset) => Emit(0xB9000000u | ((uint)(offset / 4) << 10) | ((uint)rn << 5) | (uint)rt);

            public void LdrW(int rt, int rn, int offset) => Emit(0xB9400000u | ((uint)(offset / 4) << 10) | ((uint)rn << 5) | (uint)rt);

            public void StrX(int rt, int rn, int offset) => Emit(0xF9000000u | ((uint)(offset / 8) << 10) | ((uint)rn << 5) | (uint)rt);

            public void LdrX(int rt, int rn, int offset) => Emit(0xF9400000u | ((uint)(offset / 8) << 10) | ((uint)rn << 5) | (uint)rt);

            public void Smc() => Emit(0xD4000003);

            public void Loop() => Emit(0x14000000);

            public void SystemOff()
            {
                Mov(0, 0x8400_0008);
                Smc();
                Loop();
            }

            public byte[] Bytes()
            {
                byte[] b = new byte[_words.Count * 4];
                for (int i = 0; i < _words.Count; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), _words[i]);
                }

                return b;
            }
        }
    }
}
