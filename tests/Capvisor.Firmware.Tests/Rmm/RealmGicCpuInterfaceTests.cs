using System.Buffers.Binary;
using Capvisor.Firmware.Rmm;
using G = Capvisor.Firmware.Rmm.RealmGicCpuInterface;
using L = Capvisor.Firmware.Rmm.RecRunLayout;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>The realm's GICv3 virtual CPU interface over the host's list registers (GICv3 architecture rules).</summary>
    public sealed class RealmGicCpuInterfaceTests
    {
        private static ulong Lr(uint intid, byte priority, ulong state = 1) => (state << 62) | (1UL << 60) | ((ulong)priority << 48) | intid;

        private static G Load(ulong hcr, params ulong[] lrs)
        {
            var gic = new G();
            byte[] enter = new byte[L.EnterSize];
            BinaryPrimitives.WriteUInt64LittleEndian(enter.AsSpan(L.EnterGicv3Hcr), hcr);
            for (int i = 0; i < lrs.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(enter.AsSpan(L.EnterGicv3Lrs + (i * 8)), lrs[i]);
            }

            Assert.True(gic.TryLoad(enter));
            Assert.True(gic.TryWrite(G.IccIgrpen1, 1));
            Assert.True(gic.TryWrite(G.IccPmr, 0xF0));
            return gic;
        }

        private static ulong Read(G gic, uint reg)
        {
            Assert.True(gic.TryRead(reg, out ulong v));
            return v;
        }

        [Fact]
        public void PriorityMaskAndEnableGateTheInterrupt()
        {
            G gic = Load(1, Lr(40, 0xF0));
            Assert.False(gic.IrqPending); // priority not below PMR
            Assert.Equal(G.Spurious, Read(gic, G.IccIar1));
            gic.TryWrite(G.IccPmr, 0xF8);
            Assert.True(gic.IrqPending);
            gic.TryWrite(G.IccIgrpen1, 0);
            Assert.False(gic.IrqPending);
            Assert.Equal(G.Spurious, Read(gic, G.IccIar1));

            G off = Load(0, Lr(40, 0x80)); // ICH_HCR.En = 0
            Assert.False(off.IrqPending);
        }

        [Fact]
        public void HighestPriorityFirstAndRunningPriorityBlocksUntilEoi()
        {
            G gic = Load(1, Lr(40, 0xA0), Lr(41, 0x80));
            Assert.Equal(41UL, Read(gic, G.IccIar1));
            Assert.Equal(0x80UL, Read(gic, G.IccRpr));
            Assert.False(gic.IrqPending); // 0xA0 cannot preempt 0x80
            Assert.Equal(G.Spurious, Read(gic, G.IccIar1));
            gic.TryWrite(G.IccEoir1, 41);
            Assert.Equal(40UL, Read(gic, G.IccHppir1));
            Assert.Equal(40UL, Read(gic, G.IccIar1));
            gic.TryWrite(G.IccEoir1, 40);
            Assert.Equal(0xFFUL, Read(gic, G.IccRpr));
            Assert.Equal(4UL << 8, Read(gic, G.IccCtlr) & (7UL << 8));
        }

        [Fact]
        public void SplitEoiLeavesTheInterruptActiveUntilDirAndUnknownDeactivationsCountInHcr()
        {
            G gic = Load(1, Lr(27, 0xA0));
            gic.TryWrite(G.IccCtlr, 2); // EOImode = 1
            Assert.Equal(27UL, Read(gic, G.IccIar1));
            gic.TryWrite(G.IccEoir1, 27);
            var x = new RecExecution(null!, null!, _ => null!);
            gic.Save(x);
            Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(x.Exit.AsSpan(L.ExitGicv3Lrs)) >> 62); // still active
            gic.TryWrite(G.IccDir, 27);
            gic.TryWrite(G.IccDir, 99); // in no list register
            gic.Save(x);
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(x.Exit.AsSpan(L.ExitGicv3Lrs)) >> 62);
            Assert.Equal(1UL, (BinaryPrimitives.ReadUInt64LittleEndian(x.Exit.AsSpan(L.ExitGicv3Hcr)) >> 27) & 0x1F);
        }
    }
}
