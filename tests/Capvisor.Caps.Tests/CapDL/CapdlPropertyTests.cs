using System.Text;
using Capvisor.Caps.CapDL;

namespace Capvisor.Caps.Tests.CapDL
{
    /// <summary>
    /// Random specs written twice — once plainly, once with declarations, slots and parameters shuffled,
    /// numbers in other bases, comments and separators — must print identically and measure the same;
    /// and printing is a fixed point. CAPVISOR_PROPERTY_RUNS enlarges the budget.
    /// </summary>
    public class CapdlPropertyTests
    {
        private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_PROPERTY_RUNS"), out int n) ? n : 150;

        [Fact]
        public void FormattingAndOrderDoNotChangeThePrintOrTheDigest()
        {
            for (int run = 0; run < Runs; run++)
            {
                var g = new Generator(new Random(7000 + run));
                g.Generate();
                string plain = g.Render(new Random(1), scramble: false);
                string scrambled = g.Render(new Random(run), scramble: true);
                CapdlSpec a = CapdlParser.Parse(plain, "plain");
                CapdlSpec b;
                try
                {
                    b = CapdlParser.Parse(scrambled, "scrambled");
                }
                catch (CapdlException e)
                {
                    throw new Xunit.Sdk.XunitException($"run {run}: {e.Message}\n{scrambled}");
                }

                string pa = CapdlPrinter.Print(a);
                if (run == 3 && Environment.GetEnvironmentVariable("CAPVISOR_SHOW_SAMPLE") is not null)
                {
                    Console.WriteLine(scrambled + "\n====\n" + pa);
                }

                Assert.Equal(pa, CapdlPrinter.Print(b));
                Assert.Equal(pa, CapdlPrinter.Print(CapdlParser.Parse(pa, "printed")));
                Assert.Equal(CapdlDigest.Compute(a, null), CapdlDigest.Compute(b, null));
            }
        }

        [Fact]
        public void AnyChangeOfMeaningChangesTheDigest()
        {
            int mutated = 0;
            for (int run = 0; run < Runs / 3; run++)
            {
                var g = new Generator(new Random(9000 + run));
                g.Generate();
                byte[] d = CapdlDigest.Compute(CapdlParser.Parse(g.Render(new Random(1), false)), null);
                if (g.Mutate(new Random(run)))
                {
                    mutated++;
                    Assert.NotEqual(d, CapdlDigest.Compute(CapdlParser.Parse(g.Render(new Random(1), false)), null));
                }
            }

            Assert.True(mutated > Runs / 6, $"only {mutated} specs could be mutated");
        }

        private sealed class Generator(Random rng)
        {
            private readonly List<(string Name, string Kind, int Count, List<(string Key, ulong Value)> Params)> _objects = [];
            private readonly Dictionary<string, List<(ulong Slot, string Target, List<string> Params)>> _caps = [];
            private readonly Dictionary<string, List<string>> _covers = [];
            private readonly List<(ulong Irq, string Obj)> _irqs = [];

