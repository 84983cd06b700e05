namespace Capvisor.Firmware.Rmm
{
    public sealed partial class RealmManagementMonitor
    {
        /// <summary>Where an RTT walk stopped: the table at <see cref="Level"/> and the entry index in it.</summary>
        private readonly record struct RttWalk(int Level, ulong Table, int Index);

        /// <summary>
        /// Walks the realm's RTTs towards <paramref name="level"/> for <paramref name="ipa"/>,
        /// stopping early at the first entry that is not a table (TF-RMM <c>s2tt_walk_lock_unlock</c>).
        /// </summary>
        private RttWalk Walk(RealmDescriptor rd, ulong ipa, int level)
        {
            int start = rd.StartLevel;
            ulong slIndex = (ipa & (rd.IpaSize - 1)) >> S2tte.LevelShift(start);
            ulong table = rd.RootRttBase + ((slIndex >> 9) * GranuleSize);
            for (int l = start; l < level; l++)
            {
                ulong e = ReadEntry(table, S2tte.Index(ipa, l));
                if (!S2tte.IsTable(e, l))
                {
                    return new RttWalk(l, table, S2tte.Index(ipa, l));
                }

                table = S2tte.Pa(e, l);
            }

            return new RttWalk(level, table, S2tte.Index(ipa, level));
        }

        private static bool ValidateMapAddr(RealmDescriptor rd, ulong ipa, int level) =>
            ipa < rd.IpaSize && S2tte.IsAddrLevelAligned(ipa, level);

        /// <summary>RTT_CREATE/DESTROY/FOLD: level in [start + 1, 3] and the IPA aligned to the parent's entry.</summary>
        private static bool ValidateRttStructure(RealmDescriptor rd, ulong ipa, ulong level) =>
            level >= (ulong)(rd.StartLevel + 1) && level <= S2tte.PageLevel && ValidateMapAddr(rd, ipa, (int)level - 1);

        /// <summary>RTT_READ_ENTRY: level in [start, 3].</summary>
        private static bool ValidateRttEntry(RealmDescriptor rd, ulong ipa, ulong level) =>
            level >= (ulong)rd.StartLevel && level <= S2tte.PageLevel && ValidateMapAddr(rd, ipa, (int)level);

        /// <summary>The first address at or after <paramref name="ipa"/> mapped by a live entry of the walked table (TF-RMM <c>s2tt_skip_non_live_entries</c>).</summary>
        private ulong SkipNonLive(ulong ipa, RttWalk w)
        {
            if (S2tte.IsLive(ReadEntry(w.Table, w.Index)))
            {
                return ipa;
            }

            ulong size = S2tte.MapSize(w.Level);
            ulong addr = ipa & ~(size - 1);
            int i = w.Index + 1;
            while (i < S2tte.EntriesPerTable && !S2tte.IsLive(ReadEntry(w.Table, i)))
            {
                i++;
            }

            return addr + ((ulong)(i - w.Index) * size);
        }

        private RealmDescriptor? FindRd(ulong rdPa) =>
            Find(rdPa, GranuleState.Rd) != null ? _realms[rdPa] : null;

        // RMI_RTT_CREATE (TF-RMM runtime/rmi/rtt.c smc_rtt_create).
        private RmiResult RttCreate(ulong rdPa, ulong rttPa, ulong ipa, ulong ulevel)
        {
            if (rttPa == rdPa || Find(rttPa, GranuleState.Delegated) == null || FindRd(rdPa) is not { } rd)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (!ValidateRttStructure(rd, ipa, ulevel))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            int level = (int)ulevel;
            RttWalk w = Walk(rd, ipa, level - 1);
            if (w.Level != level - 1)
            {
                return RmiResult.Rtt(w.Level);
            }

            ulong parent = ReadEntry(w.Table, w.Index);
            int parentLevel = level - 1;
            ulong childSize = S2tte.MapSize(level);
            if (S2tte.IsTable(parent, parentLevel))
            {
                return RmiResult.Rtt(parentLevel);
            }

            if (S2tte.IsUnassigned(parent))
            {
                // UNASSIGNED EMPTY/RAM/DESTROYED/NS: the child inherits the entry.
                FillTable(rttPa, _ => parent);
                Info(w.Table).RefCount++;
            }
            else if (S2tte.IsAssignedEmpty(parent) || S2tte.IsAssignedDestroyed(parent) || S2tte.IsAssignedRam(parent, parentLevel))
            {
                // Unfold an assigned block into 512 assigned entries of the same RIPAS; the
                // parent's reference for the block becomes the reference for the table.
                ulong blockPa = S2tte.Pa(parent, parentLevel);
                Ripas ripas = S2tte.GetRipas(parent);
                FillTable(rttPa, i => S2tte.Assigned(blockPa + ((ulong)i * childSize), level, ripas));
                SetState(rttPa, GranuleState.Rtt);
                Info(rttPa).RefCount += S2tte.EntriesPerTable;
                if (ripas == Ripas.Ram)
                {
                    WriteEntry(w.Table, w.Index, 0);
                    Invalidate(rd, ipa, S2tte.MapSize(parentLevel));
                }
            }
            else if (S2tte.IsAssignedNs(parent, parentLevel))
            {
                ulong blockPa = S2tte.Pa(parent, parentLevel);
                ulong attrs = parent & S2tte.NsAttrMask;
                FillTable(rttPa, i => S2tte.AssignedNs(attrs | (blockPa + ((ulong)i * childSize)), level));
                WriteEntry(w.Table, w.Index, 0);
                Invalidate(rd, ipa, S2tte.MapSize(parentLevel));
                Info(w.Table).RefCount++;
            }
            else
            {
                throw new InvalidOperationException($"Corrupt RTT entry 0x{parent:x} at level {parentLevel}.");
            }

            SetState(rttPa, GranuleState.Rtt);
            WriteEntry(w.Table, w.Index, S2tte.Table(rttPa));
            return default;
        }

        // RMI_RTT_DESTROY (smc_rtt_destroy): X1 = RTT address, X2 = top of the non-live region.
        private RmiResult RttDestroy(ulong rdPa, ulong ipa, ulong ulevel)
        {
            if (FindRd(rdPa) is not { } rd || !ValidateRttStructure(rd, ipa, ulevel))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            int level = (int)ulevel;
            RttWalk w = Walk(rd, ipa, level - 1);
            ulong parent = ReadEntry(w.Table, w.Index);
            if (w.Level != level - 1 || !S2tte.IsTable(parent, level - 1))
            {
                return new RmiResult(RmiResult.Pack(RmiStatus.ErrorRtt, w.Level), 0, SkipNonLive(ipa, w));
            }

            ulong rttPa = S2tte.Pa(parent, level - 1);
            if (Info(rttPa).RefCount != 0)
            {
                return new RmiResult(RmiResult.Pack(RmiStatus.ErrorRtt, level), 0, ipa);
            }

            bool inPar = rd.InPar(ipa);
            WriteEntry(w.Table, w.Index, inPar ? S2tte.UnassignedDestroyed : S2tte.UnassignedNs);
            Info(w.Table).RefCount--;
            Invalidate(rd, ipa, S2tte.MapSize(level - 1));
            Scrub(rttPa);
            SetState(rttPa, GranuleState.Delegated);
            return new RmiResult(0, rttPa, SkipNonLive(ipa, w));
        }

        // RMI_RTT_FOLD (smc_rtt_fold): X1 = address of the folded RTT.
        private RmiResult RttFold(ulong rdPa, ulong ipa, ulong ulevel)
        {
            if (FindRd(rdPa) is not { } rd || !ValidateRttStructure(rd, ipa, ulevel))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            int level = (int)ulevel;
            RttWalk w = Walk(rd, ipa, level - 1);
            if (w.Level != level - 1)
            {
                return RmiResult.Rtt(w.Level);
            }

            ulong parent = ReadEntry(w.Table, w.Index);
            if (!S2tte.IsTable(parent, level - 1))
            {
                return RmiResult.Rtt(level - 1);
            }

            ulong rttPa = S2tte.Pa(parent, level - 1);
            GranuleInfo child = Info(rttPa);
            ulong folded;
            if (child.RefCount == 0)
            {
                ulong first = ReadEntry(rttPa, 0);
                if (IsUniform(rttPa, first) && S2tte.IsUnassigned(first))
                {
                    folded = first;
                }
                else if (MapsBlock(rttPa, level, (e, l) => S2tte.IsAssignedNs(e, l), checkNsAttrs: true))
                {
                    if (level <= S2tte.MinBlockLevel)
                    {
                        return RmiResult.Rtt(w.Level);
                    }

                    folded = S2tte.AssignedNs(first & ~S2tte.NsAttrRmm & ~S2tte.ShIs & ~S2tte.DescTypeMask, level - 1);
                }
                else
                {
                    return RmiResult.Rtt(level);
                }

                Info(w.Table).RefCount--;
            }
            else if (child.RefCount == S2tte.EntriesPerTable)
            {
                // The specification does not allow assigned blocks at level 0 (or above).
                if (level <= S2tte.MinBlockLevel)
                {
                    return RmiResult.Rtt(w.Level);
                }

                ulong first = ReadEntry(rttPa, 0);
                if (MapsBlock(rttPa, level, (e, _) => S2tte.IsAssignedEmpty(e), false)
                    || MapsBlock(rttPa, level, (e, l) => S2tte.IsAssignedRam(e, l), false)
                    || MapsBlock(rttPa, level, (e, _) => S2tte.IsAssignedDestroyed(e), false))
                {
                    folded = S2tte.Assigned(S2tte.Pa(first, level), level - 1, S2tte.GetRipas(first));
                }
                else
                {
                    return RmiResult.Rtt(level);
                }

                child.RefCount -= S2tte.EntriesPerTable;
            }
            else
            {
                return RmiResult.Rtt(level);
            }

            WriteEntry(w.Table, w.Index, 0);
            Invalidate(rd, ipa, S2tte.MapSize(level - 1));
            WriteEntry(w.Table, w.Index, folded);
            Scrub(rttPa);
            SetState(rttPa, GranuleState.Delegated);
            return new RmiResult(0, rttPa);
        }

        private bool IsUniform(ulong table, ulong value)
        {
            for (int i = 0; i < S2tte.EntriesPerTable; i++)
            {
                if (ReadEntry(table, i) != value)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>TF-RMM <c>table_maps_block</c>: all entries of one kind mapping one contiguous, parent-aligned block.</summary>
        private bool MapsBlock(ulong table, int level, Func<ulong, int, bool> isKind, bool checkNsAttrs)
        {
            ulong first = ReadEntry(table, 0);
            if (!isKind(first, level))
            {
                return false;
            }

            ulong basePa = S2tte.Pa(first, level);
            if (!S2tte.IsAddrLevelAligned(basePa, level - 1))
            {
                return false;
            }

            ulong size = S2tte.MapSize(level);
            for (int i = 1; i < S2tte.EntriesPerTable; i++)
            {
                ulong e = ReadEntry(table, i);
                if (!isKind(e, level) || S2tte.Pa(e, level) != basePa + ((ulong)i * size))
                {
                    return false;
                }

                if (checkNsAttrs && (e & S2tte.NsAttrMask) != (first & S2tte.NsAttrMask))
                {
                    return false;
                }
            }

            return true;
        }

        // RMI_RTT_READ_ENTRY: X1 walk level, X2 state, X3 descriptor, X4 RIPAS.
        private RmiResult RttReadEntry(ulong rdPa, ulong ipa, ulong ulevel)
        {
            if (FindRd(rdPa) is not { } rd || !ValidateRttEntry(rd, ipa, ulevel))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            const ulong unassigned = 0, assigned = 1, table = 2;
            RttWalk w = Walk(rd, ipa, (int)ulevel);
            ulong e = ReadEntry(w.Table, w.Index);
            ulong l = (ulong)w.Level;
            if (S2tte.IsUnassignedEmpty(e))
            {
                return new RmiResult(0, l, unassigned, 0, (ulong)Ripas.Empty);
            }

            if (S2tte.IsUnassignedRam(e))
            {
                return new RmiResult(0, l, unassigned, 0, (ulong)Ripas.Ram);
            }

            if (S2tte.IsUnassignedDestroyed(e))
            {
                return new RmiResult(0, l, unassigned, 0, (ulong)Ripas.Destroyed);
            }

            if (S2tte.IsAssignedEmpty(e))
            {
                return new RmiResult(0, l, assigned, S2tte.Pa(e, w.Level), (ulong)Ripas.Empty);
            }

            if (S2tte.IsAssignedRam(e, w.Level))
            {
                return new RmiResult(0, l, assigned, S2tte.Pa(e, w.Level), (ulong)Ripas.Ram);
            }

            if (S2tte.IsAssignedDestroyed(e))
            {
                // TF-RMM v1.0-rel0 reports no address for ASSIGNED DESTROYED.
                return new RmiResult(0, l, assigned, 0, (ulong)Ripas.Destroyed);
            }

            if (S2tte.IsUnassignedNs(e))
            {
                return new RmiResult(0, l, unassigned, 0, (ulong)Ripas.Empty);
            }

            if (S2tte.IsAssignedNs(e, w.Level))
            {
                return new RmiResult(0, l, assigned, S2tte.HostNs(e, w.Level), (ulong)Ripas.Empty);
            }

            if (S2tte.IsTable(e, w.Level))
            {
                return new RmiResult(0, l, table, S2tte.Pa(e, w.Level), (ulong)Ripas.Empty);
            }

            throw new InvalidOperationException($"Corrupt RTT entry 0x{e:x} at level {w.Level}.");
        }

        // RMI_RTT_MAP_UNPROTECTED (map_unmap_ns).
        private RmiResult RttMapUnprotected(ulong rdPa, ulong ipa, ulong ulevel, ulong desc)
        {
            if (ulevel < S2tte.MinBlockLevel || ulevel > S2tte.PageLevel || FindRd(rdPa) is not { } rd)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            int level = (int)ulevel;
            if (!S2tte.HostNsIsValid(desc, level) || !ValidateMapAddr(rd, ipa, level) || rd.InPar(ipa))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RttWalk w = Walk(rd, ipa, level);
            if (w.Level != level)
            {
                return RmiResult.Rtt(w.Level);
            }

            if (!S2tte.IsUnassignedNs(ReadEntry(w.Table, w.Index)))
            {
                return RmiResult.Rtt(level);
            }

            WriteEntry(w.Table, w.Index, S2tte.AssignedNs(desc, level));
            return default;
        }

        // RMI_RTT_UNMAP_UNPROTECTED: X1 = top of the non-live region.
        private RmiResult RttUnmapUnprotected(ulong rdPa, ulong ipa, ulong ulevel)
        {
            if (ulevel < S2tte.MinBlockLevel || ulevel > S2tte.PageLevel || FindRd(rdPa) is not { } rd)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            int level = (int)ulevel;
            if (!ValidateMapAddr(rd, ipa, level) || rd.InPar(ipa))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RttWalk w = Walk(rd, ipa, level);
            if (w.Level != level || !S2tte.IsAssignedNs(ReadEntry(w.Table, w.Index), w.Level))
            {
                return new RmiResult(RmiResult.Pack(RmiStatus.ErrorRtt, w.Level), SkipNonLive(ipa, w));
            }

            WriteEntry(w.Table, w.Index, S2tte.UnassignedNs);
            Invalidate(rd, ipa, S2tte.MapSize(level));
            return new RmiResult(0, SkipNonLive(ipa, w));
        }

        // RMI_RTT_INIT_RIPAS (smc_rtt_init_ripas): one RIPAS measurement per entry visited.
        private RmiResult RttInitRipas(ulong rdPa, ulong baseIpa, ulong topIpa)
        {
            if (topIpa <= baseIpa || FindRd(rdPa) is not { } rd)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (!ValidateMapAddr(rd, baseIpa, S2tte.PageLevel) || !ValidateMapAddr(rd, topIpa, S2tte.PageLevel)
                || !rd.InPar(baseIpa) || !rd.InPar(topIpa - GranuleSize))
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            if (rd.State != RealmState.New)
            {
                return RmiResult.Of(RmiStatus.ErrorRealm);
            }

            RttWalk w = Walk(rd, baseIpa, S2tte.PageLevel);
            ulong size = S2tte.MapSize(w.Level);
            ulong addr = baseIpa & ~(size - 1);
            if (addr != baseIpa)
            {
                return RmiResult.Rtt(w.Level);
            }

            for (int i = w.Index; i < S2tte.EntriesPerTable; i++)
            {
                ulong next = addr + size;
                if (next > topIpa)
                {
                    break;
                }

                ulong e = ReadEntry(w.Table, i);
                if (S2tte.IsUnassignedEmpty(e))
                {
                    WriteEntry(w.Table, i, S2tte.UnassignedRam);
                }
                else if (!S2tte.IsUnassignedRam(e))
                {
                    break;
                }

                RealmMeasurement.MeasureRipas(rd.Algorithm, rd.MeasurementSlot(0), addr, next);
                addr = next;
            }

            return addr > baseIpa ? new RmiResult(0, addr) : RmiResult.Rtt(w.Level);
        }

        // RMI_RTT_SET_RIPAS (smc_rtt_set_ripas): completes the REC's pending RSI_IPA_STATE_SET.
        private RmiResult RttSetRipas(ulong rdPa, ulong recPa, ulong baseIpa, ulong topIpa)
        {
            if (topIpa <= baseIpa || rdPa == recPa)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            GranuleInfo? gRec = Find(recPa, GranuleState.Rec);
            if (FindRd(rdPa) is not { } rd || gRec == null)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            Rec rec = _recs[recPa];
            if (gRec.RefCount != 0 || rec.Realm != rd)
            {
                return RmiResult.Of(RmiStatus.ErrorRec);
            }

            if (baseIpa != rec.SetRipasBase || topIpa > rec.SetRipasTop)
            {
                return RmiResult.Of(RmiStatus.ErrorInput);
            }

            RttWalk w = Walk(rd, baseIpa, S2tte.PageLevel);
            if (!ValidateMapAddr(rd, baseIpa, w.Level))
            {
                return RmiResult.Rtt(w.Level);
            }

            ulong size = S2tte.MapSize(w.Level);
            ulong addr = baseIpa;
            for (int i = w.Index; i < S2tte.EntriesPerTable; i++)
            {
                if (addr + size > topIpa || !UpdateRipas(rd, w.Table, i, w.Level, addr, rec.SetRipasValue, rec.SetRipasChangeDestroyed))
                {
                    break;
                }

                addr += size;
            }

            if (addr <= baseIpa)
            {
                return RmiResult.Rtt(w.Level);
            }

            rec.SetRipasBase = addr;
            return new RmiResult(0, addr);
        }

        /// <summary>TF-RMM <c>update_ripas</c>: false when the entry stops the walk (no RIPAS, or DESTROYED without permission).</summary>
        private bool UpdateRipas(RealmDescriptor rd, ulong table, int index, int level, ulong ipa, Ripas ripas, bool changeDestroyed)
        {
            ulong e = ReadEntry(table, index);
            if (!S2tte.HasRipas(e, level))
            {
                return false;
            }

            bool unassigned = S2tte.IsUnassigned(e);
            Ripas current = S2tte.GetRipas(e);
            if (current == ripas || ripas == Ripas.Destroyed)
            {
                return true;
            }

            if (current == Ripas.Destroyed && !changeDestroyed)
            {
                return false;
            }

            if (unassigned)
            {
                WriteEntry(table, index, S2tte.Unassigned(ripas));
                return true;
            }

            WriteEntry(table, index, S2tte.Assigned(S2tte.Pa(e, level), level, ripas));
            if (current == Ripas.Ram)
            {
                Invalidate(rd, ipa, S2tte.MapSize(level));
            }

            return true;
        }
    }
}
