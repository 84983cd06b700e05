using System.Text;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// Prints a spec in canonical CapDL text: sections in a fixed order, objects and slots sorted,
    /// numbers in one notation, arrays and consecutive slots folded into ranges, copies and paths
    /// already resolved. <c>Print(Parse(Print(s)))</c> equals <c>Print(s)</c>.
    /// </summary>
    public static class CapdlPrinter
    {
        private static readonly string[] ParamOrder =
            ["addr", "ip", "sp", "prio", "max_prio", "affinity", "resume", "fpu_disabled", "fault_ep", "dom", "init"];

        /// <summary>The canonical text of <paramref name="spec"/>.</summary>
        public static string Print(CapdlSpec spec)
        {
            var sb = new StringBuilder();
            sb.Append("arch ").Append(spec.Arch).Append("\n\nobjects {\n");
            foreach (IGrouping<string, SpecObject> group in spec.Objects.Values.GroupBy(o => o.Id.Name))
            {
                var list = group.ToList();
                if (list[0].Id.Index is null)
                {
                    SpecObject o = list[0];
                    sb.Append("  ").Append(o.Id.Name).Append(" = ").Append(Declaration(o)).Append(Covers(spec, o.Id)).Append('\n');
                    continue;
                }

                bool isUt = list[0].Kind == ObjectKind.Untyped;
                bool uniform = list.All(o => o.SameDeclaration(list[0]));
                SpecObject head = isUt && !uniform ? new SpecObject(list[0].Id, ObjectKind.Untyped) : list[0];
                sb.Append("  ").Append(group.Key).Append('[').Append(list.Count).Append("] = ").Append(Declaration(head)).Append('\n');
                foreach (SpecObject o in list)
                {
                    string covers = Covers(spec, o.Id);
                    bool differs = isUt && !uniform && (o.SizeBits is not null || o.Paddr is not null);
                    if (covers.Length > 0 || differs)
                    {
                        sb.Append("  ").Append(o.Id).Append(" = ").Append(differs ? Declaration(o) : "ut").Append(covers).Append('\n');
                    }
                }
            }

            sb.Append("}\n\ncaps {\n");
            foreach (SpecObject o in spec.Objects.Values.Where(o => o.Slots.Count > 0))
            {
                sb.Append("  ").Append(o.Id).Append(" {\n");
                var slots = o.Slots.ToList();
                for (int i = 0; i < slots.Count;)
                {
                    int j = i + 1;
                    while (j < slots.Count && Continues(slots[j - 1], slots[j]))
                    {
                        j++;
                    }

                    var (slot, cap) = slots[i];
                    sb.Append("    ").Append(slot).Append(": ").Append(CapTarget(cap, j - i));
                    string ps = CapParams(spec, cap);
                    if (ps.Length > 0)
                    {
                        sb.Append(" (").Append(ps).Append(')');
                    }

                    sb.Append('\n');
                    i = j;
                }

                sb.Append("  }\n");
            }

            sb.Append("}\n\ncdt {\n");
            foreach (IGrouping<CapRef, KeyValuePair<CapRef, CapRef>> g in spec.Cdt.GroupBy(kv => kv.Value).OrderBy(g => g.Key))
            {
                sb.Append("  ").Append(g.Key).Append(" {\n");
                foreach (var kv in g.OrderBy(kv => kv.Key))
                {
                    sb.Append("    ").Append(kv.Key).Append('\n');
                }

                sb.Append("  }\n");
            }

            sb.Append("}\n\nirq maps {\n");
            foreach (var (irq, id) in spec.IrqMap)
            {
                sb.Append("  ").Append(irq).Append(": ").Append(id).Append('\n');
            }

            sb.Append("}\n");
            if (spec.Domains is { } d)
            {
                sb.Append("\ndomains {\n  schedule: [")
                  .Append(string.Join(", ", d.Schedule.Select(s => $"({s.Domain}, {s.Duration})")))
                  .Append("]\n  domain_set_start: ").Append(d.Start?.ToString() ?? "no_start")
                  .Append("\n  index_shift: ").Append(d.IndexShift).Append("\n}\n");
            }

            return sb.ToString();
        }

        /// <summary>The object's type and parameters as written after <c>name =</c>.</summary>
        public static string Declaration(SpecObject o)
        {
            var ps = new List<string>();
            if (o.SizeBits is int bits)
            {
                ps.Add(o.Kind == ObjectKind.Frame ? FrameSize(bits) : $"{bits} bits");
            }

            if (o.Paddr is ulong paddr)
            {
                ps.Add($"paddr: 0x{paddr:x}");
            }

            foreach (string key in ParamOrder.Where(o.Parameters.ContainsKey).Concat(o.Parameters.Keys.Where(k => !ParamOrder.Contains(k))))
            {
                ps.Add(key == "pci" ? o.Parameters[key] : $"{key}: {o.Parameters[key]}");
            }

            if (o.Fill.Count > 0)
            {
                ps.Add($"fill: [{string.Join(", ", o.Fill)}]");
            }

            string kw = ObjectKinds.Keyword(o.Kind);
            return ps.Count == 0 ? kw : $"{kw} ({string.Join(", ", ps)})";
        }

        private static string FrameSize(int bits) => bits >= 20 ? $"{1UL << (bits - 20)}M" : $"{1UL << Math.Max(bits - 10, 0)}k";

        private static string Covers(CapdlSpec spec, ObjectId ut)
        {
            if (!spec.Covers.TryGetValue(ut, out SortedSet<ObjectId>? set) || set.Count == 0)
            {
                return string.Empty;
            }

            return " { " + string.Join(", ", IdRanges(set)) + " }";
        }

        /// <summary>Folds ids into <c>name</c> and <c>name[0..3, 5]</c> groups, in order.</summary>
        internal static IEnumerable<string> IdRanges(IEnumerable<ObjectId> ids)
        {
            foreach (IGrouping<string, ObjectId> g in ids.GroupBy(i => i.Name))
            {
                if (g.First().Index is null)
                {
                    yield return g.Key;
                    continue;
                }

                yield return $"{g.Key}[{Ranges(g.Select(i => i.Index!.Value))}]";
            }
        }

        internal static string Ranges(IEnumerable<int> values)
        {
            var parts = new List<string>();
            var list = values.ToList();
            for (int i = 0; i < list.Count;)
            {
                int j = i;
                while (j + 1 < list.Count && list[j + 1] == list[j] + 1)
                {
                    j++;
                }

                parts.Add(i == j ? list[i].ToString() : $"{list[i]}..{list[j]}");
                i = j + 1;
            }

            return string.Join(", ", parts);
        }

        private static bool Continues(KeyValuePair<ulong, SpecCap> a, KeyValuePair<ulong, SpecCap> b) =>
            b.Key == a.Key + 1 && a.Value.Target is { Index: int ai } ta && b.Value.Target is { Index: int bi } tb
            && ta.Name == tb.Name && bi == ai + 1 && a.Value with { Target = null } == b.Value with { Target = null };

        private static string CapTarget(SpecCap cap, int count)
        {
            if (cap.Target is not ObjectId t)
            {
                return cap.Special!;
            }

            if (count == 1)
            {
                return t.ToString();
            }

            return $"{t.Name}[{t.Index}..{t.Index + count - 1}]";
        }

        private static string CapParams(CapdlSpec spec, SpecCap cap)
        {
            var ps = new List<string>();
            bool isFrame = cap.Target is ObjectId t && spec.Objects.TryGetValue(t, out SpecObject? o) && o.Kind == ObjectKind.Frame;
            if (cap.Rights != CapRights.None)
            {
                var r = new StringBuilder();
                if (cap.Rights.HasFlag(CapRights.Read))
                {
                    r.Append('R');
                }

                if (cap.Rights.HasFlag(CapRights.Write))
                {
                    r.Append('W');
                }

                if (cap.Rights.HasFlag(CapRights.Grant))
                {
                    r.Append(isFrame ? 'X' : 'G');
                }

                if (cap.Rights.HasFlag(CapRights.GrantReply))
                {
                    r.Append('P');
                }

                ps.Add(r.ToString());
            }

            if (cap.Badge != 0)
            {
                ps.Add(cap.Badge > 0xffff ? $"badge: 0x{cap.Badge:x}" : $"badge: {cap.Badge}");
            }

            if (cap.Guard != 0)
            {
                ps.Add($"guard: {cap.Guard}");
            }

            if (cap.GuardSize != 0)
            {
                ps.Add($"guard_size: {cap.GuardSize}");
            }

            if (cap.Reply != ReplyKind.None)
            {
                ps.Add(cap.Reply == ReplyKind.Reply ? "reply" : "master_reply");
            }

            if (cap.Asid is var (hi, lo))
            {
                ps.Add($"asid: (0x{hi:x}, 0x{lo:x})");
            }

            if (!cap.Cached)
            {
                ps.Add("uncached");
            }

            if (cap.Mapping is CapRef m)
            {
                ps.Add($"mapping: {m}");
            }

            if (cap.Core is ulong core)
            {
                ps.Add($"core: {core}");
            }

            return string.Join(", ", ps);
        }
    }
}
