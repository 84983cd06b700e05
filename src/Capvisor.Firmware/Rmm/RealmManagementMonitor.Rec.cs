using System.Buffers.Binary;

namespace Capvisor.Firmware.Rmm
{
    public sealed partial class RealmManagementMonitor
    {
        // PSCI function IDs and return values used by PSCI_COMPLETE (TF-RMM runtime/rsi/psci.c).
        private const ulong PsciCpuOn32 = 0x84000003;
        private const ulong PsciCpuOn64 = 0xC4000003;
        private const ulong PsciAffinityInfo32 = 0x84000004;
        private const ulong PsciAffinityInfo64 = 0xC4000004;
        private const ulong PsciSuccess = 0;
        private const ulong PsciNotSupported = unchecked((ulong)-1L);
        private const ulong PsciDenied = unchecked((ulong)-3L);
        private const ulong PsciAlreadyOn = unchecked((ulong)-4L);
        private const ulong PsciAffinityOn = 0;
        private const ulong PsciAffinityOff = 1;

        // RMI_REC_CREATE (TF-RMM runtime/rmi/rec.c smc_rec_create).
        private RmiResult RecCreate(ulong rdPa, ulong recPa, ulong paramsPa)
        {
            byte[] copy = new byte[RecParams.Size];
            if (!TryCopyFromNonSecure(paramsPa, copy))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RecParams p = RecParams.Read(copy);
            if (p.NumAux > RecParams.MaxAux)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            int numAux = (int)p.NumAux;
            var aux = new ulong[numAux];
            for (int i = 0; i < numAux; i++)
            {
                aux[i] = p.Aux[i];
                if (Find(aux[i], GranuleState.Delegated) == null || Array.IndexOf(aux, aux[i], 0, i) >= 0)
                {
                    return RmiResult.Of(RmiStatus.ErrorInput);
                }
            }

            if (recPa == rdPa || Find(recPa, GranuleState.Delegated) == null || Array.IndexOf(aux, recPa) >= 0)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            GranuleInfo? gRd = Find(rdPa, GranuleState.Rd);
            if (gRd == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (gRd.RefCount == RefcountMax)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            RealmDescriptor rd = _realms[rdPa];
            if (rd.State != RealmState.New)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            if (!RecMpidrIsValid(p.Mpidr) || RecMpidrToIndex(p.Mpidr) != rd.RecCount)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (numAux != Features.RecAuxCount)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            var rec = new Rec(recPa, rd, rd.RecCount, p, aux);
            if (rec.Runnable)
            {
                RealmMeasurement.MeasureRec(rd.Algorithm, rd.MeasurementSlot(0), p);
            }

            foreach (ulong a in aux)
            {
                SetState(a, GranuleState.RecAux);
            }

            SetState(recPa, GranuleState.Rec);
            gRd.RefCount++;
            rd.RecCount++;
            _recs.Add(recPa, rec);
            return default;
        }

        /// <summary>RmiRecMpidr: only Aff0 [3:0], Aff1 [15:8], Aff2 [23:16], Aff3 [31:24] may be set.</summary>
        private static bool RecMpidrIsValid(ulong mpidr) => (mpidr & ~0xFFFF_FF0FUL) == 0;

        private static ulong RecMpidrToIndex(ulong mpidr) =>
            (mpidr & 0xF) | ((mpidr >> 8 & 0xFF) << 4) | ((mpidr >> 16 & 0xFF) << 12) | ((mpidr >> 24 & 0xFF) << 20);

        /// <summary>REC index of an MPIDR_EL1 value (Aff3 in [39:32]).</summary>
        private static ulong MpidrEl1ToIndex(ulong mpidr) =>
            (mpidr & 0xF) | ((mpidr >> 8 & 0xFF) << 4) | ((mpidr >> 16 & 0xFF) << 12) | ((mpidr >> 32 & 0xFF) << 20);

        // RMI_REC_DESTROY.
        private RmiResult RecDestroy(ulong recPa)
        {
            GranuleInfo? g = Find(recPa, GranuleState.Rec);
            if (g == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (g.RefCount != 0)
            {
                return RmiResult.Of(RmiStatus.ErrorRec);
            }

            Rec rec = _recs[recPa];
            foreach (ulong a in rec.AuxGranules)
            {
                Scrub(a);
                SetState(a, GranuleState.Delegated);
            }

            Scrub(recPa);
            SetState(recPa, GranuleState.Delegated);
            _recs.Remove(recPa);
            Info(rec.Realm.Address).RefCount--;
            return default;
        }

        // RMI_REC_AUX_COUNT.
        private RmiResult RecAuxCount(ulong rdPa)
        {
            if (Find(rdPa, GranuleState.Rd) == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            return new RmiResult(0, (ulong)Features.RecAuxCount);
        }

        // RMI_REC_ENTER (TF-RMM runtime/rmi/run.c smc_rec_enter). Runs outside the lock.
        private RmiResult RecEnter(ulong recPa, ulong runPa)
        {
            byte[] enter = new byte[RecRunLayout.EnterSize];
            byte[] exit = new byte[RecRunLayout.ExitSize];
            Rec rec;
            GranuleInfo gRec;
            lock (_sync)
            {
                if (!IsNonSecureGranule(runPa))
                {
                    return RmiResult.Of(RmiStatus.ErrorInput);
                }

                GranuleInfo? g = Find(recPa, GranuleState.Rec);
                if (g == null)
                {
                    return RmiResult.Of(RmiStatus.ErrorInput);
                }

                if (g.RefCount != 0)
                {
                    return RmiResult.Of(RmiStatus.ErrorRec);
                }

                if (!TryCopyFromNonSecure(runPa, enter))
                {
                    return RmiResult.Of(RmiStatus.ErrorInput);
                }

                rec = _recs[recPa];
                switch (rec.Realm.State)
                {
                    case RealmState.New:
                        return RmiResult.Of(RmiStatus.ErrorRealm, 0);
                    case RealmState.SystemOff:
                        return RmiResult.Of(RmiStatus.ErrorRealm, 1);
                }

                if (!rec.Runnable || rec.PsciPending)
                {
                    return RmiResult.Of(RmiStatus.ErrorRec);
                }

                gRec = g;
                g.RefCount++;
                rec.IsRunning = true;
            }

            ulong status;
            try
            {
                IRecRunner? runner = RecRunner;
                if (runner == null)
                {
                    // Nothing can execute the REC yet: exit at once as if an interrupt had arrived,
                    // which the specification allows at any time; the host simply enters again.
                    BinaryPrimitives.WriteUInt64LittleEndian(exit.AsSpan(RecRunLayout.ExitReason), RecRunLayout.ExitIrq);
                    status = 0;
                }
                else
                {
                    status = runner.Run(rec.Realm, rec, enter, exit);
                }
            }
            finally
            {
                lock (_sync)
                {
                    gRec.RefCount--;
                    rec.IsRunning = false;
                }
            }

            if (status != 0)
            {
                return new RmiResult(status);
            }

            lock (_sync)
            {
                return TryCopyToNonSecure(runPa, RecRunLayout.ExitOffset, exit)
                    ? default
                    : RmiResult.Of(RmiStatus.ErrorInput);
            }
        }

        // RMI_PSCI_COMPLETE (TF-RMM runtime/rmi/rec.c smc_psci_complete, runtime/rsi/psci.c psci_complete_request).
        private RmiResult PsciComplete(ulong callingPa, ulong targetPa, ulong status)
        {
            if ((callingPa & GranuleMask) != 0 || (targetPa & GranuleMask) != 0 || callingPa == targetPa)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            GranuleInfo? gCalling = Find(callingPa, GranuleState.Rec);
            if (gCalling == null || Find(targetPa, GranuleState.Rec) is not { } gTarget)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            // A running REC cannot have a PSCI request outstanding.
            if (gCalling.RefCount != 0)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            Rec calling = _recs[callingPa];
            Rec target = _recs[targetPa];
            if (!calling.PsciPending || calling.Realm != target.Realm || MpidrEl1ToIndex(calling.Gprs[1]) != target.Index)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RmiStatus ret = RmiStatus.Success;
            ulong recRet;
            bool targetOn = gTarget.RefCount != 0 || target.Runnable;
            switch (calling.Gprs[0])
            {
                case PsciCpuOn32:
                case PsciCpuOn64:
                    if (status != PsciSuccess && status != PsciDenied)
                    {
                        return RmiResult.Of(RmiStatus.ErrorInput);
                    }

                    if (targetOn)
                    {
                        recRet = PsciAlreadyOn;
                        if (status == PsciDenied)
                        {
                            ret = RmiStatus.ErrorInput;
                        }
                    }
                    else if (status == PsciDenied)
                    {
                        recRet = PsciDenied;
                    }
                    else
                    {
                        Array.Clear(target.Gprs);
                        target.Gprs[0] = calling.Gprs[3];
                        target.Pc = calling.Gprs[2];
                        target.NeedsReset = true;
                        target.ResetCallerSctlrEl1 = calling.SctlrEl1;
                        target.Runnable = true;
                        recRet = PsciSuccess;
                    }

                    break;
                case PsciAffinityInfo32:
                case PsciAffinityInfo64:
                    if (status != PsciSuccess)
                    {
                        return RmiResult.Of(RmiStatus.ErrorInput);
                    }

                    recRet = targetOn ? PsciAffinityOn : PsciAffinityOff;
                    break;
                default:
                    recRet = PsciNotSupported;
                    break;
            }

            calling.Gprs[0] = recRet;
            calling.Gprs[1] = 0;
            calling.Gprs[2] = 0;
            calling.Gprs[3] = 0;
            calling.PsciPending = false;
            return RmiResult.Of(ret);
        }
    }
}