            public void Generate()
            {
                int n = rng.Next(3, 14);
                for (int i = 0; i < n; i++)
                {
                    string kind = new[] { "ep", "notification", "tcb", "cnode", "frame", "pgd", "pt", "vcpu", "irq", "ut" }[rng.Next(10)];
                    int count = kind is "frame" or "ep" && rng.Next(3) == 0 ? rng.Next(2, 6) : 1;
                    var ps = new List<(string, ulong)>();
                    switch (kind)
                    {
                        case "tcb":
                            foreach (string k in new[] { "prio", "ip", "sp", "affinity", "max_prio" })
                            {
                                if (rng.Next(2) == 0)
                                {
                                    ps.Add((k, (ulong)rng.Next(0, 255) * (k is "ip" or "sp" ? 4096UL : 1)));
                                }
                            }

                            break;
                        case "cnode":
                            ps.Add(("bits", (ulong)rng.Next(2, 7)));
                            break;
                        case "frame":
                            ps.Add(("size", rng.Next(3) == 0 ? 2048UL : 4UL));
                            break;
                        case "ut":
                            ps.Add(("bits", (ulong)rng.Next(22, 30)));
                            break;
                    }

                    _objects.Add(($"o{i}_{kind}", kind, count, ps));
                }

                var singles = _objects.Where(o => o.Count == 1).ToList();
                foreach (var c in _objects.Where(o => o.Kind is "cnode" or "tcb"))
                {
                    var caps = new List<(ulong, string, List<string>)>();
                    var used = new HashSet<ulong>();
                    int m = rng.Next(0, 6);
                    for (int j = 0; j < m; j++)
                    {
                        var t = _objects[rng.Next(_objects.Count)];
                        if (t.Kind == "ut" && _covers.Count > 0)
                        {
                            continue;
                        }

                        ulong slot = c.Kind == "tcb" ? (ulong)rng.Next(10) : (ulong)rng.Next(1 << (int)c.Params[0].Value);
                        if (!used.Add(slot))
                        {
                            continue;
                        }

                        string target = t.Count > 1 ? $"{t.Name}[{rng.Next(t.Count)}]" : t.Name;
                        var ps = new List<string>();
                        if (t.Kind is "ep" or "notification" or "frame" && rng.Next(3) > 0)
                        {
                            ps.Add(string.Concat("RWGP".Where(_ => rng.Next(2) == 0).DefaultIfEmpty('R')));
                        }

                        if (t.Kind is "ep" or "notification" && rng.Next(2) == 0)
                        {
                            ps.Add($"badge: {rng.Next(1, 100000)}");
                        }

                        if (t.Kind == "cnode" && rng.Next(2) == 0)
                        {
                            ps.Add($"guard: {rng.Next(4)}");
                            ps.Add($"guard_size: {rng.Next(1, 40)}");
                        }

                        if (t.Kind == "frame" && rng.Next(4) == 0)
                        {
                            ps.Add("uncached");
                        }

                        caps.Add((slot, target, ps));
                    }

                    if (caps.Count > 0)
                    {
                        _caps[c.Name] = caps;
                    }
                }

                foreach (var pt in _objects.Where(o => o.Kind is "pgd" or "pt"))
                {
                    var frames = _objects.Where(o => o.Kind == "frame").ToList();
                    if (frames.Count > 0 && rng.Next(2) == 0)
                    {
                        var f = frames[rng.Next(frames.Count)];
                        _caps[pt.Name] = [((ulong)rng.Next(512), f.Count > 1 ? $"{f.Name}[0]" : f.Name, ["RW"])];
                    }
                }

                var uts = _objects.Where(o => o.Kind == "ut").ToList();
                foreach (var o in _objects.Where(o => o.Kind is not ("ut" or "irq")))
                {
                    if (uts.Count > 0 && rng.Next(2) == 0)
                    {
                        var ut = uts[rng.Next(uts.Count)];
                        if (!_covers.TryGetValue(ut.Name, out var list))
                        {
                            _covers[ut.Name] = list = [];
                        }

                        list.Add(o.Count > 1 ? $"{o.Name}[]" : o.Name);
                    }
                }

                ulong irq = (ulong)rng.Next(32, 64);
                foreach (var o in _objects.Where(o => o.Kind == "irq"))
                {
                    _irqs.Add((irq++, o.Name));
                }
            }

            /// <summary>Changes one thing that matters: a cap's rights or badge, or a thread's priority.</summary>
            public bool Mutate(Random r)
            {
                var withCaps = _caps.Where(kv => kv.Value.Count > 0).ToList();
                if (withCaps.Count > 0 && r.Next(2) == 0)
                {
                    var list = withCaps[r.Next(withCaps.Count)].Value;
                    int i = r.Next(list.Count);
                    list.RemoveAt(i); // one capability fewer
                    return true;
                }

                int tcb = _objects.FindIndex(o => o.Kind == "tcb");
                if (tcb < 0)
                {
                    return false;
                }

                var t = _objects[tcb];
                _objects[tcb] = (t.Name, t.Kind, t.Count, [.. t.Params.Where(p => p.Key != "prio"), ("prio", 255)]);
                return !t.Params.Contains(("prio", 255UL));
            }

