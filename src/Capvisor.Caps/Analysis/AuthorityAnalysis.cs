using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Analysis
{
    /// <summary>
    /// Take-grant authority analysis over a CapDL spec: can a thread ever obtain a capability to
    /// (or map the memory of) a set of protected objects? It over-approximates soundly — every
    /// thread is assumed to do whatever its capabilities allow, forever — with seL4's rules:
    /// <list type="bullet">
    /// <item>a CNode capability gives every capability in that CNode, and lets caps be placed there
    /// for every other holder of the CNode (CSpaces shared through a CNode pool everything);</item>
    /// <item>a TCB capability gives the thread's slots (its CSpace, VSpace, IPC buffer…) and control of
    /// the thread, so both pool their authority;</item>
    /// <item>an endpoint carries capabilities from holders with Write+Grant to holders with Read, and
    /// back through the reply capability from holders with Read+Grant to callers with Write and
    /// Grant or GrantReply;</item>
    /// <item>a page-table or VSpace capability gives the memory of every frame mapped below it;</item>
    /// <item>an untyped capability gives, by revoke and retype, the memory of everything carved from it.</item>
    /// </list>
    /// Notifications, frames (shared memory), IRQ handlers and endpoints without Grant carry data only
    /// and never count as a path.
    /// </summary>
    public sealed class AuthorityAnalysis
    {
        private readonly CapdlSpec _spec;
        private readonly Dictionary<ObjectId, Dictionary<ObjectId, Held>> _held = [];

        private AuthorityAnalysis(CapdlSpec spec)
        {
            _spec = spec;
        }

        /// <summary>What a subject holds to one object: the union of rights, and how it first got it.</summary>
        private sealed class Held(CapRights rights, Reason why)
        {
            public CapRights Rights { get; set; } = rights;

            public Reason Why { get; } = why;
        }

        /// <summary>Provenance: the fact and the earlier facts (subject, object) it depends on.</summary>
        private sealed record Reason(string Text, IReadOnlyList<(ObjectId Subject, ObjectId Object)> After);

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
                    throw new CapdlException($"--from '{s}' is a {ObjectKinds.Keyword(spec.Objects[s].Kind)}; name a thread (a tcb object)");
                }
            }

            var a = new AuthorityAnalysis(spec);
            a.Run();
            var targetSet = targets.ToHashSet();
            foreach (ObjectId s in subjects)
            {
                foreach (ObjectId t in targets)
                {
                    if (a.Holds(s, t))
                    {
                        return new AuthorityResult(true, t.ToString(), a.Explain(s, t));
                    }
                }

                if (s is var subj && targetSet.Contains(subj))
                {
                    return new AuthorityResult(true, subj.ToString(), [new AuthorityStep(subj.ToString(), subj.ToString(), "the thread is itself protected")]);
                }
            }

            return new AuthorityResult(false, null, []);
        }

        private static IReadOnlyList<ObjectId> ResolveName(CapdlSpec spec, string name, string option)
        {
            int open = name.IndexOf('[');
            if (open > 0 && name.EndsWith(']') && int.TryParse(name[(open + 1)..^1], out int index))
            {
                var id = new ObjectId(name[..open], index);
                return spec.Objects.ContainsKey(id) ? [id] : throw new CapdlException($"{option} '{name}': no such object in the spec");
            }

            IReadOnlyList<ObjectId> ids = spec.Resolve(name);
            return ids.Count > 0 ? ids : throw new CapdlException($"{option} '{name}': no such object in the spec");
        }

        private bool Holds(ObjectId subject, ObjectId target) =>
            _held.TryGetValue(subject, out var h) && h.ContainsKey(target);

        private bool Add(ObjectId subject, ObjectId obj, CapRights rights, Func<Reason> why)
        {
            if (!_held.TryGetValue(subject, out var h))
            {
                _held[subject] = h = [];
            }

            if (h.TryGetValue(obj, out Held? held))
            {
                if ((held.Rights | rights) == held.Rights)
                {
                    return false;
                }

                held.Rights |= rights;
                return true;
            }

            h[obj] = new Held(rights, why());
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

        private void Run()
        {
            var tcbs = _spec.Objects.Values.Where(o => o.Kind == ObjectKind.Tcb).Select(o => o.Id).ToList();
            foreach (ObjectId t in tcbs)
            {
                Add(t, t, CapRights.All, () => new Reason("is the thread itself", []));
            }

            bool changed = true;
            while (changed)
            {
                changed = false;

                // Take rules: expand each subject's holdings through containers it holds.
                foreach (ObjectId s in tcbs)
                {
                    var work = new Queue<ObjectId>(_held[s].Keys);
                    while (work.Count > 0)
                    {
                        ObjectId held = work.Dequeue();
                        SpecObject c = _spec.Objects[held];
                        bool contentsReadable = c.Kind is ObjectKind.CNode or ObjectKind.Tcb;
                        bool memoryOfMapped = ObjectKinds.IsPageTable(c.Kind);
                        if (contentsReadable || memoryOfMapped)
                        {
                            foreach (var (slot, cap) in c.Slots)
                            {
                                if (cap.Target is not ObjectId target)
                                {
                                    continue;
                                }

                                SpecObject t = _spec.Objects[target];
                                CapRights r = RightsOf(t, cap);
                                string rightsNote = t.Kind is ObjectKind.Endpoint or ObjectKind.Notification or ObjectKind.Frame ? $" ({RightsText(r)})" : string.Empty;
                                string how = contentsReadable
                                    ? $"{Describe(c)} slot {slot} holds a capability to {Describe(t)}{rightsNote}"
                                    : $"{Describe(c)} slot {slot} maps {Describe(t)}";
                                ObjectId container = held;
                                if (Add(s, target, r, () => new Reason(how, [(s, container)])))
                                {
                                    work.Enqueue(target);
                                    changed = true;
                                }
                            }
                        }

                        if (c.Kind == ObjectKind.Untyped && _spec.Covers.TryGetValue(held, out var covered))
                        {
                            foreach (ObjectId inner in covered)
                            {
                                ObjectId ut = held;
                                if (Add(s, inner, CapRights.All, () => new Reason($"untyped {ut} contains {Describe(_spec.Objects[inner])}: revoking and retyping the untyped yields its memory", [(s, ut)])))
                                {
                                    work.Enqueue(inner);
                                    changed = true;
                                }
                            }
                        }
                    }
                }

                // Grant rules: authority flows between subjects.
                foreach (var (src, dst, why) in Flows(tcbs))
                {
                    foreach (var (obj, held) in _held[src].ToList())
                    {
                        ObjectId o = obj;
                        if (Add(dst, o, held.Rights, () => new Reason(why.Text + $"; so {dst} can obtain {src}'s capability to {o}", [.. why.After, (src, o)])))
                        {
                            changed = true;
                        }
                    }
                }
            }
        }

        private IEnumerable<(ObjectId From, ObjectId To, Reason Why)> Flows(List<ObjectId> tcbs)
        {
            var holders = new Dictionary<ObjectId, List<(ObjectId Subject, CapRights Rights)>>();
            foreach (ObjectId s in tcbs)
            {
                foreach (var (obj, h) in _held[s])
                {
                    if (!holders.TryGetValue(obj, out var list))
                    {
                        holders[obj] = list = [];
                    }

                    list.Add((s, h.Rights));
                }
            }

            foreach (var (obj, list) in holders)
            {
                SpecObject o = _spec.Objects[obj];
                switch (o.Kind)
                {
                    case ObjectKind.Endpoint:
                        foreach (var (a, ra) in list)
                        {
                            foreach (var (b, rb) in list)
                            {
                                if (a == b)
                                {
                                    continue;
                                }

                                // a sends with Grant, b receives.
                                if (ra.HasFlag(CapRights.Write | CapRights.Grant) && rb.HasFlag(CapRights.Read))
                                {
                                    yield return (a, b, new Reason($"{a} can send capabilities over endpoint {obj} ({RightsText(ra)}: Write and Grant) and {b} can receive on it ({RightsText(rb)})", [(a, obj), (b, obj)]));
                                }

                                // b calls a; a replies with Grant through the reply capability.
                                if (ra.HasFlag(CapRights.Read | CapRights.Grant) && rb.HasFlag(CapRights.Write) && (rb & (CapRights.Grant | CapRights.GrantReply)) != 0)
                                {
                                    yield return (a, b, new Reason($"{b} can call over endpoint {obj} ({RightsText(rb)}) and {a}, receiving with Grant ({RightsText(ra)}), can send capabilities back in the reply", [(a, obj), (b, obj)]));
                                }
                            }
                        }

                        break;
                    case ObjectKind.CNode:
                        foreach (var (a, _) in list)
                        {
                            foreach (var (b, _) in list)
                            {
                                if (a != b)
                                {
                                    yield return (a, b, new Reason($"{a} and {b} both hold CNode {obj}: {a} can copy capabilities into it and {b} can take them", [(a, obj), (b, obj)]));
                                }
                            }
                        }

                        break;
                    case ObjectKind.Tcb:
                        foreach (var (a, _) in list)
                        {
                            if (a != obj)
                            {
                                yield return (a, obj, new Reason($"{a} holds the TCB of {obj} and can set its CSpace to capabilities of its own", [(a, obj)]));
                                yield return (obj, a, new Reason($"{a} holds the TCB of {obj} and controls that thread", [(a, obj)]));
                            }
                        }

                        break;
                }
            }
        }

        private List<AuthorityStep> Explain(ObjectId subject, ObjectId target)
        {
            var steps = new List<AuthorityStep>();
            var done = new HashSet<(ObjectId, ObjectId)>();
            var stack = new Stack<((ObjectId S, ObjectId O) Fact, bool Expanded)>();
            stack.Push(((subject, target), false));
            while (stack.Count > 0)
            {
                var (fact, expanded) = stack.Pop();
                if (done.Contains(fact))
                {
                    continue;
                }

                Reason why = _held[fact.S][fact.O].Why;
                if (expanded)
                {
                    done.Add(fact);
                    if (fact.S != fact.O)
                    {
                        steps.Add(new AuthorityStep(fact.S.ToString(), fact.O.ToString(), why.Text));
                    }

                    continue;
                }

                stack.Push((fact, true));
                foreach (var dep in why.After.Reverse())
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
