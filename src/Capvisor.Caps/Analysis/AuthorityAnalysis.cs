using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Analysis
{
    /// <summary>
    /// Take-grant authority analysis over a CapDL spec: can a thread ever obtain a capability to
    /// (or reach the memory of) a set of protected objects? It over-approximates soundly — every
    /// thread is assumed to do whatever its capabilities allow, in collusion with every other —
    /// using seL4's rules:
    /// <list type="bullet">
    /// <item>a thread uses the capabilities in its CSpace (through its root CNode) and the memory
    /// mapped in its VSpace and IPC buffer; the root CNode and VSpace capabilities in its TCB are
    /// used by the kernel, not held, unless the CSpace also holds them;</item>
    /// <item>a CNode capability gives every capability in that CNode, and every thread that can
    /// reach a CNode can place capabilities there for the others (shared CNodes pool authority);</item>
    /// <item>a TCB capability controls the thread: its authority flows to the holder, and the holder
    /// can give it capabilities (by setting its CSpace);</item>
    /// <item>an endpoint carries capabilities from holders with Write+Grant to holders with Read, and
    /// back through the reply from holders with Read+Grant to callers with Write and Grant or GrantReply;</item>
    /// <item>a reply capability carries capabilities to the thread it replies to, and nothing back;</item>
    /// <item>a vCPU capability drives the thread the vCPU is bound to;</item>
    /// <item>a page-table or VSpace capability gives the memory of every frame mapped below it;</item>
    /// <item>an untyped capability gives, by revoke and retype, everything carved from it.</item>
    /// </list>
    /// Notifications, shared frames, IRQ handlers and endpoints without Grant carry data only and
    /// never count as a path.
    /// </summary>
    public sealed class AuthorityAnalysis
    {
        private readonly CapdlSpec _spec;

        // Cap facts are transferable capabilities; access facts are memory or CNode contents a thread
        // reaches without holding a capability it could pass on.
        private readonly Dictionary<Fact, Held> _facts = [];
        private readonly Dictionary<ObjectId, List<Fact>> _factsOf = [];
        private readonly Dictionary<ObjectId, List<(ObjectId Subject, CapRights Rights, bool IsCap)>> _reachers = [];
        private readonly Dictionary<(ObjectId From, ObjectId To), Edge> _edges = [];
        private readonly Dictionary<ObjectId, List<Edge>> _out = [];
        private readonly Dictionary<ObjectId, List<ObjectId>> _boundTo = [];
        private readonly Queue<(Fact Fact, CapRights Rights)> _work = new();

        private AuthorityAnalysis(CapdlSpec spec)
        {
            _spec = spec;
        }

        private readonly record struct Fact(ObjectId Subject, ObjectId Object, bool IsCap);

        /// <summary>
        /// What a subject has of one object. Capabilities to the same object with different rights are
        /// kept apart (an antichain): a Read cap and a Write+Grant cap are not one Read+Write+Grant cap.
        /// </summary>
        private sealed class Held(Reason why)
        {
            public List<CapRights> Rights { get; } = [];

            public Reason Why { get; } = why;
        }

        private sealed record Reason(string Text, IReadOnlyList<Fact> After);

        /// <summary>Authority flows from one subject to another: every capability (and, for control, all access).</summary>
        private sealed class Edge(ObjectId from, ObjectId to, Reason why, bool control)
        {
            public ObjectId From { get; } = from;

            public ObjectId To { get; } = to;

            public Reason Why { get; } = why;

            public bool Control { get; set; } = control;
        }

        /// <summary>
        /// Checks whether the thread <paramref name="from"/> (a tcb name) can obtain any object named by
        /// <paramref name="isolate"/> (an object name, an array name for every element, or <c>name[i]</c>).
        /// </summary>
        /// <exception cref="CapdlException">A name is unknown or <paramref name="from"/> is not a TCB.</exception>
        public static AuthorityResult Check(CapdlSpec spec, string isolate, string from)
        {
            IReadOnlyList<ObjectId> targets = ResolveName(spec, isolate, "--isolate");
            IReadOnlyList<ObjectId> subjects = ResolveName(spec, from, "--from");
            foreach (ObjectId s in subjects)
            {
                if (spec.Objects[s].Kind != ObjectKind.Tcb)
                {
                    throw new CapdlException($"--from '{s}' is {ObjectKinds.WithArticle(spec.Objects[s].Kind)}; name a thread (a tcb object)");
                }
            }

            var a = new AuthorityAnalysis(spec);
            a.Run();
            foreach (ObjectId s in subjects)
            {
                if (targets.Contains(s))
                {
                    return new AuthorityResult(true, s.ToString(), [new AuthorityStep(s.ToString(), s.ToString(), "the thread is itself protected")]);
                }

                foreach (ObjectId t in targets)
                {
                    foreach (bool cap in new[] { true, false })
                    {
                        var f = new Fact(s, t, cap);
                        if (a._facts.ContainsKey(f))
                        {
                            return new AuthorityResult(true, t.ToString(), a.Explain(f));
                        }
                    }
                }
            }

            return new AuthorityResult(false, null, []);
        }

        private static IReadOnlyList<ObjectId> ResolveName(CapdlSpec spec, string name, string option)
        {
            if (name.EndsWith("[]", StringComparison.Ordinal))
            {
                name = name[..^2];
            }

            int open = name.IndexOf('[');
            if (open > 0 && name.EndsWith(']') && int.TryParse(name[(open + 1)..^1], out int index))
            {
                var id = new ObjectId(name[..open], index);
                return spec.Objects.ContainsKey(id) ? [id] : throw new CapdlException($"{option} '{name}': no such object in the spec");
            }

            IReadOnlyList<ObjectId> ids = spec.Resolve(name);
            return ids.Count > 0 ? ids : throw new CapdlException($"{option} '{name}': no such object in the spec");
        }

        private static CapRights RightsOf(SpecObject target, SpecCap cap) => target.Kind switch
        {
            // Only endpoint, notification and frame capabilities carry meaningful rights in CapDL;
            // the rest confer the object's full authority.
            ObjectKind.Endpoint or ObjectKind.Notification or ObjectKind.Frame => cap.Rights,
            _ => CapRights.All,
        };

        private static string Describe(SpecObject o) => $"{ObjectKinds.Keyword(o.Kind)} {o.Id}";

        private static string RightsText(CapRights r) =>
            r == CapRights.None ? "no rights" : string.Concat(
                r.HasFlag(CapRights.Read) ? "R" : string.Empty, r.HasFlag(CapRights.Write) ? "W" : string.Empty,
                r.HasFlag(CapRights.Grant) ? "G" : string.Empty, r.HasFlag(CapRights.GrantReply) ? "P" : string.Empty);

        private static string Note(SpecObject t, CapRights r) =>
            t.Kind is ObjectKind.Endpoint or ObjectKind.Notification or ObjectKind.Frame ? $" ({RightsText(r)})" : string.Empty;

        /// <summary>Records a fact; true (and queued) when it is new or brings rights no held capability has.</summary>
        private void Add(Fact f, CapRights rights, Func<Reason> why)
        {
            if (!_facts.TryGetValue(f, out Held? held))
            {
                held = new Held(why());
                _facts[f] = held;
                if (!_factsOf.TryGetValue(f.Subject, out List<Fact>? list))
                {
                    _factsOf[f.Subject] = list = [];
                }

                list.Add(f);
            }
            else if (held.Rights.Any(r => (r & rights) == rights))
            {
                return;
            }

            held.Rights.RemoveAll(r => (r & rights) == r);
            held.Rights.Add(rights);
            _work.Enqueue((f, rights));
        }

        private void AddEdge(ObjectId from, ObjectId to, bool control, Func<Reason> why)
        {
            if (from == to)
            {
                return;
            }

            if (_edges.TryGetValue((from, to), out Edge? e))
            {
                if (!control || e.Control)
                {
                    return;
                }

                e.Control = true;
            }
            else
            {
                e = new Edge(from, to, why(), control);
                _edges[(from, to)] = e;
                if (!_out.TryGetValue(from, out List<Edge>? list))
                {
                    _out[from] = list = [];
                }

                list.Add(e);
            }

            foreach (Fact f in _factsOf.GetValueOrDefault(from, []).ToList())
            {
                foreach (CapRights r in _facts[f].Rights.ToList())
                {
                    Propagate(e, f, r);
                }
            }
        }

        private void Propagate(Edge e, Fact f, CapRights r)
        {
            if (f.IsCap)
            {
                Add(new Fact(e.To, f.Object, true), r, () => new Reason($"{e.Why.Text}; so {e.To} can obtain {e.From}'s capability to {f.Object}", [.. e.Why.After, f]));
            }
            else if (e.Control)
            {
                // Driving a thread also reaches what it reaches without a capability (its memory, its CSpace).
                Add(new Fact(e.To, f.Object, false), r, () => new Reason($"{e.Why.Text}; so {e.To} reaches {f.Object} through {e.From}", [.. e.Why.After, f]));
            }
        }

        private void Run()
        {
            foreach (SpecObject t in _spec.Objects.Values.Where(o => o.Kind == ObjectKind.Tcb))
            {
                if (t.Slots.TryGetValue(TcbObject.BoundVcpuSlot, out SpecCap? v) && v.Target is ObjectId vcpu)
                {
                    if (!_boundTo.TryGetValue(vcpu, out List<ObjectId>? list))
                    {
                        _boundTo[vcpu] = list = [];
                    }

                    list.Add(t.Id);
                }
            }

            foreach (SpecObject t in _spec.Objects.Values.Where(o => o.Kind == ObjectKind.Tcb))
            {
                Seed(t);
            }

            while (_work.TryDequeue(out var item))
            {
                Process(item.Fact, item.Rights);
            }
        }

        private void Seed(SpecObject tcb)
        {
            ObjectId t = tcb.Id;
            foreach (var (slot, cap) in tcb.Slots)
            {
                if (cap.Target is not ObjectId target)
                {
                    continue;
                }

                SpecObject o = _spec.Objects[target];
                string slotName = slot switch
                {
                    0 => "CSpace root",
                    1 => "VSpace",
                    4 => "IPC buffer",
                    5 => "fault endpoint",
                    8 => "bound notification",
                    9 => "bound vCPU",
                    _ => $"slot {slot}",
                };
                bool used = (slot == TcbObject.CSpaceSlot && o.Kind == ObjectKind.CNode)
                    || (slot == TcbObject.VSpaceSlot && ObjectKinds.IsPageTable(o.Kind))
                    || (slot == TcbObject.IpcBufferSlot && o.Kind == ObjectKind.Frame);
                if (used)
                {
                    Add(new Fact(t, target, false), RightsOf(o, cap), () => new Reason($"thread {t} runs with {Describe(o)} as its {slotName}", []));
                }
                else if (o.Kind == ObjectKind.Tcb && cap.Reply != ReplyKind.None)
                {
                    AddEdge(t, target, false, () => new Reason($"thread {t} has a reply capability to {Describe(o)} in its {slotName}, through which it can send capabilities", []));
                }
                else
                {
                    CapRights r = RightsOf(o, cap);
                    Add(new Fact(t, target, true), r, () => new Reason($"thread {t} has {Describe(o)}{Note(o, r)} in its {slotName}", []));
                }
            }
        }

        private void Process(Fact f, CapRights rights)
        {
            ObjectId s = f.Subject;
            SpecObject c = _spec.Objects[f.Object];

            // Take rules: what the fact gives through the object's contents.
            if (c.Kind == ObjectKind.CNode)
            {
                foreach (var (slot, cap) in c.Slots)
                {
                    if (cap.Target is not ObjectId target)
                    {
                        continue;
                    }

                    SpecObject t = _spec.Objects[target];
                    if (t.Kind == ObjectKind.Tcb && cap.Reply != ReplyKind.None)
                    {
                        AddEdge(s, target, false, () => new Reason($"{Describe(c)} slot {slot} holds a reply capability to {Describe(t)}, through which {s} can send capabilities to it", [f]));
                        continue;
                    }

                    CapRights r = RightsOf(t, cap);
                    Add(new Fact(s, target, true), r, () => new Reason($"{Describe(c)} slot {slot} holds a capability to {Describe(t)}{Note(t, r)}", [f]));
                }
            }
            else if (ObjectKinds.IsPageTable(c.Kind))
            {
                foreach (var (slot, cap) in c.Slots)
                {
                    if (cap.Target is ObjectId target)
                    {
                        SpecObject t = _spec.Objects[target];
                        Add(new Fact(s, target, false), RightsOf(t, cap), () => new Reason($"{Describe(c)} slot {slot} maps {Describe(t)}", [f]));
                    }
                }
            }
            else if (c.Kind == ObjectKind.Untyped && f.IsCap && _spec.Covers.TryGetValue(f.Object, out var covered))
            {
                foreach (ObjectId inner in covered)
                {
                    Add(new Fact(s, inner, true), CapRights.All, () => new Reason($"untyped {f.Object} contains {Describe(_spec.Objects[inner])}: revoking and retyping the untyped yields it", [f]));
                }
            }
            else if (c.Kind == ObjectKind.Tcb && f.IsCap && f.Object != s)
            {
                ObjectId t = f.Object;
                AddEdge(t, s, true, () => new Reason($"{s} holds the TCB of thread {t} and controls that thread", [f]));
                AddEdge(s, t, false, () => new Reason($"{s} holds the TCB of thread {t} and can set its CSpace to capabilities of its own", [f]));
            }
            else if (c.Kind == ObjectKind.Vcpu && f.IsCap)
            {
                foreach (ObjectId t in _boundTo.GetValueOrDefault(f.Object, []))
                {
                    AddEdge(t, s, true, () => new Reason($"{s} holds vcpu {f.Object}, bound to thread {t}, and can drive that thread", [f]));
                }
            }

            // Grant rules: the fact may open a channel with every other subject that reaches the same object.
            if (!_reachers.TryGetValue(f.Object, out var reachers))
            {
                _reachers[f.Object] = reachers = [];
            }

            foreach (var (x, rx, capX) in reachers.ToList())
            {
                if (x == s)
                {
                    continue;
                }

                var fx = new Fact(x, f.Object, capX);
                if (c.Kind == ObjectKind.CNode)
                {
                    AddEdge(s, x, false, () => new Reason($"{s} and {x} can both reach CNode {f.Object}: {s} can copy capabilities into it and {x} can take them", [f, fx]));
                    AddEdge(x, s, false, () => new Reason($"{x} and {s} can both reach CNode {f.Object}: {x} can copy capabilities into it and {s} can take them", [fx, f]));
                }
                else if (c.Kind == ObjectKind.Endpoint && f.IsCap && capX)
                {
                    EndpointFlows(f.Object, s, rights, f, x, rx, fx);
                    EndpointFlows(f.Object, x, rx, fx, s, rights, f);
                }
            }

            reachers.Add((s, rights, f.IsCap));

            // Whatever the fact is, it flows on along the subject's existing edges.
            foreach (Edge e in _out.GetValueOrDefault(s, []).ToList())
            {
                Propagate(e, f, rights);
            }
        }

        private void EndpointFlows(ObjectId ep, ObjectId a, CapRights ra, Fact fa, ObjectId b, CapRights rb, Fact fb)
        {
            if (ra.HasFlag(CapRights.Write | CapRights.Grant) && rb.HasFlag(CapRights.Read))
            {
                AddEdge(a, b, false, () => new Reason($"{a} can send capabilities over endpoint {ep} ({RightsText(ra)}: Write and Grant) and {b} can receive on it ({RightsText(rb)})", [fa, fb]));
            }

            if (ra.HasFlag(CapRights.Read | CapRights.Grant) && rb.HasFlag(CapRights.Write) && (rb & (CapRights.Grant | CapRights.GrantReply)) != 0)
            {
                AddEdge(a, b, false, () => new Reason($"{b} can call over endpoint {ep} ({RightsText(rb)}) and {a}, receiving with Grant ({RightsText(ra)}), can send capabilities back in the reply", [fa, fb]));
            }
        }

        private List<AuthorityStep> Explain(Fact goal)
        {
            var steps = new List<AuthorityStep>();
            var done = new HashSet<Fact>();
            var stack = new Stack<(Fact Fact, bool Expanded)>();
            stack.Push((goal, false));
            while (stack.Count > 0)
            {
                var (fact, expanded) = stack.Pop();
                if (done.Contains(fact))
                {
                    continue;
                }

                Reason why = _facts[fact].Why;
                if (expanded)
                {
                    done.Add(fact);
                    steps.Add(new AuthorityStep(fact.Subject.ToString(), fact.Object.ToString(), why.Text));
                    continue;
                }

                stack.Push((fact, true));
                foreach (Fact dep in why.After.Reverse())
                {
                    if (!done.Contains(dep))
                    {
                        stack.Push((dep, false));
                    }
                }
            }

            return steps;
        }
    }
}
