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
        private readonly Dictionary<ObjectId, List<ObjectId>> _capsOf = [];
        private readonly Dictionary<ObjectId, List<ObjectId>> _accessOf = [];
        private readonly Dictionary<ObjectId, Dictionary<ObjectId, Reason>> _replies = [];
        private bool _changed;

        private AuthorityAnalysis(CapdlSpec spec)
        {
            _spec = spec;
        }

        private readonly record struct Fact(ObjectId Subject, ObjectId Object, bool IsCap);

        private sealed class Held(CapRights rights, Reason why)
        {
            public CapRights Rights { get; set; } = rights;

            public Reason Why { get; } = why;
        }

        private sealed record Reason(string Text, IReadOnlyList<Fact> After);

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

        private bool Add(Fact f, CapRights rights, Func<Reason> why)
        {
            if (_facts.TryGetValue(f, out Held? held))
            {
                if ((held.Rights | rights) == held.Rights)
                {
                    return false;
                }

                held.Rights |= rights;
                _changed = true;
                return true;
            }

            _facts[f] = new Held(rights, why());
            Dictionary<ObjectId, List<ObjectId>> index = f.IsCap ? _capsOf : _accessOf;
            if (!index.TryGetValue(f.Subject, out List<ObjectId>? list))
            {
                index[f.Subject] = list = [];
            }

            list.Add(f.Object);
            _changed = true;
            return true;
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

        private string Note(SpecObject t, CapRights r) =>
            t.Kind is ObjectKind.Endpoint or ObjectKind.Notification or ObjectKind.Frame ? $" ({RightsText(r)})" : string.Empty;

        private void Run()
        {
            var tcbs = _spec.Objects.Values.Where(o => o.Kind == ObjectKind.Tcb).ToList();
            foreach (SpecObject t in tcbs)
            {
                Seed(t);
            }

            _changed = true;
            while (_changed)
            {
                _changed = false;
                foreach (SpecObject t in tcbs)
                {
                    Expand(t.Id);
                }

                foreach (var (src, dst, why, control) in Flows(tcbs.Select(t => t.Id).ToList()).ToList())
                {
                    foreach (ObjectId o in _capsOf.GetValueOrDefault(src, []).ToList())
                    {
                        CapRights r = _facts[new Fact(src, o, true)].Rights;
                        Add(new Fact(dst, o, true), r, () => new Reason($"{why.Text}; so {dst} can obtain {src}'s capability to {o}", [.. why.After, new Fact(src, o, true)]));
                    }

                    if (control)
                    {
                        // Driving a thread also reaches what it reaches without a capability (its memory, its CSpace).
                        foreach (ObjectId o in _accessOf.GetValueOrDefault(src, []).ToList())
                        {
                            CapRights r = _facts[new Fact(src, o, false)].Rights;
                            Add(new Fact(dst, o, false), r, () => new Reason($"{why.Text}; so {dst} reaches {o} through {src}", [.. why.After, new Fact(src, o, false)]));
                        }
                    }
                }
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
                    AddReply(t, target, new Reason($"thread {t} has a reply capability to {Describe(o)} in its {slotName}", []));
                }
                else
                {
                    CapRights r = RightsOf(o, cap);
                    Add(new Fact(t, target, true), r, () => new Reason($"thread {t} has {Describe(o)}{Note(o, r)} in its {slotName}", []));
                }
            }
        }

        private void AddReply(ObjectId s, ObjectId t, Reason why)
        {
            if (!_replies.TryGetValue(s, out var rs))
            {
                _replies[s] = rs = [];
            }

            if (rs.TryAdd(t, why))
            {
                _changed = true;
            }
        }

        // Take rules: what a subject reaches through the capabilities and access it has.
        private void Expand(ObjectId s)
        {
            var work = new Queue<Fact>(_capsOf.GetValueOrDefault(s, []).Select(o => new Fact(s, o, true))
                .Concat(_accessOf.GetValueOrDefault(s, []).Select(o => new Fact(s, o, false))));
            while (work.Count > 0)
            {
                Fact f = work.Dequeue();
                SpecObject c = _spec.Objects[f.Object];
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
                            AddReply(s, target, new Reason($"{Describe(c)} slot {slot} holds a reply capability to {Describe(t)}, through which {s} can send capabilities to it", [f]));
                            continue;
                        }

                        CapRights r = RightsOf(t, cap);
                        var nf = new Fact(s, target, true);
                        if (Add(nf, r, () => new Reason($"{Describe(c)} slot {slot} holds a capability to {Describe(t)}{Note(t, r)}", [f])))
                        {
                            work.Enqueue(nf);
                        }
                    }
                }
                else if (ObjectKinds.IsPageTable(c.Kind))
                {
                    foreach (var (slot, cap) in c.Slots)
                    {
                        if (cap.Target is ObjectId target)
                        {
                            SpecObject t = _spec.Objects[target];
                            var nf = new Fact(s, target, false);
                            if (Add(nf, RightsOf(t, cap), () => new Reason($"{Describe(c)} slot {slot} maps {Describe(t)}", [f])))
                            {
                                work.Enqueue(nf);
                            }
                        }
                    }
                }
                else if (c.Kind == ObjectKind.Untyped && f.IsCap && _spec.Covers.TryGetValue(f.Object, out var covered))
                {
                    foreach (ObjectId inner in covered)
                    {
                        var nf = new Fact(s, inner, true);
                        if (Add(nf, CapRights.All, () => new Reason($"untyped {f.Object} contains {Describe(_spec.Objects[inner])}: revoking and retyping the untyped yields it", [f])))
                        {
                            work.Enqueue(nf);
                        }
                    }
                }
            }
        }

        // Grant rules: pairs (from, to) such that every capability of from can reach to.
        private IEnumerable<(ObjectId From, ObjectId To, Reason Why, bool Control)> Flows(List<ObjectId> tcbs)
        {
            foreach (var (s, replies) in _replies)
            {
                foreach (var (t, why) in replies)
                {
                    if (s != t)
                    {
                        yield return (s, t, why, false);
                    }
                }
            }

            var holders = new Dictionary<ObjectId, List<(ObjectId Subject, CapRights Rights, bool IsCap)>>();
            foreach (var (f, h) in _facts)
            {
                if (!holders.TryGetValue(f.Object, out var list))
                {
                    holders[f.Object] = list = [];
                }

                list.Add((f.Subject, h.Rights, f.IsCap));
            }

            foreach (var (obj, list) in holders)
            {
                SpecObject o = _spec.Objects[obj];
                switch (o.Kind)
                {
                    case ObjectKind.Endpoint:
                        foreach (var (a, ra, ca) in list.Where(x => x.IsCap))
                        {
                            foreach (var (b, rb, cb) in list.Where(x => x.IsCap && x.Subject != a))
                            {
                                if (ra.HasFlag(CapRights.Write | CapRights.Grant) && rb.HasFlag(CapRights.Read))
                                {
                                    yield return (a, b, new Reason($"{a} can send capabilities over endpoint {obj} ({RightsText(ra)}: Write and Grant) and {b} can receive on it ({RightsText(rb)})", [new Fact(a, obj, true), new Fact(b, obj, true)]), false);
                                }

                                if (ra.HasFlag(CapRights.Read | CapRights.Grant) && rb.HasFlag(CapRights.Write) && (rb & (CapRights.Grant | CapRights.GrantReply)) != 0)
                                {
                                    yield return (a, b, new Reason($"{b} can call over endpoint {obj} ({RightsText(rb)}) and {a}, receiving with Grant ({RightsText(ra)}), can send capabilities back in the reply", [new Fact(a, obj, true), new Fact(b, obj, true)]), false);
                                }
                            }
                        }

                        break;
                    case ObjectKind.CNode:
                        foreach (var (a, _, ca) in list)
                        {
                            foreach (var (b, _, cb) in list.Where(x => x.Subject != a))
                            {
                                yield return (a, b, new Reason($"{a} and {b} can both reach CNode {obj}: {a} can copy capabilities into it and {b} can take them", [new Fact(a, obj, ca), new Fact(b, obj, cb)]), false);
                            }
                        }

                        break;
                    case ObjectKind.Tcb:
                        foreach (var (a, _, _) in list.Where(x => x.IsCap && x.Subject != obj))
                        {
                            yield return (a, obj, new Reason($"{a} holds the TCB of thread {obj} and can set its CSpace to capabilities of its own", [new Fact(a, obj, true)]), false);
                            yield return (obj, a, new Reason($"{a} holds the TCB of thread {obj} and controls that thread", [new Fact(a, obj, true)]), true);
                        }

                        break;
                    case ObjectKind.Vcpu:
                        foreach (SpecObject t in _spec.Objects.Values.Where(t => t.Kind == ObjectKind.Tcb && t.Slots.TryGetValue(TcbObject.BoundVcpuSlot, out SpecCap? v) && v.Target == obj))
                        {
                            foreach (var (a, _, _) in list.Where(x => x.IsCap && x.Subject != t.Id))
                            {
                                yield return (t.Id, a, new Reason($"{a} holds vcpu {obj}, bound to thread {t.Id}, and can drive that thread", [new Fact(a, obj, true)]), true);
                            }
                        }

                        break;
                }
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
