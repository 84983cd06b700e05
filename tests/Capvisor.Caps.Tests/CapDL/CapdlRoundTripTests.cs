using Capvisor.Caps.CapDL;
using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.Tests.CapDL
{
    public class CapdlRoundTripTests
    {
        public static TheoryData<string> RealSpecNames() => new(Fixtures.RealSpecs().Select(System.IO.Path.GetFileName)!);

        [Theory]
        [MemberData(nameof(RealSpecNames))]
        public void PrintOfParseIsAFixedPointOnRealSpecs(string name)
        {
            CapdlSpec spec = CapdlParser.ParseFile(Fixtures.Path("sel4-capdl", name));
            string printed = CapdlPrinter.Print(spec);
            CapdlSpec again = CapdlParser.Parse(printed, "printed");
            Assert.Equal(printed, CapdlPrinter.Print(again));
            Assert.Equal(CapdlDigest.Compute(spec, null), CapdlDigest.Compute(again, null));
        }

        [Fact]
        public void ExampleAarch64ResolvesAsCapDLToolDoes()
        {
            // Expected facts taken from capDL-tool's own example-aarch64.right.
            CapdlSpec s = CapdlParser.ParseFile(Fixtures.Path("sel4-capdl", "example-aarch64.cdl"));
            Assert.Equal("aarch64", s.Arch);
            Assert.Equal(64, s.Resolve("frame_nic1").Count);
            Assert.Equal(new[] { "g", "name_b" }, s.Covers[new ObjectId("rm_ut_small", 0)].Select(i => i.ToString()));
            Assert.Contains(new ObjectId("rm_cn", null), s.Covers[new ObjectId("something", null)]);
            Assert.Equal(new ObjectId("name", null), s.CoveringUntyped(new ObjectId("name2", null)));
            SpecObject rmcn = s[new ObjectId("rm_cn", null)];
            Assert.Equal(10, rmcn.SizeBits);
            Assert.Equal(new ObjectId("rm_ut_small", 3), rmcn.Slots[12].Target);
            Assert.Equal(new ObjectId("rm_ut_small", 27), rmcn.Slots[30].Target);
            Assert.Equal(CapRights.Read | CapRights.Write, rmcn.Slots[230].Rights);
            Assert.Equal(10UL, rmcn.Slots[302].Badge);
            Assert.Equal(new ObjectId("rm_cn", null), rmcn.Slots[303].Target); // <cap_name> copy of (rm_tcb, cspace)
            Assert.Equal(new ObjectId("frame_nic1", 63), rmcn.Slots[514 + 63].Target); // <name[]> copies
            Assert.Equal(ReplyKind.Reply, s[new ObjectId("test", 1)].Slots[2].Reply);
            Assert.Equal("sched_control", s[new ObjectId("cnode_booter", null)].Slots[2].Special);
            Assert.Equal(new CapRef(new ObjectId("cnode_booter", null), 1), s.Cdt[new CapRef(new ObjectId("rm_cn", null), 301)]);
            Assert.Equal(new ObjectId("irq_handler", 2), s.IrqMap[2]);
            Assert.Equal("[10]", s[new ObjectId("rm_tcb", null)].Parameters["init"]);
        }

        [Fact]
        public void DigestIgnoresFormattingOrderAndNamesOfCaps()
        {
            const string a = """
                arch aarch64
                objects { ep1 = ep  t = tcb (prio: 10, ip: 0x1000)  cn = cnode (4 bits) }
                caps { cn { 0: ep1 (RW, badge: 3) 1: t } t { cspace: cn } }
                """;
            const string b = """
                -- same spec, other order and notation
                arch aarch64
                objects {
                  cn = cnode (4 bits)
                  t = tcb (ip: 4096, prio: 0xa)   /* reordered parameters */
                  ep1 = ep
                }
                caps {
                  t { 0: cn }
                  mine = (cn, 0)
                  cn { ep1 (badge: 0x3, WR) t }
                }
                """;
            CapdlSpec sa = CapdlParser.Parse(a);
            CapdlSpec sb = CapdlParser.Parse(b);
            Assert.Equal(CapdlPrinter.Print(sa), CapdlPrinter.Print(sb));
            Assert.Equal(CapdlDigest.Compute(sa, null), CapdlDigest.Compute(sb, null));

            CapdlSpec sc = CapdlParser.Parse(a.Replace("RW, badge: 3", "RW, badge: 4"));
            Assert.NotEqual(CapdlDigest.Compute(sa, null), CapdlDigest.Compute(sc, null));
        }

        [Fact]
        public void DigestCoversFillContents()
        {
            const string text = """
                arch aarch64
                objects { f = frame (4k, fill: [{16 4 CDL_FrameFill_FileData "img.bin" 2}]) }
                """;
            CapdlSpec s = CapdlParser.Parse(text);
            byte[] d1 = CapdlDigest.Compute(s, _ => [0, 1, 2, 3, 4, 5, 6]);
            byte[] d2 = CapdlDigest.Compute(s, _ => [9, 9, 2, 3, 4, 5, 9]);
            byte[] d3 = CapdlDigest.Compute(s, _ => [0, 1, 2, 3, 4, 6, 6]);
            Assert.Equal(d1, d2); // only bytes 2..5 are used
            Assert.NotEqual(d1, d3);
            var e = Assert.Throws<CapdlException>(() => CapdlDigest.Compute(s, _ => [1, 2, 3]));
            Assert.Contains("img.bin", e.Message);
        }

        [Fact]
        public void ExternObjectsAreMarked()
        {
            CapdlSpec s = CapdlParser.Parse("arch aarch64 objects { extern_ring = frame (4k) own = frame (4k) }");
            Assert.True(s[new ObjectId("extern_ring", null)].IsExtern);
            Assert.False(s[new ObjectId("own", null)].IsExtern);
        }
    }
}
