namespace Capvisor.Firmware.Rmm
{
    public sealed partial class RealmManagementMonitor
    {
        // RMI_DATA_CREATE (TF-RMM runtime/rmi/rtt.c smc_data_create).
        private RmiResult DataCreate(ulong rdPa, ulong dataPa, ulong ipa, ulong srcPa, ulong flags)
        {
            if (flags != 0 && flags != RealmMeasurement.MeasureContent)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (!IsNonSecureGranule(srcPa))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            return CreateData(rdPa, dataPa, ipa, srcPa, flags);
        }

        // RMI_DATA_CREATE_UNKNOWN: any realm state, contents stay zero, RIPAS unchanged, no measurement.
        private RmiResult DataCreateUnknown(ulong rdPa, ulong dataPa, ulong ipa) =>
            CreateData(rdPa, dataPa, ipa, null, 0);

        private RmiResult CreateData(ulong rdPa, ulong dataPa, ulong ipa, ulong? srcPa, ulong flags)
        {
            if (dataPa == rdPa || Find(dataPa, GranuleState.Delegated) == null || FindRd(rdPa) is not { } rd)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (srcPa != null && rd.State != RealmState.New)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            if (!rd.InPar(ipa) || !ValidateMapAddr(rd, ipa, S2tte.PageLevel))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RttWalk w = Walk(rd, ipa, S2tte.PageLevel);
            if (w.Level != S2tte.PageLevel)
            {
                return RmiResult.Rtt(w.Level);
            }

            ulong e = ReadEntry(w.Table, w.Index);
            if (!S2tte.IsUnassigned(e))
            {
                return RmiResult.Rtt(S2tte.PageLevel);
            }

            ulong newEntry;
            if (srcPa is ulong src)
            {
                // Copy into the realm granule first, then measure the copy: later host writes to
                // the source cannot change what was measured.
                Span<byte> data = _memory.GetGranule(dataPa)[..GranuleSize];
                if (!TryCopyFromNonSecure(src, data))
                {
                    data.Clear();
                    return RmiResult.Of(RmiStatus.ErrorInput);
                }

                RealmMeasurement.MeasureData(rd.Algorithm, rd.MeasurementSlot(0), data, ipa, flags);
                newEntry = S2tte.Assigned(dataPa, S2tte.PageLevel, Ripas.Ram);
            }
            else
            {
                newEntry = S2tte.Assigned(dataPa, S2tte.PageLevel, S2tte.GetRipas(e));
            }

            WriteEntry(w.Table, w.Index, newEntry);
            SetState(dataPa, GranuleState.Data);
            Info(w.Table).RefCount++;
            return default;
        }

        // RMI_DATA_DESTROY (smc_data_destroy): X1 = data address, X2 = top of the non-live region.
        private RmiResult DataDestroy(ulong rdPa, ulong ipa)
        {
            if (FindRd(rdPa) is not { } rd || !rd.InPar(ipa) || !ValidateMapAddr(rd, ipa, S2tte.PageLevel))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RttWalk w = Walk(rd, ipa, S2tte.PageLevel);
            if (w.Level != S2tte.PageLevel)
            {
                return new RmiResult(RmiResult.Pack(RmiStatus.ErrorRtt, w.Level), 0, SkipNonLive(ipa, w));
            }

            ulong e = ReadEntry(w.Table, w.Index);
            ulong replacement;
            if (S2tte.IsAssignedRam(e, S2tte.PageLevel))
            {
                replacement = S2tte.UnassignedDestroyed;
            }
            else if (S2tte.IsAssignedEmpty(e))
            {
                replacement = S2tte.UnassignedEmpty;
            }
            else if (S2tte.IsAssignedDestroyed(e))
            {
                replacement = S2tte.UnassignedDestroyed;
            }
            else
            {
                return new RmiResult(RmiResult.Pack(RmiStatus.ErrorRtt, S2tte.PageLevel), 0, SkipNonLive(ipa, w));
            }

            ulong dataPa = S2tte.Pa(e, S2tte.PageLevel);
            WriteEntry(w.Table, w.Index, replacement);
            if (S2tte.IsAssignedRam(e, S2tte.PageLevel))
            {
                Invalidate(rd, ipa, GranuleSize);
            }

            Info(w.Table).RefCount--;
            Scrub(dataPa);
            SetState(dataPa, GranuleState.Delegated);
            return new RmiResult(0, dataPa, SkipNonLive(ipa, w));
        }
    }
}
