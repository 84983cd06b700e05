using System.Numerics;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// Realises a CapDL spec on the capability kernel, as seL4's capDL loader does: objects are
    /// retyped from untyped memory (spec untypeds first carved, then filled with what they cover;
    /// objects with a <c>paddr</c> placed exactly), IRQ handlers issued, capabilities derived into
    /// CNodes and TCBs with their rights, badges and guards (following the spec's derivation tree),
    /// frames mapped into VSpaces at the address their page-table slots give, fills copied in,
    /// and vCPUs bound to their thread's VSpace.
    /// </summary>
    public static class CapdlLoader
    {
        /// <summary>Loads <paramref name="spec"/> into <paramref name="kernel"/>.</summary>
        /// <exception cref="CapdlException">The spec cannot be realised (unsupported object, out of memory, bad mapping); the message says which object.</exception>
        public static LoadedSpec Load(CapKernel kernel, CapdlSpec spec, CapdlLoaderOptions options)
        {
            var run = new Run(kernel, spec, options);
            return run.Execute();
        }

        private sealed class Run(CapKernel kernel, CapdlSpec spec, CapdlLoaderOptions options)
        {
            private readonly Dictionary<ObjectId, int> _shift = [];
            private readonly Dictionary<ObjectId, ulong> _tableBase = [];
            private readonly Dictionary<ObjectId, ObjectId> _tableRoot = [];
            private LoadedSpec _result = null!;
            private int _nextSlot;

            private string Where(ObjectId id) => spec.Locations.TryGetValue(id, out SourceLocation l) ? $"{l}: " : string.Empty;

            private CapdlException Fail(ObjectId id, string message) => new($"{Where(id)}{message}");

            public LoadedSpec Execute()
            {
                ClassifyPageTables();
                int slotsNeeded = 16 + spec.Objects.Count + spec.Objects.Values.Sum(o => ObjectKinds.IsPageTable(o.Kind) ? o.Slots.Count : 0) + (64 * spec.Objects.Values.Count(o => o.Paddr is not null));
                int radix = Math.Max(4, BitOperations.Log2((uint)slotsNeeded - 1) + 1);
                if (radix > ObjectSizes.MaxCNodeRadix)
                {
                    throw new CapdlException($"the spec is too large to load ({slotsNeeded} capabilities)");
                }

                _result = new LoadedSpec(kernel.CreateRootCNode(radix));
                CreateObjects();
                InstallCaps();
                Fill();
                BindVcpus();
                return _result;
            }

            private CSlot NextSlot() => _result.Root[_nextSlot++];

            // ---- objects ------------------------------------------------------------------

            private (ObjectType Type, int Size)? KernelType(SpecObject o)
            {
                switch (o.Kind)
                {
                    case ObjectKind.Endpoint: return (ObjectType.Endpoint, 0);
                    case ObjectKind.Notification: return (ObjectType.Notification, 0);
                    case ObjectKind.Tcb: return (ObjectType.Tcb, 0);
                    case ObjectKind.Vcpu: return (ObjectType.Vcpu, 0);
                    case ObjectKind.CNode:
                        if (o.SizeBits is not (>= 1 and <= ObjectSizes.MaxCNodeRadix))
                        {
                            throw Fail(o.Id, $"cnode '{o.Id}' has {o.SizeBits} bits; the kernel supports 1..{ObjectSizes.MaxCNodeRadix}");
                        }

                        return (ObjectType.CNode, o.SizeBits.Value);
                    case ObjectKind.Untyped: return (ObjectType.Untyped, UntypedBits(o.Id));
                    case ObjectKind.Frame:
                        return o.SizeBits switch
                        {
                            12 => (ObjectType.Frame4K, 0),
                            21 => (ObjectType.Frame2M, 0),
                            _ => throw Fail(o.Id, $"frame '{o.Id}' is {1UL << o.SizeBits!.Value} bytes; the kernel has 4k and 2M frames"),
                        };
                    case ObjectKind.Pgd or ObjectKind.Pud or ObjectKind.PD or ObjectKind.PT or ObjectKind.Pml4 or ObjectKind.Pdpt:
                        return _tableRoot[o.Id] == o.Id ? (ObjectType.VSpace, 0) : (ObjectType.PageTable, 0);
                    case ObjectKind.AsidPool:
                        string why = $"{o.Id}: ASID pools have no counterpart (stage-2 VSpaces need no ASID)";
                        if (!_result.Skipped.Contains(why))
                        {
                            _result.Skipped.Add(why);
                        }

                        return null;
                    case ObjectKind.Irq or ObjectKind.ArmIrq:
                        return null; // issued from IRQ control below
                    default:
                        throw Fail(o.Id, $"'{o.Id}' is {ObjectKinds.WithArticle(o.Kind)}, which the Capvisor kernel does not implement");
                }
            }

            private int UntypedBits(ObjectId id)
            {
                SpecObject o = spec.Objects[id];
                if (o.SizeBits is int bits)
                {
                    return bits;
                }

                // An untyped without a size gets the smallest that holds what it covers.
                ulong used = 0;
                if (spec.Covers.TryGetValue(id, out SortedSet<ObjectId>? children))
                {
                    foreach (int b in children.Select(c => ObjectBits(c)).OrderByDescending(b => b))
                    {
                        ulong size = 1UL << b;
                        used = ((used + size - 1) & ~(size - 1)) + size;
                    }
                }

                return Math.Max(ObjectSizes.MinUntypedBits, used <= 1 ? 0 : BitOperations.Log2(used - 1) + 1);
            }

            private int ObjectBits(ObjectId id)
            {
                SpecObject o = spec.Objects[id];
                return KernelType(o) is var (type, size) ? ObjectSizes.SizeBits(type, size) : 0;
            }

            private void CreateObjects()
            {
                foreach (SpecObject o in spec.Objects.Values.Where(o => o.IsExtern))
                {
                    if (!options.Externs.TryGetValue(o.Id.Name, out CSlot? provided) || provided.Cap is null)
                    {
                        throw Fail(o.Id, $"extern object '{o.Id}' is not provided by the platform");
                    }

                    CSlot copy = NextSlot();
                    kernel.Copy(provided, copy);
                    _result.Objects[o.Id] = copy.Cap!.Object;
                    _result.Originals[o.Id] = copy;
                }

                // Objects at fixed addresses first, in address order, so that the watermark can be walked up to them.
                var topLevel = spec.Objects.Values.Where(o => !o.IsExtern && spec.CoveringUntyped(o.Id) is null).ToList();
                foreach (SpecObject o in topLevel.Where(o => o.Paddr is not null).OrderBy(o => o.Paddr))
                {
                    CreateAt(o);
                }

                foreach (SpecObject o in topLevel.Where(o => o.Paddr is null).OrderByDescending(o => ObjectBits(o.Id)).ThenBy(o => o.Id))
                {
                    CreateFromPool(o);
                }

                foreach (var (irq, id) in spec.IrqMap)
                {
                    if (options.IrqControl is null)
                    {
                        throw Fail(id, $"the spec maps interrupt {irq} but no IRQ control capability was given to the loader");
                    }

                    CSlot slot = NextSlot();
                    Wrap(id, () => kernel.IssueIrqHandler(options.IrqControl, (uint)irq, slot));
                    _result.Objects[id] = slot.Cap!.Object;
                    _result.Originals[id] = slot;
                }

                foreach (SpecObject o in spec.Objects.Values.Where(o => ObjectKinds.IsIrq(o.Kind) && !_result.Objects.ContainsKey(o.Id)))
                {
                    throw Fail(o.Id, $"irq object '{o.Id}' has no interrupt number; map it in 'irq maps'");
                }
            }

            private void Wrap(ObjectId id, Action action)
            {
                try
                {
                    action();
                }
                catch (CapabilityException e)
                {
                    throw Fail(id, $"cannot realise '{id}': {e.Message}");
                }
            }

            private void Retype(CSlot untyped, SpecObject o, CSlot dest, (ObjectType Type, int Size) t)
            {
                kernel.Retype(untyped, t.Type, t.Size, (CNodeObject)dest.Container, dest.Index, 1);
                _result.Objects[o.Id] = dest.Cap!.Object;
                _result.Originals[o.Id] = dest;
            }

            private void CreateFromPool(SpecObject o)
            {
                if (KernelType(o) is not { } t)
                {
                    return;
                }

                CSlot dest = NextSlot();
                foreach (CSlot ut in options.Untypeds)
                {
                    try
                    {
                        Retype(ut, o, dest, t);
                        CreateContents(o);
                        return;
                    }
                    catch (CapabilityException e) when (e.Error is KernelError.NotEnoughMemory or KernelError.InvalidArgument)
                    {
                    }
                }

                throw Fail(o.Id, $"no untyped memory left for '{o.Id}' ({ObjectKinds.Keyword(o.Kind)}, 2^{ObjectSizes.SizeBits(t.Type, t.Size)} bytes); give the loader more or larger untypeds");
            }

            private void CreateContents(SpecObject ut)
            {
                if (ut.Kind != ObjectKind.Untyped || !spec.Covers.TryGetValue(ut.Id, out SortedSet<ObjectId>? children))
                {
                    return;
                }

                CSlot utSlot = _result.Originals[ut.Id];
                foreach (SpecObject c in children.Select(id => spec.Objects[id]).OrderBy(c => c.Paddr ?? ulong.MaxValue).ThenByDescending(c => ObjectBits(c.Id)).ThenBy(c => c.Id))
                {
                    if (c.IsExtern)
                    {
                        throw Fail(c.Id, $"extern object '{c.Id}' cannot be inside untyped '{ut.Id}'");
                    }

                    if (KernelType(c) is not { } t)
                    {
                        continue;
                    }

                    if (c.Paddr is ulong pa)
                    {
                        PadTo(utSlot, pa, c.Id);
                    }

                    CSlot dest = NextSlot();
                    Wrap(c.Id, () => Retype(utSlot, c, dest, t));
                    CreateContents(c);
                }
            }

            private void CreateAt(SpecObject o)
            {
                if (KernelType(o) is not { } t)
                {
                    return;
                }

                ulong pa = o.Paddr!.Value;
                ulong size = 1UL << ObjectSizes.SizeBits(t.Type, t.Size);
                foreach (CSlot ut in options.Untypeds)
                {
                    KernelObject u = ut.Cap!.Object;
                    if (pa >= u.PhysicalAddress && pa - u.PhysicalAddress <= u.Size - size)
                    {
                        PadTo(ut, pa, o.Id);
                        CSlot dest = NextSlot();
                        Wrap(o.Id, () => Retype(ut, o, dest, t));
                        CreateContents(o);
                        return;
                    }
                }

                throw Fail(o.Id, $"'{o.Id}' must be at physical address 0x{pa:x}, which no untyped given to the loader covers");
            }

            // Advances an untyped's watermark to a physical address by retyping filler untypeds, as seL4's loader does.
            private void PadTo(CSlot utSlot, ulong pa, ObjectId forWhom)
            {
                var ut = (UntypedObject)utSlot.Cap!.Object;
                ulong target = pa - ut.PhysicalAddress;
                ulong mark = ut.LiveChildren == 0 ? 0 : ut.Watermark;
                if (mark > target)
                {
                    throw Fail(forWhom, $"'{forWhom}' must be at 0x{pa:x}, but untyped memory up to 0x{ut.PhysicalAddress + mark:x} is already used");
                }

                while (mark < target)
                {
                    int align = mark == 0 ? 63 : BitOperations.TrailingZeroCount(mark);
                    int fit = BitOperations.Log2(target - mark);
                    int bits = Math.Min(align, fit);
                    if (bits < ObjectSizes.MinUntypedBits)
                    {
                        throw Fail(forWhom, $"0x{pa:x} for '{forWhom}' is not reachable with 16-byte aligned untyped");
                    }

                    CSlot filler = NextSlot();
                    kernel.Retype(utSlot, ObjectType.Untyped, bits, (CNodeObject)filler.Container, filler.Index, 1);
                    mark += 1UL << bits;
                }
            }

            // ---- page tables ----------------------------------------------------------------

            private static int ShiftOf(ObjectKind k) => k switch
            {
                ObjectKind.Pgd or ObjectKind.Pml4 => 39,
                ObjectKind.Pud or ObjectKind.Pdpt => 30,
                ObjectKind.PD => 21,
                _ => 12,
            };

            private void ClassifyPageTables()
            {
                var tables = spec.Objects.Values.Where(o => ObjectKinds.IsPageTable(o.Kind)).ToList();
                var children = new HashSet<ObjectId>();
                foreach (SpecObject t in tables)
                {
                    foreach (SpecCap c in t.Slots.Values)
                    {
                        if (c.Target is ObjectId id && ObjectKinds.IsPageTable(spec.Objects[id].Kind))
                        {
                            children.Add(id);
                        }
                    }
                }

                foreach (SpecObject root in tables.Where(t => !children.Contains(t.Id)))
                {
                    var stack = new Stack<(ObjectId, ulong)>();
                    stack.Push((root.Id, 0));
                    while (stack.Count > 0)
                    {
                        var (id, b) = stack.Pop();
                        if (_tableRoot.ContainsKey(id))
                        {
                            throw Fail(id, $"page table '{id}' is reachable twice (from '{_tableRoot[id]}'); a table has one parent");
                        }

                        _tableRoot[id] = root.Id;
                        _tableBase[id] = b;
                        SpecObject t = spec.Objects[id];
                        _shift[id] = ShiftOf(t.Kind);
                        foreach (var (slot, cap) in t.Slots)
                        {
                            if (cap.Target is ObjectId c && ObjectKinds.IsPageTable(spec.Objects[c].Kind))
                            {
                                stack.Push((c, b + (slot << _shift[id])));
                            }
                        }
                    }
                }

                foreach (SpecObject t in tables.Where(t => !_tableRoot.ContainsKey(t.Id)))
                {
                    throw Fail(t.Id, $"page tables that contain '{t.Id}' form a cycle");
                }
            }

            // ---- capabilities ---------------------------------------------------------------

            private void InstallCaps()
            {
                var pending = new List<(SpecObject Container, ulong Slot, SpecCap Cap)>();
                foreach (SpecObject o in spec.Objects.Values)
                {
                    foreach (var (slot, cap) in o.Slots)
                    {
                        pending.Add((o, slot, cap));
                    }
                }

                var installed = new Dictionary<CapRef, CSlot>();
                while (pending.Count > 0)
                {
                    var later = new List<(SpecObject, ulong, SpecCap)>();
                    foreach (var item in pending)
                    {
                        var r = new CapRef(item.Container.Id, item.Slot);
                        CSlot? parent = null;
                        if (spec.Cdt.TryGetValue(r, out CapRef p) && !installed.TryGetValue(p, out parent))
                        {
                            later.Add(item);
                            continue;
                        }

                        if (Install(item.Container, item.Slot, item.Cap, parent) is CSlot s)
                        {
                            installed[r] = s;
                        }
                    }

                    if (later.Count == pending.Count)
                    {
                        // Parents that are never installed (skipped objects): derive from the originals instead.
                        foreach (var (c, s, cap) in later)
                        {
                            Install(c, s, cap, null);
                        }

                        break;
                    }

                    pending = later;
                }
            }

            private CSlot? Install(SpecObject container, ulong slot, SpecCap cap, CSlot? parent)
            {
                ObjectId cid = container.Id;
                string at = $"slot {slot} of '{cid}'";
                if (cap.Target is not ObjectId target)
                {
                    if (cap.Special == "irq_control" && options.IrqControl is not null && DestFor(container, slot, at) is CSlot d)
                    {
                        kernel.Copy(options.IrqControl, d);
                        return d;
                    }

                    _result.Skipped.Add($"{at}: {cap.Special} capability not granted");
                    return null;
                }

                if (!_result.Originals.TryGetValue(target, out CSlot? original))
                {
                    _result.Skipped.Add($"{at}: capability to '{target}', which was not realised");
                    return null;
                }

                SpecObject t = spec.Objects[target];
                CSlot src = parent ?? original;
                if (ObjectKinds.IsPageTable(container.Kind))
                {
                    return ObjectKinds.IsPageTable(t.Kind) ? null : MapFrame(container, slot, t, cap, src);
                }

                if (container.Kind == ObjectKind.AsidPool || DestFor(container, slot, at) is not CSlot dest)
                {
                    return null;
                }

                Wrap(cid, () =>
                {
                    switch (t.Kind)
                    {
                        case ObjectKind.CNode:
                            kernel.MintCNode(src, dest, CapRights.All, cap.Guard, (int)cap.GuardSize);
                            break;
                        case ObjectKind.Endpoint or ObjectKind.Notification:
                            kernel.Mint(src, dest, cap.Rights, cap.Badge);
                            break;
                        case ObjectKind.Frame:
                            kernel.Mint(src, dest, cap.Rights, 0);
                            break;
                        case ObjectKind.Tcb when cap.Reply != ReplyKind.None:
                            kernel.Mint(src, dest, CapRights.None, 0); // reply capabilities have no separate object here
                            break;
                        default:
                            kernel.Mint(src, dest, CapRights.All, 0);
                            break;
                    }
                });
                return dest;
            }

            private CSlot? DestFor(SpecObject container, ulong slot, string at)
            {
                KernelObject k = _result.Objects.GetValueOrDefault(container.Id) ?? throw Fail(container.Id, $"{at}: container was not realised");
                if (k is IrqHandlerObject)
                {
                    return k.Slots[0];
                }

                if (slot >= (ulong)k.Slots.Count)
                {
                    throw Fail(container.Id, $"{at} is outside the object, which has {k.Slots.Count} slots");
                }

                return k.Slots[(int)slot];
            }

            private CSlot MapFrame(SpecObject table, ulong slot, SpecObject frame, SpecCap cap, CSlot src)
            {
                int shift = _shift[table.Id];
                if (frame.Kind != ObjectKind.Frame || frame.SizeBits != shift)
                {
                    throw Fail(table.Id, $"slot {slot} of {ObjectKinds.Keyword(table.Kind)} '{table.Id}' maps '{frame.Id}', but entries of {ObjectKinds.WithArticle(table.Kind)} map {1UL << shift}-byte frames");
                }

                ulong ipa = _tableBase[table.Id] + (slot << shift);
                CSlot vspace = _result.Originals[_tableRoot[table.Id]];
                CSlot mapping = NextSlot();
                Wrap(frame.Id, () =>
                {
                    kernel.Mint(src, mapping, cap.Rights, 0);
                    kernel.Map(mapping, vspace, ipa, cap.Rights);
                });
                return mapping;
            }

            // ---- fills and bindings -----------------------------------------------------------

            private void Fill()
            {
                foreach (SpecObject o in spec.Objects.Values.Where(o => o.Fill.Count > 0 && !o.IsExtern))
                {
                    KernelObject frame = _result.Objects[o.Id];
                    foreach (FillEntry f in o.Fill)
                    {
                        if (!f.IsFileData)
                        {
                            _result.Skipped.Add($"{o.Id}: fill {f} is not file data");
                            continue;
                        }

                        kernel.Memory.Write(frame.PhysicalAddress + f.Offset, CapdlDigest.FillBytes(spec, o, f, options.ReadFile));
                    }
                }
            }

            private void BindVcpus()
            {
                foreach (SpecObject tcb in spec.Objects.Values.Where(o => o.Kind == ObjectKind.Tcb))
                {
                    if (tcb.Slots.TryGetValue(TcbObject.BoundVcpuSlot, out SpecCap? v) && v.Target is ObjectId vcpu
                        && tcb.Slots.TryGetValue(TcbObject.VSpaceSlot, out SpecCap? vs) && vs.Target is ObjectId vspace
                        && _result.Originals.TryGetValue(vspace, out CSlot? vsSlot) && vsSlot.Cap?.Type == ObjectType.VSpace)
                    {
                        Wrap(tcb.Id, () => kernel.BindVcpu(_result.Originals[vcpu], vsSlot));
                    }
                }
            }
        }
    }
}
