namespace Capvisor.Firmware.Rmm
{
    public sealed partial class RealmManagementMonitor
    {
        // Output ranges of the unprotected (ASSIGNED_NS) mappings of every realm, counted:
        // page mappings by granule, block mappings by (address, level).
        private readonly Dictionary<ulong, int> _nsPages = new();
        private readonly Dictionary<(ulong Pa, int Level), int> _nsBlocks = new();

        /// <summary>
        /// Whether [<paramref name="pa"/>, +<paramref name="size"/>) holds a granule the RMM owns
        /// (any state but Non-secure).
        /// </summary>
        /// <remarks>
        /// On CCA hardware an unprotected mapping has NS = 1 and the granule protection check stops
        /// a realm that reaches Realm memory through it. The emulated CPU's stage 2 does not select
        /// the PAS by that bit, so the RMM keeps Realm granules out of unprotected mappings itself:
        /// RTT_MAP_UNPROTECTED refuses them and GRANULE_DELEGATE refuses granules that are mapped
        /// unprotected. An honest host (KVM maps only its own Non-secure pages) never meets either.
        /// </remarks>
        private bool RangeHoldsRmmGranule(ulong pa, ulong size)
        {
            ulong granules = size / GranuleSize;
            if (granules <= (ulong)_granules.Count)
            {
                for (ulong g = pa; g < pa + size; g += GranuleSize)
                {
                    if (_granules.ContainsKey(g))
                    {
                        return true;
                    }
                }

                return false;
            }

            foreach (ulong g in _granules.Keys)
            {
                if (g >= pa && g - pa < size)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Records that an unprotected mapping of <paramref name="pa"/> at <paramref name="level"/> appeared (+1) or went (−1).</summary>
        private void CountNsMapping(ulong pa, int level, int delta)
        {
            if (level == S2tte.PageLevel)
            {
                int n = _nsPages.GetValueOrDefault(pa) + delta;
                if (n > 0)
                {
                    _nsPages[pa] = n;
                }
                else
                {
                    _nsPages.Remove(pa);
                }

                return;
            }

            int b = _nsBlocks.GetValueOrDefault((pa, level)) + delta;
            if (b > 0)
            {
                _nsBlocks[(pa, level)] = b;
            }
            else
            {
                _nsBlocks.Remove((pa, level));
            }
        }

        /// <summary>Whether some realm maps the granule at <paramref name="pa"/> unprotected.</summary>
        private bool IsMappedUnprotected(ulong pa)
        {
            if (_nsPages.ContainsKey(pa))
            {
                return true;
            }

            foreach ((ulong start, int level) in _nsBlocks.Keys)
            {
                if (pa >= start && pa - start < S2tte.MapSize(level))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Forgets the unprotected mappings of a table at <paramref name="level"/> that is being discarded.</summary>
        private void UncountNsMappings(ulong table, int level)
        {
            for (int i = 0; i < S2tte.EntriesPerTable; i++)
            {
                ulong e = ReadEntry(table, i);
                if (S2tte.IsAssignedNs(e, level))
                {
                    CountNsMapping(S2tte.Pa(e, level), level, -1);
                }
            }
        }
    }
}
