using System.Text;
using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Tests.CapDL
{
    /// <summary>
    /// Random loadable specs: after loading, every capability of the spec is in its slot with the
    /// spec's rights, badge and guard, every object sits inside the untyped that covers it, and
    /// the kernel's invariants hold. CAPVISOR_PROPERTY_RUNS enlarges the budget.
    /// </summary>
    public class CapdlLoaderPropertyTests
    {
        private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_PROPERTY_RUNS"), out int n) ? n : 40;

        [Fact]
        public void LoadedSpecsMatchTheirText()
        {
            for (int run = 0; run < Runs; run++)
            {
                var rng = new Random(500 + run);
                string text = Generate(rng);
                CapdlSpec spec = CapdlParser.Parse(text, $"run{run}");
                var kernel = new CapKernel(new SparsePhysicalMemory());
                CNodeObject boot = kernel.CreateRootCNode(3);
                kernel.AddUntyped(boot[0], PhysicalAddressSpace.Realm, 0x1_0000_0000, 30);
                LoadedSpec l = CapdlLoader.Load(kernel, spec, new CapdlLoaderOptions { Untypeds = [boot[0]] });
                kernel.CheckInvariants();

                foreach (SpecObject o in spec.Objects.Values)
                {
                    KernelObject k = l.Objects[o.Id];
                    Assert.Equal(PhysicalAddressSpace.Realm, k.AddressSpace);
                    if (spec.CoveringUntyped(o.Id) is ObjectId ut)
                    {
                        KernelObject u = l.Objects[ut];
                        Assert.Same(u, k.Source);
                        Assert.InRange(k.PhysicalAddress, u.PhysicalAddress, u.PhysicalAddress + u.Size - k.Size);
                    }

                    if (o.Kind is ObjectKind.CNode)
                    {
                        foreach (var (slot, cap) in o.Slots)
                        {
                            Capability kc = k.Slots[(int)slot].Cap ?? throw new Xunit.Sdk.XunitException($"run {run}: {o.Id} slot {slot} is empty\n{text}");
                            Assert.Same(l.Objects[cap.Target!.Value], kc.Object);
                            SpecObject target = spec[cap.Target.Value];
                            if (target.Kind is ObjectKind.Endpoint or ObjectKind.Notification or ObjectKind.Frame)
                            {
                                Assert.Equal(cap.Rights, kc.Rights);
                                Assert.Equal(cap.Badge, kc.Badge);
                            }

                            if (target.Kind == ObjectKind.CNode)
                            {
                                Assert.Equal((int)cap.GuardSize, kc.GuardBits);
                                Assert.Equal(cap.Guard, kc.Guard);
                            }

                            Assert.Same(l.Originals[cap.Target.Value], k.Slots[(int)slot].Parent);
                        }
                    }
                }

                // Revoking the pool takes everything the spec made.
                kernel.Revoke(boot[0]);
                Assert.DoesNotContain(kernel.LiveObjects, o => o.Source is not null);
            }
        }

        private static string Generate(Random rng)
        {
            var names = new List<(string Name, string Kind)>();
            var sb = new StringBuilder("arch aarch64\nobjects {\n");
            int n = rng.Next(2, 12);
            for (int i = 0; i < n; i++)
            {
                string kind = new[] { "ep", "notification", "cnode", "frame", "frame2", "tcb", "vcpu" }[rng.Next(7)];
                string name = $"o{i}";
                string decl = kind switch
                {
                    "cnode" => $"cnode ({rng.Next(2, 6)} bits)",
                    "frame" => "frame (4k)",
                    "frame2" => "frame (2M)",
                    _ => kind,
                };
                names.Add((name, kind));
                sb.Append($"  {name} = {decl}\n");
            }

            var covered = names.Where(_ => rng.Next(3) == 0).Select(x => x.Name).ToList();
            if (covered.Count > 0)
            {
                sb.Append($"  pool = ut (26 bits) {{ {string.Join(", ", covered)} }}\n");
            }

            sb.Append("}\ncaps {\n");
            foreach (var (cn, _) in names.Where(x => x.Kind == "cnode"))
            {
                sb.Append($"  {cn} {{\n");
                for (int s = 0; s < 4; s++)
                {
                    if (rng.Next(2) == 0)
                    {
                        continue;
                    }

                    var (t, kind) = names[rng.Next(names.Count)];
                    string ps = kind switch
                    {
                        "ep" or "notification" => $" ({string.Concat("RWGP".Where(_ => rng.Next(2) == 0).DefaultIfEmpty('R'))}, badge: {rng.Next(0, 50)})",
                        "frame" or "frame2" => rng.Next(2) == 0 ? " (R)" : " (RW)",
                        "cnode" => $" (guard: {rng.Next(2)}, guard_size: {rng.Next(1, 20)})",
                        _ => string.Empty,
                    };
                    sb.Append($"    {s}: {t}{ps}\n");
                }

                sb.Append("  }\n");
            }

            sb.Append("}\n");
            return sb.ToString();
        }
    }
}
