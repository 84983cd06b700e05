using System.Numerics;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// Turns the parse tree into a <see cref="CapdlSpec"/>: declares objects (merging repeated
    /// untyped declarations as capDL-tool does), resolves paths and untyped contents, numbers
    /// unnumbered slots, resolves capability names and copies, and builds the derivation tree.
    /// </summary>
    internal sealed class CapdlModelBuilder
    {
        private static readonly Dictionary<ObjectKind, string[]> AllowedParams = new()
        {
            [ObjectKind.Tcb] = ["addr", "ip", "sp", "prio", "max_prio", "affinity", "resume", "fpu_disabled", "init", "dom", "fault_ep"],
            [ObjectKind.CNode] = ["bits"],
            [ObjectKind.Untyped] = ["bits", "paddr"],
            [ObjectKind.Frame] = ["vmsize", "paddr", "fill"],
            [ObjectKind.AsidPool] = ["asid_high"],
            [ObjectKind.IoPT] = ["level"],
            [ObjectKind.IoPorts] = ["ports"],
            [ObjectKind.IoDevice] = ["domainID", "pci"],
            [ObjectKind.ArmIoDevice] = ["iospace"],
            [ObjectKind.SchedContext] = ["period", "budget", "data", "bits"],
            [ObjectKind.IoapicIrq] = ["ioapic_num", "ioapic_pin", "ioapic_level", "ioapic_polarity"],
            [ObjectKind.MsiIrq] = ["msi_handle", "msi_pci_bus", "msi_pci_dev", "msi_pci_fun"],
            [ObjectKind.ArmIrq] = ["trigger", "target"],
            [ObjectKind.ContextBank] = ["bank"],
            [ObjectKind.ArmSgiSignal] = ["irq", "target"],
        };

        private static readonly HashSet<string> HexParams = ["addr", "ip", "sp", "asid_high"];

        private readonly ModuleSyntax _m;
        private readonly CapdlSpec _spec;

        // Declared names: array length, or null for a single object.
        private readonly Dictionary<string, int?> _names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, SourceLocation> _declaredAt = new(StringComparer.Ordinal);
        private readonly List<(ObjectId? Parent, IReadOnlyList<NameRefSyntax> Prefixes, IReadOnlyList<ObjectId> Ids)> _paths = [];
        private readonly List<(ObjectId Ut, NameRefSyntax Ref)> _childRefs = [];
        private readonly Dictionary<ObjectId, ObjectId> _coveredBy = [];
        private readonly Dictionary<ObjectId, CapRef> _capNames = [];
        private readonly Dictionary<ObjectId, CapNameDeclSyntax> _lazyCapNames = [];
        private readonly Dictionary<CapRef, (ObjectId Source, CapRights Mask, SourceLocation At)> _copies = [];
        private readonly Dictionary<CapRef, SourceLocation> _slotAt = [];

        private CapdlModelBuilder(ModuleSyntax m)
        {
            _m = m;
            _spec = new CapdlSpec(m.Arch) { Domains = m.Domains };
        }

        public static CapdlSpec Build(ModuleSyntax m) => new CapdlModelBuilder(m).Run();

        private CapdlSpec Run()
        {
            foreach (ObjDeclSyntax d in _m.Objects)
            {
                Declare(d, null);
            }

            ResolvePathsAndCovers();
            ResolveCaps();
            ResolveCopies();
            ResolveCdt();
            ResolveIrqs();
            return _spec;
        }

        // ---- objects ----------------------------------------------------------------------

        private void Declare(ObjDeclSyntax d, ObjectId? parentUt)
        {
            NameRefSyntax b = d.Path[^1];
            IReadOnlyList<ObjectId> ids = DeclareBase(b, d);
            _paths.Add((parentUt, d.Path.Take(d.Path.Count - 1).ToList(), ids));
            if (d.ChildDecls.Count > 0 || d.ChildRefs.Count > 0)
            {
                if (d.Kind != ObjectKind.Untyped)
                {
                    throw new CapdlException(b.Location, $"only untyped objects can contain objects, but '{b.Name}' is {ObjectKinds.WithArticle(d.Kind)}");
                }

                if (ids.Count != 1)
                {
                    throw new CapdlException(b.Location, $"an array of untypeds cannot contain objects; declare the contents of each element, e.g. {b.Name}[0] = ut {{ ... }}");
                }

                foreach (ObjDeclSyntax c in d.ChildDecls)
                {
                    Declare(c, ids[0]);
                }

                foreach (NameRefSyntax r in d.ChildRefs)
                {
                    _childRefs.Add((ids[0], r));
                }
            }
        }

        private IReadOnlyList<ObjectId> DeclareBase(NameRefSyntax b, ObjDeclSyntax d)
        {
            if (_names.TryGetValue(b.Name, out int? len))
            {
                if (d.Kind != ObjectKind.Untyped)
                {
                    throw new CapdlException(b.Location, $"'{b.Name}' is already declared at {_declaredAt[b.Name]}");
                }

                // A repeated untyped declaration names an existing untyped (or array element) and adds to it.
                ObjectId id = len is null || b.Ranges is not null ? RefToSingle(b) : throw new CapdlException(b.Location, $"'{b.Name}' is an array; name one element, e.g. {b.Name}[0]");
                SpecObject existing = _spec.Objects[id];
                if (existing.Kind != ObjectKind.Untyped)
                {
                    throw new CapdlException(b.Location, $"'{id}' is already declared as {ObjectKinds.WithArticle(existing.Kind)} at {_declaredAt[b.Name]}");
                }

                SpecObject fresh = MakeObject(id, d);
                if (fresh.SizeBits is int s)
                {
                    if (existing.SizeBits is int e && e != s)
                    {
                        throw new CapdlException(b.Location, $"untyped '{id}' is declared with {s} bits here but {e} bits at {_declaredAt[b.Name]}");
                    }

                    existing.SizeBits = s;
                }

                if (fresh.Paddr is ulong p)
                {
                    if (existing.Paddr is ulong q && q != p)
                    {
                        throw new CapdlException(b.Location, $"untyped '{id}' is declared at paddr 0x{p:x} here but 0x{q:x} at {_declaredAt[b.Name]}");
                    }

                    existing.Paddr = p;
                }

                return [id];
            }

            int? count = null;
            if (b.Ranges is not null)
            {
                if (b.Ranges.Count != 1 || !b.Ranges[0].IsSingle)
                {
                    throw new CapdlException(b.Location, $"a declaration gives an array size in brackets, e.g. {b.Name}[4]; '{b.Name}' is not declared yet");
                }

                if (b.Ranges[0].From is not ulong n || n == 0 || n > 1 << 24)
                {
                    throw new CapdlException(b.Location, $"array '{b.Name}' must have between 1 and {1 << 24} elements");
                }

                count = (int)n;
            }

            _names[b.Name] = count;
            _declaredAt[b.Name] = b.Location;
            var ids = new List<ObjectId>();
            for (int i = 0; i < (count ?? 1); i++)
            {
                var id = new ObjectId(b.Name, count is null ? null : i);
                _spec.Objects[id] = MakeObject(id, d);
                _spec.Locations[id] = b.Location;
                ids.Add(id);
            }

            return ids;
        }

        private static SpecObject MakeObject(ObjectId id, ObjDeclSyntax d)
        {
            var o = new SpecObject(id, d.Kind);
            string[] allowed = AllowedParams.GetValueOrDefault(d.Kind, []);
            var seen = new HashSet<string>();
            foreach (ObjParamSyntax p in d.Params)
            {
                if (!allowed.Contains(p.Key))
                {
                    string what = p.Key switch { "bits" => "a size in bits", "vmsize" => "a frame size", _ => $"parameter '{p.Key}'" };
                    throw new CapdlException(p.Location, $"{what} does not apply to {ObjectKinds.WithArticle(d.Kind)} object" + (allowed.Length > 0 ? $" (it takes {string.Join(", ", allowed.Select(a => a == "vmsize" ? "a size like 4k" : a))})" : string.Empty));
                }

                if (!seen.Add(p.Key))
                {
                    throw new CapdlException(p.Location, $"parameter '{p.Key}' is given twice");
                }

                switch (p.Key)
                {
                    case "bits":
                        ulong bits = (ulong)p.Value;
                        if (bits > 63)
                        {
                            throw new CapdlException(p.Location, $"{bits} bits is too large (at most 63)");
                        }

                        o.SizeBits = (int)bits;
                        break;
                    case "vmsize":
                        ulong size = (ulong)p.Value;
                        if (size == 0 || !BitOperations.IsPow2(size))
                        {
                            throw new CapdlException(p.Location, $"frame size {size} bytes is not a power of two");
                        }

                        o.SizeBits = BitOperations.Log2(size);
                        break;
                    case "paddr":
                        o.Paddr = (ulong)p.Value;
                        break;
                    case "fill":
                        o.Fill.AddRange((List<FillEntry>)p.Value);
                        break;
                    default:
                        o.Parameters[p.Key] = p.Value switch
                        {
                            ulong n when HexParams.Contains(p.Key) => $"0x{n:x}",
                            ulong n => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            List<ulong> l => $"[{string.Join(", ", l)}]",
                            ValueTuple<ulong, ulong> r => $"[{r.Item1}..{r.Item2}]",
                            _ => (string)p.Value,
                        };
                        break;
                }
            }

            if (d.Kind == ObjectKind.CNode && o.SizeBits is null)
            {
                throw new CapdlException(d.Location, $"cnode '{id.Name}' needs a size, e.g. cnode (10 bits)");
            }

            if (d.Kind == ObjectKind.Frame)
            {
                if (o.SizeBits is not int fb)
                {
                    throw new CapdlException(d.Location, $"frame '{id.Name}' needs a size, e.g. frame (4k)");
                }

                foreach (FillEntry f in o.Fill)
                {
                    if (f.Offset > 1UL << fb || f.Length > (1UL << fb) - f.Offset)
                    {
                        throw new CapdlException(d.Location, $"fill {f} of frame '{id.Name}' goes past the end of the {1UL << fb}-byte frame");
                    }
                }
            }

            if (d.Kind == ObjectKind.Tcb && o.Parameters.TryGetValue("dom", out string? dom) && dom == "0")
            {
                o.Parameters.Remove("dom"); // domain 0 is the default; dropping it keeps equal specs equal
            }

            return o;
        }

        private IReadOnlyList<ObjectId> RefToIds(NameRefSyntax r)
        {
            if (!_names.TryGetValue(r.Name, out int? len))
            {
                throw new CapdlException(r.Location, $"unknown object '{r.Name}'" + Suggest(r.Name));
            }

            if (r.Ranges is null)
            {
                if (len is int n)
                {
                    throw new CapdlException(r.Location, $"'{r.Name}' is an array of {n}; name an element ({r.Name}[0]) or all of them ({r.Name}[])");
                }

                return [new ObjectId(r.Name, null)];
            }

            if (len is not int count)
            {
                throw new CapdlException(r.Location, $"'{r.Name}' is a single object, not an array; drop the brackets");
            }

            if (r.Ranges.Count == 0)
            {
                return Enumerable.Range(0, count).Select(i => new ObjectId(r.Name, i)).ToList();
            }

            var ids = new List<ObjectId>();
            foreach (RangeSyntax g in r.Ranges)
            {
                ulong from = g.From ?? 0;
                ulong to = g.To ?? (ulong)(count - 1);
                if (to >= (ulong)count || from > to)
                {
                    throw new CapdlException(r.Location, $"index {(to >= (ulong)count ? to : from)} is out of range for '{r.Name}', which has {count} elements (0..{count - 1})");
                }

                for (ulong i = from; i <= to; i++)
                {
                    ids.Add(new ObjectId(r.Name, (int)i));
                }
            }

            return ids;
        }

        private ObjectId RefToSingle(NameRefSyntax r)
        {
            IReadOnlyList<ObjectId> ids = RefToIds(r);
            if (ids.Count != 1)
            {
                throw new CapdlException(r.Location, $"'{r.Name}' names {ids.Count} objects here; name exactly one");
            }

            return ids[0];
        }

        private string Suggest(string name)
        {
            string? best = _names.Keys.Where(k => Distance(k, name) <= 2).OrderBy(k => Distance(k, name)).FirstOrDefault();
            return best is null ? string.Empty : $"; did you mean '{best}'?";
        }

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++)
            {
                d[i, 0] = i;
            }

            for (int j = 0; j <= b.Length; j++)
            {
                d[0, j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                for (int j = 1; j <= b.Length; j++)
                {
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                }
            }

            return d[a.Length, b.Length];
        }

        private void ResolvePathsAndCovers()
        {
            foreach (var (parent, prefixes, ids) in _paths)
            {
                var chain = new List<ObjectId>();
                if (parent is ObjectId p)
                {
                    chain.Add(p);
                }

                foreach (NameRefSyntax n in prefixes)
                {
                    if (!_names.ContainsKey(n.Name) && n.Ranges is null)
                    {
                        // A path names untypeds that need not be declared elsewhere.
                        var id = new ObjectId(n.Name, null);
                        _names[n.Name] = null;
                        _declaredAt[n.Name] = n.Location;
                        _spec.Objects[id] = new SpecObject(id, ObjectKind.Untyped);
                        _spec.Locations[id] = n.Location;
                    }

                    chain.Add(RefToSingle(n));
                }

                for (int i = 0; i + 1 < chain.Count; i++)
                {
                    AddCover(chain[i], chain[i + 1], _spec.Locations[chain[i + 1]]);
                }

                if (chain.Count > 0)
                {
                    foreach (ObjectId id in ids)
                    {
                        AddCover(chain[^1], id, _spec.Locations[id]);
                    }
                }
            }

            foreach (var (ut, r) in _childRefs)
            {
                foreach (ObjectId id in RefToIds(r))
                {
                    AddCover(ut, id, r.Location);
                }
            }

            // Containment must be a forest.
            foreach (ObjectId start in _coveredBy.Keys)
            {
                var seen = new HashSet<ObjectId> { start };
                for (ObjectId cur = start; _coveredBy.TryGetValue(cur, out ObjectId up); cur = up)
                {
                    if (!seen.Add(up))
                    {
                        throw new CapdlException(_spec.Locations[start], $"untyped '{up}' contains itself (through {string.Join(" -> ", seen)})");
                    }
                }
            }
        }

        private void AddCover(ObjectId ut, ObjectId child, SourceLocation at)
        {
            if (_spec.Objects[ut].Kind != ObjectKind.Untyped)
            {
                throw new CapdlException(at, $"'{ut}' is {ObjectKinds.WithArticle(_spec.Objects[ut].Kind)}, not an untyped, so it cannot contain '{child}'");
            }

            if (ut == child)
            {
                throw new CapdlException(at, $"untyped '{ut}' cannot contain itself");
            }

            if (_coveredBy.TryGetValue(child, out ObjectId other))
            {
                if (other != ut)
                {
                    throw new CapdlException(at, $"'{child}' is placed in untyped '{ut}' but already in '{other}'; an object comes from one untyped");
                }

                return;
            }

            _coveredBy[child] = ut;
            if (!_spec.Covers.TryGetValue(ut, out SortedSet<ObjectId>? set))
            {
                _spec.Covers[ut] = set = [];
            }

            set.Add(child);
        }

        // ---- caps -------------------------------------------------------------------------

        private void ResolveCaps()
        {
            // Named slots are resolved when used: capDL-tool accepts names that nothing refers to.
            foreach (CapNameDeclSyntax n in _m.CapNames)
            {
                _lazyCapNames[new ObjectId(n.Name, null)] = n;
            }

            foreach (CapDeclSyntax decl in _m.Caps)
            {
                IReadOnlyList<ObjectId> containers = RefToIds(decl.Container);
                if (decl.Mappings.Any(m => m.IsCopy) && decl.Mappings.Any(m => m.Slot is null))
                {
                    throw new CapdlException(decl.Container.Location, $"'{decl.Container.Name}' mixes copied capabilities (<name>) with unnumbered slots; number every slot");
                }

                for (int ci = 0; ci < containers.Count; ci++)
                {
                    ObjectId container = containers[ci];
                    SpecObject obj = _spec.Objects[container];
                    if (!ObjectKinds.HasSlots(obj.Kind))
                    {
                        throw new CapdlException(decl.Container.Location, $"'{container}' is {ObjectKinds.WithArticle(obj.Kind)}, which holds no capabilities (cnode, tcb, irq and page-table objects do)");
                    }

                    ulong next = 0;
                    foreach (CapMappingSyntax m in decl.Mappings)
                    {
                        ulong slot = m.Slot ?? next;
                        if (m.IsCopy)
                        {
                            // Copies may name capabilities declared further down: resolve them afterwards.
                            _pendingCopies.Add((container, slot, m, ci == 0));
                            continue;
                        }

                        int count = AddCaps(container, obj, slot, m);
                        if (m.CapName is { } capName && ci == 0)
                        {
                            NameCaps(capName, container, slot, count);
                        }

                        next = slot + (ulong)count;
                    }
                }
            }

            var waiting = _pendingCopies.ToList();
            while (waiting.Count > 0)
            {
                var stuck = new List<(ObjectId, ulong, CapMappingSyntax, bool)>();
                foreach (var (container, slot, m, first) in waiting)
                {
                    if (!CapNameKnown(m.Target))
                    {
                        stuck.Add((container, slot, m, first));
                        continue;
                    }

                    int count = AddCopies(container, slot, m);
                    if (m.CapName is { } capName && first)
                    {
                        NameCaps(capName, container, slot, count);
                    }
                }

                if (stuck.Count == waiting.Count)
                {
                    throw UnknownCapName(stuck[0].Item3.Target);
                }

                waiting = stuck;
            }
        }

        private readonly List<(ObjectId Container, ulong Slot, CapMappingSyntax Mapping, bool First)> _pendingCopies = [];

        private bool CapNameKnown(NameRefSyntax r) =>
            r.Ranges is null ? LookupCapName(new ObjectId(r.Name, null)) is not null : _capNames.Keys.Any(k => k.Name == r.Name && k.Index is not null);

        private void NameCaps(NameRefSyntax name, ObjectId container, ulong slot, int count)
        {
            if (name.Ranges is null)
            {
                if (count != 1)
                {
                    throw new CapdlException(name.Location, $"the name '{name.Name}' would stand for {count} capabilities; write {name.Name}[] to name them as an array");
                }

                _capNames[new ObjectId(name.Name, null)] = new CapRef(container, slot);
                return;
            }

            if (name.Ranges.Count != 0)
            {
                throw new CapdlException(name.Location, $"name an array of capabilities with empty brackets: {name.Name}[]");
            }

            for (int i = 0; i < count; i++)
            {
                _capNames[new ObjectId(name.Name, i)] = new CapRef(container, slot + (ulong)i);
            }
        }

        private void Place(ObjectId container, SpecObject obj, ulong slot, SpecCap cap, SourceLocation at)
        {
            ulong limit = obj.Kind switch
            {
                // capDL-tool does not bound CNode slots by the radix (its own examples exceed it); the loader does.
                ObjectKind.Tcb => 10,
                _ when ObjectKinds.IsIrq(obj.Kind) => 1,
                _ => ulong.MaxValue,
            };
            if (slot >= limit)
            {
                throw new CapdlException(at, $"slot {slot} is outside '{container}', which has {limit} slots (0..{limit - 1})");
            }

            var r = new CapRef(container, slot);
            if (obj.Slots.ContainsKey(slot) || _copies.ContainsKey(r))
            {
                throw new CapdlException(at, $"slot {slot} of '{container}' is already filled (at {_slotAt[r]})");
            }

            obj.Slots[slot] = cap;
            _slotAt[r] = at;
        }

        private int AddCaps(ObjectId container, SpecObject obj, ulong slot, CapMappingSyntax m)
        {
            if (m.Target.Ranges is null && SpecCap.SpecialNames.Contains(m.Target.Name) && !_names.ContainsKey(m.Target.Name))
            {
                ulong? core = null;
                foreach (CapParamSyntax p in m.Params)
                {
                    if (p.Key == "core" && m.Target.Name == "sched_control")
                    {
                        core = (ulong)p.Value!;
                    }
                    else
                    {
                        throw new CapdlException(p.Location, $"'{p.Key}' does not apply to the {m.Target.Name} capability");
                    }
                }

                if (m.Target.Name == "sched_control" && core is null)
                {
                    throw new CapdlException(m.Location, "a sched_control capability needs its core: sched_control (core: 0)");
                }

                Place(container, obj, slot, new SpecCap { Special = m.Target.Name, Core = core }, m.Location);
                AddParent(new CapRef(container, slot), m);
                return 1;
            }

            IReadOnlyList<ObjectId> targets = RefToIds(m.Target);
            for (int i = 0; i < targets.Count; i++)
            {
                SpecCap cap = MakeCap(targets[i], m);
                Place(container, obj, slot + (ulong)i, cap, m.Location);
                AddParent(new CapRef(container, slot + (ulong)i), m);
            }

            return targets.Count;
        }

        private void AddParent(CapRef child, CapMappingSyntax m)
        {
            if (m.Parent is not null)
            {
                _pendingParents.Add((child, m.Parent));
            }
        }

        private readonly List<(CapRef Child, SlotRefSyntax Parent)> _pendingParents = [];

        private SpecCap MakeCap(ObjectId target, CapMappingSyntax m)
        {
            ObjectKind kind = _spec.Objects[target].Kind;
            string[] allowed = kind switch
            {
                ObjectKind.Endpoint or ObjectKind.Notification => ["rights", "badge"],
                ObjectKind.Smc => ["badge"],
                ObjectKind.Tcb => ["reply", "master_reply"],
                ObjectKind.CNode => ["guard", "guard_size"],
                ObjectKind.Frame => ["rights", "asid", "cached", "uncached", "mapping"],
                _ when ObjectKinds.IsPageTable(kind) => ["asid"],
                _ => [],
            };
            var cap = new SpecCap { Target = target };
            foreach (CapParamSyntax p in m.Params)
            {
                if (!allowed.Contains(p.Key))
                {
                    string what = p.Key == "rights" ? "rights" : $"'{p.Key}'";
                    throw new CapdlException(p.Location, $"{what} cannot be given on a capability to '{target}', {ObjectKinds.WithArticle(kind)}" + (allowed.Length > 0 ? $" (it takes {string.Join(", ", allowed)})" : " (it takes no parameters)"));
                }

                cap = p.Key switch
                {
                    "rights" => cap with { Rights = cap.Rights | (CapRights)p.Value! },
                    "badge" => cap with { Badge = (ulong)p.Value! },
                    "guard" => cap with { Guard = (ulong)p.Value! },
                    "guard_size" => cap with { GuardSize = (ulong)p.Value! },
                    "reply" => cap with { Reply = ReplyKind.Reply },
                    "master_reply" => cap with { Reply = ReplyKind.MasterReply },
                    "asid" => cap with { Asid = ((ulong, ulong))p.Value! },
                    "cached" => cap with { Cached = true },
                    "uncached" => cap with { Cached = false },
                    "mapping" => cap with { Mapping = ResolveMapping(((NameRefSyntax, ulong))p.Value!) },
                    _ => cap,
                };
            }

            if (cap.GuardSize > 64)
            {
                throw new CapdlException(m.Location, $"guard_size {cap.GuardSize} is more than 64 bits");
            }

            return cap;
        }

        private CapRef ResolveMapping((NameRefSyntax Container, ulong Slot) m) => new(RefToSingle(m.Container), m.Slot);

        private int AddCopies(ObjectId container, ulong slot, CapMappingSyntax m)
        {
            CapRights mask = CapRights.All;
            foreach (CapParamSyntax p in m.Params)
            {
                if (p.Key != "masked")
                {
                    throw new CapdlException(p.Location, $"a copied capability <{m.Target.Name}> takes only 'masked: RIGHTS', not '{p.Key}'");
                }

                mask &= (CapRights)p.Value!;
            }

            IReadOnlyList<ObjectId> names = CapNameIds(m.Target);
            SpecObject obj = _spec.Objects[container];
            for (int i = 0; i < names.Count; i++)
            {
                var r = new CapRef(container, slot + (ulong)i);
                if (obj.Slots.ContainsKey(r.Slot) || _copies.ContainsKey(r))
                {
                    throw new CapdlException(m.Location, $"slot {r.Slot} of '{container}' is already filled (at {_slotAt[r]})");
                }

                _copies[r] = (names[i], mask, m.Location);
                _slotAt[r] = m.Location;
                AddParent(r, m);
            }

            return names.Count;
        }

        private IReadOnlyList<ObjectId> CapNameIds(NameRefSyntax r)
        {
            if (r.Ranges is null)
            {
                var id = new ObjectId(r.Name, null);
                return LookupCapName(id) is not null ? [id] : throw UnknownCapName(r);
            }

            var all = _capNames.Keys.Where(k => k.Name == r.Name && k.Index is not null).OrderBy(k => k.Index).ToList();
            if (all.Count == 0)
            {
                throw UnknownCapName(r);
            }

            if (r.Ranges.Count == 0)
            {
                return all;
            }

            var ids = new List<ObjectId>();
            foreach (RangeSyntax g in r.Ranges)
            {
                for (ulong i = g.From ?? 0; i <= (g.To ?? (ulong)(all.Count - 1)); i++)
                {
                    var id = new ObjectId(r.Name, (int)i);
                    ids.Add(_capNames.ContainsKey(id) ? id : throw new CapdlException(r.Location, $"capability name '{r.Name}' has no element {i}"));
                }
            }

            return ids;
        }

        private CapRef? LookupCapName(ObjectId id)
        {
            if (_capNames.TryGetValue(id, out CapRef r))
            {
                return r;
            }

            if (_lazyCapNames.TryGetValue(id, out CapNameDeclSyntax? n))
            {
                r = new CapRef(RefToSingle(n.Object), n.Slot);
                _capNames[id] = r;
                return r;
            }

            return null;
        }

        private static CapdlException UnknownCapName(NameRefSyntax r) =>
            new(r.Location, $"unknown capability name '{r.Name}'; name a capability with 'NAME = (object, slot)' or 'slot: NAME = object' in the caps section");

        private void ResolveCopies()
        {
            foreach (CapRef r in _copies.Keys.ToList())
            {
                ResolveCopy(r, []);
            }
        }

        private SpecCap CapAt(CapRef r, HashSet<CapRef> visiting, SourceLocation at)
        {
            if (_spec.Objects[r.Object].Slots.TryGetValue(r.Slot, out SpecCap? cap))
            {
                return cap;
            }

            if (_copies.ContainsKey(r))
            {
                return ResolveCopy(r, visiting);
            }

            throw new CapdlException(at, $"slot {r.Slot} of '{r.Object}' holds no capability to copy");
        }

        private SpecCap ResolveCopy(CapRef r, HashSet<CapRef> visiting)
        {
            if (_spec.Objects[r.Object].Slots.TryGetValue(r.Slot, out SpecCap? done))
            {
                return done;
            }

            var (source, mask, at) = _copies[r];
            if (!visiting.Add(r))
            {
                throw new CapdlException(at, $"capability copies form a cycle through slot {r.Slot} of '{r.Object}'");
            }

            SpecCap src = CapAt(LookupCapName(source)!.Value, visiting, at);
            SpecCap copy = src with { Rights = src.Rights & mask };
            _spec.Objects[r.Object].Slots[r.Slot] = copy;
            visiting.Remove(r);
            return copy;
        }

        // ---- cdt and irqs -----------------------------------------------------------------

        private CapRef SlotRefToCapRef(SlotRefSyntax s)
        {
            if (s.Slot is ulong slot)
            {
                return new CapRef(RefToSingle(s.Name), slot);
            }

            var id = new ObjectId(s.Name.Name, s.Name.Ranges is { Count: 1 } rs && rs[0].IsSingle ? (int?)rs[0].From : null);
            return LookupCapName(id) ?? throw UnknownCapName(s.Name);
        }

        private void AddCdt(CapRef child, CapRef parent, SourceLocation at)
        {
            foreach (CapRef c in new[] { child, parent })
            {
                if (!_spec.Objects[c.Object].Slots.ContainsKey(c.Slot))
                {
                    throw new CapdlException(at, $"derivation names slot {c.Slot} of '{c.Object}', which holds no capability");
                }
            }

            if (_spec.Cdt.TryGetValue(child, out CapRef old) && old != parent)
            {
                throw new CapdlException(at, $"capability {child} is derived from both {old} and {parent}");
            }

            for (CapRef p = parent; ; )
            {
                if (p == child)
                {
                    throw new CapdlException(at, $"derivation of {child} from {parent} makes a cycle");
                }

                if (!_spec.Cdt.TryGetValue(p, out p))
                {
                    break;
                }
            }

            _spec.Cdt[child] = parent;
        }

        private void ResolveCdt()
        {
            foreach (var (child, parent) in _pendingParents)
            {
                AddCdt(child, SlotRefToCapRef(parent), parent.Location);
            }

            foreach (CdtDeclSyntax d in _m.Cdt)
            {
                AddCdtDecl(d);
            }
        }

        private void AddCdtDecl(CdtDeclSyntax d)
        {
            CapRef parent = SlotRefToCapRef(d.Parent);
            foreach (CdtDeclSyntax c in d.Children)
            {
                AddCdt(SlotRefToCapRef(c.Parent), parent, c.Parent.Location);
                if (c.Children.Count > 0)
                {
                    AddCdtDecl(c);
                }
            }
        }

        private void ResolveIrqs()
        {
            ulong next = 0;
            foreach (IrqMappingSyntax m in _m.Irqs)
            {
                ulong irq = m.Slot ?? next;
                IReadOnlyList<ObjectId> ids = RefToIds(m.Target);
                for (int i = 0; i < ids.Count; i++)
                {
                    SpecObject o = _spec.Objects[ids[i]];
                    if (!ObjectKinds.IsIrq(o.Kind))
                    {
                        throw new CapdlException(m.Location, $"'{ids[i]}' is {ObjectKinds.WithArticle(o.Kind)}; only irq objects can be mapped to interrupts");
                    }

                    if (_spec.IrqMap.TryGetValue(irq + (ulong)i, out ObjectId prev))
                    {
                        throw new CapdlException(m.Location, $"interrupt {irq + (ulong)i} is mapped to both '{prev}' and '{ids[i]}'");
                    }

                    if (_spec.IrqMap.ContainsValue(ids[i]))
                    {
                        throw new CapdlException(m.Location, $"'{ids[i]}' is mapped to two interrupts");
                    }

                    _spec.IrqMap[irq + (ulong)i] = ids[i];
                }

                next = irq + (ulong)ids.Count;
            }
        }
    }
}