            public int Size => _objects.Count + _caps.Sum(c => c.Value.Count);

            private string Num(Random r, ulong v, bool scramble) => scramble && r.Next(2) == 0 ? $"0x{v:x}" : v.ToString();

            private static T[] Shuffle<T>(Random r, IEnumerable<T> items, bool scramble)
            {
                T[] a = items.ToArray();
                if (scramble)
                {
                    r.Shuffle(a);
                }

                return a;
            }

            private string Sep(Random r, bool scramble) => !scramble ? "\n" : r.Next(5) switch
            {
                0 => " -- note\n",
                1 => " /* c /* nested */ */ ",
                2 => "  ",
                _ => "\n\t",
            };

            public string Render(Random r, bool scramble)
            {
                var sb = new StringBuilder("arch aarch64\n");
                if (scramble)
                {
                    sb.Insert(0, "/* generated */\n");
                }

                sb.Append("objects {").Append(Sep(r, scramble));
                foreach (var o in Shuffle(r, _objects, scramble))
                {
                    sb.Append(o.Name).Append(o.Count > 1 ? $"[{Num(r, (ulong)o.Count, scramble)}]" : string.Empty).Append(" = ").Append(o.Kind);
                    var ps = Shuffle(r, o.Params.Select(p => p.Key switch
                    {
                        "bits" => $"{Num(r, p.Value, scramble)} bits",
                        "size" => p.Value == 2048 ? "2M" : "4k",
                        _ => $"{p.Key}: {Num(r, p.Value, scramble)}",
                    }), scramble);
                    if (ps.Length > 0)
                    {
                        sb.Append(" (").Append(string.Join(scramble ? " ,  " : ", ", ps)).Append(')');
                    }

                    if (o.Kind == "ut" && _covers.TryGetValue(o.Name, out var cover))
                    {
                        sb.Append(" { ").Append(string.Join(scramble && r.Next(2) == 0 ? "\n" : ", ", Shuffle(r, cover, scramble))).Append(" }");
                    }

                    sb.Append(Sep(r, scramble));
                }

                sb.Append("}\ncaps {").Append(Sep(r, scramble));
                foreach (var (container, caps) in Shuffle(r, _caps, scramble))
                {
                    sb.Append(container).Append(" {").Append(Sep(r, scramble));
                    foreach (var (slot, target, ps) in Shuffle(r, caps.OrderBy(c => c.Slot), scramble))
                    {
                        sb.Append(Num(r, slot, scramble)).Append(": ").Append(target);
                        var cps = Shuffle(r, ps.Select(p => scramble && p.All(ch => "RWGP".Contains(ch)) ? new string(Shuffle(r, p, true)) : p), scramble);
                        if (cps.Length > 0)
                        {
                            sb.Append(" (").Append(string.Join(", ", cps)).Append(')');
                        }

                        sb.Append(scramble && r.Next(2) == 0 ? ";" : string.Empty).Append(Sep(r, scramble));
                    }

                    sb.Append('}').Append(Sep(r, scramble));
                }

                sb.Append("}\n");
                if (_irqs.Count > 0)
                {
                    sb.Append("irq maps {").Append(Sep(r, scramble));
                    foreach (var (irq, obj) in Shuffle(r, _irqs, scramble))
                    {
                        sb.Append(Num(r, irq, scramble)).Append(": ").Append(obj).Append(Sep(r, scramble));
                    }

                    sb.Append("}\n");
                }

                return sb.ToString();
            }
        }
    }
}
