using System.Buffers.Binary;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using static Capvisor.Firmware.Tests.Rmm.RmmHarness;

namespace Capvisor.Firmware.Tests.Rmm
{
    public class RmiRecTests
    {
        private sealed class DelegateRunner : IRecRunner
        {
            private readonly Func<RealmDescriptor, Rec, byte[], byte[], ulong> _run;

            public DelegateRunner(Func<RealmDescriptor, Rec, byte[], byte[], ulong> run) => _run = run;

            public ulong Run(RealmDescriptor realm, Rec rec, ReadOnlySpan<byte> enter, Span<byte> exit)
            {
                byte[] e = enter.ToArray();
                byte[] x = new byte[exit.Length];
                ulong status = _run(realm, rec, e, x);
                x.CopyTo(exit);
                return status;
            }
        }

        [Fact]
        public void RecCreateErrors()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();

            RecParams Good() => h.RecParamsFor(0, runnable: true);
            void Bad(RecParams p, ulong? rec = null, ulong? rdArg = null, RmiStatus status = RmiStatus.ErrorInput, ulong? paramsPa = null)
            {
                ulong r = rec ?? h.AllocDelegated();
                ulong[] touched = p.Aux.Append(r).Append(rdArg ?? rd).ToArray();
                GranuleState[] before = touched.Select(h.Rmm.GetGranuleState).ToArray();
                Status(h.Call(F.RecCreate, rdArg ?? rd, r, paramsPa ?? h.WriteRecParams(p)), status);
                Assert.Equal(before, touched.Select(h.Rmm.GetGranuleState).ToArray());
            }

            Bad(Good(), paramsPa: h.AllocDelegated());                                // params not NS
            Bad(Good(), paramsPa: h.AllocNs() + 0x100);                               // params misaligned
            var p = Good(); p.NumAux = 17; Bad(p);                                    // too many aux
            p = h.RecParamsFor(0, true, aux: 15); Bad(p);                             // not REC_AUX_COUNT
            p = Good(); p.Aux[3] = h.AllocNs(); Bad(p);                               // aux not delegated
            p = Good(); p.Aux[3] = p.Aux[2]; Bad(p);                                  // aux repeated
            p = Good(); p.Aux[0] = rd; Bad(p);                                        // aux is the RD
            p = Good(); Bad(p, rec: rd);                                              // rec is the RD
            p = Good(); Bad(p, rec: h.AllocNs());                                     // rec not delegated
            p = Good(); Bad(p, rec: p.Aux[5]);                                        // rec is an aux granule
            p = Good(); Bad(p, rdArg: h.AllocDelegated());                            // rd not an RD
            p = Good(); p.Mpidr = 0x10; Bad(p);                                       // Aff0 above 15: not RmiRecMpidr
            p = Good(); p.Mpidr = 1UL << 32; Bad(p);
            p = Good(); p.Mpidr = 1; Bad(p);                                          // index 1 before index 0

            ulong rec0 = h.CreateRec(rd, 0);
            Assert.Equal(GranuleState.Rec, h.Rmm.GetGranuleState(rec0));
            Assert.All(h.Rmm.FindRec(rec0)!.AuxGranules, a => Assert.Equal(GranuleState.RecAux, h.Rmm.GetGranuleState(a)));
            p = Good(); Bad(p);                                                       // index 0 again
            p = h.RecParamsFor(16, false); Bad(p);                                    // index 16 = Aff1 1, Aff0 0 — not next

            ulong rec1 = h.CreateRec(rd, 1, runnable: false);
            Assert.Equal(1UL, h.Rmm.FindRec(rec1)!.Index);
            Ok(h.Call(F.RealmActivate, rd));
            p = h.RecParamsFor(2, false); Bad(p, status: RmiStatus.ErrorRealm);       // realm not NEW
        }

