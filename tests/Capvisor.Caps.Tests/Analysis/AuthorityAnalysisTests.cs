using Capvisor.Caps.Analysis;
using Capvisor.Caps.CapDL;

namespace Capvisor.Caps.Tests.Analysis
{
    public class AuthorityAnalysisTests
    {
        private static CapdlSpec Load(string name) => CapdlParser.ParseFile(Fixtures.Path("analysis", name));

        [Fact]
        public void DataOnlyChannelsKeepTheRealmIsolated()
        {
            AuthorityResult r = AuthorityAnalysis.Check(Load("realm-data-channel.cdl"), "realm_ram", "host_tcb");
            Assert.False(r.Reachable);
            Assert.Empty(r.Witness);

            // The shared ring is reachable, as it should be: it is mapped in the host's VSpace.
            Assert.True(AuthorityAnalysis.Check(Load("realm-data-channel.cdl"), "ring", "host_tcb").Reachable);
        }

        [Fact]
        public void AReplyWithGrantLeaksTheRealm()
        {
            AuthorityResult r = AuthorityAnalysis.Check(Load("realm-reply-grant.cdl"), "realm_ram", "host_tcb");
            Assert.True(r.Reachable);
            string text = string.Join("\n", r.Witness);
            Assert.Contains("call", text);
            Assert.Contains("realm_cnode", text);
            Assert.Contains("realm_tcb", text);
            Assert.Contains("reply", text);
        }

