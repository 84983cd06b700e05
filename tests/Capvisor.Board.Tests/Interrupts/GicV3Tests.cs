using Capvisor.Arm;
using Capvisor.Board.Interrupts;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Interrupts
{
    /// <summary>The GIC through the guest's eyes: MMIO on the board's bus and ICC registers through the CPU host interface.</summary>
    public sealed class GicV3Tests : IDisposable
    {
        private const ulong D = VirtMemoryMap.GicDistributor;
        private const ulong R = VirtMemoryMap.GicRedistributors;
        private const ulong Sgi = 0x1_0000;
        private readonly VirtMachine _m = Machines.Create(cpus: 2);

        public void Dispose() => _m.Dispose();

        private Cpu Cpu0 => _m.Cpus[0];

        private ulong Read(ulong pa, int size = 4)
        {
            Assert.Equal(PhysicalFault.None, _m.Memory.Read(Cpu0, pa, size, SecurityState.NonSecure, out ulong v));
            return v;
        }

        private void Write(ulong pa, ulong value, int size = 4) =>
            Assert.Equal(PhysicalFault.None, _m.Memory.Write(Cpu0, pa, size, SecurityState.NonSecure, value));

        private ulong Icc(int cpu, uint encoding)
        {
            Assert.True(((ICpuHost)_m).TryReadSystemRegister(_m.Cpus[cpu], encoding, out ulong v));
            return v;
        }

        private void Icc(int cpu, uint encoding, ulong value) =>
            Assert.True(((ICpuHost)_m).TryWriteSystemRegister(_m.Cpus[cpu], encoding, value));

        /// <summary>What Linux's GICv3 driver does at boot, for both CPUs.</summary>
        private void LinuxLikeInit()
        {
            Write(D + 0x0000, 0x13); // ARE, EnableGrp1, EnableGrp0
            for (int c = 0; c < 2; c++)
            {
                ulong rd = R + (ulong)c * 0x20000;
                Write(rd + 0x14, 0); // wake
                Write(rd + Sgi + 0x80, 0xFFFF_FFFF); // all group 1
                for (int i = 0; i < 32; i += 4)
                {
                    Write(rd + Sgi + 0x400 + (ulong)i, 0xA0A0_A0A0);
                }

                Icc(c, GicV3.Registers.ICC_PMR_EL1, 0xF0);
                Icc(c, GicV3.Registers.ICC_IGRPEN1_EL1, 1);
            }

            for (int w = 1; w < 9; w++)
            {
                Write(D + 0x80 + (ulong)w * 4, 0xFFFF_FFFF);
            }
        }

        [Fact]
        public void IdentificationAndTyper()
        {
            Assert.Equal(0x30ul, Read(D + 0xFFE8) & 0xF0); // GICD_PIDR2.ArchRev = 3
            Assert.Equal(0x30ul, Read(R + 0xFFE8) & 0xF0);
            ulong typer = Read(D + 0x4);
            Assert.Equal(7ul, typer & 0x1F); // 256 INTIDs, as QEMU 7.2
            Assert.Equal(0ul, typer & (1 << 17)); // no LPIs
            Assert.Equal(0x50ul, Read(D) & 0x50); // ARE and DS read as one
            ulong t0 = Read(R + 0x8, 8), t1 = Read(R + 0x20000 + 0x8, 8);
            Assert.Equal(0ul, t0 >> 32);
            Assert.Equal(0ul, t0 & 0x10); // not last
            Assert.Equal(1ul, t1 >> 32); // affinity 0.0.0.1
            Assert.Equal(0x10ul, t1 & 0x10); // last
            Assert.Equal(0x100ul, t1 & 0xFFFF00); // processor number 1
        }

        [Fact]
        public void WakerFollowsProcessorSleep()
        {
            Assert.Equal(6ul, Read(R + 0x14));
            Write(R + 0x14, 0);
            Assert.Equal(0ul, Read(R + 0x14));
        }

        [Fact]
        public void RedistributorFramesBeyondTheLastCpuAbort()
        {
            Assert.Equal(PhysicalFault.ExternalAbort, _m.Memory.Read(Cpu0, R + 2 * 0x20000, 4, SecurityState.NonSecure, out _));
        }

        [Fact]
        public void SpiRoutedToCpu1IsAcknowledgedAndEoiedThere()
        {
            LinuxLikeInit();
            const int intid = 40;
            Write(D + 0x400 + intid, 0x80, size: 1); // byte access to IPRIORITYR
            Assert.Equal(0x80ul, Read(D + 0x400 + intid, 1));
            Write(D + 0x6000 + intid * 8, 0x1, size: 8); // IROUTER: CPU 1
            Write(D + 0x100 + (intid / 32) * 4, 1u << (intid % 32)); // ISENABLER
            _m.Gic.SetSpiLevel(intid - 32, true);
            Assert.False(_m.Cpus[0].IrqLine);
            Assert.True(_m.Cpus[1].IrqLine);
            Assert.Equal((ulong)intid, Icc(1, GicV3.Registers.ICC_HPPIR1_EL1));
            Assert.Equal((ulong)intid, Icc(1, GicV3.Registers.ICC_IAR1_EL1));
            Assert.Equal(0x80ul, Icc(1, GicV3.Registers.ICC_RPR_EL1));
            Assert.False(_m.Cpus[1].IrqLine); // active: not signalled again
            Assert.True(_m.Gic.IsActive(1, intid));
            Assert.True(_m.Gic.IsPending(1, intid)); // level still high: active and pending
            _m.Gic.SetSpiLevel(intid - 32, false);
            Icc(1, GicV3.Registers.ICC_EOIR1_EL1, intid);
            Assert.False(_m.Gic.IsActive(1, intid));
            Assert.Equal(0xFFul, Icc(1, GicV3.Registers.ICC_RPR_EL1));
            Assert.Equal(GicV3.SpuriousIntid, Icc(1, GicV3.Registers.ICC_IAR1_EL1));
        }

        [Fact]
        public void LevelInterruptReassertsAfterEoiWhileTheLineIsHigh()
        {
            LinuxLikeInit();
            Write(D + 0x100 + 4, 1u << 1); // enable INTID 33 (UART's SPI 1)
            _m.Gic.SetSpiLevel(1, true);
            Assert.Equal(33ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Icc(0, GicV3.Registers.ICC_EOIR1_EL1, 33);
            Assert.True(Cpu0.IrqLine);
            Assert.Equal(33ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
        }

        [Fact]
        public void EdgeInterruptIsConsumedByAcknowledge()
        {
            LinuxLikeInit();
            Write(D + 0xC00 + 8, 2u << 2); // ICFGR2: INTID 33 edge-triggered
            Write(D + 0x100 + 4, 1u << 1);
            _m.Gic.SetSpiLevel(1, true);
            Assert.Equal(33ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Icc(0, GicV3.Registers.ICC_EOIR1_EL1, 33);
            Assert.False(Cpu0.IrqLine);
            Assert.False(_m.Gic.IsPending(0, 33));
        }

        [Fact]
        public void HigherPriorityPreemptsAndPriorityDropsInOrder()
        {
            LinuxLikeInit();
            Write(R + Sgi + 0x400 + 20, 0x8000_0000u); // INTID 23 priority 0x80
            Write(R + Sgi + 0x400 + 24, 0x0000_0040u); // INTID 24 priority 0x40
            Write(R + Sgi + 0x100, (1u << 23) | (1u << 24));
            Write(R + Sgi + 0x200, 1u << 23); // ISPENDR: 23 only
            Assert.Equal(23ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Assert.False(Cpu0.IrqLine);
            Write(R + Sgi + 0x200, 1u << 24);
            Assert.True(Cpu0.IrqLine); // 0x40 preempts running 0x80
            Assert.Equal(24ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Assert.Equal(0x40ul, Icc(0, GicV3.Registers.ICC_RPR_EL1));
            Icc(0, GicV3.Registers.ICC_EOIR1_EL1, 24);
            Assert.Equal(0x80ul, Icc(0, GicV3.Registers.ICC_RPR_EL1));
            Icc(0, GicV3.Registers.ICC_EOIR1_EL1, 23);
            Assert.Equal(0xFFul, Icc(0, GicV3.Registers.ICC_RPR_EL1));
        }

        [Fact]
        public void PriorityMaskBlocksSignalling()
        {
            LinuxLikeInit();
            Write(R + Sgi + 0x100, 1u << 20);
            Write(R + Sgi + 0x200, 1u << 20); // priority 0xA0
            Assert.True(Cpu0.IrqLine);
            Icc(0, GicV3.Registers.ICC_PMR_EL1, 0xA0);
            Assert.False(Cpu0.IrqLine);
            Assert.Equal(GicV3.SpuriousIntid, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Assert.Equal(20ul, Icc(0, GicV3.Registers.ICC_HPPIR1_EL1)); // HPPIR ignores the mask
        }

        [Fact]
        public void EoiModeOneSplitsPriorityDropAndDeactivation()
        {
            LinuxLikeInit();
            Icc(0, GicV3.Registers.ICC_CTLR_EL1, 2);
            Assert.Equal(2ul, Icc(0, GicV3.Registers.ICC_CTLR_EL1) & 3);
            Write(R + Sgi + 0x100, 1u << 19);
            Write(R + Sgi + 0x200, 1u << 19);
            Assert.Equal(19ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Icc(0, GicV3.Registers.ICC_EOIR1_EL1, 19);
            Assert.Equal(0xFFul, Icc(0, GicV3.Registers.ICC_RPR_EL1));
            Assert.True(_m.Gic.IsActive(0, 19));
            Icc(0, GicV3.Registers.ICC_DIR_EL1, 19);
            Assert.False(_m.Gic.IsActive(0, 19));
        }

        [Fact]
        public void Sgi1rTargetsOtherCpus()
        {
            LinuxLikeInit();
            Write(R + 0x20000 + Sgi + 0x100, 0xFFFF); // CPU 1 enables its SGIs
            Write(R + Sgi + 0x100, 0xFFFF);
            Icc(0, GicV3.Registers.ICC_SGI1R_EL1, (5ul << 24) | 0b10); // SGI 5 to Aff0 1
            Assert.False(Cpu0.IrqLine);
            Assert.True(_m.Cpus[1].IrqLine);
            Assert.Equal(5ul, Icc(1, GicV3.Registers.ICC_IAR1_EL1));
            Icc(1, GicV3.Registers.ICC_EOIR1_EL1, 5);
            Icc(1, GicV3.Registers.ICC_SGI1R_EL1, (3ul << 24) | (1ul << 40)); // IRM: all but self
            Assert.True(Cpu0.IrqLine);
            Assert.False(_m.Cpus[1].IrqLine);
            Assert.Equal(3ul, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
        }

        [Fact]
        public void Group0IsSignalledAsFiq()
        {
            LinuxLikeInit();
            Write(R + Sgi + 0x80, 0xFFFF_FFFE); // INTID 0 group 0
            Icc(0, GicV3.Registers.ICC_IGRPEN0_EL1, 1);
            Write(R + Sgi + 0x100, 1);
            Icc(0, GicV3.Registers.ICC_SGI0R_EL1, 1); // SGI 0 to self
            Assert.True(Cpu0.FiqLine);
            Assert.False(Cpu0.IrqLine);
            Assert.Equal(GicV3.SpuriousIntid, Icc(0, GicV3.Registers.ICC_IAR1_EL1));
            Assert.Equal(0ul, Icc(0, GicV3.Registers.ICC_IAR0_EL1));
            Assert.Equal(1ul << (0xA0 >> 3), Icc(0, GicV3.Registers.ICC_AP0R0_EL1)); // active priority 0xA0
        }

        [Fact]
        public void DisabledDistributorGroupStopsSpisAndPpis()
        {
            LinuxLikeInit();
            Write(R + Sgi + 0x100, 1u << 27);
            _m.Gic.SetPpiLevel(0, 27, true);
            Assert.True(Cpu0.IrqLine);
            Write(D, 0x10);
            Assert.False(Cpu0.IrqLine);
        }

        [Fact]
        public void CpuInterfaceConstants()
        {
            Assert.Equal(7ul, Icc(0, GicV3.Registers.ICC_SRE_EL1));
            ulong ctlr = Icc(0, GicV3.Registers.ICC_CTLR_EL1);
            Assert.Equal(4ul, (ctlr >> 8) & 7); // 5 priority bits
            Icc(0, GicV3.Registers.ICC_PMR_EL1, 0xFF);
            Assert.Equal(0xF8ul, Icc(0, GicV3.Registers.ICC_PMR_EL1));
            Icc(0, GicV3.Registers.ICC_BPR1_EL1, 0);
            Assert.Equal(3ul, Icc(0, GicV3.Registers.ICC_BPR1_EL1)); // clamped to the minimum
            Assert.False(((ICpuHost)_m).TryReadSystemRegister(Cpu0, GicV3.Registers.ICC_EOIR1_EL1, out _));
            Assert.False(((ICpuHost)_m).TryWriteSystemRegister(Cpu0, GicV3.Registers.ICC_IAR1_EL1, 0));
        }

        [Fact]
        public void HostileAccessesNeverThrow()
        {
            var rng = new Random(1234);
            int[] sizes = [1, 2, 4, 8];
            for (int i = 0; i < 20000; i++)
            {
                ulong pa = rng.Next(3) switch
                {
                    0 => D + (ulong)rng.Next(0x10000),
                    _ => R + (ulong)rng.Next(0x40000),
                };
                int size = sizes[rng.Next(4)];
                ulong value = (ulong)rng.NextInt64();
                if (rng.Next(2) == 0)
                {
                    _m.Memory.Write(Cpu0, pa, size, SecurityState.NonSecure, value);
                }
                else
                {
                    _m.Memory.Read(Cpu0, pa, size, SecurityState.NonSecure, out _);
                }

                uint enc = Capvisor.Arm.SysReg.Encode(3, 0, 12, (uint)rng.Next(16), (uint)rng.Next(8));
                ((ICpuHost)_m).TryWriteSystemRegister(_m.Cpus[rng.Next(2)], enc, value);
                ((ICpuHost)_m).TryReadSystemRegister(_m.Cpus[rng.Next(2)], enc, out _);
            }
        }
    }
}
