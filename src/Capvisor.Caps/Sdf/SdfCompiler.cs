using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Sdf
{
    /// <summary>
    /// Compiles a Microkit-style system description (<c>&lt;system&gt;</c> with
    /// <c>protection_domain</c>, <c>virtual_machine</c>, <c>vcpu</c>, <c>memory_region</c>, <c>map</c>,
    /// <c>channel</c>, <c>irq</c>) to a CapDL spec, validating it as the Microkit tool does and
    /// reporting problems as <c>file:line:column: message</c>.
    /// </summary>
    /// <remarks>
    /// Each protection domain gets a TCB, a 9-bit CNode, a VSpace with the page tables its maps need,
    /// a notification and, when it is the target of a protected procedure call, an endpoint. CNode
    /// slots follow Microkit: 1 own notification, 2 own endpoint, 3 fault endpoint (for parents),
    /// 10+id notify channel id, 74+id PPC channel id, 138+id IRQ id, 202+id child PD id,
    /// 266+id VM TCB of vCPU id, 330+id vCPU id. Channels carry notifications and calls only: no
    /// capability gives Grant between protection domains.
    /// </remarks>
    public sealed class SdfCompiler
    {
        /// <summary>Largest channel or IRQ id (Microkit's PD_MAX_ID).</summary>
        public const int MaxId = 61;

        /// <summary>Most protection domains a system may have.</summary>
        public const int MaxPds = 63;

        private const int CNodeBits = 9;
        private const ulong SlotNotification = 1;
        private const ulong SlotEndpoint = 2;
        private const ulong SlotFault = 3;
        private const ulong BaseNotify = 10;
        private const ulong BasePpc = 74;
        private const ulong BaseIrq = 138;
        private const ulong BaseChildTcb = 202;
        private const ulong BaseVmTcb = 266;
        private const ulong BaseVcpu = 330;
        private const ulong MaxVaddr = 1UL << 48;

        private readonly string _file;
        private readonly string _baseDir;
        private readonly CapdlSpec _spec = new("aarch64");
        private readonly Dictionary<string, MemoryRegion> _mrs = new(StringComparer.Ordinal);
        private readonly List<Pd> _pds = [];
        private readonly HashSet<string> _vmNames = new(StringComparer.Ordinal);

        private SdfCompiler(string file, string baseDir)
        {
            _file = file;
            _baseDir = baseDir;
        }

        private sealed record MemoryRegion(string Name, ulong Size, ulong PageSize, ulong? PhysAddr, string? Prefill, XElement Node)
        {
            public int PageBits => PageSize == 0x200000 ? 21 : 12;

            public ulong Pages => Size / PageSize;
        }

        private sealed record MapSpec(MemoryRegion Region, ulong Vaddr, CapRights Rights, bool Cached, XElement Node);

        private sealed class Pd(string name, int priority, XElement node)
        {
            public string Name { get; } = name;

            public int Priority { get; } = priority;

            public XElement Node { get; } = node;

            public int? Id { get; set; }

            public Pd? Parent { get; set; }

            public int? Cpu { get; set; }

            public List<MapSpec> Maps { get; } = [];

            public List<(int Irq, int Id, string Trigger, XElement Node)> Irqs { get; } = [];

            public List<Pd> Children { get; } = [];

            public Vm? Vm { get; set; }

            public HashSet<int> Ids { get; } = [];
        }

        private sealed class Vm(string name, int priority, XElement node)
        {
            public string Name { get; } = name;

            public int Priority { get; } = priority;

            public XElement Node { get; } = node;

            public List<(int Id, int? Cpu)> Vcpus { get; } = [];

            public List<MapSpec> Maps { get; } = [];
        }

        /// <summary>Compiles the system description in <paramref name="path"/>; prefill files are relative to its directory.</summary>
        /// <exception cref="CapdlException">The description is invalid; the message says where and why.</exception>
        public static CapdlSpec CompileFile(string path)
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CapdlException($"{path}: cannot read the file: {e.Message}");
            }

            return Compile(text, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
        }

        /// <summary>Compiles system-description XML; <paramref name="file"/> names it in messages.</summary>
        /// <exception cref="CapdlException">The description is invalid; the message says where and why.</exception>
        public static CapdlSpec Compile(string xml, string file = "<input>", string? baseDir = null)
        {
            XDocument doc;
            try
            {
                doc = XDocument.Parse(xml, LoadOptions.SetLineInfo);
            }
            catch (XmlException e)
            {
                throw new CapdlException(new SourceLocation(file, e.LineNumber, e.LinePosition), $"could not parse the XML: {e.Message}");
            }

            var c = new SdfCompiler(file, baseDir ?? Directory.GetCurrentDirectory());
            c.Read(doc.Root!);
            c.Check();
            c.Emit();
            return c._spec;
        }

        // ---- reading ---------------------------------------------------------------------------

        private SourceLocation Loc(XObject node)
        {
            var li = (IXmlLineInfo)node;
            return new SourceLocation(_file, li.LineNumber, Math.Max(1, li.LinePosition - (node is XElement ? 1 : 0)));
        }

        private CapdlException Error(XElement node, string message) => new(Loc(node), $"{message} on element '{node.Name.LocalName}'");

        private void Attributes(XElement node, params string[] allowed)
        {
            foreach (XAttribute a in node.Attributes())
            {
                if (!allowed.Contains(a.Name.LocalName))
                {
                    throw new CapdlException(Loc(a), $"invalid attribute '{a.Name.LocalName}' on element '{node.Name.LocalName}'");
                }
            }
        }

        private string Required(XElement node, string name) =>
            node.Attribute(name)?.Value ?? throw new CapdlException(Loc(node), $"Missing required attribute '{name}' on element '{node.Name.LocalName}'");

        private ulong Number(XElement node, string name, string text)
        {
            string t = text.Replace("_", string.Empty, StringComparison.Ordinal);
            bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v)
                : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out v);
            return ok ? v : throw new CapdlException(Loc(node.Attribute(name)!), $"failed to parse integer '{text}' for '{name}' on element '{node.Name.LocalName}'");
        }

        private ulong? OptionalNumber(XElement node, string name) => node.Attribute(name) is { } a ? Number(node, name, a.Value) : null;

        private bool Bool(XElement node, string name, bool dflt)
        {
            string? v = node.Attribute(name)?.Value;
            return v switch
            {
                null => dflt,
                "true" => true,
                "false" => false,
                _ => throw Error(node, $"{name} must be 'true' or 'false'"),
            };
        }

        private int Id(XElement node, string name = "id")
        {
            ulong id = Number(node, name, Required(node, name));
            return id > MaxId ? throw Error(node, $"id must be < {MaxId + 1}") : (int)id;
        }

        private void Read(XElement root)
        {
            if (root.Name.LocalName != "system")
            {
                throw new CapdlException(Loc(root), $"the root element must be 'system', not '{root.Name.LocalName}'");
            }

            Attributes(root);
            foreach (XElement e in root.Elements())
            {
                switch (e.Name.LocalName)
                {
                    case "memory_region":
                        ReadMemoryRegion(e);
                        break;
                    case "protection_domain":
                        _pds.Add(ReadPd(e, null));
                        break;
                    case "channel":
                        break; // after all PDs are known
                    case "virtual_machine":
                        throw new CapdlException(Loc(e), "virtual machine must be a child of a protection domain");
                    default:
                        throw new CapdlException(Loc(e), $"invalid XML element '{e.Name.LocalName}'");
                }
            }

            var all = AllPds().ToList();
            if (all.Count == 0)
            {
                throw new CapdlException(Loc(root), "at least one protection domain must be defined");
            }

            if (all.Count > MaxPds)
            {
                throw new CapdlException(Loc(root), $"too many protection domains ({all.Count}) defined. Maximum is {MaxPds}.");
            }

            var names = new Dictionary<string, Pd>(StringComparer.Ordinal);
            foreach (Pd pd in all)
            {
                if (!names.TryAdd(pd.Name, pd))
                {
                    throw new CapdlException(Loc(pd.Node), $"duplicate protection domain name '{pd.Name}'");
                }

                if (pd.Name == "monitor")
                {
                    throw new CapdlException(Loc(pd.Node), "the PD name 'monitor' is reserved for the Microkit Monitor");
                }
            }

            foreach (XElement e in root.Elements("channel"))
            {
                ReadChannel(e, names);
            }
        }

        private IEnumerable<Pd> AllPds()
        {
            var stack = new Stack<Pd>(_pds.AsEnumerable().Reverse());
            while (stack.Count > 0)
            {
                Pd pd = stack.Pop();
                yield return pd;
                foreach (Pd c in pd.Children.AsEnumerable().Reverse())
                {
                    stack.Push(c);
                }
            }
        }

        private void ReadMemoryRegion(XElement e)
        {
            Attributes(e, "name", "size", "page_size", "phys_addr", "prefill_path", "prefill_bootinfo");
            string name = Required(e, "name");
            ulong size = Number(e, "size", Required(e, "size"));
            ulong page = OptionalNumber(e, "page_size") ?? 0x1000;
            if (page is not (0x1000 or 0x200000))
            {
                throw Error(e, $"page size 0x{page:x} not supported");
            }

            if (size == 0 || size % page != 0)
            {
                throw Error(e, "size is not a multiple of the page size");
            }

            ulong? phys = OptionalNumber(e, "phys_addr");
            if (phys is ulong p && p % page != 0)
            {
                throw Error(e, "phys_addr is not aligned to the page size");
            }

            if (e.Attribute("prefill_bootinfo") is not null)
            {
                throw Error(e, "prefill_bootinfo is not supported by Capvisor");
            }

            string? prefill = e.Attribute("prefill_path")?.Value;
            if (prefill is not null && phys is not null)
            {
                throw Error(e, "a region with phys_addr cannot be prefilled");
            }

            if (!_mrs.TryAdd(name, new MemoryRegion(name, size, page, phys, prefill, e)))
            {
                throw new CapdlException(Loc(e), $"duplicate memory region name '{name}'");
            }
        }

        private Pd ReadPd(XElement e, Pd? parent)
        {
            Attributes(e, "name", "priority", "budget", "period", "passive", "stack_size", "cpu", "smc", "fpu", "domain", "id");
            string name = Required(e, "name");
            ulong prio = OptionalNumber(e, "priority") ?? 100;
            if (prio > 254)
            {
                throw Error(e, "priority must be between 0 and 254");
            }

            ulong? budget = OptionalNumber(e, "budget");
            ulong? period = OptionalNumber(e, "period");
            if (budget is ulong b && b > (period ?? b))
            {
                throw Error(e, $"budget ({b}) must be less than, or equal to, period ({period})");
            }

            var pd = new Pd(name, (int)prio, e) { Parent = parent, Cpu = (int?)OptionalNumber(e, "cpu") };
            if (parent is not null)
            {
                pd.Id = Id(e);
            }
            else if (e.Attribute("id") is not null)
            {
                throw Error(e, "id is only valid on a child protection domain");
            }

            foreach (XElement c in e.Elements())
            {
                switch (c.Name.LocalName)
                {
                    case "program_image":
                        Attributes(c, "path");
                        Required(c, "path");
                        break;
                    case "map":
                        pd.Maps.Add(ReadMap(c));
                        break;
                    case "irq":
                        Attributes(c, "irq", "id", "trigger");
                        ulong irq = Number(c, "irq", Required(c, "irq"));
                        if (irq >= 1020)
                        {
                            throw Error(c, $"irq {irq} is not a GIC interrupt (0..1019)");
                        }

                        string trigger = c.Attribute("trigger")?.Value ?? "level";
                        if (trigger is not ("level" or "edge"))
                        {
                            throw Error(c, "trigger must be either 'level' or 'edge'");
                        }

                        pd.Irqs.Add(((int)irq, Id(c), trigger, c));
                        break;
                    case "setvar":
                        Attributes(c, "symbol", "region_paddr");
                        break;
                    case "protection_domain":
                        pd.Children.Add(ReadPd(c, pd));
                        break;
                    case "virtual_machine":
                        if (pd.Vm is not null)
                        {
                            throw Error(c, "only one virtual machine is allowed per protection domain");
                        }

                        pd.Vm = ReadVm(c);
                        break;
                    default:
                        throw new CapdlException(Loc(c), $"invalid XML element '{c.Name.LocalName}'");
                }
            }

            return pd;
        }

        private Vm ReadVm(XElement e)
        {
            Attributes(e, "name", "priority", "budget", "period");
            string name = Required(e, "name");
            if (!_vmNames.Add(name))
            {
                throw new CapdlException(Loc(e), $"duplicate virtual machine name '{name}'");
            }

            ulong prio = OptionalNumber(e, "priority") ?? 100;
            if (prio > 254)
            {
                throw Error(e, "priority must be between 0 and 254");
            }

            var vm = new Vm(name, (int)prio, e);
            foreach (XElement c in e.Elements())
            {
                switch (c.Name.LocalName)
                {
                    case "vcpu":
                        Attributes(c, "id", "cpu");
                        int id = Id(c);
                        if (vm.Vcpus.Any(v => v.Id == id))
                        {
                            throw Error(c, $"duplicate vcpu id {id}");
                        }

                        vm.Vcpus.Add((id, (int?)OptionalNumber(c, "cpu")));
                        break;
                    case "map":
                        vm.Maps.Add(ReadMap(c));
                        break;
                    default:
                        throw new CapdlException(Loc(c), $"invalid XML element '{c.Name.LocalName}'");
                }
            }

            if (vm.Vcpus.Count == 0)
            {
                throw Error(e, "a virtual machine needs at least one vcpu");
            }

            return vm;
        }

        private MapSpec ReadMap(XElement e)
        {
            Attributes(e, "mr", "vaddr", "perms", "cached", "setvar_vaddr", "setvar_size");
            string mrName = Required(e, "mr");
            ulong vaddr = Number(e, "vaddr", Required(e, "vaddr"));
            if (vaddr >= MaxVaddr)
            {
                throw Error(e, $"vaddr (0x{vaddr:x}) must be less than 0x{MaxVaddr:x}");
            }

            string perms = e.Attribute("perms")?.Value ?? "rw";
            CapRights rights = CapRights.None;
            foreach (char ch in perms)
            {
                rights |= ch switch
                {
                    'r' => CapRights.Read,
                    'w' => CapRights.Write,
                    'x' => CapRights.Grant,
                    _ => throw Error(e, "perms must only be a combination of 'r', 'w', and 'x'"),
                };
            }

            if (rights == CapRights.Write)
            {
                throw Error(e, "perms must not be 'w', write-only mappings are not allowed");
            }

            if (!rights.HasFlag(CapRights.Read))
            {
                throw Error(e, "perms must include 'r'");
            }

            bool cached = Bool(e, "cached", true);
            if (!_mrs.TryGetValue(mrName, out MemoryRegion? mr))
            {
                throw new CapdlException(Loc(e), $"invalid memory region name '{mrName}' on 'map'");
            }

            if (vaddr % mr.PageSize != 0)
            {
                throw new CapdlException(Loc(e), $"invalid vaddr alignment on 'map': 0x{vaddr:x} is not a multiple of the page size 0x{mr.PageSize:x} of '{mr.Name}'");
            }

            if (mr.Size > MaxVaddr - vaddr)
            {
                throw new CapdlException(Loc(e), $"map for '{mr.Name}' has virtual address range [0x{vaddr:x}..0x{vaddr + mr.Size:x}) which exceeds valid address space [0x0..0x{MaxVaddr:x})");
            }

            return new MapSpec(mr, vaddr, rights, cached, e);
        }

        private readonly List<(Pd A, int IdA, bool PpA, bool NotifyA, Pd B, int IdB, bool PpB, bool NotifyB)> _channels = [];

        private void ReadChannel(XElement e, Dictionary<string, Pd> names)
        {
            Attributes(e);
            var ends = e.Elements().ToList();
            foreach (XElement x in ends.Where(x => x.Name.LocalName != "end"))
            {
                throw new CapdlException(Loc(x), $"invalid XML element '{x.Name.LocalName}'");
            }

            if (ends.Count != 2)
            {
                throw Error(e, "exactly two end elements must be specified");
            }

            var parsed = ends.Select(end =>
            {
                Attributes(end, "pd", "id", "pp", "notify");
                string pdName = Required(end, "pd");
                if (!names.TryGetValue(pdName, out Pd? pd))
                {
                    throw Error(end, $"invalid PD name '{pdName}'");
                }

                return (Pd: pd, Id: Id(end), Pp: Bool(end, "pp", false), Notify: Bool(end, "notify", true), Node: end);
            }).ToList();

            var (a, b) = (parsed[0], parsed[1]);
            if (a.Pp && b.Pp)
            {
                throw Error(e, "cannot ppc bidirectionally");
            }

            foreach (var (from, to) in new[] { (a, b), (b, a) })
            {
                if (from.Pp && from.Pd.Priority >= to.Pd.Priority)
                {
                    throw new CapdlException(Loc(e), $"PPCs must be to protection domains of strictly higher priorities; channel with PPC exists from pd {from.Pd.Name} (priority: {from.Pd.Priority}) to pd {to.Pd.Name} (priority: {to.Pd.Priority})");
                }
            }

            foreach (var end in parsed)
            {
                if (!end.Pd.Ids.Add(end.Id))
                {
                    throw new CapdlException(Loc(end.Node), $"duplicate channel id: {end.Id} in protection domain: '{end.Pd.Name}'");
                }
            }

            _channels.Add((a.Pd, a.Id, a.Pp, a.Notify, b.Pd, b.Id, b.Pp, b.Notify));
        }

        private void Check()
        {
            var irqs = new Dictionary<int, Pd>();
            foreach (Pd pd in AllPds())
            {
                foreach (var (irq, id, _, node) in pd.Irqs)
                {
                    if (irqs.TryGetValue(irq, out Pd? other))
                    {
                        throw new CapdlException(Loc(node), $"duplicate irq: {irq} in protection domain: '{pd.Name}' (already used by '{other.Name}')");
                    }

                    irqs[irq] = pd;
                    if (!pd.Ids.Add(id))
                    {
                        throw new CapdlException(Loc(node), $"duplicate channel id: {id} in protection domain: '{pd.Name}'");
                    }
                }

                var childIds = new HashSet<int>();
                foreach (Pd c in pd.Children)
                {
                    if (!childIds.Add(c.Id!.Value) || (pd.Vm?.Vcpus.Any(v => v.Id == c.Id) ?? false))
                    {
                        throw new CapdlException(Loc(c.Node), $"duplicate id: {c.Id} in protection domain: '{pd.Name}'");
                    }
                }

                CheckMaps(pd.Maps, $"protection domain '{pd.Name}'");
                if (pd.Vm is { } vm)
                {
                    CheckMaps(vm.Maps, $"virtual machine '{vm.Name}'");
                }
            }
        }

        private void CheckMaps(List<MapSpec> maps, string space)
        {
            for (int i = 0; i < maps.Count; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    MapSpec a = maps[i];
                    MapSpec b = maps[j];
                    if (a.Vaddr < b.Vaddr + b.Region.Size && b.Vaddr < a.Vaddr + a.Region.Size)
                    {
                        throw new CapdlException(Loc(a.Node), $"map for '{a.Region.Name}' has virtual address range [0x{a.Vaddr:x}..0x{a.Vaddr + a.Region.Size:x}) which overlaps with map for '{b.Region.Name}' [0x{b.Vaddr:x}..0x{b.Vaddr + b.Region.Size:x}) in {space}");
                    }
                }
            }
        }

        // ---- emitting CapDL --------------------------------------------------------------------

        private SpecObject Obj(string name, ObjectKind kind, int? index = null, XElement? at = null)
        {
            var id = new ObjectId(name, index);
            if (_spec.Objects.TryGetValue(id, out SpecObject? o))
            {
                return o;
            }

            o = new SpecObject(id, kind);
            _spec.Objects[id] = o;
            if (at is not null)
            {
                _spec.Locations[id] = Loc(at);
            }

            return o;
        }

        private static void Cap(SpecObject container, ulong slot, SpecCap cap) => container.Slots[slot] = cap;

        private static SpecCap To(SpecObject o, CapRights rights = CapRights.None, ulong badge = 0) => new() { Target = o.Id, Rights = rights, Badge = badge };

        private List<ObjectId> Frames(MemoryRegion mr)
        {
            var ids = new List<ObjectId>();
            for (ulong k = 0; k < mr.Pages; k++)
            {
                SpecObject f = mr.PhysAddr is ulong pa
                    ? Obj($"mr_{mr.Name}_{k}", ObjectKind.Frame, null, mr.Node)
                    : Obj($"mr_{mr.Name}", ObjectKind.Frame, (int)k, mr.Node);
                f.SizeBits = mr.PageBits;
                if (mr.PhysAddr is ulong p)
                {
                    f.Paddr = p + (k * mr.PageSize);
                }

                ids.Add(f.Id);
            }

            return ids;
        }

        private void Emit()
        {
            foreach (MemoryRegion mr in _mrs.Values)
            {
                List<ObjectId> frames = Frames(mr);
                if (mr.Prefill is string path)
                {
                    Prefill(mr, frames, path);
                }
            }

            foreach (Pd pd in AllPds())
            {
                EmitPd(pd);
            }

            foreach (var (a, ia, ppA, notifyA, b, ib, ppB, notifyB) in _channels)
            {
                SpecObject ca = _spec.Objects[new ObjectId($"{a.Name}_cnode", null)];
                SpecObject cb = _spec.Objects[new ObjectId($"{b.Name}_cnode", null)];
                if (notifyA)
                {
                    Cap(ca, BaseNotify + (ulong)ia, To(_spec.Objects[new ObjectId($"{b.Name}_ntfn", null)], CapRights.Write, 1UL << ib));
                }

                if (notifyB)
                {
                    Cap(cb, BaseNotify + (ulong)ib, To(_spec.Objects[new ObjectId($"{a.Name}_ntfn", null)], CapRights.Write, 1UL << ia));
                }

                if (ppA)
                {
                    Cap(ca, BasePpc + (ulong)ia, To(Endpoint(b), CapRights.Write | CapRights.GrantReply, (1UL << 63) | (uint)ib));
                }

                if (ppB)
                {
                    Cap(cb, BasePpc + (ulong)ib, To(Endpoint(a), CapRights.Write | CapRights.GrantReply, (1UL << 63) | (uint)ia));
                }
            }
        }

        private SpecObject Endpoint(Pd pd)
        {
            SpecObject ep = Obj($"{pd.Name}_ep", ObjectKind.Endpoint, null, pd.Node);
            Cap(_spec.Objects[new ObjectId($"{pd.Name}_cnode", null)], SlotEndpoint, To(ep, CapRights.Read));
            return ep;
        }

        private void Prefill(MemoryRegion mr, List<ObjectId> frames, string path)
        {
            string full = Path.Combine(_baseDir, path);
            if (!File.Exists(full))
            {
                throw Error(mr.Node, $"unable to find prefill file: '{path}'");
            }

            ulong length = (ulong)new FileInfo(full).Length;
            if (length == 0)
            {
                throw Error(mr.Node, $"prefill file '{path}' is empty");
            }

            if (length > mr.Size)
            {
                throw Error(mr.Node, $"prefill file '{path}' ({length} bytes) is larger than the region ({mr.Size} bytes)");
            }

            for (int k = 0; k < frames.Count && (ulong)k * mr.PageSize < length; k++)
            {
                ulong off = (ulong)k * mr.PageSize;
                ulong len = Math.Min(mr.PageSize, length - off);
                _spec.Objects[frames[k]].Fill.Add(new FillEntry(0, len, [FillEntry.FileData, $"\"{path}\"", off.ToString(CultureInfo.InvariantCulture)]));
            }
        }

        private void EmitPd(Pd pd)
        {
            SpecObject tcb = Obj($"{pd.Name}_tcb", ObjectKind.Tcb, null, pd.Node);
            tcb.Parameters["prio"] = pd.Priority.ToString(CultureInfo.InvariantCulture);
            tcb.Parameters["max_prio"] = pd.Priority.ToString(CultureInfo.InvariantCulture);
            if (pd.Cpu is int cpu)
            {
                tcb.Parameters["affinity"] = cpu.ToString(CultureInfo.InvariantCulture);
            }

            SpecObject cnode = Obj($"{pd.Name}_cnode", ObjectKind.CNode, null, pd.Node);
            cnode.SizeBits = CNodeBits;
            SpecObject vspace = Obj($"{pd.Name}_vspace", ObjectKind.Pgd, null, pd.Node);
            SpecObject ntfn = Obj($"{pd.Name}_ntfn", ObjectKind.Notification, null, pd.Node);
            Cap(tcb, TcbObject.CSpaceSlot, new SpecCap { Target = cnode.Id, GuardSize = 64 - CNodeBits });
            Cap(tcb, TcbObject.VSpaceSlot, To(vspace));
            Cap(tcb, TcbObject.BoundNotificationSlot, To(ntfn));
            Cap(cnode, SlotNotification, To(ntfn, CapRights.Read));

            if (pd.Parent is { } parent)
            {
                SpecObject fault = ParentFault(parent);
                Cap(tcb, TcbObject.FaultEndpointSlot, To(fault, CapRights.Write, (ulong)pd.Id!.Value + 1));
                Cap(_spec.Objects[new ObjectId($"{parent.Name}_cnode", null)], BaseChildTcb + (ulong)pd.Id.Value, To(tcb));
            }

            foreach (MapSpec m in pd.Maps)
            {
                MapRegion(pd.Name, vspace, m);
            }

            foreach (var (irq, id, trigger, node) in pd.Irqs)
            {
                SpecObject handler = Obj($"irq_{irq}", ObjectKind.ArmIrq, null, node);
                handler.Parameters["trigger"] = trigger;
                handler.Parameters["target"] = (pd.Cpu ?? 0).ToString(CultureInfo.InvariantCulture);
                _spec.IrqMap[(ulong)irq] = handler.Id;
                Cap(handler, 0, To(ntfn, CapRights.None, 1UL << id));
                Cap(cnode, BaseIrq + (ulong)id, To(handler));
            }

            if (pd.Vm is { } vm)
            {
                SpecObject fault = ParentFault(pd);
                SpecObject vmSpace = Obj($"{vm.Name}_vspace", ObjectKind.Pgd, null, vm.Node);
                foreach (MapSpec m in vm.Maps)
                {
                    MapRegion(vm.Name, vmSpace, m);
                }

                foreach (var (id, vcpuCpu) in vm.Vcpus)
                {
                    SpecObject vtcb = Obj($"{vm.Name}_vcpu{id}_tcb", ObjectKind.Tcb, null, vm.Node);
                    vtcb.Parameters["prio"] = vm.Priority.ToString(CultureInfo.InvariantCulture);
                    vtcb.Parameters["max_prio"] = vm.Priority.ToString(CultureInfo.InvariantCulture);
                    if ((vcpuCpu ?? pd.Cpu) is int c)
                    {
                        vtcb.Parameters["affinity"] = c.ToString(CultureInfo.InvariantCulture);
                    }

                    SpecObject vcpu = Obj($"{vm.Name}_vcpu{id}", ObjectKind.Vcpu, null, vm.Node);
                    Cap(vtcb, TcbObject.VSpaceSlot, To(vmSpace));
                    Cap(vtcb, TcbObject.BoundVcpuSlot, To(vcpu));
                    Cap(vtcb, TcbObject.FaultEndpointSlot, To(fault, CapRights.Write, (1UL << 62) | (uint)id));
                    Cap(cnode, BaseVmTcb + (ulong)id, To(vtcb));
                    Cap(cnode, BaseVcpu + (ulong)id, To(vcpu));
                }
            }
        }

        private SpecObject ParentFault(Pd parent)
        {
            SpecObject fault = Obj($"{parent.Name}_fault", ObjectKind.Endpoint, null, parent.Node);
            Cap(_spec.Objects[new ObjectId($"{parent.Name}_cnode", null)], SlotFault, To(fault, CapRights.Read));
            return fault;
        }

        private void MapRegion(string owner, SpecObject root, MapSpec m)
        {
            List<ObjectId> frames = Frames(m.Region);
            for (int k = 0; k < frames.Count; k++)
            {
                ulong va = m.Vaddr + ((ulong)k * m.Region.PageSize);
                int i = (int)((va >> 39) & 511);
                int j = (int)((va >> 30) & 511);
                int l2 = (int)((va >> 21) & 511);
                int l3 = (int)((va >> 12) & 511);
                SpecObject pud = Table(root, (ulong)i, $"{owner}_pud_{i}", ObjectKind.Pud);
                SpecObject pd = Table(pud, (ulong)j, $"{owner}_pd_{i}_{j}", ObjectKind.PD);
                var cap = new SpecCap { Target = frames[k], Rights = m.Rights, Cached = m.Cached };
                if (m.Region.PageBits == 21)
                {
                    Cap(pd, (ulong)l2, cap);
                }
                else
                {
                    Cap(Table(pd, (ulong)l2, $"{owner}_pt_{i}_{j}_{l2}", ObjectKind.PT), (ulong)l3, cap);
                }
            }
        }

        private SpecObject Table(SpecObject parent, ulong slot, string name, ObjectKind kind)
        {
            SpecObject t = Obj(name, kind);
            parent.Slots.TryAdd(slot, To(t));
            return t;
        }
    }
}
