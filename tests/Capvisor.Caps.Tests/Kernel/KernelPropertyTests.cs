using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Tests.Kernel
{
    /// <summary>
    /// Random operation sequences against the kernel, checked after every step against a ghost model
    /// kept by the test itself (lineage of every capability, rights at derivation, object history).
    /// CAPVISOR_PROPERTY_RUNS enlarges the budget.
    /// </summary>
    public class KernelPropertyTests
    {
        private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_PROPERTY_RUNS"), out int n) ? n : 60;

        [Fact]
        public void RandomOperationSequencesKeepTheInvariants()
        {
            for (int run = 0; run < Runs; run++)
            {
                new Machine(new Random(1000 + run)).Run(250);
            }
        }

        private sealed class Machine
        {
            private static readonly ObjectType[] Types =
            [
                ObjectType.Frame4K, ObjectType.Frame4K, ObjectType.Frame2M, ObjectType.Endpoint, ObjectType.Notification,
                ObjectType.CNode, ObjectType.VSpace, ObjectType.Vcpu, ObjectType.Tcb, ObjectType.Untyped, ObjectType.PageTable,
            ];

            private readonly Random _rng;
            private readonly SparsePhysicalMemory _memory = new();
            private readonly CapKernel _kernel;
            private readonly CNodeObject _root;

            // Ghost model: every installed capability gets an id; lineage is the chain of ids it was derived from.
            private readonly Dictionary<CSlot, long> _ghost = [];
            private readonly Dictionary<long, long> _ghostParent = [];
            private long _nextGhost;

            public Machine(Random rng)
            {
                _rng = rng;
                _kernel = new CapKernel(_memory);
                _root = _kernel.CreateRootCNode(7);
                _kernel.AddUntyped(_root[0], PhysicalAddressSpace.NonSecure, 0x1000_0000, 23);
                _kernel.AddUntyped(_root[1], PhysicalAddressSpace.Realm, 0x2000_0000, 22);
                Tag(_root[0], null);
                Tag(_root[1], null);
            }

            public void Run(int steps)
            {
                for (int i = 0; i < steps; i++)
                {
                    Step();
                    _kernel.CheckInvariants();
                    CheckNoOverlap();
                    CheckGhostAgreesWithSlots();
                }
            }

            private IEnumerable<CSlot> AllSlots() =>
                _kernel.LiveObjects.Where(o => o is CNodeObject).SelectMany(o => o.Slots);

            private CSlot? Pick(Func<CSlot, bool> filter)
            {
                var slots = AllSlots().Where(filter).ToList();
                return slots.Count == 0 ? null : slots[_rng.Next(slots.Count)];
            }

            private void Tag(CSlot slot, CSlot? parent)
            {
                long id = ++_nextGhost;
                _ghost[slot] = id;
                if (parent is not null)
                {
                    _ghostParent[id] = _ghost[parent];
                }
            }

            private bool GhostDescendsFrom(long id, long ancestor)
            {
                while (_ghostParent.TryGetValue(id, out long p))
                {
                    if (p == ancestor)
                    {
                        return true;
                    }

                    id = p;
                }

                return false;
            }

            private CapRights RandomRights() => (CapRights)_rng.Next(16);

            private void Step()
            {
                switch (_rng.Next(11))
                {
                    case 0:
                    case 1:
                        Retype();
                        break;
                    case 2:
                        Derive(mint: false);
                        break;
                    case 3:
                        Derive(mint: true);
                        break;
                    case 4:
                        MoveOrMutate(mutate: _rng.Next(2) == 0);
                        break;
                    case 5:
                        if (Pick(s => !s.IsEmpty && s.Container != _root) is { } d)
                        {
                            _kernel.Delete(d);
                        }

                        break;
                    case 6:
                        Revoke();
                        break;
                    case 7:
                        MapFrame();
                        break;
                    case 8:
                        ScribbleOnFrames();
                        break;
                    default:
                        if (Pick(s => !s.IsEmpty && _rng.Next(4) == 0) is { } r)
                        {
                            Revoke(r);
                        }

                        break;
                }
            }

            private void Retype()
            {
                CSlot? ut = Pick(s => s.Cap?.Type == ObjectType.Untyped);
                if (ut is null)
                {
                    return;
                }

                var untyped = (UntypedObject)ut.Cap!.Object;
                ObjectType type = Types[_rng.Next(Types.Length)];
                int size = type switch
                {
                    ObjectType.CNode => _rng.Next(1, 5),
                    ObjectType.Untyped => _rng.Next(4, Math.Max(5, untyped.SizeBits)),
                    _ => 0,
                };
                int count = _rng.Next(1, 4);
                var cnodes = _kernel.LiveObjects.OfType<CNodeObject>().ToList();
                CNodeObject dest = cnodes[_rng.Next(cnodes.Count)];
                if (count > dest.Slots.Count)
                {
                    return;
                }

                int offset = _rng.Next(dest.Slots.Count - count + 1);
                bool hadLiveChildren = untyped.LiveChildren > 0;
                ulong oldWatermark = untyped.Watermark;
                IReadOnlyList<KernelObject> made;
                try
                {
                    made = _kernel.Retype(ut, type, size, dest, offset, count);
                }
                catch (CapabilityException)
                {
                    return;
                }

                for (int i = 0; i < made.Count; i++)
                {
                    KernelObject o = made[i];
                    Tag(dest[offset + i], ut);
                    Assert.True(_memory.IsZero(o.PhysicalAddress, o.Size), $"retyped {o} is not zeroed");
                    Assert.Equal(untyped.AddressSpace, o.AddressSpace);
                    Assert.Equal(0UL, o.PhysicalAddress & (o.Size - 1));
                    Assert.Equal(CapRights.All, dest[offset + i].Cap!.Rights);
                    if (hadLiveChildren)
                    {
                        Assert.True(o.PhysicalAddress - untyped.PhysicalAddress >= oldWatermark, $"{o} reuses memory below the watermark while {untyped} has live children");
                    }
                }
            }

            private void Derive(bool mint)
            {
                CSlot? src = Pick(s => !s.IsEmpty);
                CSlot? dest = Pick(s => s.IsEmpty);
                if (src is null || dest is null)
                {
                    return;
                }

                Capability before = src.Cap!;
                CapRights mask = mint ? RandomRights() : CapRights.All;
                ulong badge = mint && before.Type is ObjectType.Endpoint or ObjectType.Notification ? (ulong)_rng.Next(3) : 0;
                try
                {
                    if (mint && before.Type == ObjectType.CNode && _rng.Next(2) == 0)
                    {
                        _kernel.MintCNode(src, dest, mask, (ulong)_rng.Next(4), 2);
                    }
                    else
                    {
                        _kernel.Mint(src, dest, mask, badge);
                    }
                }
                catch (CapabilityException)
                {
                    Assert.True(dest.IsEmpty);
                    return;
                }

                Tag(dest, src);
                Assert.Equal(CapRights.None, dest.Cap!.Rights & ~(before.Rights & mask));
                Assert.Same(src, dest.Parent);
                Assert.Null(dest.Mapping);
            }

            private void MoveOrMutate(bool mutate)
            {
                CSlot? src = Pick(s => !s.IsEmpty && s.Container != _root);
                CSlot? dest = Pick(s => s.IsEmpty);
                if (src is null || dest is null)
                {
                    return;
                }

                Capability before = src.Cap!;
                CapRights mask = mutate ? RandomRights() : CapRights.All;
                CSlot? parent = src.Parent;
                long ghost = _ghost[src];
                try
                {
                    if (mutate)
                    {
                        _kernel.Mutate(src, dest, mask, 0);
                    }
                    else
                    {
                        _kernel.Move(src, dest);
                    }
                }
                catch (CapabilityException)
                {
                    return;
                }

                _ghost.Remove(src);
                _ghost[dest] = ghost;
                Assert.True(src.IsEmpty);
                Assert.Same(parent, dest.Parent);
                Assert.Equal(CapRights.None, dest.Cap!.Rights & ~(before.Rights & mask));
            }

            private void Revoke()
            {
                if (Pick(s => s.Cap?.Type == ObjectType.Untyped) is { } ut)
                {
                    Revoke(ut);
                }
            }

            private void Revoke(CSlot slot)
            {
                long id = _ghost[slot];
                _kernel.Revoke(slot);
                Assert.Empty(slot.Descendants());
                foreach (CSlot s in AllSlots().Where(s => !s.IsEmpty))
                {
                    Assert.False(GhostDescendsFrom(_ghost[s], id), $"{s} survives the revoke of its ancestor {slot}");
                }

                if (!slot.IsEmpty && slot.Cap!.Object is UntypedObject u && AllSlots().Count(s => s.Cap?.Object == u) == 1)
                {
                    Assert.Equal(0, u.LiveChildren);
                }
            }

            private void MapFrame()
            {
                CSlot? frame = Pick(s => s.Cap?.Type is ObjectType.Frame4K or ObjectType.Frame2M && s.Mapping is null);
                CSlot? vspace = Pick(s => s.Cap?.Type == ObjectType.VSpace);
                if (frame is null || vspace is null)
                {
                    return;
                }

                int bits = frame.Cap!.Object.SizeBits;
                ulong ipa = (ulong)_rng.Next(16) << bits;
                CapRights requested = RandomRights();
                try
                {
                    _kernel.Map(frame, vspace, ipa, requested);
                }
                catch (CapabilityException)
                {
                    return;
                }

                Assert.Equal(CapRights.None, frame.Mapping!.Rights & ~(frame.Cap!.Rights & requested));
            }

            private void ScribbleOnFrames()
            {
                foreach (KernelObject o in _kernel.LiveObjects.Where(o => o is FrameObject).Take(3))
                {
                    _memory.Write(o.PhysicalAddress + (ulong)_rng.Next((int)o.Size - 8), BitConverter.GetBytes(_rng.NextInt64() | 1));
                }
            }

            private void CheckNoOverlap()
            {
                var objs = _kernel.LiveObjects.Where(o => o.OwnsMemory && o.Source is not null).ToList();
                foreach (KernelObject a in objs)
                {
                    foreach (KernelObject b in objs)
                    {
                        if (ReferenceEquals(a, b) || b.PhysicalAddress >= a.PhysicalAddress + a.Size || a.PhysicalAddress >= b.PhysicalAddress + b.Size)
                        {
                            continue;
                        }

                        bool nested = Ancestors(a).Contains(b) || Ancestors(b).Contains(a);
                        Assert.True(nested, $"live objects overlap: {a} and {b}");
                    }
                }
            }

            private static IEnumerable<KernelObject> Ancestors(KernelObject o)
            {
                for (UntypedObject? u = o.Source; u is not null; u = u.Source)
                {
                    yield return u;
                }
            }

            private void CheckGhostAgreesWithSlots()
            {
                foreach (CSlot s in _ghost.Keys.ToList())
                {
                    if (s.IsEmpty)
                    {
                        _ghost.Remove(s);
                    }
                }

                foreach (CSlot s in AllSlots().Where(s => !s.IsEmpty))
                {
                    Assert.True(_ghost.ContainsKey(s), $"{s} holds a capability the test never saw created");
                }
            }
        }
    }
}
