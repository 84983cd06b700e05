namespace Capvisor.Firmware.Rmm
{
    public sealed partial class RealmManagementMonitor
    {
        private const int MinIpaBits = 32;

        // RMI_GRANULE_DELEGATE / UNDELEGATE (TF-RMM runtime/rmi/granule.c).
        private RmiResult GranuleDelegate(ulong pa)
        {
            if (!IsNonSecureGranule(pa))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            // EL3 may refuse, e.g. when the granule was given to the Secure world.
            if (!_memory.TransitionPas(pa, GranulePas.NonSecure, GranulePas.Realm))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            SetState(pa, GranuleState.Delegated);
            Scrub(pa);
            return default;
        }

        private RmiResult GranuleUndelegate(ulong pa)
        {
            if (Find(pa, GranuleState.Delegated) == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            // Delegated granules are zero already; scrub again before the host can see it.
            Scrub(pa);
            if (!_memory.TransitionPas(pa, GranulePas.Realm, GranulePas.NonSecure))
            {
                throw new InvalidOperationException($"EL3 refused to return delegated granule 0x{pa:x} to Non-secure.");
            }

            SetState(pa, GranuleState.NonSecure);
            return default;
        }

        // RMI_REALM_CREATE (TF-RMM runtime/rmi/realm.c smc_realm_create, validate_realm_params).
        private RmiResult RealmCreate(ulong rdPa, ulong paramsPa)
        {
            byte[] copy = new byte[RealmParams.Size];
            if (!TryCopyFromNonSecure(paramsPa, copy))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RealmParams p = RealmParams.Read(copy);
            if (!ValidateRealmParams(p) || _vmids.Contains(p.Vmid))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            // Concatenated starting-level tables are aligned to their total size (VTTBR_EL2.BADDR),
            // or the CPU's walk would not find them.
            ulong rttEnd = p.RttBase + ((ulong)p.RttNumStart * GranuleSize);
            if ((p.RttBase & (((ulong)p.RttNumStart * GranuleSize) - 1)) != 0 || (rdPa >= p.RttBase && rdPa < rttEnd))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (Find(rdPa, GranuleState.Delegated) == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            for (uint i = 0; i < p.RttNumStart; i++)
            {
                if (Find(p.RttBase + ((ulong)i * GranuleSize), GranuleState.Delegated) == null)
                {
                    return RmiResult.Of(RmiStatus.ErrorInput);
                }
            }

            var algorithm = (MeasurementAlgorithm)p.Algorithm;
            var rd = new RealmDescriptor(rdPa, p, algorithm) { State = RealmState.New };
            _vmids.Add(p.Vmid);
            InitRootRtts(rd);
            RealmMeasurement.MeasureRealmParams(p, algorithm, rd.MeasurementSlot(0));

            SetState(rdPa, GranuleState.Rd);
            for (int i = 0; i < rd.RootRttCount; i++)
            {
                SetState(rd.RootRttBase + ((ulong)i * GranuleSize), GranuleState.Rtt);
            }

            _realms.Add(rdPa, rd);
            return default;
        }

        private bool ValidateRealmParams(RealmParams p)
        {
            RmmFeatures f = Features;
            if ((p.Flags & RealmParams.FlagLpa2) != 0)
            {
                return false; // FEAT_LPA2 is not offered.
            }

            if (p.S2sz < MinIpaBits || p.S2sz > (uint)f.PaBits)
            {
                return false;
            }

            // 0 is reserved; values are encoded as count - 1 like ID_AA64DFR0_EL1.
            if (p.NumBps == 0 || p.NumBps > (uint)f.NumBps || p.NumWps == 0 || p.NumWps > (uint)f.NumWps)
            {
                return false;
            }

            if ((p.Flags & RealmParams.FlagSve) != 0 && (!f.SveEnabled || p.SveVl > (uint)f.SveVl))
            {
                return false;
            }

            if ((p.Flags & RealmParams.FlagPmu) != 0)
            {
                if (!f.PmuEnabled || p.PmuNumCtrs > (uint)f.PmuNumCounters || (p.PmuNumCtrs == 0 && !f.Hpmn0))
                {
                    return false;
                }
            }

            if (!ValidateIpaBitsAndStartLevel((int)p.S2sz, p.RttLevelStart))
            {
                return false;
            }

            if (RootRttCount((int)p.S2sz, (int)p.RttLevelStart) != p.RttNumStart)
            {
                return false;
            }

            return p.Algorithm is (byte)MeasurementAlgorithm.Sha256 or (byte)MeasurementAlgorithm.Sha512;
        }

        private bool ValidateIpaBitsAndStartLevel(int ipaBits, long startLevel)
        {
            if (startLevel < 0 || startLevel > S2tte.PageLevel)
            {
                return false;
            }

            // Starting level 0 with 4 KiB granules needs a PA range of at least 44 bits (AArch64.S2InvalidSL).
            if (startLevel == 0 && Features.PaBits < 44)
            {
                return false;
            }

            int levels = S2tte.PageLevel - (int)startLevel;
            int minBits = (levels * 9) + 12 + 1;
            int maxBits = minBits + 9 - 1;
            if (startLevel > 0)
            {
                maxBits += 4; // up to 16 concatenated tables
            }

            return ipaBits >= minBits && ipaBits <= maxBits;
        }

        private static uint RootRttCount(int ipaBits, int startLevel)
        {
            int resolved = ((S2tte.PageLevel - startLevel) * 9) + 12 + 9;
            return resolved >= ipaBits ? 1u : 1u << (ipaBits - resolved);
        }

        /// <summary>Protected half of the starting-level entries UNASSIGNED EMPTY, unprotected half UNASSIGNED_NS.</summary>
        private void InitRootRtts(RealmDescriptor rd)
        {
            ulong entrySize = S2tte.MapSize(rd.StartLevel);
            ulong ipa = 0;
            for (int t = 0; t < rd.RootRttCount; t++)
            {
                ulong table = rd.RootRttBase + ((ulong)t * GranuleSize);
                for (int i = 0; i < S2tte.EntriesPerTable && ipa < rd.IpaSize; i++)
                {
                    WriteEntry(table, i, rd.InPar(ipa) ? S2tte.UnassignedEmpty : S2tte.UnassignedNs);
                    ipa += entrySize;
                }
            }
        }

        // RMI_REALM_ACTIVATE.
        private RmiResult RealmActivate(ulong rdPa)
        {
            if (Find(rdPa, GranuleState.Rd) == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RealmDescriptor rd = _realms[rdPa];
            if (rd.State != RealmState.New)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            rd.State = RealmState.Active;
            return default;
        }

        // RMI_REALM_DESTROY: only once no REC and no RTT below the roots is left.
        private RmiResult RealmDestroy(ulong rdPa)
        {
            GranuleInfo? g = Find(rdPa, GranuleState.Rd);
            if (g == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (g.RefCount != 0)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            RealmDescriptor rd = _realms[rdPa];
            int rootRefs = 0;
            for (int i = 0; i < rd.RootRttCount; i++)
            {
                rootRefs += Info(rd.RootRttBase + ((ulong)i * GranuleSize)).RefCount;
            }

            if (rootRefs != 0)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            _vmids.Remove(rd.Vmid);
            for (int i = 0; i < rd.RootRttCount; i++)
            {
                ulong root = rd.RootRttBase + ((ulong)i * GranuleSize);
                Scrub(root);
                SetState(root, GranuleState.Delegated);
            }

            // Zeroing the RD destroys the measurements.
            rd.Scrub();
            Scrub(rdPa);
            SetState(rdPa, GranuleState.Delegated);
            _realms.Remove(rdPa);
            return default;
        }
    }
}
