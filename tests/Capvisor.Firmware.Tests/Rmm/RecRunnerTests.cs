using Capvisor.Firmware.Rmm;
using static Capvisor.Board.Tests.Infrastructure.A64;
using static Capvisor.Firmware.Tests.Rmm.RealmAsm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using L = Capvisor.Firmware.Rmm.RecRunLayout;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>REC_ENTER on the board's CPU model: exits, entry completion, faults the realm takes.</summary>
    public sealed class RecRunnerTests
    {
        private const ulong Secret = 0xDEAD_BEEF_5EC2_E700;
        private const ulong Pl011 = 0x0900_0000 | BoardRealm.UnprotectedBit;

        private static uint Ec(ulong esr) => (uint)(esr >> 26) & 0x3F;

        /// <summary>The exit record holds nothing of the realm's registers beyond gprs[0..count).</summary>
        private static void AssertNoOtherGprs(BoardRealm r, int count)
        {
            for (int i = count; i < 31; i++)
            {
                Assert.Equal(0UL, r.ExitGpr(i));
            }

            Assert.DoesNotContain(Secret, Enumerable.Range(0, 31).Select(r.ExitGpr));
        }

        [Fact]
        public void MmioWriteExitsWithTheValueOnlyAndMmioReadCompletesWithTheHostsValue()
        {
            byte[] image = Program(Mov64(5, Secret)
                .Concat(Mov64(1, Pl011)).Append(Movz(2, 'A')).Append(StrB(2, 1))
                .Append(LdrW(3, 1, 0x18)).Append(Save(3, 0)));
            using var r = new BoardRealm(image);

            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitSync, r.ExitReason);
            ulong esr = r.ExitEsr;
            Assert.Equal(0x24u, Ec(esr));
            Assert.Equal(1UL, (esr >> 24) & 1); // ISV
            Assert.Equal(0UL, (esr >> 22) & 3); // SAS: byte
            Assert.Equal(1UL, (esr >> 6) & 1);  // WnR
            Assert.Equal(0UL, (esr >> 16) & 0x1F); // SRT is the RMM's business
            Assert.Equal(Pl011, r.ExitIpa);
            Assert.Equal(0UL, r.ExitFar); // the offset in the page only (TF-RMM: far & ~GRANULE_MASK)
            Assert.Equal((ulong)'A', r.ExitGpr(0));
            AssertNoOtherGprs(r, 1);

            RmmHarness.Ok(r.Enter(L.EnterFlagEmulMmio));
            Assert.Equal(L.ExitSync, r.ExitReason);
            esr = r.ExitEsr;
            Assert.Equal(0x24u, Ec(esr));
            Assert.Equal(1UL, (esr >> 24) & 1);
            Assert.Equal(2UL, (esr >> 22) & 3); // word
            Assert.Equal(0UL, (esr >> 6) & 1);
            Assert.Equal(0UL, (esr >> 15) & 1); // SF: W register
            Assert.Equal(Pl011, r.ExitIpa);
            Assert.Equal(0x18UL, r.ExitFar);
            AssertNoOtherGprs(r, 0);

            RmmHarness.Ok(r.Enter(L.EnterFlagEmulMmio, 0xFFFF_FFFF_8000_0090));
            Assert.Equal(L.ExitIrq, r.ExitReason); // spins at the end of the program
            Assert.Equal(0x8000_0090UL, r.Result(0));

            // Nothing to complete any more.
            RmmHarness.Status(r.Enter(L.EnterFlagEmulMmio), RmiStatus.ErrorRec);
            RmmHarness.Status(r.Enter(L.EnterFlagInjectSea), RmiStatus.ErrorRec);
        }

        [Fact]
        public void InjectSeaAfterAnUnprotectedAbortIsTakenByTheRealm()
        {
            byte[] image = Program(Mov64(1, Pl011 + 0x18).Append(LdrW(3, 1)).Append(Save(3, 0)));
            using var r = new BoardRealm(image);
            RmmHarness.Status(r.Enter(L.EnterFlagInjectSea), RmiStatus.ErrorRec);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitSync, r.ExitReason);
            RmmHarness.Ok(r.Enter(L.EnterFlagInjectSea));
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(1UL, r.Result(SlotVectorTaken));
            ulong esr = r.Result(SlotEsr);
            Assert.Equal(0x25u, Ec(esr)); // data abort, same EL
            Assert.Equal(0x10UL, esr & 0x3F);
            Assert.Equal(Pl011 + 0x18, r.Result(SlotFar));
            Assert.Equal(0UL, r.Result(0));
        }

        [Fact]
        public void ProtectedRamWithoutAGranuleExitsWithThePageOnlyAndRunsOnceTheHostCreatesIt()
        {
            const ulong ipa = BoardRealm.UnpopulatedIpa + 0x1_0008;
            byte[] image = Program(Mov64(5, Secret).Concat(Mov64(10, ipa)).Concat(Mov64(11, 0x77))
                .Append(StrX(11, 10)).Append(LdrX(12, 10)).Append(Save(12, 0)));
            using var r = new BoardRealm(image);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitSync, r.ExitReason);
            ulong esr = r.ExitEsr;
            Assert.Equal(0x24u, Ec(esr));
            Assert.Equal(0UL, esr & ~RealmCpuRunner.EsrNonEmulatedAbortMask);
            Assert.Equal(0x07UL, esr & 0x3F); // translation fault, level 3
            Assert.Equal(0UL, r.ExitFar);
            Assert.Equal(ipa & ~0xFFFUL, r.ExitIpa);
            AssertNoOtherGprs(r, 0);

            r.CreateUnknown(ipa);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(0x77UL, r.Result(0));
            Assert.Equal(0UL, r.Result(SlotVectorTaken));
        }

        [Fact]
        public void RipasEmptyAccessIsAnExternalAbortInTheRealmAfterIpaStateSetRoundTrip()
        {
            const ulong b = BoardRealm.UnpopulatedIpa, t = BoardRealm.UnpopulatedIpa + 0x2_0000;
            byte[] image = Program(SmcSaving(0, 3, RsiFunctionId.IpaStateSet, b, t, 0, 0)
                .Concat(SmcSaving(3, 3, RsiFunctionId.IpaStateGet, b, BoardRealm.RamIpa + BoardRealm.RamSize))
                .Concat(SmcSaving(6, 3, RsiFunctionId.IpaStateGet, t, BoardRealm.RamIpa + BoardRealm.RamSize))
                .Concat(Mov64(10, b + 0x8000)).Append(LdrX(11, 10)).Append(Save(11, 9)));
            using var r = new BoardRealm(image);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitRipasChange, r.ExitReason);
            Assert.Equal(b, r.Le(L.ExitRipasBase));
            Assert.Equal(t, r.Le(L.ExitRipasTop));
            Assert.Equal(0UL, r.Le(L.ExitRipasValue));
            AssertNoOtherGprs(r, 0);

            // Entering again before RTT_SET_RIPAS is finished is allowed; RTT_SET_RIPAS must start at base.
            RmmHarness.Status(r.H.Call(F.RttSetRipas, r.Rd, r.Rec, b + 0x1000, t), RmiStatus.ErrorInput);
            ulong addr = b;
            while (addr < t)
            {
                RmiResult s = r.H.Call(F.RttSetRipas, r.Rd, r.Rec, addr, t);
                RmmHarness.Ok(s);
                addr = s.X1;
            }

            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(RsiFunctionId.Success, r.Result(0));
            Assert.Equal(t, r.Result(1));
            Assert.Equal(RsiFunctionId.Accept, r.Result(2));
            Assert.Equal(RsiFunctionId.Success, r.Result(3));
            Assert.Equal(t, r.Result(4));
            Assert.Equal((ulong)Ripas.Empty, r.Result(5));
            Assert.Equal(BoardRealm.RamIpa + BoardRealm.RamSize, r.Result(7));
            Assert.Equal((ulong)Ripas.Ram, r.Result(8));

            Assert.Equal(1UL, r.Result(SlotVectorTaken));
            ulong esr = r.Result(SlotEsr);
            Assert.Equal(0x25u, Ec(esr));
            Assert.Equal(0x10UL, esr & 0x3F);
            Assert.Equal(b + 0x8000, r.Result(SlotFar));

            // The request is over: no more RTT_SET_RIPAS for this REC.
            RmmHarness.Status(r.H.Call(F.RttSetRipas, r.Rd, r.Rec, t, t + 0x1000), RmiStatus.ErrorInput);
        }

        [Fact]
        public void RipasChangeRejectedByTheHostReportsRejectAndTheBaseReached()
        {
            const ulong b = BoardRealm.UnpopulatedIpa, t = BoardRealm.UnpopulatedIpa + 0x2_0000;
            using var r = new BoardRealm(Program(SmcSaving(0, 3, RsiFunctionId.IpaStateSet, b, t, 0, 0)));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitRipasChange, r.ExitReason);
            RmmHarness.Ok(r.Enter(L.EnterFlagRipasResponse));
            Assert.Equal(RsiFunctionId.Success, r.Result(0));
            Assert.Equal(b, r.Result(1));
            Assert.Equal(RsiFunctionId.Reject, r.Result(2));
        }

        [Fact]
        public void InstructionFetchFromTheUnprotectedAliasIsAnExternalAbortInTheRealm()
        {
            ulong target = BoardRealm.UnprotectedBit | (BoardRealm.CodeIpa + 0x400);
            using var r = new BoardRealm(Program(Mov64(1, target).Append(Br(1))));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(1UL, r.Result(SlotVectorTaken));
            ulong esr = r.Result(SlotEsr);
            Assert.Equal(0x21u, Ec(esr)); // instruction abort, same EL
            Assert.Equal(0x10UL, esr & 0x3F);
            Assert.Equal(target, r.Result(SlotElr));
        }

        [Fact]
        public void HvcIsUndefinedInARealm()
        {
            using var r = new BoardRealm(Program(Mov64(0, 0x8400_0000).Append(Hvc0)));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(1UL, r.Result(SlotVectorTaken));
            Assert.Equal(0u, Ec(r.Result(SlotEsr)));
            Assert.Equal(Hvc0, BitConverter.ToUInt32(r.ReadRealm(r.Result(SlotElr), 4))); // ELR = the HVC
        }

        [Fact]
        public void TrappedWfiExitsWithTheWfxSyndromeAndUntrappedWfiYieldsToTheHost()
        {
            using var r = new BoardRealm(Program(new[] { Wfi, Movz(1, 1), Save(1, 0), Wfi, Movz(1, 2), Save(1, 0) }));
            RmmHarness.Ok(r.Enter(L.EnterFlagTrapWfi));
            Assert.Equal(L.ExitSync, r.ExitReason);
            Assert.Equal(0x01u, Ec(r.ExitEsr));
            Assert.Equal(0UL, r.ExitEsr & 1); // TI: WFI
            Assert.Equal(0UL, r.ExitEsr & ~RealmCpuRunner.EsrWfxMask);

            // Untrapped: the second WFI waits, which gives the host the CPU.
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(1UL, r.Result(0));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(2UL, r.Result(0));
        }

        [Fact]
        public void HostCallRoundTripCarriesTheStructureOnlyAndWritesTheAnswerBack()
        {
            const ulong hc = BoardRealm.HostCallIpa;
            byte[] image = Program(Mov64(5, Secret).Concat(Mov64(10, hc)).Append(Movz(11, 0x42)).Append(StrX(11, 10, 0))
                .Concat(Mov64(11, 0x1111)).Append(StrX(11, 10, 8))
                .Concat(Mov64(11, 0x5555)).Append(StrX(11, 10, 8 + (5 * 8)))
                .Concat(SmcSaving(0, 1, RsiFunctionId.HostCall, hc))
                .Append(LdrX(11, 10, 8)).Append(Save(11, 1))
                .Append(LdrX(11, 10, 8 + (30 * 8))).Append(Save(11, 2))
                .Concat(SmcSaving(3, 1, RsiFunctionId.HostCall, hc + 8)));
            using var r = new BoardRealm(image);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitHostCall, r.ExitReason);
            Assert.Equal(0x42UL, r.Le(L.ExitImm));
            Assert.Equal(0x1111UL, r.ExitGpr(0));
            Assert.Equal(0x5555UL, r.ExitGpr(5));
            Assert.DoesNotContain(Secret, Enumerable.Range(0, 31).Select(r.ExitGpr));

            var answer = new ulong[31];
            answer[0] = 0xAAAA;
            answer[30] = 0xBBBB;
            RmmHarness.Ok(r.Enter(0, answer));
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(RsiFunctionId.Success, r.Result(0));
            Assert.Equal(0xAAAAUL, r.Result(1));
            Assert.Equal(0xBBBBUL, r.Result(2));
            Assert.Equal(RsiFunctionId.ErrorInput, r.Result(3));
        }

        [Fact]
        public void PsciSystemOffExitsAndTheRealmCannotRunAgain()
        {
            using var r = new BoardRealm(Program(Smc(0x8400_0008)));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitPsci, r.ExitReason);
            Assert.Equal(0x8400_0008UL, r.ExitGpr(0));
            Assert.Equal(RealmState.SystemOff, r.Realm.State);
            RmmHarness.Status(r.Enter(), RmiStatus.ErrorRealm, 1);
        }

        [Fact]
        public void PsciCpuOnStartsTheSecondRecAfterPsciComplete()
        {
            ulong entry = BoardRealm.CodeIpa + SecondaryOffset;
            byte[] image = Program(
                SmcSaving(0, 1, 0xC400_0003, 1, entry, 0x1234)
                .Concat(SmcSaving(1, 1, 0xC400_0004, 1, 0))
                .Concat(SmcSaving(2, 1, 0x8400_0000))
                .Concat(SmcSaving(3, 1, 0x8400_000A, 0xC400_0003))
                .Concat(SmcSaving(4, 1, 0x8400_000A, 0x8400_0012))
                .Concat(SmcSaving(5, 1, 0xC400_0003, 0, entry, 0))
                .Concat(SmcSaving(6, 1, 0xC400_0003, 7, entry, 0))
                .Concat(SmcSaving(7, 1, 0xC400_0003, 1, BoardRealm.UnprotectedBit | entry, 0))
                .Concat(SmcSaving(8, 1, 0xC400_0004, 0, 0))
                .Concat(SmcSaving(9, 1, 0x8000_0000))
                .Concat(SmcSaving(10, 1, 0x8400_000A, 0x8000_0000)),
                secondary: new[] { Save(0, 40), Mrs(9, Capvisor.Arm.SysReg.MPIDR_EL1), Save(9, 41) });
            using var r = new BoardRealm(image, vcpus: 2);
            RmmHarness.Status(r.EnterRec(1), RmiStatus.ErrorRec); // not runnable yet

            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitPsci, r.ExitReason);
            Assert.Equal(0xC400_0003UL, r.ExitGpr(0));
            Assert.Equal(1UL, r.ExitGpr(1));
            Assert.Equal(entry, r.ExitGpr(2));
            Assert.Equal(0x1234UL, r.ExitGpr(3));
            RmmHarness.Status(r.Enter(), RmiStatus.ErrorRec); // PSCI request pending
            RmmHarness.Ok(r.H.Call(F.PsciComplete, r.Host.Recs[0], r.Host.Recs[1], 0));

            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitPsci, r.ExitReason); // AFFINITY_INFO(1)
            Assert.Equal(0xC400_0004UL, r.ExitGpr(0));
            RmmHarness.Ok(r.H.Call(F.PsciComplete, r.Host.Recs[0], r.Host.Recs[1], 0));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(0UL, r.Result(0));                  // CPU_ON: success
            Assert.Equal(0UL, r.Result(1));                  // AFFINITY_INFO: ON
            Assert.Equal(0x10001UL, r.Result(2));            // PSCI 1.1
            Assert.Equal(0UL, r.Result(3));                  // FEATURES(CPU_ON)
            Assert.Equal(ulong.MaxValue, r.Result(4));       // FEATURES(unknown)
            Assert.Equal(unchecked((ulong)-4L), r.Result(5)); // CPU_ON(self): ALREADY_ON
            Assert.Equal(unchecked((ulong)-2L), r.Result(6)); // no such REC
            Assert.Equal(unchecked((ulong)-9L), r.Result(7)); // entry not protected
            Assert.Equal(0UL, r.Result(8));                  // AFFINITY_INFO(self): ON
            Assert.Equal(0x10002UL, r.Result(9));            // SMCCC 1.2
            Assert.Equal(0UL, r.Result(10));                 // PSCI_FEATURES(SMCCC_VERSION), which Linux asks first

            RmmHarness.Ok(r.EnterRec(1));
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(0x1234UL, r.Result(40));
            Assert.Equal(0x8000_0001UL, r.Result(41));
        }

        [Fact]
        public void NonSecureAccessToRealmMemoryStillFaults()
        {
            using var r = new BoardRealm(Program(Array.Empty<uint>()));
            RmmHarness.Ok(r.Enter());
            ulong pa = r.PaOf(BoardRealm.CodeIpa);
            Assert.Throws<UnauthorizedAccessException>(() => r.Machine.Ram.GetSpan(pa, 8).ToArray());
            Assert.Equal(GranuleState.Data, r.Rmm.GetGranuleState(pa));
            RmmHarness.Status(r.H.Call(F.GranuleUndelegate, pa), RmiStatus.ErrorInput);
        }

        [Fact]
        public void RttChangesFlushTheRealmCpusTlbs()
        {
            // The realm reads a page, the host destroys and recreates it with other contents
            // (DATA_DESTROY invalidates); the realm's next read sees the new granule, not a stale TLB entry.
            const ulong ipa = BoardRealm.UnpopulatedIpa;
            var loop = new List<uint>();
            loop.AddRange(Mov64(10, ipa));
            loop.Add(LdrX(11, 10));
            loop.Add(Save(11, 0));
            loop.Add(Wfi);
            loop.Add(LdrX(11, 10));
            loop.Add(Save(11, 1));
            using var r = new BoardRealm(Program(loop));
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitSync, r.ExitReason);
            r.CreateUnknown(ipa);
            RmmHarness.Ok(r.Enter()); // reads 0, then waits in WFI
            Assert.Equal(L.ExitIrq, r.ExitReason);
            RmiResult d = r.H.Call(F.DataDestroy, r.Rd, ipa);
            RmmHarness.Ok(d);
            RmmHarness.Ok(r.Enter()); // the read faults again: the old translation is gone
            Assert.Equal(L.ExitSync, r.ExitReason);
            Assert.Equal(ipa, r.ExitIpa);
        }

        [Fact]
        public void VirtualInterruptsFromTheHostsListRegistersAreTakenAndCompleted()
        {
            byte[] image = Program(Mov64(1, 0xF0).Append(Msr(IccPmr, 1)).Append(Movz(1, 1)).Append(Msr(IccIgrpen1, 1)).Append(DaifClrI));
            using var r = new BoardRealm(image);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(0UL, r.Result(SlotIrqCount));
            Assert.Equal(0xF0UL << 24, r.Le(L.ExitGicv3Vmcr) & (0xFFUL << 24)); // VPMR
            Assert.Equal(2UL, r.Le(L.ExitGicv3Vmcr) & 2);                        // VENG1

            // LR0: vINTID 27, group 1, priority 0xA0, pending; ICH_HCR.En.
            ulong lr = (1UL << 62) | (1UL << 60) | (0xA0UL << 48) | 27;
            RmmHarness.Ok(EnterWithGic(r, 1, lr));
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(27UL, r.Result(SlotIrqIntid));
            Assert.Equal(1UL, r.Result(SlotIrqCount));
            Assert.Equal(lr & ~(3UL << 62), r.Le(L.ExitGicv3Lrs)); // acknowledged and deactivated: invalid
            Assert.Equal(1UL, r.Le(L.ExitGicv3Hcr) & 1);

            // The host may not set bits it does not own, nor hardware interrupts.
            RmmHarness.Status(EnterWithGic(r, 1UL << 10, 0), RmiStatus.ErrorRec);
            RmmHarness.Status(EnterWithGic(r, 1, lr | (1UL << 61)), RmiStatus.ErrorRec);
        }

        private static RmiResult EnterWithGic(BoardRealm r, ulong hcr, ulong lr0)
        {
            Span<byte> run = r.Machine.Ram.GetSpan(r.RecRun, L.Size);
            run.Clear();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(run[L.EnterGicv3Hcr..], hcr);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(run[L.EnterGicv3Lrs..], lr0);
            RmiResult res = r.H.Call(F.RecEnter, r.Rec, r.RecRun);
            if (res.Status == RmiStatus.Success)
            {
                r.Machine.Ram.GetSpan(r.RecRun + L.ExitOffset, L.ExitSize).CopyTo(r.Exit);
            }

            return res;
        }

        [Fact]
        public void ARealmTimerThatFiresWhileTheRecRunsExitsWithIrqOnce()
        {
            // CNTV_CVAL = CNTVCT + 1000 ticks, CNTV_CTL = ENABLE, spin.
            byte[] image = Program(new[] { Mrs(1, Cntvct), AddImm(1, 1, 1000), Msr(CntvCval, 1), Movz(2, 1), Msr(CntvCtl, 2) });
            using var r = new BoardRealm(image, slice: 1_000_000);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            ulong firstRun = r.Cpu.Retired;
            Assert.InRange(firstRun, 16_000UL, 16_000UL + 8192); // 1000 ticks of 16 ns, one instruction per ns
            Assert.Equal(5UL, r.Le(L.ExitCntvCtl)); // ENABLE | ISTATUS

            // Still firing at the next entry: the host knows, so the REC runs its whole slice.
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(1_000_000UL, r.Cpu.Retired - firstRun);
        }

        [Fact]
        public void SgiWritesExitToTheHostWithTheValueOnly()
        {
            byte[] image = Program(Mov64(5, Secret).Concat(Mov64(3, 0x0100_0000_0001_0001)).Append(Msr(IccSgi1r, 3)).Append(Movz(4, 9)).Append(Save(4, 0)));
            using var r = new BoardRealm(image);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitSync, r.ExitReason);
            Assert.Equal(0x18u, Ec(r.ExitEsr));
            Assert.Equal(0UL, (r.ExitEsr >> 5) & 0x1F); // Rt hidden
            Assert.Equal(0UL, r.ExitEsr & 1);           // write
            Assert.Equal(0x0100_0000_0001_0001UL, r.ExitGpr(0));
            AssertNoOtherGprs(r, 1);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(9UL, r.Result(0)); // the MSR completed
        }

        [Theory]
        [InlineData(11)]
        [InlineData(12)]
        [InlineData(13)]
        public void RandomHostEntriesNeverBreakTheRmm(int seed)
        {
            var rng = new Random(seed);

            // A realm that makes MMIO accesses, host calls, RIPAS requests and waits, in a loop.
            var body = new List<uint>();
            body.AddRange(Mov64(5, Secret));
            body.AddRange(Mov64(1, 0xF0));
            body.Add(Msr(IccPmr, 1));
            body.Add(Movz(1, 1));
            body.Add(Msr(IccIgrpen1, 1));
            body.Add(DaifClrI);
            int loopStart = body.Count;
            body.AddRange(Mov64(1, Pl011));
            body.Add(StrB(2, 1));
            body.Add(LdrW(3, 1, 0x18));
            body.AddRange(Smc(RsiFunctionId.HostCall, BoardRealm.HostCallIpa));
            body.AddRange(Smc(RsiFunctionId.IpaStateSet, BoardRealm.UnpopulatedIpa, BoardRealm.UnpopulatedIpa + 0x4000, 1, 0));
            body.Add(Wfi);
            body.AddRange(Mov64(10, BoardRealm.UnpopulatedIpa + 0x8000));
            body.Add(LdrX(11, 10));
            body.Add(B(loopStart - body.Count));
            using var r = new BoardRealm(Program(body));
            var statuses = new HashSet<RmiStatus>();
            for (int i = 0; i < 150; i++)
            {
                Span<byte> run = r.Machine.Ram.GetSpan(r.RecRun, L.Size);
                run.Clear();
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(run, rng.Next(4) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(32));
                for (int g = 0; g < 31; g++)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(run[(L.EnterGprs + (8 * g))..], (ulong)rng.NextInt64());
                }

                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(run[L.EnterGicv3Hcr..], rng.Next(3) == 0 ? (ulong)rng.NextInt64() : 1);
                for (int l = 0; l < 16; l++)
                {
                    ulong lr = rng.Next(3) switch
                    {
                        0 => (ulong)rng.NextInt64(),
                        1 => (1UL << 62) | (1UL << 60) | ((ulong)(uint)rng.Next(256) << 48) | (uint)rng.Next(1024),
                        _ => 0,
                    };
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(run[(L.EnterGicv3Lrs + (8 * l))..], lr);
                }

                RmiResult e = r.H.Call(F.RecEnter, r.Rec, r.RecRun);
                statuses.Add(e.Status);
                Assert.True(e.Status is RmiStatus.Success or RmiStatus.ErrorRec, e.ToString());
                if (e.Status == RmiStatus.Success)
                {
                    r.Machine.Ram.GetSpan(r.RecRun + L.ExitOffset, L.ExitSize).CopyTo(r.Exit);
                    if (r.ExitReason == L.ExitRipasChange && rng.Next(2) == 0)
                    {
                        r.H.Call(F.RttSetRipas, r.Rd, r.Rec, r.Le(L.ExitRipasBase), r.Le(L.ExitRipasTop));
                    }
                    else if (r.ExitReason == L.ExitSync && r.ExitIpa >= BoardRealm.UnpopulatedIpa && r.ExitIpa < BoardRealm.RamIpa + BoardRealm.RamSize && rng.Next(2) == 0)
                    {
                        r.CreateUnknown(r.ExitIpa);
                    }

                    Assert.DoesNotContain(Secret, Enumerable.Range(0, 31).Select(r.ExitGpr));
                }
            }

            Assert.Contains(RmiStatus.Success, statuses);
            Assert.Contains(RmiStatus.ErrorRec, statuses);
            Assert.Equal(RealmState.Active, r.Realm.State);
        }

        [Fact]
        public void AnExceptionStormEndsTheSliceEarly()
        {
            // VBAR_EL1 in RIPAS EMPTY memory: every vector fetch is an external abort, forever.
            byte[] image = Program(Mov64(9, BoardRealm.RamIpa + BoardRealm.RamSize).Append(Msr(Capvisor.Arm.SysReg.VBAR_EL1, 9)).Append(Hvc0));
            using var r = new BoardRealm(image, slice: 1_000_000);
            r.Monitor.RecRunner!.ExceptionLimit = 500;
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.InRange(r.Cpu.ExceptionsTaken, 500UL, 500UL + 10);
            Assert.True(r.Cpu.Retired < 10_000, $"retired {r.Cpu.Retired}");
        }
    }
}