        [Fact]
        public void ATcbAndCNodePathIsFoundAndNamed()
        {
            AuthorityResult r = AuthorityAnalysis.Check(Load("realm-cnode-path.cdl"), "realm_ram", "host_tcb");
            Assert.True(r.Reachable);
            var objects = r.Witness.Select(s => s.Object).ToList();
            Assert.Contains("helper_tcb", objects);
            Assert.Contains("helper_cnode", objects);
            Assert.Contains("realm_cnode", objects);
            Assert.StartsWith("realm_ram[", r.Witness[^1].Object);
            Assert.True(AuthorityAnalysis.Check(Load("realm-cnode-path.cdl"), "realm_ram[]", "host_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(Load("realm-cnode-path.cdl"), "realm_ram[3]", "host_tcb").Reachable);
        }

        [Fact]
        public void SendingWithGrantLetsTheReceiverTake()
        {
            const string text = """
                arch aarch64
                objects { a = tcb  b = tcb  ca = cnode (2 bits)  cb = cnode (2 bits)  e = ep  secret = frame (4k) }
                caps {
                  a { cspace: ca }  b { cspace: cb }
                  ca { 0: e (WG) 1: secret (R) }
                  cb { 0: e (R) }
                }
                """;
            Assert.True(AuthorityAnalysis.Check(CapdlParser.Parse(text), "secret", "b").Reachable);
            Assert.False(AuthorityAnalysis.Check(CapdlParser.Parse(text.Replace("(WG)", "(W)")), "secret", "b").Reachable);
            Assert.False(AuthorityAnalysis.Check(CapdlParser.Parse(text.Replace("e = ep", "e = notification").Replace("(WG)", "(W)")), "secret", "b").Reachable);
        }

        [Fact]
        public void UntypedCoveringTheTargetCounts()
        {
            const string text = """
                arch aarch64
                objects { h = tcb  ch = cnode (2 bits)  pool = ut (21 bits) { realm_ram }  realm_ram = frame (2M) }
                caps { h { cspace: ch }  ch { 0: pool } }
                """;
            AuthorityResult r = AuthorityAnalysis.Check(CapdlParser.Parse(text), "realm_ram", "h");
            Assert.True(r.Reachable);
            Assert.Contains("retyp", r.Witness[^1].How);
        }

        [Fact]
        public void AReplyCapabilityGivesNothingOfItsThread()
        {
            const string text = """
                arch aarch64
                objects { server = tcb  client = tcb  cs = cnode (2 bits)  cc = cnode (2 bits)  secret = frame (4k)  mine = frame (4k) }
                caps {
                  server { cspace: cs }  client { cspace: cc }
                  cs { 0: client (reply)  1: mine (RW) }
                  cc { 0: secret (RW) }
                }
                """;
            CapdlSpec s = CapdlParser.Parse(text);
            Assert.False(AuthorityAnalysis.Check(s, "secret", "server").Reachable);
            AuthorityResult r = AuthorityAnalysis.Check(s, "mine", "client");
            Assert.True(r.Reachable);
            Assert.Contains("reply capability", string.Join("\n", r.Witness));

            // An ordinary TCB capability, by contrast, gives the thread's CSpace.
            Assert.True(AuthorityAnalysis.Check(CapdlParser.Parse(text.Replace("client (reply)", "client")), "secret", "server").Reachable);
        }

        [Fact]
        public void DrivingAVcpuDrivesItsThread()
        {
            const string text = """
                arch aarch64
                objects { host = tcb  guest = tcb  v = vcpu  ch = cnode (2 bits)  cg = cnode (2 bits)  secret = frame (4k) }
                caps {
                  host { cspace: ch }  guest { cspace: cg  bound_vcpu: v }
                  ch { 0: v }
                  cg { 0: secret (RW) }
                }
                """;
            AuthorityResult r = AuthorityAnalysis.Check(CapdlParser.Parse(text), "secret", "host");
            Assert.True(r.Reachable);
            Assert.Contains("vcpu v", string.Join("\n", r.Witness));
        }

        [Fact]
        public void ControllingAThreadReachesItsMemory()
        {
            // The guest's RAM is only mapped, never held as a capability; driving the guest's vCPU reaches it.
            const string text = """
                arch aarch64
                objects { host = tcb  guest = tcb  v = vcpu  ch = cnode (2 bits)  gs = pgd  gpd = pd  ram = frame (2M) }
                caps {
                  host { cspace: ch }  guest { vspace: gs  bound_vcpu: v }
                  ch { 0: v }
                  gs { 1: gpd }  gpd { 0: ram (RW) }
                }
                """;
            AuthorityResult r = AuthorityAnalysis.Check(CapdlParser.Parse(text), "ram", "host");
            Assert.True(r.Reachable);
            Assert.Contains("through guest", r.Witness[^1].How);
            Assert.False(AuthorityAnalysis.Check(CapdlParser.Parse(text.Replace("ch { 0: v }", "")), "ram", "host").Reachable);
        }

        [Fact]
        public void IceCapShapedSystemKeepsTheRealmFromTheHost()
        {
            CapdlSpec s = Load("icecap-style.cdl");
            Assert.False(AuthorityAnalysis.Check(s, "realm_ram", "host_tcb").Reachable);
            Assert.False(AuthorityAnalysis.Check(s, "realm_cnode", "host_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(s, "extern_ring_data", "host_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(s, "realm_ram", "rs_tcb").Reachable);

            // If the resource server received with Grant, its reply could hand the host the realm's untyped.
            CapdlSpec leaky = CapdlParser.Parse(File.ReadAllText(Fixtures.Path("analysis", "icecap-style.cdl")).Replace("1: rs_ep (R)", "1: rs_ep (RG)"), "leaky.cdl");
            AuthorityResult r = AuthorityAnalysis.Check(leaky, "realm_ram", "host_tcb");
            Assert.True(r.Reachable);
            string text = string.Join("\n", r.Witness);
            Assert.Contains("rs_ep", text);
            Assert.Contains("rs_pool", text);
        }

        [Fact]
        public void RightsOfSeparateCapabilitiesDoNotCombine()
        {
            // b receives on e with a Read-only cap and sends with a separate Write+Grant cap; no single cap
            // of b has Read and Grant, so its replies to callers cannot carry capabilities.
            const string text = """
                arch aarch64
                objects { b = tcb  c = tcb  cb = cnode (2 bits)  cc = cnode (2 bits)  e = ep  secret = frame (4k) }
                caps {
                  b { cspace: cb }  c { cspace: cc }
                  cb { 0: e (R) 1: e (WG) 2: secret (RW) }
                  cc { 0: e (WP) }
                }
                """;
            Assert.False(AuthorityAnalysis.Check(CapdlParser.Parse(text), "secret", "c").Reachable);
            Assert.True(AuthorityAnalysis.Check(CapdlParser.Parse(text.Replace("0: e (R)", "0: e (RG)")), "secret", "c").Reachable);
        }

        [Fact]
        public void LongGrantChainsAreFollowed()
        {
            // t0 -> t1 -> ... -> t29 by endpoints with Grant; the last thread's frame flows back to nobody,
            // but t0's frame reaches t29.
            var sb = new System.Text.StringBuilder("arch aarch64\nobjects {\n");
            for (int i = 0; i < 30; i++)
            {
                sb.Append($"t{i} = tcb\nc{i} = cnode (4 bits)\ne{i} = ep\nf{i}[8] = frame (4k)\n");
            }

            sb.Append("}\ncaps {\n");
            for (int i = 0; i < 30; i++)
            {
                sb.Append($"t{i} {{ cspace: c{i} }}\nc{i} {{ 0: e{i} (R) 1: f{i}[] (RW) {(i + 1 < 30 ? $"12: e{i + 1} (WG)" : string.Empty)} }}\n");
            }

            CapdlSpec s = CapdlParser.Parse(sb.Append("}\n").ToString());
            AuthorityResult r = AuthorityAnalysis.Check(s, "f0", "t29");
            Assert.True(r.Reachable);
            Assert.Contains(r.Witness, w => w.Subject == "t15");
            Assert.False(AuthorityAnalysis.Check(s, "f29", "t0").Reachable);
        }

        [Fact]
        public void UnknownNamesAreReported()
        {
            var e = Assert.Throws<CapdlException>(() => AuthorityAnalysis.Check(Load("realm-data-channel.cdl"), "nothing", "host_tcb"));
            Assert.Contains("--isolate 'nothing'", e.Message);
            e = Assert.Throws<CapdlException>(() => AuthorityAnalysis.Check(Load("realm-data-channel.cdl"), "realm_ram", "ring"));
            Assert.Contains("name a thread", e.Message);
        }

        [Fact]
        public void RealCamkesSpecSeparatesClientAndAdder()
        {
            // CAmkES adder: client and adder talk over p_ep with badge and no Grant (client WP, adder R).
            CapdlSpec s = CapdlParser.ParseFile(Fixtures.Path("sel4-capdl", "camkes-adder-arm.cdl"));
            Assert.False(AuthorityAnalysis.Check(s, "adder_cnode", "client_client_0_control_tcb").Reachable);
            Assert.True(AuthorityAnalysis.Check(s, "client_cnode", "client_client_0_control_tcb").Reachable);
        }
    }
}