        [Fact]
        public void RecCreateMeasuresOnlyRunnableRecs()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            byte[] rim0 = realm.GetMeasurement(0).ToArray();
            h.CreateRec(rd, 0, runnable: false, pc: 0x1234);
            Assert.Equal(rim0, realm.GetMeasurement(0).ToArray());
            h.CreateRec(rd, 1, runnable: true, pc: 0x8000_0000);
            var model = new ReferenceRim(false);
            model.RealmCreate(0, 33, 0, 5, 3, 0);
            model.Rec(1, 0x8000_0000, new ulong[8]);
            Assert.Equal(model.Rim, realm.GetMeasurement(0).ToArray());
        }

        [Fact]
        public void RecDestroyAndAuxCount()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            Assert.Equal(new RmiResult(0, 16), h.Call(F.RecAuxCount, rd));
            Status(h.Call(F.RecAuxCount, h.AllocDelegated()), RmiStatus.ErrorInput);
            Status(h.Call(F.RecAuxCount, rd + 4), RmiStatus.ErrorInput);

            ulong rec = h.CreateRec(rd, 0);
            Rec r = h.Rmm.FindRec(rec)!;
            Status(h.Call(F.RecDestroy, rd), RmiStatus.ErrorInput);
            Status(h.Call(F.RecDestroy, rec + 0x1000 * 3), RmiStatus.ErrorInput);
            Status(h.Call(F.RecDestroy, r.AuxGranules[0]), RmiStatus.ErrorInput);
            Ok(h.Call(F.RecDestroy, rec));
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(rec));
            Assert.All(r.AuxGranules, a => Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(a)));
            Status(h.Call(F.RecDestroy, rec), RmiStatus.ErrorInput);
            Ok(h.Call(F.RealmDestroy, rd));
        }

        [Fact]
        public void RecEnterErrors()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            ulong rec0 = h.CreateRec(rd, 0);
            ulong rec1 = h.CreateRec(rd, 1, runnable: false);
            ulong run = h.AllocNs();

            Status(h.Call(F.RecEnter, rec0, h.AllocDelegated()), RmiStatus.ErrorInput);   // run not NS
            Status(h.Call(F.RecEnter, rec0, run + 8), RmiStatus.ErrorInput);
            Status(h.Call(F.RecEnter, rd, run), RmiStatus.ErrorInput);                    // not a REC
            Status(h.Call(F.RecEnter, rec0, run), RmiStatus.ErrorRealm, 0);               // realm NEW
            Ok(h.Call(F.RealmActivate, rd));
            Status(h.Call(F.RecEnter, rec1, run), RmiStatus.ErrorRec);                    // not runnable
            h.Rmm.FindRec(rec0)!.PsciPending = true;
            Status(h.Call(F.RecEnter, rec0, run), RmiStatus.ErrorRec);                    // PSCI pending
            h.Rmm.FindRec(rec0)!.PsciPending = false;
            Ok(h.Call(F.RecEnter, rec0, run));
            h.Rmm.FindRealm(rd)!.State = RealmState.SystemOff;
            Status(h.Call(F.RecEnter, rec0, run), RmiStatus.ErrorRealm, 1);               // SYSTEM_OFF
        }

        [Fact]
        public void RecEnterGivesTheRunnerACopyAndWritesOnlyTheExit()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            ulong rec0 = h.CreateRec(rd, 0);
            ulong rec1 = h.CreateRec(rd, 1);
            Ok(h.Call(F.RealmActivate, rd));
            ulong run = h.AllocNs();
            byte[] enter = new byte[4096];
            BinaryPrimitives.WriteUInt64LittleEndian(enter.AsSpan(RecRunLayout.EnterGprs), 0x1111);
            BinaryPrimitives.WriteUInt64LittleEndian(enter.AsSpan(RecRunLayout.EnterFlags), RecRunLayout.EnterFlagTrapWfi);
            h.Memory.HostWrite(run, enter);

            RmiResult nested = default, destroy = default, setRipas = default;
            h.Rmm.RecRunner = new DelegateRunner((realm, rec, e, x) =>
            {
                Assert.Equal(rd, realm.Address);
                Assert.True(rec.IsRunning);
                // The host scribbles over RecRun while the REC runs; the runner's copy does not change.
                h.Memory.HostWrite(run, new byte[8], RecRunLayout.EnterGprs);
                Assert.Equal(0x1111UL, BinaryPrimitives.ReadUInt64LittleEndian(e.AsSpan(RecRunLayout.EnterGprs)));
                Assert.Equal(RecRunLayout.EnterFlagTrapWfi, BinaryPrimitives.ReadUInt64LittleEndian(e));
                nested = h.Call(F.RecEnter, rec0, run);
                destroy = h.Call(F.RecDestroy, rec0);
                setRipas = h.Call(F.RttSetRipas, rd, rec0, 0, 0x1000);
                BinaryPrimitives.WriteUInt64LittleEndian(x.AsSpan(RecRunLayout.ExitReason), RecRunLayout.ExitHostCall);
                BinaryPrimitives.WriteUInt32LittleEndian(x.AsSpan(RecRunLayout.ExitImm), 0x42);
                return 0;
            });

            Ok(h.Call(F.RecEnter, rec0, run));
            Status(nested, RmiStatus.ErrorRec);
            Status(destroy, RmiStatus.ErrorRec);
            Status(setRipas, RmiStatus.ErrorRec);
            byte[] rr = h.Memory.HostRead(run);
            Assert.Equal(RecRunLayout.ExitHostCall, Le64(rr, RecRunLayout.ExitOffset));
            Assert.Equal(0x42UL, Le64(rr, RecRunLayout.ExitOffset + RecRunLayout.ExitImm));
            Assert.False(h.Rmm.FindRec(rec0)!.IsRunning);

            // A runner's error is returned as is and nothing is written back.
            h.Memory.HostWrite(run, new byte[0x800], RecRunLayout.ExitOffset);
            h.Rmm.RecRunner = new DelegateRunner((_, _, _, x) =>
            {
                x[0] = 9;
                return RmiResult.Pack(RmiStatus.ErrorRec);
            });
            Status(h.Call(F.RecEnter, rec1, run), RmiStatus.ErrorRec);
            Assert.Equal(0, h.Memory.HostRead(run)[RecRunLayout.ExitOffset]);
            Ok(h.Call(F.RecDestroy, rec1));
        }

        private static (RmmHarness H, ulong Rd, Rec Caller, Rec Target) PsciSetup(ulong fid)
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            Rec caller = h.Rmm.FindRec(h.CreateRec(rd, 0))!;
            Rec target = h.Rmm.FindRec(h.CreateRec(rd, 1, runnable: false))!;
            Ok(h.Call(F.RealmActivate, rd));
            caller.PsciPending = true;
            caller.Gprs[0] = fid;
            caller.Gprs[1] = target.MpidrEl1;
            caller.Gprs[2] = 0x8020_0000; // entry point
            caller.Gprs[3] = 0xC0FFEE;    // context id
            caller.SctlrEl1 = 1UL << 25;
            return (h, rd, caller, target);
        }

        [Fact]
        public void PsciCompleteErrors()
        {
            (RmmHarness h, ulong rd, Rec caller, Rec target) = PsciSetup(0xC4000003);
            Status(h.Call(F.PsciComplete, caller.Address + 8, target.Address, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.PsciComplete, caller.Address, target.Address + 8, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.PsciComplete, caller.Address, caller.Address, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.PsciComplete, rd, target.Address, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.PsciComplete, caller.Address, rd, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.PsciComplete, caller.Address, target.Address, 5), RmiStatus.ErrorInput);       // bad status
            Status(h.Call(F.PsciComplete, target.Address, caller.Address, 0), RmiStatus.ErrorInput);       // no request pending

            ulong other = h.CreateRealm();
            Rec stranger = h.Rmm.FindRec(h.CreateRec(other, 0))!;
            caller.Gprs[1] = stranger.MpidrEl1;
            Status(h.Call(F.PsciComplete, caller.Address, stranger.Address, 0), RmiStatus.ErrorInput);     // other realm
            caller.Gprs[1] = caller.MpidrEl1;
            Status(h.Call(F.PsciComplete, caller.Address, target.Address, 0), RmiStatus.ErrorInput);       // MPIDR is not the target's
            Assert.True(caller.PsciPending);
        }

        [Fact]
        public void PsciCompleteCpuOnStartsTheTarget()
        {
            (RmmHarness h, _, Rec caller, Rec target) = PsciSetup(0xC4000003);
            Ok(h.Call(F.PsciComplete, caller.Address, target.Address, 0));
            Assert.False(caller.PsciPending);
            Assert.Equal(new ulong[] { 0, 0, 0, 0 }, caller.Gprs.Take(4));
            Assert.True(target.Runnable);
            Assert.True(target.NeedsReset);
            Assert.Equal(0x8020_0000UL, target.Pc);
            Assert.Equal(0xC0FFEEUL, target.Gprs[0]);
            Assert.Equal(1UL << 25, target.ResetCallerSctlrEl1);

            // Again: the target is on now; the realm gets ALREADY_ON; a denial of a running CPU is an input error.
            caller.PsciPending = true;
            caller.Gprs[0] = 0x84000003;
            caller.Gprs[1] = target.MpidrEl1;
            Ok(h.Call(F.PsciComplete, caller.Address, target.Address, 0));
            Assert.Equal(unchecked((ulong)-4L), caller.Gprs[0]);
            caller.PsciPending = true;
            caller.Gprs[0] = 0xC4000003;
            caller.Gprs[1] = target.MpidrEl1;
            Status(h.Call(F.PsciComplete, caller.Address, target.Address, unchecked((ulong)-3L)), RmiStatus.ErrorInput);
            Assert.False(caller.PsciPending);
        }

        [Fact]
        public void PsciCompleteCpuOnDeniedAndAffinityInfo()
        {
            (RmmHarness h, _, Rec caller, Rec target) = PsciSetup(0xC4000003);
            Ok(h.Call(F.PsciComplete, caller.Address, target.Address, unchecked((ulong)-3L)));
            Assert.Equal(unchecked((ulong)-3L), caller.Gprs[0]);
            Assert.False(target.Runnable);

            caller.PsciPending = true;
            caller.Gprs[0] = 0x84000004;
            caller.Gprs[1] = target.MpidrEl1;
            Status(h.Call(F.PsciComplete, caller.Address, target.Address, unchecked((ulong)-3L)), RmiStatus.ErrorInput);
            Ok(h.Call(F.PsciComplete, caller.Address, target.Address, 0));
            Assert.Equal(1UL, caller.Gprs[0]); // OFF
            caller.PsciPending = true;
            caller.Gprs[0] = 0xC4000004;
            caller.Gprs[1] = target.MpidrEl1;
            target.Runnable = true;
            Ok(h.Call(F.PsciComplete, caller.Address, target.Address, 0));
            Assert.Equal(0UL, caller.Gprs[0]); // ON
        }

        [Fact]
        public void PsciCompleteRefusesARunningCaller()
        {
            (RmmHarness h, _, Rec caller, Rec target) = PsciSetup(0xC4000003);
            caller.PsciPending = false;
            RmiResult during = default;
            h.Rmm.RecRunner = new DelegateRunner((_, rec, _, _) =>
            {
                rec.PsciPending = true;
                during = h.Call(F.PsciComplete, caller.Address, target.Address, 0);
                return 0;
            });
            Ok(h.Call(F.RecEnter, caller.Address, h.AllocNs()));
            Status(during, RmiStatus.ErrorInput);
            Ok(h.Call(F.PsciComplete, caller.Address, target.Address, 0));
        }
    }
}
